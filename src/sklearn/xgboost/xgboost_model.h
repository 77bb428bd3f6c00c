// XGBoost models (XGBClassifier / XGBRegressor / XGBRF* / XGBRanker / a bare Booster inside a
// sklearn pickle, or a native .json / .ubj model file), read by ReadXgbDocument
// (xgboost_document.h) and evaluated by XgbBooster (xgboost_booster.h): inferd's own reader
// and tree runtime, so results are xgboost 1.7's float32 values bit for bit.
//
// What a model answers, as xgboost 1.7 does for the form the user has:
//   * the sklearn wrapper (a pickled XGB* estimator, or a file the wrapper saved, which
//     records itself and its parameters, `missing` among them, in the "scikit_learn"
//     attribute): its predict / predict_proba. Rounds
//     [0, best_iteration] when the model records a best_iteration (early stopping); dart
//     weights as inplace_predict applies them. Classifiers: one output per row (binary:*)
//     gives proba [1 - v, v] (in float32) and label v > 0.5; multi:softprob gives the K
//     probabilities and their first argmax; multi:softmax gives the label (its proba is the
//     softmax of the margins, as the wrapper computes it with scipy).
//   * a bare Booster (pickled, or a file saved by Booster.save_model): Booster.predict on a
//     DMatrix, every round. binary:logistic, multi:softprob and multi:softmax are served as
//     classifiers with labels 0..K-1; every other objective as a regressor of its output.
// Regressors (and rankers) answer the objective's output, one value per target.
//
// Thread safety: immutable after Load; every method may be called concurrently (no lock).
#ifndef INFERD_SKLEARN_XGBOOST_XGBOOST_MODEL_H_
#define INFERD_SKLEARN_XGBOOST_XGBOOST_MODEL_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/input_schema.h"
#include "inferd/model.h"
#include "sklearn/xgboost/xgboost_booster.h"

namespace inferd::sklearn {

enum class XgbRole {
  kBooster,     // a bare Booster: the objective decides classifier or regressor
  kClassifier,  // XGBClassifier / XGBRFClassifier
  kRegressor,   // XGBRegressor / XGBRFRegressor / XGBRanker
};

struct XgbOptions {
  // From the sklearn wrapper (pickles) or defaults (native files).
  double missing = std::numeric_limits<double>::quiet_NaN();  // treated as missing besides NaN
  XgbRole role = XgbRole::kBooster;
  std::vector<Label> classes;             // classifier labels; empty: 0..K-1
  std::optional<int64_t> best_iteration;  // wrapper: from the pickled Booster's state
  std::string name = "XGBoost";           // for Describe()
};

enum class XgbFormat { kSnapshot, kModelFile };

class XGBoostModel final : public Model {
 public:
  // Loads `blob` (a snapshot or a model file). Errors are one line without prefix.
  static StatusOr<std::unique_ptr<XGBoostModel>> Load(std::string_view blob, XgbFormat format, XgbOptions options);

  ModelKind kind() const override { return classes_.empty() ? ModelKind::kRegressor : ModelKind::kClassifier; }
  size_t n_features() const override { return booster_.n_features(); }
  size_t n_outputs() const override { return classes_.empty() ? booster_.output_width() : classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return !classes_.empty(); }
  bool accepts_missing() const override { return true; }
  // Named numeric columns when the booster records feature_names (fitted on a DataFrame).
  const InputSchema& input_schema() const override { return schema_; }
  std::string Describe() const override { return description_; }

  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;
  // The margins' contributions (XgbBooster::Contributions), one group per output group, as
  // xgboost's predict(pred_contribs=True) gives them.
  size_t contribution_groups() const override { return booster_.n_groups(); }
  std::string contribution_space() const override { return "margin"; }
  Status Contributions(const double* x, size_t n_rows, double* out) const override;

 private:
  explicit XGBoostModel(XgbBooster booster) : booster_(std::move(booster)) {}

  XgbBooster booster_;
  std::vector<Label> classes_;
  InputSchema schema_;
  std::string description_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_XGBOOST_XGBOOST_MODEL_H_
