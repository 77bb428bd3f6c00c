// Adapter for GaussianNB: `theta_` (K, F), `var_` (K, F; `sigma_` before sklearn 1.0),
// `class_prior_` (K,), `classes_`.
#ifndef INFERD_SKLEARN_NAIVE_BAYES_NAIVE_BAYES_ADAPTERS_H_
#define INFERD_SKLEARN_NAIVE_BAYES_NAIVE_BAYES_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> NaiveBayesAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_NAIVE_BAYES_NAIVE_BAYES_ADAPTERS_H_
