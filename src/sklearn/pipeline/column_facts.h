// What a model knows about the columns it is given: for each input column, whether it reads
// strings, numbers or nothing, and the string categories it knows. The input schema of a
// loaded model (inferd/input_schema.h) is built from these facts, walking from the model's
// first step: a Pipeline asks its first step, and through steps that pass columns on
// unchanged (SimpleImputer) the next one; a ColumnTransformer asks each part for its columns.
//
// A model that does not implement DescribesInputs reads every column as a number.
//
// Thread safety: pure queries on immutable models.
#ifndef INFERD_SKLEARN_PIPELINE_COLUMN_FACTS_H_
#define INFERD_SKLEARN_PIPELINE_COLUMN_FACTS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "inferd/input_schema.h"
#include "inferd/model.h"

namespace inferd::sklearn {

// What a model does with NaN in one input column.
enum class MissingRule : uint8_t {
  kRefused,  // NaN here is an error (sklearn's validation refuses it)
  kRemoved,  // accepted, and no NaN from it reaches the model's output (an imputer)
  kPassed,   // accepted, and may reach the output as NaN (a scaler, a passthrough part)
};

struct ColumnFacts {
  InputColumn::Type type = InputColumn::Type::kNumber;
  // kString: the strings the model knows (any order, duplicates allowed).
  std::vector<std::string> categories;
  bool unknown_is_error = false;
  // Filled by DescribeInto from the model's accepts_missing()/removes_missing() before the
  // model's own DescribeInputs; a part that copies a column unchanged leaves kPassed.
  MissingRule missing = MissingRule::kPassed;

  // Adds what `later` (a later step reading the same column) knows: a string column stays
  // one, categories are joined, an unknown string is an error if either step refuses it, and
  // NaN is refused if either refuses it, else passed on if either passes it on.
  void Merge(const ColumnFacts& later);
};

class DescribesInputs {
 public:
  virtual ~DescribesInputs() = default;
  // REQUIRES: facts.size() == n_features(); each element starts as the default (a number).
  // Fills what this model knows about each of its input columns.
  virtual void DescribeInputs(std::span<ColumnFacts> facts) const = 0;
};

class PassesColumnsThrough {
 public:
  virtual ~PassesColumnsThrough() = default;
  // For each output column, the input column it copies (values only replaced where missing),
  // or -1 if it is computed (an indicator column).
  virtual const std::vector<long>& passed_through() const = 0;
};

// Transformers whose output columns each come from one input column (scalers, imputers,
// encoders, ColumnTransformer over them), so that explanations of a pipeline can be given per
// input column: a transformed feature's contribution goes to the column it came from.
class AttributesOutputs {
 public:
  virtual ~AttributesOutputs() = default;
  // For each output column, the one input column it is computed from, or kMixedColumns.
  virtual std::vector<long> output_sources() const = 0;
};
inline constexpr long kMixedColumns = -1;
// `model`'s output sources when it AttributesOutputs, else every output mixed.
std::vector<long> OutputSourcesOf(const Model& model);
// 0, 1, ..., n - 1.
std::vector<long> IdentitySources(size_t n);

// Transformers that name their output columns as sklearn's get_feature_names_out(input_features)
// does, so that a pipeline's contributions can be given per transformed feature by name.
class NamesOutputs {
 public:
  virtual ~NamesOutputs() = default;
  // REQUIRES: input_names.size() == n_features(). n_outputs() names, or empty when this
  // fitted transformer's names cannot be known (then no name is given rather than a wrong one).
  virtual std::vector<std::string> OutputNames(std::span<const std::string> input_names) const = 0;
};
// `model`'s output names when it NamesOutputs, else empty.
std::vector<std::string> OutputNamesOf(const Model& model, std::span<const std::string> input_names);
// x0, x1, ..., x{n-1}: sklearn's names of columns fitted without names.
std::vector<std::string> DefaultInputNames(size_t n);

// Models that can explain per transformed feature (pipelines with transformer steps): the
// names of those features for the model's input column names.
class NamesTransformedFeatures {
 public:
  virtual ~NamesTransformedFeatures() = default;
  // REQUIRES: input_names.size() == n_features(). Empty when a step cannot name its outputs.
  virtual std::vector<std::string> TransformedFeatureNames(std::span<const std::string> input_names) const = 0;
};

// The missing-value rule of every column of a model that says nothing per column.
MissingRule ModelMissingRule(const Model& model);
// The facts of `model`'s n_features() input columns (all numbers unless it DescribesInputs).
std::vector<ColumnFacts> DescribeInputsOf(const Model& model);
// Fills `facts` (size model.n_features()) from `model`, when it DescribesInputs.
void DescribeInto(const Model& model, std::span<ColumnFacts> facts);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PIPELINE_COLUMN_FACTS_H_
