// Runtime for GaussianNB (sklearn-model-files.md §3.3):
//   jll_k = log(prior_k) + (-0.5 * sum_j log(2 pi var_kj) - 0.5 * sum_j (x_j - theta_kj)^2 / var_kj)
//   predict = classes_[argmax jll]; predict_proba = exp(jll - logsumexp(jll))
// with numpy's pairwise sums and scipy's logsumexp (max-shifted), as sklearn computes them.
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_NAIVE_BAYES_GAUSSIAN_NB_H_
#define INFERD_SKLEARN_NAIVE_BAYES_GAUSSIAN_NB_H_

#include <string>
#include <vector>

#include "inferd/model.h"

namespace inferd::sklearn {

class GaussianNbModel final : public Model {
 public:
  // REQUIRES: theta.size() == var.size() == classes.size() * n_features, var > 0,
  // prior.size() == classes.size().
  GaussianNbModel(std::vector<Label> classes, size_t n_features, std::vector<double> theta, std::vector<double> var,
                  std::vector<double> prior);

  ModelKind kind() const override { return ModelKind::kClassifier; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return true; }
  std::string Describe() const override;
  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;

 private:
  // Joint log likelihood of one row for every class.
  void Jll(const double* row, double* jll) const;

  const std::vector<Label> classes_;
  const size_t n_features_;
  const std::vector<double> theta_;  // K x F
  const std::vector<double> var_;    // K x F
  std::vector<double> log_prior_;    // log(class_prior_[k])
  std::vector<double> norm_;         // -0.5 * sum_j log(2 pi var_kj), precomputed
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_NAIVE_BAYES_GAUSSIAN_NB_H_
