#include "http/protocols/reference_predict.h"

#include <vector>

#include "json/predict_codec.h"
#include "logging/log.h"

namespace inferd::http {
namespace {

struct Scratch {
  PredictRequest request;
  std::vector<int32_t> classes;
  std::vector<double> values;
  std::vector<double> proba;
};

thread_local Scratch t_scratch;

void Fail(const Status& s, Response* response) {
  int code = HttpStatusFor(s.code());
  if (code >= 500) LogError("predict failed").Str("error", s.message()).Int("status", code);
  response->Error(code, s.message());
}

}  // namespace

void ReferencePredictHandler::Handle(const Request& request, Response* response) const {
  // The handle keeps this model version alive until the answer is built, even across a swap.
  std::shared_ptr<const ServedModel> served = models_->Get();
  if (served == nullptr) return response->Error(503, "no model is loaded");
  const Model& model = *served->model;
  // Counts this request for its model (status read when the handler returns).
  ModelRequestScope scope(models_->StatsFor(*served), Protocol::kReference, &response->status);

  Scratch& s = t_scratch;
  DecodeOptions decode;
  decode.n_features = model.n_features();
  decode.max_rows = options_.max_batch_rows;
  decode.allow_missing = model.accepts_missing();
  Status st = DecodePredictRequest(request.body, decode, &s.request);
  if (!st.ok()) return Fail(st, response);
  const size_t n = s.request.n_rows;

  PredictResult result;
  result.n_rows = n;
  switch (model.kind()) {
    case ModelKind::kClassifier:
      s.classes.resize(n);
      st = scope.TimeInference([&] { return model.PredictClass(s.request.x.data(), n, s.classes.data()); });
      result.classes = s.classes.data();
      break;
    case ModelKind::kRegressor:
      s.values.resize(n * model.n_outputs());
      st = scope.TimeInference([&] { return model.PredictValue(s.request.x.data(), n, s.values.data()); });
      result.values = s.values.data();
      break;
    case ModelKind::kTransformer:
      return response->Error(400, "the model (" + model.Describe() + ") is a transformer and has no predict");
  }
  if (!st.ok()) return Fail(st, response);

  if (s.request.proba) {
    if (!model.has_proba()) {
      return response->Error(400, "the model (" + model.Describe() + ") has no predict_proba");
    }
    s.proba.resize(n * model.classes().size());
    st = scope.TimeInference([&] { return model.PredictProba(s.request.x.data(), n, s.proba.data()); });
    if (!st.ok()) return Fail(st, response);
    result.proba = s.proba.data();
  }

  response->status = 200;
  if (s.request.batch) {
    EncodeBatchPrediction(model, result, &response->body);
  } else {
    EncodeSinglePrediction(model, result, &response->body);
  }
}

}  // namespace inferd::http
