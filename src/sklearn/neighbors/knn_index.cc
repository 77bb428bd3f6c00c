#include "sklearn/neighbors/knn_index.h"

#include <algorithm>
#include <cmath>

#include "common/json_number.h"

namespace inferd::sklearn {

KnnIndex::KnnIndex(KnnMetric metric, double p, size_t n_features, size_t n_samples, std::vector<double> fit_x)
    : metric_(metric), p_(p), n_features_(n_features), n_samples_(n_samples), fit_x_(std::move(fit_x)) {}

std::string KnnIndex::Describe() const {
  switch (metric_) {
    case KnnMetric::kEuclidean: return "euclidean";
    case KnnMetric::kManhattan: return "manhattan";
    case KnnMetric::kChebyshev: return "chebyshev";
    case KnnMetric::kMinkowski: {
      std::string s = "minkowski p=";
      AppendPythonFloat(p_, &s);
      return s;
    }
  }
  return "?";
}

double KnnIndex::ReducedDistance(const double* a, const double* b) const {
  double d = 0.0;
  switch (metric_) {
    case KnnMetric::kEuclidean:
      for (size_t j = 0; j < n_features_; ++j) {
        const double t = a[j] - b[j];
        d += t * t;
      }
      return d;
    case KnnMetric::kManhattan:
      for (size_t j = 0; j < n_features_; ++j) d += std::fabs(a[j] - b[j]);
      return d;
    case KnnMetric::kChebyshev:
      for (size_t j = 0; j < n_features_; ++j) d = std::max(d, std::fabs(a[j] - b[j]));
      return d;
    case KnnMetric::kMinkowski:
      for (size_t j = 0; j < n_features_; ++j) d += std::pow(std::fabs(a[j] - b[j]), p_);
      return d;
  }
  return d;
}

double KnnIndex::Distance(double rdist) const {
  switch (metric_) {
    case KnnMetric::kEuclidean: return std::sqrt(rdist);
    case KnnMetric::kMinkowski: return std::pow(rdist, 1.0 / p_);
    default: return rdist;
  }
}

void KnnIndex::Query(const double* row, size_t k, std::vector<Neighbor>* out) const {
  thread_local std::vector<Neighbor> all;
  all.resize(n_samples_);
  for (size_t i = 0; i < n_samples_; ++i) {
    all[i] = {ReducedDistance(row, fit_x_.data() + i * n_features_), static_cast<uint32_t>(i)};
  }
  // NaN distances (only from non-finite fitted data) sort last instead of breaking the order.
  auto less = [](const Neighbor& a, const Neighbor& b) {
    const bool an = std::isnan(a.rdist), bn = std::isnan(b.rdist);
    if (an != bn) return bn;
    if (!an && a.rdist != b.rdist) return a.rdist < b.rdist;
    return a.index < b.index;
  };
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), less);
  out->assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
}

}  // namespace inferd::sklearn
