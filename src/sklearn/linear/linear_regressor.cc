#include "sklearn/linear/linear_regressor.h"

#include <utility>

namespace inferd::sklearn {

LinearRegressor::LinearRegressor(std::string name, size_t n_features, size_t n_targets, std::vector<double> coef,
                                 std::vector<double> intercept)
    : name_(std::move(name)),
      n_features_(n_features),
      n_targets_(n_targets),
      coef_(std::move(coef)),
      intercept_(std::move(intercept)) {}

std::string LinearRegressor::Describe() const {
  std::string s = name_;
  if (n_targets_ > 1) s += "[" + std::to_string(n_targets_) + " targets]";
  return s;
}

Status LinearRegressor::PredictValue(const double* x, size_t n_rows, double* out) const {
  const size_t f = n_features_;
  for (size_t r = 0; r < n_rows; ++r) {
    const double* row = x + r * f;
    for (size_t t = 0; t < n_targets_; ++t) {
      // X @ coef.T + intercept: the dot product first, then the intercept, as numpy does.
      const double* w = coef_.data() + t * f;
      double d = 0.0;
      for (size_t j = 0; j < f; ++j) d += row[j] * w[j];
      out[r * n_targets_ + t] = d + intercept_[t];
    }
  }
  return Status::Ok();
}

Status LinearRegressor::Contributions(const double* x, size_t n_rows, double* out) const {
  const size_t f = n_features_, width = f + 1;
  for (size_t r = 0; r < n_rows; ++r) {
    for (size_t t = 0; t < n_targets_; ++t) {
      double* o = out + (r * n_targets_ + t) * width;
      const double* w = coef_.data() + t * f;
      for (size_t j = 0; j < f; ++j) o[j] = x[r * f + j] * w[j];
      o[f] = intercept_[t];
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
