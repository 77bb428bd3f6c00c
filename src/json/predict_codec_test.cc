#include "json/predict_codec.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "serving/testing/fake_model.h"

namespace inferd {
namespace {

InputSpec Opts(size_t n, size_t max_rows = 100, bool missing = false) {
  InputSpec o;
  o.n_features = n;
  o.max_rows = max_rows;
  o.allow_missing = missing;
  return o;
}

// A decoded /predict body: the request and its flags.
struct Decoded {
  InferenceRequest req;
  PredictFlags flags;
};

// Decodes into a reused *d, as the request path does (it clears the request first).
Status Decode(std::string_view body, const InputSpec& spec, Decoded* d) {
  d->req.Clear();
  return DecodePredictRequest(body, spec, &d->req, &d->flags);
}

// Decodes and returns the error message ("" when OK).
std::string Err(std::string_view body, InputSpec o = Opts(4)) {
  Decoded r;
  Status s = Decode(body, o, &r);
  return s.ok() ? "" : s.message();
}

// Encodes a /predict answer for n rows of `model`'s outputs (classes or values, optional proba).
std::string Encode(const Model& model, size_t n, const int32_t* classes, const double* values, const double* proba,
                   bool single_row) {
  InferenceRequest req;
  req.single_row = single_row;
  ServedModel served;
  served.model = std::shared_ptr<const Model>(&model, [](const Model*) {});
  InferenceResult r;
  r.served = &served;
  r.request = &req;
  OutputTensor t;
  t.n_rows = n;
  t.classes = classes;
  t.values = values;
  t.width = classes != nullptr ? 1 : model.n_outputs();
  t.two_d = t.width != 1;
  r.outputs.push_back(t);
  if (proba != nullptr) {
    OutputTensor pt;
    pt.kind = OutputKind::kPredictProba;
    pt.n_rows = n;
    pt.width = model.classes().size();
    pt.two_d = true;
    pt.values = proba;
    r.outputs.push_back(pt);
  }
  std::string out;
  EncodePrediction(r, &out);
  return out;
}

TEST(DecodeTest, OneRowIntsAndFloats) {
  Decoded r;
  ASSERT_TRUE(Decode(R"({"features":[5.1, 3, -1e-3, 0]})", Opts(4), &r).ok());
  EXPECT_TRUE(r.req.single_row);
  EXPECT_FALSE(r.flags.proba);
  EXPECT_EQ(r.req.n_rows, 1u);
  ASSERT_EQ(r.req.x.size(), 4u);
  EXPECT_EQ(r.req.x[0], 5.1);
  EXPECT_EQ(r.req.x[1], 3.0);
  EXPECT_EQ(r.req.x[2], -1e-3);
  EXPECT_EQ(r.req.x[3], 0.0);
}

TEST(DecodeTest, BatchWithProbaAndUnknownKeysIgnored) {
  Decoded r;
  ASSERT_TRUE(Decode(R"( {"id":{"a":[1,"x"]},"instances":[[1,2],[3,4],[5,6]],"proba":true} )", Opts(2), &r).ok());
  EXPECT_FALSE(r.req.single_row);
  EXPECT_TRUE(r.flags.proba);
  EXPECT_EQ(r.req.n_rows, 3u);
  EXPECT_EQ(r.req.x, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(DecodeTest, ExplainFlag) {
  Decoded r;
  ASSERT_TRUE(Decode(R"({"features":[1,2],"explain":true})", Opts(2), &r).ok());
  EXPECT_TRUE(r.flags.explain);
  EXPECT_FALSE(r.flags.proba);
  ASSERT_TRUE(Decode(R"({"features":[1,2],"explain":false,"proba":true})", Opts(2), &r).ok());
  EXPECT_FALSE(r.flags.explain);
  EXPECT_TRUE(r.flags.proba);
  EXPECT_EQ(r.flags.explain_form, ContributionRequest::kDefault);
  ASSERT_TRUE(Decode(R"({"features":[1,2],"explain":"columns"})", Opts(2), &r).ok());
  EXPECT_TRUE(r.flags.explain);
  EXPECT_EQ(r.flags.explain_form, ContributionRequest::kInputColumns);
  ASSERT_TRUE(Decode(R"({"features":[1,2],"explain":"features"})", Opts(2), &r).ok());
  EXPECT_TRUE(r.flags.explain);
  EXPECT_EQ(r.flags.explain_form, ContributionRequest::kTransformedFeatures);
  for (const char* bad : {R"({"features":[1,2],"explain":1})", R"({"features":[1,2],"explain":"rows"})"}) {
    EXPECT_EQ(Err(bad, Opts(2)), "\"explain\" must be true, false, \"columns\" or \"features\"");
  }
  EXPECT_EQ(Err(R"({"features":[1,2],"explain":true,"explain":true})", Opts(2)), "duplicate key \"explain\"");
}

TEST(DecodeTest, ReuseClearsPreviousRequest) {
  Decoded r;
  ASSERT_TRUE(Decode(R"({"instances":[[1,2],[3,4]],"proba":true})", Opts(2), &r).ok());
  ASSERT_TRUE(Decode(R"({"features":[7,8]})", Opts(2), &r).ok());
  EXPECT_EQ(r.req.x, (std::vector<double>{7, 8}));
  EXPECT_TRUE(r.req.single_row);
  EXPECT_FALSE(r.flags.proba);
}

TEST(DecodeTest, LargeIntegersAndExponents) {
  Decoded r;
  ASSERT_TRUE(Decode(R"({"features":[123456789012345678901234567890, 1E300, -0]})", Opts(3), &r).ok());
  EXPECT_DOUBLE_EQ(r.req.x[0], 1.2345678901234568e29);
  EXPECT_EQ(r.req.x[1], 1e300);
}

TEST(DecodeTest, WrongCountNamesExpectedAndActual) {
  EXPECT_EQ(Err(R"({"features":[1,2,3]})"), "expected 4 features, got 3");
  EXPECT_EQ(Err(R"({"features":[1,2,3,4,5,6]})"), "expected 4 features, got 6");
  EXPECT_EQ(Err(R"({"features":[]})"), "expected 4 features, got 0");
  EXPECT_EQ(Err(R"({"instances":[[1,2,3,4],[1,2]]})"), "instances[1]: expected 4 features, got 2");
}

TEST(DecodeTest, NonNumbersNamePosition) {
  EXPECT_EQ(Err(R"({"features":[1,2,3,"4"]})"), "features[3] is not a number (got string)");
  EXPECT_EQ(Err(R"({"features":[true,2,3,4]})"), "features[0] is not a number (got boolean)");
  EXPECT_EQ(Err(R"({"features":[1,null,3,4]})"), "features[1] is not a number (got null)");
  EXPECT_EQ(Err(R"({"features":[1,2,[3],4]})"), "features[2] is not a number (got array)");
  EXPECT_EQ(Err(R"({"features":[1,2,{},4]})"), "features[2] is not a number (got object)");
  EXPECT_EQ(Err(R"({"instances":[[1,2,3,4],[1,2,3,4],[1,2,"x",4]]})"), "instances[2][2] is not a number (got string)");
}

TEST(DecodeTest, NanAndInfinityRejected) {
  EXPECT_EQ(Err(R"({"features":[1,NaN,3,4]})"), "features[1] is NaN, which this model does not accept");
  EXPECT_EQ(Err(R"({"features":[1,2,Infinity,4]})"), "features[2] is Infinity, which is not allowed");
  EXPECT_EQ(Err(R"({"features":[1,2,-Infinity,4]})"), "features[2] is Infinity, which is not allowed");
  EXPECT_EQ(Err(R"({"features":[1,2,1e999,4]})"), "features[2] is not a finite number");
}

TEST(DecodeTest, MissingValuesAllowedOnlyWhenModelAcceptsThem) {
  Decoded r;
  ASSERT_TRUE(Decode(R"({"features":[1,null,NaN]})", Opts(3, 10, true), &r).ok());
  EXPECT_EQ(r.req.x[0], 1.0);
  EXPECT_TRUE(std::isnan(r.req.x[1]));
  EXPECT_TRUE(std::isnan(r.req.x[2]));
}

TEST(DecodeTest, ShapeErrors) {
  EXPECT_EQ(Err(R"({"features":"1,2,3,4"})"),
            "features must be an array of values or an object by column name (got string)");
  EXPECT_EQ(Err(R"({"instances":[1,2,3,4]})"),
            "instances[0] must be an array of values or an object by column name (got number)");
  EXPECT_EQ(Err(R"({"instances":{}})"), "instances must be an array of rows (got object)");
  EXPECT_EQ(Err(R"({"instances":[]})"), "instances is empty");
  EXPECT_EQ(Err(R"([1,2,3,4])"), "request body must be a JSON object (got array)");
  EXPECT_EQ(Err(R"({"feature":[1,2,3,4]})"),
            "request must have \"features\" (one row) or \"instances\" (a batch of rows)");
  EXPECT_EQ(Err(R"({})"), "request must have \"features\" (one row) or \"instances\" (a batch of rows)");
  EXPECT_EQ(Err(R"({"features":[1,2,3,4],"instances":[[1,2,3,4]]})"),
            "request has both \"features\" and \"instances\"; send one of them");
  EXPECT_EQ(Err(R"({"features":[1,2,3,4],"features":[1,2,3,4]})"), "duplicate key \"features\"");
  EXPECT_EQ(Err(R"({"features":[1,2,3,4],"proba":1})"), "\"proba\" must be true or false");
}

TEST(DecodeTest, BatchSizeBounded) {
  Decoded r;
  Status s = Decode(R"({"instances":[[1],[2],[3]]})", Opts(1, 2), &r);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "instances has more than 2 rows (the server's --max-batch-rows)");
  EXPECT_TRUE(Decode(R"({"instances":[[1],[2]]})", Opts(1, 2), &r).ok());
}

TEST(DecodeTest, MalformedJsonIsInvalidArgumentNeverCrash) {
  const char* bodies[] = {
      "",
      " ",
      "{",
      "}",
      "{\"features\":[1,2,3,4]",
      "{\"features\":[1,2,3,4]}}",
      "{\"features\":[1,2,3,4]} x",
      "{\"features\" [1,2,3,4]}",
      "{\"features\":[1,2,3,4,]}",
      "{\"features\":[1 2 3 4]}",
      "{features:[1,2,3,4]}",
      "{\"features\":[1,2,3,4]",
      "\"features\"",
      "nul",
      "not json",
      "nulll",
      "true x",
      "tru",
      "12a",
      "{\"features\":[1,2,3,\"4]}",
      "{\"features\":[1,2,3,4],}",
      "{\"features\":[01,2,3,4]}",
      "{\"features\":[1,2,3,4],\"x\":[}",
      "\xff\xfe",
      "{\"features\":[1,2,3,-]}",
      "{\"features\":[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]}",
  };
  for (const char* b : bodies) {
    Decoded r;
    Status s = Decode(b, Opts(4), &r);
    EXPECT_FALSE(s.ok()) << "accepted: " << b;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << b;
    EXPECT_FALSE(s.message().empty());
  }
}

TEST(EncodeTest, SingleClassifierLabelTypes) {
  testing::FakeClassifier ints(2, {Label::Int(0), Label::Int(1), Label::Int(2)});
  int32_t c = 2;
  std::string out;
  out = Encode(ints, 1, &c, nullptr, nullptr, true);
  EXPECT_EQ(out, "{\"prediction\":2}\n");

  testing::FakeClassifier strs(2, {Label::String("setosa"), Label::String("versi\"color")});
  c = 1;
  out.clear();
  out = Encode(strs, 1, &c, nullptr, nullptr, true);
  EXPECT_EQ(out, "{\"prediction\":\"versi\\\"color\"}\n");

  testing::FakeClassifier bools(2, {Label::Bool(false), Label::Bool(true)});
  double p[2] = {0.25, 0.75};
  out.clear();
  out = Encode(bools, 1, &c, nullptr, p, true);
  EXPECT_EQ(out, "{\"prediction\":true,\"probabilities\":{\"false\":0.25,\"true\":0.75}}\n");

  testing::FakeClassifier floats(2, {Label::Float(0.5), Label::Float(2.0)});
  out.clear();
  out = Encode(floats, 1, &c, nullptr, p, true);
  EXPECT_EQ(out, "{\"prediction\":2.0,\"probabilities\":{\"0.5\":0.25,\"2.0\":0.75}}\n");
}

TEST(EncodeTest, RegressorSingleAndMultiTarget) {
  testing::FakeRegressor one(3, 1), two(3, 2);
  double v1[] = {1.0 / 3.0};
  std::string out;
  out = Encode(one, 1, nullptr, v1, nullptr, true);
  EXPECT_EQ(out, "{\"prediction\":0.3333333333333333}\n");
  double v2[] = {3.0, 1e-5};
  out.clear();
  out = Encode(two, 1, nullptr, v2, nullptr, true);
  EXPECT_EQ(out, "{\"prediction\":[3.0,1e-05]}\n");
  double v4[] = {1, 2, 3, 4};
  out.clear();
  out = Encode(two, 2, nullptr, v4, nullptr, false);
  EXPECT_EQ(out, "{\"predictions\":[[1.0,2.0],[3.0,4.0]]}\n");
}

TEST(EncodeTest, BatchClassifierWithProba) {
  testing::FakeClassifier m(2, {Label::Int(3), Label::Int(7)});
  int32_t c[] = {1, 0};
  double p[] = {0.1, 0.9, 0.6, 0.4};
  std::string out;
  out = Encode(m, 2, c, nullptr, nullptr, false);
  EXPECT_EQ(out, "{\"predictions\":[7,3]}\n");
  out.clear();
  out = Encode(m, 2, c, nullptr, p, false);
  EXPECT_EQ(out, "{\"predictions\":[7,3],\"probabilities\":[{\"3\":0.1,\"7\":0.9},{\"3\":0.6,\"7\":0.4}]}\n");
}

TEST(EncodeTest, ErrorIsEscaped) {
  std::string out;
  EncodeError("features[3] is not a \"number\"", &out);
  EXPECT_EQ(out, "{\"error\":\"features[3] is not a \\\"number\\\"\"}\n");
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

// age (number), sex (string the model knows: female/male, unknown is an error), embarked
// (string, unknown allowed).
InputSchema TabularSchema() {
  std::vector<InputColumn> cols(3);
  cols[0].name = "age";
  cols[1].name = "sex";
  cols[1].type = InputColumn::Type::kString;
  cols[1].categories = {"female", "male"};
  cols[1].unknown_is_error = true;
  cols[2].name = "embarked";
  cols[2].type = InputColumn::Type::kString;
  cols[2].categories = {"C", "S"};
  return InputSchema(std::move(cols), true);
}

TEST(DecodeTabular, NamedAndPositionalRowsGiveTheSameMatrix) {
  InputSchema schema = TabularSchema();
  InputSpec spec = Opts(3, 100, true);
  spec.schema = &schema;
  Decoded a, b, c;
  ASSERT_TRUE(Decode(R"({"features": {"embarked": null, "sex": "male", "age": 22}})", spec, &a).ok());
  ASSERT_TRUE(Decode(R"({"features": [22, "male", null]})", spec, &b).ok());
  ASSERT_TRUE(
      Decode(
          R"({"instances": [{"age": 22, "sex": "male", "embarked": null}, {"age": null, "sex": "female", "embarked": "Q"}]})",
          spec, &c)
          .ok());
  const std::vector<double> want = {22, StringCode("male"), kNoneCode};
  EXPECT_EQ(a.req.x, want);
  EXPECT_TRUE(a.req.single_row);
  EXPECT_EQ(b.req.x, want);
  ASSERT_EQ(c.req.n_rows, 2u);
  EXPECT_EQ(std::vector<double>(c.req.x.begin(), c.req.x.begin() + 3), want);
  EXPECT_TRUE(std::isnan(c.req.x[3]));
  EXPECT_EQ(c.req.x[4], StringCode("female"));
  EXPECT_EQ(c.req.x[5], kUnknownStringCode);
}

TEST(DecodeTabular, ErrorsNameTheRowAndColumn) {
  InputSchema schema = TabularSchema();
  InputSpec spec = Opts(3, 100, true);
  spec.schema = &schema;
  EXPECT_EQ(Err(R"({"features": {"sex": "male", "embarked": "S"}})", spec), "features: missing column 'age'");
  EXPECT_EQ(Err(R"({"instances": [{"age": 1, "sex": "male", "embarked": "S"}, [1, "male", "S"]]})", spec),
            "instances[1] is an array but earlier rows are objects; send every row by column name or every row as an "
            "array");
  EXPECT_EQ(Err(R"({"features": [1, "robot", "S"]})", spec), "features[1]: column 'sex' has unknown category 'robot'");
  EXPECT_EQ(Err(R"({"features": ["old", "male", "S"]})", spec), "features[0] is not a number (got string)");
  EXPECT_EQ(Err(R"({"features": [1, 2, "S"]})", spec), "features[1]: column 'sex' expects a string (got number)");
  EXPECT_EQ(Err(R"({"features": {"age": 1, "sex": "male", "embarked": "S", "cabin": "B"}})", spec)
                .find("features: unknown column 'cabin'"),
            0u);
}

}  // namespace
}  // namespace inferd
