// Adapters for KNeighborsClassifier / KNeighborsRegressor: `_fit_X`, `_y`, `n_neighbors`,
// `weights`, `effective_metric_` (+ `effective_metric_params_` for minkowski). The stored
// `_tree` (KDTree / BallTree) is ignored: search is brute force (knn_index.h).
#ifndef INFERD_SKLEARN_NEIGHBORS_NEIGHBORS_ADAPTERS_H_
#define INFERD_SKLEARN_NEIGHBORS_NEIGHBORS_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> NeighborsAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_NEIGHBORS_NEIGHBORS_ADAPTERS_H_
