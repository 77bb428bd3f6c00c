// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"listening","host":"0.0.0.0","port":8080}
//
// Usage: LogInfo("listening").Str("host", h).Int("port", p);   // written when the temporary dies
//
// Thread safety: every line is assembled in its own buffer and handed to the kernel with a
// single write(2), so lines from concurrent threads never interleave.
#ifndef INFERD_LOGGING_LOG_H_
#define INFERD_LOGGING_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace inferd {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Where lines go. Defaults to fd 2. Tests may redirect to a pipe/file descriptor.
// Not synchronised with in-progress writes: call before starting threads.
void SetLogFd(int fd);
// Lines below this level are dropped (default kInfo).
void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// Formats the current wall-clock time as RFC 3339 UTC with milliseconds.
std::string LogTimestamp();

// One log line under construction. Fields keep insertion order; keys are expected to be
// plain identifiers (they are escaped anyway). Emits on destruction.
class LogLine {
 public:
  LogLine(LogLevel level, std::string_view msg);
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  ~LogLine();

  LogLine& Str(std::string_view key, std::string_view value);
  LogLine& Int(std::string_view key, int64_t value);
  LogLine& Double(std::string_view key, double value);
  LogLine& Bool(std::string_view key, bool value);
  // `json` must already be a valid JSON value (e.g. a pre-rendered label list).
  LogLine& Raw(std::string_view key, std::string_view json);

 private:
  void Key(std::string_view key);
  bool enabled_;
  std::string buf_;
};

inline LogLine LogDebug(std::string_view msg) { return LogLine(LogLevel::kDebug, msg); }
inline LogLine LogInfo(std::string_view msg) { return LogLine(LogLevel::kInfo, msg); }
inline LogLine LogWarn(std::string_view msg) { return LogLine(LogLevel::kWarn, msg); }
inline LogLine LogError(std::string_view msg) { return LogLine(LogLevel::kError, msg); }

}  // namespace inferd

#endif  // INFERD_LOGGING_LOG_H_
