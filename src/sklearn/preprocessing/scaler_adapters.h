// Adapters for StandardScaler and MinMaxScaler.
#ifndef INFERD_SKLEARN_PREPROCESSING_SCALER_ADAPTERS_H_
#define INFERD_SKLEARN_PREPROCESSING_SCALER_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> ScalerAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_SCALER_ADAPTERS_H_
