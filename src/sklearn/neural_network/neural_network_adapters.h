// Adapters for MLPClassifier / MLPRegressor: `coefs_` and `intercepts_` (lists of arrays
// whose shapes must chain from n_features to the outputs), `activation`,
// `out_activation_`, `classes_`. Multi-label classifiers are refused.
#ifndef INFERD_SKLEARN_NEURAL_NETWORK_NEURAL_NETWORK_ADAPTERS_H_
#define INFERD_SKLEARN_NEURAL_NETWORK_NEURAL_NETWORK_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> NeuralNetworkAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_NEURAL_NETWORK_NEURAL_NETWORK_ADAPTERS_H_
