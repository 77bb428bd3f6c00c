#include "sklearn/linear/linear_classifier.h"

#include <algorithm>
#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

LinearClassifierModel::LinearClassifierModel(std::string name, std::vector<Label> classes, size_t n_features,
                                             size_t n_rows_coef, std::vector<double> coef,
                                             std::vector<double> intercept, LinearProba proba)
    : name_(std::move(name)),
      classes_(std::move(classes)),
      n_features_(n_features),
      n_rows_coef_(n_rows_coef),
      coef_(std::move(coef)),
      intercept_(std::move(intercept)),
      proba_(proba) {}

std::string LinearClassifierModel::Describe() const {
  const char* p = proba_ == LinearProba::kLogistic        ? ", proba=log_loss"
                  : proba_ == LinearProba::kModifiedHuber ? ", proba=modified_huber"
                                                          : "";
  return name_ + "[" + std::to_string(classes_.size()) + " classes" + p + "]";
}

void LinearClassifierModel::Decision(const double* row, double* d) const {
  const size_t f = n_features_;
  for (size_t k = 0; k < n_rows_coef_; ++k) {
    const double* w = coef_.data() + k * f;
    double s = 0.0;
    for (size_t j = 0; j < f; ++j) s += row[j] * w[j];
    d[k] = s + intercept_[k];
  }
}

Status LinearClassifierModel::DecisionFunction(const double* x, size_t n_rows, double* out) const {
  for (size_t r = 0; r < n_rows; ++r) Decision(x + r * n_features_, out + r * n_rows_coef_);
  return Status::Ok();
}

Status LinearClassifierModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  thread_local std::vector<double> d;
  d.resize(n_rows_coef_);
  for (size_t r = 0; r < n_rows; ++r) {
    Decision(x + r * n_features_, d.data());
    out[r] = n_rows_coef_ == 1 ? (d[0] > 0 ? 1 : 0) : static_cast<int32_t>(ArgMax(d.data(), n_rows_coef_));
  }
  return Status::Ok();
}

Status LinearClassifierModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (proba_ == LinearProba::kNone) return Model::PredictProba(x, n_rows, out);
  const size_t k = classes_.size();
  for (size_t r = 0; r < n_rows; ++r) {
    double* p = out + r * k;
    if (n_rows_coef_ == 1) {
      double d;
      Decision(x + r * n_features_, &d);
      // Both rules compute the positive column and then 1 - it.
      const double p1 = proba_ == LinearProba::kLogistic ? Expit(d) : (std::clamp(d, -1.0, 1.0) + 1.0) / 2.0;
      p[0] = 1.0 - p1;
      p[1] = p1;
      continue;
    }
    Decision(x + r * n_features_, p);
    if (proba_ == LinearProba::kLogistic) {
      for (size_t c = 0; c < k; ++c) p[c] = Expit(p[c]);
      NormalizeInPlace(p, k);
      continue;
    }
    for (size_t c = 0; c < k; ++c) p[c] = (std::clamp(p[c], -1.0, 1.0) + 1.0) / 2.0;
    const double s = NumpySum(p, k);
    if (s == 0.0) {
      // sklearn sets the row to 1 and divides by len(classes_).
      for (size_t c = 0; c < k; ++c) p[c] = 1.0 / static_cast<double>(k);
    } else {
      for (size_t c = 0; c < k; ++c) p[c] /= s;
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
