// Table input shared by the JSON/CSV codecs: one cell, one named row, and the mapping from
// the column names a client sends (a CSV header, a dataframe_split's "columns", V2 input
// names) to the model's input columns (InputSpec::schema).
//
// A cell means what pandas would make of the same JSON/CSV (the parity reference is sklearn
// on pandas.DataFrame(records) / pandas.read_csv):
//   number column:  a JSON number -> itself; null, NaN or an empty CSV cell -> NaN (refused
//                   unless MissingAllowed); a string or bool -> error.
//   string column:  a string -> schema.EncodeString (an unknown string is an error when the
//                   column's unknown_is_error, naming column and value); null -> kNoneCode;
//                   NaN or an empty CSV cell -> NaN (refused unless MissingAllowed); a number
//                   or bool -> error.
//   any column:     (not read by the model) strings -> kUnknownStringCode, numbers as given,
//                   null -> NaN.
// A CSV cell that pandas.read_csv reads as NaN by default (empty, NA, NaN, null, None, N/A,
// ...) is NaN in every column. Infinity is refused everywhere. A schema-less spec (schema == nullptr or empty) reads
// every column as a number named x0, x1, ... Errors are InvalidArgument naming the column ("column 'sex' expects a
// string (got number)"); callers add where the cell was.
//
// Thread safety: free functions and a per-request ColumnMapper; no shared state.
#ifndef INFERD_JSON_TABLE_CELLS_H_
#define INFERD_JSON_TABLE_CELLS_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "inferd/input_schema.h"
#include "inferd/status.h"
#include "serving/inference.h"

namespace inferd {

// A JSON string the batch decoders put where a body had the bare word NaN (Python's
// json.dumps form of a float NaN, which simdjson's DOM refuses); read as NaN.
inline constexpr std::string_view kNaNCell{"\0NaN", 4};

// "array", "object", "number", "string", "boolean", "null" (for error messages).
const char* JsonTypeName(simdjson::ondemand::json_type t);

// The error for a request body whose top-level value is `type`, not an object: ondemand only
// peeked at the first byte ("nonsense" looks like null), so a full DOM parse of `body` (this
// error path only) tells malformed text ("malformed JSON: ...") from a well-formed non-object
// (`message` + " (got <type>)").
Status NotAnObject(std::string_view body, simdjson::ondemand::json_type type, std::string_view message);

// The name of input column `col` ("x3" without a schema).
std::string ColumnName(const InputSpec& spec, size_t col);
// True if a missing value (NaN) may be given in column `col`: spec.allow_missing, or the
// schema's column accepts_missing.
bool MissingAllowed(const InputSpec& spec, size_t col);
// The kind of input column `col` (kNumber without a schema).
InputColumn::Type ColumnType(const InputSpec& spec, size_t col);

// One JSON value for column `col`.
Status DecodeJsonCell(simdjson::ondemand::value& v, const InputSpec& spec, size_t col, double* out);
// The same for a DOM element (the batch protocols parse with simdjson's DOM).
Status DecodeDomCell(simdjson::dom::element e, const InputSpec& spec, size_t col, double* out);
// One CSV cell (already unquoted) for column `col`; spaces around a number are ignored.
Status DecodeTextCell(std::string_view text, const InputSpec& spec, size_t col, double* out);
// A string value (e.g. a V2 BYTES element) for column `col`: the string-column rule above;
// in a number column an error.
Status DecodeStringCell(std::string_view s, const InputSpec& spec, size_t col, double* out);
// DecodeNumberCell's cases other than a finite number for a column that is not a string column.
Status DecodeUnusualNumberCell(double d, const InputSpec& spec, size_t col, double* out);
// A number for column `col`: NaN is missing; in a string column an error. Inline: it runs for
// every value of a numeric tensor.
inline Status DecodeNumberCell(double d, const InputSpec& spec, size_t col, double* out) {
  if (std::isfinite(d) && ColumnType(spec, col) != InputColumn::Type::kString) {
    *out = d;
    return Status::Ok();
  }
  return DecodeUnusualNumberCell(d, spec, col, out);
}

// {"age": 22, "sex": "male", ...} into row[0, spec.n_features): every model column exactly
// once; a name the model does not have is an error unless spec.ignore_extra_columns.
Status DecodeJsonNamedRow(simdjson::ondemand::object& obj, const InputSpec& spec, double* row);

// Maps the names of a client's columns, in the order it sends them, to model columns.
class ColumnMapper {
 public:
  // `spec` must outlive the mapper.
  explicit ColumnMapper(const InputSpec& spec);
  ~ColumnMapper();
  ColumnMapper(const ColumnMapper&) = delete;
  ColumnMapper& operator=(const ColumnMapper&) = delete;
  // The model column of the client's next column `name`: its index, or -1 if it is not the
  // model's and spec.ignore_extra_columns (the caller skips its values). Errors: a name the
  // model does not have, or a name given twice.
  StatusOr<long> Add(std::string_view name);
  // Error naming the first model column that no Add gave ("missing column 'age'").
  Status CheckComplete() const;

 private:
  const InputSpec& spec_;
  const bool borrowed_;
  std::vector<uint8_t> own_;
  std::vector<uint8_t>* seen_;
};

}  // namespace inferd

#endif  // INFERD_JSON_TABLE_CELLS_H_
