// libFuzzer target: untrusted KServe V2 infer and V1 (TF Serving) predict bodies ->
// DecodeV2InferRequest / DecodeV1PredictRequest. The first byte picks the protocol and the
// options; the rest is the body. On success the matrix must be consistent with n_rows and
// n_features, within max_rows, and finite unless missing values are allowed.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json/fuzz/fuzz_schema.h"
#include "json/tensor_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const inferd::InputSpec o = inferd::fuzz::SpecFromByte(data[0], 0x07);
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 0x08) {
    inferd::InferenceRequest req;
    inferd::Status st = inferd::DecodeV1PredictRequest(body, o, &req);
    if (st.ok()) {
      inferd::fuzz::CheckMatrix(req.x, req.n_rows, o);
    } else if (st.message().empty()) {
      __builtin_trap();
    }
  } else {
    inferd::InferenceRequest req;
    inferd::Status st = inferd::DecodeV2InferRequest(body, o, &req);
    if (st.ok()) {
      inferd::fuzz::CheckMatrix(req.x, req.n_rows, o);
      if (req.id.size() > body.size()) __builtin_trap();
    } else if (st.message().empty()) {
      __builtin_trap();
    }
  }
  return 0;
}
