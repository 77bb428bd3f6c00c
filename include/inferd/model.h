// Model: a loaded, immutable estimator that answers predict / predict_proba / transform
// on a dense row-major matrix of doubles.
//
// Thread safety: a Model is immutable after construction; every const method may be called
// concurrently from any number of threads without locking. Runtimes that need scratch space
// use thread_local buffers, never members.
#ifndef INFERD_MODEL_H_
#define INFERD_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inferd/input_schema.h"
#include "inferd/status.h"

namespace inferd {

// A class label with the type it had in Python (numpy int64 -> kInt, float64 -> kFloat,
// bool -> kBool, str / numpy.str_ -> kString).
struct Label {
  enum class Type { kInt, kFloat, kBool, kString };
  Type type = Type::kInt;
  int64_t i = 0;
  double f = 0.0;
  bool b = false;
  std::string s;
  // The label rendered as a JSON value exactly as Flask's jsonify would print it
  // (e.g. `1`, `1.5`, `true`, `"setosa"`). Filled by the adapter that builds the model, so
  // the request path never formats labels.
  std::string json;
  // The label as a JSON object key (`"1"`, `"1.5"`, `"true"`, `"setosa"`): str(label) in
  // Python terms except that bools are `true`/`false`. Used for {"probabilities": {...}}.
  std::string json_key;

  static Label Int(int64_t v);
  static Label Float(double v);
  static Label Bool(bool v);
  static Label String(std::string v);
};

enum class ModelKind { kClassifier, kRegressor, kTransformer };
// "classifier", "regressor", "transformer".
const char* ModelKindName(ModelKind kind);

// What a row's contributions are given for.
enum class ContributionForm : uint8_t {
  // The model's input columns (input_schema()): through a pipeline, each transformed
  // feature's contribution added to the one input column it comes from.
  kInputColumns,
  // The features a pipeline's final estimator reads, after its transformer steps, named by
  // transformed_feature_names().
  kTransformedFeatures,
};
// "input_columns", "transformed_features".
const char* ContributionFormName(ContributionForm form);

class Model {
 public:
  Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  virtual ~Model() = default;

  virtual ModelKind kind() const = 0;
  // Number of input columns every row must have.
  virtual size_t n_features() const = 0;
  // Regressor: number of targets (1 for the usual single-target model).
  // Transformer: width of a transformed row. Classifier: classes().size().
  virtual size_t n_outputs() const = 0;
  // Classifier: the labels in sklearn's `classes_` order. Empty for other kinds.
  virtual const std::vector<Label>& classes() const = 0;
  // True if PredictProba is available (sklearn's hasattr(model, 'predict_proba')).
  virtual bool has_proba() const { return false; }
  // True if NaN inputs mean "missing" in every column (otherwise callers reject NaN, except
  // in the columns whose input_schema() entry accepts_missing).
  virtual bool accepts_missing() const { return false; }
  // Number of columns of sklearn's decision_function for one row, or 0 if the model has no
  // decision_function. 1 means sklearn returns a 1-D array (binary classifiers).
  virtual size_t decision_function_width() const { return 0; }
  // Number of values per row of the model library's raw score (LightGBM's
  // predict(raw_score=True): one per tree of an iteration), or 0 if the model has none.
  virtual size_t raw_score_width() const { return 0; }
  // The input columns (names, number or string, known categories). Models loaded from a
  // file always have one with n_features() columns; a model built in code may leave it empty.
  virtual const InputSchema& input_schema() const;
  // One line for logs and metadata, e.g. "Pipeline(StandardScaler, LogisticRegression[multinomial])".
  virtual std::string Describe() const = 0;

  // All methods below:
  // REQUIRES: x points to n_rows * n_features() finite doubles (NaN only if accepts_missing(),
  //           or in the columns whose input_schema() entry accepts_missing; string columns
  //           carry the codes of input_schema.h),
  //           `out` has room for the documented number of values.
  // Return a non-OK Status only when the operation does not apply to this kind of model.

  // Classifier: out[r] = index into classes() of the predicted label (n_rows values).
  virtual Status PredictClass(const double* x, size_t n_rows, int32_t* out) const;
  // Regressor: out[r * n_outputs() + t] = prediction for target t (n_rows * n_outputs()).
  virtual Status PredictValue(const double* x, size_t n_rows, double* out) const;
  // Classifier with has_proba(): out[r * classes().size() + k] = P(classes()[k] | row r).
  virtual Status PredictProba(const double* x, size_t n_rows, double* out) const;
  // Transformer: out[r * n_outputs() + j] (n_rows * n_outputs()).
  virtual Status Transform(const double* x, size_t n_rows, double* out) const;
  // decision_function_width() > 0: out[r * width + j] (n_rows * decision_function_width()).
  virtual Status DecisionFunction(const double* x, size_t n_rows, double* out) const;
  // raw_score_width() > 0: out[r * width + j] (n_rows * raw_score_width()).
  virtual Status RawScore(const double* x, size_t n_rows, double* out) const;

  // Explanations: exact per-feature contributions (Shapley values) of each row's inputs.
  // Groups per row: 0 if the model has no exact method; 1 for a regressor or a binary
  // classifier explained by one output; one per class for a multi-class classifier.
  virtual size_t contribution_groups() const { return 0; }
  // The output the contributions add up to, e.g. "margin" (xgboost: before the objective's
  // link, log-odds for binary:logistic).
  virtual std::string contribution_space() const { return ""; }
  // contribution_groups() > 0: out[(r * groups + g) * (F + 1) + f], the last entry of each
  // group the bias (the expected output over the training data); a group's entries add up to
  // the row's output in contribution_space(). The features are those of contribution_form():
  // F = n_features() per input column, transformed_feature_names().size() per transformed feature.
  virtual Status Contributions(const double* x, size_t n_rows, double* out) const;
  // The form Contributions answers in: per input column, unless a pipeline step mixes
  // columns (PCA, PolynomialFeatures, ...): then per transformed feature.
  virtual ContributionForm contribution_form() const { return ContributionForm::kInputColumns; }
  // The transformed features of a pipeline with transformer steps, as sklearn's
  // get_feature_names_out of those steps names them; empty for a model without such steps
  // (its only form is per input column) or when a step cannot name its outputs.
  virtual const std::vector<std::string>& transformed_feature_names() const;
  // contribution_groups() > 0 and transformed_feature_names() non-empty: the contributions
  // per transformed feature (Contributions' layout with F = transformed_feature_names().size()),
  // whichever form contribution_form() is.
  virtual Status TransformedContributions(const double* x, size_t n_rows, double* out) const;
};

}  // namespace inferd

#endif  // INFERD_MODEL_H_
