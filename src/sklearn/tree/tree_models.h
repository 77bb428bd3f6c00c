// Runtimes for averaged tree ensembles, which also cover single trees (an ensemble of one:
// sklearn's `0 + p` then `/ 1` are exact, so the results are identical):
//   - TreeEnsembleClassifier: DecisionTreeClassifier, ExtraTreeClassifier,
//     RandomForestClassifier, ExtraTreesClassifier. Leaf payload = the tree's
//     predict_proba row (normalised at load for sklearn < 1.4, §4.1) followed by the
//     argmax of the raw leaf values (what a single tree's predict uses).
//     proba = (sum over trees in order) / n_trees; predict = argmax proba (forests) or the
//     stored raw argmax (single trees).
//   - TreeEnsembleRegressor: Decision/ExtraTree and RandomForest/ExtraTrees regressors,
//     one or many outputs: (sum of leaf values) / n_trees.
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_TREE_TREE_MODELS_H_
#define INFERD_SKLEARN_TREE_TREE_MODELS_H_

#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/tree/flat_forest.h"

namespace inferd::sklearn {

class TreeEnsembleClassifier final : public Model {
 public:
  // REQUIRES: forest.payload_width() == classes.size() + 1, forest.n_trees() >= 1.
  // `single_tree`: predict with the stored raw argmax instead of argmax of the proba.
  TreeEnsembleClassifier(std::string name, std::vector<Label> classes, size_t n_features, FlatForest forest,
                         bool single_tree);

  ModelKind kind() const override { return ModelKind::kClassifier; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return true; }
  // sklearn >= 1.3 trees / >= 1.4 random forests that route NaN (FlatForest::EnableMissing).
  bool accepts_missing() const override { return forest_.routes_missing(); }
  std::string Describe() const override;
  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;
  // Per class, in probability space (each tree's leaf probabilities, averaged): one group per
  // class, when the trees carry their covers (weighted_n_node_samples).
  size_t contribution_groups() const override { return forest_.explainable() ? classes_.size() : 0; }
  std::string contribution_space() const override { return "probability"; }
  Status Contributions(const double* x, size_t n_rows, double* out) const override;

 private:
  void Proba(const float* xf, double* p) const;
  // predict_proba of n_rows rows into out (n_rows x n_classes).
  void ProbaRows(const double* x, size_t n_rows, double* out) const;

  const std::string name_;
  const std::vector<Label> classes_;
  const size_t n_features_;
  const FlatForest forest_;
  const bool single_tree_;
};

class TreeEnsembleRegressor final : public Model {
 public:
  // REQUIRES: forest.payload_width() == n_outputs, forest.n_trees() >= 1.
  TreeEnsembleRegressor(std::string name, size_t n_features, size_t n_outputs, FlatForest forest);

  ModelKind kind() const override { return ModelKind::kRegressor; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return n_outputs_; }
  const std::vector<Label>& classes() const override { return no_classes_; }
  bool accepts_missing() const override { return forest_.routes_missing(); }
  std::string Describe() const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  // One group per target, in the predicted value's space.
  size_t contribution_groups() const override { return forest_.explainable() ? n_outputs_ : 0; }
  std::string contribution_space() const override { return "value"; }
  Status Contributions(const double* x, size_t n_rows, double* out) const override;

 private:
  const std::string name_;
  const size_t n_features_;
  const size_t n_outputs_;
  const FlatForest forest_;
  const std::vector<Label> no_classes_;
};

// The row cast to float32 (sklearn validates tree inputs with dtype=float32), in a
// per-thread buffer. The pointer is valid until the next call on this thread.
const float* RowToFloat32(const double* row, size_t n);
// Same for n consecutive values (a block of rows), in a second per-thread buffer, so a
// block and a single row can be live at once. Valid until the next call on this thread.
const float* RowsToFloat32(const double* rows, size_t n);

// Batches of at least kMinBatchRows rows are walked tree-major (FlatForest::
// ForEachLeafBatch) in blocks of kTreeBlockRows rows, so that a block's float rows and its
// sums stay in L1/L2 while the trees stream through. Smaller batches walk row by row (8
// trees in lockstep): blocking pays off only over many rows.
inline constexpr size_t kMinBatchRows = 8;
inline constexpr size_t kTreeBlockRows = 256;

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_TREE_MODELS_H_
