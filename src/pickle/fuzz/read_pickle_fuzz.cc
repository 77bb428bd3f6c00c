// libFuzzer target: untrusted bytes -> pickle::ReadPickle (decompression, the pickle machine,
// numpy arrays) -> a walk of the resulting Value tree. Faster and deeper into the opcode
// machine than load_model_fuzz (no estimator reconstruction on top). Contract: a Status or a
// well-formed tree; no crash, sanitizer report, hang or allocation beyond the limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pickle/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  inferd::pickle::ReadLimits limits;
  limits.max_decompressed_bytes = 64 << 20;
  limits.max_stack = 1 << 16;
  limits.max_memo = 1 << 16;
  auto v = inferd::pickle::ReadPickle(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  (void)v;
  return 0;
}
