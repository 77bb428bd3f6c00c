#include "json/mlflow_codec.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <vector>

#include <simdjson.h>

#include "json/csv_reader.h"
#include "json/predict_codec.h"
#include "json/table_cells.h"
#include "json/tensor_codec.h"

namespace inferd {
namespace {

namespace od = simdjson::ondemand;

// Per-thread parser and padded copy of the body (simdjson reads SIMDJSON_PADDING bytes past
// the end). ondemand, not the DOM: it reads Python's bare NaN (json.dumps of a missing value)
// through json/table_cells.h, as MLflow's json.loads does.
thread_local od::parser t_parser;
thread_local std::string t_padded;
thread_local std::vector<std::string> t_cells;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::string_view kFormats[] = {"dataframe_split", "dataframe_records", "instances", "inputs"};
// Keys listed in the "exactly one of" message, so a hostile body cannot make it huge.
constexpr size_t kMaxKeysInMessage = 16;

Status Malformed(simdjson::error_code e) {
  return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
}

Status TooManyRows(std::string_view field, const InputSpec& spec) {
  return Status::ResourceExhausted(std::string(field) + " has more than " + std::to_string(spec.max_rows) +
                                   " rows (the server's --max-batch-rows)");
}

bool IsFormat(std::string_view key) {
  for (std::string_view f : kFormats) {
    if (key == f) return true;
  }
  return false;
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The model column of each of the client's columns, in the client's order (-1: ignored).
// A model without column names of its own takes a full set of other names in order.
StatusOr<std::vector<long>> MapColumns(const std::vector<std::string>& names, const InputSpec& spec) {
  std::vector<long> cols;
  Status st;
  {
    ColumnMapper mapper(spec);
    for (const std::string& name : names) {
      StatusOr<long> col = mapper.Add(name);
      if (!col.ok()) {
        st = col.status();
        break;
      }
      cols.push_back(*col);
    }
    if (st.ok()) st = mapper.CheckComplete();
  }
  if (st.ok()) return cols;
  const bool unnamed = spec.schema == nullptr || !spec.schema->named();
  if (unnamed && names.size() == spec.n_features) {
    cols.resize(names.size());
    for (size_t c = 0; c < cols.size(); ++c) cols[c] = static_cast<long>(c);
    return cols;
  }
  return st;
}

// The row forms a field accepts.
enum class RowForms { kLists, kObjects, kEither };

// A list of rows -> out->x. Rows are objects by column name or lists of values: with
// `columns`, one cell per client column (columns[c] is its model column or -1); without, the
// model's columns in order. One form per request.
Status DecodeRows(od::value& value, std::string_view field, const InputSpec& spec, const std::vector<long>* columns,
                  RowForms forms, InferenceRequest* out) {
  od::array rows;
  if (value.get_array().get(rows) != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string(field) + " must be a list of rows");
  }
  const size_t nf = spec.n_features;
  const size_t width = columns != nullptr ? columns->size() : nf;
  size_t r = 0;
  od::json_type form = od::json_type::null;
  for (auto row_r : rows) {
    od::value row;
    if (auto e = std::move(row_r).get(row)) return Malformed(e);
    if (r >= spec.max_rows) return TooManyRows(field, spec);
    auto where = [&] { return std::string(field) + "[" + std::to_string(r) + "]"; };
    od::json_type type;
    if (auto e = row.type().get(type)) return Malformed(e);
    const bool ok = type == od::json_type::array    ? forms != RowForms::kObjects
                    : type == od::json_type::object ? forms != RowForms::kLists
                                                    : false;
    if (!ok) {
      const char* expected = forms == RowForms::kLists     ? "a list of values"
                             : forms == RowForms::kObjects ? "an object by column name"
                                                           : "an object by column name or a list of values";
      return Status::InvalidArgument(where() + " must be " + expected + " (got " + JsonTypeName(type) + ")");
    }
    if (form != od::json_type::null && type != form) {
      return Status::InvalidArgument(where() + " is " + (type == od::json_type::object ? "an object" : "a list") +
                                     " but earlier rows are not; send every row by column name or every row as a list");
    }
    form = type;
    const size_t start = out->x.size();
    out->x.resize(start + nf, kNaN);
    double* x = out->x.data() + start;
    if (type == od::json_type::object) {
      od::object obj;
      if (auto e = row.get_object().get(obj)) return Malformed(e);
      Status st = DecodeJsonNamedRow(obj, spec, x);
      if (!st.ok()) return st.WithPrefix(where());
      ++r;
      continue;
    }
    od::array cells;
    if (auto e = row.get_array().get(cells)) return Malformed(e);
    size_t c = 0;
    for (auto cell_r : cells) {
      od::value cell;
      if (auto e = std::move(cell_r).get(cell)) return Malformed(e);
      if (c < width) {
        const long col = columns != nullptr ? (*columns)[c] : static_cast<long>(c);
        if (col >= 0) {
          Status st = DecodeJsonCell(cell, spec, static_cast<size_t>(col), &x[col]);
          if (!st.ok()) return st.WithPrefix(where() + "[" + std::to_string(c) + "]");
        }
      }
      ++c;
    }
    if (c != width) {
      return Status::InvalidArgument(where() + " has " + std::to_string(c) + " values; expected " +
                                     std::to_string(width) +
                                     (columns != nullptr ? " (one per column)" : " (the model's columns, in order)"));
    }
    ++r;
  }
  if (r == 0) return Status::InvalidArgument(std::string(field) + " has no rows");
  out->n_rows = r;
  return Status::Ok();
}

// {"col": [cells], ...}: one list per column, all of one length.
Status DecodeColumns(od::object& columns, std::string_view field, const InputSpec& spec, InferenceRequest* out) {
  ColumnMapper mapper(spec);
  const size_t nf = spec.n_features;
  size_t n = 0;
  bool first = true;
  for (auto field_r : columns) {
    od::field f;
    if (auto e = std::move(field_r).get(f)) return Malformed(e);
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return Malformed(e);
    INFERD_ASSIGN_OR_RETURN(long col, mapper.Add(key));
    if (col < 0) continue;
    auto where = [&] { return std::string(field) + "['" + std::string(key) + "']"; };
    od::array values;
    if (f.value().get_array().get(values) != simdjson::SUCCESS) {
      return Status::InvalidArgument(where() + " must be a list of values");
    }
    size_t count = 0;
    if (auto e = values.count_elements().get(count)) return Malformed(e);
    if (first) {
      if (count == 0) return Status::InvalidArgument(std::string(field) + " has no rows");
      if (count > spec.max_rows) return TooManyRows(field, spec);
      n = count;
      out->x.assign(n * nf, kNaN);
      first = false;
    } else if (count != n) {
      return Status::InvalidArgument(where() + " has " + std::to_string(count) + " values but earlier columns have " +
                                     std::to_string(n));
    }
    size_t r = 0;
    for (auto v_r : values) {
      od::value v;
      if (auto e = std::move(v_r).get(v)) return Malformed(e);
      if (r >= n) break;
      Status st = DecodeJsonCell(v, spec, static_cast<size_t>(col), &out->x[r * nf + static_cast<size_t>(col)]);
      if (!st.ok()) return st.WithPrefix(where() + "[" + std::to_string(r) + "]");
      ++r;
    }
  }
  INFERD_RETURN_IF_ERROR(mapper.CheckComplete().WithPrefix(field));
  out->n_rows = n;
  return Status::Ok();
}

// {"columns": [...], "data": [[...], ...], "index": [...]} (pandas' orient="split").
Status DecodeSplit(od::value& value, const InputSpec& spec, InferenceRequest* out) {
  od::object split;
  if (value.get_object().get(split) != simdjson::SUCCESS) {
    return Status::InvalidArgument("dataframe_split must be an object with \"columns\" and \"data\"");
  }
  bool has_columns = false, has_data = false;
  for (auto field_r : split) {
    od::field f;
    if (auto e = std::move(field_r).get(f)) return Malformed(e);
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return Malformed(e);
    if (key == "columns") {
      has_columns = true;
    } else if (key == "data") {
      has_data = true;
    } else if (key != "index") {
      return Status::InvalidArgument("dataframe_split has an unexpected key '" + std::string(key.substr(0, 64)) +
                                     "' (expected columns, data and index)");
    }
  }
  if (!has_data) return Status::InvalidArgument("dataframe_split needs \"data\" (a list of rows)");
  if (auto e = split.reset().error()) return Malformed(e);
  std::vector<long> columns;
  if (has_columns) {
    od::array names_json;
    if (split.find_field_unordered("columns").get_array().get(names_json) != simdjson::SUCCESS) {
      return Status::InvalidArgument("dataframe_split['columns'] must be a list of column names");
    }
    std::vector<std::string> names;
    for (auto name_r : names_json) {
      od::value name;
      if (auto e = std::move(name_r).get(name)) return Malformed(e);
      od::json_type type;
      if (auto e = name.type().get(type)) return Malformed(e);
      if (type == od::json_type::string) {
        std::string_view s;
        if (auto e = name.get_string().get(s)) return Malformed(e);
        names.emplace_back(s);
      } else if (type == od::json_type::number) {
        // pandas' default column labels are integers (a DataFrame built from a matrix).
        names.emplace_back(Trim(name.raw_json_token()));
      } else {
        return Status::InvalidArgument(std::string("dataframe_split['columns'] must hold column names (got ") +
                                       JsonTypeName(type) + ")");
      }
    }
    StatusOr<std::vector<long>> mapped = MapColumns(names, spec);
    if (!mapped.ok()) return mapped.status().WithPrefix("dataframe_split['columns']");
    columns = std::move(mapped).value();
  }
  od::value data;
  if (auto e = split.find_field_unordered("data").get(data)) return Malformed(e);
  return DecodeRows(data, "dataframe_split['data']", spec, has_columns ? &columns : nullptr, RowForms::kLists, out);
}

Status DecodeParams(od::value& value, InferenceRequest* out) {
  od::object params;
  if (value.get_object().get(params) != simdjson::SUCCESS) {
    return Status::InvalidArgument("params must be a JSON object");
  }
  for (auto field_r : params) {
    od::field f;
    if (auto e = std::move(field_r).get(f)) return Malformed(e);
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return Malformed(e);
    if (key == "explain") {
      std::string_view form;
      if (f.value().get_string().get(form) != simdjson::SUCCESS ||
          !ParseContributionRequest(form, &out->contributions_form)) {
        return Status::InvalidArgument("params['explain'] must be \"columns\" or \"features\"");
      }
      continue;
    }
    if (key != "predict_method") continue;  // other params: ignored, as MLflow does without a params schema
    std::string_view method;
    OutputKind kind;
    if (f.value().get_string().get(method) != simdjson::SUCCESS || !ParseOutputKind(method, &kind)) {
      return Status::InvalidArgument(
          "params['predict_method'] must be \"predict\", \"predict_proba\", \"decision_function\", "
          "\"transform\", \"raw_score\" or \"contributions\"");
    }
    out->outputs.assign(1, kind);
  }
  return Status::Ok();
}

std::string ExactlyOneMessage(const std::vector<std::string>& keys, size_t n_keys) {
  std::string m =
      "Invalid input. The input must be a JSON dictionary with exactly one of the input fields "
      "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}. Received dictionary with input fields: [";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) m += ", ";
    m += "'" + keys[i] + "'";
  }
  if (n_keys > keys.size()) m += ", ...";
  return m + "].";
}

}  // namespace

StatusOr<MlflowContent> ParseMlflowContentType(std::string_view content_type) {
  const std::string supported =
      "This predictor only supports the following content types: ['text/csv', "
      "'application/json'].";
  if (content_type.size() > 256) return Status::InvalidArgument(supported + " Got a Content-Type of over 256 bytes.");
  size_t semi = content_type.find(';');
  const std::string mime = Lower(Trim(content_type.substr(0, semi)));
  MlflowContent kind;
  if (mime == "application/json") {
    kind = MlflowContent::kJson;
  } else if (mime == "text/csv") {
    kind = MlflowContent::kCsv;
  } else {
    return Status::InvalidArgument(supported + " Got '" + std::string(content_type) + "'.");
  }
  while (semi != std::string_view::npos) {
    const size_t start = semi + 1;
    semi = content_type.find(';', start);
    std::string_view param = Trim(content_type.substr(start, semi == std::string_view::npos ? semi : semi - start));
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    const std::string name = Lower(Trim(param.substr(0, eq)));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (name != "charset") {
      return Status::InvalidArgument("Unrecognized content type parameter '" + name +
                                     "'. The only supported parameter is charset.");
    }
    const std::string charset = Lower(value);
    if (charset != "utf-8" && charset != "utf8") {
      return Status::InvalidArgument("The scoring server only supports UTF-8 (got charset '" + std::string(value) +
                                     "').");
    }
  }
  return kind;
}

Status DecodeMlflowJson(std::string_view body, const InputSpec& spec, InferenceRequest* out) {
  t_padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  t_padded.assign(body.data(), body.size());
  od::document doc;
  if (auto e = t_parser.iterate(t_padded.data(), t_padded.size(), t_padded.capacity()).get(doc)) return Malformed(e);
  od::json_type type;
  if (auto e = doc.type().get(type)) return Malformed(e);
  if (type != od::json_type::object) {
    return NotAnObject(body, type, "Invalid input. The input must be a JSON dictionary");
  }

  // First pass: the keys only (values are skipped), so that the format is known before any
  // value is decoded.
  od::object obj;
  if (auto e = doc.get_object().get(obj)) return Malformed(e);
  std::vector<std::string> keys;
  size_t n_keys = 0, n_formats = 0;
  std::string format;
  for (auto field_r : obj) {
    od::field f;
    if (auto e = std::move(field_r).get(f)) return Malformed(e);
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return Malformed(e);
    if (IsFormat(key)) {
      ++n_formats;
      format = std::string(key);
    }
    if (key != "params" && ++n_keys <= kMaxKeysInMessage) keys.emplace_back(key.substr(0, 64));
  }
  // ondemand parses lazily; a document that continues after the object leaves the iterator
  // short of the end (current_location() fails only at the end).
  if (doc.current_location().error() == simdjson::SUCCESS) {
    return Status::InvalidArgument("malformed JSON: unexpected content after the request object");
  }
  if (n_formats != 1) return Status::InvalidArgument(ExactlyOneMessage(keys, n_keys));

  doc.rewind();
  if (auto e = doc.get_object().get(obj)) return Malformed(e);
  for (auto field_r : obj) {
    od::field f;
    if (auto e = std::move(field_r).get(f)) return Malformed(e);
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return Malformed(e);
    od::value& value = f.value();
    if (key == "params") {
      INFERD_RETURN_IF_ERROR(DecodeParams(value, out));
    } else if (key == "dataframe_split") {
      INFERD_RETURN_IF_ERROR(DecodeSplit(value, spec, out));
    } else if (key == "dataframe_records") {
      INFERD_RETURN_IF_ERROR(DecodeRows(value, "dataframe_records", spec, nullptr, RowForms::kObjects, out));
    } else if (key == "instances") {
      INFERD_RETURN_IF_ERROR(DecodeRows(value, "instances", spec, nullptr, RowForms::kEither, out));
    } else if (key == "inputs") {
      od::json_type t;
      if (auto e = value.type().get(t)) return Malformed(e);
      if (t == od::json_type::object) {
        od::object columns;
        if (auto e = value.get_object().get(columns)) return Malformed(e);
        INFERD_RETURN_IF_ERROR(DecodeColumns(columns, "inputs", spec, out));
      } else {
        INFERD_RETURN_IF_ERROR(DecodeRows(value, "inputs", spec, nullptr, RowForms::kEither, out));
      }
    }
  }
  return Status::Ok();
}

Status DecodeMlflowCsv(std::string_view body, const InputSpec& spec, InferenceRequest* out) {
  CsvReader reader(body);
  std::vector<std::string>& cells = t_cells;
  size_t n = 0;
  bool more = false;
  INFERD_RETURN_IF_ERROR(reader.Next(&cells, &n, &more));
  if (!more)
    return Status::InvalidArgument("the CSV body is empty (expected a header row naming the columns, then rows)");
  const std::vector<std::string> names(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(n));
  StatusOr<std::vector<long>> mapped = MapColumns(names, spec);
  if (!mapped.ok()) return mapped.status().WithPrefix("CSV header");
  const std::vector<long>& columns = *mapped;
  const size_t nf = spec.n_features;
  size_t r = 0;
  for (;;) {
    INFERD_RETURN_IF_ERROR(reader.Next(&cells, &n, &more));
    if (!more) break;
    auto where = [&] { return "CSV line " + std::to_string(reader.record_line()); };
    if (r >= spec.max_rows) return TooManyRows("the CSV body", spec);
    if (n != columns.size()) {
      return Status::InvalidArgument(where() + " has " + std::to_string(n) + " fields; the header has " +
                                     std::to_string(columns.size()));
    }
    const size_t start = out->x.size();
    out->x.resize(start + nf, kNaN);
    double* x = out->x.data() + start;
    for (size_t c = 0; c < n; ++c) {
      const long col = columns[c];
      if (col < 0) continue;
      Status st = DecodeTextCell(cells[c], spec, static_cast<size_t>(col), &x[col]);
      if (!st.ok()) return st.WithPrefix(where());
    }
    ++r;
  }
  if (r == 0) return Status::InvalidArgument("the CSV body has a header but no rows");
  out->n_rows = r;
  return Status::Ok();
}

void EncodeMlflowPredictions(const InferenceResult& result, std::string* out) {
  // MLflow's scoring server writes {"predictions": <the array's tolist()>}: V1's shape.
  EncodeV1Predictions(result, out);
  const OutputTensor& t = result.outputs[0];
  if (t.kind != OutputKind::kContributions) return;
  // Contributions are positional: which features they are for follows the predictions.
  out->resize(out->size() - 2);  // "}\n"
  *out += ",\"contributions_of\":\"";
  *out += ContributionsOf(t);
  *out += "\",\"features\":";
  AppendContributionFeatureNames(*result.served->model, t, out);
  *out += "}\n";
}

}  // namespace inferd
