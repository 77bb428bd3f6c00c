// Adapters for sklearn.compose.ColumnTransformer and an identity
// sklearn.preprocessing.FunctionTransformer (func=None; any other func would be code and is
// refused).
#ifndef INFERD_SKLEARN_COMPOSE_COMPOSE_ADAPTERS_H_
#define INFERD_SKLEARN_COMPOSE_COMPOSE_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> ComposeAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_COMPOSE_COMPOSE_ADAPTERS_H_
