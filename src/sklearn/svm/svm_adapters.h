// Adapters for the libsvm estimators SVC, NuSVC (-> SvcModel) and SVR, NuSVR (-> SvrModel).
// They read the underscore attributes that sklearn hands to libsvm (`_dual_coef_`,
// `_intercept_`, `_n_support`, `_probA`, `_probB`, `_gamma`), not the public sign-flipped
// copies, and check every shape against the others before building anything.
#ifndef INFERD_SKLEARN_SVM_SVM_ADAPTERS_H_
#define INFERD_SKLEARN_SVM_SVM_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> SvmAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_SVM_SVM_ADAPTERS_H_
