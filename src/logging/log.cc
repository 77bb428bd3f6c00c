#include "logging/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/json_number.h"

namespace inferd {
namespace {

std::atomic<int> g_fd{2};
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void AppendEscaped(std::string_view s, std::string* out) { AppendJsonString(std::string(s), out); }

}  // namespace

void SetLogFd(int fd) { g_fd.store(fd, std::memory_order_relaxed); }
void SetMinLogLevel(LogLevel level) { g_min_level.store(static_cast<int>(level), std::memory_order_relaxed); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed); }

std::string LogTimestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

LogLine::LogLine(LogLevel level, std::string_view msg) : enabled_(LogEnabled(level)) {
  if (!enabled_) return;
  buf_.reserve(256);
  buf_ += "{\"ts\":\"";
  buf_ += LogTimestamp();
  buf_ += "\",\"level\":\"";
  buf_ += LevelName(level);
  buf_ += "\",\"msg\":";
  AppendEscaped(msg, &buf_);
}

LogLine::~LogLine() {
  if (!enabled_) return;
  buf_ += "}\n";
  int fd = g_fd.load(std::memory_order_relaxed);
  const char* p = buf_.data();
  size_t left = buf_.size();
  while (left > 0) {  // a pipe may accept a partial write; retry the rest
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing log sink
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void LogLine::Key(std::string_view key) {
  buf_ += ',';
  AppendEscaped(key, &buf_);
  buf_ += ':';
}

LogLine& LogLine::Str(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  Key(key);
  AppendEscaped(value, &buf_);
  return *this;
}

LogLine& LogLine::Int(std::string_view key, int64_t value) {
  if (!enabled_) return *this;
  Key(key);
  AppendInt(value, &buf_);
  return *this;
}

LogLine& LogLine::Double(std::string_view key, double value) {
  if (!enabled_) return *this;
  Key(key);
  AppendPythonFloat(value, &buf_);
  return *this;
}

LogLine& LogLine::Bool(std::string_view key, bool value) {
  if (!enabled_) return *this;
  Key(key);
  buf_ += value ? "true" : "false";
  return *this;
}

LogLine& LogLine::Raw(std::string_view key, std::string_view json) {
  if (!enabled_) return *this;
  Key(key);
  buf_ += json;
  return *this;
}

}  // namespace inferd
