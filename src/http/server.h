// HttpServer: an HTTP/1.1 keep-alive server on Boost.Beast, shaped by the measurements in
// docs/http-performance.md: one io_context + acceptor per thread (SO_REUSEPORT, so the kernel
// spreads connections and threads share nothing), responses serialised once into bytes and
// written with a single async_write, a request parser emplaced per request with header and
// body limits, TCP_NODELAY, and a coarse once-a-second idle sweep instead of per-read timers.
//
// Handlers run inline on the connection's thread; they must be fast and thread-safe.
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
  // One JSON log line per request (method, path, status, duration).
  bool log_requests = false;
};

class HttpServer {
 public:
  // `router` and `metrics` must outlive the server; metrics needs >= options.threads shards
  // and router.MetricLabels().size() routes.
  static StatusOr<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                      const Router* router, ServerMetrics* metrics);
  virtual ~HttpServer() = default;

  // The bound port (the chosen one when options.port was 0).
  virtual uint16_t port() const = 0;
  // Starts the threads. Call once.
  virtual void Start() = 0;
  // Stops accepting, closes idle keep-alive connections, and closes busy ones once their
  // current response is written (answering it with "Connection: close"). Thread-safe, idempotent.
  virtual void Shutdown() = 0;
  // Blocks until every connection is finished and the threads have exited, or until
  // `deadline`, after which remaining connections are dropped. Returns true if nothing was
  // dropped. REQUIRES: Start() was called.
  virtual bool Wait(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace inferd::http

#endif  // INFERD_HTTP_SERVER_H_
