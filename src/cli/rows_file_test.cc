#include "cli/rows_file.h"

#include <gtest/gtest.h>

#include <cmath>

namespace inferd::cli {
namespace {

// No model: numbers only, the width from row 0, missing values allowed.
InputSpec Numbers() {
  InputSpec spec;
  spec.allow_missing = true;
  return spec;
}

StatusOr<Rows> ParseRows(const std::string& text, const std::string& name) {
  return cli::ParseRows(text, name, Numbers());
}

// A model fitted on a DataFrame: age (number), sex (string, unknown refused), embarked
// (string, unknown allowed), fare (number).
class TabularRows : public ::testing::Test {
 protected:
  TabularRows()
      : schema_(
            {
                {"age", InputColumn::Type::kNumber, {}, false},
                {"sex", InputColumn::Type::kString, {"female", "male"}, true},
                {"embarked", InputColumn::Type::kString, {"C", "Q", "S"}, false},
                {"fare", InputColumn::Type::kNumber, {}, false},
            },
            /*named=*/true) {
    spec_.n_features = 4;
    spec_.allow_missing = true;
    spec_.schema = &schema_;
  }

  StatusOr<Rows> Parse(const std::string& text) {
    return cli::ParseRows(text, text.front() == '[' || text.front() == '{' ? "r.json" : "r.csv", spec_);
  }

  void ExpectRow(const Rows& rows, size_t r, double age, const char* sex, const char* embarked, double fare) {
    ASSERT_EQ(rows.n_cols, 4u);
    ASSERT_LT(r, rows.n_rows);
    const double* v = &rows.values[r * 4];
    if (std::isnan(age)) {
      EXPECT_TRUE(std::isnan(v[0])) << "row " << r;
    } else {
      EXPECT_EQ(v[0], age) << "row " << r;
    }
    EXPECT_EQ(v[1], sex ? schema_.EncodeString(1, sex) : kNoneCode) << "row " << r;
    EXPECT_EQ(v[2], embarked ? schema_.EncodeString(2, embarked) : kNoneCode) << "row " << r;
    EXPECT_EQ(v[3], fare) << "row " << r;
  }

  InputSchema schema_;
  InputSpec spec_;
};

TEST(ParseRows, JsonArray) {
  auto r = ParseRows("[[1, 2.5], [3, -4e2]]", "x");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->n_rows, 2u);
  EXPECT_EQ(r->n_cols, 2u);
  EXPECT_EQ(r->values, (std::vector<double>{1, 2.5, 3, -400}));
}

TEST(ParseRows, JsonInstancesAndNull) {
  auto r = ParseRows("{\"instances\": [[1, null]]}", "x");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::isnan(r->values[1]));
}

TEST(ParseRows, RaggedIsAnError) {
  auto r = ParseRows("[[1, 2], [3]]", "rows.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "rows.json: row 1 has 1 values, row 0 has 2");
}

TEST(ParseRows, NonNumberIsAnError) {
  auto r = ParseRows("[[1, \"a\"]]", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "x: row 0: column 'x1' expects a number (got string 'a')");
}

TEST(ParseRows, InvalidJson) {
  EXPECT_FALSE(ParseRows("[[1, 2]", "x").ok());
  EXPECT_FALSE(ParseRows("   ", "x").ok());
  EXPECT_FALSE(ParseRows("[]", "x").ok());
}

TEST(ParseRows, CsvWithHeader) {
  auto r = ParseRows("a,b,c\n1,2,3\n4, 5 ,6\r\n\n", "x");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->n_rows, 2u);
  EXPECT_EQ(r->values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(ParseRows, CsvBadField) {
  auto r = ParseRows("1,2\n3,x\n", "d.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "d.csv: line 2 (row 1): column 'x1' expects a number (got string 'x')");
}

TEST(ParseRows, CsvMissingWordsAndEmptyCells) {
  auto r = ParseRows("1,,nan\nNA,\"\",3\n", "x");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->values.size(), 6u);
  for (size_t i : {1, 2, 3, 4}) EXPECT_TRUE(std::isnan(r->values[i])) << i;
  EXPECT_EQ(r->values[0], 1);
  EXPECT_EQ(r->values[5], 3);
}

TEST(ParseRows, MissingRefusedWhenTheModelDoesNot) {
  InputSpec spec;
  spec.n_features = 2;
  auto r = cli::ParseRows("1,2\n3,\n", "m.csv", spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "m.csv: line 2 (row 1): column 'x1' is missing a value, which this model does not accept");
  r = cli::ParseRows("[[1, null]]", "m.json", spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "m.json: row 0: column 'x1' is missing a value, which this model does not accept");
}

TEST(ParseRows, WidthIsTheModels) {
  InputSpec spec;
  spec.n_features = 3;
  auto r = cli::ParseRows("[[1, 2]]", "w.json", spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "w.json: row 0: rows have 2 values, the model expects 3 features");
  r = cli::ParseRows("1,2,3\n1,2\n", "w.csv", spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "w.csv: line 2 (row 1): rows have 2 values, the model expects 3 features");
}

TEST_F(TabularRows, CsvHeaderInAnyOrderWithQuotingAndMissing) {
  auto r = Parse(
      "fare,\"sex\",embarked,age\r\n"
      "7.25,male,S,22\r\n"
      "\"71.2833\",female,\"C\",\n"
      "\n"
      "8.05,male,,35\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->n_rows, 3u);
  ExpectRow(*r, 0, 22, "male", "S", 7.25);
  ExpectRow(*r, 1, NAN, "female", "C", 71.2833);
  EXPECT_TRUE(std::isnan(r->values[2 * 4 + 2]));  // an empty string cell is NaN, not None
  EXPECT_EQ(r->values[2 * 4 + 1], schema_.EncodeString(1, "male"));
}

TEST_F(TabularRows, CsvQuotedFieldsHoldCommasQuotesAndLineBreaks) {
  auto r = Parse("age,sex,embarked,fare\n1,male,\"a,\"\"b\"\"\nc\",2\n3,female,Q,4\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->n_rows, 2u);
  EXPECT_EQ(r->values[2], kUnknownStringCode);  // embarked allows unknown strings
  ExpectRow(*r, 1, 3, "female", "Q", 4);
  // Line numbers count the line break inside the quoted field.
  auto bad = Parse("age,sex,embarked,fare\n1,male,\"x\ny\",2\n3,robot,Q,4\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "r.csv: line 4 (row 1): column 'sex' has unknown category 'robot'");
}

TEST_F(TabularRows, CsvStringCellsKeepTheirSpacesNumbersDoNot) {
  auto r = Parse("age,sex,embarked,fare\n 22 ,male, S,7.25\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->values[0], 22);
  EXPECT_EQ(r->values[2], kUnknownStringCode);  // " S" is not "S", as in pandas
}

TEST_F(TabularRows, CsvHeaderErrors) {
  auto r = Parse("age,sex,fare\n1,male,2\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.csv: line 1 (the header): missing column 'embarked'");
  r = Parse("age,sex,embarked,fare,cabin\n1,male,S,2,C85\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("r.csv: line 1 (the header): unknown column 'cabin'"), std::string::npos)
      << r.status().message();
  r = Parse("age,sex,age,embarked,fare\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.csv: line 1 (the header): column 'age' is given twice");
  r = Parse("age,sex,embarked,fare\n1,male,S\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.csv: line 2 (row 0): has 3 values, the header has 4");
  r = Parse("age,sex,embarked,fare\n1,male,\"S\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.csv: malformed CSV: the quoted field opened on line 2 is not closed");
  r = Parse("age,sex,embarked,fare\nold,male,S,1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.csv: line 2 (row 0): column 'age' expects a number (got string 'old')");
}

TEST_F(TabularRows, CsvByteOrderMarkIsNotPartOfTheHeader) {
  auto r = Parse(
      "\xEF\xBB\xBF"
      "age,sex,embarked,fare\n22,male,S,7.25\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectRow(*r, 0, 22, "male", "S", 7.25);
}

TEST_F(TabularRows, CsvExtraColumnsIgnoredWhenAsked) {
  spec_.ignore_extra_columns = true;
  auto r = Parse("cabin,age,sex,embarked,fare\nC85,22,male,S,7.25\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectRow(*r, 0, 22, "male", "S", 7.25);
}

TEST_F(TabularRows, CsvWithoutHeaderIsInColumnOrder) {
  auto r = Parse("22,1,2,7.25\n");  // all numbers: data (a CSV cell in a string column is a string)
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.csv: line 1 (row 0): column 'sex' has unknown category '1'");
  // A named model's first line with strings is a header: its names must be the model's.
  r = Parse("22,male,S,7.25\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 1 (the header): unknown column '22'"), std::string::npos);
}

TEST_F(TabularRows, JsonRecordsAnyOrderNullIsNone) {
  auto r = Parse(R"([{"fare": 7.25, "sex": "male", "embarked": "S", "age": 22},
                     {"age": null, "sex": "female", "embarked": null, "fare": 1}])");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->n_rows, 2u);
  ExpectRow(*r, 0, 22, "male", "S", 7.25);
  ExpectRow(*r, 1, NAN, "female", nullptr, 1);
}

TEST_F(TabularRows, JsonRecordErrorsNameRowAndColumn) {
  auto r = Parse(R"([{"age": 1, "sex": "male", "embarked": "S", "fare": 2}, {"age": 1, "sex": "male", "fare": 2}])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.json: row 1: missing column 'embarked'");
  r = Parse(R"([{"age": 1, "sex": "robot", "embarked": "S", "fare": 2}])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.json: row 0: column 'sex' has unknown category 'robot'");
  r = Parse(R"([{"age": "x", "sex": "male", "embarked": "S", "fare": 2}])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.json: row 0: column 'age' expects a number (got string 'x')");
  r = Parse(R"([{"age": 1, "sex": "male", "embarked": "S", "fare": 2, "cabin": "C"}])");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("r.json: row 0: unknown column 'cabin'"), std::string::npos);
  spec_.ignore_extra_columns = true;
  EXPECT_TRUE(Parse(R"([{"age": 1, "sex": "male", "embarked": "S", "fare": 2, "cabin": "C"}])").ok());
  r = Parse(R"([{"age": 1, "sex": "male", "embarked": "S", "fare": 2}, [1, "male", "S", 2]])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.json: row 1 is an array but row 0 is not (all rows take one form)");
}

TEST_F(TabularRows, JsonArraysWithStringsAndInstances) {
  auto r = Parse(R"({"instances": [[22, "male", "S", 7.25], [null, "female", "C", 3]]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectRow(*r, 0, 22, "male", "S", 7.25);
  ExpectRow(*r, 1, NAN, "female", "C", 3);
  r = Parse(R"([[22, "male", "S"]])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "r.json: row 0: rows have 3 values, the model expects 4 features (age, sex, embarked, fare)");
}

TEST_F(TabularRows, JsonSplit) {
  auto r = Parse(R"({"columns": ["sex", "age", "fare", "embarked"], "index": [0, 1],
                     "data": [["male", 22, 7.25, "S"], ["female", 38, 71.28, "C"]]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectRow(*r, 0, 22, "male", "S", 7.25);
  ExpectRow(*r, 1, 38, "female", "C", 71.28);
  r = Parse(R"({"dataframe_split": {"columns": ["sex", "age", "fare", "embarked"], "data": [["male", 22, 7.25]]}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.json: row 0 of \"data\" has 3 values, \"columns\" has 4");
  r = Parse(R"({"columns": ["sex", "age", "fare"], "data": []})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "r.json: \"columns\": missing column 'embarked'");
}

// An unnamed model (x0, x1, ...) keeps the old CSV rule: a non-numeric first line is skipped,
// unless it names the model's columns.
TEST(ParseRows, UnnamedModelSkipsAnArbitraryHeaderOrMapsX0) {
  InputSchema schema({{"x0", InputColumn::Type::kNumber, {}, false}, {"x1", InputColumn::Type::kNumber, {}, false}},
                     /*named=*/false);
  InputSpec spec;
  spec.n_features = 2;
  spec.schema = &schema;
  auto r = cli::ParseRows("sepal,petal\n1,2\n", "u.csv", spec);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->values, (std::vector<double>{1, 2}));
  r = cli::ParseRows("x1,x0\n1,2\n", "u.csv", spec);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->values, (std::vector<double>{2, 1}));
}

}  // namespace
}  // namespace inferd::cli
