// Adapters for SGDClassifier, LinearSVC (-> LinearClassifierModel) and SGDRegressor,
// LinearSVR (-> LinearRegressor): the coef_/intercept_ layout is that of every linear model
// (sklearn-model-files.md §3.3); the loss decides whether predict_proba exists.
#ifndef INFERD_SKLEARN_LINEAR_SGD_SVM_ADAPTERS_H_
#define INFERD_SKLEARN_LINEAR_SGD_SVM_ADAPTERS_H_

#include <span>
#include <string_view>

#include "sklearn/linear/linear_classifier.h"
#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> SgdSvmAdapters();

// SGDClassifier's predict_proba rule for `loss` ('log' is the pre-1.3 spelling of log_loss).
LinearProba SgdProbaRule(std::string_view loss);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LINEAR_SGD_SVM_ADAPTERS_H_
