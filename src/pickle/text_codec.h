// Text codec for pickle string operands: UTF-8 validation, and the UTF-8 -> Latin-1
// conversion that decodes the protocol-2 encoding of bytes (_codecs.encode(str, 'latin1')).
//
// Contract: pure functions over bytes the caller owns and keeps alive for the call; the
// only allocation is Latin1FromUtf8's output. Thread safety: no state but a run-time CPU
// feature check (a function-local static, initialised once, thread-safe); any thread may
// call anything here concurrently.
//
// ValidUtf8 and IsLatin1RangeUtf8 are defined here, inline, because the machine checks
// every string operand with them: they must inline into its string reader without LTO.
#ifndef INFERD_PICKLE_TEXT_CODEC_H_
#define INFERD_PICKLE_TEXT_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace inferd::pickle {

// True iff p[0..n) is UTF-8 that only encodes U+0000..U+00FF: every byte is ASCII, a lead
// byte 0xC2/0xC3 immediately followed by a continuation byte (0x80..0xBF), or such a
// continuation byte. This is the common shape of non-ASCII text in model files, and the
// whole shape of the protocol-2 encoding of binary data, where ASCII and non-ASCII bytes
// alternate at random. Whether a byte is acceptable depends only on it and its predecessor,
// so 16 bytes are checked at once without a data-dependent branch (a branchy validator
// mispredicts on such data).
// REQUIRES: p points at n readable bytes (p may be null when n == 0).
inline bool IsLatin1RangeUtf8(const uint8_t* p, size_t n) {
  if (n == 0) return true;
  // 0xC0, 0xC1 and 0xC4..0xFF are overlong leads or leads of code points above U+00FF:
  // bytes >= 0xC0 that are not 0xC2/0xC3. A byte must be a continuation exactly when its
  // predecessor is a 0xC2/0xC3 lead.
  auto is_lead = [](uint8_t c) -> uint8_t { return (c & 0xFEu) == 0xC2u; };
  auto is_cont = [](uint8_t c) -> uint8_t { return (c & 0xC0u) == 0x80u; };
  auto is_high = [](uint8_t c) -> uint8_t { return (c & 0xC0u) == 0xC0u; };
  uint8_t bad = static_cast<uint8_t>(is_cont(p[0]) | (is_high(p[0]) ^ is_lead(p[0])) | is_lead(p[n - 1]));
  size_t j = 1;
  // 16 bytes at a time with GCC/Clang vector extensions (SSE2 on x86-64, NEON on arm64):
  // each lane compares byte j with byte j - 1, exactly as the scalar tail does.
  using V16 = uint8_t __attribute__((vector_size(16)));
  V16 acc = {};
  for (; j + 16 <= n; j += 16) {
    V16 cur, prev;
    std::memcpy(&cur, p + j, 16);
    std::memcpy(&prev, p + j - 1, 16);
    const V16 cont = (V16)((cur & 0xC0) == 0x80);  // lanes are 0x00 or 0xFF
    const V16 lead_before = (V16)((prev & 0xFE) == 0xC2);
    const V16 high = (V16)((cur & 0xC0) == 0xC0);
    const V16 lead = (V16)((cur & 0xFE) == 0xC2);
    acc |= (cont ^ lead_before) | (high ^ lead);
  }
  uint64_t halves[2];
  std::memcpy(halves, &acc, 16);
  if (halves[0] | halves[1]) return false;
  for (; j < n; ++j) {
    bad |= static_cast<uint8_t>((is_cont(p[j]) ^ is_lead(p[j - 1])) | (is_high(p[j]) ^ is_lead(p[j])));
  }
  return bad == 0;
}

// True iff p[0..n) is well-formed UTF-8 (no overlong form, no truncated sequence, nothing
// above U+10FFFF), except that encoded surrogates (ED A0..BF xx) pass, as they do in
// CPython's pickle, which decodes with 'surrogatepass'.
// REQUIRES: p points at n readable bytes (p may be null when n == 0).
inline bool ValidUtf8(const uint8_t* p, size_t n) {
  if (IsLatin1RangeUtf8(p, n)) return true;  // fast, branch-free; the general loop decides the rest
  size_t i = 0;
  while (i < n) {
    // Fast path over ASCII.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += len;
  }
  return true;
}

// Latin-1 encoding of the text `utf8` into *out (replacing its contents): each character
// U+0000..U+00FF becomes one byte. Returns false, leaving *out unchanged, if the text
// holds a character above U+00FF.
// REQUIRES for a correct result: `utf8` is valid UTF-8 (ValidUtf8). Memory safety does not
// depend on it: for any input, the writes stay inside *out and out->size() <= utf8.size().
bool Latin1FromUtf8(std::string_view utf8, std::string* out);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_TEXT_CODEC_H_
