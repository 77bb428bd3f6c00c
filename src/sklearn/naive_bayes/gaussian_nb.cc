#include "sklearn/naive_bayes/gaussian_nb.h"

#include <cmath>
#include <numbers>
#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

GaussianNbModel::GaussianNbModel(std::vector<Label> classes, size_t n_features, std::vector<double> theta,
                                 std::vector<double> var, std::vector<double> prior)
    : classes_(std::move(classes)), n_features_(n_features), theta_(std::move(theta)), var_(std::move(var)) {
  const size_t k = classes_.size();
  log_prior_.resize(k);
  norm_.resize(k);
  std::vector<double> tmp(n_features_);
  for (size_t c = 0; c < k; ++c) {
    log_prior_[c] = std::log(prior[c]);
    for (size_t j = 0; j < n_features_; ++j) tmp[j] = std::log(2.0 * std::numbers::pi * var_[c * n_features_ + j]);
    norm_[c] = -0.5 * NumpySum(tmp.data(), n_features_);
  }
}

std::string GaussianNbModel::Describe() const { return "GaussianNB[" + std::to_string(classes_.size()) + " classes]"; }

void GaussianNbModel::Jll(const double* row, double* jll) const {
  thread_local std::vector<double> tmp;
  tmp.resize(n_features_);
  for (size_t c = 0; c < classes_.size(); ++c) {
    const double* th = theta_.data() + c * n_features_;
    const double* va = var_.data() + c * n_features_;
    for (size_t j = 0; j < n_features_; ++j) {
      const double d = row[j] - th[j];
      tmp[j] = (d * d) / va[j];
    }
    double n_ij = norm_[c];
    n_ij -= 0.5 * NumpySum(tmp.data(), n_features_);
    jll[c] = log_prior_[c] + n_ij;
  }
}

Status GaussianNbModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  thread_local std::vector<double> jll;
  jll.resize(classes_.size());
  for (size_t r = 0; r < n_rows; ++r) {
    Jll(x + r * n_features_, jll.data());
    out[r] = static_cast<int32_t>(ArgMax(jll.data(), jll.size()));
  }
  return Status::Ok();
}

Status GaussianNbModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  const size_t k = classes_.size();
  thread_local std::vector<double> jll, tmp;
  jll.resize(k);
  tmp.resize(k);
  for (size_t r = 0; r < n_rows; ++r) {
    Jll(x + r * n_features_, jll.data());
    // scipy.special.logsumexp: shift by the (finite) max, sum exp, log, add the shift back.
    double m = jll[0];
    for (size_t c = 1; c < k; ++c) m = jll[c] > m ? jll[c] : m;
    if (!std::isfinite(m)) m = 0.0;
    for (size_t c = 0; c < k; ++c) tmp[c] = std::exp(jll[c] - m);
    double lse = std::log(NumpySum(tmp.data(), k));
    lse += m;
    double* p = out + r * k;
    for (size_t c = 0; c < k; ++c) p[c] = std::exp(jll[c] - lse);
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
