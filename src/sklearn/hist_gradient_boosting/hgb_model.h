// Runtime for HistGradientBoostingClassifier / HistGradientBoostingRegressor
// (sklearn-model-files.md §3.3 "Boosting", §4.3, §5.4):
//   raw[k] = baseline[k] + sum over iterations of tree_{it,k}(x)     (float64 x, NaN = missing)
//   regressor:  link^-1(raw)  (identity, or exp for poisson/gamma)
//   binary:     p1 = expit(raw), proba = [1 - p1, p1]; decision_function = raw (1-D)
//   multiclass: proba = softmax(raw); decision_function = raw
//   predict:    argmax proba (files from sklearn <= 1.4) or the raw rule (>= 1.5); the two
//               differ only at exact ties.
// Files from sklearn >= 1.4 with categorical features carry a `_preprocessor` that
// ordinal-encodes the categorical columns and moves them first; HgbPreprocessor replays it.
// Its string categories (pandas categorical columns) make those input columns string
// columns (column_facts.h); an unknown string is not an error (it is treated as missing).
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HGB_MODEL_H_
#define INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HGB_MODEL_H_

#include <span>
#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/hist_gradient_boosting/hgb_forest.h"
#include "sklearn/pipeline/column_facts.h"
#include "sklearn/preprocessing/categories.h"

namespace inferd::sklearn {

// sklearn >= 1.4 `_preprocessor`: output = [ordinal codes of cat_cols..., num_cols...].
// A value's code is its index in `categories[j]` (numbers, or string codes:
// categories.h); unknown values and NaN become NaN (OrdinalEncoder(handle_unknown=
// 'use_encoded_value', unknown_value=nan, encoded_missing_value=nan)).
struct HgbPreprocessor {
  std::vector<size_t> cat_cols;
  std::vector<CategoryList> categories;  // parallel to cat_cols
  std::vector<size_t> num_cols;

  bool active() const { return !cat_cols.empty(); }
  // REQUIRES: active(); row and out have cat_cols.size() + num_cols.size() entries.
  void Apply(const double* row, double* out) const;
};

enum class HgbLink { kIdentity, kExp, kBinomial, kMultinomial };

class HistGradientBoostingModel final : public Model, public DescribesInputs {
 public:
  // REQUIRES: forest.n_trees() == n_iterations * baseline.size(), iteration-major;
  // kBinomial: classes.size() == 2 and baseline.size() == 1; kMultinomial:
  // classes.size() == baseline.size() > 2; regressors: baseline.size() == 1, no classes.
  // `raw_predict_rule`: the file is from sklearn >= 1.5 (predict from raw, not proba).
  HistGradientBoostingModel(std::string name, HgbLink link, std::vector<Label> classes, size_t n_features,
                            std::vector<double> baseline, HgbForest forest, HgbPreprocessor pre, bool raw_predict_rule);

  ModelKind kind() const override { return classes_.empty() ? ModelKind::kRegressor : ModelKind::kClassifier; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return classes_.empty() ? 1 : classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return !classes_.empty(); }
  bool accepts_missing() const override { return true; }
  size_t decision_function_width() const override { return classes_.empty() ? 0 : baseline_.size(); }
  std::string Describe() const override;
  void DescribeInputs(std::span<ColumnFacts> facts) const override;

  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;
  Status DecisionFunction(const double* x, size_t n_rows, double* out) const override;
  // In the raw-score space (decision_function; before the link for regressors): one group per
  // raw score, the baseline in the bias; per input column (the preprocessor's reordering undone).
  size_t contribution_groups() const override { return forest_.explainable() ? baseline_.size() : 0; }
  std::string contribution_space() const override { return classes_.empty() ? "raw value" : "raw score"; }
  Status Contributions(const double* x, size_t n_rows, double* out) const override;

 private:
  // raw[0..K) for one row.
  void Raw(const double* row, double* raw) const;
  void ProbaFromRaw(const double* raw, double* p) const;

  const std::string name_;
  const HgbLink link_;
  const std::vector<Label> classes_;
  const size_t n_features_;
  const std::vector<double> baseline_;
  const HgbForest forest_;
  const HgbPreprocessor pre_;
  const bool raw_predict_rule_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_HIST_GRADIENT_BOOSTING_HGB_MODEL_H_
