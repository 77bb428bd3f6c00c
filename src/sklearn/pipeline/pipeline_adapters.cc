#include "sklearn/pipeline/pipeline_adapters.h"

#include <utility>

#include "sklearn/pipeline/pipeline.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

StatusOr<ModelPtr> BuildPipeline(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(const Value* steps, Require(obj, "steps"));
  if ((steps->kind != Kind::kList && steps->kind != Kind::kTuple) || steps->items.empty()) {
    return StateError(obj, "'steps' must be a non-empty list, found " + steps->Describe());
  }
  std::vector<ModelPtr> transformers;
  ModelPtr final;
  size_t width = 0;  // output width of the steps so far (0: none yet)
  const size_t n = steps->items.size();
  for (size_t i = 0; i < n; ++i) {
    const Value* step = steps->items[i].get();
    if (step == nullptr || (step->kind != Kind::kTuple && step->kind != Kind::kList) || step->items.size() != 2 ||
        step->items[0] == nullptr || step->items[1] == nullptr) {
      return StateError(obj, "steps[" + std::to_string(i) + "] is not a (name, estimator) pair");
    }
    const std::string name = step->items[0]->kind == Kind::kStr ? step->items[0]->s : std::to_string(i);
    const Value& est = *step->items[1];
    if (est.is_none() || (est.kind == Kind::kStr && est.s == "passthrough")) continue;
    StatusOr<ModelPtr> m = BuildEstimator(est);
    if (!m.ok()) {
      return Status(m.status().code(), "Pipeline: step '" + name + "': " + m.status().message());
    }
    ModelPtr model = std::move(m).value();
    if (width != 0 && model->n_features() != width) {
      return StateError(obj, "step '" + name + "' expects " + std::to_string(model->n_features()) +
                                 " features but the previous step outputs " + std::to_string(width));
    }
    const bool last = i + 1 == n;
    if (!last && model->kind() != ModelKind::kTransformer) {
      return StateError(obj, "step '" + name + "' is not a transformer but is not the last step");
    }
    width = model->n_outputs();
    if (last) {
      final = std::move(model);
    } else {
      transformers.push_back(std::move(model));
    }
  }
  if (transformers.empty() && final == nullptr) return StateError(obj, "every step is 'passthrough'");
  return ModelPtr(std::make_unique<PipelineModel>(std::move(transformers), std::move(final)));
}

}  // namespace

std::span<const AdapterEntry> PipelineAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.pipeline.Pipeline", &BuildPipeline},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
