// Exact brute-force k-nearest-neighbour search over a fitted `_fit_X`, used whatever
// structure sklearn stored (`_tree` KDTree / BallTree, or brute): the trees are only an
// acceleration and return the same neighbours, except at exactly equal distances.
//
// Distances follow sklearn's DistanceMetric: neighbours are ranked by the "reduced"
// distance (squared for euclidean, sum |d|^p for minkowski), summed feature by feature, and
// converted to the true distance only for the k winners (sqrt, or ^(1/p)). That is exactly
// what the KD and ball trees do; sklearn's brute search may order the float operations
// differently, which moves distances by a few ulps at most (parity tests: <= 2e-15 relative
// on the probabilities, exact matches still at distance 0).
//
// Ties: neighbours at exactly equal reduced distance are ordered by training-row index.
// sklearn's order at ties depends on the algorithm (tree traversal order, or the
// introselect of the brute search), so predictions can differ when the k-th and (k+1)-th
// neighbours are equidistant (e.g. duplicated training rows).
//
// Thread safety: immutable after construction; Query uses the caller's buffer.
#ifndef INFERD_SKLEARN_NEIGHBORS_KNN_INDEX_H_
#define INFERD_SKLEARN_NEIGHBORS_KNN_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace inferd::sklearn {

enum class KnnMetric { kEuclidean, kManhattan, kChebyshev, kMinkowski };

struct Neighbor {
  double rdist;  // reduced distance
  uint32_t index;
};

class KnnIndex {
 public:
  // REQUIRES: fit_x.size() == n_samples * n_features, n_samples < 2^32; p >= 1 for
  // kMinkowski.
  KnnIndex(KnnMetric metric, double p, size_t n_features, size_t n_samples, std::vector<double> fit_x);

  size_t n_features() const { return n_features_; }
  size_t n_samples() const { return n_samples_; }
  std::string Describe() const;

  // The k nearest training rows of `row`, nearest first, into `out` (resized to k).
  // REQUIRES: 1 <= k <= n_samples().
  void Query(const double* row, size_t k, std::vector<Neighbor>* out) const;
  // The true distance for a reduced distance.
  double Distance(double rdist) const;

 private:
  double ReducedDistance(const double* a, const double* b) const;

  const KnnMetric metric_;
  const double p_;
  const size_t n_features_;
  const size_t n_samples_;
  const std::vector<double> fit_x_;  // n_samples x n_features, row-major
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_NEIGHBORS_KNN_INDEX_H_
