#include "cli/rows_file.h"

#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>
#include <string_view>

#include "json/csv_reader.h"
#include "json/table_cells.h"

namespace inferd::cli {
namespace {

namespace dom = simdjson::dom;

// Up to this many column names are listed in a width error.
constexpr size_t kNamesListed = 8;

bool WidthFromModel(const InputSpec& spec) { return spec.n_features > 0 || spec.schema != nullptr; }

// The width rows must have: the model's, or (schema-less spec without a width) row 0's.
size_t Width(const InputSpec& spec, size_t first_row_width) {
  return WidthFromModel(spec) ? spec.n_features : first_row_width;
}

std::string ColumnList(const InputSpec& spec) {
  if (spec.schema == nullptr || !spec.schema->named()) return std::string();
  std::string s = " (";
  for (size_t c = 0; c < spec.n_features && c < kNamesListed; ++c) {
    if (c) s += ", ";
    s += ColumnName(spec, c);
  }
  if (spec.n_features > kNamesListed) s += ", ...";
  return s + ")";
}

// A positional row at `where` with `got` values where `want` are expected: the model's width,
// or (schema-less spec) row 0's.
Status WidthError(const std::string& where, size_t got, size_t want, const InputSpec& spec, bool width_from_model) {
  if (width_from_model) {
    return Status::InvalidArgument(where + ": rows have " + std::to_string(got) + " values, the model expects " +
                                   std::to_string(want) + " features" + ColumnList(spec));
  }
  return Status::InvalidArgument(where + " has " + std::to_string(got) + " values, row 0 has " + std::to_string(want));
}

Status At(const std::string& prefix, const Status& s) {
  return s.ok() ? s : Status::InvalidArgument(prefix + ": " + s.message());
}

// ---- JSON ---------------------------------------------------------------------------------

class JsonRows {
 public:
  JsonRows(const InputSpec& spec, const std::string& name, Rows* rows) : spec_(spec), name_(name), rows_(rows) {}

  Status List(dom::array list) {
    size_t r = 0;
    for (dom::element e : list) {
      const std::string where = name_ + ": row " + std::to_string(r);
      if (e.is_array()) {
        INFERD_RETURN_IF_ERROR(Form(r, Kind::kArrays, "an array"));
        INFERD_RETURN_IF_ERROR(Positional(e.get_array().value_unsafe(), r, nullptr));
      } else if (e.is_object()) {
        INFERD_RETURN_IF_ERROR(Form(r, Kind::kObjects, "an object"));
        INFERD_RETURN_IF_ERROR(Named(e.get_object().value_unsafe(), where));
      } else {
        return Status::InvalidArgument(where + " is neither an array of values nor an object of columns");
      }
      ++r;
    }
    return Status::Ok();
  }

  // pandas' orient="split": the client's column names, then rows of values in that order.
  Status Split(dom::object split) {
    dom::array columns, data;
    if (split["columns"].get_array().get(columns) != simdjson::SUCCESS) {
      return Status::InvalidArgument(name_ + ": \"columns\" must be an array of column names");
    }
    if (split["data"].get_array().get(data) != simdjson::SUCCESS) {
      return Status::InvalidArgument(name_ + ": \"data\" must be an array of rows");
    }
    std::vector<long> to_model;
    {
      ColumnMapper mapper(spec_);
      for (dom::element c : columns) {
        std::string_view n;
        if (c.get_string().get(n) != simdjson::SUCCESS) {
          return Status::InvalidArgument(name_ + ": \"columns\" must be an array of strings");
        }
        StatusOr<long> col = mapper.Add(n);
        if (!col.ok()) return At(name_ + ": \"columns\"", col.status());
        to_model.push_back(*col);
      }
      INFERD_RETURN_IF_ERROR(At(name_ + ": \"columns\"", mapper.CheckComplete()));
    }
    size_t r = 0;
    for (dom::element e : data) {
      dom::array cells;
      if (e.get_array().get(cells) != simdjson::SUCCESS) {
        return Status::InvalidArgument(name_ + ": row " + std::to_string(r) + " of \"data\" is not an array");
      }
      INFERD_RETURN_IF_ERROR(Positional(cells, r, &to_model));
      ++r;
    }
    return Status::Ok();
  }

 private:
  enum class Kind { kNone, kArrays, kObjects };

  Status Form(size_t r, Kind kind, const char* what) {
    if (kind_ == Kind::kNone) kind_ = kind;
    if (kind_ == kind) return Status::Ok();
    return Status::InvalidArgument(name_ + ": row " + std::to_string(r) + " is " + what + " but row 0 is not" +
                                   " (all rows take one form)");
  }

  double* NewRow(size_t width) {
    rows_->n_cols = width;
    rows_->values.resize(rows_->values.size() + width);
    rows_->n_rows++;
    return rows_->values.data() + rows_->values.size() - width;
  }

  // Row `r` in the model's column order, or (to_model) in the order of a "columns" list.
  Status Positional(dom::array cells, size_t r, const std::vector<long>* to_model) {
    const size_t got = cells.size();
    const size_t want = to_model != nullptr ? to_model->size() : Width(spec_, r == 0 ? got : rows_->n_cols);
    if (got != want) {
      if (to_model != nullptr) {
        return Status::InvalidArgument(name_ + ": row " + std::to_string(r) + " of \"data\" has " +
                                       std::to_string(got) + " values, \"columns\" has " + std::to_string(want));
      }
      return WidthError(name_ + ": row " + std::to_string(r), got, want, spec_, WidthFromModel(spec_));
    }
    double* row = NewRow(to_model != nullptr ? spec_.n_features : want);
    size_t i = 0;
    for (dom::element v : cells) {
      const long col = to_model != nullptr ? (*to_model)[i] : static_cast<long>(i);
      ++i;
      if (col < 0) continue;
      Status s = DecodeDomCell(v, spec_, static_cast<size_t>(col), &row[col]);
      if (!s.ok()) return At(name_ + ": row " + std::to_string(r), s);
    }
    return Status::Ok();
  }

  Status Named(dom::object obj, const std::string& where) {
    double* row = NewRow(spec_.n_features);
    ColumnMapper mapper(spec_);
    for (dom::key_value_pair field : obj) {
      StatusOr<long> col = mapper.Add(field.key);
      if (!col.ok()) return At(where, col.status());
      if (*col < 0) continue;
      INFERD_RETURN_IF_ERROR(At(where, DecodeDomCell(field.value, spec_, static_cast<size_t>(*col), &row[*col])));
    }
    return At(where, mapper.CheckComplete());
  }

  const InputSpec& spec_;
  const std::string& name_;
  Rows* rows_;
  Kind kind_ = Kind::kNone;
};

StatusOr<Rows> ParseJsonRows(const std::string& text, const std::string& name, const InputSpec& spec) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(text).get(doc); err) {
    return Status::InvalidArgument(name + ": invalid JSON: " + simdjson::error_message(err));
  }
  Rows rows;
  JsonRows reader(spec, name, &rows);
  if (doc.is_array()) {
    INFERD_RETURN_IF_ERROR(reader.List(doc.get_array().value_unsafe()));
    return rows;
  }
  dom::object obj;
  if (doc.get_object().get(obj) == simdjson::SUCCESS) {
    dom::element inner;
    for (const char* key : {"instances", "dataframe_records"}) {
      if (obj[key].get(inner) == simdjson::SUCCESS) {
        if (!inner.is_array()) return Status::InvalidArgument(name + ": \"" + key + "\" is not an array");
        INFERD_RETURN_IF_ERROR(reader.List(inner.get_array().value_unsafe()));
        return rows;
      }
    }
    if (obj["dataframe_split"].get(inner) == simdjson::SUCCESS) {
      if (!inner.is_object()) return Status::InvalidArgument(name + ": \"dataframe_split\" is not an object");
      INFERD_RETURN_IF_ERROR(reader.Split(inner.get_object().value_unsafe()));
      return rows;
    }
    if (obj["columns"].error() == simdjson::SUCCESS || obj["data"].error() == simdjson::SUCCESS) {
      INFERD_RETURN_IF_ERROR(reader.Split(obj));
      return rows;
    }
  }
  return Status::InvalidArgument(name +
                                 ": expected a JSON array of rows or records, {\"instances\": [...]} or "
                                 "{\"columns\": [...], \"data\": [...]}");
}

// ---- CSV ----------------------------------------------------------------------------------

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsBlank(std::span<const std::string> fields) { return fields.size() == 1 && Trim(fields[0]).empty(); }

// A cell the CSV header rule counts as a number: empty, a missing-value word or a number.
bool LooksNumeric(std::string_view cell) {
  InputSpec numeric;
  numeric.allow_missing = true;
  double d;
  return DecodeTextCell(cell, numeric, 0, &d).ok();
}

enum class FirstRecord { kData, kHeader, kSkippedHeader };

// The header rule of rows_file.h.
FirstRecord Classify(std::span<const std::string> first, const InputSpec& spec) {
  const InputSchema* schema = spec.schema;
  bool all_numeric = true;
  for (const std::string& cell : first) {
    if (schema != nullptr && schema->Find(Trim(cell)) >= 0) return FirstRecord::kHeader;
    if (!LooksNumeric(cell)) all_numeric = false;
  }
  if (all_numeric) return FirstRecord::kData;
  if (schema != nullptr && schema->named()) return FirstRecord::kHeader;
  if (schema == nullptr || !schema->has_strings()) return FirstRecord::kSkippedHeader;
  return FirstRecord::kData;
}

StatusOr<Rows> ParseCsvRows(const std::string& text, const std::string& name, const InputSpec& spec) {
  CsvReader reader(text);
  std::vector<std::string> cells;
  Rows rows;
  // Per CSV field: the model column it fills, or -1 (an ignored extra column). Empty: the
  // rows are in the model's column order.
  std::vector<long> to_model;
  bool header_done = false;
  size_t width = 0;
  while (true) {
    size_t n = 0;
    bool more = false;
    INFERD_RETURN_IF_ERROR(At(name, reader.Next(&cells, &n, &more)));
    if (!more) break;
    const std::span<const std::string> fields(cells.data(), n);
    const size_t line = reader.record_line();
    if (IsBlank(fields)) continue;
    if (!header_done) {
      header_done = true;
      const FirstRecord first = Classify(fields, spec);
      if (first == FirstRecord::kSkippedHeader) continue;
      if (first == FirstRecord::kHeader) {
        const std::string where = name + ": line " + std::to_string(line) + " (the header)";
        ColumnMapper mapper(spec);
        for (const std::string& f : fields) {
          StatusOr<long> col = mapper.Add(Trim(f));
          if (!col.ok()) return At(where, col.status());
          to_model.push_back(*col);
        }
        INFERD_RETURN_IF_ERROR(At(where, mapper.CheckComplete()));
        continue;
      }
    }
    const std::string where = name + ": line " + std::to_string(line) + " (row " + std::to_string(rows.n_rows) + ")";
    if (!to_model.empty()) {
      if (fields.size() != to_model.size()) {
        return Status::InvalidArgument(where + ": has " + std::to_string(fields.size()) + " values, the header has " +
                                       std::to_string(to_model.size()));
      }
      width = spec.n_features;
    } else {
      const size_t want = rows.n_rows == 0 ? Width(spec, fields.size()) : width;
      if (fields.size() != want) return WidthError(where, fields.size(), want, spec, WidthFromModel(spec));
      width = want;
    }
    rows.n_cols = width;
    rows.values.resize(rows.values.size() + width);
    double* row = rows.values.data() + rows.values.size() - width;
    for (size_t i = 0; i < fields.size(); ++i) {
      const long col = to_model.empty() ? static_cast<long>(i) : to_model[i];
      if (col < 0) continue;
      INFERD_RETURN_IF_ERROR(At(where, DecodeTextCell(fields[i], spec, static_cast<size_t>(col), &row[col])));
    }
    rows.n_rows++;
  }
  return rows;
}

}  // namespace

StatusOr<Rows> ParseRows(const std::string& text, const std::string& name, const InputSpec& spec) {
  // A UTF-8 byte order mark (spreadsheet exports) is not part of the first column's name.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (std::string_view(text).substr(0, kBom.size()) == kBom) {
    return ParseRows(text.substr(kBom.size()), name, spec);
  }
  size_t p = text.find_first_not_of(" \t\r\n");
  if (p == std::string::npos) return Status::InvalidArgument(name + ": no rows");
  StatusOr<Rows> rows =
      (text[p] == '[' || text[p] == '{') ? ParseJsonRows(text, name, spec) : ParseCsvRows(text, name, spec);
  if (rows.ok() && rows->n_rows == 0) return Status::InvalidArgument(name + ": no rows");
  return rows;
}

StatusOr<Rows> ReadRowsFile(const std::string& path, const InputSpec& spec) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseRows(ss.str(), path, spec);
}

}  // namespace inferd::cli
