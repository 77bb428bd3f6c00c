#include "sklearn/linear/logistic_regression.h"

#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

LogisticRegressionModel::LogisticRegressionModel(std::vector<Label> classes, size_t n_features, size_t n_rows_coef,
                                                 std::vector<double> coef, std::vector<double> intercept,
                                                 ProbaRule rule)
    : classes_(std::move(classes)),
      decision_(n_features, n_rows_coef, std::move(coef), std::move(intercept)),
      rule_(rule) {}

std::string LogisticRegressionModel::Describe() const {
  return std::string("LogisticRegression[") + (rule_ == ProbaRule::kOvr ? "ovr" : "multinomial") + ", " +
         std::to_string(classes_.size()) + " classes]";
}

Status LogisticRegressionModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  const size_t k = classes_.size();
  for (size_t r = 0; r < n_rows; ++r) {
    double* p = out + r * k;
    const double* row = x + r * decision_.n_features();
    if (decision_.n_rows() == 1) {
      double d;
      decision_.Apply(row, &d);
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
      decision_.Apply(row, p);
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
