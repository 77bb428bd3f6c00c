#include "cli/predict_command.h"

#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cli/rows_file.h"
#include "common/json_number.h"
#include "inferd/loader.h"
#include "inferd/model.h"

namespace inferd::cli {
namespace {

struct PredictOptions {
  std::string model;
  std::string input;
  std::string output = "predict";
  std::string explain;  // contributions: "columns", "features" or empty (the model's form)
  bool ignore_extra_columns = false;
};

// Exit codes: 0 ok, 1 bad input rows / unsupported output, 2 model could not be loaded.
int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "inferd: %s\n", message.c_str());
  return code;
}

void AppendRow(const double* v, size_t n, std::string* out) {
  out->push_back('[');
  for (size_t j = 0; j < n; ++j) {
    if (j) out->append(", ");
    AppendPythonFloat(v[j], out);
  }
  out->push_back(']');
}

int RunPredict(const PredictOptions& o) {
  StatusOr<std::shared_ptr<const Model>> loaded = LoadModelFile(o.model);
  if (!loaded.ok()) return Fail(2, loaded.status().message());
  const Model& model = **loaded;

  // The rows are decoded for the model's columns, with the server's cell rules.
  InputSpec spec;
  spec.n_features = model.n_features();
  spec.max_rows = std::numeric_limits<size_t>::max();
  spec.allow_missing = model.accepts_missing();
  spec.schema = model.input_schema().empty() ? nullptr : &model.input_schema();
  spec.ignore_extra_columns = o.ignore_extra_columns;
  StatusOr<Rows> rows = ReadRowsFile(o.input, spec);
  if (!rows.ok()) return Fail(1, rows.status().message());
  const size_t n = rows->n_rows;
  const double* x = rows->values.data();
  std::string out;
  out.reserve(n * 24 + 64);

  if (o.output == "predict") {
    out.append("{\"predictions\": [");
    if (model.kind() == ModelKind::kClassifier) {
      std::vector<int32_t> idx(n);
      Status s = model.PredictClass(x, n, idx.data());
      if (!s.ok()) return Fail(1, s.message());
      const auto& classes = model.classes();
      for (size_t r = 0; r < n; ++r) {
        if (r) out.append(", ");
        out.append(classes.at(static_cast<size_t>(idx[r])).json);
      }
    } else if (model.kind() == ModelKind::kRegressor) {
      const size_t k = model.n_outputs();
      std::vector<double> v(n * k);
      Status s = model.PredictValue(x, n, v.data());
      if (!s.ok()) return Fail(1, s.message());
      for (size_t r = 0; r < n; ++r) {
        if (r) out.append(", ");
        if (k == 1)
          AppendPythonFloat(v[r], &out);
        else
          AppendRow(&v[r * k], k, &out);
      }
    } else {
      return Fail(1, "this model is a transformer: use --output transform");
    }
    out.append("]}");
  } else if (o.output == "proba") {
    if (!model.has_proba()) return Fail(1, "this model has no predict_proba");
    const auto& classes = model.classes();
    const size_t k = classes.size();
    std::vector<double> p(n * k);
    Status s = model.PredictProba(x, n, p.data());
    if (!s.ok()) return Fail(1, s.message());
    out.append("{\"probabilities\": [");
    for (size_t r = 0; r < n; ++r) {
      if (r) out.append(", ");
      AppendRow(&p[r * k], k, &out);
    }
    out.append("], \"classes\": [");
    for (size_t c = 0; c < k; ++c) {
      if (c) out.append(", ");
      out.append(classes[c].json);
    }
    out.append("]}");
  } else if (o.output == "transform") {
    if (model.kind() != ModelKind::kTransformer) return Fail(1, "this model is not a transformer");
    const size_t k = model.n_outputs();
    std::vector<double> v(n * k);
    Status s = model.Transform(x, n, v.data());
    if (!s.ok()) return Fail(1, s.message());
    out.append("{\"transform\": [");
    for (size_t r = 0; r < n; ++r) {
      if (r) out.append(", ");
      AppendRow(&v[r * k], k, &out);
    }
    out.append("]}");
  } else if (o.output == "decision_function" || o.output == "raw_score") {
    const bool raw = o.output == "raw_score";
    const size_t k = raw ? model.raw_score_width() : model.decision_function_width();
    if (k == 0) return Fail(1, "this model has no " + o.output);
    std::vector<double> v(n * k);
    Status s = raw ? model.RawScore(x, n, v.data()) : model.DecisionFunction(x, n, v.data());
    if (!s.ok()) return Fail(1, s.message());
    out.append(raw ? "{\"raw_score\": [" : "{\"decision_function\": [");
    for (size_t r = 0; r < n; ++r) {
      if (r) out.append(", ");
      if (k == 1)
        AppendPythonFloat(v[r], &out);  // sklearn and LightGBM return a 1-D array here
      else
        AppendRow(&v[r * k], k, &out);
    }
    out.append("]}");
  } else if (o.output == "contributions") {
    const size_t groups = model.contribution_groups();
    if (groups == 0) return Fail(1, "this model (" + model.Describe() + ") has no exact contributions");
    const std::vector<std::string>& names = model.transformed_feature_names();
    bool transformed = model.contribution_form() == ContributionForm::kTransformedFeatures;
    if (o.explain == "columns" && transformed) {
      return Fail(1, "this model (" + model.Describe() +
                         ") has no contributions per input column (a pipeline step mixes columns: use --explain "
                         "features)");
    }
    if (o.explain == "features" && !names.empty()) transformed = true;
    const size_t width = (transformed ? names.size() : model.n_features()) + 1;
    std::vector<double> v(n * groups * width);
    Status s = transformed ? model.TransformedContributions(x, n, v.data()) : model.Contributions(x, n, v.data());
    if (!s.ok()) return Fail(1, s.message());
    // [n][F + 1] or, per group, [n][K][F + 1] (xgboost's pred_contribs layout), bias last.
    out.append("{\"contributions\": [");
    for (size_t r = 0; r < n; ++r) {
      if (r) out.append(", ");
      if (groups == 1) {
        AppendRow(&v[r * width], width, &out);
        continue;
      }
      out.push_back('[');
      for (size_t g = 0; g < groups; ++g) {
        if (g) out.append(", ");
        AppendRow(&v[(r * groups + g) * width], width, &out);
      }
      out.push_back(']');
    }
    out.append("], \"space\": ");
    AppendJsonString(model.contribution_space(), &out);
    out.append(", \"contributions_of\": ");
    AppendJsonString(
        ContributionFormName(transformed ? ContributionForm::kTransformedFeatures : ContributionForm::kInputColumns),
        &out);
    out.append(", \"features\": [");
    for (size_t f = 0; f + 1 < width; ++f) {
      if (f) out.append(", ");
      const std::vector<InputColumn>& columns = model.input_schema().columns();
      AppendJsonString(transformed ? names[f] : f < columns.size() ? columns[f].name : "x" + std::to_string(f), &out);
    }
    out.append("]}");
  } else {
    return Fail(1, "unknown --output '" + o.output +
                       "' (predict, proba, decision_function, raw_score, transform or contributions)");
  }
  out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

void AddPredictCommand(CLI::App& app) {
  auto opts = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand(
      "predict",
      "Predict offline for a file of rows and print JSON to stdout (a CI check before deploying a model).\n"
      "Exit status: 0 ok, 1 bad rows or output kind, 2 the model cannot be loaded.");
  cmd->add_option("--model,-m", opts->model,
                  "Path of the model file (joblib.dump or pickle.dump of a scikit-learn estimator)")
      ->required()
      ->envname("INFERD_MODEL");
  cmd->add_option("--input,-i", opts->input,
                  "Rows to predict. JSON: rows in the model's column order ([[22, \"male\"], ...]), records by "
                  "column name ([{\"age\": 22, \"sex\": \"male\"}, ...]), {\"columns\": [...], \"data\": [...]} "
                  "(pandas' orient=\"split\") or {\"instances\": [...]}. CSV (RFC 4180): the first line is a header "
                  "when it names one of the model's columns, or has a non-number cell and the model has column names "
                  "(a model without names skips such a line); "
                  "header names are matched to the model's columns, else rows are in column order. An empty cell is "
                  "a missing value")
      ->required();
  cmd->add_flag("--ignore-extra-columns", opts->ignore_extra_columns,
                "Ignore input columns (CSV header names, record keys) the model does not have instead of failing");
  cmd->add_option(
         "--output,-o", opts->output,
         "predict -> {\"predictions\": [...]}; proba -> {\"probabilities\": [[...]], \"classes\": [...]} "
         "(columns in the order of classes, as sklearn's predict_proba); transform -> {\"transform\": [[...]]} "
         "for a pipeline ending in a transformer; decision_function -> {\"decision_function\": [...]} "
         "shaped as sklearn returns it; raw_score -> {\"raw_score\": [...]} for LightGBM models (its "
         "predict(raw_score=True)); contributions -> {\"contributions\": [[...]], \"space\": ..., "
         "\"contributions_of\": ..., \"features\": [...]}: each row's exact per-feature contributions, the bias "
         "last ([rows][classes][features + 1] for a multi-class model, as xgboost's pred_contribs)")
      ->check(CLI::IsMember({"predict", "proba", "decision_function", "raw_score", "transform", "contributions"}))
      ->capture_default_str();
  cmd->add_option("--explain", opts->explain,
                  "With --output contributions: columns -> per input column (the default, through a pipeline's "
                  "transforms); features -> per feature the pipeline's final estimator reads, named as sklearn's "
                  "get_feature_names_out (the default when a step mixes columns, e.g. PCA)")
      ->check(CLI::IsMember({"columns", "features"}));
  cmd->callback([opts]() { std::exit(RunPredict(*opts)); });
}

}  // namespace inferd::cli
