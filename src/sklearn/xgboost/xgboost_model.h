// XGBoost models (XGBClassifier / XGBRegressor inside a sklearn pickle, or a native
// .json / .ubj model file) served through Debian's libxgboost C API, so predictions are
// exactly xgboost's (float32 arithmetic, `x < split`, default directions for missing).
//
// Loading: the bytes (the pickled Booster `handle`, xgboost's memory snapshot
// {"Config","Model"}, UBJSON >= 1.6, JSON 1.4-1.5; or a native model file) are read and
// validated by ReadXgbDocument (xgboost_document.h) first; libxgboost then loads only the
// checked model document with XGBoosterLoadModelFromBuffer (a snapshot's Config, training
// settings only, is not passed on). gblinear boosters are refused (libxgboost 1.7 has no
// inplace prediction for them). Pre-1.4 binary snapshots ("CONFIG-offset:") and legacy
// binary models are refused with a message asking to re-save the model.
//
// Outputs (as xgboost's sklearn wrapper 1.7):
//   binary:logistic   proba = [1 - p, p] computed in float32; predict = p > 0.5
//   multi:softprob    proba = the K probabilities; predict = argmax
//   anything else     regressor: the prediction value (one per row)
// Predictions use iterations [0, best_iteration + 1) when the model records a
// best_iteration (early stopping), like the wrapper's predict.
//
// Thread safety: XGBoosterPredictFromDense keeps its output buffer in per-thread storage
// inside libxgboost, and inplace prediction of tree boosters (gbtree) is exercised from
// concurrent threads by xgboost's own test suite (tests/python/test_predict.py,
// run_threaded_predict). The model runs one prediction at load, so libxgboost's lazy
// configuration happens before the model is shared. dart boosters are serialised with a
// mutex, because dart's prediction path is not documented as safe.
// The booster is never modified after load.
#ifndef INFERD_SKLEARN_XGBOOST_XGBOOST_MODEL_H_
#define INFERD_SKLEARN_XGBOOST_XGBOOST_MODEL_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/model.h"

namespace inferd::sklearn {

struct XgbOptions {
  // From the sklearn wrapper (pickles) or defaults (native files).
  double missing;                // value treated as missing besides NaN (NaN: none)
  std::vector<Label> classes;    // classifier labels; empty: decided from the objective
  bool force_regressor = false;  // the wrapper is an XGBRegressor
  long best_iteration = -1;      // -1: unknown (then the booster attribute is used)
  std::string name = "XGBoost";  // for Describe()
};

enum class XgbFormat { kSnapshot, kModelFile };

class XGBoostModel final : public Model {
 public:
  // Loads `blob` (a snapshot or a model file). Errors are one line without prefix.
  static StatusOr<std::unique_ptr<XGBoostModel>> Load(std::string_view blob, XgbFormat format, XgbOptions options);
  ~XGBoostModel() override;

  ModelKind kind() const override { return classes_.empty() ? ModelKind::kRegressor : ModelKind::kClassifier; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return classes_.empty() ? 1 : classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return !classes_.empty(); }
  bool accepts_missing() const override { return true; }
  std::string Describe() const override { return description_; }

  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;

 private:
  XGBoostModel() = default;
  // Runs xgboost's normal prediction; `*values` points into libxgboost's per-thread buffer
  // (valid until the next call on this thread); `*width` is the values per row.
  Status Raw(const double* x, size_t n_rows, const float** values, size_t* width) const;

  void* handle_ = nullptr;
  std::string config_;  // prediction config JSON
  size_t n_features_ = 0;
  std::vector<Label> classes_;
  bool binary_ = false;
  bool serialise_ = false;  // dart: predictions under mu_
  mutable std::mutex mu_;
  std::string description_;
};

// True if `bytes` look like a native xgboost model file or snapshot (JSON or UBJSON object),
// which no pickle or joblib file can start with.
bool LooksLikeXGBoostModel(std::string_view bytes);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_XGBOOST_XGBOOST_MODEL_H_
