// LightGBM's text model format (`Booster.save_model`, `model_to_string`, and the `_handle`
// a pickled Booster carries), read and checked by inferd itself: the front end every LightGBM
// model goes through before the evaluator (lightgbm_booster.h) sees it. Untrusted input.
//
// The format is line based:
//   tree                                   (the first line)
//   version=v4                             (v3 and v4 are read; older versions are refused)
//   num_class=1 / num_tree_per_iteration=1 / max_feature_idx=5 / objective=binary sigmoid:1
//   average_output                         (a bare flag: rf boosting)
//   feature_names=a b c ...                (max_feature_idx + 1 names)
//   Tree=0 ... Tree=N-1                    (one block of key=value lines per tree)
//   end of trees
//   feature_importances / parameters: [key: value] lines / end of parameters
//   pandas_categorical:<JSON>              (null, or one list of categories per pandas column)
//
// ReadLgbDocument reads only the fields predictions need and checks, naming the line:
//   * header: num_class and num_tree_per_iteration in [1, kMaxLgbOutputs]; max_feature_idx
//     in [0, kMaxLgbFeatures); feature_names has exactly max_feature_idx + 1 names; no key twice.
//   * trees: numbered 0, 1, ... in order; their count a positive multiple of
//     num_tree_per_iteration and at most kMaxLgbTrees; num_leaves in [1, kMaxLgbLeaves]; every
//     per-node array has num_leaves - 1 values and every per-leaf array num_leaves; split
//     features in [0, max_feature_idx]; decision_type uses only bits 0-3 with missing type
//     0, 1 or 2; children are internal nodes in [1, num_leaves - 1) or leaves ~l with l in
//     [0, num_leaves); every node but the root and every leaf is a child exactly once and all
//     are reached from the root (no cycles, no shared or orphaned nodes); categorical nodes'
//     thresholds are integers in [0, num_cat); cat_boundaries has num_cat + 1 non-decreasing
//     offsets from 0 to the length of cat_threshold; linear leaves' feature counts sum to the
//     lengths of leaf_features and leaf_coeff, their features in range.
//   * the file ends with `end of trees` and, if present, a well-formed pandas_categorical.
// Every count is checked against the values actually on the line before anything is
// allocated from it, so memory stays proportional to the input.
// Errors are one line, "lightgbm model line N: <what>", e.g.
// "lightgbm model line 14: Tree=0 left_child 99 is out of range (the tree has 14 nodes)".
//
// Thread safety: ReadLgbDocument is reentrant; an LgbDocument is a plain value.
#ifndef INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_DOCUMENT_H_
#define INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_DOCUMENT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/status.h"

namespace inferd::sklearn {

// Bounds on what a file may declare (far above what LightGBM writes for real models; they
// keep indices in 32 bits and a row's output buffer small).
inline constexpr int64_t kMaxLgbFeatures = int64_t{1} << 20;
inline constexpr int64_t kMaxLgbOutputs = int64_t{1} << 16;
inline constexpr int64_t kMaxLgbTrees = int64_t{1} << 22;
// LightGBM's own upper bound on num_leaves.
inline constexpr int64_t kMaxLgbLeaves = 131072;

// decision_type bits (LightGBM's tree.h).
inline constexpr uint8_t kLgbCategoricalMask = 1;
inline constexpr uint8_t kLgbDefaultLeftMask = 2;
enum class LgbMissingType : uint8_t { kNone = 0, kZero = 1, kNaN = 2 };
inline LgbMissingType LgbMissingOf(uint8_t decision_type) {
  return static_cast<LgbMissingType>((decision_type >> 2) & 3);
}

// One tree as the file states it; children >= 0 are internal nodes, < 0 are ~leaf.
struct LgbTree {
  int32_t num_leaves = 1;
  std::vector<int32_t> split_feature;  // num_leaves - 1 values each
  std::vector<double> threshold;       // a categorical node's holds its index into cat_boundaries
  std::vector<uint8_t> decision_type;
  std::vector<int32_t> left_child;
  std::vector<int32_t> right_child;
  std::vector<double> leaf_value;       // num_leaves
  std::vector<int32_t> cat_boundaries;  // num_cat + 1 offsets into cat_threshold
  std::vector<uint32_t> cat_threshold;  // the category bitsets, 32 categories a word
  bool is_linear = false;
  std::vector<double> leaf_const;          // linear: num_leaves
  std::vector<int32_t> leaf_num_features;  // linear: num_leaves
  std::vector<int32_t> leaf_features;      // linear: the leaves' features, concatenated
  std::vector<double> leaf_coeff;          // linear: their coefficients, concatenated
  // Training samples that reached each node (explanations' cover); empty when the file has
  // none or they are not counts (then the model has no contributions).
  std::vector<double> internal_count;  // num_leaves - 1
  std::vector<double> leaf_count;      // num_leaves
};

// One value of a pandas_categorical list: a string, or a number (a category column of numbers).
struct LgbCategory {
  bool is_string = true;
  std::string s;
  double number = 0;
};

struct LgbDocument {
  int version = 4;
  int32_t num_class = 1;
  int32_t num_tree_per_iteration = 1;
  int32_t max_feature_idx = 0;
  std::string objective;  // the objective= line's value ("binary sigmoid:1"); empty if absent
  bool average_output = false;
  std::vector<std::string> feature_names;
  std::vector<LgbTree> trees;
  // From the parameters section's [categorical_feature: ...] when it lists indices.
  std::vector<int32_t> categorical_features;
  // pandas_categorical: one list per pandas category column, in column order.
  std::vector<std::vector<LgbCategory>> pandas_categorical;
  // [boosting: ...] from the parameters section ("gbdt", "dart", "rf"), for descriptions.
  std::string boosting;

  size_t n_features() const { return static_cast<size_t>(max_feature_idx) + 1; }
  int64_t iterations() const { return static_cast<int64_t>(trees.size()) / num_tree_per_iteration; }
};

// Reads and checks a model text. Errors are one line (see above).
StatusOr<LgbDocument> ReadLgbDocument(std::string_view text);

// True if `bytes` start like a LightGBM model text (the line "tree").
bool LooksLikeLgbText(std::string_view bytes);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_DOCUMENT_H_
