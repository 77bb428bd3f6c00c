#include "sklearn/input_schema_builder.h"

#include <string>
#include <utility>
#include <vector>

#include "sklearn/pipeline/column_facts.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

// The record whose feature_names_in_ names the model's input: the estimator itself, or a
// Pipeline's first step that is not 'passthrough'/None (Pipeline does not store the names).
const Value* NamesHolder(const Value& root, int depth = 0) {
  if (depth > 8 || root.kind != Kind::kObject) return nullptr;
  if (root.Attr("feature_names_in_") != nullptr) return &root;
  const Value* steps = root.Attr("steps");
  if (steps == nullptr || (steps->kind != Kind::kList && steps->kind != Kind::kTuple)) return nullptr;
  for (const auto& step : steps->items) {
    if (step->kind != Kind::kTuple || step->items.size() != 2) return nullptr;
    const Value& est = *step->items[1];
    if (est.is_none() || (est.kind == Kind::kStr && est.s == "passthrough")) continue;
    return NamesHolder(est, depth + 1);
  }
  return nullptr;
}

std::vector<std::string> FeatureNames(const Value& root, size_t n) {
  const Value* holder = NamesHolder(root);
  if (holder == nullptr) return {};
  const Value* names = holder->Attr("feature_names_in_");
  if (names->kind != Kind::kArray || names->array == nullptr) return {};
  StatusOr<std::vector<std::string>> s = names->array->ToStrings();
  if (!s.ok() || s->size() != n) return {};
  return std::move(s).value();
}

class SchemaModel final : public Model {
 public:
  SchemaModel(ModelPtr inner, InputSchema schema)
      : inner_(std::move(inner)), schema_(std::move(schema)), transformed_names_(inner_->transformed_feature_names()) {
    // The transformed features named from this schema's column names, as sklearn names them
    // from feature_names_in_ (an inner schema model has named them already).
    const auto* namer = dynamic_cast<const NamesTransformedFeatures*>(inner_.get());
    if (namer != nullptr && !transformed_names_.empty() && schema_.size() == inner_->n_features()) {
      std::vector<std::string> columns;
      for (const InputColumn& c : schema_.columns()) columns.push_back(c.name);
      std::vector<std::string> names = namer->TransformedFeatureNames(columns);
      if (names.size() == transformed_names_.size()) transformed_names_ = std::move(names);
    }
  }

  ModelKind kind() const override { return inner_->kind(); }
  size_t n_features() const override { return inner_->n_features(); }
  size_t n_outputs() const override { return inner_->n_outputs(); }
  const std::vector<Label>& classes() const override { return inner_->classes(); }
  bool has_proba() const override { return inner_->has_proba(); }
  bool accepts_missing() const override { return inner_->accepts_missing(); }
  size_t decision_function_width() const override { return inner_->decision_function_width(); }
  size_t contribution_groups() const override { return inner_->contribution_groups(); }
  std::string contribution_space() const override { return inner_->contribution_space(); }
  ContributionForm contribution_form() const override { return inner_->contribution_form(); }
  const std::vector<std::string>& transformed_feature_names() const override { return transformed_names_; }
  size_t raw_score_width() const override { return inner_->raw_score_width(); }
  const InputSchema& input_schema() const override { return schema_; }
  std::string Describe() const override { return inner_->Describe(); }

  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override {
    return inner_->PredictClass(x, n_rows, out);
  }
  Status PredictValue(const double* x, size_t n_rows, double* out) const override {
    return inner_->PredictValue(x, n_rows, out);
  }
  Status PredictProba(const double* x, size_t n_rows, double* out) const override {
    return inner_->PredictProba(x, n_rows, out);
  }
  Status Transform(const double* x, size_t n_rows, double* out) const override {
    return inner_->Transform(x, n_rows, out);
  }
  Status DecisionFunction(const double* x, size_t n_rows, double* out) const override {
    return inner_->DecisionFunction(x, n_rows, out);
  }
  Status Contributions(const double* x, size_t n_rows, double* out) const override {
    return inner_->Contributions(x, n_rows, out);
  }
  Status TransformedContributions(const double* x, size_t n_rows, double* out) const override {
    return inner_->TransformedContributions(x, n_rows, out);
  }
  Status RawScore(const double* x, size_t n_rows, double* out) const override {
    return inner_->RawScore(x, n_rows, out);
  }

 private:
  const ModelPtr inner_;
  const InputSchema schema_;
  std::vector<std::string> transformed_names_;
};

}  // namespace

InputSchema BuildInputSchema(const Value& root, const Model& model) {
  const size_t n = model.n_features();
  std::vector<std::string> names = FeatureNames(root, n);
  if (names.empty() && model.input_schema().named() && model.input_schema().size() == n) {
    // Names the model file itself records (an XGBoost booster's feature_names).
    for (const InputColumn& c : model.input_schema().columns()) names.push_back(c.name);
  }
  const bool named = !names.empty();
  std::vector<ColumnFacts> facts = DescribeInputsOf(model);
  std::vector<InputColumn> columns(n);
  for (size_t i = 0; i < n; ++i) {
    columns[i].name = named ? std::move(names[i]) : "x" + std::to_string(i);
    columns[i].type = facts[i].type;
    columns[i].accepts_missing = facts[i].type == InputColumn::Type::kAny || facts[i].missing != MissingRule::kRefused;
    if (facts[i].type == InputColumn::Type::kString) {
      columns[i].categories = std::move(facts[i].categories);
      columns[i].unknown_is_error = facts[i].unknown_is_error;
    }
  }
  return InputSchema(std::move(columns), named);
}

ModelPtr WithInputSchema(ModelPtr model, InputSchema schema) {
  return std::make_unique<SchemaModel>(std::move(model), std::move(schema));
}

}  // namespace inferd::sklearn
