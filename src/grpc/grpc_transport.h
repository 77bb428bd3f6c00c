// GrpcTransport: gRPC over HTTP/2 (cleartext, prior knowledge) on libnghttp2 and Asio, shaped
// like the HTTP server (http/server.h): one io_context + listener per thread (SO_REUSEPORT),
// calls handled on their connection's thread. Fully read unary calls are counted at once
// (--max-inflight sheds with RESOURCE_EXHAUSTED); they run right after the read that completed
// them when no other call of the loop is waiting, else they are posted to the end of the loop's
// queue; deadlines are checked before a call runs; the answers of one read leave in one write.
//
// The wire: gRPC's length-prefixed messages (no compression: a compressed message is
// UNIMPLEMENTED, and the server announces grpc-accept-encoding: identity), grpc-timeout,
// x-request-id (the client's or a generated one, sent back in the initial metadata),
// grpc-status/grpc-message trailers (a Trailers-Only answer for a call that fails before any
// message). Untrusted clients: a message beyond max_message_bytes gets RESOURCE_EXHAUSTED as
// soon as its length prefix is read (nothing more is buffered), request headers are bounded,
// streams per connection are bounded by SETTINGS_MAX_CONCURRENT_STREAMS, and HTTP/2 itself
// (framing, HPACK, flow control, PING) is nghttp2's.
//
// Thread safety: Create/port/Post/Shutdown/Wait may be called from any thread. A GrpcCall is
// touched only on its connection's thread (inside the handler's callbacks).
#ifndef INFERD_GRPC_GRPC_TRANSPORT_H_
#define INFERD_GRPC_GRPC_TRANSPORT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferd/status.h"

namespace inferd::grpc_api {

// gRPC's status codes (the values are the wire's).
enum class GrpcCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
};
const char* GrpcCodeName(GrpcCode code);

struct GrpcStatus {
  GrpcCode code = GrpcCode::kOk;
  std::string message;
  bool ok() const { return code == GrpcCode::kOk; }
};

class GrpcCall;

// What a method is: the transport frames and delivers its messages accordingly.
enum class MethodKind {
  kUnknown,       // not served: UNIMPLEMENTED
  kUnary,         // one request, one response; run from the loop's queue
  kUnaryCounted,  // as kUnary, and counted against max_inflight (shed beyond it)
  kStreaming,     // any number of messages each way; delivered as they arrive
};

// The services behind the transport. Called on the call's connection thread.
class GrpcHandler {
 public:
  virtual ~GrpcHandler() = default;
  virtual MethodKind Kind(std::string_view method) const = 0;
  // Runs a unary call: on OK the serialized answer has been appended to `*response` (which
  // may hold the transport's bytes already); on an error `*response` is ignored.
  virtual GrpcStatus Unary(GrpcCall& call, std::string_view request, std::string* response) = 0;
  // Streaming calls: each request message, the client's end of the stream, and every 100 ms
  // while the call is open (a server-streaming method pushes changes from here). The call is
  // valid until OnClosed, after which it must not be touched.
  virtual void OnMessage(GrpcCall& call, std::string_view message) = 0;
  virtual void OnHalfClose(GrpcCall& call) = 0;
  virtual void OnTick(GrpcCall& call) = 0;
  virtual void OnClosed(GrpcCall& call) = 0;
};

// One call, as the handler sees it.
class GrpcCall {
 public:
  virtual ~GrpcCall() = default;
  // "/package.Service/Method"
  virtual std::string_view method() const = 0;
  virtual std::string_view request_id() const = 0;
  // When the call's request was fully read (unary) or its headers arrived (streaming).
  virtual std::chrono::steady_clock::time_point start() const = 0;
  // Sent with the status (unary calls and Finish).
  virtual void AddTrailer(std::string name, std::string value) = 0;
  // The model a unary call used, for the access log.
  virtual void SetLogModel(std::string_view model) = 0;
  // Streaming only: sends one message; ends the call with `status`.
  virtual void Write(std::string message) = 0;
  virtual void Finish(const GrpcStatus& status) = 0;
  // Opaque state a streaming handler keeps with the call (freed with it).
  virtual void SetState(std::shared_ptr<void> state) = 0;
  virtual void* state() const = 0;
};

struct GrpcTransportOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 8081;  // 0 picks a free port
  size_t threads = 1;    // event loops, each with its own listener
  size_t max_message_bytes = size_t{8} << 20;
  size_t max_inflight = 0;  // kUnaryCounted calls read and not answered, server-wide; 0 = none
  int retry_after_seconds = 1;
  // A unary call whose request is not complete this long after its headers: DEADLINE_EXCEEDED.
  std::chrono::seconds read_timeout{30};
  // A connection without any call this long is closed (GOAWAY; clients reconnect).
  std::chrono::seconds idle_timeout{60};
  bool log_requests = false;
};

class GrpcTransport {
 public:
  // Binds and listens, then starts the threads. `handler` must outlive the transport.
  static StatusOr<std::unique_ptr<GrpcTransport>> Create(const GrpcTransportOptions& options, GrpcHandler* handler);
  virtual ~GrpcTransport() = default;
  virtual uint16_t port() const = 0;
  // Calls the handler's OnTick for every open streaming call now, each on its own thread.
  virtual void TickStreams() = 0;
  // Stops accepting connections and new calls (GOAWAY); calls in flight are answered,
  // streaming calls are finished with UNAVAILABLE. Then waits until every connection is
  // closed or `deadline`, after which the rest are dropped. True if nothing was dropped.
  virtual bool Shutdown(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace inferd::grpc_api

#endif  // INFERD_GRPC_GRPC_TRANSPORT_H_
