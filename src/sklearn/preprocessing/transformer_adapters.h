// Adapters for OneHotEncoder, OrdinalEncoder (numeric categories), SimpleImputer, PCA,
// Normalizer and PolynomialFeatures.
#ifndef INFERD_SKLEARN_PREPROCESSING_TRANSFORMER_ADAPTERS_H_
#define INFERD_SKLEARN_PREPROCESSING_TRANSFORMER_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> TransformerAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_TRANSFORMER_ADAPTERS_H_
