// libsvm's probability estimates from pairwise class probabilities (sklearn-model-files.md
// §5.3), as bundled in scikit-learn: Platt's sigmoid per class pair, clipped to
// [1e-7, 1 - 1e-7], then the iterative coupling of Wu, Lin and Weng (2004, "method 2"),
// which libsvm runs for every number of classes, including 2 (the closed form [r01, r10]
// does not match sklearn).
//
// Thread safety: pure functions.
#ifndef INFERD_SKLEARN_SVM_PAIRWISE_COUPLING_H_
#define INFERD_SKLEARN_SVM_PAIRWISE_COUPLING_H_

#include <cstddef>

namespace inferd::sklearn {

// libsvm's sigmoid_predict: with f = dec * a + b, 1 / (1 + exp(f)) evaluated without
// cancellation.
double PlattSigmoid(double dec, double a, double b);

// Solves for p (k values, summing to 1) from r, the k x k row-major matrix of pairwise
// probabilities (r[i][j] = P(i | i or j), r[j][i] = 1 - r[i][j]; the diagonal is unused).
// `scratch` must have room for k * k + k doubles. REQUIRES: k >= 1.
void MulticlassProbability(size_t k, const double* r, double* p, double* scratch);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_SVM_PAIRWISE_COUPLING_H_
