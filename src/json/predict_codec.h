// The reference /predict protocol's JSON codec.
//
// Request:  {"features": [f1, ...]}                 one row
//           {"instances": [[f1, ...], [...], ...]}  a batch of rows
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
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/model.h"
#include "inferd/status.h"

namespace inferd {

struct DecodeOptions {
  // Every row must have exactly this many values.
  size_t n_features = 0;
  // Upper bound on rows in an "instances" batch (ResourceExhausted beyond it).
  size_t max_rows = 10000;
  // If true, `null` and NaN mean "missing" and decode to NaN (models with accepts_missing()).
  bool allow_missing = false;
};

struct PredictRequest {
  // Row-major, n_rows * n_features values.
  std::vector<double> x;
  size_t n_rows = 0;
  // True for "instances" (answer with "predictions"), false for "features".
  bool batch = false;
  bool proba = false;

  // Keeps capacity so a thread_local request can be reused without allocating.
  void Clear() {
    x.clear();
    n_rows = 0;
    batch = false;
    proba = false;
  }
};

// Decodes `body` into *out (cleared first). Errors are InvalidArgument with a message for the
// client (e.g. "features[3] is not a number (got string)", "expected 4 features, got 3") or
// ResourceExhausted for a batch over max_rows.
Status DecodePredictRequest(std::string_view body, const DecodeOptions& options, PredictRequest* out);

// The model's answers for n_rows rows, in the layout of the Model methods that produced them.
struct PredictResult {
  size_t n_rows = 0;
  // Classifier: class indices (n_rows). Null for regressors.
  const int32_t* classes = nullptr;
  // Regressor: n_rows * model.n_outputs() values. Null for classifiers.
  const double* values = nullptr;
  // Optional: n_rows * model.classes().size() probabilities.
  const double* proba = nullptr;
};

// Appends the response for a one-row request: {"prediction": <label|number|[numbers]>}, plus
// "probabilities": {"<label>": p, ...} when result.proba is set.
// REQUIRES: result.n_rows == 1, result matches model.kind().
void EncodeSinglePrediction(const Model& model, const PredictResult& result, std::string* out);

// Appends {"predictions": [...]} and, when result.proba is set, "probabilities": [{...}, ...].
void EncodeBatchPrediction(const Model& model, const PredictResult& result, std::string* out);

// Appends {"error": "<message>"} followed by a newline.
void EncodeError(std::string_view message, std::string* out);

}  // namespace inferd

#endif  // INFERD_JSON_PREDICT_CODEC_H_
