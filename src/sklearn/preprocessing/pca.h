// Runtime for sklearn.decomposition.PCA.transform (sklearn-model-files.md §3.3), with the
// formula of the sklearn version that wrote the file:
//   <= 1.4: z = (x - mean_) @ components_.T;            whiten: z /= sqrt(explained_variance_)
//   >= 1.5: z = x @ components_.T - mean_ @ components_.T; whiten: z /= max(sqrt(ev), eps)
// The two differ in rounding only. NaN inputs are refused (sklearn validates finite input).
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_PREPROCESSING_PCA_H_
#define INFERD_SKLEARN_PREPROCESSING_PCA_H_

#include <string>
#include <vector>

#include "sklearn/pipeline/column_facts.h"
#include "sklearn/preprocessing/transformer_base.h"

namespace inferd::sklearn {

class PcaModel final : public TransformerModel, public NamesOutputs {
 public:
  // components: k x n_in row-major; mean: n_in; scale: k divisors (empty: no whitening).
  PcaModel(size_t n_in, size_t k, std::vector<double> mean, std::vector<double> components, std::vector<double> scale,
           bool new_formula);
  std::string Describe() const override;
  Status Transform(const double* x, size_t n_rows, double* out) const override;
  // pca0, pca1, ... (sklearn's class-name prefix).
  std::vector<std::string> OutputNames(std::span<const std::string>) const override {
    std::vector<std::string> names(n_outputs());
    for (size_t i = 0; i < names.size(); ++i) names[i] = "pca" + std::to_string(i);
    return names;
  }

 private:
  const std::vector<double> mean_;
  const std::vector<double> components_;
  const std::vector<double> scale_;
  const bool new_formula_;
  std::vector<double> mean_projected_;  // mean_ @ components_.T (>= 1.5 formula)
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_PCA_H_
