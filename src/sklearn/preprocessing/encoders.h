// Runtimes for OneHotEncoder and OrdinalEncoder (sklearn-model-files.md §3.3) over numeric or
// string categories (categories.h: a string cell is its StringCode, None is kNoneCode).
//
//   OneHotEncoder: per input column one block of indicator columns. The adapter resolves
//     sklearn's drop_idx_ and infrequent grouping into, per category, the block position it
//     sets (or none, for the dropped one), and the position an unknown value sets: the
//     infrequent column under handle_unknown='infrequent_if_exist' when the column has
//     infrequent categories, else none (an all-zero block). With handle_unknown='error' an
//     unknown value is InvalidArgument at request time ("OneHotEncoder: column 2 has unknown
//     category 7.5"), which the server reports as a 400.
//   OrdinalEncoder: the index of the category; the NaN category -> encoded_missing_value
//     (None is an ordinary category); unknown -> unknown_value
//     (handle_unknown='use_encoded_value') or InvalidArgument.
//
// Both describe their string columns (column_facts.h): the strings they know, and whether an
// unknown one is an error.
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_PREPROCESSING_ENCODERS_H_
#define INFERD_SKLEARN_PREPROCESSING_ENCODERS_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sklearn/pipeline/column_facts.h"
#include "sklearn/preprocessing/categories.h"
#include "sklearn/preprocessing/transformer_base.h"

namespace inferd::sklearn {

// One input column of a OneHotEncoder and its block of output columns.
struct OneHotColumn {
  CategoryList categories;
  // Per category (categories_ order): the block position it sets, or -1 (dropped: all zeros).
  // REQUIRES: each position < width.
  std::vector<long> position;
  // The block position an unknown value sets, or -1 (all zeros). Unused when unknown values
  // are errors.
  long unknown_position = -1;
  size_t width = 0;
  // Per category, str(category) as get_feature_names_out writes it; empty when not known.
  std::vector<std::string> texts;
  // The block position of the infrequent group ("infrequent_sklearn"), or -1.
  long infrequent_position = -1;
};

class OneHotEncoderModel final : public TransformerModel,
                                 public DescribesInputs,
                                 public AttributesOutputs,
                                 public NamesOutputs {
 public:
  // `unknown_is_error`: handle_unknown='error'.
  OneHotEncoderModel(std::vector<OneHotColumn> columns, bool unknown_is_error);
  std::string Describe() const override { return "OneHotEncoder"; }
  // Each input column's block of indicator columns comes from it.
  std::vector<long> output_sources() const override {
    std::vector<long> s;
    for (size_t c = 0; c < columns_.size(); ++c) s.insert(s.end(), columns_[c].width, static_cast<long>(c));
    return s;
  }
  Status Transform(const double* x, size_t n_rows, double* out) const override;
  void DescribeInputs(std::span<ColumnFacts> facts) const override;
  // <column>_<str(category)> per block position, <column>_infrequent_sklearn for the group.
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override;

 private:
  const std::vector<OneHotColumn> columns_;
  const bool unknown_is_error_;
};

class OrdinalEncoderModel final : public TransformerModel,
                                  public DescribesInputs,
                                  public AttributesOutputs,
                                  public NamesOutputs {
 public:
  // unknown_value: nullopt = handle_unknown 'error'.
  OrdinalEncoderModel(std::vector<CategoryList> categories, std::optional<double> unknown_value,
                      double encoded_missing_value);
  std::string Describe() const override { return "OrdinalEncoder"; }
  std::vector<long> output_sources() const override { return IdentitySources(categories_.size()); }
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override {
    return {input_names.begin(), input_names.end()};
  }
  Status Transform(const double* x, size_t n_rows, double* out) const override;
  void DescribeInputs(std::span<ColumnFacts> facts) const override;

 private:
  const std::vector<CategoryList> categories_;
  const std::optional<double> unknown_value_;
  const double encoded_missing_value_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_ENCODERS_H_
