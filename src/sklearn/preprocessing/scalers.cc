#include "sklearn/preprocessing/scalers.h"

#include <cmath>
#include <utility>

namespace inferd::sklearn {

StandardScalerModel::StandardScalerModel(size_t n_features, std::vector<double> mean, std::vector<double> scale)
    : n_features_(n_features), mean_(std::move(mean)), scale_(std::move(scale)) {}

Status StandardScalerModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t f = n_features_;
  for (size_t r = 0; r < n_rows; ++r) {
    const double* in = x + r * f;
    double* o = out + r * f;
    for (size_t j = 0; j < f; ++j) {
      double v = in[j];
      if (!mean_.empty()) v -= mean_[j];
      if (!scale_.empty()) v /= scale_[j];
      o[j] = v;
    }
  }
  return Status::Ok();
}

MinMaxScalerModel::MinMaxScalerModel(size_t n_features, std::vector<double> scale, std::vector<double> min, bool clip,
                                     double lo, double hi)
    : n_features_(n_features), scale_(std::move(scale)), min_(std::move(min)), clip_(clip), lo_(lo), hi_(hi) {}

Status MinMaxScalerModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t f = n_features_;
  for (size_t r = 0; r < n_rows; ++r) {
    const double* in = x + r * f;
    double* o = out + r * f;
    for (size_t j = 0; j < f; ++j) {
      double v = in[j] * scale_[j];
      v += min_[j];
      // np.clip = minimum(maximum(v, lo), hi); NaN propagates.
      if (clip_ && !std::isnan(v)) v = v < lo_ ? lo_ : (v > hi_ ? hi_ : v);
      o[j] = v;
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
