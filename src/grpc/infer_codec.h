// The gRPC form of the Open Inference Protocol around the request path
// (serving/inference.h): a ModelInferRequest message decodes into an InferenceRequest with the
// same rules as the REST V2 body (json/tensor_codec.h), and an InferenceResult encodes into a
// ModelInferResponse.
//
// Inputs: one tensor of shape [N, n_features], or one tensor per column ([N] or [N, 1]) matched
// to the model's columns by name (in request order for a model without column names). Elements
// come from the typed `contents` field of the tensor's datatype, or from `raw_input_contents`
// (row-major little-endian; BYTES elements each a 4-byte little-endian length and the bytes);
// a request uses one form for every input. Datatypes: BOOL, INT8..INT64, UINT8..UINT64, FP16
// (raw only), FP32, FP64, BYTES (string columns). Cells follow json/table_cells.h: NaN is a
// missing value, Infinity is refused, strings only in string columns.
//
// Outputs: predict (labels: INT64, FP64, BOOL or BYTES as the model's classes are), and FP64
// predict_proba, decision_function, transform, raw_score, contributions; shapes as REST V2.
// The request parameter "explain" ("columns" / "features") picks the contributions' form, and
// the contributions output carries the parameters "contributions_of" and "features" (a JSON
// array of names), as REST V2 does.
// The answer uses raw_output_contents when the request used raw_input_contents, else typed
// contents.
//
// Security posture: the message is untrusted (gRPC has already bounded its size); every count,
// shape and length is checked before use, and decoding allocates O(message size).
//
// Thread safety: free functions.
#ifndef INFERD_GRPC_INFER_CODEC_H_
#define INFERD_GRPC_INFER_CODEC_H_

#include "inferd/status.h"
#include "inference.pb.h"
#include "serving/inference.h"

namespace inferd::grpc_api {

// Fills *out (already cleared) from `request`. Errors are InvalidArgument with a message naming
// the input, ResourceExhausted for more than spec.max_rows rows. *raw_outputs tells the encoder
// which output form to use.
Status DecodeModelInferRequest(const inference::ModelInferRequest& request, const InputSpec& spec,
                               InferenceRequest* out, bool* raw_outputs);

// Writes `result` into *response (model name and version, id, one output per requested
// output).
void EncodeModelInferResponse(const InferenceResult& result, bool raw_outputs, inference::ModelInferResponse* response);

}  // namespace inferd::grpc_api

#endif  // INFERD_GRPC_INFER_CODEC_H_
