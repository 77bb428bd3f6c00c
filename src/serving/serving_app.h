// ServingApp: the assembled server — model manager, routes, metrics and the HTTP server —
// with the readiness state the lifecycle (start, drain, stop) drives.
//
// Routes: POST /predict (reference API), POST /transform, the KServe V2 and TF Serving / V1
// protocols (http/protocols/), GET /healthz (alive), GET /readyz (every configured model is
// loaded and warmed and the server is not draining), GET /metrics (Prometheus text).
//
// Thread safety: every method may be called from any thread.
#ifndef INFERD_SERVING_SERVING_APP_H_
#define INFERD_SERVING_SERVING_APP_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "http/protocols/reference_predict.h"
#include "http/protocols/transform.h"
#include "http/protocols/v2_infer.h"
#include "http/router.h"
#include "http/server.h"
#include "metrics/server_metrics.h"
#include "serving/model_manager.h"

namespace inferd {

struct ServingAppOptions {
  http::HttpServerOptions http;
  http::ReferencePredictOptions predict;
  // Reported as inferd_build_info{version}.
  std::string version = "dev";
  // Serves POST /v2/repository/models/{name}/load|unload when set (--enable-model-control).
  http::ModelControl* control = nullptr;
};

class ServingApp {
 public:
  // Binds the listening sockets (so a busy port fails here) and serves `model` once started.
  static StatusOr<std::unique_ptr<ServingApp>> Create(const ServingAppOptions& options,
                                                      std::shared_ptr<const ServedModel> model);
  // Same, serving the models in `models` (shared with whatever reloads them).
  static StatusOr<std::unique_ptr<ServingApp>> Create(const ServingAppOptions& options,
                                                      std::shared_ptr<ModelManager> models);
  // Stops the server first, then unhooks the metrics the shared ModelManager points at.
  ~ServingApp();
  ServingApp(const ServingApp&) = delete;
  ServingApp& operator=(const ServingApp&) = delete;

  uint16_t port() const { return server_->port(); }
  void Start() { server_->Start(); }
  // Readiness turns false at once; requests are still served (the drain period).
  void SetDraining() { draining_.store(true, std::memory_order_release); }
  bool ready() const { return !draining_.load(std::memory_order_acquire) && models_->AllExpectedLoaded(); }
  // Stops accepting and closes connections as their in-flight request completes.
  void Shutdown() { server_->Shutdown(); }
  // See HttpServer::Wait.
  bool Wait(std::chrono::steady_clock::time_point deadline) { return server_->Wait(deadline); }

  ModelManager& models() { return *models_; }
  ServerMetrics& metrics() { return *metrics_; }

 private:
  ServingApp(const ServingAppOptions& options, std::shared_ptr<ModelManager> models);
  void BuildRoutes();

  const ServingAppOptions options_;
  std::shared_ptr<ModelManager> models_;
  std::atomic<bool> draining_{false};
  http::ReferencePredictHandler predict_;
  http::TransformHandler transform_;
  http::Router router_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace inferd

#endif  // INFERD_SERVING_SERVING_APP_H_
