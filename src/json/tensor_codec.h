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
#include "serving/inference.h"

namespace inferd {

// Decodes a V2 infer request body. Errors are InvalidArgument (400) with a client message,
// ResourceExhausted for more than options.max_rows rows.
// Fills out->x, n_rows, outputs (the requested output names), id and, from
// "parameters": {"explain": "columns" | "features"}, contributions_form. A contributions
// output carries "parameters": {"contributions_of": ..., "features": [names]}.
Status DecodeV2InferRequest(std::string_view body, const InputSpec& spec, InferenceRequest* out);

// Decodes a V1 predict body into out->x / n_rows; for :explain (`explain`) also the body's
// "explain": "columns" | "features" into contributions_form (:predict ignores the key).
Status DecodeV1PredictRequest(std::string_view body, const InputSpec& spec, InferenceRequest* out,
                              bool explain = false);

// The V2 datatype of an output for `model` ("INT64", "FP64", "BOOL", "BYTES").
const char* V2Datatype(const Model& model, const OutputTensor& t);

// Appends {"model_name":...,"model_version":...,["id":...,]"outputs":[...]}\n.
void EncodeV2InferResponse(const InferenceResult& result, std::string* out);

// Appends {"predictions":[...]}\n: labels / numbers (multi-target: lists) per row.
// From result.outputs[0].
void EncodeV1Predictions(const InferenceResult& result, std::string* out);

// KServe V1 :explain answer for result.outputs[0] (contributions):
// {"explanations": [{"contributions": {"<feature>": c, ...}, "bias": b}, ...],
// "contributions_of": "input_columns" | "transformed_features"} (per class for a multi-class
// model, as EncodePrediction writes them).
void EncodeV1Explanations(const InferenceResult& result, std::string* out);

// Appends {"transform":[[...],...]}\n, or {"transform":[...]}\n for one unbatched row
// (result.request->single_row), from result.outputs[0].
void EncodeTransform(const InferenceResult& result, std::string* out);

}  // namespace inferd

#endif  // INFERD_JSON_TENSOR_CODEC_H_
