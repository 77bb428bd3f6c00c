// libFuzzer target: untrusted gRPC ModelInferRequest messages -> protobuf's parser ->
// DecodeModelInferRequest (the step from the wire message to the request path). The first byte
// picks the options (json/fuzz/fuzz_schema.h); the rest is the serialized message. On success
// the matrix must be consistent with n_rows and n_features, within max_rows, every cell valid
// for its column.
#include <cstddef>
#include <cstdint>

#include "grpc/infer_codec.h"
#include "json/fuzz/fuzz_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const inferd::InputSpec o = inferd::fuzz::SpecFromByte(data[0], 0x07);
  inference::ModelInferRequest message;
  if (!message.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  inferd::InferenceRequest req;
  bool raw = false;
  inferd::Status st = inferd::grpc_api::DecodeModelInferRequest(message, o, &req, &raw);
  if (st.ok()) {
    inferd::fuzz::CheckMatrix(req.x, req.n_rows, o);
    if (raw != (message.raw_input_contents_size() > 0)) __builtin_trap();
  } else if (st.message().empty()) {
    __builtin_trap();
  }
  return 0;
}
