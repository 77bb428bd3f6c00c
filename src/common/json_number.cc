#include "common/json_number.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace inferd {

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendPythonFloat(double v, std::string* out) {
  if (std::isnan(v) || std::isinf(v)) {
    out->append("null");
    return;
  }
  if (v == 0.0) {
    out->append(std::signbit(v) ? "-0.0" : "0.0");
    return;
  }
  // Shortest round-trip digits in scientific form: "d.ddde[+-]XX".
  char sci[40];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  *r.ptr = '\0';
  const char* p = sci;
  bool neg = false;
  if (*p == '-') {
    neg = true;
    ++p;
  }
  std::string digits;
  const char* e = std::strchr(p, 'e');
  for (const char* q = p; q < e; ++q)
    if (*q != '.') digits.push_back(*q);
  int exp10 = std::atoi(e + 1);  // value = 0.d1d2... * 10^(exp10+1)
  // Python repr ('r' format): scientific if exp10 < -4 or exp10 >= 16.
  if (neg) out->push_back('-');
  const int nd = static_cast<int>(digits.size());
  if (exp10 < -4 || exp10 >= 16) {
    out->push_back(digits[0]);
    if (nd > 1) {
      out->push_back('.');
      out->append(digits, 1, std::string::npos);
    }
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out->append(eb);
  } else if (exp10 < 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-exp10 - 1), '0');
    out->append(digits);
  } else {
    if (nd <= exp10 + 1) {
      out->append(digits);
      out->append(static_cast<size_t>(exp10 + 1 - nd), '0');
      out->append(".0");
    } else {
      out->append(digits, 0, exp10 + 1);
      out->push_back('.');
      out->append(digits, exp10 + 1, std::string::npos);
    }
  }
}

void AppendJsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out->append(b);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace inferd
