// libFuzzer target: untrusted /predict request bodies -> DecodePredictRequest.
// The first input byte picks the options (n_features 1..16, allow_missing, a small max_rows,
// a schema with named string columns, ignore_extra_columns),
// the rest is the body. Checks the decoder's contract on success: n_rows within max_rows,
// x holds exactly n_rows * n_features values, and values are finite unless missing values
// are allowed (then NaN is the only non-finite value).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json/fuzz/fuzz_schema.h"
#include "json/predict_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const inferd::InputSpec o = inferd::fuzz::SpecFromByte(data[0], 0x0f);
  // A std::string copy: the decoder must not rely on padding or a terminator beyond size.
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  inferd::InferenceRequest req;
  inferd::PredictFlags proba;
  inferd::Status st = inferd::DecodePredictRequest(body, o, &req, &proba);
  if (st.ok()) {
    if (req.n_rows > o.max_rows) __builtin_trap();
    if (req.x.size() != req.n_rows * o.n_features) __builtin_trap();
    if (req.single_row && req.n_rows != 1) __builtin_trap();
    for (size_t i = 0; i < req.x.size(); ++i) {
      if (!inferd::fuzz::CellOk(req.x[i], i % o.n_features, o)) __builtin_trap();
    }
  } else if (st.message().empty()) {
    __builtin_trap();  // errors always carry a message for the client
  }
  return 0;
}
