// HttpServer: an HTTP/1.1 keep-alive server on Boost.Beast, shaped by the measurements in
// docs/http-performance.md: one io_context + acceptor per thread (SO_REUSEPORT, so the kernel
// spreads connections and threads share nothing), responses serialised once into bytes and
// written with a single async_write, a request parser emplaced per request with header and
// body limits, TCP_NODELAY, and a coarse once-a-second idle sweep instead of per-read timers
// (every 100 ms during a shutdown).
//
// Handlers run on the connection's thread; they must be fast and thread-safe. A request that
// has been fully read is not handled inline but posted to the end of its loop's queue, after
// the reads that completed in the same poll: this makes the loop's backlog visible (queue
// depth and queue wait are measured, --max-inflight sheds with 503 and deadlines give 504)
// for the cost of one post per request.
//
// Every answer carries X-Request-Id (the client's, if it sent one of <= 128 characters,
// else a generated one).
//
// Lifecycle: Create() (binds and listens: the port is known and errors are reported before any
// thread starts) -> Start() -> Shutdown() (from any thread) -> Wait(deadline).
//
// Security posture: robust to untrusted clients. Header size, body size and idle time are
// bounded per connection; malformed requests get 400/413/431 and the connection is closed.
#ifndef INFERD_HTTP_SERVER_H_
#define INFERD_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/router.h"
#include "inferd/status.h"
#include "metrics/server_metrics.h"

namespace inferd::http {

struct HttpServerOptions {
  // Address to listen on (IPv4/IPv6 literal or a resolvable name).
  std::string host = "0.0.0.0";
  // 0 picks a free port; see HttpServer::port().
  uint16_t port = 8080;
  // Event-loop threads, each with its own listener (min 1).
  size_t threads = 1;
  // Larger bodies get 413 (checked against Content-Length before the body is read).
  uint64_t max_body_bytes = uint64_t{8} << 20;
  // Larger request headers get 431.
  uint32_t max_header_bytes = 16 * 1024;
  // A connection waiting for (the rest of) a request longer than this is closed.
  std::chrono::seconds idle_timeout{60};
  // A request whose first byte has arrived must be complete (headers and body) within this,
  // else it is answered 408 and the connection closed (slow-loris guard).
  std::chrono::seconds read_timeout{30};
  // Load shedding: requests read and not yet answered (queued + running + being written),
  // server-wide. Beyond it a request is answered 503 with Retry-After without touching the
  // model, as soon as its event-loop thread is free (a model run in progress on that thread
  // finishes first: handlers run on the loop). 0 = unlimited.
  size_t max_inflight = 0;
  // Value of the Retry-After header on shed requests and refused connections.
  int retry_after_seconds = 1;
  // Per-request deadline from the moment the request is fully read; a request still queued
  // at its deadline is answered 504 without running. A client may shorten (never extend) it
  // with "X-Request-Timeout-Ms: N". 0 = none (the header alone then sets it).
  std::chrono::milliseconds request_timeout{0};
  // Open connections, server-wide; a connection beyond it gets one 503 and is closed.
  // 0 = unlimited.
  size_t max_connections = 0;
  // One JSON log line per request (method, path, status, duration, request_id).
  bool log_requests = false;
};

class HttpServer {
 public:
  // `router` and `metrics` must outlive the server; metrics needs >= options.threads shards
  // and router.MetricLabels().size() routes.
  static StatusOr<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options, const Router* router,
                                                      ServerMetrics* metrics);
  virtual ~HttpServer() = default;

  // The bound port (the chosen one when options.port was 0).
  virtual uint16_t port() const = 0;
  // Starts the threads. Call once.
  virtual void Start() = 0;
  // Begins the shutdown without losing a request that a client has sent. The listeners stop
  // taking new handshakes at once (SYNs are dropped; handshakes under way complete and are
  // accepted) and are closed 100 ms later. From now on every request is answered with
  // "Connection: close"; a request started, queued or being answered is finished, and a client
  // that got a keep-alive answer may still send one more request, which is read and answered.
  // A connection waiting for a request is closed once it has been idle for 1 s, counted from
  // the later of the shutdown start and its last answer, never while request bytes are
  // unread; such closes send FIN first and discard late client bytes for a while, so the
  // client sees a clean close rather than a reset. Thread-safe, idempotent.
  virtual void Shutdown() = 0;
  // Blocks until every connection is finished and the threads have exited, or until
  // `deadline`, after which remaining connections are dropped. Returns true if nothing was
  // dropped. REQUIRES: Start() was called.
  virtual bool Wait(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace inferd::http

#endif  // INFERD_HTTP_SERVER_H_
