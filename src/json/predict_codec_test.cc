#include "json/predict_codec.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "serving/testing/fake_model.h"

namespace inferd {
namespace {

DecodeOptions Opts(size_t n, size_t max_rows = 100, bool missing = false) {
  DecodeOptions o;
  o.n_features = n;
  o.max_rows = max_rows;
  o.allow_missing = missing;
  return o;
}

// Decodes and returns the error message ("" when OK).
std::string Err(std::string_view body, DecodeOptions o = Opts(4)) {
  PredictRequest r;
  Status s = DecodePredictRequest(body, o, &r);
  return s.ok() ? "" : s.message();
}

TEST(DecodeTest, OneRowIntsAndFloats) {
  PredictRequest r;
  ASSERT_TRUE(DecodePredictRequest(R"({"features":[5.1, 3, -1e-3, 0]})", Opts(4), &r).ok());
  EXPECT_FALSE(r.batch);
  EXPECT_FALSE(r.proba);
  EXPECT_EQ(r.n_rows, 1u);
  ASSERT_EQ(r.x.size(), 4u);
  EXPECT_EQ(r.x[0], 5.1);
  EXPECT_EQ(r.x[1], 3.0);
  EXPECT_EQ(r.x[2], -1e-3);
  EXPECT_EQ(r.x[3], 0.0);
}

TEST(DecodeTest, BatchWithProbaAndUnknownKeysIgnored) {
  PredictRequest r;
  ASSERT_TRUE(
      DecodePredictRequest(R"( {"id":{"a":[1,"x"]},"instances":[[1,2],[3,4],[5,6]],"proba":true} )", Opts(2), &r).ok());
  EXPECT_TRUE(r.batch);
  EXPECT_TRUE(r.proba);
  EXPECT_EQ(r.n_rows, 3u);
  EXPECT_EQ(r.x, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(DecodeTest, ReuseClearsPreviousRequest) {
  PredictRequest r;
  ASSERT_TRUE(DecodePredictRequest(R"({"instances":[[1,2],[3,4]],"proba":true})", Opts(2), &r).ok());
  ASSERT_TRUE(DecodePredictRequest(R"({"features":[7,8]})", Opts(2), &r).ok());
  EXPECT_EQ(r.x, (std::vector<double>{7, 8}));
  EXPECT_FALSE(r.batch);
  EXPECT_FALSE(r.proba);
}

TEST(DecodeTest, LargeIntegersAndExponents) {
  PredictRequest r;
  ASSERT_TRUE(DecodePredictRequest(R"({"features":[123456789012345678901234567890, 1E300, -0]})", Opts(3), &r).ok());
  EXPECT_DOUBLE_EQ(r.x[0], 1.2345678901234568e29);
  EXPECT_EQ(r.x[1], 1e300);
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
  PredictRequest r;
  ASSERT_TRUE(DecodePredictRequest(R"({"features":[1,null,NaN]})", Opts(3, 10, true), &r).ok());
  EXPECT_EQ(r.x[0], 1.0);
  EXPECT_TRUE(std::isnan(r.x[1]));
  EXPECT_TRUE(std::isnan(r.x[2]));
}

TEST(DecodeTest, ShapeErrors) {
  EXPECT_EQ(Err(R"({"features":"1,2,3,4"})"), "features must be an array of numbers (got string)");
  EXPECT_EQ(Err(R"({"instances":[1,2,3,4]})"), "instances[0] must be an array of numbers (got number)");
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
  PredictRequest r;
  Status s = DecodePredictRequest(R"({"instances":[[1],[2],[3]]})", Opts(1, 2), &r);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "instances has more than 2 rows (the server's --max-batch-rows)");
  EXPECT_TRUE(DecodePredictRequest(R"({"instances":[[1],[2]]})", Opts(1, 2), &r).ok());
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
    PredictRequest r;
    Status s = DecodePredictRequest(b, Opts(4), &r);
    EXPECT_FALSE(s.ok()) << "accepted: " << b;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << b;
    EXPECT_FALSE(s.message().empty());
  }
}

TEST(EncodeTest, SingleClassifierLabelTypes) {
  testing::FakeClassifier ints(2, {Label::Int(0), Label::Int(1), Label::Int(2)});
  int32_t c = 2;
  std::string out;
  EncodeSinglePrediction(ints, PredictResult{1, &c, nullptr, nullptr}, &out);
  EXPECT_EQ(out, "{\"prediction\":2}\n");

  testing::FakeClassifier strs(2, {Label::String("setosa"), Label::String("versi\"color")});
  c = 1;
  out.clear();
  EncodeSinglePrediction(strs, PredictResult{1, &c, nullptr, nullptr}, &out);
  EXPECT_EQ(out, "{\"prediction\":\"versi\\\"color\"}\n");

  testing::FakeClassifier bools(2, {Label::Bool(false), Label::Bool(true)});
  double p[2] = {0.25, 0.75};
  out.clear();
  EncodeSinglePrediction(bools, PredictResult{1, &c, nullptr, p}, &out);
  EXPECT_EQ(out, "{\"prediction\":true,\"probabilities\":{\"false\":0.25,\"true\":0.75}}\n");

  testing::FakeClassifier floats(2, {Label::Float(0.5), Label::Float(2.0)});
  out.clear();
  EncodeSinglePrediction(floats, PredictResult{1, &c, nullptr, p}, &out);
  EXPECT_EQ(out, "{\"prediction\":2.0,\"probabilities\":{\"0.5\":0.25,\"2.0\":0.75}}\n");
}

TEST(EncodeTest, RegressorSingleAndMultiTarget) {
  testing::FakeRegressor one(3, 1), two(3, 2);
  double v1[] = {1.0 / 3.0};
  std::string out;
  EncodeSinglePrediction(one, PredictResult{1, nullptr, v1, nullptr}, &out);
  EXPECT_EQ(out, "{\"prediction\":0.3333333333333333}\n");
  double v2[] = {3.0, 1e-5};
  out.clear();
  EncodeSinglePrediction(two, PredictResult{1, nullptr, v2, nullptr}, &out);
  EXPECT_EQ(out, "{\"prediction\":[3.0,1e-05]}\n");
  double v4[] = {1, 2, 3, 4};
  out.clear();
  EncodeBatchPrediction(two, PredictResult{2, nullptr, v4, nullptr}, &out);
  EXPECT_EQ(out, "{\"predictions\":[[1.0,2.0],[3.0,4.0]]}\n");
}

TEST(EncodeTest, BatchClassifierWithProba) {
  testing::FakeClassifier m(2, {Label::Int(3), Label::Int(7)});
  int32_t c[] = {1, 0};
  double p[] = {0.1, 0.9, 0.6, 0.4};
  std::string out;
  EncodeBatchPrediction(m, PredictResult{2, c, nullptr, nullptr}, &out);
  EXPECT_EQ(out, "{\"predictions\":[7,3]}\n");
  out.clear();
  EncodeBatchPrediction(m, PredictResult{2, c, nullptr, p}, &out);
  EXPECT_EQ(out, "{\"predictions\":[7,3],\"probabilities\":[{\"3\":0.1,\"7\":0.9},{\"3\":0.6,\"7\":0.4}]}\n");
}

TEST(EncodeTest, ErrorIsEscaped) {
  std::string out;
  EncodeError("features[3] is not a \"number\"", &out);
  EXPECT_EQ(out, "{\"error\":\"features[3] is not a \\\"number\\\"\"}\n");
}

}  // namespace
}  // namespace inferd
