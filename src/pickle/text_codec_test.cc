#include "pickle/text_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace inferd::pickle {
namespace {

// The scalar reference: the well-formed byte sequences of Unicode 15 Table 3-7, taken
// literally, except that ED A0..BF (encoded surrogates) is accepted as CPython's pickle
// does ('surrogatepass'). Appends the code points to *cps; false on any malformation.
bool RefDecode(const std::string& s, std::vector<uint32_t>* cps) {
  auto in = [](uint8_t c, uint8_t lo, uint8_t hi) { return c >= lo && c <= hi; };
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b0 = static_cast<uint8_t>(s[i]);
    size_t len;
    uint8_t lo1 = 0x80, hi1 = 0xBF;  // allowed range of the second byte
    if (b0 <= 0x7F) {
      len = 1;
    } else if (in(b0, 0xC2, 0xDF)) {
      len = 2;
    } else if (in(b0, 0xE0, 0xEF)) {
      len = 3;
      if (b0 == 0xE0) lo1 = 0xA0;
    } else if (in(b0, 0xF0, 0xF4)) {
      len = 4;
      if (b0 == 0xF0) lo1 = 0x90;
      if (b0 == 0xF4) hi1 = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1Fu) : len == 3 ? (b0 & 0x0Fu) : (b0 & 0x07u);
    for (size_t k = 1; k < len; ++k) {
      const uint8_t b = static_cast<uint8_t>(s[i + k]);
      if (k == 1 ? !in(b, lo1, hi1) : !in(b, 0x80, 0xBF)) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    cps->push_back(cp);
    i += len;
  }
  return true;
}

struct Ref {
  bool valid = false;
  bool latin1_range = false;  // valid and every code point <= U+00FF
  std::string latin1;         // the Latin-1 bytes when latin1_range
};

Ref Reference(const std::string& s) {
  Ref r;
  std::vector<uint32_t> cps;
  r.valid = RefDecode(s, &cps);
  if (!r.valid) return r;
  r.latin1_range = true;
  for (uint32_t cp : cps) {
    if (cp > 0xFF) {
      r.latin1_range = false;
      break;
    }
    r.latin1.push_back(static_cast<char>(cp));
  }
  if (!r.latin1_range) r.latin1.clear();
  return r;
}

std::string Utf8(uint32_t cp) {
  std::string o;
  if (cp < 0x80) {
    o += static_cast<char>(cp);
  } else if (cp < 0x800) {
    o += static_cast<char>(0xC0 | (cp >> 6));
    o += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    o += static_cast<char>(0xE0 | (cp >> 12));
    o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    o += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    o += static_cast<char>(0xF0 | (cp >> 18));
    o += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    o += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return o;
}

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string o;
  for (unsigned char c : s) {
    o += d[c >> 4];
    o += d[c & 15];
    o += ' ';
  }
  return o;
}

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Checks every function of the codec on `s` against the reference.
void ExpectMatchesReference(const std::string& s) {
  const Ref ref = Reference(s);
  SCOPED_TRACE("input (" + std::to_string(s.size()) + " bytes): " + Hex(s));
  EXPECT_EQ(ValidUtf8(Bytes(s), s.size()), ref.valid);
  EXPECT_EQ(IsLatin1RangeUtf8(Bytes(s), s.size()), ref.latin1_range);
  std::string out = "untouched";
  const bool converted = Latin1FromUtf8(s, &out);
  if (ref.valid) {
    EXPECT_EQ(converted, ref.latin1_range);
    EXPECT_EQ(out, ref.latin1_range ? ref.latin1 : std::string("untouched"));
  } else if (converted) {
    // Invalid input: no promise on the bytes, only that the output stays within the input.
    EXPECT_LE(out.size(), s.size());
  } else {
    EXPECT_EQ(out, "untouched");
  }
}

TEST(TextCodecTest, Ascii) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) {
    ExpectMatchesReference(std::string(1, static_cast<char>(c)));
    all += static_cast<char>(c);
  }
  ExpectMatchesReference(all);
  ExpectMatchesReference("");
  std::string out = "x";
  EXPECT_TRUE(ValidUtf8(nullptr, 0));
  EXPECT_TRUE(IsLatin1RangeUtf8(nullptr, 0));
  ASSERT_TRUE(Latin1FromUtf8("", &out));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(Latin1FromUtf8("sklearn.tree._tree", &out));
  EXPECT_EQ(out, "sklearn.tree._tree");
}

TEST(TextCodecTest, Latin1HighBytes) {
  std::string text, latin1;
  for (uint32_t cp = 0x80; cp <= 0xFF; ++cp) {
    const std::string one = Utf8(cp);
    ASSERT_EQ(one.size(), 2u);
    ExpectMatchesReference(one);
    std::string out;
    ASSERT_TRUE(Latin1FromUtf8(one, &out));
    EXPECT_EQ(out, std::string(1, static_cast<char>(cp)));
    text += one;
    latin1 += static_cast<char>(cp);
  }
  // Every byte value, as the protocol-2 encoding of bytes(range(256)) carries it.
  std::string every;
  for (uint32_t cp = 0; cp <= 0xFF; ++cp) every += Utf8(cp);
  std::string out;
  ASSERT_TRUE(ValidUtf8(Bytes(every), every.size()));
  ASSERT_TRUE(IsLatin1RangeUtf8(Bytes(every), every.size()));
  ASSERT_TRUE(Latin1FromUtf8(every, &out));
  ASSERT_EQ(out.size(), 256u);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(static_cast<uint8_t>(out[b]), b);
  ASSERT_TRUE(Latin1FromUtf8(text, &out));
  EXPECT_EQ(out, latin1);
}

TEST(TextCodecTest, MultiByteAboveLatin1) {
  // 2, 3 and 4 bytes: valid UTF-8, but not representable in Latin-1.
  for (uint32_t cp : {0x100u, 0x394u, 0x7FFu, 0x800u, 0x20ACu, 0xFFFDu, 0xFFFFu, 0x10000u, 0x1F600u, 0x10FFFFu}) {
    const std::string s = Utf8(cp);
    SCOPED_TRACE(Hex(s));
    EXPECT_TRUE(ValidUtf8(Bytes(s), s.size()));
    EXPECT_FALSE(IsLatin1RangeUtf8(Bytes(s), s.size()));
    std::string out = "untouched";
    EXPECT_FALSE(Latin1FromUtf8(s, &out));
    EXPECT_EQ(out, "untouched");
    ExpectMatchesReference(s);
    ExpectMatchesReference("caf" + Utf8(0xE9) + s + "!");
  }
}

TEST(TextCodecTest, InvalidUtf8) {
  const std::vector<std::string> invalid = {
      "\x80",              // lone continuation byte
      "\xBF",              // lone continuation byte
      "\xC0\x80",          // overlong U+0000
      "\xC1\xBF",          // overlong U+007F
      "\xE0\x80\x80",      // overlong U+0000 in 3 bytes
      "\xE0\x9F\xBF",      // overlong U+07FF in 3 bytes
      "\xF0\x80\x80\x80",  // overlong U+0000 in 4 bytes
      "\xF0\x8F\xBF\xBF",  // overlong U+FFFF in 4 bytes
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // lead above U+10FFFF
      "\xF7\xBF\xBF\xBF",  // lead above U+10FFFF
      "\xF8\x88\x80\x80\x80",
      "\xFE",
      "\xFF",
      "\xC3",              // truncated 2-byte sequence
      "\xE2\x82",          // truncated 3-byte sequence
      "\xF0\x9F\x98",      // truncated 4-byte sequence
      "\xC3\x41",          // lead followed by ASCII
      "\xE2\x28\xA1",      // bad second byte
      "\xF0\x9F\x98\x28",  // bad fourth byte
      "\xC3\xA9\xA9",      // one continuation byte too many
  };
  for (const std::string& s : invalid) {
    SCOPED_TRACE(Hex(s));
    EXPECT_FALSE(ValidUtf8(Bytes(s), s.size()));
    EXPECT_FALSE(IsLatin1RangeUtf8(Bytes(s), s.size()));
    ExpectMatchesReference(s);
    ExpectMatchesReference("abc" + s);
    ExpectMatchesReference(s + "abc");
  }
}

TEST(TextCodecTest, EncodedSurrogatesPass) {
  // CPython's pickle decodes with 'surrogatepass', so a lone surrogate is readable text.
  for (uint32_t cp : {0xD800u, 0xDBFFu, 0xDC00u, 0xDFFFu}) {
    const std::string s = Utf8(cp);
    SCOPED_TRACE(Hex(s));
    EXPECT_TRUE(ValidUtf8(Bytes(s), s.size()));
    EXPECT_FALSE(IsLatin1RangeUtf8(Bytes(s), s.size()));
    ExpectMatchesReference(s);
  }
}

// Lengths 0..70 cross the 8-byte ASCII skip, the 16-byte blocks of IsLatin1RangeUtf8 and of
// the SSSE3 compaction, and their scalar tails. Every snippet is placed at every position
// of an ASCII and of a Latin-1-range background, cut to the length (which also truncates
// snippets at the end).
TEST(TextCodecTest, SnippetAtEveryPositionAroundBlockBoundaries) {
  const std::vector<std::string> snippets = {
      "\xC3\xA9",         "\xC2\x80", "\xC3\xBF", "\xE2\x82\xAC",     "\xF0\x9F\x98\x80", "\xED\xA0\x80",
      "\xF4\x8F\xBF\xBF", "\x80",     "\xC3",     "\xC2\xC2",         "\xC0\x80",         "\xC1\x81",
      "\xE0\x80\x80",     "\xFF",     "\xC4\x80", "\xF4\x90\x80\x80",
  };
  const std::string ascii_background(80, 'a');
  std::string latin1_background;  // ASCII and 2-byte characters mixed
  for (uint32_t k = 0; latin1_background.size() < 80; ++k) {
    latin1_background += Utf8(k % 3 == 0 ? 0x80 + k % 128 : 'a' + k % 26);
  }
  for (const std::string& background : {ascii_background, latin1_background}) {
    for (size_t n = 0; n <= 70; ++n) {
      for (size_t pos = 0; pos <= n; ++pos) {
        for (const std::string& snippet : snippets) {
          std::string s = background.substr(0, pos) + snippet + background.substr(pos);
          s.resize(n);
          ExpectMatchesReference(s);
          if (HasFailure()) return;
        }
      }
    }
  }
}

// A single non-ASCII byte at each position of ASCII text of every length up to 70.
TEST(TextCodecTest, OneHighByteAtEveryPosition) {
  for (size_t n = 1; n <= 70; ++n) {
    for (size_t pos = 0; pos < n; ++pos) {
      for (int b : {0x80, 0xA9, 0xBF, 0xC2, 0xC3, 0xC4, 0xE2, 0xF0, 0xFF}) {
        std::string s(n, 'x');
        s[pos] = static_cast<char>(b);
        ExpectMatchesReference(s);
        if (HasFailure()) return;
      }
    }
  }
}

// Random strings over the bytes that matter, and random valid text, against the reference.
TEST(TextCodecTest, RandomAgainstReference) {
  std::mt19937 rng(20240601);
  const uint8_t alphabet[] = {'a',  'z',  0x00, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                              0xC3, 0xC4, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  for (int t = 0; t < 20000; ++t) {
    const size_t n = rng() % 71;
    std::string s;
    for (size_t k = 0; k < n; ++k) s += static_cast<char>(alphabet[rng() % sizeof alphabet]);
    ExpectMatchesReference(s);
    if (HasFailure()) return;
  }
  for (int t = 0; t < 5000; ++t) {
    const size_t chars = rng() % 40;
    const bool latin1_only = t % 2 == 0;
    std::string s;
    for (size_t k = 0; k < chars; ++k) {
      uint32_t cp;
      if (latin1_only) {
        cp = rng() % 0x100;
      } else {
        do cp = rng() % 0x110000;
        while (cp >= 0xD800 && cp <= 0xDFFF && rng() % 2);  // mostly skip surrogates
      }
      s += Utf8(cp);
    }
    ExpectMatchesReference(s);
    if (HasFailure()) return;
  }
}

// Long Latin-1-range text: many SSSE3 blocks, with leads and continuations straddling them.
TEST(TextCodecTest, LongBinaryRoundTrip) {
  std::mt19937 rng(7);
  for (size_t n : {size_t{255}, size_t{256}, size_t{257}, size_t{4096}, size_t{65537}}) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    std::string text;
    for (unsigned char c : bytes) text += Utf8(c);
    std::string out;
    ASSERT_TRUE(ValidUtf8(Bytes(text), text.size()));
    ASSERT_TRUE(IsLatin1RangeUtf8(Bytes(text), text.size()));
    ASSERT_TRUE(Latin1FromUtf8(text, &out));
    EXPECT_EQ(out, bytes);
  }
}

}  // namespace
}  // namespace inferd::pickle
