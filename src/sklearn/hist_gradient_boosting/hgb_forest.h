// HgbForest: the TreePredictor objects of a HistGradientBoosting model
// (sklearn-model-files.md §4.3) flattened into one node array and walked exactly like
// sklearn's `_predict_one_from_raw_data`, on float64 inputs:
//
//   leaf                      -> value (already includes the learning rate)
//   NaN                       -> missing_go_to_left ? left : right
//   categorical, v < 0        -> treated as missing
//   categorical, c = (uint8)v -> left if c in the split's raw_left_cat_bitset,
//                                right if c is a known category of the feature,
//                                else (unknown category) like missing
//   numeric                   -> v <= num_threshold ? left : right   (threshold may be +inf)
//
// Node fields are read BY NAME from the pickled record dtype, so both the 52-byte
// (sklearn <= 1.3, feature_idx <u4) and the 56-byte (>= 1.4, feature_idx intp) layouts load.
//
// Guarantees after a successful AddPredictor: every split node has both children inside the
// same predictor and with larger ids than itself (sklearn numbers nodes in pre-order), so
// every walk terminates; features index < n_features; bitset indices are in range.
//
// Thread safety: immutable after construction; Predict may be called concurrently.
#ifndef INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HGB_FOREST_H_
#define INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HGB_FOREST_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "inferd/status.h"
#include "pickle/value.h"
#include "sklearn/tree/tree_shap.h"

namespace inferd::sklearn {

// A 256-bit set of category values (sklearn's bitset: 8 uint32 words, bit c%32 of word c/32).
using CatBitset = std::array<uint32_t, 8>;

class HgbForest {
 public:
  // `known_categories[f]`: the bitset of categories seen at fit for categorical feature f
  // (f in [0, n_features)); empty optional-like marker: `is_categorical[f] == false`.
  HgbForest(size_t n_features, std::vector<bool> is_categorical, std::vector<CatBitset> known_categories);

  // Appends one `...predictor.TreePredictor` record. Errors are one line (no prefix).
  Status AddPredictor(const pickle::Value& predictor);

  size_t n_trees() const { return roots_.size(); }

  // Raw value of tree t for `row` (n_features doubles, NaN = missing).
  // REQUIRES: t < n_trees().
  double Predict(size_t t, const double* row) const;

  // The uint8 conversion Cython's `<unsigned char>double` performs on x86-64 (truncation
  // through a 32-bit integer; out-of-range values give the "integer indefinite" 0x80000000),
  // so values such as 300 or 1e10 land on the same category as in sklearn.
  // REQUIRES: v >= 0 and not NaN.
  static uint8_t CategoryOf(double v);

  // Explanations. True when every predictor's nodes carry their training `count` and pass
  // ValidateShapTree (tree_shap.h); set by CheckExplainable, called once after the last
  // AddPredictor.
  bool explainable() const { return explainable_; }
  void CheckExplainable();
  // Adds tree t's exact path-dependent contributions for `row` to phi[f] (f < n_features)
  // and its expected value to *expected. REQUIRES: explainable(), t < n_trees().
  void AddContributions(size_t t, const double* row, double* phi, double* expected) const;

 private:
  struct Node {
    double value;      // leaf value
    double threshold;  // num_threshold
    uint32_t feature;
    uint32_t left, right;  // absolute node indices
    uint32_t bitset;       // absolute index into raw_bitsets_ (categorical splits)
    uint32_t count;        // training samples that reached the node (explanations' cover)
    uint8_t is_leaf, missing_left, is_categorical;
  };
  bool GoLeft(const Node& node, const double* row) const;
  // Tree t as TreeSHAP reads it (per-thread buffers), the row's path in the hot children
  // when `row` is not null.
  ShapTreeView ShapViewOf(size_t t, const double* row) const;

  const size_t n_features_;
  const std::vector<bool> is_categorical_;
  const std::vector<CatBitset> known_;  // indexed by feature
  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;
  std::vector<CatBitset> raw_bitsets_;
  bool all_counts_ = true;
  bool explainable_ = false;
};

// `forest` after CheckExplainable: for models that hold their forest const.
inline HgbForest CheckedForExplanations(HgbForest forest) {
  forest.CheckExplainable();
  return forest;
}

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HGB_FOREST_H_
