// Status and StatusOr<T>: errors as values (no exceptions on the request path).
//
// Thread safety: plain values; const methods are safe to call concurrently.
#ifndef INFERD_STATUS_H_
#define INFERD_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace inferd {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from a client or a malformed file -> HTTP 400
  kNotFound,            // -> 404
  kUnimplemented,       // unsupported estimator / feature -> 501
  kFailedPrecondition,  // e.g. proba on a model without predict_proba -> 400
  kResourceExhausted,   // a size limit was hit -> 413 / refused file
  kUnavailable,         // overloaded or draining -> 503
  kInternal,            // a bug; should never happen
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<prefix>: <message>" (e.g. the file name).
  Status WithPrefix(std::string_view prefix) const {
    if (ok()) return *this;
    return Status(code_, std::string(prefix) + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status s) : status_(std::move(s)) { assert(!status_.ok()); }  // NOLINT: implicit by design
  StatusOr(T v) : value_(std::move(v)) {}                                // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace inferd

// Returns early from the enclosing function if `expr` is not OK.
#define INFERD_RETURN_IF_ERROR(expr)       \
  do {                                     \
    ::inferd::Status _inferd_s = (expr);   \
    if (!_inferd_s.ok()) return _inferd_s; \
  } while (0)

#define INFERD_CONCAT_INNER_(a, b) a##b
#define INFERD_CONCAT_(a, b) INFERD_CONCAT_INNER_(a, b)
// `INFERD_ASSIGN_OR_RETURN(auto x, F());` declares x from a StatusOr or returns its error.
#define INFERD_ASSIGN_OR_RETURN(lhs, expr)                                                                \
  auto INFERD_CONCAT_(_inferd_or_, __LINE__) = (expr);                                                    \
  if (!INFERD_CONCAT_(_inferd_or_, __LINE__).ok()) return INFERD_CONCAT_(_inferd_or_, __LINE__).status(); \
  lhs = std::move(INFERD_CONCAT_(_inferd_or_, __LINE__)).value()

#endif  // INFERD_STATUS_H_
