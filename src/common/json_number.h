// Number formatting that matches Python's json.dumps / Flask's jsonify byte for byte, so
// inferd answers exactly like the reference app: floats use repr() (shortest round-trip
// digits; "1.0" not "1"; exponent form "1e-05" / "1e+16" below 1e-4 or from 1e16 on),
// ints are plain decimal.
#ifndef INFERD_COMMON_JSON_NUMBER_H_
#define INFERD_COMMON_JSON_NUMBER_H_

#include <cstdint>
#include <string>

namespace inferd {

// Appends repr(v) to *out. NaN and infinities have no JSON form: Python would print
// NaN/Infinity (invalid JSON); we append `null` instead.
void AppendPythonFloat(double v, std::string* out);
void AppendInt(int64_t v, std::string* out);

// Appends `s` as a JSON string literal with quotes; escapes like json.dumps with
// ensure_ascii=False ... we keep UTF-8 as is and escape only ", \ and control characters.
void AppendJsonString(const std::string& s, std::string* out);

inline std::string PythonFloat(double v) {
  std::string s;
  AppendPythonFloat(v, &s);
  return s;
}

}  // namespace inferd

#endif  // INFERD_COMMON_JSON_NUMBER_H_
