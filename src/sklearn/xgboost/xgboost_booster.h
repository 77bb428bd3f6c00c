// XgbBooster: an XGBoost booster (gbtree, dart or gblinear) from a validated XgbDocument,
// evaluated by inferd itself in float32 the way xgboost 1.7's CPU predictor computes it:
//   * a row's cells are cast to float; NaN and cells equal to `missing` are missing;
//   * numerical split: missing -> the node's default child, else `x < split` goes left;
//   * categorical split (a set of categories, which go right): missing, negative or
//     >= 2^24 values and values past the set's bitset go to the default child, other values
//     are truncated to an integer category;
//   * margin[g] = ProbToMargin(base_score), then each tree's leaf value is added, in tree
//     order, to its output group (float additions); dart scales each tree's value by its
//     weight_drop; gblinear adds bias and weight * x for every present cell, in order;
//   * the objective's transform (sigmoid, softmax, exp, hinge, argmax, identity) in float.
// Trees run on the flat tree runtime (tree/flat_forest.h) on its fastest step (`x <= t`,
// NaN to the second child): a numerical split whose missing values go right becomes
// `x <= previous float of split`; one whose missing values go left compares the negated
// cell, `-x <= -split`, with its children swapped; a categorical split becomes a few such
// splits on the same feature, one per boundary between runs of categories going left and right.
//
// Thread safety: immutable after Build; every const method may be called concurrently.
#ifndef INFERD_SKLEARN_XGBOOST_XGBOOST_BOOSTER_H_
#define INFERD_SKLEARN_XGBOOST_XGBOOST_BOOSTER_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "inferd/status.h"
#include "sklearn/tree/flat_forest.h"
#include "sklearn/xgboost/xgboost_document.h"

namespace inferd::sklearn {

// How a dart booster's tree weights are applied. xgboost has two prediction paths that
// round differently: Booster.predict(DMatrix) adds leaf * weight; inplace_predict (what the
// sklearn wrapper's predict uses) adds ((base_margin + leaf) - base_margin) * weight.
enum class XgbDartPath { kDMatrix, kInplace };

struct XgbEvalOptions {
  // Cells equal to this (as float) are missing, besides NaN. NaN: no other value.
  double missing = std::numeric_limits<double>::quiet_NaN();
  // Rounds [0, rounds) are used; std::nullopt: all of them.
  std::optional<int64_t> rounds;
  XgbDartPath dart_path = XgbDartPath::kDMatrix;
};

// The objective's prediction transform.
enum class XgbTransform { kIdentity, kSigmoid, kSoftmax, kArgmax, kExp, kHinge };

class XgbBooster {
 public:
  // REQUIRES: ValidateXgbDocument(doc) is OK. Errors: resource limits only.
  static StatusOr<XgbBooster> Build(const XgbDocument& doc, const XgbEvalOptions& options);

  size_t n_features() const { return n_features_; }
  // Values per row of Margins: the output groups (classes, targets or 1).
  size_t n_groups() const { return n_groups_; }
  // Values per row of Predict: 1 for multi:softmax (the class index), else n_groups().
  size_t output_width() const { return transform_ == XgbTransform::kArgmax ? 1 : n_groups_; }
  XgbTransform transform() const { return transform_; }
  // The base margin every row starts from (ProbToMargin of base_score).
  float base_margin() const { return base_margin_; }

  // out[r * n_groups() + g]: the untransformed margins. x: n_rows rows of n_features().
  void Margins(const double* x, size_t n_rows, float* out) const;
  // out[r * output_width() + j]: the objective's output (what xgboost's predict returns).
  void Predict(const double* x, size_t n_rows, float* out) const;
  // Per-feature contributions to the margins, as xgboost's predict(pred_contribs=True)
  // computes them in float (path-dependent TreeSHAP with each node's sum_hessian as its
  // cover; gblinear: weight * x, 0 for a missing cell):
  // out[(r * n_groups() + g) * (n_features() + 1) + f], the bias (expected margin) last.
  // Contributions plus bias add up to the margin. The walk's trees are built on the first
  // call (thread-safe): loads do not pay for explanations; an error is a tree the walk
  // refuses (ValidateShapTree), the same for every call.
  Status Contributions(const double* x, size_t n_rows, float* out) const;
  // Keeps the document's trees for Contributions (Build does not copy them). REQUIRES: the
  // trees of the document Build was given; call once, before the booster is shared.
  void KeepTreesForExplanations(std::vector<XgbTree> trees);

 private:
  // The trees' nodes send NaN to their second child (no per-node missing direction to decode).
  XgbBooster() : forest_(1, false) {}
  // Rows [0, n_rows) (n_rows <= kBlockRows) cast to float with missing cells as NaN, each
  // as 2 * n_features() cells: the row, then the row negated (for the nodes whose missing
  // values go left, ToPlainTree in the .cc).
  void CastRows(const double* x, size_t n_rows, float* xf) const;
  void TransformRow(float* margins) const;
  // Row `x` cast to float, missing cells NaN (n_features_ cells).
  void CastRow(const double* x, float* xf) const;

  // A tree as TreeSHAP walks it: the reachable nodes in breadth-first order (children after
  // parents), each node's training cover and, for leaves, the value it adds.
  struct ExplainTree {
    std::vector<int32_t> left, right, feature;
    std::vector<float> cover, value, split;
    std::vector<uint8_t> default_left;
    // Categorical splits: node i's runs are [run_begin[i], run_begin[i + 1]) (empty for a
    // numerical split; run_begin empty when the tree has none); a run holds the values from
    // its start to the next run's and sends them right or left.
    std::vector<uint32_t> run_begin;
    std::vector<float> run_start;
    std::vector<uint8_t> run_right;
    float expected = 0;  // the cover-weighted mean of the leaves
    float weight = 1;    // dart: the tree's weight_drop
    uint32_t group = 0;
  };
  // For each internal node of `e`, the child the row `xf` goes to (TreeSHAP's hot child).
  static void HotChildren(const ExplainTree& e, const float* xf, int32_t* hot);
  static Status AddExplainTree(const XgbTree& t, size_t index, size_t n_features, float weight, uint32_t group,
                               std::vector<ExplainTree>* out);

  static constexpr size_t kBlockRows = 128;

  size_t n_features_ = 0;
  size_t n_groups_ = 1;
  float missing_ = std::numeric_limits<float>::quiet_NaN();
  float base_margin_ = 0;
  XgbTransform transform_ = XgbTransform::kIdentity;
  bool linear_ = false;
  FlatForest forest_;            // over rows of 2 * n_features_ cells; payload: the value a leaf adds
  std::vector<uint32_t> group_;  // per tree in forest_: its output group
  // gblinear: weight[feature * n_groups + g], then bias[g].
  std::vector<float> linear_weights_;
  std::vector<float> weight_;  // per tree in forest_: dart's weight_drop, else 1
  // gbtree / dart: the document's trees until the first Contributions call builds `explain`
  // (the trees forest_ holds, in order) from them.
  struct Explainer {
    std::once_flag once;
    Status status;
    std::vector<XgbTree> trees;
    std::vector<ExplainTree> explain;
  };
  std::unique_ptr<Explainer> explainer_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_XGBOOST_XGBOOST_BOOSTER_H_
