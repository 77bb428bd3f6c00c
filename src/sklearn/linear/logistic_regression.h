// Runtime for LogisticRegression: decision d = x . coef[k] + intercept[k]; predict is
// `d > 0` (one column) or argmax d; predict_proba follows sklearn's rule table
// (sklearn-model-files.md §5.1): one-vs-rest sigmoids normalised, or softmax (binary
// multinomial = softmax([-d, d])).
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_LINEAR_LOGISTIC_REGRESSION_H_
#define INFERD_SKLEARN_LINEAR_LOGISTIC_REGRESSION_H_

#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/linear/linear_decision.h"

namespace inferd::sklearn {

enum class ProbaRule { kOvr, kSoftmax };

class LogisticRegressionModel final : public Model {
 public:
  // REQUIRES: classes.size() >= 2; n_rows_coef == 1 if classes.size() == 2 else
  // classes.size(); coef.size() == n_rows_coef * n_features; intercept.size() == n_rows_coef.
  LogisticRegressionModel(std::vector<Label> classes, size_t n_features, size_t n_rows_coef, std::vector<double> coef,
                          std::vector<double> intercept, ProbaRule rule);

  ModelKind kind() const override { return ModelKind::kClassifier; }
  size_t n_features() const override { return decision_.n_features(); }
  size_t n_outputs() const override { return classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return true; }
  // sklearn's decision_function: X @ coef_.T + intercept_, raveled (width 1) when binary.
  size_t decision_function_width() const override { return decision_.n_rows(); }
  std::string Describe() const override;
  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override {
    return decision_.PredictClass(x, n_rows, out);
  }
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;
  Status DecisionFunction(const double* x, size_t n_rows, double* out) const override {
    return decision_.DecisionFunction(x, n_rows, out);
  }
  // Linear contributions to the decision function (coef * x, the intercept as bias): one
  // group per decision column.
  size_t contribution_groups() const override { return decision_.n_rows(); }
  std::string contribution_space() const override { return "decision function"; }
  Status Contributions(const double* x, size_t n_rows, double* out) const override {
    return decision_.Contributions(x, n_rows, out);
  }

 private:
  const std::vector<Label> classes_;
  const LinearDecision decision_;
  const ProbaRule rule_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LINEAR_LOGISTIC_REGRESSION_H_
