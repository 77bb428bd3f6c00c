#include "sklearn/xgboost/xgboost_value.h"

#include <simdjson.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace inferd::sklearn {
namespace {

namespace od = simdjson::ondemand;

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

  // Room for `n` numbers in each side table at once: growing them copies every number and
  // touches fresh pages each time. Pages reserved and never written cost no memory.
  void ReserveNumbers(size_t n) {
    out_.ints_.reserve(n);
    out_.reals_.reserve(n);
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
      if (v.typed != 0) continue;
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

// ---- JSON (simdjson On-Demand) ----

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
  // Most models have no non-finite number: two substring searches (memchr-based) skip the scan.
  if (json.find("NaN") == std::string_view::npos && json.find("Infinity") == std::string_view::npos) return out;
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

// Converts a document as simdjson's On-Demand front end walks it: the numbers go straight from
// the text into the table (no intermediate tape), and every value is visited, so a malformed one
// anywhere is reported.
class JsonConverter {
 public:
  // A JSON number takes two bytes of text at least (a digit and a separator).
  explicit JsonConverter(size_t input_bytes) : table_(input_bytes) { table_.ReserveNumbers(input_bytes / 2 + 1); }

  // `V` is od::value, or od::document for the root.
  template <typename V>
  Status Convert(V& v, size_t depth) {
    if (depth > kMaxXgbNesting) return Malformed("nested deeper than " + std::to_string(kMaxXgbNesting) + " levels");
    od::json_type t;
    if (const auto e = v.type().get(t)) return Malformed(e);
    switch (t) {
      case od::json_type::array: {
        od::array a;
        if (const auto e = v.get_array().get(a)) return Malformed(e);
        return ConvertArray(a, depth);
      }
      case od::json_type::object: {
        od::object o;
        if (const auto e = v.get_object().get(o)) return Malformed(e);
        size_t index;
        if (!table_.Add(Type::kObject, &index)) return TooBig();
        for (auto field : o) {
          std::string_view k;
          if (const auto e = field.unescaped_key().get(k)) return Malformed(e);
          size_t key;
          if (!table_.Add(Type::kKey, &key)) return TooBig();
          table_.at(key).string = k;
          od::value member;
          if (const auto e = field.value().get(member)) return Malformed(e);
          INFERD_RETURN_IF_ERROR(Convert(member, depth + 1));
          ++table_.at(index).count;
        }
        table_.Close(index);
        if (auto k = table_.RepeatedMemberKey(index, depth)) return Malformed("duplicate key " + Quoted(*k));
        return Status::Ok();
      }
      case od::json_type::number: {
        bool is_int = false;
        int64_t i = 0;
        double d = 0;
        INFERD_RETURN_IF_ERROR(Number(v, &is_int, &i, &d));
        size_t index;
        if (!table_.Add(is_int ? Type::kInt : Type::kReal, &index)) return TooBig();
        if (is_int) {
          table_.at(index).integer = i;
        } else {
          table_.at(index).real = d;
        }
        return Status::Ok();
      }
      case od::json_type::string: {
        std::string_view s;
        if (const auto e = v.get_string().get(s)) return Malformed(e);
        return AddString(s);
      }
      case od::json_type::boolean: {
        bool b = false;
        if (const auto e = v.get_bool().get(b)) return Malformed(e);
        size_t index;
        if (!table_.Add(Type::kBool, &index)) return TooBig();
        table_.at(index).boolean = b;
        return Status::Ok();
      }
      case od::json_type::null: {
        bool null = false;
        if (const auto e = v.is_null().get(null)) return Malformed(e);
        if (!null) return Malformed("bad literal");
        size_t index;
        return table_.Add(Type::kNull, &index) ? Status::Ok() : TooBig();
      }
    }
    return Malformed("unknown value");
  }

  XgbParsed Finish() { return table_.Finish(true); }

 private:
  template <typename V>
  static Status Number(V& v, bool* is_int, int64_t* i, double* d) {
    od::number n;
    if (const auto e = v.get_number().get(n)) return Malformed(e);
    switch (n.get_number_type()) {
      case od::number_type::signed_integer:
        *is_int = true;
        *i = n.get_int64();
        return Status::Ok();
      case od::number_type::floating_point_number:
        *is_int = false;
        *d = n.get_double();
        return Status::Ok();
      default: return Malformed("integer out of range");
    }
  }

  // A string value; a marker (see QuoteNonFiniteWords) is the number it stands for.
  Status AddString(std::string_view s) {
    double marked = 0;
    const bool number = MarkerNumber(s, &marked);
    size_t index;
    if (!table_.Add(number ? Type::kReal : Type::kString, &index)) return TooBig();
    if (number) {
      table_.at(index).real = marked;
    } else {
      table_.at(index).string = s;
    }
    return Status::Ok();
  }

  Status ConvertArray(od::array& a, size_t depth) {
    size_t index;
    if (!table_.Add(Type::kIntArray, &index)) return TooBig();
    const XgbTableBuilder::NumberMark mark = table_.StartNumbers();
    for (auto element : a) {
      od::value e;
      if (const auto err = element.get(e)) return Malformed(err);
      if (table_.at(index).type != Type::kArray) {
        od::json_type t;
        if (const auto err = e.type().get(t)) return Malformed(err);
        if (t == od::json_type::number) {
          bool is_int = false;
          int64_t i = 0;
          double d = 0;
          INFERD_RETURN_IF_ERROR(Number(e, &is_int, &i, &d));
          if (!table_.AppendNumber(index, mark, is_int, i, d)) return TooBig();
          continue;
        }
        if (t == od::json_type::string) {
          std::string_view s;
          if (const auto err = e.get_string().get(s)) return Malformed(err);
          double marked = 0;
          if (MarkerNumber(s, &marked)) {
            if (!table_.AppendNumber(index, mark, false, 0, marked)) return TooBig();
            continue;
          }
          if (!table_.Generalise(index, mark)) return TooBig();
          INFERD_RETURN_IF_ERROR(AddString(s));
          ++table_.at(index).count;
          continue;
        }
        if (!table_.Generalise(index, mark)) return TooBig();
      }
      INFERD_RETURN_IF_ERROR(Convert(e, depth + 1));
      ++table_.at(index).count;
    }
    table_.EndNumbers(index, mark);
    table_.Close(index);
    return Status::Ok();
  }

  static Status Malformed(const std::string& what) { return Status::InvalidArgument("malformed JSON: " + what); }
  static Status Malformed(simdjson::error_code e) {
    if (e == simdjson::DEPTH_ERROR)
      return Malformed("nested deeper than " + std::to_string(kMaxXgbNesting) + " levels");
    return Malformed(simdjson::error_message(e));
  }
  static Status TooBig() { return Status::ResourceExhausted("JSON document holds too many values for its size"); }

  XgbTableBuilder table_;
};

// ---- UBJSON ----

class UbjsonParser {
 public:
  explicit UbjsonParser(std::string_view bytes) : b_(bytes), table_(bytes.size()) {}

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
  Status Chars(const char* what, std::string_view* out) {
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

  // The value whose marker `m` was just read (at p_ - 1).
  Status Value(char m, size_t depth) {
    const size_t at = p_ - 1;
    switch (m) {
      case '{': return Object(depth, at);
      case '[': return Array(depth);
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
    while (true) {
      if (p_ >= b_.size()) return Error(p_, "unexpected end of data in an object");
      if (b_[p_] == '}') {
        ++p_;
        break;
      }
      std::string_view key;
      INFERD_RETURN_IF_ERROR(Chars("key length", &key));
      size_t k;
      if (!table_.Add(Type::kKey, &k)) return TooBig();
      table_.at(k).string = key;
      char m = 0;
      INFERD_RETURN_IF_ERROR(Next(&m));
      INFERD_RETURN_IF_ERROR(Value(m, depth + 1));
      ++table_.at(index).count;
    }
    table_.Close(index);
    if (auto k = table_.RepeatedMemberKey(index, depth)) {
      return Error(at, "duplicate key " + Quoted(*k) + " in an object");
    }
    return Status::Ok();
  }

  Status Array(size_t depth) {
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
      INFERD_RETURN_IF_ERROR(Length("array count", &n));
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
      INFERD_RETURN_IF_ERROR(Value(m, depth + 1));
      ++table_.at(index).count;
    }
    table_.EndNumbers(index, mark);
    table_.Close(index);
    return Status::Ok();
  }

  std::string_view b_;
  size_t p_ = 0;
  XgbTableBuilder table_;
};

}  // namespace

const XgbValue* XgbValue::Find(std::string_view key) const {
  for (const XgbMemberRef m : members()) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

int64_t XgbIntAt(const XgbValue& a, size_t i) {
  if (a.typed == 0) return a.ints[i];
  const auto* p = reinterpret_cast<const unsigned char*>(a.string.data());
  switch (a.typed) {
    case 'l': return static_cast<int32_t>(BigEndian32(p + 4 * i));
    case 'L': return static_cast<int64_t>(BigEndian(p + 8 * i, 8));
    default: return p[i];  // 'U'
  }
}

double XgbRealAt(const XgbValue& a, size_t i) {
  if (a.typed == 0) return a.type == Type::kRealArray ? a.reals[i] : static_cast<double>(a.ints[i]);
  if (a.typed != 'd') return static_cast<double>(XgbIntAt(a, i));
  const uint32_t bits = BigEndian32(reinterpret_cast<const unsigned char*>(a.string.data()) + 4 * i);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
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
  }
  return "a value";
}

StatusOr<XgbParsed> ParseXgbJson(std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("malformed JSON: empty document");
  const std::optional<std::string> quoted = QuoteNonFiniteWords(bytes);
  // simdjson reads up to SIMDJSON_PADDING bytes past the end.
  const simdjson::padded_string text(quoted ? std::string_view(*quoted) : bytes);
  od::parser parser;
  if (parser.allocate(text.size(), kMaxXgbNesting + 1) != simdjson::SUCCESS) {
    return Status::ResourceExhausted("JSON document too large to parse");
  }
  od::document doc;
  if (const simdjson::error_code e = parser.iterate(text).get(doc)) {
    return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
  }
  JsonConverter c(bytes.size());
  INFERD_RETURN_IF_ERROR(c.Convert(doc, 1));
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
    return Status::InvalidArgument("malformed JSON: content after the document");
  }
  return c.Finish();
}

StatusOr<XgbParsed> ParseXgbUbjson(std::string_view bytes) { return UbjsonParser(bytes).Run(); }

}  // namespace inferd::sklearn
