// The MLflow scoring protocol's codec (the body of `POST /invocations` as MLflow 2.x's
// `mlflow models serve` reads it).
//
// Request, Content-Type application/json: an object with exactly one of
//   "dataframe_split":   {"columns": [names], "data": [[cells], ...]}  ("index" is ignored;
//                        without "columns" the rows are in the model's column order)
//   "dataframe_records": [{"col": cell, ...}, ...]
//   "instances":         [rows]: objects by column name, or arrays in the model's column order
//   "inputs":            the same rows, or columns {"col": [cells], ...}
// and optionally "params": an object. Params are ignored (MLflow ignores them for a model
// without a params schema) except "predict_method": "predict" | "predict_proba" |
// "decision_function" | "transform", which picks the output.
// Request, Content-Type text/csv: a header row naming the columns, then data rows (RFC 4180
// quoting, CRLF or LF line ends, blank lines skipped, an empty cell is a missing value).
// Cells follow json/table_cells.h. When the model has no column names of its own (x0, x1, ...)
// and the header does not use them, header columns are taken in order (as scikit-learn does
// with a DataFrame for a model fitted without names).
// Response: {"predictions": [...]}: labels in their JSON type, numbers as Python prints them,
// a list per row for multi-output results.
//
// Security posture: bodies are untrusted; every value is validated, rows are bounded by
// InputSpec::max_rows (ResourceExhausted), memory is O(body size).
//
// Thread safety: free functions; the JSON decoder uses a thread_local simdjson parser.
#ifndef INFERD_JSON_MLFLOW_CODEC_H_
#define INFERD_JSON_MLFLOW_CODEC_H_

#include <string>
#include <string_view>

#include "inferd/status.h"
#include "serving/inference.h"

namespace inferd {

enum class MlflowContent { kJson, kCsv };

// Reads a Content-Type header value ("application/json", "text/csv; charset=utf-8"; case and
// spaces as HTTP allows). An error (InvalidArgument) means the server answers 415 with its
// message: another media type, a charset other than UTF-8, or a parameter other than charset.
StatusOr<MlflowContent> ParseMlflowContentType(std::string_view content_type);

// Decodes a JSON body into out->x / n_rows (and out->outputs for "predict_method").
// Errors: InvalidArgument (400), ResourceExhausted beyond spec.max_rows (413).
Status DecodeMlflowJson(std::string_view body, const InputSpec& spec, InferenceRequest* out);

// Decodes a CSV body into out->x / n_rows. Errors as DecodeMlflowJson.
Status DecodeMlflowCsv(std::string_view body, const InputSpec& spec, InferenceRequest* out);

// Appends {"predictions":[...]}\n from result.outputs[0].
void EncodeMlflowPredictions(const InferenceResult& result, std::string* out);

}  // namespace inferd

#endif  // INFERD_JSON_MLFLOW_CODEC_H_
