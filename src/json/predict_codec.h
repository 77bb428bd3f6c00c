// The reference /predict protocol's JSON codec.
//
// Request:  {"features": [f1, ...]}                 one row, in the model's column order
//           {"features": {"age": 22, "sex": "male"}} one row by column name
//           {"instances": [[f1, ...], [...], ...]}  a batch of rows (arrays, or objects by
//                                                   name; one form per request)
//           Cells follow json/table_cells.h (strings in string columns, null as pandas).
//           optional "proba": true|false            also return class probabilities
// Response: see docs/api.md; bytes match Flask's jsonify (compact separators, trailing newline,
//           Python repr floats, labels in their Python type).
//
// Security posture: the body is untrusted. Decoding never crashes, validates every value,
// and allocates at most O(body size) (rows are bounded by DecodeOptions::max_rows).
//
// Thread safety: free functions; DecodePredictRequest uses a thread_local simdjson parser.
#ifndef INFERD_JSON_PREDICT_CODEC_H_
#define INFERD_JSON_PREDICT_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "inferd/model.h"
#include "inferd/status.h"
#include "serving/inference.h"

namespace inferd {

// The switches of a /predict body besides its rows.
struct PredictFlags {
  bool proba = false;    // "proba": true -> predict_proba too
  bool explain = false;  // "explain": true, "columns" or "features" -> the contributions too
  // "columns" / "features": per input column / per transformed feature; true: the model's form.
  ContributionRequest explain_form = ContributionRequest::kDefault;
};

// Decodes `body` into *out (cleared by the caller): x, n_rows and single_row ("features").
// *flags is set from the body's "proba" and "explain" flags. Errors are InvalidArgument with a message for the
// client (e.g. "features[3] is not a number (got string)", "expected 4 features, got 3") or
// ResourceExhausted for a batch over spec.max_rows.
Status DecodePredictRequest(std::string_view body, const InputSpec& spec, InferenceRequest* out, PredictFlags* flags);

// Appends the answer to a /predict request. result.outputs[0] is the predict output, then
// optionally predict_proba and contributions. One unbatched row: {"prediction": <label|number|
// [numbers]>} plus "probabilities": {"<label>": p, ...} plus "contributions": {"<column>": c,
// ...} and "bias": b (per class for a multi-class model: {"<label>": {...}}, "bias":
// {"<label>": b}); else {"predictions": [...]} plus "probabilities": [{...}, ...],
// "contributions": [{...}, ...] and "bias": [...].
void EncodePrediction(const InferenceResult& result, std::string* out);

// Appends `"contributions":{"<column>":c,...},"bias":b` for row `row` of a contributions
// output (per group when t.groups > 1: {"<label>":{...}} and "bias":{"<label>":b}).
void AppendRowContributions(const Model& model, const OutputTensor& t, size_t row, std::string* out);

// "input_columns" / "transformed_features": the features contributions tensor `t` is for.
const char* ContributionsOf(const OutputTensor& t);
// The JSON array of the names of contributions tensor `t`'s features, in order (the bias,
// last in each group, has none).
void AppendContributionFeatureNames(const Model& model, const OutputTensor& t, std::string* out);

// Appends {"error": "<message>"} followed by a newline.
void EncodeError(std::string_view message, std::string* out);

}  // namespace inferd

#endif  // INFERD_JSON_PREDICT_CODEC_H_
