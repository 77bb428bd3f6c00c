#include "sklearn/xgboost/xgboost_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "sklearn/xgboost/xgboost_document.h"
#include "sklearn/xgboost/xgboost_value.h"

namespace inferd::sklearn {
namespace {

// The rounds the sklearn wrapper predicts with: [0, best_iteration] if the model records one.
StatusOr<std::optional<int64_t>> WrapperRounds(const XgbDocument& doc, std::optional<int64_t> best) {
  if (doc.booster == "gblinear") return std::optional<int64_t>();  // the wrapper ignores it
  if (!best) {
    const std::string* attr = doc.attribute("best_iteration");  // a decimal (ValidateXgbDocument)
    if (attr == nullptr) return std::optional<int64_t>();
    best = std::stoll(*attr);
  }
  if (*best < 0 || *best >= doc.rounds()) {
    return Status::InvalidArgument("xgboost best_iteration is " + std::to_string(*best) + " but the model has " +
                                   std::to_string(doc.rounds()) + " boosting rounds");
  }
  return std::optional<int64_t>(*best + 1);
}

// What the sklearn wrapper's load_model takes from a file it saved: the "scikit_learn"
// attribute, a JSON object of the estimator's parameters ("missing" among them, NaN written
// as the bare word) and its "_estimator_type".
Status ReadWrapperMeta(const std::string& meta, XgbRole* role, double* missing) {
  StatusOr<XgbParsed> parsed = ParseXgbJson(meta);
  const XgbValue* v = parsed.ok() ? &parsed->root() : nullptr;
  if (v == nullptr || v->type != XgbValue::Type::kObject) {
    return Status::InvalidArgument("xgboost attributes: scikit_learn is not the sklearn wrapper's JSON object" +
                                   (parsed.ok() ? std::string() : " (" + parsed.status().message() + ")"));
  }
  const XgbValue* type = v->Find("_estimator_type");
  *role = type != nullptr && type->type == XgbValue::Type::kString && type->string == "classifier"
              ? XgbRole::kClassifier
              : XgbRole::kRegressor;
  if (const XgbValue* m = v->Find("missing"); m != nullptr && m->type != XgbValue::Type::kNull) {
    if (!m->is_number()) {
      return Status::InvalidArgument(std::string("xgboost attributes: scikit_learn's missing is ") + XgbTypeName(*m) +
                                     ", not a number");
    }
    *missing = m->type == XgbValue::Type::kInt ? static_cast<double>(m->integer) : m->real;
  }
  return Status::Ok();
}

// The booster's outputs for the rows, in a per-thread buffer valid until the next call on
// this thread (no allocation per request once grown).
const float* Outputs(const XgbBooster& b, const double* x, size_t n_rows) {
  thread_local std::vector<float> v;
  v.resize(n_rows * b.output_width());
  b.Predict(x, n_rows, v.data());
  return v.data();
}

bool IsClassifierObjective(std::string_view objective) {
  return objective == "binary:logistic" || objective == "multi:softprob" || objective == "multi:softmax";
}

}  // namespace

StatusOr<std::unique_ptr<XGBoostModel>> XGBoostModel::Load(std::string_view blob, XgbFormat format,
                                                           XgbOptions options) {
  if (blob.substr(0, 14) == "CONFIG-offset:") {
    return Status::Unimplemented(
        "xgboost < 1.4 binary snapshot (CONFIG-offset): load it with that xgboost and re-save it with xgboost >= 1.6");
  }
  if (blob.size() < 2 || blob[0] != '{') {
    return Status::Unimplemented(
        "not an xgboost JSON/UBJSON model (legacy binary models are not supported; re-save "
        "with save_model('model.json'))");
  }
  INFERD_ASSIGN_OR_RETURN(
      XgbDocument doc,
      ReadXgbDocument(blob, format == XgbFormat::kSnapshot ? XgbDocumentForm::kSnapshot : XgbDocumentForm::kModelFile));
  XgbRole role = options.role;
  if (format == XgbFormat::kModelFile) {
    // A file saved by the sklearn wrapper records its estimator type in this attribute; the
    // wrapper's load_model then predicts like the pickled estimator.
    if (const std::string* meta = doc.attribute("scikit_learn")) {
      INFERD_RETURN_IF_ERROR(ReadWrapperMeta(*meta, &role, &options.missing));
    }
  }
  const bool wrapper = role != XgbRole::kBooster;
  XgbEvalOptions eval;
  eval.missing = options.missing;
  if (wrapper) {
    INFERD_ASSIGN_OR_RETURN(eval.rounds, WrapperRounds(doc, options.best_iteration));
    eval.dart_path = XgbDartPath::kInplace;
  }
  INFERD_ASSIGN_OR_RETURN(XgbBooster booster, XgbBooster::Build(doc, eval));
  std::unique_ptr<XGBoostModel> m(new XGBoostModel(std::move(booster)));
  const XgbBooster& b = m->booster_;

  const bool classifier =
      role == XgbRole::kClassifier || (role == XgbRole::kBooster && IsClassifierObjective(doc.objective));
  if (classifier) {
    const size_t groups = b.n_groups();
    if (groups > 1 && b.transform() != XgbTransform::kSoftmax && b.transform() != XgbTransform::kArgmax) {
      return Status::Unimplemented("xgboost classifier with objective '" + doc.objective + "' and " +
                                   std::to_string(groups) + " outputs per row is not supported");
    }
    const size_t k = groups == 1 ? 2 : groups;
    if (options.classes.empty()) {
      for (size_t c = 0; c < k; ++c) options.classes.push_back(Label::Int(static_cast<int64_t>(c)));
    }
    if (options.classes.size() != k) {
      return Status::InvalidArgument("xgboost model has " + std::to_string(k) + " classes but classes_ has " +
                                     std::to_string(options.classes.size()));
    }
    m->classes_ = std::move(options.classes);
  }
  std::vector<std::string> names = doc.feature_names;
  std::sort(names.begin(), names.end());
  if (!names.empty() && !names.front().empty() && std::adjacent_find(names.begin(), names.end()) == names.end()) {
    std::vector<InputColumn> columns(doc.feature_names.size());
    for (size_t i = 0; i < columns.size(); ++i) {
      columns[i].name = doc.feature_names[i];
      columns[i].accepts_missing = true;
    }
    m->schema_ = InputSchema(std::move(columns), true);
  }
  const size_t n_trees = doc.booster == "gblinear" ? 0 : doc.trees.size();
  m->description_ = options.name + "[" + doc.objective + ", " + doc.booster +
                    (doc.booster == "gblinear" ? "" : ", " + std::to_string(n_trees) + " trees") + ", " +
                    std::to_string(b.n_features()) + " features]";
  m->booster_.KeepTreesForExplanations(std::move(doc.trees));
  return m;
}

Status XGBoostModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  if (!classes_.empty()) return Model::PredictValue(x, n_rows, out);
  const float* v = Outputs(booster_, x, n_rows);
  std::copy(v, v + n_rows * booster_.output_width(), out);
  return Status::Ok();
}

Status XGBoostModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (classes_.empty()) return Model::PredictProba(x, n_rows, out);
  const size_t k = classes_.size();
  if (booster_.transform() == XgbTransform::kArgmax) {
    // multi:softmax: the wrapper's predict_proba is scipy's softmax of the float32 margins.
    thread_local std::vector<float> m;
    m.resize(n_rows * k);
    booster_.Margins(x, n_rows, m.data());
    for (size_t r = 0; r < n_rows; ++r) {
      const float* row = m.data() + r * k;
      const float max = *std::max_element(row, row + k);
      float sum = 0;
      for (size_t c = 0; c < k; ++c) sum += std::exp(row[c] - max);
      for (size_t c = 0; c < k; ++c) out[r * k + c] = static_cast<double>(std::exp(row[c] - max) / sum);
    }
    return Status::Ok();
  }
  const size_t w = booster_.output_width();
  const float* v = Outputs(booster_, x, n_rows);
  for (size_t r = 0; r < n_rows; ++r) {
    if (w == 1) {
      const float p = v[r];
      out[r * 2] = static_cast<double>(1.0f - p);  // the wrapper computes this in float32
      out[r * 2 + 1] = static_cast<double>(p);
    } else {
      for (size_t c = 0; c < k; ++c) out[r * k + c] = static_cast<double>(v[r * k + c]);
    }
  }
  return Status::Ok();
}

Status XGBoostModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  if (classes_.empty()) return Model::PredictClass(x, n_rows, out);
  const size_t w = booster_.output_width();
  const float* v = Outputs(booster_, x, n_rows);
  const size_t k = classes_.size();
  for (size_t r = 0; r < n_rows; ++r) {
    if (booster_.transform() == XgbTransform::kArgmax) {
      out[r] = static_cast<int32_t>(v[r]);  // the class index, < k
    } else if (w == 1) {
      out[r] = v[r] > 0.5f ? 1 : 0;
    } else {
      const float* row = v + r * k;
      out[r] = static_cast<int32_t>(std::max_element(row, row + k) - row);  // the first largest
    }
  }
  return Status::Ok();
}

Status XGBoostModel::Contributions(const double* x, size_t n_rows, double* out) const {
  thread_local std::vector<float> c;
  const size_t n = n_rows * booster_.n_groups() * (booster_.n_features() + 1);
  c.resize(n);
  INFERD_RETURN_IF_ERROR(booster_.Contributions(x, n_rows, c.data()));
  std::copy(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n), out);
  return Status::Ok();
}

}  // namespace inferd::sklearn
