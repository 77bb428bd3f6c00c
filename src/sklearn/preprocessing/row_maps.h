// Stateless per-row feature maps: Normalizer and PolynomialFeatures.
//
//   Normalizer: x / norm(x) with norm l2 (sqrt of the sum of squares), l1 (sum of |x|) or
//     max (max |x|); norms below 10 * float64 eps are replaced by 1 (sklearn's
//     _handle_zeros_in_scale), so zero rows stay zero.
//   PolynomialFeatures: the columns of sklearn's dense transform, in powers_ order, computed
//     with sklearn's own recurrence (each degree-d block = the degree-(d-1) columns starting
//     at feature f, times x_f), so every product is rounded exactly as in sklearn; with
//     min_degree > 1 only the bias (if any) and the degrees >= min_degree are kept.
// Both refuse NaN (sklearn validates finite input).
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_PREPROCESSING_ROW_MAPS_H_
#define INFERD_SKLEARN_PREPROCESSING_ROW_MAPS_H_

#include <string>
#include <vector>

#include "sklearn/pipeline/column_facts.h"
#include "sklearn/preprocessing/transformer_base.h"

namespace inferd::sklearn {

class NormalizerModel final : public TransformerModel, public NamesOutputs {
 public:
  enum class Norm { kL1, kL2, kMax };
  NormalizerModel(size_t n_in, Norm norm) : TransformerModel(n_in, n_in, false, true), norm_(norm) {}
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override {
    return {input_names.begin(), input_names.end()};
  }
  std::string Describe() const override;
  Status Transform(const double* x, size_t n_rows, double* out) const override;

 private:
  const Norm norm_;
};

class PolynomialFeaturesModel final : public TransformerModel, public NamesOutputs {
 public:
  // Output width for these parameters, or an error if it exceeds `limit` columns.
  static StatusOr<size_t> OutputWidth(size_t n_in, size_t min_degree, size_t max_degree, bool interaction_only,
                                      bool include_bias, size_t limit);
  // REQUIRES: OutputWidth(...) succeeded.
  PolynomialFeaturesModel(size_t n_in, size_t min_degree, size_t max_degree, bool interaction_only, bool include_bias,
                          size_t n_out);
  std::string Describe() const override;
  Status Transform(const double* x, size_t n_rows, double* out) const override;
  // Per output column its powers_ row written as sklearn writes it: "1", "x0", "x0^2", "x0 x1".
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override;

 private:
  const size_t min_degree_, max_degree_;
  const bool interaction_only_, include_bias_;
  size_t n_full_ = 0;  // columns of the full expansion (min_degree 0)
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_ROW_MAPS_H_
