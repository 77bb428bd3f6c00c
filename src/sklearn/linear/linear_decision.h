// LinearDecision: the decision part shared by sklearn's linear classifiers
// (LinearClassifierMixin: LogisticRegression, SGDClassifier, LinearSVC):
//   d = x . coef[k] + intercept[k]   for k < n_rows (one row when binary)
//   predict = d > 0 (binary) or the first argmax of d
// The dot product sums in feature order, which is what the parity suite checks against
// numpy for these sizes. What differs between the models (their predict_proba rules) stays
// in each model.
//
// Thread safety: immutable after construction; all methods may be called concurrently.
#ifndef INFERD_SKLEARN_LINEAR_LINEAR_DECISION_H_
#define INFERD_SKLEARN_LINEAR_LINEAR_DECISION_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "inferd/status.h"
#include "sklearn/numeric.h"

namespace inferd::sklearn {

class LinearDecision {
 public:
  // REQUIRES: coef.size() == n_rows * n_features; intercept.size() == n_rows; n_rows >= 1.
  LinearDecision(size_t n_features, size_t n_rows, std::vector<double> coef, std::vector<double> intercept)
      : n_features_(n_features), n_rows_(n_rows), coef_(std::move(coef)), intercept_(std::move(intercept)) {}

  size_t n_features() const { return n_features_; }
  // Decision values per input row (sklearn's decision_function width: 1 when binary).
  size_t n_rows() const { return n_rows_; }

  // d[0..n_rows()) for one input row.
  void Apply(const double* row, double* d) const {
    for (size_t k = 0; k < n_rows_; ++k) {
      const double* w = coef_.data() + k * n_features_;
      double s = 0.0;
      for (size_t j = 0; j < n_features_; ++j) s += row[j] * w[j];
      d[k] = s + intercept_[k];
    }
  }

  // sklearn's decision_function for n input rows: out is n x n_rows().
  Status DecisionFunction(const double* x, size_t n, double* out) const {
    for (size_t r = 0; r < n; ++r) Apply(x + r * n_features_, out + r * n_rows_);
    return Status::Ok();
  }

  // Exact contributions of a linear function: coef[k][f] * x[f] per feature, the intercept as
  // the bias; out[(r * n_rows() + k) * (n_features() + 1) + f].
  Status Contributions(const double* x, size_t n, double* out) const {
    const size_t width = n_features_ + 1;
    for (size_t r = 0; r < n; ++r) {
      const double* row = x + r * n_features_;
      for (size_t k = 0; k < n_rows_; ++k) {
        double* o = out + (r * n_rows_ + k) * width;
        const double* w = coef_.data() + k * n_features_;
        for (size_t j = 0; j < n_features_; ++j) o[j] = row[j] * w[j];
        o[n_features_] = intercept_[k];
      }
    }
    return Status::Ok();
  }
  // Class indices as LinearClassifierMixin.predict picks them.
  Status PredictClass(const double* x, size_t n, int32_t* out) const {
    thread_local std::vector<double> d;
    d.resize(n_rows_);
    for (size_t r = 0; r < n; ++r) {
      Apply(x + r * n_features_, d.data());
      out[r] = n_rows_ == 1 ? (d[0] > 0 ? 1 : 0) : static_cast<int32_t>(ArgMax(d.data(), n_rows_));
    }
    return Status::Ok();
  }

 private:
  const size_t n_features_;
  const size_t n_rows_;
  const std::vector<double> coef_;
  const std::vector<double> intercept_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LINEAR_LINEAR_DECISION_H_
