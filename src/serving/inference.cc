#include "serving/inference.h"

#include <chrono>

namespace inferd {
namespace {

// One thread's reusable request and result buffers.
struct Scratch {
  InferenceRequest request;
  InferenceResult result;
  InferenceService::ComputeScratch compute;
};
thread_local Scratch t_scratch;

int64_t NanosSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

bool ParseOutputKind(std::string_view name, OutputKind* out) {
  if (name == "predict") {
    *out = OutputKind::kPredict;
  } else if (name == "predict_proba") {
    *out = OutputKind::kPredictProba;
  } else if (name == "decision_function") {
    *out = OutputKind::kDecisionFunction;
  } else if (name == "transform") {
    *out = OutputKind::kTransform;
  } else if (name == "raw_score") {
    *out = OutputKind::kRawScore;
  } else if (name == "contributions") {
    *out = OutputKind::kContributions;
  } else {
    return false;
  }
  return true;
}

bool ParseContributionRequest(std::string_view name, ContributionRequest* out) {
  if (name == "columns") {
    *out = ContributionRequest::kInputColumns;
  } else if (name == "features") {
    *out = ContributionRequest::kTransformedFeatures;
  } else {
    return false;
  }
  return true;
}

const char* OutputKindName(OutputKind k) {
  switch (k) {
    case OutputKind::kPredict: return "predict";
    case OutputKind::kPredictProba: return "predict_proba";
    case OutputKind::kDecisionFunction: return "decision_function";
    case OutputKind::kTransform: return "transform";
    case OutputKind::kRawScore: return "raw_score";
    case OutputKind::kContributions: return "contributions";
  }
  return "predict";
}

OutputKind DefaultOutput(const Model& model) {
  return model.kind() == ModelKind::kTransformer ? OutputKind::kTransform : OutputKind::kPredict;
}

StatusOr<ModelHandle> InferenceService::Find(const ModelSelector& selector) const {
  ModelHandle h = models_->Find(selector.name, selector.version);
  if (h.served != nullptr) return h;
  if (selector.name.empty()) return Status::Unavailable("no model is loaded");
  if (!selector.version.empty() && models_->Find(selector.name, {}).served != nullptr) {
    return Status::NotFound("model '" + std::string(selector.name) + "' has no version '" +
                            std::string(selector.version) + "'");
  }
  return Status::NotFound("no model named '" + std::string(selector.name) + "'");
}

void InferenceService::Infer(Protocol protocol, const ModelSelector& selector, ProtocolCodec& codec) const {
  const auto start = std::chrono::steady_clock::now();
  StatusOr<ModelHandle> found = Find(selector);
  if (!found.ok()) return codec.Fail(found.status());
  // The handle keeps this model version alive until the answer is written, even across a swap.
  const ModelHandle& handle = *found;
  const Model& model = *handle.served->model;
  Scratch& s = t_scratch;
  s.request.Clear();
  int64_t inference_ns = -1;  // -1: no Model call ran
  InputSpec spec;
  spec.n_features = model.n_features();
  spec.max_rows = options_.max_batch_rows;
  spec.allow_missing = model.accepts_missing();
  spec.schema = &model.input_schema();
  spec.ignore_extra_columns = options_.ignore_extra_columns;
  Status st = codec.Decode(spec, &s.request);
  if (st.ok()) {
    if (s.request.outputs.empty()) s.request.outputs.push_back(DefaultOutput(model));
    // Each output kind has its own scratch buffer, so earlier tensors stay valid.
    s.result.outputs.resize(s.request.outputs.size());
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < s.request.outputs.size() && st.ok(); ++i) {
      st = Compute(model, s.request.outputs[i], s.request.x.data(), s.request.n_rows, &s.compute, &s.result.outputs[i],
                   s.request.contributions_form);
    }
    inference_ns = NanosSince(t0);
  }
  if (st.ok()) {
    s.result.served = handle.served.get();
    s.result.request = &s.request;
    codec.Encode(s.result);
  } else {
    codec.Fail(st);
  }
  if (handle.stats != nullptr) {
    handle.stats->RecordRequest(protocol, codec.metrics_code(), static_cast<uint64_t>(NanosSince(start)), inference_ns);
  }
}

Status InferenceService::Compute(const Model& model, OutputKind kind, const double* x, size_t n, ComputeScratch* s,
                                 OutputTensor* out, ContributionRequest form) {
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
    case OutputKind::kRawScore:
      if (model.raw_score_width() == 0) return missing("raw_score");
      out->width = model.raw_score_width();
      out->two_d = out->width != 1;
      s->raw.resize(n * out->width);
      INFERD_RETURN_IF_ERROR(model.RawScore(x, n, s->raw.data()));
      out->values = s->raw.data();
      return Status::Ok();
    case OutputKind::kTransform:
      if (model.kind() != ModelKind::kTransformer) return missing("transform (it is not a transformer; use predict)");
      out->width = model.n_outputs();
      out->two_d = true;
      s->transform.resize(n * out->width);
      INFERD_RETURN_IF_ERROR(model.Transform(x, n, s->transform.data()));
      out->values = s->transform.data();
      return Status::Ok();
    case OutputKind::kContributions: {
      if (model.contribution_groups() == 0) return missing("exact contributions (no explanation method for it)");
      const std::vector<std::string>& names = model.transformed_feature_names();
      bool transformed = model.contribution_form() == ContributionForm::kTransformedFeatures;
      if (form == ContributionRequest::kInputColumns && transformed) {
        return missing(
            "contributions per input column (a pipeline step mixes columns: ask for the transformed features)");
      }
      if (form == ContributionRequest::kTransformedFeatures && !names.empty()) transformed = true;
      out->groups = model.contribution_groups();
      out->width = out->groups * ((transformed ? names.size() : model.n_features()) + 1);
      out->two_d = true;
      s->contributions.resize(n * out->width);
      if (transformed) {
        out->contributions_form = ContributionForm::kTransformedFeatures;
        out->feature_names = &names;
        INFERD_RETURN_IF_ERROR(model.TransformedContributions(x, n, s->contributions.data()));
      } else {
        INFERD_RETURN_IF_ERROR(model.Contributions(x, n, s->contributions.data()));
      }
      out->values = s->contributions.data();
      return Status::Ok();
    }
  }
  return missing("such output");
}

}  // namespace inferd
