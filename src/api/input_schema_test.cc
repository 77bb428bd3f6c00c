#include "inferd/input_schema.h"

#include <gtest/gtest.h>

#include <cmath>

namespace inferd {
namespace {

InputSchema Titanic() {
  std::vector<InputColumn> cols(3);
  cols[0].name = "age";
  cols[1].name = "sex";
  cols[1].type = InputColumn::Type::kString;
  cols[1].categories = {"male", "female", "male"};
  cols[1].unknown_is_error = true;
  cols[2].name = "ticket";
  cols[2].type = InputColumn::Type::kAny;
  return InputSchema(std::move(cols), true);
}

TEST(StringCode, IsAnExactNonNegativeIntegerAndSeparatesStrings) {
  for (const char* s : {"", "a", "male", "female", "S", "C", "Q", "unknown"}) {
    double c = StringCode(s);
    EXPECT_GE(c, 0.0) << s;
    EXPECT_LT(c, 4503599627370496.0) << s;
    EXPECT_EQ(c, std::floor(c)) << s;
  }
  EXPECT_NE(StringCode("male"), StringCode("female"));
  EXPECT_NE(StringCode("a"), StringCode("b"));
  EXPECT_EQ(StringCode("male"), StringCode(std::string("ma") + "le"));
}

TEST(InputSchema, FindsColumnsByName) {
  InputSchema s = Titanic();
  EXPECT_EQ(s.size(), 3u);
  EXPECT_TRUE(s.named());
  EXPECT_TRUE(s.has_strings());
  EXPECT_EQ(s.Find("age"), 0);
  EXPECT_EQ(s.Find("sex"), 1);
  EXPECT_EQ(s.Find("ticket"), 2);
  EXPECT_EQ(s.Find("Sex"), -1);
  EXPECT_EQ(s.Find(""), -1);
}

TEST(InputSchema, EncodesOnlyKnownStrings) {
  InputSchema s = Titanic();
  EXPECT_EQ(s.columns()[1].categories, (std::vector<std::string>{"female", "male"}));
  EXPECT_EQ(s.EncodeString(1, "male"), StringCode("male"));
  EXPECT_EQ(s.EncodeString(1, "female"), StringCode("female"));
  EXPECT_EQ(s.EncodeString(1, "Male"), kUnknownStringCode);
  EXPECT_EQ(s.EncodeString(0, "male"), kUnknownStringCode);
  EXPECT_EQ(s.EncodeString(7, "male"), kUnknownStringCode);
  ASSERT_NE(s.Decode(1, StringCode("female")), nullptr);
  EXPECT_EQ(*s.Decode(1, StringCode("female")), "female");
  EXPECT_EQ(s.Decode(1, kNoneCode), nullptr);
  EXPECT_EQ(s.Decode(1, std::nan("")), nullptr);
  EXPECT_EQ(s.Decode(0, StringCode("female")), nullptr);
}

TEST(InputSchema, EmptyAndCopyable) {
  InputSchema empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.has_strings());
  EXPECT_EQ(empty.Find("x0"), -1);
  InputSchema a = Titanic();
  InputSchema b = a;
  EXPECT_EQ(b.Find("sex"), 1);
  EXPECT_EQ(b.EncodeString(1, "male"), StringCode("male"));
  EXPECT_STREQ(InputTypeName(InputColumn::Type::kString), "string");
}

}  // namespace
}  // namespace inferd
