// Adapters for RandomForestClassifier/Regressor and ExtraTreesClassifier/Regressor: the
// member trees (`estimators_`, a list) are flattened into one TreeEnsemble* runtime.
#ifndef INFERD_SKLEARN_ENSEMBLE_FOREST_ADAPTERS_H_
#define INFERD_SKLEARN_ENSEMBLE_FOREST_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> ForestAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_ENSEMBLE_FOREST_ADAPTERS_H_
