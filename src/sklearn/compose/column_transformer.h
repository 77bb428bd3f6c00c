// Runtime for sklearn.compose.ColumnTransformer (sklearn-model-files.md §3.3): the output
// row is the concatenation, in transformers_ order (remainder last), of each part's
// transform of its selected input columns, multiplied by the part's transformer_weights
// entry if any. A part without a model is a passthrough (the string or an identity
// FunctionTransformer). Errors of a part (e.g. an unknown category) are returned prefixed
// with the part's name.
//
// Missing values: accepted iff every part accepts them; the output is NaN-free iff every
// part removes them (a passthrough does not).
//
// Input columns (column_facts.h): each part's facts about its columns, merged when parts
// share a column (a string column if any part reads strings; categories joined; an unknown
// string is an error if any part refuses it); a passthrough reads numbers; a column no part
// reads is kAny. Output columns copied from an input column (a passthrough, or a part that
// passes columns through, unweighted) are reported as such.
//
// Thread safety: immutable after construction; scratch is per call.
#ifndef INFERD_SKLEARN_COMPOSE_COLUMN_TRANSFORMER_H_
#define INFERD_SKLEARN_COMPOSE_COLUMN_TRANSFORMER_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sklearn/pipeline/column_facts.h"
#include "sklearn/preprocessing/transformer_base.h"

namespace inferd::sklearn {

struct ColumnPart {
  std::string name;
  std::vector<size_t> columns;         // indices into the input row, each < n_features
  std::unique_ptr<const Model> model;  // null: passthrough; else kind kTransformer with
                                       // n_features() == columns.size()
  double weight = 1.0;
  bool weighted = false;
  // A passthrough sklearn cannot name (an identity FunctionTransformer without feature_names_out).
  bool unnamed = false;
  size_t width() const { return model ? model->n_outputs() : columns.size(); }
};

class ColumnTransformerModel final : public TransformerModel,
                                     public DescribesInputs,
                                     public PassesColumnsThrough,
                                     public AttributesOutputs,
                                     public NamesOutputs {
 public:
  // `verbose_names`: verbose_feature_names_out (each output named <part>__<name>).
  ColumnTransformerModel(size_t n_features, std::vector<ColumnPart> parts, bool verbose_names = true);
  std::string Describe() const override;
  Status Transform(const double* x, size_t n_rows, double* out) const override;
  void DescribeInputs(std::span<ColumnFacts> facts) const override;
  const std::vector<long>& passed_through() const override { return passed_through_; }
  // Each part's outputs, mapped back through the columns it selects.
  std::vector<long> output_sources() const override;
  // Each part's names of its selected columns' outputs, prefixed with the part's name when
  // verbose (as get_feature_names_out); empty if a part cannot name its outputs or, not
  // verbose, two names are equal (sklearn refuses those).
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override;

 private:
  const std::vector<ColumnPart> parts_;
  const bool verbose_names_;
  std::vector<long> passed_through_;
};

// Width of the concatenated output, and the missing-value flags, of `parts`.
size_t ColumnPartsWidth(const std::vector<ColumnPart>& parts);
bool ColumnPartsAccept(const std::vector<ColumnPart>& parts);
bool ColumnPartsRemove(const std::vector<ColumnPart>& parts);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_COMPOSE_COLUMN_TRANSFORMER_H_
