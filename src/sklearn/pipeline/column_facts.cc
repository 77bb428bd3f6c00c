#include "sklearn/pipeline/column_facts.h"

#include "sklearn/pipeline/missing_policy.h"

namespace inferd::sklearn {

void ColumnFacts::Merge(const ColumnFacts& later) {
  if (later.type == InputColumn::Type::kString) type = InputColumn::Type::kString;
  categories.insert(categories.end(), later.categories.begin(), later.categories.end());
  unknown_is_error = unknown_is_error || later.unknown_is_error;
  if (missing == MissingRule::kRefused || later.missing == MissingRule::kRefused) {
    missing = MissingRule::kRefused;
  } else if (missing == MissingRule::kPassed || later.missing == MissingRule::kPassed) {
    missing = MissingRule::kPassed;
  }
}

MissingRule ModelMissingRule(const Model& model) {
  if (!model.accepts_missing()) return MissingRule::kRefused;
  return OutputFreeOfMissing(model) ? MissingRule::kRemoved : MissingRule::kPassed;
}

void DescribeInto(const Model& model, std::span<ColumnFacts> facts) {
  const MissingRule rule = ModelMissingRule(model);
  for (ColumnFacts& f : facts) f.missing = rule;
  if (const auto* d = dynamic_cast<const DescribesInputs*>(&model)) d->DescribeInputs(facts);
}

std::vector<ColumnFacts> DescribeInputsOf(const Model& model) {
  std::vector<ColumnFacts> facts(model.n_features());
  DescribeInto(model, facts);
  return facts;
}

std::vector<long> OutputSourcesOf(const Model& model) {
  if (const auto* a = dynamic_cast<const AttributesOutputs*>(&model)) return a->output_sources();
  return std::vector<long>(model.n_outputs(), kMixedColumns);
}

std::vector<std::string> OutputNamesOf(const Model& model, std::span<const std::string> input_names) {
  const auto* n = dynamic_cast<const NamesOutputs*>(&model);
  if (n == nullptr || input_names.size() != model.n_features()) return {};
  std::vector<std::string> out = n->OutputNames(input_names);
  if (out.size() != model.n_outputs()) return {};
  return out;
}

std::vector<std::string> DefaultInputNames(size_t n) {
  std::vector<std::string> names(n);
  for (size_t i = 0; i < n; ++i) names[i] = "x" + std::to_string(i);
  return names;
}

std::vector<long> IdentitySources(size_t n) {
  std::vector<long> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<long>(i);
  return s;
}

}  // namespace inferd::sklearn
