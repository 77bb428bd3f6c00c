#include "serving/serving_app.h"

namespace inferd {

ServingApp::ServingApp(const ServingAppOptions& options)
    : options_(options), predict_(&models_, options.predict) {}

void ServingApp::BuildRoutes() {
  router_.Add(http::Verb::post, "/predict",
              [this](const http::Request& req, http::Response* resp) { predict_.Handle(req, resp); });
  router_.Add(http::Verb::get, "/healthz", [](const http::Request&, http::Response* resp) {
    resp->body = "{\"status\":\"alive\"}\n";
  });
  router_.Add(http::Verb::get, "/readyz", [this](const http::Request&, http::Response* resp) {
    if (draining_.load(std::memory_order_acquire)) return resp->Error(503, "draining");
    if (models_.Get() == nullptr) return resp->Error(503, "no model is loaded");
    resp->body = "{\"status\":\"ready\"}\n";
  });
  router_.Add(http::Verb::get, "/metrics", [this](const http::Request&, http::Response* resp) {
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics_->Render(&resp->body);
  });
}

StatusOr<std::unique_ptr<ServingApp>> ServingApp::Create(const ServingAppOptions& options,
                                                         std::shared_ptr<const ServedModel> model) {
  std::unique_ptr<ServingApp> app(new ServingApp(options));
  app->BuildRoutes();
  size_t threads = options.http.threads == 0 ? 1 : options.http.threads;
  app->metrics_ = std::make_unique<ServerMetrics>(app->router_.MetricLabels(), threads);
  app->metrics_->SetBuildInfo(options.version);
  if (model != nullptr) {
    app->metrics_->SetModelInfo(model->name, model->model->Describe(), model->load_seconds);
    app->models_.Swap(std::move(model));
  }
  http::HttpServerOptions http = options.http;
  http.threads = threads;
  INFERD_ASSIGN_OR_RETURN(app->server_, http::HttpServer::Create(http, &app->router_, app->metrics_.get()));
  return app;
}

}  // namespace inferd
