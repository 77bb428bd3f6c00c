// A bounded reader for the two encodings of XGBoost's model documents: JSON (through
// simdjson's DOM, error codes only) and UBJSON (hand-written, the subset xgboost writes).
// Both give the same small value tree, XgbValue, that the schema reader
// (xgboost_document.h) walks; neither knows anything about models.
//
// Bounds: nesting is limited to kMaxXgbNesting levels; every count and length in a UBJSON
// stream is checked against the bytes that remain before anything is allocated, so memory
// stays proportional to the input; a key repeated in one object is refused (xgboost's two
// readers disagree on which copy wins, so a validated value could otherwise be replaced by an
// unvalidated one). Arrays of numbers are stored compactly (one int64 or double per element).
//
// Thread safety: the parse functions are reentrant; an XgbValue is a plain value.
#ifndef INFERD_SKLEARN_XGBOOST_XGBOOST_VALUE_H_
#define INFERD_SKLEARN_XGBOOST_XGBOOST_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferd/status.h"

namespace inferd::sklearn {

// Deepest nesting accepted (xgboost's documents nest 8 levels; its own readers recurse
// without a limit, so a deeper document is refused before they see it).
inline constexpr size_t kMaxXgbNesting = 32;

struct XgbMember;

struct XgbValue {
  enum class Type : uint8_t {
    kNull,
    kBool,
    kInt,        // `integer`
    kReal,       // `real` (a JSON number with a fraction or exponent, UBJSON d/D)
    kString,     // `string`
    kArray,      // `items`: an array holding anything but only numbers
    kObject,     // `members`, in file order, keys unique
    kIntArray,   // `ints`: an array of integers only (also every empty array)
    kRealArray,  // `reals`: an array of numbers, at least one of them not an integer
  };
  Type type = Type::kNull;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string string;
  std::vector<XgbValue> items;
  std::vector<XgbMember> members;
  std::vector<int64_t> ints;
  std::vector<double> reals;
  // The element marker of a UBJSON typed array ([$T#N), 0 for any other value.
  char typed = 0;
  // Byte span of this value in the parsed input: [begin, end). Set by the UBJSON parser only.
  size_t begin = 0;
  size_t end = 0;

  // The member named `key`, or nullptr (also when this is not an object).
  const XgbValue* Find(std::string_view key) const;
  bool is_array() const { return type == Type::kArray || type == Type::kIntArray || type == Type::kRealArray; }
  bool is_number() const { return type == Type::kInt || type == Type::kReal; }
  // Number of elements of an array (0 for other types).
  size_t size() const;
};

// One key and value of an object.
struct XgbMember {
  std::string key;
  XgbValue value;
};

// "an integer", "a string", ... for error messages.
const char* XgbTypeName(const XgbValue& v);

// Parses a complete JSON document; the bare words NaN, Infinity and -Infinity that xgboost
// writes for non-finite numbers are read as those numbers. Errors: one line, "malformed JSON: ...".
StatusOr<XgbValue> ParseXgbJson(std::string_view bytes);
// Parses a complete UBJSON document (objects, arrays counted or not, typed numeric arrays
// `[$T#N`, markers i U I l L d D S T F Z; trailing bytes are refused). Errors: one line,
// "malformed UBJSON at byte N: ...".
StatusOr<XgbValue> ParseXgbUbjson(std::string_view bytes);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_XGBOOST_XGBOOST_VALUE_H_
