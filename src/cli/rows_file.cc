#include "cli/rows_file.h"

#include <simdjson.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace inferd::cli {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Status AddRow(const std::vector<double>& row, size_t index, const std::string& name, Rows* rows) {
  if (index == 0) {
    rows->n_cols = row.size();
  } else if (row.size() != rows->n_cols) {
    return Status::InvalidArgument(name + ": row " + std::to_string(index) + " has " + std::to_string(row.size()) +
                                   " values, row 0 has " + std::to_string(rows->n_cols));
  }
  rows->values.insert(rows->values.end(), row.begin(), row.end());
  rows->n_rows++;
  return Status::Ok();
}

StatusOr<Rows> ParseJsonRows(const std::string& text, const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(text).get(doc); err) {
    return Status::InvalidArgument(name + ": invalid JSON: " + simdjson::error_message(err));
  }
  simdjson::dom::array arr;
  if (doc.is_object()) {
    simdjson::dom::element inst;
    if (doc["instances"].get(inst) || !inst.is_array())
      return Status::InvalidArgument(name + ": expected a JSON array of rows or {\"instances\": [...]}");
    if (inst.get(arr)) return Status::InvalidArgument(name + ": \"instances\" is not an array");
  } else if (doc.is_array()) {
    if (doc.get(arr)) return Status::InvalidArgument(name + ": expected a JSON array of rows");
  } else {
    return Status::InvalidArgument(name + ": expected a JSON array of rows");
  }
  Rows rows;
  std::vector<double> row;
  size_t r = 0;
  for (simdjson::dom::element e : arr) {
    row.clear();
    simdjson::dom::array cells;
    if (e.get(cells)) return Status::InvalidArgument(name + ": row " + std::to_string(r) + " is not an array");
    size_t c = 0;
    for (simdjson::dom::element v : cells) {
      if (v.is_null()) {
        row.push_back(kNaN);
      } else if (v.is_number()) {
        double d = 0;
        if (v.get(d)) {
          return Status::InvalidArgument(name + ": row " + std::to_string(r) + " column " + std::to_string(c) +
                                         " is out of range");
        }
        row.push_back(d);
      } else {
        return Status::InvalidArgument(name + ": row " + std::to_string(r) + " column " + std::to_string(c) +
                                       " is not a number");
      }
      ++c;
    }
    INFERD_RETURN_IF_ERROR(AddRow(row, r, name, &rows));
    ++r;
  }
  return rows;
}

bool ParseCsvField(std::string_view f, double* out) {
  while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
  while (!f.empty() && (f.back() == ' ' || f.back() == '\t' || f.back() == '\r')) f.remove_suffix(1);
  if (f.empty() || f == "nan" || f == "NaN" || f == "NA") {
    *out = kNaN;
    return true;
  }
  if (f.front() == '+') f.remove_prefix(1);
  auto res = std::from_chars(f.data(), f.data() + f.size(), *out);
  return res.ec == std::errc() && res.ptr == f.data() + f.size() && std::isfinite(*out);
}

StatusOr<Rows> ParseCsvRows(const std::string& text, const std::string& name) {
  Rows rows;
  std::vector<double> row;
  size_t line_no = 0;
  size_t start = 0;
  bool first_content_line = true;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    row.clear();
    bool ok = true;
    size_t fstart = 0;
    while (true) {
      size_t comma = line.find(',', fstart);
      std::string_view field = line.substr(fstart, comma == std::string_view::npos ? line.npos : comma - fstart);
      double v;
      if (!ParseCsvField(field, &v)) {
        ok = false;
        break;
      }
      row.push_back(v);
      if (comma == std::string_view::npos) break;
      fstart = comma + 1;
    }
    if (!ok) {
      if (first_content_line) {  // a header line
        first_content_line = false;
        continue;
      }
      return Status::InvalidArgument(name + ": line " + std::to_string(line_no) + " has a non-numeric field");
    }
    first_content_line = false;
    INFERD_RETURN_IF_ERROR(AddRow(row, rows.n_rows, name, &rows));
  }
  return rows;
}

}  // namespace

StatusOr<Rows> ParseRows(const std::string& text, const std::string& name) {
  size_t p = text.find_first_not_of(" \t\r\n");
  if (p == std::string::npos) return Status::InvalidArgument(name + ": no rows");
  StatusOr<Rows> rows = (text[p] == '[' || text[p] == '{') ? ParseJsonRows(text, name) : ParseCsvRows(text, name);
  if (rows.ok() && rows->n_rows == 0) return Status::InvalidArgument(name + ": no rows");
  return rows;
}

StatusOr<Rows> ReadRowsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseRows(ss.str(), path);
}

}  // namespace inferd::cli
