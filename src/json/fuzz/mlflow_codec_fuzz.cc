// libFuzzer target: untrusted MLflow /invocations bodies -> DecodeMlflowJson / DecodeMlflowCsv,
// and Content-Type values -> ParseMlflowContentType. The first byte picks the decoder and the
// options; the rest is the body. On success the matrix must be consistent with n_rows and
// n_features, within max_rows, and every cell valid for its column.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "json/fuzz/fuzz_schema.h"
#include "json/mlflow_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const inferd::InputSpec o = inferd::fuzz::SpecFromByte(data[0], 0x07);
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)inferd::ParseMlflowContentType(body);
  inferd::InferenceRequest req;
  inferd::Status st =
      (data[0] & 0x08) ? inferd::DecodeMlflowCsv(body, o, &req) : inferd::DecodeMlflowJson(body, o, &req);
  if (st.ok()) {
    inferd::fuzz::CheckMatrix(req.x, req.n_rows, o);
    if (req.outputs.size() > 1) __builtin_trap();
  } else if (st.message().empty()) {
    __builtin_trap();
  }
  return 0;
}
