// Runtime for SimpleImputer (sklearn-model-files.md §3.3):
//   mask = isnan(x) if missing_values is NaN, else x == missing_values;
//   kept columns (all, or those whose statistic is not NaN unless strategy == 'constant' or
//   keep_empty_features) with masked entries replaced by statistics_[col];
//   then, with add_indicator, 1.0/0.0 indicator columns for indicator_.features_ (the
//   columns that had missing values at fit), computed on the original row.
// NaN inputs are accepted only when missing_values is NaN (sklearn validates with
// allow-nan exactly then); the output is then NaN-free.
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_PREPROCESSING_IMPUTER_H_
#define INFERD_SKLEARN_PREPROCESSING_IMPUTER_H_

#include <string>
#include <vector>

#include "sklearn/preprocessing/transformer_base.h"

namespace inferd::sklearn {

class SimpleImputerModel final : public TransformerModel {
 public:
  // REQUIRES: kept[i] < n_in; statistics.size() == n_in; indicator[i] < n_in.
  SimpleImputerModel(size_t n_in, double missing_value, std::vector<double> statistics, std::vector<size_t> kept,
                     std::vector<size_t> indicator);
  std::string Describe() const override;
  Status Transform(const double* x, size_t n_rows, double* out) const override;

 private:
  bool IsMissing(double v) const;

  const double missing_value_;
  const std::vector<double> statistics_;
  const std::vector<size_t> kept_;
  const std::vector<size_t> indicator_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_IMPUTER_H_
