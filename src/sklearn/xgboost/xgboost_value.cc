#include "sklearn/xgboost/xgboost_value.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace inferd::sklearn {
namespace {

using Type = XgbValue::Type;

// Memory the value table may take: a fixed allowance plus a multiple of the input, charged per
// entry and per number as they are made. A number takes at most 8 bytes per input byte (a
// UBJSON one-byte flag becomes an int64), and real documents hold few other values; an input
// made of empty values (a UBJSON array of 'Z', one byte each, or JSON "[[],[],...]") would
// otherwise cost a whole entry per byte or two.
constexpr size_t kBaseBudget = size_t{64} << 20;
constexpr size_t kBudgetPerInputByte = 16;

// Text from the file, quoted and cut short for a message; control characters become '?' so
// that the message stays one line.
std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (char c : s.substr(0, kMax)) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  if (s.size() > kMax) out += "...";
  out += '"';
  return out;
}

// The first key that occurs twice in `keys` (reordered), or nullptr.
const std::string_view* RepeatedKey(std::vector<std::string_view>* keys) {
  const size_t n = keys->size();
  if (n < 2) return nullptr;
  // xgboost writes every object's keys in order (its objects are std::maps): one pass.
  if (std::is_sorted(keys->begin(), keys->end(), std::less_equal<std::string_view>())) return nullptr;
  if (n <= 16) {
    for (size_t i = 1; i < n; ++i) {
      for (size_t j = 0; j < i; ++j) {
        if ((*keys)[i] == (*keys)[j]) return &(*keys)[i];
      }
    }
    return nullptr;
  }
  std::sort(keys->begin(), keys->end());
  for (size_t i = 1; i < n; ++i) {
    if ((*keys)[i] == (*keys)[i - 1]) return &(*keys)[i];
  }
  return nullptr;
}

// a < b in byte order, inline: keys are short and usually differ in their first bytes, where a
// call to memcmp would cost more than the comparison.
bool KeyLess(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

// Size in bytes of a number with this marker, 0 if the marker is not a number.
size_t NumberSize(char m) {
  switch (m) {
    case 'i':
    case 'U': return 1;
    case 'I': return 2;
    case 'l':
    case 'd': return 4;
    case 'L':
    case 'D': return 8;
    default: return 0;
  }
}

bool IsIntMarker(char m) { return m == 'i' || m == 'U' || m == 'I' || m == 'l' || m == 'L'; }

uint64_t BigEndian(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

uint64_t BigEndian64(const unsigned char* p) {
  uint64_t be;
  std::memcpy(&be, p, sizeof be);
  return __builtin_bswap64(be);
}

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// The buffers of finished tables, one of each kind (see XgbParsed).
class TableCache {
 public:
  template <typename T>
  void Take(std::vector<T>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<T>& spare = Spare<T>();
    if (spare.capacity() > out->capacity()) out->swap(spare);
  }
  template <typename T>
  void Give(std::vector<T>* v) {
    if (v->capacity() * sizeof(T) > kXgbTableCacheBytes) return;
    v->clear();
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<T>& spare = Spare<T>();
    if (v->capacity() > spare.capacity()) v->swap(spare);
  }

 private:
  template <typename T>
  std::vector<T>& Spare() {
    if constexpr (std::is_same_v<T, XgbValue>) {
      return values_;
    } else if constexpr (std::is_same_v<T, int64_t>) {
      return ints_;
    } else {
      return reals_;
    }
  }
  std::mutex mu_;
  std::vector<XgbValue> values_;
  std::vector<int64_t> ints_;
  std::vector<double> reals_;
};

TableCache& Cache() {
  static TableCache* cache = new TableCache();  // never destroyed: parses may run at exit
  return *cache;
}

}  // namespace

XgbParsed::~XgbParsed() {
  Cache().Give(&values_);
  Cache().Give(&ints_);
  Cache().Give(&reals_);
}

// Builds an XgbParsed for either parser: entries are appended in document order and refer to
// each other by index until Finish (the table moves as it grows).
class XgbTableBuilder {
 public:
  explicit XgbTableBuilder(size_t input_bytes)
      : left_(kBaseBudget + kBudgetPerInputByte * input_bytes), keys_(kMaxXgbNesting + 1) {
    Cache().Take(&out_.values_);
    Cache().Take(&out_.ints_);
    Cache().Take(&out_.reals_);
  }

  // Appends an entry of type `t`; false once the table would pass its allowance.
  bool Add(Type t, size_t* index) {
    // The budget (far below 2^32 entries for any input the loader takes) keeps spans in 32 bits.
    if (!Charge(sizeof(XgbValue)) || out_.values_.size() >= UINT32_MAX) return false;
    *index = out_.values_.size();
    out_.values_.emplace_back().type = t;
    return true;
  }
  XgbValue& at(size_t i) { return out_.values_[i]; }
  size_t size() const { return out_.values_.size(); }
  // Closes the value at `index`: everything appended since is inside it.
  void Close(size_t index) { out_.values_[index].span = static_cast<uint32_t>(out_.values_.size() - index); }

  // The first repeated key among the members of the object at `index` (closed), or empty.
  std::optional<std::string> RepeatedMemberKey(size_t index, size_t depth) {
    std::vector<std::string_view>& keys = keys_[depth];  // per depth: reused, never moved
    keys.clear();
    for (const XgbMemberRef m : out_.values_[index].members()) keys.push_back(m.key);
    if (const std::string_view* k = RepeatedKey(&keys)) return std::string(*k);
    return std::nullopt;
  }

  // Numbers of the array being read (the innermost one: a number array holds no arrays, so its
  // numbers are the tail of a side table). StartNumbers before its first element.
  struct NumberMark {
    size_t ints, reals;
  };
  NumberMark StartNumbers() const { return {out_.ints_.size(), out_.reals_.size()}; }
  // Appends one number to the array at `index` (kIntArray or kRealArray, started at `mark`).
  bool AppendNumber(size_t index, const NumberMark& mark, bool is_int, int64_t i, double d) {
    if (!Charge(sizeof(int64_t))) return false;
    XgbValue& a = out_.values_[index];
    if (a.type == Type::kIntArray && !is_int) {  // the first non-integer: all become doubles
      for (size_t k = mark.ints; k < out_.ints_.size(); ++k) out_.reals_.push_back(static_cast<double>(out_.ints_[k]));
      out_.ints_.resize(mark.ints);
      a.type = Type::kRealArray;
    }
    if (a.type == Type::kIntArray) {
      out_.ints_.push_back(i);
    } else {
      out_.reals_.push_back(is_int ? static_cast<double>(i) : d);
    }
    ++a.count;
    return true;
  }
  // Turns the number array at `index` into a generic one (an element that is not a number
  // came): its numbers become item entries.
  bool Generalise(size_t index, const NumberMark& mark) {
    XgbValue& a = out_.values_[index];
    const bool ints = a.type == Type::kIntArray;
    const size_t n = static_cast<size_t>(a.count);
    a.type = Type::kArray;
    for (size_t k = 0; k < n; ++k) {
      size_t e;
      if (!Add(ints ? Type::kInt : Type::kReal, &e)) return false;
      if (ints) {
        out_.values_[e].integer = out_.ints_[mark.ints + k];
      } else {
        out_.values_[e].real = out_.reals_[mark.reals + k];
      }
    }
    out_.ints_.resize(mark.ints);
    out_.reals_.resize(mark.reals);
    return true;
  }
  // Records where the number array at `index` starts in its side table (set its pointer at Finish).
  void EndNumbers(size_t index, const NumberMark& mark) {
    XgbValue& a = out_.values_[index];
    if (a.type == Type::kIntArray) a.integer = static_cast<int64_t>(mark.ints);
    if (a.type == Type::kRealArray) a.integer = static_cast<int64_t>(mark.reals);
  }

  // `own_strings`: the strings point into memory the caller frees next (the JSON parser's
  // buffer); they are copied into the result.
  XgbParsed Finish(bool own_strings) {
    if (own_strings) {
      size_t bytes = 0;
      for (const XgbValue& v : out_.values_) {
        if (v.type == Type::kString || v.type == Type::kKey) bytes += v.string.size();
      }
      // No reallocation below, and never the small-string buffer, which a move would copy.
      out_.text_.reserve(std::max<size_t>(bytes, 2 * sizeof(std::string)));
      for (XgbValue& v : out_.values_) {
        if (v.type != Type::kString && v.type != Type::kKey) continue;
        const size_t at = out_.text_.size();
        out_.text_.append(v.string);
        v.string = std::string_view(out_.text_).substr(at, v.string.size());
      }
    }
    for (XgbValue& v : out_.values_) {
      if (v.typed != 0 || v.text) continue;
      if (v.type == Type::kIntArray) v.ints = out_.ints_.data() + v.integer;
      if (v.type == Type::kRealArray) v.reals = out_.reals_.data() + v.integer;
    }
    return std::move(out_);
  }

 private:
  bool Charge(size_t bytes) {
    if (bytes > left_) return false;
    left_ -= bytes;
    return true;
  }

  size_t left_;
  XgbParsed out_;
  std::vector<std::vector<std::string_view>> keys_;
};

namespace {

// ---- JSON ----

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The end of the JSON number at p (grammar checked; xgboost's bare words NaN, -NaN, Infinity and
// -Infinity taken too), or nullptr. *real: it has a fraction, an exponent or is a word.
const char* ScanNumber(const char* p, const char* end, bool* real) {
  *real = false;
  if (p < end && *p == '-') ++p;
  if (p == end) return nullptr;
  if (!IsDigit(*p)) {
    for (std::string_view word : {std::string_view("NaN"), std::string_view("Infinity")}) {
      if (static_cast<size_t>(end - p) >= word.size() && std::string_view(p, word.size()) == word) {
        *real = true;
        return p + word.size();
      }
    }
    return nullptr;
  }
  if (*p == '0') {
    ++p;
  } else {
    while (p < end && IsDigit(*p)) ++p;
  }
  if (p < end && *p == '.') {
    *real = true;
    ++p;
    if (p == end || !IsDigit(*p)) return nullptr;
    while (p < end && IsDigit(*p)) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    *real = true;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !IsDigit(*p)) return nullptr;
    while (p < end && IsDigit(*p)) ++p;
  }
  return p;
}

// Whether a number token (checked by ScanNumber) that is beyond double's range is so because it
// is too large, not too small: the decimal exponent of its first significant digit decides.
bool TooLargeForDouble(const char* p, const char* end) {
  if (p < end && *p == '-') ++p;
  while (p < end && *p == '0') ++p;
  const char* digits = p;
  while (p < end && IsDigit(*p)) ++p;
  int64_t magnitude = p - digits;  // integer digits after leading zeros
  if (p < end && *p == '.') {
    ++p;
    const char* zeros = p;
    while (p < end && *p == '0') ++p;
    if (magnitude == 0) magnitude = -(p - zeros);
    while (p < end && IsDigit(*p)) ++p;
  }
  int64_t exponent = 0;
  bool negative = false;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
    for (; p < end && IsDigit(*p); ++p) exponent = std::min<int64_t>(exponent * 10 + (*p - '0'), int64_t{1} << 40);
  }
  return magnitude + (negative ? -exponent : exponent) > 0;
}

// A number token checked by ScanNumber. std::from_chars reads the words too; values beyond
// double's range become infinite or (signed) zero.
double JsonReal(const char* p, const char* end) {
  double d = 0;
  const std::from_chars_result r = std::from_chars(p, end, d);
  if (r.ec == std::errc::result_out_of_range) {
    const bool negative = *p == '-';
    if (TooLargeForDouble(p, end)) return negative ? -HUGE_VAL : HUGE_VAL;
    return negative ? -0.0 : 0.0;
  }
  return d;
}

// An integer token checked by ScanNumber; false if it is outside int64.
bool JsonInt(const char* p, const char* end, int64_t* i) { return std::from_chars(p, end, *i).ec == std::errc(); }

// Calls f(begin, end) for every element of a number array's text (between its brackets,
// checked when parsed); f returns where the number it read ends (std::from_chars reads exactly
// the tokens ScanNumber takes).
template <typename F>
void ForEachJsonNumber(std::string_view text, F f) {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (true) {
    while (p < end && (IsJsonSpace(*p) || *p == ',')) ++p;
    if (p == end) return;
    const char* q = f(p, end);
    p = q > p ? q : p + 1;  // always moves on, whatever f read
  }
}

// A JSON document into the value table, in one pass over the text. Arrays of numbers only (what
// xgboost writes for every per-node array) are checked and kept as their text, decoded later
// straight into the caller's arrays (see XgbValue::text), so the numbers take no memory here.
class JsonParser {
 public:
  explicit JsonParser(std::string_view bytes) : b_(bytes), table_(bytes.size()) {}

  StatusOr<XgbParsed> Run() {
    if (!simdjson::validate_utf8(b_.data(), b_.size())) return Error(0, "the text is not valid UTF-8");
    SkipSpace();
    INFERD_RETURN_IF_ERROR(Value(1));
    SkipSpace();
    if (p_ != b_.size()) return Error(p_, "content after the document");
    return table_.Finish(true);
  }

 private:
  Status Error(size_t at, const std::string& what) const {
    return Status::InvalidArgument("malformed JSON at byte " + std::to_string(at) + ": " + what);
  }
  Status TooBig() const {
    return Status::ResourceExhausted("JSON document holds too many values for its size (at byte " + std::to_string(p_) +
                                     ")");
  }
  void SkipSpace() {
    while (p_ < b_.size() && IsJsonSpace(b_[p_])) ++p_;
  }
  // The next character after white space, or 0 at the end.
  char PeekToken() {
    SkipSpace();
    return p_ < b_.size() ? b_[p_] : '\0';
  }
  Status Expect(char c, const char* context) {
    if (PeekToken() != c) {
      return Error(p_, std::string("expected '") + c + "' " + context + ", found " + FoundAt(p_));
    }
    ++p_;
    return Status::Ok();
  }
  // What stands at byte `at`, for a message.
  std::string FoundAt(size_t at) const {
    if (at >= b_.size()) return "the end of the text";
    const auto u = static_cast<unsigned char>(b_[at]);
    if (u >= 0x21 && u < 0x7f) return std::string("'") + b_[at] + "'";
    return "byte 0x" + std::string(1, "0123456789abcdef"[u >> 4]) + "0123456789abcdef"[u & 15];
  }

  Status Value(size_t depth) {
    if (depth > kMaxXgbNesting) return Error(p_, "nested deeper than " + std::to_string(kMaxXgbNesting) + " levels");
    switch (PeekToken()) {
      case '{': return Object(depth);
      case '[': return Array(depth);
      case '"': {
        std::string_view s;
        INFERD_RETURN_IF_ERROR(String(&s));
        size_t index;
        if (!table_.Add(Type::kString, &index)) return TooBig();
        table_.at(index).string = s;
        return Status::Ok();
      }
      case 't': return Literal("true", Type::kBool, true);
      case 'f': return Literal("false", Type::kBool, false);
      case 'n': return Literal("null", Type::kNull, false);
      default: return Scalar();
    }
  }

  Status Literal(std::string_view word, Type t, bool value) {
    if (b_.substr(p_, word.size()) != word) return Error(p_, "not a JSON value");
    p_ += word.size();
    size_t index;
    if (!table_.Add(t, &index)) return TooBig();
    table_.at(index).boolean = value;
    return Status::Ok();
  }

  // A number (p_ at its first character) as a kInt or kReal entry.
  Status Scalar() {
    const size_t at = p_;
    const char* begin = b_.data() + p_;
    bool real = false;
    const char* end = ScanNumber(begin, b_.data() + b_.size(), &real);
    if (end == nullptr) return Error(at, p_ < b_.size() ? "not a JSON value" : "unexpected end of the text");
    size_t index;
    if (!table_.Add(real ? Type::kReal : Type::kInt, &index)) return TooBig();
    if (real) {
      table_.at(index).real = JsonReal(begin, end);
    } else if (!JsonInt(begin, end, &table_.at(index).integer)) {
      return Error(at, "integer out of range");
    }
    p_ = static_cast<size_t>(end - b_.data());
    return Status::Ok();
  }

  Status Object(size_t depth) {
    const size_t at = p_;
    ++p_;  // '{'
    size_t index;
    if (!table_.Add(Type::kObject, &index)) return TooBig();
    if (PeekToken() == '}') {
      ++p_;
    } else {
      while (true) {
        if (PeekToken() != '"') return Error(p_, "expected a key, found " + FoundAt(p_));
        std::string_view key;
        INFERD_RETURN_IF_ERROR(String(&key));
        size_t k;
        if (!table_.Add(Type::kKey, &k)) return TooBig();
        table_.at(k).string = key;
        INFERD_RETURN_IF_ERROR(Expect(':', "after a key"));
        INFERD_RETURN_IF_ERROR(Value(depth + 1));
        ++table_.at(index).count;
        const char c = PeekToken();
        ++p_;
        if (c == '}') break;
        if (c != ',') return Error(p_ - 1, "expected ',' or '}' in an object, found " + FoundAt(p_ - 1));
      }
    }
    table_.Close(index);
    if (auto k = table_.RepeatedMemberKey(index, depth)) return Error(at, "duplicate key " + Quoted(*k));
    return Status::Ok();
  }

  Status Array(size_t depth) {
    const size_t open = p_;
    ++p_;  // '['
    size_t index;
    if (!table_.Add(Type::kIntArray, &index)) return TooBig();
    if (NumberArray(index)) return Status::Ok();
    // Not numbers only: read again from the start, each item an entry.
    p_ = open + 1;
    XgbValue& a = table_.at(index);
    a.type = Type::kArray;
    a.text = false;
    a.count = 0;
    if (PeekToken() == ']') {
      ++p_;
    } else {
      while (true) {
        INFERD_RETURN_IF_ERROR(Value(depth + 1));
        ++table_.at(index).count;
        const char c = PeekToken();
        ++p_;
        if (c == ']') break;
        if (c != ',') return Error(p_ - 1, "expected ',' or ']' in an array, found " + FoundAt(p_ - 1));
      }
    }
    table_.Close(index);
    return Status::Ok();
  }

  // Reads the array at p_ (after its '[') as the number array at `index` if it holds numbers
  // only; false (p_ anywhere) otherwise, also on a syntax error, which the generic read reports.
  bool NumberArray(size_t index) {
    const char* const end = b_.data() + b_.size();
    const char* p = b_.data() + p_;
    const char* const first = p;
    uint64_t count = 0;
    bool any_real = false;
    while (p < end && IsJsonSpace(*p)) ++p;
    if (p < end && *p == ']') {
      ++p;
    } else {
      while (true) {
        while (p < end && IsJsonSpace(*p)) ++p;
        bool real = false;
        const char* q = ScanNumber(p, end, &real);
        if (q == nullptr) return false;
        if (!real) {
          // Up to 18 digits always fit in int64; longer ones are checked.
          const size_t digits = static_cast<size_t>(q - p) - (*p == '-');
          int64_t unused;
          if (digits > 18 && !JsonInt(p, q, &unused)) return false;
        }
        any_real |= real;
        ++count;
        p = q;
        while (p < end && IsJsonSpace(*p)) ++p;
        if (p == end) return false;
        if (*p == ']') {
          ++p;
          break;
        }
        if (*p != ',') return false;
        ++p;
      }
    }
    XgbValue& a = table_.at(index);
    a.type = any_real ? Type::kRealArray : Type::kIntArray;
    a.text = true;
    a.count = count;
    a.string = std::string_view(first, static_cast<size_t>(p - 1 - first));
    p_ = static_cast<size_t>(p - b_.data());
    table_.Close(index);
    return true;
  }

  // A string (p_ at its '"'): a view of the input, or of unescaped_ if it has escapes.
  Status String(std::string_view* out) {
    const size_t at = p_;
    ++p_;
    const size_t begin = p_;
    while (p_ < b_.size() && b_[p_] != '"' && b_[p_] != '\\' && static_cast<unsigned char>(b_[p_]) >= 0x20) ++p_;
    if (p_ < b_.size() && b_[p_] == '"') {
      *out = b_.substr(begin, p_ - begin);
      ++p_;
      return Status::Ok();
    }
    // Escapes: decoded into unescaped_, reserved once to the input's size (a decoded string is
    // never longer than its text), so earlier views stay valid.
    if (unescaped_.capacity() < b_.size()) unescaped_.reserve(b_.size());
    const size_t start = unescaped_.size();
    unescaped_.append(b_.substr(begin, p_ - begin));
    while (true) {
      if (p_ >= b_.size()) return Error(at, "a string is not closed");
      const char c = b_[p_];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) return Error(p_, "control character in a string");
      if (c != '\\') {
        unescaped_.push_back(c);
        ++p_;
        continue;
      }
      if (p_ + 1 >= b_.size()) return Error(p_, "a string is not closed");
      const char e = b_[p_ + 1];
      p_ += 2;
      switch (e) {
        case '"': unescaped_.push_back('"'); break;
        case '\\': unescaped_.push_back('\\'); break;
        case '/': unescaped_.push_back('/'); break;
        case 'b': unescaped_.push_back('\b'); break;
        case 'f': unescaped_.push_back('\f'); break;
        case 'n': unescaped_.push_back('\n'); break;
        case 'r': unescaped_.push_back('\r'); break;
        case 't': unescaped_.push_back('\t'); break;
        case 'u': INFERD_RETURN_IF_ERROR(Unicode()); break;
        default: return Error(p_ - 2, "unknown escape in a string");
      }
    }
    ++p_;
    *out = std::string_view(unescaped_).substr(start);
    return Status::Ok();
  }

  // The code point of a \u escape (p_ after "\u"), a surrogate pair taken whole, as UTF-8.
  Status Unicode() {
    const size_t at = p_ - 2;
    uint32_t cp;
    if (!Hex4(&cp)) return Error(at, "bad \\u escape in a string");
    if (cp >= 0xdc00 && cp <= 0xdfff) return Error(at, "unpaired surrogate in a string");
    if (cp >= 0xd800 && cp <= 0xdbff) {
      uint32_t low;
      if (b_.substr(p_, 2) != "\\u" || (p_ += 2, !Hex4(&low)) || low < 0xdc00 || low > 0xdfff) {
        return Error(at, "unpaired surrogate in a string");
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    if (cp < 0x80) {
      unescaped_.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      unescaped_.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      unescaped_.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      unescaped_.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      unescaped_.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      unescaped_.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      unescaped_.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      unescaped_.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      unescaped_.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      unescaped_.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
    return Status::Ok();
  }
  bool Hex4(uint32_t* out) {
    if (b_.size() - p_ < 4) return false;
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
      const char c = b_[p_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    p_ += 4;
    *out = v;
    return true;
  }

  std::string_view b_;
  size_t p_ = 0;
  std::string unescaped_;
  XgbTableBuilder table_;
};

// ---- UBJSON ----

class UbjsonParser {
 public:
  UbjsonParser(std::string_view bytes, XgbObjectReader* reader)
      : b_(bytes), reader_(reader), reader_key_(reader == nullptr ? std::string_view() : reader->array_key()) {}

  StatusOr<XgbParsed> Run() {
    char m = 0;
    INFERD_RETURN_IF_ERROR(Next(&m));
    INFERD_RETURN_IF_ERROR(Value(m, 1));
    if (p_ != b_.size()) return Error(p_, std::to_string(b_.size() - p_) + " bytes after the document");
    return table_.Finish(false);
  }

 private:
  Status Error(size_t at, const std::string& what) const {
    return Status::InvalidArgument("malformed UBJSON at byte " + std::to_string(at) + ": " + what);
  }
  Status TooBig() const {
    return Status::ResourceExhausted("UBJSON document holds too many values for its size (at byte " +
                                     std::to_string(p_) + ")");
  }
  size_t Remaining() const { return b_.size() - p_; }

  Status Next(char* m) {
    if (p_ >= b_.size()) return Error(p_, "unexpected end of data");
    *m = b_[p_++];
    return Status::Ok();
  }
  char Peek() const { return p_ < b_.size() ? b_[p_] : '\0'; }

  // A number with marker `m` (already consumed).
  Status Number(char m, bool* is_int, int64_t* i, double* d) {
    const size_t n = NumberSize(m);
    if (Remaining() < n) return Error(p_, "unexpected end of data in a number");
    const auto* p = reinterpret_cast<const unsigned char*>(b_.data() + p_);
    p_ += n;
    *is_int = IsIntMarker(m);
    switch (m) {
      case 'i': *i = static_cast<int8_t>(p[0]); break;
      case 'U': *i = p[0]; break;
      case 'I': *i = static_cast<int16_t>((p[0] << 8) | p[1]); break;
      case 'l': *i = static_cast<int32_t>(BigEndian32(p)); break;
      case 'L': *i = static_cast<int64_t>(BigEndian64(p)); break;
      case 'd': *d = std::bit_cast<float>(BigEndian32(p)); break;
      case 'D': *d = std::bit_cast<double>(BigEndian64(p)); break;
      default: return Error(p_ - n - 1, "not a number marker");
    }
    return Status::Ok();
  }

  // The hot paths below return bool, not Status: a Status per key and per count was a large
  // part of the parse. They read only valid input and leave every error (and its message) to
  // the Status functions they stand in front of.

  // A count or length at p_ (Length's forms: a marker L, l, I, i or U and its bytes, >= 0): true
  // and p_ past it; false (p_ unchanged) when it is anything else. xgboost marks every key
  // length and count 'L'.
  bool QuickLength(int64_t* n) {
    if (Remaining() < 9) return false;
    const auto* q = reinterpret_cast<const unsigned char*>(b_.data() + p_);
    int64_t v = -1;
    size_t size = 0;
    switch (q[0]) {
      case 'L': v = static_cast<int64_t>(BigEndian64(q + 1)), size = 9; break;
      case 'U': v = q[1], size = 2; break;
      case 'i': v = static_cast<int8_t>(q[1]), size = 2; break;
      case 'I': v = static_cast<int16_t>((q[1] << 8) | q[2]), size = 3; break;
      case 'l': v = static_cast<int32_t>(BigEndian32(q + 1)), size = 5; break;
      default: break;
    }
    if (v < 0) return false;
    *n = v;
    p_ += size;
    return true;
  }

  // Chars when its length is a QuickLength and fits in what is left; false (p_ unchanged) if not.
  bool QuickChars(std::string_view* out) {
    const size_t start = p_;
    int64_t n;
    if (!QuickLength(&n)) return false;
    if (static_cast<uint64_t>(n) > Remaining()) {
      p_ = start;
      return false;
    }
    *out = b_.substr(p_, static_cast<size_t>(n));
    p_ += static_cast<size_t>(n);
    return true;
  }

  // A count or length: an integer marker and its value, which must be >= 0.
  Status Length(const char* what, int64_t* n) {
    if (QuickLength(n)) return Status::Ok();
    const size_t at = p_;
    char m = 0;
    INFERD_RETURN_IF_ERROR(Next(&m));
    if (!IsIntMarker(m)) return Error(at, std::string(what) + " must be an integer, found marker " + Marker(m));
    bool is_int;
    double unused;
    INFERD_RETURN_IF_ERROR(Number(m, &is_int, n, &unused));
    if (*n < 0) return Error(at, std::string(what) + " is negative (" + std::to_string(*n) + ")");
    return Status::Ok();
  }

  // A string's bytes after its length; the length must fit in what is left.
  Status Chars(const char* what, std::string_view* out) {
    if (QuickChars(out)) return Status::Ok();
    const size_t at = p_;
    int64_t n;
    INFERD_RETURN_IF_ERROR(Length(what, &n));
    if (static_cast<uint64_t>(n) > Remaining()) {
      return Error(at, std::string(what) + " " + std::to_string(n) + " is longer than the " +
                           std::to_string(Remaining()) + " bytes left");
    }
    *out = b_.substr(p_, static_cast<size_t>(n));
    p_ += static_cast<size_t>(n);
    return Status::Ok();
  }

  static std::string Marker(char m) {
    const auto u = static_cast<unsigned char>(m);
    if (u >= 0x21 && u < 0x7f) return std::string("'") + m + "'";
    return "0x" + std::string(1, "0123456789abcdef"[u >> 4]) + "0123456789abcdef"[u & 15];
  }

  // The value whose marker `m` was just read (at p_ - 1). `offer`: an array's object items go
  // to reader_ first.
  Status Value(char m, size_t depth, bool offer = false) {
    const size_t at = p_ - 1;
    switch (m) {
      case '{': return Object(depth, at);
      case '[': return Array(depth, offer);
      case 'S': {
        size_t index;
        if (!table_.Add(Type::kString, &index)) return TooBig();
        std::string_view s;
        INFERD_RETURN_IF_ERROR(Chars("string length", &s));
        table_.at(index).string = s;
        return Status::Ok();
      }
      case 'T':
      case 'F': {
        size_t index;
        if (!table_.Add(Type::kBool, &index)) return TooBig();
        table_.at(index).boolean = m == 'T';
        return Status::Ok();
      }
      case 'Z': {
        size_t index;
        return table_.Add(Type::kNull, &index) ? Status::Ok() : TooBig();
      }
      default: {
        if (NumberSize(m) == 0) return Error(at, "unsupported marker " + Marker(m));
        bool is_int;
        int64_t i = 0;
        double d = 0;
        INFERD_RETURN_IF_ERROR(Number(m, &is_int, &i, &d));
        size_t index;
        if (!table_.Add(is_int ? Type::kInt : Type::kReal, &index)) return TooBig();
        if (is_int) {
          table_.at(index).integer = i;
        } else {
          table_.at(index).real = d;
        }
        return Status::Ok();
      }
    }
  }

  Status Object(size_t depth, size_t at) {
    if (depth > kMaxXgbNesting)
      return Error(p_ - 1, "nested deeper than " + std::to_string(kMaxXgbNesting) + " levels");
    if (Peek() == '$' || Peek() == '#') return Error(p_, "typed or counted objects are not supported");
    size_t index;
    if (!table_.Add(Type::kObject, &index)) return TooBig();
    // Keys in strictly increasing order (how xgboost writes them) cannot repeat: the full
    // search for a repeat runs only for objects whose keys are not.
    bool increasing = true;
    std::string_view previous;
    while (true) {
      if (p_ >= b_.size()) return Error(p_, "unexpected end of data in an object");
      if (b_[p_] == '}') {
        ++p_;
        break;
      }
      std::string_view key;
      if (!QuickChars(&key)) INFERD_RETURN_IF_ERROR(Chars("key length", &key));
      increasing = increasing && (table_.at(index).count == 0 || KeyLess(previous, key));
      previous = key;
      size_t k;
      if (!table_.Add(Type::kKey, &k)) return TooBig();
      table_.at(k).string = key;
      char m = 0;
      if (p_ < b_.size()) {
        m = b_[p_++];
      } else {
        INFERD_RETURN_IF_ERROR(Next(&m));
      }
      INFERD_RETURN_IF_ERROR(Value(m, depth + 1, reader_ != nullptr && key == reader_key_));
      ++table_.at(index).count;
    }
    table_.Close(index);
    if (increasing) return Status::Ok();
    if (auto k = table_.RepeatedMemberKey(index, depth)) {
      return Error(at, "duplicate key " + Quoted(*k) + " in an object");
    }
    return Status::Ok();
  }

  Status Array(size_t depth, bool offer) {
    if (depth > kMaxXgbNesting)
      return Error(p_ - 1, "nested deeper than " + std::to_string(kMaxXgbNesting) + " levels");
    size_t index;
    if (!table_.Add(Type::kIntArray, &index)) return TooBig();
    if (Peek() == '$') {  // [$T#N: N numbers of type T, no markers
      ++p_;
      const size_t at = p_;
      char t = 0;
      INFERD_RETURN_IF_ERROR(Next(&t));
      // The element types xgboost writes (and its reader takes): float32, int32, int64, uint8.
      const size_t size = t == 'd' || t == 'l' || t == 'L' || t == 'U' ? NumberSize(t) : 0;
      if (size == 0) return Error(at, "typed arrays of marker " + Marker(t) + " are not supported");
      char hash = 0;
      INFERD_RETURN_IF_ERROR(Next(&hash));
      if (hash != '#') return Error(p_ - 1, "a typed array needs a count ('#')");
      const size_t count_at = p_;
      int64_t n;
      if (!QuickLength(&n)) INFERD_RETURN_IF_ERROR(Length("array count", &n));
      if (static_cast<uint64_t>(n) > Remaining() / size) {
        return Error(count_at, "array count " + std::to_string(n) + " needs more than the " +
                                   std::to_string(Remaining()) + " bytes left");
      }
      XgbValue& a = table_.at(index);
      a.typed = t;
      if (t == 'd') a.type = Type::kRealArray;
      a.count = static_cast<uint64_t>(n);
      a.string = b_.substr(p_, static_cast<size_t>(n) * size);
      p_ += a.string.size();
      return Status::Ok();
    }
    int64_t count = -1;  // -1: ends with ']'
    if (Peek() == '#') {
      ++p_;
      const size_t count_at = p_;
      INFERD_RETURN_IF_ERROR(Length("array count", &count));
      if (static_cast<uint64_t>(count) > Remaining()) {  // every element takes at least one byte
        return Error(count_at, "array count " + std::to_string(count) + " is more than the " +
                                   std::to_string(Remaining()) + " bytes left");
      }
    }
    const XgbTableBuilder::NumberMark mark = table_.StartNumbers();
    for (int64_t k = 0; count < 0 || k < count; ++k) {
      char m = 0;
      INFERD_RETURN_IF_ERROR(Next(&m));
      if (count < 0 && m == ']') break;
      const bool generic = table_.at(index).type == Type::kArray;
      if (!generic && NumberSize(m) != 0) {
        bool is_int;
        int64_t i = 0;
        double d = 0;
        INFERD_RETURN_IF_ERROR(Number(m, &is_int, &i, &d));
        if (!table_.AppendNumber(index, mark, is_int, i, d)) return TooBig();
        continue;
      }
      if (!generic && !table_.Generalise(index, mark)) return TooBig();
      ++table_.at(index).count;
      if (m == '{' && offer && depth + 2 <= kMaxXgbNesting && ReadObject()) continue;
      INFERD_RETURN_IF_ERROR(Value(m, depth + 1));
    }
    table_.EndNumbers(index, mark);
    table_.Close(index);
    return Status::Ok();
  }

  // The object whose '{' was just read, if reader_ takes it: one kRead entry, p_ past it.
  bool ReadObject() {
    int64_t tag = 0;
    const std::string_view rest = b_.substr(p_ - 1);
    const size_t n = reader_->Read(rest, &tag);
    if (n == 0 || n > rest.size()) return false;
    size_t index;
    if (!table_.Add(Type::kRead, &index)) return false;  // the parser reports the budget
    table_.at(index).integer = tag;
    table_.at(index).string = rest.substr(0, n);
    p_ += n - 1;
    return true;
  }

  std::string_view b_;
  size_t p_ = 0;
  XgbObjectReader* reader_;
  std::string_view reader_key_;
  XgbTableBuilder table_{b_.size()};
};

}  // namespace

const XgbValue* XgbValue::Find(std::string_view key) const {
  for (const XgbMemberRef m : members()) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

namespace {

// Element i of a JSON number array kept as text: decoded from the start (tests and error
// messages only; bulk readers decode in one pass).
template <typename T, typename Decode>
T JsonElementAt(const XgbValue& a, size_t i, Decode decode) {
  T out{};
  size_t k = 0;
  ForEachJsonNumber(a.string, [&](const char* b, const char* e) {
    const char* stop = b;
    const T v = decode(b, e, &stop);
    if (k++ == i) out = v;
    return stop;
  });
  return out;
}

// The number at b (checked when parsed) and where it ends.
int64_t JsonIntToken(const char* b, const char* e, const char** stop) {
  int64_t v = 0;
  *stop = std::from_chars(b, e, v).ptr;
  return v;
}
double JsonRealToken(const char* b, const char* e, const char** stop) {
  double d = 0;
  const std::from_chars_result r = std::from_chars(b, e, d);
  *stop = r.ptr;
  if (r.ec == std::errc::result_out_of_range) d = JsonReal(b, r.ptr);
  return d;
}

// sink(value) for every element of a JSON number array (`text`), in order, as a double (an
// integer array's elements read as int64 first).
template <typename Sink>
void ForEachJsonValue(const XgbValue& a, Sink sink) {
  const bool ints = a.type == Type::kIntArray;
  ForEachJsonNumber(a.string, [&](const char* b, const char* e) {
    const char* stop = b;
    sink(ints ? static_cast<double>(JsonIntToken(b, e, &stop)) : JsonRealToken(b, e, &stop));
    return stop;
  });
}

}  // namespace

int64_t XgbIntAt(const XgbValue& a, size_t i) {
  if (a.text) return JsonElementAt<int64_t>(a, i, JsonIntToken);
  if (a.typed == 0) return a.ints[i];
  const auto* p = reinterpret_cast<const unsigned char*>(a.string.data());
  switch (a.typed) {
    case 'l': return static_cast<int32_t>(BigEndian32(p + 4 * i));
    case 'L': return static_cast<int64_t>(BigEndian(p + 8 * i, 8));
    default: return p[i];  // 'U'
  }
}

double XgbRealAt(const XgbValue& a, size_t i) {
  if (a.text) return JsonElementAt<double>(a, i, JsonRealToken);
  if (a.typed == 0) return a.type == Type::kRealArray ? a.reals[i] : static_cast<double>(a.ints[i]);
  if (a.typed != 'd') return static_cast<double>(XgbIntAt(a, i));
  const uint32_t bits = BigEndian32(reinterpret_cast<const unsigned char*>(a.string.data()) + 4 * i);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

void XgbIntsAsInt64(const XgbValue& a, int64_t* out) {
  if (a.text) {
    ForEachJsonNumber(a.string, [&](const char* b, const char* e) {
      const char* stop;
      *out++ = JsonIntToken(b, e, &stop);
      return stop;
    });
    return;
  }
  for (size_t i = 0; i < a.size(); ++i) out[i] = XgbIntAt(a, i);
}

void XgbNumbersAsDouble(const XgbValue& a, double* out) {
  if (a.text) {
    ForEachJsonValue(a, [&](double d) { *out++ = d; });
    return;
  }
  for (size_t i = 0; i < a.size(); ++i) out[i] = XgbRealAt(a, i);
}

bool XgbIntsAsInt32(const XgbValue& a, int32_t* out, size_t* bad) {
  const size_t n = a.size();
  if (a.typed == 'l') {  // what xgboost writes: a byte swap, nothing to check
    const char* p = a.string.data();
    for (size_t i = 0; i < n; ++i, p += 4) {
      uint32_t be;
      std::memcpy(&be, p, sizeof be);
      out[i] = static_cast<int32_t>(__builtin_bswap32(be));
    }
    return true;
  }
  if (a.text) {
    size_t i = 0;
    bool ok = true;
    ForEachJsonNumber(a.string, [&](const char* b, const char* e) {
      int32_t v = 0;
      const std::from_chars_result r = std::from_chars(b, e, v);
      if (ok && r.ec != std::errc()) {
        ok = false;
        *bad = i;
      }
      out[i++] = v;
      return r.ptr;
    });
    return ok;
  }
  for (size_t i = 0; i < n; ++i) {
    const int64_t v = XgbIntAt(a, i);
    if (v < INT32_MIN || v > INT32_MAX) {
      *bad = i;
      return false;
    }
    out[i] = static_cast<int32_t>(v);
  }
  return true;
}

void XgbNumbersAsFloat(const XgbValue& a, float* out) {
  const size_t n = a.size();
  if (a.typed == 'd') {
    const char* p = a.string.data();
    for (size_t i = 0; i < n; ++i, p += 4) {
      uint32_t be;
      std::memcpy(&be, p, sizeof be);
      const uint32_t bits = __builtin_bswap32(be);
      std::memcpy(out + i, &bits, sizeof bits);
    }
    return;
  }
  if (a.text) {
    ForEachJsonValue(a, [&](double d) { *out++ = XgbToFloat(d); });
    return;
  }
  for (size_t i = 0; i < n; ++i) out[i] = XgbToFloat(XgbRealAt(a, i));
}

float XgbToFloat(double d) {
  if (std::isnan(d)) return static_cast<float>(d);
  if (d > FLT_MAX) return HUGE_VALF;
  if (d < -FLT_MAX) return -HUGE_VALF;
  return static_cast<float>(d);
}

const char* XgbTypeName(const XgbValue& v) {
  switch (v.type) {
    case Type::kNull: return "null";
    case Type::kBool: return "a boolean";
    case Type::kInt: return "an integer";
    case Type::kReal: return "a number";
    case Type::kString: return "a string";
    case Type::kObject: return "an object";
    case Type::kArray:
    case Type::kIntArray:
    case Type::kRealArray: return "an array";
    case Type::kKey: return "a key";
    case Type::kRead: return "an object";
  }
  return "a value";
}

StatusOr<XgbParsed> ParseXgbJson(std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("malformed JSON: empty document");
  return JsonParser(bytes).Run();
}

StatusOr<XgbParsed> ParseXgbUbjson(std::string_view bytes, XgbObjectReader* reader) {
  return UbjsonParser(bytes, reader).Run();
}

}  // namespace inferd::sklearn
