// Runtime for SimpleImputer (sklearn-model-files.md §3.3) over number and string columns
// (a string cell is its StringCode, None is kNoneCode: inferd/input_schema.h):
//   a cell is missing when missing_values is NaN and the cell is NaN (in any column: sklearn
//   masks X != X, so None is not missing then), or when the cell equals missing_values and
//   its column is of the same kind (None or a string: string columns; a number: number
//   columns);
//   kept columns (all, or those whose statistic is not NaN unless strategy == 'constant' or
//   keep_empty_features) with missing cells replaced by statistics_[col];
//   then, with add_indicator, 1.0/0.0 indicator columns for indicator_.features_ (the
//   columns that had missing values at fit), computed on the original row.
// NaN inputs are accepted only when missing_values is NaN (sklearn validates with
// allow-nan exactly then); the output is then NaN-free.
//
// A string column is one whose statistic is a string or None. The imputer describes those
// columns as string columns knowing their statistic (and a str missing_values marker), and
// passes its kept columns through.
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_PREPROCESSING_IMPUTER_H_
#define INFERD_SKLEARN_PREPROCESSING_IMPUTER_H_

#include <span>
#include <string>
#include <vector>

#include "sklearn/pipeline/column_facts.h"
#include "sklearn/preprocessing/transformer_base.h"

namespace inferd::sklearn {

// One column's fitted statistic: a number, or a string column's code and text ("None" for
// kNoneCode).
struct ImputerStatistic {
  double value = 0.0;
  bool is_string = false;
  std::string text;
};

// missing_values: NaN, a number, or None / a str (kString: its code, kNoneCode for None).
struct ImputerMissing {
  enum class Kind { kNan, kNumber, kString };
  Kind kind = Kind::kNan;
  double value = 0.0;
  // A str marker: string columns know it, so that request cells carry its code.
  std::string text;
};

class SimpleImputerModel final : public TransformerModel,
                                 public DescribesInputs,
                                 public PassesColumnsThrough,
                                 public AttributesOutputs,
                                 public NamesOutputs {
 public:
  // REQUIRES: kept[i] < n_in; statistics.size() == n_in; indicator[i] < n_in.
  SimpleImputerModel(size_t n_in, ImputerMissing missing, std::vector<ImputerStatistic> statistics,
                     std::vector<size_t> kept, std::vector<size_t> indicator);
  std::string Describe() const override;
  Status Transform(const double* x, size_t n_rows, double* out) const override;
  void DescribeInputs(std::span<ColumnFacts> facts) const override;
  const std::vector<long>& passed_through() const override { return passed_through_; }
  // The kept columns, then the missing indicators, each from its column.
  std::vector<long> output_sources() const override {
    std::vector<long> s(kept_.begin(), kept_.end());
    s.insert(s.end(), indicator_.begin(), indicator_.end());
    return s;
  }
  // The kept columns' names, then missingindicator_<name> per indicator.
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override {
    std::vector<std::string> names;
    for (size_t k : kept_) names.push_back(input_names[k]);
    for (size_t k : indicator_) names.push_back("missingindicator_" + input_names[k]);
    return names;
  }

 private:
  bool IsMissing(size_t col, double v) const;

  const ImputerMissing missing_;
  const std::vector<ImputerStatistic> statistics_;
  const std::vector<size_t> kept_;
  const std::vector<size_t> indicator_;
  std::vector<long> passed_through_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_IMPUTER_H_
