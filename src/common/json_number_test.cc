#include "common/json_number.h"

#include <gtest/gtest.h>

#include <limits>

namespace inferd {
namespace {

// Expected strings are what CPython's repr(float) prints.
TEST(PythonFloat, MatchesRepr) {
  EXPECT_EQ(PythonFloat(1.0), "1.0");
  EXPECT_EQ(PythonFloat(-2.5), "-2.5");
  EXPECT_EQ(PythonFloat(0.1), "0.1");
  EXPECT_EQ(PythonFloat(0.0), "0.0");
  EXPECT_EQ(PythonFloat(-0.0), "-0.0");
  EXPECT_EQ(PythonFloat(1e-05), "1e-05");
  EXPECT_EQ(PythonFloat(0.0001), "0.0001");
  EXPECT_EQ(PythonFloat(1e16), "1e+16");
  EXPECT_EQ(PythonFloat(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(PythonFloat(1.5e300), "1.5e+300");
  EXPECT_EQ(PythonFloat(123.456), "123.456");
  EXPECT_EQ(PythonFloat(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(PythonFloat(2.5e-7), "2.5e-07");
  EXPECT_EQ(PythonFloat(100.0), "100.0");
  EXPECT_EQ(PythonFloat(std::numeric_limits<double>::quiet_NaN()), "null");
}

TEST(JsonString, Escapes) {
  std::string out;
  AppendJsonString("a\"b\\c\n\x01", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\"");
}

}  // namespace
}  // namespace inferd
