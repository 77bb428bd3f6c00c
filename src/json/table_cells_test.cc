#include "json/table_cells.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace inferd {
namespace {

namespace od = simdjson::ondemand;

InputSchema Schema() {
  std::vector<InputColumn> cols(4);
  cols[0].name = "age";
  cols[1].name = "sex";
  cols[1].type = InputColumn::Type::kString;
  cols[1].categories = {"female", "male"};
  cols[1].unknown_is_error = true;
  cols[2].name = "embarked";
  cols[2].type = InputColumn::Type::kString;
  cols[2].categories = {"C", "S"};
  cols[3].name = "ticket";
  cols[3].type = InputColumn::Type::kAny;
  return InputSchema(std::move(cols), true);
}

struct Fixture {
  InputSchema schema = Schema();
  InputSpec spec;
  Fixture(bool allow_missing = true) {
    spec.n_features = 4;
    spec.schema = &schema;
    spec.allow_missing = allow_missing;
  }
};

Status Row(const InputSpec& spec, const std::string& json, double* row) {
  od::parser parser;
  simdjson::padded_string padded(json);
  od::document doc = parser.iterate(padded);
  od::object obj = doc.get_object();
  return DecodeJsonNamedRow(obj, spec, row);
}

TEST(TableCells, NamedRowFollowsPandasRules) {
  Fixture f;
  double row[4];
  ASSERT_TRUE(Row(f.spec, R"({"sex": "male", "ticket": "A/5", "embarked": null, "age": 22.5})", row).ok());
  EXPECT_EQ(row[0], 22.5);
  EXPECT_EQ(row[1], StringCode("male"));
  EXPECT_EQ(row[2], kNoneCode);
  EXPECT_EQ(row[3], kUnknownStringCode);
  ASSERT_TRUE(Row(f.spec, R"({"sex": "female", "ticket": 3, "embarked": "Q", "age": null})", row).ok());
  EXPECT_TRUE(std::isnan(row[0]));
  EXPECT_EQ(row[2], kUnknownStringCode);
  EXPECT_EQ(row[3], 3.0);
  ASSERT_TRUE(Row(f.spec, R"({"sex": "female", "ticket": 3, "embarked": NaN, "age": 1})", row).ok());
  EXPECT_TRUE(std::isnan(row[2]));
}

TEST(TableCells, NamedRowErrorsNameTheColumn) {
  Fixture f;
  double row[4];
  auto msg = [&](const std::string& json) { return Row(f.spec, json, row).message(); };
  EXPECT_EQ(msg(R"({"sex": "male", "ticket": 1, "embarked": "S"})"), "missing column 'age'");
  EXPECT_NE(
      msg(R"({"sex": "male", "ticket": 1, "embarked": "S", "age": 1, "cabin": "B"})").find("unknown column 'cabin'"),
      std::string::npos);
  EXPECT_EQ(msg(R"({"sex": "male", "ticket": 1, "embarked": "S", "age": "old"})"),
            "column 'age' expects a number (got string 'old')");
  EXPECT_EQ(msg(R"({"sex": 1, "ticket": 1, "embarked": "S", "age": 1})"), "column 'sex' expects a string (got number)");
  EXPECT_EQ(msg(R"({"sex": "robot", "ticket": 1, "embarked": "S", "age": 1})"),
            "column 'sex' has unknown category 'robot'");
  EXPECT_EQ(msg(R"({"sex": "male", "sex": "male", "ticket": 1, "embarked": "S", "age": 1})"),
            "column 'sex' is given twice");
  EXPECT_EQ(msg(R"({"sex": true, "ticket": 1, "embarked": "S", "age": 1})"),
            "column 'sex' expects a string (got boolean)");
  f.spec.ignore_extra_columns = true;
  EXPECT_TRUE(Row(f.spec, R"({"sex": "male", "ticket": 1, "embarked": "S", "age": 1, "cabin": "B"})", row).ok());
}

TEST(TableCells, MissingRefusedWhenTheModelDoesNot) {
  Fixture f(/*allow_missing=*/false);
  double row[4];
  EXPECT_EQ(Row(f.spec, R"({"sex": "male", "ticket": 1, "embarked": "S", "age": null})", row).message(),
            "column 'age' is missing a value, which this model does not accept");
  // None in a string column is a category, not a missing number.
  EXPECT_TRUE(Row(f.spec, R"({"sex": "male", "ticket": 1, "embarked": null, "age": 3})", row).ok());
}

TEST(TableCells, TextCellsReadLikeReadCsv) {
  Fixture f;
  double v = 0;
  ASSERT_TRUE(DecodeTextCell("7.25", f.spec, 0, &v).ok());
  EXPECT_EQ(v, 7.25);
  ASSERT_TRUE(DecodeTextCell("", f.spec, 0, &v).ok());
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(DecodeTextCell("", f.spec, 1, &v).ok());
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(DecodeTextCell("male", f.spec, 1, &v).ok());
  EXPECT_EQ(v, StringCode("male"));
  ASSERT_TRUE(DecodeTextCell("NaN", f.spec, 0, &v).ok());
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(DecodeTextCell("NA", f.spec, 1, &v).ok());  // read_csv: NaN in object columns too
  EXPECT_TRUE(std::isnan(v));
  EXPECT_FALSE(DecodeTextCell("abc", f.spec, 0, &v).ok());
  EXPECT_FALSE(DecodeTextCell("inf", f.spec, 0, &v).ok());
  ASSERT_TRUE(DecodeTextCell(" 7.25\t", f.spec, 0, &v).ok());  // read_csv ignores spaces around numbers
  EXPECT_EQ(v, 7.25);
  ASSERT_TRUE(DecodeTextCell(" male", f.spec, 2, &v).ok());  // ... but keeps string cells as written
  EXPECT_EQ(v, kUnknownStringCode);
  ASSERT_TRUE(DecodeTextCell("A/5", f.spec, 3, &v).ok());
  EXPECT_EQ(v, kUnknownStringCode);
}

TEST(TableCells, MapperWithoutSchemaUsesPositionalNames) {
  InputSpec spec;
  spec.n_features = 2;
  ColumnMapper m(spec);
  EXPECT_EQ(*m.Add("x1"), 1);
  EXPECT_EQ(m.CheckComplete().message(), "missing column 'x0'");
  EXPECT_EQ(*m.Add("x0"), 0);
  EXPECT_TRUE(m.CheckComplete().ok());
  EXPECT_FALSE(m.Add("x2").ok());
  ColumnMapper nested(spec);  // a second mapper on the thread keeps its own flags
  EXPECT_EQ(*nested.Add("x0"), 0);
  EXPECT_EQ(nested.CheckComplete().message(), "missing column 'x1'");
  EXPECT_TRUE(m.CheckComplete().ok());
}

}  // namespace
}  // namespace inferd
