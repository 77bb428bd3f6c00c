#include "pickle/text_codec.h"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define INFERD_LATIN1_SSSE3 1
#endif

namespace inferd::pickle {
namespace {

// The compaction step of Latin1FromUtf8 over p[j..n), writing from o[k]; returns the new
// output length. Every input byte is stored at the output cursor, which advances past
// every byte except a 0xC2/0xC3 lead, so a lead is overwritten by its continuation byte.
// In valid UTF-8, U+0080..U+00BF is C2 80..BF (the continuation byte is the character) and
// U+00C0..U+00FF is C3 80..BF (the continuation byte plus 0x40). Branch-free: the data is
// random binary, so any branch on it mispredicts. REQUIRES k <= j; then k <= j holds at
// every store, so writes stay inside an n-byte output whatever the input bytes are.
size_t Latin1CompactScalar(const uint8_t* p, size_t j, size_t n, uint8_t* o, size_t k) {
  uint8_t prev = j > 0 ? p[j - 1] : 0;
  for (; j < n; ++j) {
    const uint8_t c = p[j];
    o[k] = static_cast<uint8_t>(c + (static_cast<unsigned>(prev == 0xC3u) << 6));
    k += (c & 0xFEu) != 0xC2u;
    prev = c;
  }
  return k;
}

#ifdef INFERD_LATIN1_SSSE3
// For each 8-bit keep-mask m: the pshufb control moving the kept bytes of an 8-byte group
// to its front, and how many there are.
struct CompactTable {
  uint8_t idx[256][8];
  uint8_t count[256];
  constexpr CompactTable() : idx(), count() {
    for (int m = 0; m < 256; ++m) {
      int w = 0;
      for (int bit = 0; bit < 8; ++bit) {
        if (m & (1 << bit)) idx[m][w++] = static_cast<uint8_t>(bit);
      }
      count[m] = static_cast<uint8_t>(w);
      for (; w < 8; ++w) idx[m][w] = 0x80;  // pshufb writes zero; overwritten later or cut
    }
  }
};
constexpr CompactTable kCompact{};

bool HasSsse3() {
  static const bool has = __builtin_cpu_supports("ssse3");
  return has;
}

// The same compaction 16 input bytes at a time (SSSE3 pshufb; checked at run time). Handles
// p[0..j) for the largest j <= n reachable in whole blocks and returns the output length;
// the caller finishes with Latin1CompactScalar. Each 8-byte store at o + k writes the
// group's kept bytes plus zeros, and k <= (bytes consumed) keeps it within o[0..j + 16).
__attribute__((target("ssse3"))) size_t Latin1CompactSsse3(const uint8_t* p, size_t n, uint8_t* o, size_t* j_out) {
  size_t k = 0, j = 0;
  if (n > 0) {  // the first byte has no predecessor to load
    o[0] = p[0];
    k = (p[0] & 0xFEu) != 0xC2u;
    j = 1;
  }
  const __m128i c3 = _mm_set1_epi8(static_cast<char>(0xC3));
  const __m128i fe = _mm_set1_epi8(static_cast<char>(0xFE));
  const __m128i c2 = _mm_set1_epi8(static_cast<char>(0xC2));
  const __m128i x40 = _mm_set1_epi8(0x40);
  for (; j + 16 <= n; j += 16) {
    const __m128i cur = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
    const __m128i prev = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j - 1));
    const __m128i adj = _mm_add_epi8(cur, _mm_and_si128(_mm_cmpeq_epi8(prev, c3), x40));
    const __m128i lead = _mm_cmpeq_epi8(_mm_and_si128(cur, fe), c2);
    const unsigned keep = ~static_cast<unsigned>(_mm_movemask_epi8(lead)) & 0xFFFFu;
    const unsigned lo = keep & 0xFFu, hi = keep >> 8;
    uint64_t ctl;
    std::memcpy(&ctl, kCompact.idx[lo], 8);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + k),
                     _mm_shuffle_epi8(adj, _mm_cvtsi64_si128(static_cast<long long>(ctl))));
    k += kCompact.count[lo];
    std::memcpy(&ctl, kCompact.idx[hi], 8);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + k),
                     _mm_shuffle_epi8(_mm_srli_si128(adj, 8), _mm_cvtsi64_si128(static_cast<long long>(ctl))));
    k += kCompact.count[hi];
  }
  *j_out = j;
  return k;
}
#endif

}  // namespace

// In valid UTF-8 a code point above U+00FF shows as a byte >= 0xC4, and every other
// non-ASCII character is a lead 0xC2/0xC3 followed by one continuation byte.
bool Latin1FromUtf8(std::string_view utf8, std::string* out) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(utf8.data());
  const size_t n = utf8.size();
  uint8_t above = 0;  // an OR over all bytes (no early exit) so that the loop vectorises
  for (size_t j = 0; j < n; ++j) above |= static_cast<uint8_t>(p[j] >= 0xC4u);
  if (above) return false;
  out->assign(n, '\0');
  uint8_t* o = reinterpret_cast<uint8_t*>(out->data());
  size_t j = 0, k = 0;
#ifdef INFERD_LATIN1_SSSE3
  if (HasSsse3()) k = Latin1CompactSsse3(p, n, o, &j);
#endif
  k = Latin1CompactScalar(p, j, n, o, k);
  out->resize(k);
  return true;
}

}  // namespace inferd::pickle
