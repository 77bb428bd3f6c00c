// Common base of the row-transformer runtimes (encoders, imputer, PCA, Normalizer,
// PolynomialFeatures, ColumnTransformer): kind kTransformer with fixed input/output widths
// and the missing-value policy of pipeline/missing_policy.h.
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_PREPROCESSING_TRANSFORMER_BASE_H_
#define INFERD_SKLEARN_PREPROCESSING_TRANSFORMER_BASE_H_

#include <cstddef>
#include <vector>

#include "inferd/model.h"
#include "sklearn/pipeline/missing_policy.h"

namespace inferd::sklearn {

class TransformerModel : public Model, public RemovesMissing {
 public:
  // `accepts`: NaN inputs are meaningful (sklearn validates with allow-nan);
  // `removes`: the output never contains NaN.
  TransformerModel(size_t n_in, size_t n_out, bool accepts, bool removes)
      : n_in_(n_in), n_out_(n_out), accepts_(accepts), removes_(removes) {}

  ModelKind kind() const final { return ModelKind::kTransformer; }
  size_t n_features() const final { return n_in_; }
  size_t n_outputs() const final { return n_out_; }
  const std::vector<Label>& classes() const final { return no_classes_; }
  bool accepts_missing() const final { return accepts_; }
  bool removes_missing() const final { return removes_; }

 private:
  const size_t n_in_, n_out_;
  const bool accepts_, removes_;
  const std::vector<Label> no_classes_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_TRANSFORMER_BASE_H_
