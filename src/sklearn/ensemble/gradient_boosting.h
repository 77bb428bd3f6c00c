// Runtime for GradientBoostingClassifier / GradientBoostingRegressor
// (sklearn-model-files.md §3.3 "Boosting", §5.2):
//   raw[k] = init_raw[k]; for each stage s, each k: raw[k] += learning_rate * leaf_{s,k}(float32 x)
// added stage by stage in that order (as sklearn's predict_stages). Regressor: raw.
// Classifier: probabilities and the predict rule by loss and by the sklearn version that
// wrote the file (<= 1.3: argmax of the probabilities and logsumexp normalisation;
// >= 1.4: raw >= 0 / argmax raw and softmax).
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_ENSEMBLE_GRADIENT_BOOSTING_H_
#define INFERD_SKLEARN_ENSEMBLE_GRADIENT_BOOSTING_H_

#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/tree/flat_forest.h"

namespace inferd::sklearn {

enum class GbLoss {
  kRegression,   // identity link, whatever the regression loss
  kBinomial,     // log_loss with 2 classes: p1 = expit(raw)
  kMultinomial,  // log_loss with K > 2 classes
  kExponential,  // p1 = expit(2 raw)
};

class GradientBoostingModel final : public Model {
 public:
  // REQUIRES: forest has n_stages * init_raw.size() trees of payload width 1, stage-major;
  // classifiers: classes.size() == 2 with init_raw.size() == 1, or classes.size() ==
  // init_raw.size() > 2 (kMultinomial). `new_rules`: the file was written by sklearn >= 1.4.
  GradientBoostingModel(std::string name, GbLoss loss, std::vector<Label> classes, size_t n_features,
                        std::vector<double> init_raw, double learning_rate, FlatForest forest, bool new_rules);

  ModelKind kind() const override {
    return loss_ == GbLoss::kRegression ? ModelKind::kRegressor : ModelKind::kClassifier;
  }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return loss_ == GbLoss::kRegression ? 1 : classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return loss_ != GbLoss::kRegression; }
  // Classifiers: the raw scores (init + stages), one column when binary (sklearn ravels).
  size_t decision_function_width() const override { return loss_ == GbLoss::kRegression ? 0 : init_raw_.size(); }
  std::string Describe() const override;
  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;
  Status DecisionFunction(const double* x, size_t n_rows, double* out) const override;
  // In the raw-score space (decision_function; the value for regressors): one group per raw
  // score, init_raw in the bias, each stage's trees scaled by the learning rate.
  size_t contribution_groups() const override { return forest_.explainable() ? init_raw_.size() : 0; }
  std::string contribution_space() const override { return loss_ == GbLoss::kRegression ? "value" : "raw score"; }
  Status Contributions(const double* x, size_t n_rows, double* out) const override;

 private:
  void Raw(const double* row, double* raw) const;
  // Raw scores of n_rows rows into raw (n_rows x init_raw_.size()).
  void RawRows(const double* x, size_t n_rows, double* raw) const;
  // proba from raw (k = classes().size() values written).
  void ProbaFromRaw(const double* raw, double* p) const;

  const std::string name_;
  const GbLoss loss_;
  const std::vector<Label> classes_;
  const size_t n_features_;
  const std::vector<double> init_raw_;
  const double learning_rate_;
  const FlatForest forest_;
  const bool new_rules_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_ENSEMBLE_GRADIENT_BOOSTING_H_
