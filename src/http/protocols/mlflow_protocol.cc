#include "http/protocols/mlflow_protocol.h"

#include <memory>
#include <utility>

#include "http/protocols/http_codec.h"
#include "json/mlflow_codec.h"

namespace inferd::http {
namespace {

class MlflowInvocationsCodec final : public HttpCodec {
 public:
  using HttpCodec::HttpCodec;

  Status Decode(const InputSpec& spec, InferenceRequest* r) override {
    StatusOr<MlflowContent> content = ParseMlflowContentType(request_.content_type);
    if (!content.ok()) {
      unsupported_media_type_ = true;
      return content.status();
    }
    return *content == MlflowContent::kCsv ? DecodeMlflowCsv(request_.body, spec, r)
                                           : DecodeMlflowJson(request_.body, spec, r);
  }
  void Encode(const InferenceResult& result) override { EncodeMlflowPredictions(result, &response_->body); }
  void Fail(const Status& status) override {
    if (unsupported_media_type_) return response_->Error(415, status.message());
    HttpCodec::Fail(status);
  }

 private:
  // Decode refused the Content-Type: the answer is 415, not the status' own code.
  bool unsupported_media_type_ = false;
};

}  // namespace

void RegisterMlflowRoutes(const InferenceService* service, MlflowOptions options, Router* router) {
  router->Add(Verb::post, "/invocations", [service](const Request& r, Response* resp) {
    MlflowInvocationsCodec codec(r, resp);
    service->Infer(Protocol::kMlflow, ModelSelector{}, codec);
  });
  auto opts = std::make_shared<const MlflowOptions>(std::move(options));
  // MLflow answers "\n" either way; the status code is the answer.
  auto ping = [service, opts](const Request&, Response* resp) {
    const bool ready = (!opts->ready || opts->ready()) && service->Find(ModelSelector{}).ok();
    resp->status = ready ? 200 : 503;
    resp->content_type = "text/plain; charset=utf-8";
    resp->body = "\n";
  };
  router->Add(Verb::get, "/ping", ping);
  router->Add(Verb::get, "/health", ping);
  router->Add(Verb::get, "/version", [opts](const Request&, Response* resp) {
    resp->content_type = "text/plain; charset=utf-8";
    resp->body = opts->server_version;
  });
}

}  // namespace inferd::http
