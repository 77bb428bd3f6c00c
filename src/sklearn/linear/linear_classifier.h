// Runtime for the linear classifiers without LogisticRegression's probability rule table:
// SGDClassifier and LinearSVC (sklearn's LinearClassifierMixin, sklearn-model-files.md §3.3):
//   d = x . coef[k] + intercept[k]   (one column when binary)
//   predict: classes_[d > 0] (binary) or classes_[argmax d]
//   predict_proba, depending on the loss:
//     kLogistic      (SGD log_loss): expit(d); binary [1-p, p], else p / sum(p)   (§5.1)
//     kModifiedHuber (SGD modified_huber): p = (clip(d,-1,1)+1)/2; binary [1-p, p],
//                    else p / sum(p), rows summing to 0 become uniform
//     kNone          no predict_proba (hinge, LinearSVC, ...)
//
// Thread safety: immutable after construction; Predict* may run concurrently.
#ifndef INFERD_SKLEARN_LINEAR_LINEAR_CLASSIFIER_H_
#define INFERD_SKLEARN_LINEAR_LINEAR_CLASSIFIER_H_

#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/linear/linear_decision.h"

namespace inferd::sklearn {

enum class LinearProba { kNone, kLogistic, kModifiedHuber };

class LinearClassifierModel final : public Model {
 public:
  // REQUIRES: classes.size() >= 2; n_rows_coef == 1 if classes.size() == 2 else
  // classes.size(); coef.size() == n_rows_coef * n_features; intercept.size() == n_rows_coef.
  LinearClassifierModel(std::string name, std::vector<Label> classes, size_t n_features, size_t n_rows_coef,
                        std::vector<double> coef, std::vector<double> intercept, LinearProba proba);

  ModelKind kind() const override { return ModelKind::kClassifier; }
  size_t n_features() const override { return decision_.n_features(); }
  size_t n_outputs() const override { return classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return proba_ != LinearProba::kNone; }
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
  const std::string name_;
  const std::vector<Label> classes_;
  const LinearDecision decision_;
  const LinearProba proba_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LINEAR_LINEAR_CLASSIFIER_H_
