#include "sklearn/registry.h"

#include <algorithm>
#include <span>
#include <unordered_map>

#include "sklearn/compose/compose_adapters.h"
#include "sklearn/ensemble/ensemble_adapters.h"
#include "sklearn/hist_gradient_boosting/hist_gradient_boosting_adapters.h"
#include "sklearn/lightgbm/lightgbm_adapters.h"
#include "sklearn/linear/linear_adapters.h"
#include "sklearn/naive_bayes/naive_bayes_adapters.h"
#include "sklearn/neighbors/neighbors_adapters.h"
#include "sklearn/neural_network/neural_network_adapters.h"
#include "sklearn/pipeline/pipeline_adapters.h"
#include "sklearn/preprocessing/preprocessing_adapters.h"
#include "sklearn/svm/svm_adapters.h"
#include "sklearn/tree/tree_adapters.h"
#include "sklearn/xgboost/xgboost_adapters.h"

namespace inferd::sklearn {
namespace {

using Table = std::unordered_map<std::string_view, Adapter>;

const Table& GetTable() {
  static const Table* table = [] {
    auto* t = new Table();
    // One entry point per family folder, in alphabetical order.
    for (std::span<const AdapterEntry> family :
         {ComposeAdapters(), EnsembleAdapters(), HistGradientBoostingAdapters(), LightGBMAdapters(), LinearAdapters(),
          NaiveBayesAdapters(), NeighborsAdapters(), NeuralNetworkAdapters(), PipelineAdapters(),
          PreprocessingAdapters(), SvmAdapters(), TreeAdapters(), XGBoostAdapters()}) {
      for (const AdapterEntry& e : family) t->emplace(e.class_name, e.adapter);
    }
    return t;
  }();
  return *table;
}

}  // namespace

StatusOr<ModelPtr> BuildEstimator(const pickle::Value& obj) {
  if (obj.kind != pickle::Kind::kObject) {
    return Status::Unimplemented("not a scikit-learn estimator (found " + obj.Describe() + ")");
  }
  const Table& t = GetTable();
  auto it = t.find(obj.cls);
  if (it == t.end()) return Status::Unimplemented("unsupported estimator '" + obj.cls + "'");
  if (obj.state == nullptr || obj.state->kind != pickle::Kind::kDict) {
    return Status::InvalidArgument(std::string(obj.cls) + ": estimator state is not a dict");
  }
  return it->second(obj);
}

std::vector<std::string> RegisteredClassNames() {
  std::vector<std::string> names;
  for (const auto& [k, v] : GetTable()) names.emplace_back(k);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace inferd::sklearn
