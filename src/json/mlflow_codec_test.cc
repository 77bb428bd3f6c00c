#include "json/mlflow_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace inferd {
namespace {

// age (number), sex (string: female, male), fare (number).
InputSchema Schema(bool named = true) {
  std::vector<InputColumn> cols(3);
  cols[0].name = named ? "age" : "x0";
  cols[1].name = named ? "sex" : "x1";
  cols[1].type = InputColumn::Type::kString;
  cols[1].categories = {"female", "male"};
  cols[2].name = named ? "fare" : "x2";
  return InputSchema(std::move(cols), named);
}

struct Fixture {
  InputSchema schema;
  InputSpec spec;
  InferenceRequest req;
  explicit Fixture(bool named = true) : schema(Schema(named)) {
    spec.n_features = 3;
    spec.schema = &schema;
    spec.allow_missing = true;
    spec.max_rows = 4;
  }
  Status Json(const std::string& body) {
    req.Clear();
    return DecodeMlflowJson(body, spec, &req);
  }
  Status Csv(const std::string& body) {
    req.Clear();
    return DecodeMlflowCsv(body, spec, &req);
  }
  // The two rows every form below sends: (22, male, 7.25), (38, female, 71.5).
  void ExpectTwoRows() const {
    ASSERT_EQ(req.n_rows, 2u);
    ASSERT_EQ(req.x.size(), 6u);
    EXPECT_EQ(req.x[0], 22);
    EXPECT_EQ(req.x[1], StringCode("male"));
    EXPECT_EQ(req.x[2], 7.25);
    EXPECT_EQ(req.x[3], 38);
    EXPECT_EQ(req.x[4], StringCode("female"));
    EXPECT_EQ(req.x[5], 71.5);
  }
};

TEST(MlflowCodec, EveryJsonFormGivesTheSameRows) {
  const std::vector<std::string> bodies = {
      R"({"dataframe_split": {"columns": ["sex", "age", "fare"], "data": [["male", 22, 7.25], ["female", 38, 71.5]]}})",
      R"({"dataframe_split": {"index": [5, 9], "data": [[22, "male", 7.25], [38, "female", 71.5]]}})",
      R"({"dataframe_split": {"data": [["male", 22, 7.25], ["female", 38, 71.5]], "columns": ["sex", "age", "fare"]}})",
      R"({"dataframe_records": [{"fare": 7.25, "age": 22, "sex": "male"}, {"age": 38, "sex": "female", "fare": 71.5}]})",
      R"({"instances": [{"age": 22, "sex": "male", "fare": 7.25}, {"age": 38, "sex": "female", "fare": 71.5}]})",
      R"({"instances": [[22, "male", 7.25], [38, "female", 71.5]]})",
      R"({"inputs": [[22, "male", 7.25], [38, "female", 71.5]]})",
      R"({"inputs": {"sex": ["male", "female"], "fare": [7.25, 71.5], "age": [22, 38]}})",
      R"({"params": {"anything": [1, 2]}, "inputs": {"sex": ["male", "female"], "fare": [7.25, 71.5], "age": [22, 38]}})",
  };
  for (const std::string& body : bodies) {
    Fixture f;
    Status st = f.Json(body);
    ASSERT_TRUE(st.ok()) << body << ": " << st.message();
    f.ExpectTwoRows();
    EXPECT_TRUE(f.req.outputs.empty()) << body;
  }
}

TEST(MlflowCodec, ExactlyOneFormat) {
  Fixture f;
  Status st = f.Json(R"({"params": {}})");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("Invalid input. The input must be a JSON dictionary with exactly one of", 0), 0u)
      << st.message();
  EXPECT_NE(st.message().find("Received dictionary with input fields: []"), std::string::npos) << st.message();
  st = f.Json(R"({"instances": [[1, "male", 2]], "inputs": [[1, "male", 2]]})");
  EXPECT_NE(st.message().find("input fields: ['instances', 'inputs']"), std::string::npos) << st.message();
  st = f.Json(R"({"data": [[1, "male", 2]]})");
  EXPECT_NE(st.message().find("input fields: ['data']"), std::string::npos) << st.message();
  st = f.Json(R"([1, 2])");
  EXPECT_EQ(st.message(), "Invalid input. The input must be a JSON dictionary (got array)");
  EXPECT_EQ(f.Json("{not json").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.Json(R"({"instances": [[1, "male", 2]]} trailing)").code(), StatusCode::kInvalidArgument);
}

TEST(MlflowCodec, Params) {
  Fixture f;
  ASSERT_TRUE(f.Json(R"({"instances": [[1, "male", 2]], "params": {"predict_method": "predict_proba"}})").ok());
  ASSERT_EQ(f.req.outputs.size(), 1u);
  EXPECT_EQ(f.req.outputs[0], OutputKind::kPredictProba);
  Status st = f.Json(R"({"params": {"predict_method": "fit"}, "instances": [[1, "male", 2]]})");
  EXPECT_NE(st.message().find("predict_method"), std::string::npos) << st.message();
  st = f.Json(R"({"params": [1], "instances": [[1, "male", 2]]})");
  EXPECT_EQ(st.message(), "params must be a JSON object");
  ASSERT_TRUE(
      f.Json(R"({"instances": [[1, "male", 2]], "params": {"predict_method": "contributions", "explain": "features"}})")
          .ok());
  EXPECT_EQ(f.req.outputs[0], OutputKind::kContributions);
  EXPECT_EQ(f.req.contributions_form, ContributionRequest::kTransformedFeatures);
  st = f.Json(R"({"instances": [[1, "male", 2]], "params": {"explain": true}})");
  EXPECT_EQ(st.message(), "params['explain'] must be \"columns\" or \"features\"");
}

TEST(MlflowCodec, RowErrors) {
  Fixture f;
  Status st = f.Json(R"({"instances": [[1, "male", 2], [1, "male"]]})");
  EXPECT_EQ(st.message(), "instances[1] has 2 values; expected 3 (the model's columns, in order)");
  st = f.Json(R"({"instances": [[1, "male", 2], {"age": 1, "sex": "male", "fare": 2}]})");
  EXPECT_NE(st.message().find("instances[1] is an object but earlier rows are not"), std::string::npos) << st.message();
  st = f.Json(R"({"dataframe_records": [[1, "male", 2]]})");
  EXPECT_EQ(st.message(), "dataframe_records[0] must be an object by column name (got array)");
  st = f.Json(R"({"dataframe_records": [{"age": 1, "sex": "male"}]})");
  EXPECT_EQ(st.message(), "dataframe_records[0]: missing column 'fare'");
  st = f.Json(R"({"dataframe_records": [{"age": 1, "sex": 3, "fare": 1}]})");
  EXPECT_EQ(st.message(), "dataframe_records[0]: column 'sex' expects a string (got number)");
  st = f.Json(R"({"instances": []})");
  EXPECT_EQ(st.message(), "instances has no rows");
  st = f.Json(R"({"instances": 3})");
  EXPECT_EQ(st.message(), "instances must be a list of rows");
  st = f.Json(R"({"instances": [[1, "male", 2], [1, "male", 2], [1, "male", 2], [1, "male", 2], [1, "male", 2]]})");
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  st = f.Json(R"({"inputs": {"age": [1, 2], "sex": ["male"], "fare": [1, 2]}})");
  EXPECT_EQ(st.message(), "inputs['sex'] has 1 values but earlier columns have 2");
  st = f.Json(R"({"inputs": {"age": [1, 2], "fare": [1, 2]}})");
  EXPECT_EQ(st.message(), "inputs: missing column 'sex'");
  st = f.Json(R"({"inputs": {"age": [1, 2, 3, 4, 5], "sex": [], "fare": []}})");
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  st = f.Json(R"({"inputs": {"age": [1], "sex": ["male"], "fare": [1], "cabin": ["C85"]}})");
  EXPECT_NE(st.message().find("unknown column 'cabin'"), std::string::npos) << st.message();
}

TEST(MlflowCodec, SplitErrors) {
  Fixture f;
  Status st = f.Json(R"({"dataframe_split": {"columns": ["age", "sex", "fare"]}})");
  EXPECT_EQ(st.message(), "dataframe_split needs \"data\" (a list of rows)");
  st = f.Json(R"({"dataframe_split": {"columns": ["age", "sex", "fare"], "data": [], "dtype": 1}})");
  EXPECT_EQ(st.message(), "dataframe_split has an unexpected key 'dtype' (expected columns, data and index)");
  st = f.Json(R"({"dataframe_split": {"columns": ["age", "sex"], "data": [[1, "male"]]}})");
  EXPECT_EQ(st.message(), "dataframe_split['columns']: missing column 'fare'");
  st = f.Json(R"({"dataframe_split": {"columns": ["age", "sex", "fare"], "data": [[1, "male"]]}})");
  EXPECT_EQ(st.message(), "dataframe_split['data'][0] has 2 values; expected 3 (one per column)");
  st = f.Json(R"({"dataframe_split": {"columns": ["age", "sex", "fare"], "data": [{"age": 1}]}})");
  EXPECT_EQ(st.message(), "dataframe_split['data'][0] must be a list of values (got object)");
  st = f.Json(R"({"dataframe_split": [[1, "male", 2]]})");
  EXPECT_EQ(st.message(), "dataframe_split must be an object with \"columns\" and \"data\"");
}

TEST(MlflowCodec, ExtraColumnsIgnoredWhenAllowed) {
  Fixture f;
  f.spec.ignore_extra_columns = true;
  ASSERT_TRUE(f.Json(R"({"dataframe_split": {"columns": ["cabin", "sex", "age", "fare"],
                          "data": [["C85", "male", 22, 7.25], ["", "female", 38, 71.5]]}})")
                  .ok());
  f.ExpectTwoRows();
}

TEST(MlflowCodec, MissingValues) {
  Fixture f;
  ASSERT_TRUE(f.Json(R"({"instances": [[NaN, null, null]]})").ok());
  EXPECT_TRUE(std::isnan(f.req.x[0]));
  EXPECT_EQ(f.req.x[1], kNoneCode);
  EXPECT_TRUE(std::isnan(f.req.x[2]));
  f.spec.allow_missing = false;
  EXPECT_EQ(f.Json(R"({"instances": [[NaN, "male", 1]]})").code(), StatusCode::kInvalidArgument);
}

TEST(MlflowCodec, UnnamedModelTakesHeaderColumnsInOrder) {
  Fixture f(/*named=*/false);
  ASSERT_TRUE(
      f.Json(R"({"dataframe_split": {"columns": [0, 1, 2], "data": [[22, "male", 7.25], [38, "female", 71.5]]}})")
          .ok());
  f.ExpectTwoRows();
  ASSERT_TRUE(f.Csv("a,b,c\n22,male,7.25\n38,female,71.5\n").ok());
  f.ExpectTwoRows();
  // Its own names (x0, x1, x2) still map by name.
  ASSERT_TRUE(f.Csv("x1,x0,x2\nmale,22,7.25\nfemale,38,71.5\n").ok());
  f.ExpectTwoRows();
  EXPECT_EQ(f.Csv("a,b\n22,male\n").code(), StatusCode::kInvalidArgument);
}

TEST(MlflowCodec, Csv) {
  Fixture f;
  ASSERT_TRUE(f.Csv("sex,age,fare\nmale,22,7.25\nfemale,38,71.5\n").ok());
  f.ExpectTwoRows();
  ASSERT_TRUE(f.Csv("\xEF\xBB\xBF\"sex\",age,fare\r\n\"male\",22,7.25\r\n\r\n\"fem\"\"ale\",38,71.5").ok());
  EXPECT_EQ(f.req.x[4], kUnknownStringCode);  // fem"ale
  ASSERT_TRUE(f.Csv("age,sex,fare\n,,\n1,\"\",2\n").ok());
  EXPECT_TRUE(std::isnan(f.req.x[0]));
  EXPECT_TRUE(std::isnan(f.req.x[1]));
  EXPECT_TRUE(std::isnan(f.req.x[4]));
  // A quoted field may hold the separator and a line break.
  ASSERT_TRUE(f.Csv("age,sex,fare\n1,\"a,\nb\",2\n3,male,4\n").ok());
  EXPECT_EQ(f.req.n_rows, 2u);
  EXPECT_EQ(f.req.x[3], 3);

  EXPECT_EQ(f.Csv("").message(), "the CSV body is empty (expected a header row naming the columns, then rows)");
  EXPECT_EQ(f.Csv("age,sex,fare\n").message(), "the CSV body has a header but no rows");
  EXPECT_EQ(f.Csv("age,sex,fare\n1,male\n").message(), "CSV line 2 has 2 fields; the header has 3");
  EXPECT_EQ(f.Csv("age,sex,fare\n1,male,2\n\n1,male,2,3\n").message(), "CSV line 4 has 4 fields; the header has 3");
  EXPECT_EQ(f.Csv("age,sex,fare\n1,\"male,2\n").message(),
            "malformed CSV: the quoted field opened on line 2 is not closed");
  EXPECT_EQ(f.Csv("age,sex,fare\n1,\"male\"x,2\n").message(), "malformed CSV: text after a closing quote on line 2");
  EXPECT_EQ(f.Csv("age,sex,fare\nold,male,2\n").message(),
            "CSV line 2: column 'age' expects a number (got string 'old')");
  EXPECT_EQ(f.Csv("age,sex,age\n1,male,2\n").message(), "CSV header: column 'age' is given twice");
  EXPECT_EQ(f.Csv("age,sex,fare\n1,male,2\n1,male,2\n1,male,2\n1,male,2\n1,male,2\n").code(),
            StatusCode::kResourceExhausted);
}

TEST(MlflowCodec, ContentType) {
  auto kind = [](std::string_view ct) { return ParseMlflowContentType(ct); };
  ASSERT_TRUE(kind("application/json").ok());
  EXPECT_EQ(*kind("application/json"), MlflowContent::kJson);
  EXPECT_EQ(*kind("Application/JSON; charset=UTF-8"), MlflowContent::kJson);
  EXPECT_EQ(*kind("text/csv"), MlflowContent::kCsv);
  EXPECT_EQ(*kind("text/csv; charset=\"utf-8\""), MlflowContent::kCsv);
  StatusOr<MlflowContent> bad = kind("text/plain");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "This predictor only supports the following content types: ['text/csv', 'application/json']. Got "
            "'text/plain'.");
  EXPECT_FALSE(kind("").ok());
  EXPECT_FALSE(kind("text/csv; charset=latin-1").ok());
  EXPECT_FALSE(kind("application/json; format=pandas-split").ok());
  EXPECT_FALSE(kind(std::string(1000, 'a')).ok());
}

}  // namespace
}  // namespace inferd
