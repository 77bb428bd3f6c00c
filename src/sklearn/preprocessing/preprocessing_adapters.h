// Adapters for sklearn's preprocessing transformers: StandardScaler, MinMaxScaler
// (scalers.h), OneHotEncoder, OrdinalEncoder with numeric or string categories (encoders.h),
// SimpleImputer (imputer.h), PCA (pca.h), Normalizer and PolynomialFeatures (row_maps.h).
// Fitted strings become cell codes (fitted_cells.h).
#ifndef INFERD_SKLEARN_PREPROCESSING_PREPROCESSING_ADAPTERS_H_
#define INFERD_SKLEARN_PREPROCESSING_PREPROCESSING_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> PreprocessingAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_PREPROCESSING_ADAPTERS_H_
