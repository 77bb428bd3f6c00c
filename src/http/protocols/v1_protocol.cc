#include "http/protocols/v1_protocol.h"

#include "common/json_number.h"
#include "http/protocols/http_codec.h"
#include "json/tensor_codec.h"

namespace inferd::http {
namespace {

class V1PredictCodec final : public HttpCodec {
 public:
  using HttpCodec::HttpCodec;
  Status Decode(const InputSpec& spec, InferenceRequest* r) override {
    return DecodeV1PredictRequest(request_.body, spec, r);
  }
  void Encode(const InferenceResult& result) override { EncodeV1Predictions(result, &response_->body); }
};

// POST :explain: the rows' contributions (the same body as :predict).
class V1ExplainCodec final : public HttpCodec {
 public:
  using HttpCodec::HttpCodec;
  Status Decode(const InputSpec& spec, InferenceRequest* r) override {
    INFERD_RETURN_IF_ERROR(DecodeV1PredictRequest(request_.body, spec, r, /*explain=*/true));
    r->outputs.assign(1, OutputKind::kContributions);
    return Status::Ok();
  }
  void Encode(const InferenceResult& result) override { EncodeV1Explanations(result, &response_->body); }
};

void ModelStatus(const InferenceService& service, const Request& r, bool versioned, Response* resp) {
  StatusOr<ModelHandle> found = service.Find(SelectorFromPath(r, versioned));
  if (!found.ok()) return ReplyError(found.status(), resp);
  std::vector<std::shared_ptr<const ServedModel>> versions;
  if (versioned) {
    versions.push_back(found->served);
  } else {
    auto catalog = service.models().catalog();
    auto it = catalog->models.find(found->served->name);
    if (it != catalog->models.end()) versions = it->second;
  }
  resp->body = "{\"model_version_status\":[";
  for (size_t i = 0; i < versions.size(); ++i) {
    if (i) resp->body += ',';
    resp->body += "{\"version\":";
    AppendJsonString(versions[i]->version, &resp->body);
    resp->body += ",\"state\":\"AVAILABLE\",\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}}";
  }
  resp->body += "]}\n";
}

}  // namespace

void RegisterV1Routes(const InferenceService* service, Router* router) {
  for (bool versioned : {false, true}) {
    std::string base = versioned ? "/v1/models/{name}/versions/{version}" : "/v1/models/{name}";
    router->Add(Verb::get, base,
                [service, versioned](const Request& r, Response* resp) { ModelStatus(*service, r, versioned, resp); });
    router->Add(Verb::post, base + ":predict", [service, versioned](const Request& r, Response* resp) {
      V1PredictCodec codec(r, resp);
      service->Infer(Protocol::kV1, SelectorFromPath(r, versioned), codec);
    });
    router->Add(Verb::post, base + ":explain", [service, versioned](const Request& r, Response* resp) {
      V1ExplainCodec codec(r, resp);
      service->Infer(Protocol::kV1, SelectorFromPath(r, versioned), codec);
    });
  }
}

}  // namespace inferd::http
