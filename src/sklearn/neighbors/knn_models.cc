#include "sklearn/neighbors/knn_models.h"

#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

void NeighborWeights(const KnnIndex& index, const std::vector<Neighbor>& nb, bool distance_weights,
                     std::vector<double>* w) {
  const size_t k = nb.size();
  w->assign(k, 1.0);
  if (!distance_weights) return;
  bool any_zero = false;
  for (size_t i = 0; i < k; ++i) {
    const double d = index.Distance(nb[i].rdist);
    if (d == 0.0) any_zero = true;
    (*w)[i] = 1.0 / d;
  }
  if (!any_zero) return;
  for (size_t i = 0; i < k; ++i) (*w)[i] = index.Distance(nb[i].rdist) == 0.0 ? 1.0 : 0.0;
}

KNeighborsClassifierModel::KNeighborsClassifierModel(KnnIndex index, std::vector<Label> classes,
                                                     std::vector<uint32_t> y, size_t k, bool distance_weights)
    : index_(std::move(index)),
      classes_(std::move(classes)),
      y_(std::move(y)),
      k_(k),
      distance_weights_(distance_weights) {}

std::string KNeighborsClassifierModel::Describe() const {
  return "KNeighborsClassifier[k=" + std::to_string(k_) + ", " + index_.Describe() +
         (distance_weights_ ? ", distance" : ", uniform") + ", " + std::to_string(index_.n_samples()) + " samples]";
}

Status KNeighborsClassifierModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  const size_t nc = classes_.size();
  thread_local std::vector<Neighbor> nb;
  thread_local std::vector<double> w;
  for (size_t r = 0; r < n_rows; ++r) {
    index_.Query(x + r * index_.n_features(), k_, &nb);
    NeighborWeights(index_, nb, distance_weights_, &w);
    double* p = out + r * nc;
    for (size_t c = 0; c < nc; ++c) p[c] = 0.0;
    for (size_t i = 0; i < k_; ++i) p[y_[nb[i].index]] += w[i];
    double s = NumpySum(p, nc);
    if (s == 0.0) s = 1.0;
    for (size_t c = 0; c < nc; ++c) p[c] /= s;
  }
  return Status::Ok();
}

Status KNeighborsClassifierModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  const size_t nc = classes_.size();
  thread_local std::vector<Neighbor> nb;
  thread_local std::vector<double> w, masked, score;
  for (size_t r = 0; r < n_rows; ++r) {
    index_.Query(x + r * index_.n_features(), k_, &nb);
    NeighborWeights(index_, nb, distance_weights_, &w);
    score.assign(nc, 0.0);
    if (!distance_weights_) {
      for (size_t i = 0; i < k_; ++i) score[y_[nb[i].index]] += 1.0;  // integer counts: exact
    } else {
      // weighted_mode sums (a == c) * w along the neighbour axis with numpy's summation.
      masked.resize(k_);
      for (size_t c = 0; c < nc; ++c) {
        bool present = false;
        for (size_t i = 0; i < k_; ++i) {
          const bool hit = y_[nb[i].index] == c;
          present |= hit;
          masked[i] = hit ? w[i] : 0.0;
        }
        if (present) score[c] = NumpySum(masked.data(), k_);
      }
    }
    size_t best = 0;
    for (size_t c = 1; c < nc; ++c) {
      if (score[c] > score[best]) best = c;
    }
    out[r] = static_cast<int32_t>(best);
  }
  return Status::Ok();
}

KNeighborsRegressorModel::KNeighborsRegressorModel(KnnIndex index, std::vector<double> y, size_t n_targets, size_t k,
                                                   bool distance_weights)
    : index_(std::move(index)), y_(std::move(y)), n_targets_(n_targets), k_(k), distance_weights_(distance_weights) {}

std::string KNeighborsRegressorModel::Describe() const {
  return "KNeighborsRegressor[k=" + std::to_string(k_) + ", " + index_.Describe() +
         (distance_weights_ ? ", distance" : ", uniform") + ", " + std::to_string(index_.n_samples()) + " samples]";
}

Status KNeighborsRegressorModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  thread_local std::vector<Neighbor> nb;
  thread_local std::vector<double> w, vals;
  vals.resize(k_);
  for (size_t r = 0; r < n_rows; ++r) {
    index_.Query(x + r * index_.n_features(), k_, &nb);
    NeighborWeights(index_, nb, distance_weights_, &w);
    const double denom = distance_weights_ ? NumpySum(w.data(), k_) : static_cast<double>(k_);
    for (size_t t = 0; t < n_targets_; ++t) {
      for (size_t i = 0; i < k_; ++i) {
        const double y = y_[nb[i].index * n_targets_ + t];
        vals[i] = distance_weights_ ? y * w[i] : y;
      }
      out[r * n_targets_ + t] = NumpySum(vals.data(), k_) / denom;
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
