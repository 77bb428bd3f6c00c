#include "http/protocols/reference_protocol.h"

#include "http/protocols/http_codec.h"
#include "json/predict_codec.h"
#include "json/tensor_codec.h"

namespace inferd::http {
namespace {

class PredictCodec final : public HttpCodec {
 public:
  using HttpCodec::HttpCodec;
  Status Decode(const InputSpec& spec, InferenceRequest* r) override {
    PredictFlags flags;
    INFERD_RETURN_IF_ERROR(DecodePredictRequest(request_.body, spec, r, &flags));
    r->outputs.push_back(OutputKind::kPredict);
    if (flags.proba) r->outputs.push_back(OutputKind::kPredictProba);
    if (flags.explain) r->outputs.push_back(OutputKind::kContributions);
    r->contributions_form = flags.explain_form;
    return Status::Ok();
  }
  void Encode(const InferenceResult& result) override { EncodePrediction(result, &response_->body); }
};

class TransformCodec final : public HttpCodec {
 public:
  using HttpCodec::HttpCodec;
  Status Decode(const InputSpec& spec, InferenceRequest* r) override {
    PredictFlags ignored;
    INFERD_RETURN_IF_ERROR(DecodePredictRequest(request_.body, spec, r, &ignored));
    r->outputs.push_back(OutputKind::kTransform);
    return Status::Ok();
  }
  void Encode(const InferenceResult& result) override { EncodeTransform(result, &response_->body); }
};

}  // namespace

void RegisterReferenceRoutes(const InferenceService* service, Router* router) {
  router->Add(Verb::post, "/predict", [service](const Request& r, Response* resp) {
    PredictCodec codec(r, resp);
    service->Infer(Protocol::kReference, ModelSelector{}, codec);
  });
  router->Add(Verb::post, "/transform", [service](const Request& r, Response* resp) {
    TransformCodec codec(r, resp);
    service->Infer(Protocol::kTransform, ModelSelector{}, codec);
  });
}

}  // namespace inferd::http
