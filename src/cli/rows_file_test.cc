#include "cli/rows_file.h"

#include <gtest/gtest.h>

#include <cmath>

namespace inferd::cli {
namespace {

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
  EXPECT_NE(r.status().message().find("row 0 column 1 is not a number"), std::string::npos);
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
  EXPECT_EQ(r.status().message(), "d.csv: line 2 has a non-numeric field");
}

}  // namespace
}  // namespace inferd::cli
