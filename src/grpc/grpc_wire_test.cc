#include "grpc/grpc_wire.h"

#include <gtest/gtest.h>

namespace inferd::grpc_api {
namespace {

using std::chrono::nanoseconds;

TEST(GrpcWire, ParsesTimeouts) {
  EXPECT_EQ(ParseGrpcTimeout("5S"), nanoseconds(5'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("250m"), nanoseconds(250'000'000));
  EXPECT_EQ(ParseGrpcTimeout("7u"), nanoseconds(7'000));
  EXPECT_EQ(ParseGrpcTimeout("0n"), nanoseconds(0));
  EXPECT_EQ(ParseGrpcTimeout("2M"), nanoseconds(120'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("99999999H"), std::chrono::duration_cast<nanoseconds>(std::chrono::hours(99999999)));
  for (const char* bad : {"", "S", "5", "5s", "-5S", "123456789S", "1.5S", "5 S"}) {
    EXPECT_FALSE(ParseGrpcTimeout(bad).has_value()) << bad;
  }
}

TEST(GrpcWire, PercentEncodesMessages) {
  EXPECT_EQ(PercentEncode("no model named 'x'"), "no model named 'x'");
  EXPECT_EQ(PercentEncode("100%\n\xc3\xa9"), "100%25%0A%C3%A9");
}

TEST(GrpcWire, SplitsMessagesAcrossChunks) {
  std::string bytes = FrameMessage("hello") + FrameMessage("") + FrameMessage(std::string(300, 'z'));
  ASSERT_EQ(bytes.size(), 5u + 5 + 5 + 5 + 300);
  MessageReader reader;
  std::vector<std::string> got;
  for (char c : bytes) {  // one byte at a time
    reader.Append(std::string_view(&c, 1));
    std::string_view m;
    while (reader.Next(1000, &m) == MessageReader::Result::kMessage) got.emplace_back(m);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "hello");
  EXPECT_EQ(got[1], "");
  EXPECT_EQ(got[2], std::string(300, 'z'));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(GrpcWire, RefusesLargeAndCompressedMessagesAtTheirPrefix) {
  MessageReader reader;
  reader.Append(std::string("\0\x7f\xff\xff\xff", 5));  // 2 GB announced, nothing sent
  std::string_view m;
  EXPECT_EQ(reader.Next(1 << 20, &m), MessageReader::Result::kTooLarge);
  EXPECT_EQ(reader.pending_length(), 0x7fffffffu);
  MessageReader zipped;
  zipped.Append(std::string("\x01\0\0\0\x02xy", 7));
  EXPECT_EQ(zipped.Next(1 << 20, &m), MessageReader::Result::kCompressed);
  MessageReader partial;
  partial.Append(std::string("\0\0\0", 3));
  EXPECT_EQ(partial.Next(1 << 20, &m), MessageReader::Result::kNeedMore);
  EXPECT_EQ(partial.buffered(), 3u);
}

}  // namespace
}  // namespace inferd::grpc_api
