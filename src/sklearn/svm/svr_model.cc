#include "sklearn/svm/svr_model.h"

#include <utility>

namespace inferd::sklearn {

SvrModel::SvrModel(std::string name, LibsvmKernel kernel, std::vector<double> dual_coef, double intercept)
    : name_(std::move(name)), kernel_(std::move(kernel)), dual_coef_(std::move(dual_coef)), intercept_(intercept) {}

std::string SvrModel::Describe() const {
  return name_ + "[" + LibsvmKernel::Name(kernel_.params().type) + ", " + std::to_string(kernel_.n_sv()) +
         " support vectors]";
}

Status SvrModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  thread_local std::vector<double> kvalue;
  kvalue.resize(kernel_.n_sv());
  for (size_t r = 0; r < n_rows; ++r) {
    kernel_.Eval(x + r * kernel_.n_features(), kvalue.data());
    double sum = 0;
    for (size_t i = 0; i < dual_coef_.size(); ++i) sum += dual_coef_[i] * kvalue[i];
    sum -= -intercept_;  // libsvm: sum -= rho, rho = -intercept (exactly sum + intercept)
    out[r] = sum;
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
