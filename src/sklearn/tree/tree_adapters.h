// Adapters for single trees (DecisionTreeClassifier/Regressor, ExtraTreeClassifier/
// Regressor): an ensemble of one tree in the TreeEnsemble* runtimes (tree_models.h).
#ifndef INFERD_SKLEARN_TREE_TREE_ADAPTERS_H_
#define INFERD_SKLEARN_TREE_TREE_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> TreeAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_TREE_ADAPTERS_H_
