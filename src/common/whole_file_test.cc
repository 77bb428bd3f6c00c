#include "common/whole_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace inferd {
namespace {

std::string WriteFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f << content;
  return path;
}

TEST(WholeFileReader, HeadThenTheWholeFile) {
  std::string content(200000, 'x');  // longer than one read buffer would be, with a NUL inside
  content[0] = '{';
  content[100] = '\0';
  const std::string path = WriteFile("whole_file_all", content);
  WholeFileReader r;
  ASSERT_TRUE(r.OpenHead(path, 4));
  EXPECT_EQ(r.head(), content.substr(0, 4));
  StatusOr<std::string_view> all = r.ReadAll(content.size());
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(*all, content);
  std::remove(path.c_str());
}

TEST(WholeFileReader, ShortAndEmptyFiles) {
  const std::string short_path = WriteFile("whole_file_short", "ab");
  WholeFileReader r;
  ASSERT_TRUE(r.OpenHead(short_path, 6));
  EXPECT_EQ(r.head(), "ab");
  StatusOr<std::string_view> all = r.ReadAll(100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, "ab");
  const std::string empty_path = WriteFile("whole_file_empty", "");
  WholeFileReader e;
  ASSERT_TRUE(e.OpenHead(empty_path, 4));
  EXPECT_EQ(e.head(), "");
  std::remove(short_path.c_str());
  std::remove(empty_path.c_str());
}

TEST(WholeFileReader, NothingPastTheLimit) {
  const std::string path = WriteFile("whole_file_limit", std::string(1000, 'y'));
  WholeFileReader at_limit;
  ASSERT_TRUE(at_limit.OpenHead(path, 4));
  StatusOr<std::string_view> all = at_limit.ReadAll(1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1000u);
  WholeFileReader over;
  ASSERT_TRUE(over.OpenHead(path, 4));
  StatusOr<std::string_view> refused = over.ReadAll(999);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(), "file is over the limit of 999 bytes");
  // A limit at the top of size_t must not overflow the buffer arithmetic.
  WholeFileReader unbounded;
  ASSERT_TRUE(unbounded.OpenHead(path, 4));
  StatusOr<std::string_view> big = unbounded.ReadAll(SIZE_MAX);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->size(), 1000u);
  std::remove(path.c_str());
}

TEST(WholeFileReader, ReadsPastWhatFstatSaid) {
  // A file whose size fstat does not know (a pipe's 0): the buffer grows as it reads.
  WholeFileReader r;
  ASSERT_TRUE(r.OpenHead("/proc/self/status", 4));
  StatusOr<std::string_view> all = r.ReadAll(1 << 20);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->substr(0, 5), "Name:");
  EXPECT_GT(all->size(), 100u);
}

TEST(WholeFileReader, MissingFile) {
  WholeFileReader r;
  EXPECT_FALSE(r.OpenHead(::testing::TempDir() + "/no_such_whole_file", 4));
}

}  // namespace
}  // namespace inferd
