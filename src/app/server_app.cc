#include "app/server_app.h"

#include "http/protocols/mlflow_protocol.h"
#include "http/protocols/openapi.h"
#include "http/protocols/reference_protocol.h"
#include "http/protocols/v1_protocol.h"
#include "http/protocols/v2_protocol.h"
#include "http/protocols/web_ui.h"

namespace inferd {

ServerApp::ServerApp(const ServerAppOptions& options, std::shared_ptr<ModelManager> models)
    : options_(options), models_(std::move(models)), inference_(models_.get(), options.inference) {}

ServerApp::~ServerApp() {
  grpc_.reset();
  server_.reset();
}

void ServerApp::SetDraining() {
  draining_.store(true, std::memory_order_release);
  if (grpc_) grpc_->UpdateHealth();
}

bool ServerApp::Wait(std::chrono::steady_clock::time_point deadline) {
  const bool grpc_clean = grpc_ ? grpc_->Shutdown(deadline) : true;
  const bool http_clean = server_->Wait(deadline);
  return grpc_clean && http_clean;
}

void ServerApp::BuildRoutes() {
  // /predict first: exact routes are scanned in order, so the hot path compares one string.
  http::RegisterReferenceRoutes(&inference_, &router_);
  router_.Add(http::Verb::get, "/healthz",
              [](const http::Request&, http::Response* resp) { resp->body = "{\"status\":\"alive\"}\n"; });
  router_.Add(http::Verb::get, "/readyz", [this](const http::Request&, http::Response* resp) {
    if (draining_.load(std::memory_order_acquire)) return resp->Error(503, "draining");
    if (!models_->AllExpectedLoaded()) return resp->Error(503, "not every configured model is loaded");
    resp->body = "{\"status\":\"ready\"}\n";
  });
  http::V2Options v2;
  v2.server_version = options_.version;
  v2.ready = [this] { return ready(); };
  v2.control = options_.control;
  http::RegisterV2Routes(&inference_, std::move(v2), &router_);
  http::RegisterV1Routes(&inference_, &router_);
  http::MlflowOptions mlflow;
  mlflow.server_version = options_.version;
  mlflow.ready = [this] { return ready(); };
  http::RegisterMlflowRoutes(&inference_, std::move(mlflow), &router_);
  router_.Add(http::Verb::get, "/metrics", [this](const http::Request&, http::Response* resp) {
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics_->Render(&resp->body);
  });
  // GET /openapi.json documents every route above (tests/integration/test_openapi.py checks it).
  http::RegisterOpenApiRoute(models_.get(), options_.inference.ignore_extra_columns, &router_);
  http::RegisterWebUiRoute(models_.get(), options_.version, &router_);
}

StatusOr<std::unique_ptr<ServerApp>> ServerApp::Create(const ServerAppOptions& options,
                                                       std::shared_ptr<const ServedModel> model) {
  auto models = std::make_shared<ModelManager>();
  std::string name, estimator;
  double secs = 0;
  if (model != nullptr) {
    name = model->name;
    estimator = model->model->Describe();
    secs = model->load_seconds;
    models->Swap(std::move(model));
  }
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<ServerApp> app, Create(options, std::move(models)));
  if (!name.empty()) app->metrics_->SetModelInfo(name, estimator, secs);
  return app;
}

StatusOr<std::unique_ptr<ServerApp>> ServerApp::Create(const ServerAppOptions& options,
                                                       std::shared_ptr<ModelManager> models) {
  std::unique_ptr<ServerApp> app(new ServerApp(options, std::move(models)));
  app->BuildRoutes();
  size_t threads = options.http.threads == 0 ? 1 : options.http.threads;
  app->metrics_ = std::make_unique<ServerMetrics>(app->router_.MetricLabels(), threads, &app->models_->stats());
  app->metrics_->SetBuildInfo(options.version);
  http::HttpServerOptions http = options.http;
  http.threads = threads;
  INFERD_ASSIGN_OR_RETURN(app->server_, http::HttpServer::Create(http, &app->router_, app->metrics_.get()));
  if (options.grpc_enabled) {
    grpc_api::GrpcServerOptions grpc = options.grpc;
    grpc.server_version = options.version;
    grpc.control = options.control;
    grpc.max_message_bytes = options.http.max_body_bytes;
    grpc.max_inflight = options.http.max_inflight;
    grpc.retry_after_seconds = options.http.retry_after_seconds;
    grpc.request_timeout = options.http.request_timeout;
    grpc.read_timeout = options.http.read_timeout;
    grpc.idle_timeout = options.http.idle_timeout;
    grpc.log_requests = options.http.log_requests;
    grpc.threads = threads;
    ServerApp* raw = app.get();
    grpc.ready = [raw] { return raw->ready(); };
    INFERD_ASSIGN_OR_RETURN(app->grpc_, grpc_api::GrpcServer::Create(grpc, &app->inference_));
  }
  return app;
}

}  // namespace inferd
