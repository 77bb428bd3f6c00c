#include "sklearn/svm/pairwise_coupling.h"

#include <algorithm>
#include <cmath>

namespace inferd::sklearn {

double PlattSigmoid(double dec, double a, double b) {
  const double f = dec * a + b;
  // Both branches are 1 / (1 + exp(f)); the split avoids overflow and keeps 1 - p exact.
  if (f >= 0) return std::exp(-f) / (1.0 + std::exp(-f));
  return 1.0 / (1 + std::exp(f));
}

void MulticlassProbability(size_t k, const double* r, double* p, double* scratch) {
  // Q[t][t] = sum_{j != t} r[j][t]^2, Q[t][j] = -r[j][t] * r[t][j]; minimise p'Qp with
  // sum(p) = 1 by coordinate updates, renormalising after each one. The operation order
  // below is libsvm's, so the iteration count and the result match it bit for bit.
  double* q = scratch;           // k x k
  double* qp = scratch + k * k;  // k
  const int max_iter = static_cast<int>(std::max<size_t>(100, k));
  const double eps = 0.005 / static_cast<double>(k);
  for (size_t t = 0; t < k; ++t) {
    p[t] = 1.0 / static_cast<double>(k);
    double& qtt = q[t * k + t];
    qtt = 0;
    for (size_t j = 0; j < t; ++j) {
      qtt += r[j * k + t] * r[j * k + t];
      q[t * k + j] = q[j * k + t];
    }
    for (size_t j = t + 1; j < k; ++j) {
      qtt += r[j * k + t] * r[j * k + t];
      q[t * k + j] = -r[j * k + t] * r[t * k + j];
    }
  }
  for (int iter = 0; iter < max_iter; ++iter) {
    // Recompute Qp and pQp from scratch at each stopping test, for accuracy.
    double pqp = 0;
    for (size_t t = 0; t < k; ++t) {
      qp[t] = 0;
      for (size_t j = 0; j < k; ++j) qp[t] += q[t * k + j] * p[j];
      pqp += p[t] * qp[t];
    }
    double max_error = 0;
    for (size_t t = 0; t < k; ++t) max_error = std::max(max_error, std::fabs(qp[t] - pqp));
    if (max_error < eps) break;
    for (size_t t = 0; t < k; ++t) {
      const double qtt = q[t * k + t];
      const double diff = (-qp[t] + pqp) / qtt;
      p[t] += diff;
      pqp = (pqp + diff * (diff * qtt + 2 * qp[t])) / (1 + diff) / (1 + diff);
      for (size_t j = 0; j < k; ++j) {
        qp[j] = (qp[j] + diff * q[t * k + j]) / (1 + diff);
        p[j] /= (1 + diff);
      }
    }
  }
}

}  // namespace inferd::sklearn
