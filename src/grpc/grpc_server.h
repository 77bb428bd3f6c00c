// The gRPC transport: the Open Inference Protocol's inference.GRPCInferenceService (every call
// through the one request path, serving/inference.h), gRPC's standard health service
// (grpc.health.v1.Health, Check and Watch) and server reflection, on one port beside HTTP.
//
// What the REST side guarantees holds here too: calls beyond max_inflight are shed with
// RESOURCE_EXHAUSTED and a retry hint (grpc-retry-pushback-ms), a call whose client deadline
// (grpc-timeout) has passed before it runs is not run and a result computed after the server's
// request_timeout is not sent (both DEADLINE_EXCEEDED), messages beyond max_message_bytes get RESOURCE_EXHAUSTED, every
// call has a request id (the client's x-request-id metadata or a generated one, sent back in the initial metadata),
// ModelInfer is counted in the per-model metrics with protocol="grpc", and calls are logged as JSON lines when
// log_requests is set.
//
// Health: the services "" and "inference.GRPCInferenceService" are SERVING while ready() holds
// (Check reads it; Watch streams re-read it every 100 ms and at UpdateHealth), "liveness" until
// Shutdown, so a liveness probe does not fail during a drain.
//
// The transport is inferd's own (grpc_transport.h, on libnghttp2): calls run on its event-loop
// threads, like the HTTP server's requests.
//
// Thread safety: every method may be called from any thread.
#ifndef INFERD_GRPC_GRPC_SERVER_H_
#define INFERD_GRPC_GRPC_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "inferd/status.h"
#include "serving/inference.h"
#include "serving/model_control.h"

namespace inferd::grpc_api {

struct GrpcServerOptions {
  std::string host = "0.0.0.0";
  // 0 picks a free port (tests); `inferd serve --grpc-port 0` starts no gRPC server at all.
  uint16_t port = 8081;
  // Event-loop threads (the HTTP server's --threads).
  size_t threads = 1;
  // Largest request message (the REST body limit); larger ones get RESOURCE_EXHAUSTED.
  size_t max_message_bytes = size_t{8} << 20;
  // ModelInfer calls running at once beyond which calls are shed; 0 = unlimited.
  size_t max_inflight = 0;
  // Value of grpc-retry-pushback-ms on shed calls, in seconds.
  int retry_after_seconds = 1;
  // The server's own deadline for a ModelInfer call, from its start; 0 = none (the client's
  // grpc-timeout still applies).
  std::chrono::milliseconds request_timeout{0};
  // A call's request not complete this long after its headers gets DEADLINE_EXCEEDED; a
  // connection without calls this long is closed (the HTTP side's read and idle timeouts).
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  bool log_requests = false;
  std::string server_version = "dev";
  // Serves the repository calls when set (--enable-model-control); else they are
  // PERMISSION_DENIED, as the REST routes answer 403.
  ModelControl* control = nullptr;
  // The server's readiness (ServerReady and the health service).
  std::function<bool()> ready;
};

class GrpcServer {
 public:
  // Binds the port and starts serving. `inference` must outlive the server.
  static StatusOr<std::unique_ptr<GrpcServer>> Create(const GrpcServerOptions& options,
                                                      const InferenceService* inference);
  // Shuts down at once if Shutdown was not called.
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  uint16_t port() const;
  // Re-reads ready() into the health service now (the drain calls it).
  void UpdateHealth();
  // Stops accepting calls; calls in flight may finish until `deadline`, then are cancelled.
  // Returns true if every call finished in time.
  bool Shutdown(std::chrono::steady_clock::time_point deadline);

 private:
  struct Impl;
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inferd::grpc_api

#endif  // INFERD_GRPC_GRPC_SERVER_H_
