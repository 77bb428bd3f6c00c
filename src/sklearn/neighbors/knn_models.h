// Runtimes for KNeighborsClassifier / KNeighborsRegressor (sklearn-model-files.md §3.3),
// over a KnnIndex (see knn_index.h for the tie caveat).
//
// Weights: 'uniform' -> 1 per neighbour; 'distance' -> 1/d, except that a row with any
// neighbour at distance 0 counts only those exact matches (weight 1 each).
// Classifier (single output):
//   predict_proba: per-class sum of weights in neighbour order, divided by the row sum
//   predict: uniform -> the most frequent class (smallest index at ties, scipy.stats.mode);
//            distance -> sklearn's weighted_mode: per class the numpy sum of the weights
//            masked to that class, the smallest class index wins ties
// Regressor: uniform -> mean of the k targets; distance -> sum(w y) / sum(w).
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_NEIGHBORS_KNN_MODELS_H_
#define INFERD_SKLEARN_NEIGHBORS_KNN_MODELS_H_

#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/neighbors/knn_index.h"

namespace inferd::sklearn {

class KNeighborsClassifierModel final : public Model {
 public:
  // REQUIRES: y.size() == index.n_samples(), every y[i] < classes.size(); 1 <= k <=
  // index.n_samples().
  KNeighborsClassifierModel(KnnIndex index, std::vector<Label> classes, std::vector<uint32_t> y, size_t k,
                            bool distance_weights);

  ModelKind kind() const override { return ModelKind::kClassifier; }
  size_t n_features() const override { return index_.n_features(); }
  size_t n_outputs() const override { return classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return true; }
  std::string Describe() const override;
  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;

 private:
  const KnnIndex index_;
  const std::vector<Label> classes_;
  const std::vector<uint32_t> y_;
  const size_t k_;
  const bool distance_weights_;
};

class KNeighborsRegressorModel final : public Model {
 public:
  // REQUIRES: y.size() == index.n_samples() * n_targets; 1 <= k <= index.n_samples().
  KNeighborsRegressorModel(KnnIndex index, std::vector<double> y, size_t n_targets, size_t k, bool distance_weights);

  ModelKind kind() const override { return ModelKind::kRegressor; }
  size_t n_features() const override { return index_.n_features(); }
  size_t n_outputs() const override { return n_targets_; }
  const std::vector<Label>& classes() const override { return no_classes_; }
  std::string Describe() const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;

 private:
  const KnnIndex index_;
  const std::vector<double> y_;  // n_samples x n_targets
  const size_t n_targets_;
  const size_t k_;
  const bool distance_weights_;
  const std::vector<Label> no_classes_;
};

// The neighbour weights of one query (sklearn's _get_weights for one row): all 1 for
// uniform; 1/d, or the indicator of d == 0 if any distance is 0.
void NeighborWeights(const KnnIndex& index, const std::vector<Neighbor>& nb, bool distance_weights,
                     std::vector<double>* w);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_NEIGHBORS_KNN_MODELS_H_
