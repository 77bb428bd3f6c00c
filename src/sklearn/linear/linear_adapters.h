// Adapters (pickled record -> runtime) for the linear family: LinearRegression, Ridge,
// Lasso, ElasticNet, LogisticRegression.
#ifndef INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_
#define INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_

#include <optional>
#include <span>
#include <string>

#include "sklearn/linear/logistic_regression.h"
#include "sklearn/registry.h"
#include "sklearn/state.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> LinearAdapters();

// sklearn's choice between OvR and softmax probabilities (sklearn-model-files.md §5.1).
// `multi_class` is nullopt when the attribute is absent (sklearn >= 1.8).
StatusOr<ProbaRule> ChooseProbaRule(const std::optional<std::string>& multi_class, const std::string& solver,
                                    size_t n_classes, Version version);

StatusOr<ModelPtr> BuildLinearRegressor(const pickle::Value& obj);
StatusOr<ModelPtr> BuildLogisticRegression(const pickle::Value& obj);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_
