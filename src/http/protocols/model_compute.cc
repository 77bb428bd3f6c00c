#include "http/protocols/model_compute.h"

namespace inferd::http {

OutputKind DefaultOutput(const Model& model) {
  return model.kind() == ModelKind::kTransformer ? OutputKind::kTransform : OutputKind::kPredict;
}

Status ComputeOutput(const Model& model, OutputKind kind, const double* x, size_t n, ComputeScratch* s,
                     OutputTensor* out) {
  *out = OutputTensor{};
  out->kind = kind;
  out->n_rows = n;
  auto missing = [&](const char* what) {
    return Status::InvalidArgument("the model (" + model.Describe() + ") has no " + what);
  };
  switch (kind) {
    case OutputKind::kPredict:
      if (model.kind() == ModelKind::kClassifier) {
        s->classes.resize(n);
        INFERD_RETURN_IF_ERROR(model.PredictClass(x, n, s->classes.data()));
        out->classes = s->classes.data();
        return Status::Ok();
      }
      if (model.kind() == ModelKind::kRegressor) {
        out->width = model.n_outputs();
        out->two_d = out->width != 1;
        s->predict.resize(n * out->width);
        INFERD_RETURN_IF_ERROR(model.PredictValue(x, n, s->predict.data()));
        out->values = s->predict.data();
        return Status::Ok();
      }
      return missing("predict (it is a transformer; use transform)");
    case OutputKind::kPredictProba:
      if (!model.has_proba()) return missing("predict_proba");
      out->width = model.classes().size();
      out->two_d = true;
      s->proba.resize(n * out->width);
      INFERD_RETURN_IF_ERROR(model.PredictProba(x, n, s->proba.data()));
      out->values = s->proba.data();
      return Status::Ok();
    case OutputKind::kDecisionFunction:
      if (model.decision_function_width() == 0) return missing("decision_function");
      out->width = model.decision_function_width();
      out->two_d = out->width != 1;
      s->decision.resize(n * out->width);
      INFERD_RETURN_IF_ERROR(model.DecisionFunction(x, n, s->decision.data()));
      out->values = s->decision.data();
      return Status::Ok();
    case OutputKind::kTransform:
      if (model.kind() != ModelKind::kTransformer) return missing("transform");
      out->width = model.n_outputs();
      out->two_d = true;
      s->transform.resize(n * out->width);
      INFERD_RETURN_IF_ERROR(model.Transform(x, n, s->transform.data()));
      out->values = s->transform.data();
      return Status::Ok();
  }
  return missing("such output");
}

}  // namespace inferd::http
