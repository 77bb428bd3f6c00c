// Reading a pickled `sklearn.tree._tree.Tree` (the `tree_` of a fitted tree estimator),
// validating everything the runtime will index with (sklearn-model-files.md §4.1). Node
// fields are read BY NAME from the structured `nodes` dtype, so the 56-byte (sklearn 1.2),
// 64-byte (1.3+, missing_go_to_left) and 32-bit (intp = <i4) layouts all work.
//
// The parsed tree does not copy the node table (the bulk of a big forest's file): it reads
// the fields in place from the `nodes` record bytes. It therefore borrows from the
// estimator Value it was parsed from, which must outlive it.
//
// Guarantees of a successfully parsed tree: every internal node has
// 0 <= feature < n_features and both children in (node, node_count) — children always
// have larger ids than their parent, which is how sklearn's builders number nodes and
// which makes every traversal terminate; leaves have both children == -1.
#ifndef INFERD_SKLEARN_TREE_TREE_PARSE_H_
#define INFERD_SKLEARN_TREE_TREE_PARSE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "inferd/status.h"
#include "pickle/value.h"

namespace inferd::sklearn {

class ParsedTree {
 public:
  ParsedTree() = default;
  ParsedTree(ParsedTree&&) = default;  // values_ may point into owned_values_: moves keep it valid
  ParsedTree& operator=(ParsedTree&&) = default;
  ParsedTree(const ParsedTree&) = delete;
  ParsedTree& operator=(const ParsedTree&) = delete;

  size_t n_features = 0;
  size_t n_outputs = 0;
  size_t max_n_classes = 0;  // last dimension of `values` (1 for regressors)
  size_t node_count = 0;
  // True if the records carry `missing_go_to_left` (written by sklearn >= 1.3).
  bool has_missing_direction = false;

  // REQUIRES for all accessors: node < node_count.
  int64_t left(size_t node) const { return Int<false>(node, left_); }
  int64_t right(size_t node) const { return Int<false>(node, right_); }
  int64_t feature(size_t node) const { return Int<false>(node, feature_); }
  double threshold(size_t node) const { return Threshold<false>(node); }

  // The layout of sklearn on 64-bit platforms (intp = int64, float64 thresholds). Hot
  // loops over a forest's nodes are specialised on it: the accessors below with kWide = true
  // skip the per-field width test. REQUIRES for kWide = true: wide().
  bool wide() const { return left_.size == 8 && right_.size == 8 && feature_.size == 8 && threshold_.size == 8; }
  template <bool kWide>
  int64_t Left(size_t node) const {
    return Int<kWide>(node, left_);
  }
  template <bool kWide>
  int64_t Right(size_t node) const {
    return Int<kWide>(node, right_);
  }
  template <bool kWide>
  int64_t Feature(size_t node) const {
    return Int<kWide>(node, feature_);
  }
  template <bool kWide>
  double Threshold(size_t node) const {
    const uint8_t* p = nodes_ + node * stride_ + threshold_.offset;
    if (kWide || threshold_.size == 8) return Load<double>(p);
    return Load<float>(p);
  }
  // Where NaN goes at this split (sklearn >= 1.3); false (right) when the layout has no
  // such field, which is also where `x <= t` sends NaN.
  bool missing_go_to_left(size_t node) const {
    return has_missing_direction && nodes_[node * stride_ + missing_.offset] != 0;
  }
  const uint8_t* RecordAddress(size_t node) const { return nodes_ + node * stride_; }
  // The training weight that reached the node (weighted_n_node_samples), what exact
  // explanations weigh a split's sides by. REQUIRES: has_cover.
  double cover(size_t node) const {
    const uint8_t* p = nodes_ + node * stride_ + cover_.offset;
    return cover_.size == 8 ? Load<double>(p) : static_cast<double>(Load<float>(p));
  }
  bool has_cover = false;  // the records have weighted_n_node_samples
  bool is_leaf(size_t node) const { return left(node) < 0; }
  // values[node, :, :] as n_outputs x max_n_classes doubles.
  const double* value(size_t node) const { return values_ + node * n_outputs * max_n_classes; }

 private:
  friend StatusOr<ParsedTree> ParseTree(const pickle::Value& tree);
  struct Field {
    size_t offset = 0;
    size_t size = 8;  // 8 or 4 (i8/i4 ints, f8/f4 thresholds)
  };
  template <typename T>
  static T Load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));  // records are packed: fields may be unaligned
    return v;
  }
  template <bool kWide>
  int64_t Int(size_t node, const Field& f) const {
    const uint8_t* p = nodes_ + node * stride_ + f.offset;
    if (kWide || f.size == 8) return Load<int64_t>(p);
    return Load<int32_t>(p);
  }

  const uint8_t* nodes_ = nullptr;  // borrowed: the `nodes` array's records
  size_t stride_ = 0;
  Field left_, right_, feature_, threshold_, missing_, cover_;
  const double* values_ = nullptr;    // borrowed `values` data, or owned_values_
  std::vector<double> owned_values_;  // when `values` is not native float64
};

// `tree` is a sklearn.tree._tree.Tree record. Errors name the reason.
StatusOr<ParsedTree> ParseTree(const pickle::Value& tree);
// `estimator` is the tree estimator record (DecisionTree*, ExtraTree*); reads its `tree_`.
// Errors: "<EstimatorClass>: tree_: <reason>". The result borrows from `estimator`.
StatusOr<ParsedTree> ParseTreeOf(const pickle::Value& estimator);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_TREE_PARSE_H_
