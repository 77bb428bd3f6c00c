#include "sklearn/pipeline/column_facts.h"

namespace inferd::sklearn {

void ColumnFacts::Merge(const ColumnFacts& later) {
  if (later.type == InputColumn::Type::kString) type = InputColumn::Type::kString;
  categories.insert(categories.end(), later.categories.begin(), later.categories.end());
  unknown_is_error = unknown_is_error || later.unknown_is_error;
}

void DescribeInto(const Model& model, std::span<ColumnFacts> facts) {
  if (const auto* d = dynamic_cast<const DescribesInputs*>(&model)) d->DescribeInputs(facts);
}

std::vector<ColumnFacts> DescribeInputsOf(const Model& model) {
  std::vector<ColumnFacts> facts(model.n_features());
  DescribeInto(model, facts);
  return facts;
}

}  // namespace inferd::sklearn
