// InputSchema: the columns a model's input rows have — their names (the model's
// feature_names_in_, or x0, x1, ... when it was fitted without names), their kind (number or
// string), and for string columns the categories the model knows.
//
// Rows stay dense doubles. A string cell is carried as a code:
//   StringCode(s)       the string s, for a string the column knows (exact, < 2^52);
//   kNoneCode           JSON null / Python None in a string column (pandas keeps None there);
//   kUnknownStringCode  any string the column does not know;
//   NaN                 a NaN or empty CSV cell (pandas' NaN), in any column.
// Runtimes that take strings (encoders, imputers) store their categories as StringCode values,
// so a known string costs one hash and one binary search at decode time and no allocation.
//
// Thread safety: immutable after construction; every const method is safe concurrently.
#ifndef INFERD_INPUT_SCHEMA_H_
#define INFERD_INPUT_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferd {

inline constexpr double kNoneCode = -1.0;
inline constexpr double kUnknownStringCode = -2.0;

// A 52-bit hash of s as a double in [0, 2^52): an integer, exact in a double, never negative.
double StringCode(std::string_view s);

struct InputColumn {
  enum class Type : uint8_t {
    kNumber,  // numbers (JSON null -> NaN)
    kString,  // strings (JSON null -> None)
    kAny,     // the model does not read this column (e.g. ColumnTransformer's dropped columns)
  };
  std::string name;
  Type type = Type::kNumber;
  // kString: the strings the model knows for this column (sorted, unique).
  std::vector<std::string> categories;
  // kString: a string outside `categories` is an error at prediction time (an encoder with
  // handle_unknown='error'), so clients may be told the allowed values.
  bool unknown_is_error = false;
  // A missing value (NaN) in this column is accepted: the model imputes it, handles it
  // natively, or does not read the column. Per column, because in a ColumnTransformer one
  // column may be imputed while another is passed to an estimator that refuses NaN.
  bool accepts_missing = false;
};

// "number", "string", "any".
const char* InputTypeName(InputColumn::Type type);

class InputSchema {
 public:
  InputSchema() = default;
  // `named`: the names are the model's own (feature_names_in_), not x0, x1, ...
  InputSchema(std::vector<InputColumn> columns, bool named);

  const std::vector<InputColumn>& columns() const { return columns_; }
  size_t size() const { return columns_.size(); }
  bool empty() const { return columns_.empty(); }
  bool named() const { return named_; }
  // True if some column is a kString column.
  bool has_strings() const { return has_strings_; }

  // Index of the column called `name`, or -1. Does not allocate.
  long Find(std::string_view name) const;
  // The code of string `s` in column `col`: StringCode(s) if the column knows s, else
  // kUnknownStringCode. Does not allocate.
  double EncodeString(size_t col, std::string_view s) const;
  // The category a code stands for in column `col`, or nullptr (numbers, None, unknown).
  const std::string* Decode(size_t col, double code) const;

 private:
  std::vector<InputColumn> columns_;
  bool named_ = false;
  bool has_strings_ = false;
  // Column indices sorted by name.
  std::vector<uint32_t> by_name_;
  // Per column: (StringCode(category), index into categories), sorted by code.
  std::vector<std::vector<std::pair<double, uint32_t>>> codes_;
};

}  // namespace inferd

#endif  // INFERD_INPUT_SCHEMA_H_
