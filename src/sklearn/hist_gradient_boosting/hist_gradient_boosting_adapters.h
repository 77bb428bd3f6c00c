// Adapters for HistGradientBoostingClassifier / HistGradientBoostingRegressor: validate
// `_predictors` (iterations x n_trees_per_iteration_ TreePredictor records),
// `_baseline_prediction`, `_bin_mapper` (categorical features and their known categories),
// the loss/link, and, for sklearn >= 1.4 files, the categorical `_preprocessor`.
#ifndef INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HIST_GRADIENT_BOOSTING_ADAPTERS_H_
#define INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HIST_GRADIENT_BOOSTING_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> HistGradientBoostingAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HIST_GRADIENT_BOOSTING_ADAPTERS_H_
