// ServerApp: the composition root — the model manager, the one request path
// (serving/inference.h), the route table, the metrics and the HTTP server — with the readiness
// state the lifecycle (start, drain, stop) drives.
//
// gRPC (when options.grpc_enabled): grpc/grpc_server.h on its own port, over the same request
// path, with readiness mirrored into gRPC's health service.
//
// Routes: the reference API (/predict, /transform), the KServe V2, TF Serving / V1 and MLflow
// scoring protocols, GET /openapi.json and GET / (http/protocols/), and the server's own
// GET /healthz (alive), GET /readyz (every configured model is loaded and warmed and the server
// is not draining) and GET /metrics (Prometheus text).
//
// Thread safety: every method may be called from any thread.
#ifndef INFERD_APP_SERVER_APP_H_
#define INFERD_APP_SERVER_APP_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "grpc/grpc_server.h"
#include "http/router.h"
#include "http/server.h"
#include "metrics/server_metrics.h"
#include "serving/inference.h"
#include "serving/model_control.h"
#include "serving/model_manager.h"

namespace inferd {

struct ServerAppOptions {
  http::HttpServerOptions http;
  InferenceOptions inference;
  // Reported as inferd_build_info{version}.
  std::string version = "dev";
  // Serves POST /v2/repository/models/{name}/load|unload when set (--enable-model-control).
  ModelControl* control = nullptr;
  // The gRPC server beside HTTP (`inferd serve --grpc-port`, 0 = none). Its version, control,
  // readiness, limits and timeouts are filled from the fields above.
  bool grpc_enabled = false;
  grpc_api::GrpcServerOptions grpc;
};

class ServerApp {
 public:
  // Binds the listening sockets (so a busy port fails here) and serves `model` once started.
  static StatusOr<std::unique_ptr<ServerApp>> Create(const ServerAppOptions& options,
                                                     std::shared_ptr<const ServedModel> model);
  // Same, serving the models in `models` (shared with whatever reloads them).
  static StatusOr<std::unique_ptr<ServerApp>> Create(const ServerAppOptions& options,
                                                     std::shared_ptr<ModelManager> models);
  // Stops the server first.
  ~ServerApp();
  ServerApp(const ServerApp&) = delete;
  ServerApp& operator=(const ServerApp&) = delete;

  uint16_t port() const { return server_->port(); }
  // The gRPC port, or 0 without gRPC.
  uint16_t grpc_port() const { return grpc_ ? grpc_->port() : 0; }
  void Start() { server_->Start(); }
  // Readiness turns false at once (gRPC health: NOT_SERVING); requests are still served (the
  // drain period).
  void SetDraining();
  bool ready() const { return !draining_.load(std::memory_order_acquire) && models_->AllExpectedLoaded(); }
  // Stops accepting and closes connections as their in-flight request completes.
  void Shutdown() { server_->Shutdown(); }
  // Stops gRPC (its calls in flight may finish until `deadline`) and waits for HTTP (see
  // HttpServer::Wait). True if everything finished in time.
  bool Wait(std::chrono::steady_clock::time_point deadline);

  ModelManager& models() { return *models_; }
  ServerMetrics& metrics() { return *metrics_; }

 private:
  ServerApp(const ServerAppOptions& options, std::shared_ptr<ModelManager> models);
  void BuildRoutes();

  const ServerAppOptions options_;
  std::shared_ptr<ModelManager> models_;
  std::atomic<bool> draining_{false};
  InferenceService inference_;
  http::Router router_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<grpc_api::GrpcServer> grpc_;
};

}  // namespace inferd

#endif  // INFERD_APP_SERVER_APP_H_
