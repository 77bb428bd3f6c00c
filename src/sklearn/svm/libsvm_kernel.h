// The kernels of scikit-learn's bundled (dense) libsvm, evaluated between one input row and
// every support vector with libsvm's operation order:
//   linear   dot(x, sv)
//   poly     powi(gamma * dot(x, sv) + coef0, degree)     (powi: square-and-multiply)
//   rbf      exp(-gamma * dot(x - sv, x - sv))            (difference vector first)
//   sigmoid  tanh(gamma * dot(x, sv) + coef0)
// libsvm's dot is a BLAS ddot; ours is a sequential sum, which differs only in the last
// bits (the parity tests measure it).
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_SVM_LIBSVM_KERNEL_H_
#define INFERD_SKLEARN_SVM_LIBSVM_KERNEL_H_

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace inferd::sklearn {

enum class KernelType { kLinear, kPoly, kRbf, kSigmoid };

struct KernelParams {
  KernelType type = KernelType::kRbf;
  double gamma = 0.0;
  double coef0 = 0.0;
  int degree = 3;  // >= 0
};

class LibsvmKernel {
 public:
  // REQUIRES: support_vectors.size() == n_sv * n_features.
  LibsvmKernel(KernelParams params, size_t n_features, size_t n_sv, std::vector<double> support_vectors)
      : params_(params), n_features_(n_features), n_sv_(n_sv), sv_(std::move(support_vectors)) {}

  size_t n_features() const { return n_features_; }
  size_t n_sv() const { return n_sv_; }
  const KernelParams& params() const { return params_; }

  // kvalue[i] = K(x, sv_i) for every support vector. REQUIRES: x has n_features() values,
  // kvalue has room for n_sv().
  void Eval(const double* x, double* kvalue) const {
    const size_t f = n_features_;
    for (size_t i = 0; i < n_sv_; ++i) {
      const double* sv = sv_.data() + i * f;
      switch (params_.type) {
        case KernelType::kLinear: kvalue[i] = Dot(x, sv); break;
        case KernelType::kPoly: kvalue[i] = Powi(params_.gamma * Dot(x, sv) + params_.coef0, params_.degree); break;
        case KernelType::kSigmoid: kvalue[i] = std::tanh(params_.gamma * Dot(x, sv) + params_.coef0); break;
        case KernelType::kRbf: {
          double s = 0.0;
          for (size_t j = 0; j < f; ++j) {
            const double d = x[j] - sv[j];
            s += d * d;
          }
          kvalue[i] = std::exp(-params_.gamma * s);
          break;
        }
      }
    }
  }

  static std::string Name(KernelType t) {
    switch (t) {
      case KernelType::kLinear: return "linear";
      case KernelType::kPoly: return "poly";
      case KernelType::kRbf: return "rbf";
      case KernelType::kSigmoid: return "sigmoid";
    }
    return "?";
  }

 private:
  double Dot(const double* a, const double* b) const {
    double s = 0.0;
    for (size_t j = 0; j < n_features_; ++j) s += a[j] * b[j];
    return s;
  }
  // libsvm's powi: base^times by square-and-multiply (times >= 0; 0 gives 1).
  static double Powi(double base, int times) {
    double tmp = base, ret = 1.0;
    for (int t = times; t > 0; t /= 2) {
      if (t % 2 == 1) ret *= tmp;
      tmp = tmp * tmp;
    }
    return ret;
  }

  const KernelParams params_;
  const size_t n_features_;
  const size_t n_sv_;
  const std::vector<double> sv_;  // n_sv x n_features, row-major
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_SVM_LIBSVM_KERNEL_H_
