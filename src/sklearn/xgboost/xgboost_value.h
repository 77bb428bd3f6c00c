// A bounded reader for the two encodings of XGBoost's model documents, JSON and UBJSON (the
// subset xgboost writes), both read in one pass by hand: a model's per-node arrays are nearly all
// of its bytes, and both readers keep them as views of the input, decoded once straight into
// the caller's arrays (a general JSON parser would index or copy every number first; see
// docs/benchmarks.md). simdjson checks the JSON text's UTF-8.
// Both give the same flat value table, XgbParsed, that the schema reader
// (xgboost_document.h) walks; neither knows anything about models.
//
// Layout: the values sit in one array in document order. An object is followed by its
// members, each a key entry (kKey) and then the member's value; an array holding anything but
// only numbers is followed by its items. A value and everything inside it take `span`
// consecutive entries, so members and items are reached by skipping, without pointers.
// Arrays of numbers are compact: an untyped UBJSON one keeps one int64 or double per element in
// side tables; a typed UBJSON one ([$T#N, xgboost's per-node arrays) and a JSON one are views of
// their bytes in the input, decoded only by the Xgb*As* functions below, once, into the caller's
// own arrays. Strings are views too (of the input for UBJSON, of the result's own copy for JSON).
//
// Bounds: nesting is limited to kMaxXgbNesting levels; every count and length in a UBJSON
// stream is checked against the bytes that remain before anything is allocated, and the table
// is charged against a budget proportional to the input, so memory stays proportional to it;
// a key repeated in one object is refused (xgboost's two readers disagree on which copy wins,
// so a validated value could otherwise be replaced by an unvalidated one).
//
// Thread safety: the parse functions are reentrant; an XgbParsed is immutable once returned.
#ifndef INFERD_SKLEARN_XGBOOST_XGBOOST_VALUE_H_
#define INFERD_SKLEARN_XGBOOST_XGBOOST_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/status.h"

namespace inferd::sklearn {

// Deepest nesting accepted (xgboost's documents nest 8 levels; its own readers recurse
// without a limit, so a deeper document is refused before they see it).
inline constexpr size_t kMaxXgbNesting = 32;

// Largest table buffer kept for the next parse (see XgbParsed).
inline constexpr size_t kXgbTableCacheBytes = size_t{2} << 20;

struct XgbMemberRef;

// One entry of the table. REQUIRES for every method: the value is inside an XgbParsed (the
// entries after it are its contents).
struct XgbValue {
  enum class Type : uint8_t {
    kNull,
    kBool,
    kInt,        // `integer`
    kReal,       // `real` (a JSON number with a fraction or exponent, UBJSON d/D)
    kString,     // `string`
    kArray,      // `count` items follow: an array holding anything but only numbers
    kObject,     // `count` members follow, in file order, keys unique
    kIntArray,   // `count` integers (also every empty array)
    kRealArray,  // `count` numbers, at least one of them not an integer
    kKey,        // a member's key (`string`), followed by its value
    kRead,       // an object an XgbObjectReader read (`integer`: its tag; `string`: its bytes)
  };
  Type type = Type::kNull;
  // The element marker of a UBJSON typed array ([$T#N): d, l, L or U; 0 for any other value.
  // A typed array's elements stay in the input: `string` holds them (count big-endian elements).
  char typed = 0;
  // A JSON array of numbers kept as its text (`string`: what is between the brackets, checked
  // when parsed), decoded only by the Xgb*As* functions below, once, into the caller's arrays.
  bool text = false;
  bool boolean = false;
  // Table entries taken by this value and its contents (the parsers' memory budget keeps a
  // table far below 2^32 entries).
  uint32_t span = 1;
  uint64_t count = 0;  // members of an object, elements of an array
  union {              // the one that `type` says
    int64_t integer = 0;
    double real;
    const int64_t* ints;  // untyped kIntArray: its elements
    const double* reals;  // untyped kRealArray: its elements
  };
  std::string_view string;  // kString / kKey text; a typed array's bytes

  // The member named `key`, or nullptr (also when this is not an object).
  const XgbValue* Find(std::string_view key) const;
  bool is_array() const { return type == Type::kArray || type == Type::kIntArray || type == Type::kRealArray; }
  bool is_number() const { return type == Type::kInt || type == Type::kReal; }
  // Number of elements of an array (0 for other types).
  size_t size() const { return is_array() ? static_cast<size_t>(count) : 0; }

  // Iteration over a kArray's items / a kObject's members, in file order.
  class ItemIterator {
   public:
    explicit ItemIterator(const XgbValue* v) : v_(v) {}
    const XgbValue& operator*() const { return *v_; }
    ItemIterator& operator++() {
      v_ += v_->span;
      return *this;
    }
    bool operator!=(const ItemIterator& o) const { return v_ != o.v_; }

   private:
    const XgbValue* v_;
  };
  class MemberIterator {
   public:
    explicit MemberIterator(const XgbValue* key) : key_(key) {}
    XgbMemberRef operator*() const;
    MemberIterator& operator++() {
      key_ += 1 + key_[1].span;
      return *this;
    }
    bool operator!=(const MemberIterator& o) const { return key_ != o.key_; }

   private:
    const XgbValue* key_;
  };
  template <typename It>
  struct Range {
    It b, e;
    It begin() const { return b; }
    It end() const { return e; }
  };
  // Empty unless type is kArray (number arrays have no item entries).
  Range<ItemIterator> items() const {
    const XgbValue* first = this + 1;
    return {ItemIterator(first), ItemIterator(type == Type::kArray ? this + span : first)};
  }
  // Empty unless type is kObject.
  Range<MemberIterator> members() const {
    const XgbValue* first = this + 1;
    return {MemberIterator(first), MemberIterator(type == Type::kObject ? this + span : first)};
  }
};

struct XgbMemberRef {
  std::string_view key;
  const XgbValue& value;
};

inline XgbMemberRef XgbValue::MemberIterator::operator*() const { return {key_->string, key_[1]}; }

// A parsed document: the value table and what its views point into (besides the input of
// ParseXgbUbjson, which the caller keeps). Movable; moving keeps every pointer valid.
//
// Process-wide state: the tables' buffers, once a document is done with them, are kept for the
// next parse (one of each kind, at most kXgbTableCacheBytes each, until the process exits), so
// that a reload reuses the memory the previous load faulted in; every access holds a mutex.
class XgbParsed {
 public:
  XgbParsed() = default;
  XgbParsed(XgbParsed&&) = default;
  XgbParsed& operator=(XgbParsed&&) = default;
  ~XgbParsed();

  const XgbValue& root() const { return values_.front(); }

 private:
  friend class XgbTableBuilder;
  std::vector<XgbValue> values_;
  std::vector<int64_t> ints_;
  std::vector<double> reals_;
  // JSON: the strings' text (a UBJSON document's strings are views of its input). Always on
  // the heap (see Finish), so that moving the result keeps the views valid.
  std::string text_;
};

// Element i of an array of numbers (kIntArray or kRealArray, typed or not), i < size(). For a
// JSON array (`text`) this decodes the elements before it: the bulk readers below are one pass.
int64_t XgbIntAt(const XgbValue& array, size_t i);  // REQUIRES: kIntArray
double XgbRealAt(const XgbValue& array, size_t i);

// All elements of an array of integers (kIntArray) into out[0, size()).
void XgbIntsAsInt64(const XgbValue& array, int64_t* out);
// All elements of an array of numbers (kIntArray or kRealArray) into out[0, size()).
void XgbNumbersAsDouble(const XgbValue& array, double* out);
// All elements of an array of integers (kIntArray, typed or not) into out[0, size()) as int32.
// False if one is outside int32 (its index in *bad; `out` is then partly written).
bool XgbIntsAsInt32(const XgbValue& array, int32_t* out, size_t* bad);
// All elements of an array of numbers (kIntArray or kRealArray) into out[0, size()) as float32;
// values beyond float32's range become infinite.
void XgbNumbersAsFloat(const XgbValue& array, float* out);

// float32 as xgboost stores a number; values beyond float32's range become infinite (a plain
// conversion of those is undefined behaviour).
float XgbToFloat(double d);

// "an integer", "a string", ... for error messages.
const char* XgbTypeName(const XgbValue& v);

// A caller's reader for the objects of a UBJSON document it knows best, offered each object
// that is an item of an array under the key array_key() (where nesting leaves room for two more
// levels), at its '{'. It either reads and checks the whole object, or declines it: it never
// reports an error, since a declined object is parsed like any other and errors come from there.
// So a reader may take only objects whose every value it can vouch for as the parser and the
// caller's schema reader would.
class XgbObjectReader {
 public:
  virtual ~XgbObjectReader() = default;
  virtual std::string_view array_key() const = 0;
  // `rest`: the input from the object's '{' to its end. Returns the object's length in bytes
  // (> 0, at most rest.size()) with *tag set, or 0 to decline.
  virtual size_t Read(std::string_view rest, int64_t* tag) = 0;
};

// Parses a complete JSON document (RFC 8259, UTF-8); the bare words NaN, -NaN, Infinity and
// -Infinity that xgboost writes for non-finite numbers are read as those numbers. Errors: one
// line, "malformed JSON at byte N: ...". The result's number arrays point into `bytes`.
StatusOr<XgbParsed> ParseXgbJson(std::string_view bytes);
// Parses a complete UBJSON document (objects, arrays counted or not, typed numeric arrays
// `[$T#N`, markers i U I l L d D S T F Z; trailing bytes are refused). Errors: one line,
// "malformed UBJSON at byte N: ...". The result's strings and typed arrays point into `bytes`.
// `reader` (optional, used during the call only): objects it reads are kRead entries.
StatusOr<XgbParsed> ParseXgbUbjson(std::string_view bytes, XgbObjectReader* reader = nullptr);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_XGBOOST_XGBOOST_VALUE_H_
