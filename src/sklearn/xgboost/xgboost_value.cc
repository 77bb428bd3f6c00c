#include "sklearn/xgboost/xgboost_value.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace inferd::sklearn {
namespace {

namespace dom = simdjson::dom;

using Type = XgbValue::Type;

// Memory the value tree may take: a fixed allowance plus a multiple of the input, charged
// per value and per array element as they are made. A number takes at most 8 bytes per input
// byte (a UBJSON one-byte flag becomes an int64), and real documents hold few other values; an
// input made of empty values (a UBJSON array of 'Z', one byte each, or JSON "[[],[],...]")
// would otherwise cost a whole XgbValue per byte or two.
constexpr size_t kBaseBudget = size_t{64} << 20;
constexpr size_t kBudgetPerInputByte = 16;

class Budget {
 public:
  explicit Budget(size_t input_bytes) : left_(kBaseBudget + kBudgetPerInputByte * input_bytes) {}
  // False once the tree would pass its allowance.
  bool Charge(size_t bytes) {
    if (bytes > left_) return false;
    left_ -= bytes;
    return true;
  }

 private:
  size_t left_;
};

constexpr size_t kValueCost = sizeof(XgbValue) + sizeof(std::string);

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

// The first key that occurs twice in `members`, or nullptr.
const std::string* RepeatedKey(const std::vector<XgbMember>& members) {
  const size_t n = members.size();
  if (n < 2) return nullptr;
  if (n <= 16) {
    for (size_t i = 1; i < n; ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (members[i].key == members[j].key) return &members[i].key;
      }
    }
    return nullptr;
  }
  std::vector<const std::string*> keys;
  keys.reserve(n);
  for (const auto& m : members) keys.push_back(&m.key);
  std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  for (size_t i = 1; i < n; ++i) {
    if (*keys[i] == *keys[i - 1]) return keys[i];
  }
  return nullptr;
}

// Turns a compact number array into a generic one (an element that is not a number came).
void Generalise(XgbValue* a) {
  std::vector<XgbValue> items;
  if (a->type == Type::kIntArray) {
    items.resize(a->ints.size());
    for (size_t i = 0; i < a->ints.size(); ++i) {
      items[i].type = Type::kInt;
      items[i].integer = a->ints[i];
    }
  } else {
    items.resize(a->reals.size());
    for (size_t i = 0; i < a->reals.size(); ++i) {
      items[i].type = Type::kReal;
      items[i].real = a->reals[i];
    }
  }
  a->ints = {};
  a->reals = {};
  a->items = std::move(items);
  a->type = Type::kArray;
}

// Appends one number to a compact array (kIntArray or kRealArray).
void AppendNumber(XgbValue* a, bool is_int, int64_t i, double d) {
  if (is_int) {
    if (a->type == Type::kIntArray) {
      a->ints.push_back(i);
    } else {
      a->reals.push_back(static_cast<double>(i));
    }
    return;
  }
  if (a->type == Type::kIntArray) {
    a->reals.reserve(a->ints.size() + 1);
    for (int64_t v : a->ints) a->reals.push_back(static_cast<double>(v));
    a->ints = {};
    a->type = Type::kRealArray;
  }
  a->reals.push_back(d);
}

// ---- JSON (simdjson DOM) ----

// xgboost writes NaN and infinities as the bare words NaN, Infinity and -Infinity (a
// categorical split's threshold is NaN), which JSON has no syntax for. Outside strings they
// are rewritten as strings of these markers (a NUL first, which no xgboost key or value has)
// before simdjson parses the text, and the converter turns the markers back into numbers.
constexpr std::string_view kNaNMarker = "\\u0000NaN";
constexpr std::string_view kInfMarker = "\\u0000Infinity";
constexpr std::string_view kNegInfMarker = "\\u0000-Infinity";

// `json` with every bare NaN / -NaN / Infinity / -Infinity replaced by a quoted marker;
// std::nullopt if there is none (the common case: no copy).
std::optional<std::string> QuoteNonFiniteWords(std::string_view json) {
  std::optional<std::string> out;
  size_t copied = 0;  // json[0, copied) is in *out
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != 'N' && c != 'I' && c != '-') continue;
    const std::string_view rest = json.substr(i);
    std::string_view word;
    std::string_view marker;
    for (const auto& [w, m] :
         {std::pair{std::string_view("NaN"), kNaNMarker}, std::pair{std::string_view("-NaN"), kNaNMarker},
          std::pair{std::string_view("Infinity"), kInfMarker},
          std::pair{std::string_view("-Infinity"), kNegInfMarker}}) {
      if (rest.substr(0, w.size()) == w) {
        word = w;
        marker = m;
        break;
      }
    }
    if (word.empty()) continue;
    if (!out) out.emplace().reserve(json.size() + 64);
    out->append(json.substr(copied, i - copied));
    out->push_back('"');
    out->append(marker);
    out->push_back('"');
    i += word.size() - 1;
    copied = i + 1;
  }
  if (out) out->append(json.substr(copied));
  return out;
}

// The number a marker string stands for.
bool MarkerNumber(std::string_view s, double* d) {
  if (s.empty() || s[0] != '\0') return false;
  if (s.substr(1) == "NaN") {
    *d = std::numeric_limits<double>::quiet_NaN();
  } else if (s.substr(1) == "Infinity") {
    *d = std::numeric_limits<double>::infinity();
  } else if (s.substr(1) == "-Infinity") {
    *d = -std::numeric_limits<double>::infinity();
  } else {
    return false;
  }
  return true;
}

class JsonConverter {
 public:
  explicit JsonConverter(size_t input_bytes) : budget_(input_bytes) {}

  Status Convert(dom::element e, size_t depth, XgbValue* out) {
    if (depth > kMaxXgbNesting) return Malformed("nested deeper than " + std::to_string(kMaxXgbNesting) + " levels");
    if (!budget_.Charge(kValueCost)) return TooBig();
    switch (e.type()) {
      case dom::element_type::ARRAY: {
        dom::array a;
        if (e.get_array().get(a) != simdjson::SUCCESS) return Malformed("bad array");
        return ConvertArray(a, depth, out);
      }
      case dom::element_type::OBJECT: {
        dom::object o;
        if (e.get_object().get(o) != simdjson::SUCCESS) return Malformed("bad object");
        out->type = Type::kObject;
        for (dom::key_value_pair kv : o) {
          if (!budget_.Charge(kValueCost + kv.key.size())) return TooBig();
          out->members.push_back(XgbMember{std::string(kv.key), XgbValue()});
          INFERD_RETURN_IF_ERROR(Convert(kv.value, depth + 1, &out->members.back().value));
        }
        if (const std::string* k = RepeatedKey(out->members)) return Malformed("duplicate key " + Quoted(*k));
        return Status::Ok();
      }
      case dom::element_type::INT64:
        out->type = Type::kInt;
        return e.get_int64().get(out->integer) == simdjson::SUCCESS ? Status::Ok() : Malformed("bad integer");
      case dom::element_type::UINT64: return Malformed("integer out of range");
      case dom::element_type::DOUBLE:
        out->type = Type::kReal;
        return e.get_double().get(out->real) == simdjson::SUCCESS ? Status::Ok() : Malformed("bad number");
      case dom::element_type::STRING: {
        std::string_view s;
        if (e.get_string().get(s) != simdjson::SUCCESS) return Malformed("bad string");
        if (MarkerNumber(s, &out->real)) {
          out->type = Type::kReal;
          return Status::Ok();
        }
        if (!budget_.Charge(s.size())) return TooBig();
        out->type = Type::kString;
        out->string.assign(s);
        return Status::Ok();
      }
      case dom::element_type::BOOL:
        out->type = Type::kBool;
        return e.get_bool().get(out->boolean) == simdjson::SUCCESS ? Status::Ok() : Malformed("bad boolean");
      case dom::element_type::NULL_VALUE: out->type = Type::kNull; return Status::Ok();
    }
    return Malformed("unknown value");
  }

 private:
  Status ConvertArray(dom::array a, size_t depth, XgbValue* out) {
    out->type = Type::kIntArray;
    for (dom::element e : a) {
      if (out->type != Type::kArray) {
        const dom::element_type t = e.type();
        std::string_view text;
        double marked = 0;
        if (t == dom::element_type::STRING && e.get_string().get(text) == simdjson::SUCCESS &&
            MarkerNumber(text, &marked)) {
          if (!budget_.Charge(sizeof(int64_t))) return TooBig();
          AppendNumber(out, false, 0, marked);
          continue;
        }
        if (t == dom::element_type::INT64 || t == dom::element_type::DOUBLE) {
          if (!budget_.Charge(sizeof(int64_t))) return TooBig();
          int64_t i = 0;
          double d = 0;
          if (t == dom::element_type::INT64 ? e.get_int64().get(i) != simdjson::SUCCESS
                                            : e.get_double().get(d) != simdjson::SUCCESS) {
            return Malformed("bad number");
          }
          AppendNumber(out, t == dom::element_type::INT64, i, d);
          continue;
        }
        if (t == dom::element_type::UINT64) return Malformed("integer out of range");
        if (!budget_.Charge(kValueCost * out->size())) return TooBig();
        Generalise(out);
      }
      out->items.emplace_back();
      INFERD_RETURN_IF_ERROR(Convert(e, depth + 1, &out->items.back()));
    }
    return Status::Ok();
  }

  static Status Malformed(const std::string& what) { return Status::InvalidArgument("malformed JSON: " + what); }
  static Status TooBig() { return Status::ResourceExhausted("JSON document holds too many values for its size"); }

  Budget budget_;
};

// ---- UBJSON ----

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

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// The `n` elements of a typed array with marker t (d, l, L or U) at p, which holds at least
// n * NumberSize(t) bytes, into `out`'s compact numbers.
void DecodeTyped(char t, size_t n, const unsigned char* p, XgbValue* out) {
  out->typed = t;
  switch (t) {
    case 'd':
      out->type = Type::kRealArray;
      out->reals.resize(n);
      for (size_t k = 0; k < n; ++k, p += 4) {
        const uint32_t bits = BigEndian32(p);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        out->reals[k] = f;
      }
      return;
    case 'l':
      out->ints.resize(n);
      for (size_t k = 0; k < n; ++k, p += 4) out->ints[k] = static_cast<int32_t>(BigEndian32(p));
      return;
    case 'L':
      out->ints.resize(n);
      for (size_t k = 0; k < n; ++k, p += 8) out->ints[k] = static_cast<int64_t>(BigEndian(p, 8));
      return;
    default:  // 'U'
      out->ints.assign(p, p + n);
      return;
  }
}

class UbjsonParser {
 public:
  explicit UbjsonParser(std::string_view bytes) : b_(bytes), budget_(bytes.size()) {}

  StatusOr<XgbValue> Run() {
    XgbValue v;
    char m = 0;
    INFERD_RETURN_IF_ERROR(Next(&m));
    INFERD_RETURN_IF_ERROR(Value(m, 1, &v));
    if (p_ != b_.size()) return Error(p_, std::to_string(b_.size() - p_) + " bytes after the document");
    return v;
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
    const uint64_t raw = BigEndian(p, n);
    p_ += n;
    *is_int = IsIntMarker(m);
    switch (m) {
      case 'i': *i = static_cast<int8_t>(raw); break;
      case 'U': *i = static_cast<uint8_t>(raw); break;
      case 'I': *i = static_cast<int16_t>(raw); break;
      case 'l': *i = static_cast<int32_t>(raw); break;
      case 'L': *i = static_cast<int64_t>(raw); break;
      case 'd': {
        const auto bits = static_cast<uint32_t>(raw);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        *d = f;
        break;
      }
      case 'D': std::memcpy(d, &raw, sizeof *d); break;
      default: return Error(p_ - n - 1, "not a number marker");
    }
    return Status::Ok();
  }

  // A count or length: an integer marker and its value, which must be >= 0.
  Status Length(const char* what, int64_t* n) {
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
  Status Chars(const char* what, std::string* out) {
    const size_t at = p_;
    int64_t n;
    INFERD_RETURN_IF_ERROR(Length(what, &n));
    if (static_cast<uint64_t>(n) > Remaining()) {
      return Error(at, std::string(what) + " " + std::to_string(n) + " is longer than the " +
                           std::to_string(Remaining()) + " bytes left");
    }
    if (!budget_.Charge(static_cast<size_t>(n))) return TooBig();
    out->assign(b_.data() + p_, static_cast<size_t>(n));
    p_ += static_cast<size_t>(n);
    return Status::Ok();
  }

  static std::string Marker(char m) {
    const auto u = static_cast<unsigned char>(m);
    if (u >= 0x21 && u < 0x7f) return std::string("'") + m + "'";
    return "0x" + std::string(1, "0123456789abcdef"[u >> 4]) + "0123456789abcdef"[u & 15];
  }

  // The value whose marker `m` was just read (at p_ - 1).
  Status Value(char m, size_t depth, XgbValue* out) {
    const size_t at = p_ - 1;
    out->begin = at;
    if (!budget_.Charge(kValueCost)) return TooBig();
    switch (m) {
      case '{': INFERD_RETURN_IF_ERROR(Object(depth, out)); break;
      case '[': INFERD_RETURN_IF_ERROR(Array(depth, out)); break;
      case 'S':
        out->type = Type::kString;
        INFERD_RETURN_IF_ERROR(Chars("string length", &out->string));
        break;
      case 'T':
      case 'F':
        out->type = Type::kBool;
        out->boolean = m == 'T';
        break;
      case 'Z': out->type = Type::kNull; break;
      default: {
        if (NumberSize(m) == 0) return Error(at, "unsupported marker " + Marker(m));
        bool is_int;
        INFERD_RETURN_IF_ERROR(Number(m, &is_int, &out->integer, &out->real));
        out->type = is_int ? Type::kInt : Type::kReal;
      }
    }
    out->end = p_;
    return Status::Ok();
  }

  Status Object(size_t depth, XgbValue* out) {
    if (depth > kMaxXgbNesting)
      return Error(p_ - 1, "nested deeper than " + std::to_string(kMaxXgbNesting) + " levels");
    if (Peek() == '$' || Peek() == '#') return Error(p_, "typed or counted objects are not supported");
    out->type = Type::kObject;
    while (true) {
      if (p_ >= b_.size()) return Error(p_, "unexpected end of data in an object");
      if (b_[p_] == '}') {
        ++p_;
        break;
      }
      std::string key;
      INFERD_RETURN_IF_ERROR(Chars("key length", &key));
      if (!budget_.Charge(kValueCost)) return TooBig();
      out->members.push_back(XgbMember{std::move(key), XgbValue()});
      char m = 0;
      INFERD_RETURN_IF_ERROR(Next(&m));
      INFERD_RETURN_IF_ERROR(Value(m, depth + 1, &out->members.back().value));
    }
    if (const std::string* k = RepeatedKey(out->members)) {
      return Error(out->begin, "duplicate key " + Quoted(*k) + " in an object");
    }
    return Status::Ok();
  }

  Status Array(size_t depth, XgbValue* out) {
    if (depth > kMaxXgbNesting)
      return Error(p_ - 1, "nested deeper than " + std::to_string(kMaxXgbNesting) + " levels");
    out->type = Type::kIntArray;
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
      INFERD_RETURN_IF_ERROR(Length("array count", &n));
      if (static_cast<uint64_t>(n) > Remaining() / size) {
        return Error(count_at, "array count " + std::to_string(n) + " needs more than the " +
                                   std::to_string(Remaining()) + " bytes left");
      }
      if (!budget_.Charge(static_cast<size_t>(n) * sizeof(int64_t))) return TooBig();
      DecodeTyped(t, static_cast<size_t>(n), reinterpret_cast<const unsigned char*>(b_.data() + p_), out);
      p_ += static_cast<size_t>(n) * size;
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
    for (int64_t k = 0; count < 0 || k < count; ++k) {
      char m = 0;
      INFERD_RETURN_IF_ERROR(Next(&m));
      if (count < 0 && m == ']') break;
      const size_t n = NumberSize(m);
      if (out->type != Type::kArray && n != 0) {
        if (!budget_.Charge(sizeof(int64_t))) return TooBig();
        bool is_int;
        int64_t i = 0;
        double d = 0;
        INFERD_RETURN_IF_ERROR(Number(m, &is_int, &i, &d));
        AppendNumber(out, is_int, i, d);
        continue;
      }
      if (out->type != Type::kArray) {
        if (!budget_.Charge(kValueCost * out->size())) return TooBig();
        Generalise(out);
      }
      out->items.emplace_back();
      INFERD_RETURN_IF_ERROR(Value(m, depth + 1, &out->items.back()));
    }
    return Status::Ok();
  }

  std::string_view b_;
  size_t p_ = 0;
  Budget budget_;
};

}  // namespace

const XgbValue* XgbValue::Find(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (const auto& m : members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

size_t XgbValue::size() const {
  switch (type) {
    case Type::kArray: return items.size();
    case Type::kIntArray: return ints.size();
    case Type::kRealArray: return reals.size();
    default: return 0;
  }
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
  }
  return "a value";
}

StatusOr<XgbValue> ParseXgbJson(std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("malformed JSON: empty document");
  const std::optional<std::string> quoted = QuoteNonFiniteWords(bytes);
  const std::string_view text = quoted ? std::string_view(*quoted) : bytes;
  dom::parser parser;
  if (parser.allocate(text.size(), kMaxXgbNesting) != simdjson::SUCCESS) {
    return Status::ResourceExhausted("JSON document too large to parse");
  }
  dom::element root;
  const simdjson::error_code e = parser.parse(text.data(), text.size()).get(root);
  if (e != simdjson::SUCCESS) {
    if (e == simdjson::DEPTH_ERROR) {
      return Status::InvalidArgument("malformed JSON: nested deeper than " + std::to_string(kMaxXgbNesting) +
                                     " levels");
    }
    return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
  }
  XgbValue v;
  JsonConverter c(bytes.size());
  INFERD_RETURN_IF_ERROR(c.Convert(root, 1, &v));
  return v;
}

StatusOr<XgbValue> ParseXgbUbjson(std::string_view bytes) { return UbjsonParser(bytes).Run(); }

}  // namespace inferd::sklearn
