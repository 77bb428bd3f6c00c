#include "sklearn/linear/logistic_regression.h"

#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

LogisticRegressionModel::LogisticRegressionModel(std::vector<Label> classes, size_t n_features, size_t n_rows_coef,
                                                 std::vector<double> coef, std::vector<double> intercept,
                                                 ProbaRule rule)
    : classes_(std::move(classes)),
      n_features_(n_features),
      n_rows_coef_(n_rows_coef),
      coef_(std::move(coef)),
      intercept_(std::move(intercept)),
      rule_(rule) {}

std::string LogisticRegressionModel::Describe() const {
  return std::string("LogisticRegression[") + (rule_ == ProbaRule::kOvr ? "ovr" : "multinomial") + ", " +
         std::to_string(classes_.size()) + " classes]";
}

void LogisticRegressionModel::Decision(const double* row, double* d) const {
  const size_t f = n_features_;
  for (size_t k = 0; k < n_rows_coef_; ++k) {
    const double* w = coef_.data() + k * f;
    double s = 0.0;
    for (size_t j = 0; j < f; ++j) s += row[j] * w[j];
    d[k] = s + intercept_[k];
  }
}

Status LogisticRegressionModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  thread_local std::vector<double> d;
  d.resize(n_rows_coef_);
  for (size_t r = 0; r < n_rows; ++r) {
    Decision(x + r * n_features_, d.data());
    out[r] = n_rows_coef_ == 1 ? (d[0] > 0 ? 1 : 0) : static_cast<int32_t>(ArgMax(d.data(), n_rows_coef_));
  }
  return Status::Ok();
}

Status LogisticRegressionModel::DecisionFunction(const double* x, size_t n_rows, double* out) const {
  for (size_t r = 0; r < n_rows; ++r) Decision(x + r * n_features_, out + r * n_rows_coef_);
  return Status::Ok();
}

Status LogisticRegressionModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  const size_t k = classes_.size();
  for (size_t r = 0; r < n_rows; ++r) {
    double* p = out + r * k;
    if (n_rows_coef_ == 1) {
      double d;
      Decision(x + r * n_features_, &d);
      if (rule_ == ProbaRule::kOvr) {
        const double e = Expit(d);
        p[0] = 1.0 - e;
        p[1] = e;
      } else {
        // np.c_[-d, d] through softmax, literally (not expit(2d): equal only to ~1 ulp).
        p[0] = -d;
        p[1] = d;
        SoftmaxInPlace(p, 2);
      }
    } else {
      Decision(x + r * n_features_, p);
      if (rule_ == ProbaRule::kOvr) {
        for (size_t c = 0; c < k; ++c) p[c] = Expit(p[c]);
        NormalizeInPlace(p, k);
      } else {
        SoftmaxInPlace(p, k);
      }
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
