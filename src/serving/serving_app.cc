#include "serving/serving_app.h"

#include "http/protocols/openapi.h"
#include "http/protocols/v1_predict.h"
#include "http/protocols/web_ui.h"

namespace inferd {

ServingApp::ServingApp(const ServingAppOptions& options, std::shared_ptr<ModelManager> models)
    : options_(options),
      models_(std::move(models)),
      predict_(models_.get(), options.predict),
      transform_(models_.get(), options.predict.max_batch_rows) {}

ServingApp::~ServingApp() {
  server_.reset();
  if (models_ != nullptr) models_->SetStatsRegistry(nullptr);
}

void ServingApp::BuildRoutes() {
  // /predict first: exact routes are scanned in order, so the hot path compares one string.
  router_.Add(http::Verb::post, "/predict",
              [this](const http::Request& req, http::Response* resp) { predict_.Handle(req, resp); });
  router_.Add(http::Verb::post, "/transform",
              [this](const http::Request& req, http::Response* resp) { transform_.Handle(req, resp); });
  router_.Add(http::Verb::get, "/healthz",
              [](const http::Request&, http::Response* resp) { resp->body = "{\"status\":\"alive\"}\n"; });
  router_.Add(http::Verb::get, "/readyz", [this](const http::Request&, http::Response* resp) {
    if (draining_.load(std::memory_order_acquire)) return resp->Error(503, "draining");
    if (!models_->AllExpectedLoaded()) return resp->Error(503, "not every configured model is loaded");
    resp->body = "{\"status\":\"ready\"}\n";
  });
  http::V2Options v2;
  v2.server_version = options_.version;
  v2.max_batch_rows = options_.predict.max_batch_rows;
  v2.ready = [this] { return ready(); };
  v2.control = options_.control;
  http::RegisterV2Routes(models_.get(), std::move(v2), &router_);
  http::RegisterV1Routes(models_.get(), options_.predict.max_batch_rows, &router_);
  router_.Add(http::Verb::get, "/metrics", [this](const http::Request&, http::Response* resp) {
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics_->Render(&resp->body);
  });
  // GET /openapi.json documents every route above (tests/integration/test_openapi.py checks it).
  http::RegisterOpenApiRoute(&router_);
  http::RegisterWebUiRoute(models_.get(), options_.version, &router_);
}

StatusOr<std::unique_ptr<ServingApp>> ServingApp::Create(const ServingAppOptions& options,
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
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<ServingApp> app, Create(options, std::move(models)));
  if (!name.empty()) app->metrics_->SetModelInfo(name, estimator, secs);
  return app;
}

StatusOr<std::unique_ptr<ServingApp>> ServingApp::Create(const ServingAppOptions& options,
                                                         std::shared_ptr<ModelManager> models) {
  std::unique_ptr<ServingApp> app(new ServingApp(options, std::move(models)));
  app->BuildRoutes();
  size_t threads = options.http.threads == 0 ? 1 : options.http.threads;
  app->metrics_ = std::make_unique<ServerMetrics>(app->router_.MetricLabels(), threads);
  app->metrics_->SetBuildInfo(options.version);
  app->models_->SetStatsRegistry(app->metrics_->model_stats());
  http::HttpServerOptions http = options.http;
  http.threads = threads;
  INFERD_ASSIGN_OR_RETURN(app->server_, http::HttpServer::Create(http, &app->router_, app->metrics_.get()));
  return app;
}

}  // namespace inferd
