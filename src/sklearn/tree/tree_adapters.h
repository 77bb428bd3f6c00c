// Adapters for single trees (DecisionTreeClassifier/Regressor, ExtraTreeClassifier/
// Regressor), and the helpers forests use to add their member trees.
#ifndef INFERD_SKLEARN_TREE_TREE_ADAPTERS_H_
#define INFERD_SKLEARN_TREE_TREE_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"
#include "sklearn/tree/flat_forest.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> TreeAdapters();

// True for the four tree estimator classes (classifier or regressor as asked).
bool IsTreeClassifierClass(std::string_view cls);
bool IsTreeRegressorClass(std::string_view cls);

// Adds the `tree_` of a fitted tree classifier record to `forest` (payload width
// n_classes + 1: predict_proba row, then raw argmax). Checks n_features / n_classes.
Status AddClassifierTree(const pickle::Value& est, size_t n_features, size_t n_classes, FlatForest* forest);
// Adds a regressor tree (payload width n_outputs: value[leaf, :, 0]).
Status AddRegressorTree(const pickle::Value& est, size_t n_features, size_t n_outputs, FlatForest* forest);

// n_features of a tree estimator record (from its Tree), for callers that need it before
// adding the tree.
StatusOr<size_t> TreeNFeatures(const pickle::Value& est);
StatusOr<size_t> TreeNOutputs(const pickle::Value& est);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_TREE_ADAPTERS_H_
