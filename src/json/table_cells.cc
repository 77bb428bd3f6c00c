#include "json/table_cells.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace inferd {
namespace {

namespace od = simdjson::ondemand;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// pandas.read_csv's default na_values: these cells are NaN in every column.
bool IsReadCsvMissing(std::string_view t) {
  static constexpr std::string_view kWords[] = {"",     "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN",
                                                "-nan", "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL",
                                                "NaN",  "None",   "n/a",      "nan",  "null"};
  for (std::string_view w : kWords) {
    if (t == w) return true;
  }
  return false;
}

bool HasSchema(const InputSpec& spec) { return spec.schema != nullptr && !spec.schema->empty(); }

std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string q = "'";
  q.append(s.substr(0, kMax));
  if (s.size() > kMax) q += "...";
  q += "'";
  return q;
}

Status Missing(const InputSpec& spec, size_t col, double* out) {
  if (!MissingAllowed(spec, col)) {
    return Status::InvalidArgument("column '" + ColumnName(spec, col) +
                                   "' is missing a value, which this model does not accept");
  }
  *out = kNaN;
  return Status::Ok();
}

Status WrongType(const InputSpec& spec, size_t col, std::string_view got) {
  const InputColumn::Type type = ColumnType(spec, col);
  return Status::InvalidArgument("column '" + ColumnName(spec, col) + "' expects a " +
                                 (type == InputColumn::Type::kString ? "string" : "number") + " (got " +
                                 std::string(got) + ")");
}

}  // namespace

const char* JsonTypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "unknown";
}

Status NotAnObject(std::string_view body, od::json_type type, std::string_view message) {
  simdjson::dom::parser validator;
  simdjson::dom::element ignored;
  if (auto e = validator.parse(body.data(), body.size(), true).get(ignored)) {
    return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
  }
  return Status::InvalidArgument(std::string(message) + " (got " + JsonTypeName(type) + ")");
}

std::string ColumnName(const InputSpec& spec, size_t col) {
  if (HasSchema(spec) && col < spec.schema->size()) return spec.schema->columns()[col].name;
  return "x" + std::to_string(col);
}

bool MissingAllowed(const InputSpec& spec, size_t col) {
  if (spec.allow_missing) return true;
  return HasSchema(spec) && col < spec.schema->size() && spec.schema->columns()[col].accepts_missing;
}

InputColumn::Type ColumnType(const InputSpec& spec, size_t col) {
  if (HasSchema(spec) && col < spec.schema->size()) return spec.schema->columns()[col].type;
  return InputColumn::Type::kNumber;
}

Status DecodeUnusualNumberCell(double d, const InputSpec& spec, size_t col, double* out) {
  if (std::isnan(d)) return Missing(spec, col, out);
  if (!std::isfinite(d)) {
    return Status::InvalidArgument("column '" + ColumnName(spec, col) + "' is Infinity, which is not allowed");
  }
  if (ColumnType(spec, col) == InputColumn::Type::kString) return WrongType(spec, col, "number");
  *out = d;
  return Status::Ok();
}

Status DecodeStringCell(std::string_view s, const InputSpec& spec, size_t col, double* out) {
  if (s == kNaNCell) return Missing(spec, col, out);
  switch (ColumnType(spec, col)) {
    case InputColumn::Type::kNumber: return WrongType(spec, col, "string " + Quoted(s));
    case InputColumn::Type::kAny: *out = kUnknownStringCode; return Status::Ok();
    case InputColumn::Type::kString: break;
  }
  const double code = spec.schema->EncodeString(col, s);
  if (code == kUnknownStringCode && spec.schema->columns()[col].unknown_is_error) {
    return Status::InvalidArgument("column '" + ColumnName(spec, col) + "' has unknown category " + Quoted(s));
  }
  *out = code;
  return Status::Ok();
}

Status DecodeJsonCell(od::value& v, const InputSpec& spec, size_t col, double* out) {
  od::json_type type;
  if (v.type().get(type) != simdjson::SUCCESS) {
    // Python's json.dumps writes NaN/Infinity as bare words: NaN is pandas' missing value.
    std::string_view token = v.raw_json_token();
    if (StartsWith(token, "NaN")) return Missing(spec, col, out);
    if (StartsWith(token, "Infinity") || StartsWith(token, "-Infinity")) {
      return Status::InvalidArgument("column '" + ColumnName(spec, col) + "' is Infinity, which is not allowed");
    }
    return Status::InvalidArgument("malformed JSON in column '" + ColumnName(spec, col) + "'");
  }
  switch (type) {
    case od::json_type::number: {
      double d;
      if (v.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d)) {
        return Status::InvalidArgument("column '" + ColumnName(spec, col) + "' is not a finite number");
      }
      return DecodeNumberCell(d, spec, col, out);
    }
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) {
        return Status::InvalidArgument("malformed JSON string in column '" + ColumnName(spec, col) + "'");
      }
      return DecodeStringCell(s, spec, col, out);
    }
    case od::json_type::null:
      if (ColumnType(spec, col) == InputColumn::Type::kString) {
        *out = kNoneCode;
        return Status::Ok();
      }
      return Missing(spec, col, out);
    default: return WrongType(spec, col, JsonTypeName(type));
  }
}

Status DecodeDomCell(simdjson::dom::element e, const InputSpec& spec, size_t col, double* out) {
  namespace dom = simdjson::dom;
  switch (e.type()) {
    case dom::element_type::INT64:
      return DecodeNumberCell(static_cast<double>(e.get_int64().value_unsafe()), spec, col, out);
    case dom::element_type::UINT64:
      return DecodeNumberCell(static_cast<double>(e.get_uint64().value_unsafe()), spec, col, out);
    case dom::element_type::DOUBLE: return DecodeNumberCell(e.get_double().value_unsafe(), spec, col, out);
    case dom::element_type::STRING: return DecodeStringCell(e.get_string().value_unsafe(), spec, col, out);
    case dom::element_type::NULL_VALUE:
      if (ColumnType(spec, col) == InputColumn::Type::kString) {
        *out = kNoneCode;
        return Status::Ok();
      }
      return Missing(spec, col, out);
    case dom::element_type::BOOL: return WrongType(spec, col, "boolean");
    case dom::element_type::ARRAY: return WrongType(spec, col, "array");
    case dom::element_type::OBJECT: return WrongType(spec, col, "object");
  }
  return WrongType(spec, col, "unknown");
}

Status DecodeTextCell(std::string_view text, const InputSpec& spec, size_t col, double* out) {
  if (IsReadCsvMissing(text)) return Missing(spec, col, out);
  const InputColumn::Type type = ColumnType(spec, col);
  if (type == InputColumn::Type::kString) return DecodeStringCell(text, spec, col, out);
  // read_csv reads " 5 " as 5 in a number column (and keeps string cells as written).
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return Missing(spec, col, out);
  double d;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data() + (text.front() == '+' ? 1 : 0), end, d);
  if (ec != std::errc() || ptr != end) {
    if (type == InputColumn::Type::kAny) {
      *out = kUnknownStringCode;
      return Status::Ok();
    }
    return WrongType(spec, col, "string " + Quoted(text));
  }
  return DecodeNumberCell(d, spec, col, out);
}

Status DecodeJsonNamedRow(od::object& obj, const InputSpec& spec, double* row) {
  ColumnMapper mapper(spec);
  for (auto field_r : obj) {
    od::field field;
    if (auto e = std::move(field_r).get(field)) {
      return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
    }
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) {
      return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
    }
    INFERD_ASSIGN_OR_RETURN(long col, mapper.Add(key));
    if (col < 0) continue;
    INFERD_RETURN_IF_ERROR(DecodeJsonCell(field.value(), spec, static_cast<size_t>(col), &row[col]));
  }
  return mapper.CheckComplete();
}

namespace {
// The "seen" flags of the thread's active mapper, reused so that decoding named rows does not
// allocate; a second mapper alive on the same thread uses its own vector.
thread_local std::vector<uint8_t> t_seen;
thread_local bool t_seen_in_use = false;
}  // namespace

ColumnMapper::ColumnMapper(const InputSpec& spec) : spec_(spec), borrowed_(!t_seen_in_use) {
  seen_ = borrowed_ ? &t_seen : &own_;
  if (borrowed_) t_seen_in_use = true;
  seen_->assign(spec.n_features, 0);
}

ColumnMapper::~ColumnMapper() {
  if (borrowed_) t_seen_in_use = false;
}

StatusOr<long> ColumnMapper::Add(std::string_view name) {
  long col = -1;
  if (HasSchema(spec_)) {
    col = spec_.schema->Find(name);
  } else if (name.size() > 1 && name[0] == 'x') {
    size_t i = 0;
    auto [ptr, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), i);
    if (ec == std::errc() && ptr == name.data() + name.size() && i < spec_.n_features) col = static_cast<long>(i);
  }
  if (col < 0 || static_cast<size_t>(col) >= seen_->size()) {
    if (spec_.ignore_extra_columns) return -1;
    return Status::InvalidArgument("unknown column " + Quoted(name) + " (the model's columns are " +
                                   (spec_.n_features > 0 ? ColumnName(spec_, 0) : std::string()) +
                                   (spec_.n_features > 1 ? ", ..., " + ColumnName(spec_, spec_.n_features - 1) : "") +
                                   "; --ignore-extra-columns allows others)");
  }
  if ((*seen_)[static_cast<size_t>(col)]) return Status::InvalidArgument("column " + Quoted(name) + " is given twice");
  (*seen_)[static_cast<size_t>(col)] = 1;
  return col;
}

Status ColumnMapper::CheckComplete() const {
  for (size_t c = 0; c < seen_->size(); ++c) {
    if (!(*seen_)[c]) return Status::InvalidArgument("missing column '" + ColumnName(spec_, c) + "'");
  }
  return Status::Ok();
}

}  // namespace inferd
