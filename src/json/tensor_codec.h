// JSON <-> matrix codecs for the standard inference protocols (the reference /predict codec is
// json/predict_codec.h and stays separate: it is the hot path).
//
//  - KServe V2 / Open Inference Protocol REST: an inference request's "inputs" tensors
//    (name, shape, datatype FP32/FP64/INT8..INT64/UINT8..UINT64/BOOL, data flat or nested)
//    become one row-major matrix: either one input of shape [N, n_features], or n_features
//    inputs of shape [N] or [N, 1] (one per column, in request order).
//  - TF Serving / KServe V1 REST: {"instances": [[...], ...]} (rows) or {"inputs": [[...], ...]}
//    / {"inputs": {"<one name>": [[...], ...]}} (the columnar form of the model's one input).
//
// Security posture: bodies are untrusted; decoding validates every value and allocates
// O(body size) (rows bounded by max_rows). Parsing uses a thread_local simdjson DOM parser
// (these protocols carry batches, where the DOM's random access keeps validation simple).
//
// Thread safety: free functions, safe from any thread.
#ifndef INFERD_JSON_TENSOR_CODEC_H_
#define INFERD_JSON_TENSOR_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/model.h"
#include "inferd/status.h"
#include "json/predict_codec.h"

namespace inferd {

// What an inference request asks for (KServe V2 output names; V1 always asks for kPredict).
enum class OutputKind { kPredict, kPredictProba, kDecisionFunction, kTransform };

// "predict", "predict_proba", "decision_function", "transform"; false if unknown.
bool ParseOutputKind(std::string_view name, OutputKind* out);
const char* OutputKindName(OutputKind k);

struct V2InferRequest {
  std::string id;         // echoed in the response when present
  std::vector<double> x;  // row-major n_rows * n_features
  size_t n_rows = 0;
  std::vector<OutputKind> outputs;  // empty: the model's default output
};

// Decodes a V2 infer request body. Errors are InvalidArgument (400) with a client message,
// ResourceExhausted for more than options.max_rows rows.
Status DecodeV2InferRequest(std::string_view body, const DecodeOptions& options, V2InferRequest* out);

// Decodes a V1 predict body into out->x / n_rows (out->batch is set to true).
Status DecodeV1PredictRequest(std::string_view body, const DecodeOptions& options, PredictRequest* out);

// One computed output of a model for n_rows rows.
struct OutputTensor {
  OutputKind kind = OutputKind::kPredict;
  size_t n_rows = 0;
  size_t width = 1;                  // values per row
  bool two_d = false;                // shape [n_rows, width] rather than [n_rows]
  const int32_t* classes = nullptr;  // kPredict on a classifier: class indices
  const double* values = nullptr;    // everything else: n_rows * width values
};

// The V2 datatype of an output for `model` ("INT64", "FP64", "BOOL", "BYTES").
const char* V2Datatype(const Model& model, const OutputTensor& t);

// Appends {"model_name":...,"model_version":...,["id":...,]"outputs":[...]}\n.
void EncodeV2InferResponse(const Model& model, std::string_view model_name, std::string_view version,
                           std::string_view id, const std::vector<OutputTensor>& outputs, std::string* out);

// Appends {"predictions":[...]}\n: labels / numbers (multi-target: lists) per row.
void EncodeV1Predictions(const Model& model, const OutputTensor& t, std::string* out);

// Appends {"transform":[[...],...]}\n (batch) or {"transform":[...]}\n (single row).
void EncodeTransform(const double* values, size_t n_rows, size_t width, bool batch, std::string* out);

}  // namespace inferd

#endif  // INFERD_JSON_TENSOR_CODEC_H_
