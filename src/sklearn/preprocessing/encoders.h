// Runtimes for OneHotEncoder and OrdinalEncoder with numeric categories
// (sklearn-model-files.md §3.3). A value matches a category when it is equal to it
// (NaN matches a NaN category, which sklearn keeps last in categories_).
//
//   OneHotEncoder: per input column one block of indicator columns, in category order,
//     without the dropped category (drop_idx_). A value equal to the dropped category gives
//     an all-zero block. Unknown values: handle_unknown='ignore' -> all-zero block; 'error'
//     -> InvalidArgument at request time ("OneHotEncoder: column 2 has unknown category
//     7.5"), which the server reports as a 400.
//   OrdinalEncoder: the index of the category; NaN (when NaN was a category) ->
//     encoded_missing_value; unknown -> unknown_value (handle_unknown='use_encoded_value')
//     or InvalidArgument.
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_PREPROCESSING_ENCODERS_H_
#define INFERD_SKLEARN_PREPROCESSING_ENCODERS_H_

#include <optional>
#include <string>
#include <vector>

#include "sklearn/preprocessing/transformer_base.h"

namespace inferd::sklearn {

// Sorted numeric categories of one column, NaN (if present) removed and remembered.
struct CategoryList {
  std::vector<double> values;  // ascending, NaN-free
  bool has_nan = false;        // NaN is category number values.size()
  size_t size() const { return values.size() + (has_nan ? 1 : 0); }
  // Index of v, or -1 if unknown.
  long Find(double v) const;
};

class OneHotEncoderModel final : public TransformerModel {
 public:
  // drop[i]: index of the dropped category of column i, or -1.
  OneHotEncoderModel(std::vector<CategoryList> categories, std::vector<long> drop, bool ignore_unknown);
  std::string Describe() const override { return "OneHotEncoder"; }
  Status Transform(const double* x, size_t n_rows, double* out) const override;

 private:
  const std::vector<CategoryList> categories_;
  const std::vector<long> drop_;
  const bool ignore_unknown_;
};

class OrdinalEncoderModel final : public TransformerModel {
 public:
  // unknown_value: nullopt = handle_unknown 'error'.
  OrdinalEncoderModel(std::vector<CategoryList> categories, std::optional<double> unknown_value,
                      double encoded_missing_value);
  std::string Describe() const override { return "OrdinalEncoder"; }
  Status Transform(const double* x, size_t n_rows, double* out) const override;

 private:
  const std::vector<CategoryList> categories_;
  const std::optional<double> unknown_value_;
  const double encoded_missing_value_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_ENCODERS_H_
