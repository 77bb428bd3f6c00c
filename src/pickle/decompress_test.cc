#include "pickle/decompress.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "pickle/test_util.h"

namespace inferd::pickle {
namespace {

using testing::ReadFixture;

TEST(DecompressTest, DetectsEveryJoblibContainerByMagic) {
  EXPECT_EQ(DetectContainer(ReadFixture("values.joblib")), Container::kRawPickle);
  EXPECT_EQ(DetectContainer(ReadFixture("values_z3.joblib")), Container::kZlib);
  EXPECT_EQ(DetectContainer(ReadFixture("values.joblib.gz")), Container::kGzip);
  EXPECT_EQ(DetectContainer(ReadFixture("values.joblib.bz2")), Container::kBz2);
  EXPECT_EQ(DetectContainer(ReadFixture("values.joblib.xz")), Container::kXz);
  EXPECT_EQ(DetectContainer(ReadFixture("values.joblib.lzma")), Container::kLzmaAlone);
  EXPECT_EQ(DetectContainer("\x04\x22\x4d\x18"), Container::kLz4Frame);
  EXPECT_EQ(DetectContainer("ZF0x10"), Container::kLegacyZF);
  EXPECT_EQ(DetectContainer("(lp0"), Container::kUnknown);
}

TEST(DecompressTest, AllContainersYieldTheSameStream) {
  const std::string raw = ReadFixture("values.joblib");
  for (const char* name :
       {"values_z3.joblib", "values.joblib.gz", "values.joblib.bz2", "values.joblib.xz", "values.joblib.lzma"}) {
    std::string storage;
    std::string_view stream;
    std::string in = ReadFixture(name);
    Status s = Decompress(in, {}, &storage, &stream);
    ASSERT_TRUE(s.ok()) << name << ": " << s.message();
    EXPECT_EQ(stream, raw) << name;
  }
  std::string storage;
  std::string_view stream;
  ASSERT_TRUE(Decompress(raw, {}, &storage, &stream).ok());
  EXPECT_EQ(stream.data(), raw.data());  // raw pickles are not copied
}

TEST(DecompressTest, TrailingGarbageAndCorruption) {
  std::string gz = ReadFixture("values.joblib.gz");
  std::string storage;
  std::string_view stream;
  Status s = Decompress(gz + "junk", {}, &storage, &stream);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("4 unexpected bytes after the end of the gzip stream"), std::string::npos) << s.message();
  std::string z = ReadFixture("values_z3.joblib");
  z[20] ^= 0x55;
  z[21] ^= 0x55;
  s = Decompress(z, {}, &storage, &stream);
  EXPECT_FALSE(s.ok());
  s = Decompress(std::string("ZF0x00"), {}, &storage, &stream);
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
}

TEST(DecompressTest, Limits) {
  ReadLimits l;
  EXPECT_EQ(DecompressedLimit(1000, l), 1000 * 1000 + (1u << 20));
  l.max_decompressed_bytes = 2000;
  EXPECT_EQ(DecompressedLimit(1000, l), 2000u);
  std::string storage;
  std::string_view stream;
  Status s = Decompress(ReadFixture("values.joblib.xz"), l, &storage, &stream);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("xz data decompresses to more than 2000 bytes"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace inferd::pickle
