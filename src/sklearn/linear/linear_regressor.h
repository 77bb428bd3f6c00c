// Runtime for linear regressors (LinearRegression, Ridge, Lasso, ElasticNet):
// y[t] = x . coef[t] + intercept[t], one or many targets.
//
// Thread safety: immutable after construction; Predict* may run concurrently.
#ifndef INFERD_SKLEARN_LINEAR_LINEAR_REGRESSOR_H_
#define INFERD_SKLEARN_LINEAR_LINEAR_REGRESSOR_H_

#include <string>
#include <vector>

#include "inferd/model.h"

namespace inferd::sklearn {

class LinearRegressor final : public Model {
 public:
  // REQUIRES: coef.size() == n_targets * n_features, intercept.size() == n_targets.
  LinearRegressor(std::string name, size_t n_features, size_t n_targets, std::vector<double> coef,
                  std::vector<double> intercept);

  ModelKind kind() const override { return ModelKind::kRegressor; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return n_targets_; }
  const std::vector<Label>& classes() const override { return no_classes_; }
  std::string Describe() const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  // coef * x per feature, the intercept as bias; one group per target.
  size_t contribution_groups() const override { return n_targets_; }
  std::string contribution_space() const override { return "value"; }
  Status Contributions(const double* x, size_t n_rows, double* out) const override;

 private:
  const std::string name_;
  const size_t n_features_;
  const size_t n_targets_;
  const std::vector<double> coef_;       // n_targets x n_features, row-major
  const std::vector<double> intercept_;  // n_targets
  const std::vector<Label> no_classes_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LINEAR_LINEAR_REGRESSOR_H_
