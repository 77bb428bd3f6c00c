// Floating-point kernels that reproduce numpy / scipy / sklearn operation order, so that
// probabilities match sklearn to the last bits where it matters (sums that decide a
// normalisation, argmax ties) rather than merely approximately.
//
// Thread safety: pure functions.
#ifndef INFERD_SKLEARN_NUMERIC_H_
#define INFERD_SKLEARN_NUMERIC_H_

#include <cmath>
#include <cstddef>

namespace inferd::sklearn {

// numpy's add.reduce over a contiguous float64 run (pairwise_sum in loops_utils.h):
// sequential below 8 elements, 8 interleaved accumulators up to 128, halving above.
inline double NumpySum(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.0;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (size_t j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return NumpySum(a, n2) + NumpySum(a + n2, n - n2);
}

// scipy.special.expit.
inline double Expit(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// First index of the maximum (numpy argmax; NaN wins like in numpy).
inline size_t ArgMax(const double* a, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (std::isnan(a[best])) return best;
    if (a[i] > a[best] || std::isnan(a[i])) best = i;
  }
  return best;
}

// sklearn.utils.extmath.softmax on one row, in place: subtract the row max, exp, divide
// by the (numpy) sum.
inline void SoftmaxInPlace(double* z, size_t n) {
  double m = z[0];
  for (size_t i = 1; i < n; ++i) m = z[i] > m ? z[i] : m;
  for (size_t i = 0; i < n; ++i) z[i] = std::exp(z[i] - m);
  const double s = NumpySum(z, n);
  for (size_t i = 0; i < n; ++i) z[i] /= s;
}

// Row-wise `p /= p.sum()` as in LinearClassifierMixin._predict_proba_lr.
inline void NormalizeInPlace(double* p, size_t n) {
  const double s = NumpySum(p, n);
  for (size_t i = 0; i < n; ++i) p[i] /= s;
}

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_NUMERIC_H_
