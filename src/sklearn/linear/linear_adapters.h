// Adapters (pickled record -> runtime) for the linear family: LinearRegression, Ridge,
// Lasso, ElasticNet, SGDRegressor, LinearSVR (LinearRegressor); LogisticRegression
// (LogisticRegressionModel); SGDClassifier, LinearSVC (LinearClassifierModel). The
// coef_/intercept_ layout is that of every linear model (sklearn-model-files.md §3.3); the
// loss decides whether predict_proba exists.
#ifndef INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_
#define INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sklearn/linear/linear_classifier.h"
#include "sklearn/linear/logistic_regression.h"
#include "sklearn/registry.h"
#include "sklearn/state.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> LinearAdapters();

// sklearn's choice between OvR and softmax probabilities (sklearn-model-files.md §5.1).
// `multi_class` is nullopt when the attribute is absent (sklearn >= 1.8).
StatusOr<ProbaRule> ChooseProbaRule(const std::optional<std::string>& multi_class, const std::string& solver,
                                    size_t n_classes, Version version);

// SGDClassifier's predict_proba rule for `loss` ('log' is the pre-1.3 spelling of log_loss).
LinearProba SgdProbaRule(std::string_view loss);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_
