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
      decision_(n_features, n_rows_coef, std::move(coef), std::move(intercept)),
      proba_(proba) {}

std::string LinearClassifierModel::Describe() const {
  const char* p = proba_ == LinearProba::kLogistic        ? ", proba=log_loss"
                  : proba_ == LinearProba::kModifiedHuber ? ", proba=modified_huber"
                                                          : "";
  return name_ + "[" + std::to_string(classes_.size()) + " classes" + p + "]";
}

Status LinearClassifierModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (proba_ == LinearProba::kNone) return Model::PredictProba(x, n_rows, out);
  const size_t k = classes_.size();
  for (size_t r = 0; r < n_rows; ++r) {
    double* p = out + r * k;
    const double* row = x + r * decision_.n_features();
    if (decision_.n_rows() == 1) {
      double d;
      decision_.Apply(row, &d);
      // Both rules compute the positive column and then 1 - it.
      const double p1 = proba_ == LinearProba::kLogistic ? Expit(d) : (std::clamp(d, -1.0, 1.0) + 1.0) / 2.0;
      p[0] = 1.0 - p1;
      p[1] = p1;
      continue;
    }
    decision_.Apply(row, p);
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
