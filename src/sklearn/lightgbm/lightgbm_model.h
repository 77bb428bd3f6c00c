// LightGBM models (LGBMClassifier / LGBMRegressor / LGBMRanker / a bare Booster inside a
// pickle, or a model text file given to --model), read by ReadLgbDocument
// (lightgbm_document.h) and evaluated by LgbBooster (lightgbm_booster.h): inferd's own reader
// and double-precision tree runtime, no liblightgbm.
//
// What a model answers, as LightGBM 4 does for the form the user has:
//   * LGBMClassifier: predict_proba ([1 - p, p] for one output, the K probabilities of
//     multiclass / multiclassova as Booster.predict gives them) and predict (classes_ at the
//     first largest probability); the rounds [0, best_iteration) when the booster records a
//     best_iteration (early stopping), else all.
//   * LGBMRegressor / LGBMRanker: Booster.predict (the objective's output).
//   * a bare Booster (pickled, or a text file): Booster.predict. binary, multiclass and
//     multiclassova objectives are served as classifiers with labels 0..K-1 whose
//     predict_proba is that output (as for a bare XGBoost booster); every other objective as
//     a regressor of it.
//   * every form: raw_score (Booster.predict(raw_score=True), one value per tree of an
//     iteration); LightGBM's wrappers have no decision_function.
// Input columns: named by the model's feature_names unless LightGBM made them up
// (Column_0, Column_1, ...). A model fitted on a DataFrame with pandas `category` columns
// records their categories (pandas_categorical): those columns take the category itself
// (a string, or a number for a category column of numbers), mapped to LightGBM's code; an
// unknown category or a missing value is missing, as LightGBM's pandas path makes it.
//
// Thread safety: immutable after Load; every method may be called concurrently (no lock).
#ifndef INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_MODEL_H_
#define INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_MODEL_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/input_schema.h"
#include "inferd/model.h"
#include "sklearn/lightgbm/lightgbm_booster.h"
#include "sklearn/pipeline/column_facts.h"

namespace inferd::sklearn {

enum class LgbRole {
  kBooster,     // a bare Booster or a text file: the objective decides classifier or regressor
  kClassifier,  // LGBMClassifier
  kRegressor,   // LGBMRegressor / LGBMRanker
};

struct LgbOptions {
  LgbRole role = LgbRole::kBooster;
  std::vector<Label> classes;     // classifier labels; empty: 0..K-1
  int64_t best_iteration = 0;     // the Booster's best_iteration; <= 0: every iteration
  std::string name = "LightGBM";  // for Describe()
};

class LightGBMModel final : public Model, public DescribesInputs {
 public:
  // Loads a model text. Errors are one line without prefix.
  static StatusOr<std::unique_ptr<LightGBMModel>> Load(std::string_view text, LgbOptions options);

  ModelKind kind() const override { return classes_.empty() ? ModelKind::kRegressor : ModelKind::kClassifier; }
  size_t n_features() const override { return booster_.n_features(); }
  size_t n_outputs() const override { return classes_.empty() ? booster_.n_groups() : classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return !classes_.empty(); }
  bool accepts_missing() const override { return true; }
  size_t raw_score_width() const override { return booster_.n_groups(); }
  const InputSchema& input_schema() const override { return schema_; }
  std::string Describe() const override { return description_; }
  void DescribeInputs(std::span<ColumnFacts> facts) const override;

  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;
  Status RawScore(const double* x, size_t n_rows, double* out) const override;
  // LightGBM's pred_contrib (raw-score space), when it explains the model (no linear trees).
  size_t contribution_groups() const override { return booster_.explainable() ? booster_.n_groups() : 0; }
  std::string contribution_space() const override { return "raw score"; }
  Status Contributions(const double* x, size_t n_rows, double* out) const override;

 private:
  explicit LightGBMModel(LgbBooster booster) : booster_(std::move(booster)) {}

  LgbBooster booster_;
  std::vector<Label> classes_;
  InputSchema schema_;
  // Per feature: the pandas category strings it takes (empty: a number column); empty when the
  // model has no pandas categories.
  std::vector<std::vector<std::string>> string_categories_;
  std::string description_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_MODEL_H_
