// Reading a pickled `sklearn.tree._tree.Tree` (the `tree_` of a fitted tree estimator) into
// plain columns, validating everything the runtime will index with (sklearn-model-files.md
// §4.1). Node fields are read BY NAME from the structured `nodes` dtype, so the 56-byte
// (sklearn 1.2), 64-byte (1.3+, missing_go_to_left) and 32-bit (intp = <i4) layouts all work.
//
// Guarantees of a successfully parsed tree: every internal node has
// 0 <= feature < n_features and both children in (node, node_count) — children always
// have larger ids than their parent, which is how sklearn's builders number nodes and
// which makes every traversal terminate; leaves have both children == -1.
#ifndef INFERD_SKLEARN_TREE_TREE_PARSE_H_
#define INFERD_SKLEARN_TREE_TREE_PARSE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "inferd/status.h"
#include "pickle/value.h"

namespace inferd::sklearn {

struct ParsedTree {
  size_t n_features = 0;
  size_t n_outputs = 0;
  size_t max_n_classes = 0;  // last dimension of `values` (1 for regressors)
  size_t node_count = 0;
  std::vector<int64_t> left, right, feature;
  std::vector<double> threshold;
  std::vector<double> values;  // node_count x n_outputs x max_n_classes

  bool is_leaf(size_t node) const { return left[node] < 0; }
  const double* value(size_t node) const { return values.data() + node * n_outputs * max_n_classes; }
};

// `estimator` is the tree estimator record (DecisionTree*, ExtraTree*); reads its `tree_`.
// Errors: "<EstimatorClass>: tree_: <reason>".
StatusOr<ParsedTree> ParseTreeOf(const pickle::Value& estimator);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_TREE_PARSE_H_
