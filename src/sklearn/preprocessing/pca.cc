#include "sklearn/preprocessing/pca.h"

#include <utility>

namespace inferd::sklearn {

PcaModel::PcaModel(size_t n_in, size_t k, std::vector<double> mean, std::vector<double> components,
                   std::vector<double> scale, bool new_formula)
    : TransformerModel(n_in, k, /*accepts=*/false, /*removes=*/true),
      mean_(std::move(mean)),
      components_(std::move(components)),
      scale_(std::move(scale)),
      new_formula_(new_formula) {
  if (new_formula_) {
    mean_projected_.assign(k, 0.0);
    for (size_t c = 0; c < k; ++c) {
      double s = 0.0;
      for (size_t j = 0; j < n_in; ++j) s += mean_[j] * components_[c * n_in + j];
      mean_projected_[c] = s;
    }
  }
}

std::string PcaModel::Describe() const {
  return "PCA[" + std::to_string(n_outputs()) + " components" + (scale_.empty() ? "" : ", whiten") + "]";
}

Status PcaModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t nin = n_features(), k = n_outputs();
  std::vector<double> centred(nin);
  for (size_t r = 0; r < n_rows; ++r) {
    const double* row = x + r * nin;
    double* o = out + r * k;
    if (!new_formula_) {
      for (size_t j = 0; j < nin; ++j) centred[j] = row[j] - mean_[j];
      row = centred.data();
    }
    for (size_t c = 0; c < k; ++c) {
      const double* comp = components_.data() + c * nin;
      double s = 0.0;
      for (size_t j = 0; j < nin; ++j) s += row[j] * comp[j];
      if (new_formula_) s -= mean_projected_[c];
      if (!scale_.empty()) s /= scale_[c];
      o[c] = s;
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
