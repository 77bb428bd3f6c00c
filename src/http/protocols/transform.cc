#include "http/protocols/transform.h"

#include "http/protocols/model_compute.h"
#include "json/predict_codec.h"
#include "json/tensor_codec.h"

namespace inferd::http {
namespace {

struct Scratch {
  PredictRequest request;
  ComputeScratch compute;
};
thread_local Scratch t_scratch;

}  // namespace

void TransformHandler::Handle(const Request& request, Response* response) const {
  std::shared_ptr<const ServedModel> served = models_->Get();
  if (served == nullptr) return response->Error(503, "no model is loaded");
  const Model& model = *served->model;
  ModelRequestScope scope(models_->StatsFor(*served), Protocol::kTransform, &response->status);
  if (model.kind() != ModelKind::kTransformer) {
    return response->Error(400, "the model (" + model.Describe() + ") is not a transformer; use /predict");
  }
  Scratch& s = t_scratch;
  DecodeOptions decode;
  decode.n_features = model.n_features();
  decode.max_rows = max_rows_;
  decode.allow_missing = model.accepts_missing();
  Status st = DecodePredictRequest(request.body, decode, &s.request);
  OutputTensor t;
  if (st.ok()) {
    st = scope.TimeInference([&] {
      return ComputeOutput(model, OutputKind::kTransform, s.request.x.data(), s.request.n_rows, &s.compute, &t);
    });
  }
  if (!st.ok()) return response->Error(HttpStatusFor(st.code()), st.message());
  EncodeTransform(t.values, t.n_rows, t.width, s.request.batch, &response->body);
}

}  // namespace inferd::http
