// Default implementations of the Model operations that do not apply to every kind, and the
// Label constructors (which pre-render the JSON forms once, at load time).
#include "inferd/model.h"

#include "common/json_number.h"

namespace inferd {

const InputSchema& Model::input_schema() const {
  static const InputSchema* const kEmpty = new InputSchema();
  return *kEmpty;
}

const std::vector<std::string>& Model::transformed_feature_names() const {
  static const std::vector<std::string>* const kNone = new std::vector<std::string>();
  return *kNone;
}

const char* ContributionFormName(ContributionForm form) {
  switch (form) {
    case ContributionForm::kInputColumns: return "input_columns";
    case ContributionForm::kTransformedFeatures: return "transformed_features";
  }
  return "unknown";
}

const char* ModelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kClassifier: return "classifier";
    case ModelKind::kRegressor: return "regressor";
    case ModelKind::kTransformer: return "transformer";
  }
  return "unknown";
}

Label Label::Int(int64_t v) {
  Label l;
  l.type = Type::kInt;
  l.i = v;
  AppendInt(v, &l.json);
  AppendJsonString(l.json, &l.json_key);
  return l;
}

Label Label::Float(double v) {
  Label l;
  l.type = Type::kFloat;
  l.f = v;
  AppendPythonFloat(v, &l.json);
  AppendJsonString(l.json, &l.json_key);
  return l;
}

Label Label::Bool(bool v) {
  Label l;
  l.type = Type::kBool;
  l.b = v;
  l.json = v ? "true" : "false";
  AppendJsonString(l.json, &l.json_key);
  return l;
}

Label Label::String(std::string v) {
  Label l;
  l.type = Type::kString;
  AppendJsonString(v, &l.json);
  l.json_key = l.json;
  l.s = std::move(v);
  return l;
}

Status Model::PredictClass(const double*, size_t, int32_t*) const {
  return Status::FailedPrecondition("this model is not a classifier");
}
Status Model::PredictValue(const double*, size_t, double*) const {
  return Status::FailedPrecondition("this model is not a regressor");
}
Status Model::PredictProba(const double*, size_t, double*) const {
  return Status::FailedPrecondition("this model has no predict_proba");
}
Status Model::Transform(const double*, size_t, double*) const {
  return Status::FailedPrecondition("this model is not a transformer");
}

Status Model::DecisionFunction(const double*, size_t, double*) const {
  return Status::FailedPrecondition("this model has no decision_function");
}

Status Model::RawScore(const double*, size_t, double*) const {
  return Status::FailedPrecondition("this model has no raw_score");
}

Status Model::Contributions(const double*, size_t, double*) const {
  return Status::FailedPrecondition("this model has no exact contributions");
}

Status Model::TransformedContributions(const double*, size_t, double*) const {
  return Status::FailedPrecondition("this model has no contributions per transformed feature");
}

}  // namespace inferd
