// Building a FlatForest from fitted scikit-learn tree estimator records (DecisionTree*,
// ExtraTree*): what a record states (class, n_features, n_outputs, NaN support) and adding
// its `tree_` with the leaf payloads the TreeEnsemble* and GradientBoosting runtimes read.
// Used by the single-tree adapters here and by the forests and gradient boosting in ensemble/.
#ifndef INFERD_SKLEARN_TREE_FOREST_BUILDER_H_
#define INFERD_SKLEARN_TREE_FOREST_BUILDER_H_

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "inferd/status.h"
#include "pickle/value.h"
#include "sklearn/tree/flat_forest.h"

namespace inferd::sklearn {

// True for the four tree estimator classes (classifier or regressor as asked).
bool IsTreeClassifierClass(std::string_view cls);
bool IsTreeRegressorClass(std::string_view cls);

// n_features / n_outputs of a tree estimator record (from its Tree), for callers that need
// them before adding the tree.
StatusOr<size_t> TreeNFeatures(const pickle::Value& est);
StatusOr<size_t> TreeNOutputs(const pickle::Value& est);

// True if scikit-learn's predict accepts NaN for this tree estimator record and routes it
// by `missing_go_to_left`: a DecisionTreeClassifier/Regressor written by sklearn >=
// `min_major`.`min_minor` (1.3 for a tree, 1.4 for the members of a RandomForest) with
// splitter 'best', a criterion that supports missing values and no monotonic constraints.
// ExtraTree* (random splitter) are not: sklearn before 1.6 refuses NaN for them.
bool TreeAcceptsMissing(const pickle::Value& est, int min_major, int min_minor);

// Adds the `tree_` of a fitted tree classifier record to `forest` (payload width
// n_classes + 1: predict_proba row, then raw argmax). Checks n_features / n_classes.
Status AddClassifierTree(const pickle::Value& est, size_t n_features, size_t n_classes, FlatForest* forest);
// Adds a regressor tree (payload width n_outputs: value[leaf, :, 0]).
Status AddRegressorTree(const pickle::Value& est, size_t n_features, size_t n_outputs, FlatForest* forest);

// Turns the error of member tree i into the ensemble's message (e.g. prefixes
// "RandomForestClassifier: estimators_[i]: ").
using MemberError = std::function<Status(size_t i, const Status& s)>;
// Adds all of an ensemble's member trees, in order, as the Add*Tree calls would (same
// checks, same payloads), big ensembles on several threads (FlatForest::AddTrees).
// REQUIRES: forest->n_trees() == 0 for the parallel path.
Status AddClassifierTrees(const std::vector<const pickle::Value*>& trees, size_t n_features, size_t n_classes,
                          const MemberError& wrap, FlatForest* forest);
Status AddRegressorTrees(const std::vector<const pickle::Value*>& trees, size_t n_features, size_t n_outputs,
                         const MemberError& wrap, FlatForest* forest);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_FOREST_BUILDER_H_
