// Runtime for SVR / NuSVR (libsvm epsilon_svr / nu_svr):
//   y = sum_i dual[i] K(x, sv_i) - rho,   rho = -_intercept_[0]
// summed over the support vectors in order, as libsvm's svm_predict_values.
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_SVM_SVR_MODEL_H_
#define INFERD_SKLEARN_SVM_SVR_MODEL_H_

#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/svm/libsvm_kernel.h"

namespace inferd::sklearn {

class SvrModel final : public Model {
 public:
  // REQUIRES: dual_coef.size() == kernel.n_sv().
  SvrModel(std::string name, LibsvmKernel kernel, std::vector<double> dual_coef, double intercept);

  ModelKind kind() const override { return ModelKind::kRegressor; }
  size_t n_features() const override { return kernel_.n_features(); }
  size_t n_outputs() const override { return 1; }
  const std::vector<Label>& classes() const override { return no_classes_; }
  std::string Describe() const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;

 private:
  const std::string name_;
  const LibsvmKernel kernel_;
  const std::vector<double> dual_coef_;
  const double intercept_;
  const std::vector<Label> no_classes_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_SVM_SVR_MODEL_H_
