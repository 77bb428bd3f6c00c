#include "logging/log.h"

#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace inferd {
namespace {

std::string Capture(void (*emit)()) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  SetLogFd(fds[1]);
  emit();
  SetLogFd(2);
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  return out;
}

TEST(LogTest, OneJsonObjectPerLineWithFieldsInOrder) {
  std::string out = Capture(
      [] { LogInfo("listening").Str("host", "0.0.0.0").Int("port", 8080).Bool("ready", true).Double("s", 0.5); });
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  EXPECT_EQ(out.rfind("{\"ts\":\"", 0), 0u);
  EXPECT_NE(out.find("\"level\":\"info\",\"msg\":\"listening\",\"host\":\"0.0.0.0\",\"port\":8080,"
                     "\"ready\":true,\"s\":0.5}\n"),
            std::string::npos)
      << out;
}

TEST(LogTest, EscapesQuotesAndNewlines) {
  std::string out = Capture([] { LogError("bad \"file\"\nx").Str("path", "a\\b"); });
  EXPECT_NE(out.find(R"("msg":"bad \"file\"\nx","path":"a\\b")"), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1);
}

TEST(LogTest, LevelFilterDropsLowerLevels) {
  std::string out = Capture([] {
    SetMinLogLevel(LogLevel::kWarn);
    LogInfo("dropped");
    LogWarn("kept");
    SetMinLogLevel(LogLevel::kInfo);
  });
  EXPECT_EQ(out.find("dropped"), std::string::npos);
  EXPECT_NE(out.find("\"level\":\"warn\",\"msg\":\"kept\""), std::string::npos);
}

TEST(LogTest, TimestampIsRfc3339Utc) {
  std::string ts = LogTimestamp();
  ASSERT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts[4], '-');
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts.back(), 'Z');
}

}  // namespace
}  // namespace inferd
