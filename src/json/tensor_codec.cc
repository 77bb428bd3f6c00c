#include "json/tensor_codec.h"

#include <cctype>
#include <cmath>
#include <limits>

#include <simdjson.h>

#include "common/json_number.h"
#include "json/predict_codec.h"
#include "json/table_cells.h"

namespace inferd {
namespace {

namespace dom = simdjson::dom;

thread_local dom::parser t_dom;

constexpr size_t kMaxRank = 8;

Status Malformed(simdjson::error_code e) {
  return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
}

const char* TypeName(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY: return "array";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "number";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

enum class DType { kFloat, kFloat32, kInt, kUInt, kBool, kBytes };

bool ParseDType(std::string_view s, DType* out) {
  if (s == "FP64" || s == "FP16")
    *out = DType::kFloat;
  else if (s == "FP32")
    *out = DType::kFloat32;
  else if (s == "INT8" || s == "INT16" || s == "INT32" || s == "INT64")
    *out = DType::kInt;
  else if (s == "UINT8" || s == "UINT16" || s == "UINT32" || s == "UINT64")
    *out = DType::kUInt;
  else if (s == "BOOL")
    *out = DType::kBool;
  else if (s == "BYTES")
    *out = DType::kBytes;
  else
    return false;
  return true;
}

// One element of a tensor's data -> double, checked against the datatype.
// `where()` names the element; it is called only to build an error.
template <typename WhereFn>
Status DecodeElement(dom::element e, DType dt, bool allow_missing, const WhereFn& where, double* out) {
  dom::element_type t = e.type();
  if (t == dom::element_type::NULL_VALUE ||
      (t == dom::element_type::STRING && e.get_string().value_unsafe() == kNaNCell)) {
    if (!allow_missing)
      return Status::InvalidArgument(where() + " is null, which this model does not accept (no missing values)");
    *out = std::numeric_limits<double>::quiet_NaN();
    return Status::Ok();
  }
  switch (dt) {
    case DType::kBool:
      if (t != dom::element_type::BOOL)
        return Status::InvalidArgument(where() + " must be a boolean for datatype BOOL (got " + TypeName(t) + ")");
      *out = e.get_bool().value_unsafe() ? 1.0 : 0.0;
      return Status::Ok();
    case DType::kInt:
    case DType::kUInt:
      if (t == dom::element_type::INT64) {
        if (dt == DType::kUInt && e.get_int64().value_unsafe() < 0)
          return Status::InvalidArgument(where() + " is negative for an unsigned datatype");
        *out = static_cast<double>(e.get_int64().value_unsafe());
        return Status::Ok();
      }
      if (t == dom::element_type::UINT64) {
        *out = static_cast<double>(e.get_uint64().value_unsafe());
        return Status::Ok();
      }
      return Status::InvalidArgument(
          where() + " must be an integer for an integer datatype (got " +
          (t == dom::element_type::DOUBLE ? std::string("a float") : std::string(TypeName(t))) + ")");
    case DType::kFloat:
    case DType::kFloat32: {
      double d;
      if (e.get_double().get(d) != simdjson::SUCCESS) {
        return Status::InvalidArgument(where() + " is not a number (got " + TypeName(t) + ")");
      }
      if (!std::isfinite(d)) return Status::InvalidArgument(where() + " is not a finite number");
      *out = dt == DType::kFloat32 ? static_cast<double>(static_cast<float>(d)) : d;
      return Status::Ok();
    }
    case DType::kBytes: break;
  }
  return Status::InvalidArgument("BYTES inputs are not supported: the model takes numbers");
}

// One element (flat index `index`) of input `name` for model column `col`: numbers by the
// datatype's rules (DecodeElement), BYTES strings and nulls in string columns by the table
// rules (json/table_cells.h).
Status DecodeCell(dom::element e, DType dt, const InputSpec& spec, size_t col, const std::string& name, size_t index,
                  double* out) {
  auto where = [&] { return "input '" + name + "' data[" + std::to_string(index) + "]"; };
  const bool is_null = e.type() == dom::element_type::NULL_VALUE;
  if (dt == DType::kBytes) {
    if (e.type() != dom::element_type::STRING && !is_null) {
      return Status::InvalidArgument(where() + " must be a string for datatype BYTES (got " + TypeName(e.type()) + ")");
    }
  } else if (ColumnType(spec, col) == InputColumn::Type::kString && !is_null) {
    return Status::InvalidArgument("input '" + name + "': column '" + ColumnName(spec, col) +
                                   "' takes strings (datatype BYTES)");
  } else if (!is_null || ColumnType(spec, col) != InputColumn::Type::kString) {
    return DecodeElement(e, dt, MissingAllowed(spec, col), where, out);
  }
  Status st = DecodeDomCell(e, spec, col, out);
  if (!st.ok()) return st.WithPrefix(where());
  return Status::Ok();
}

struct Input {
  std::string name;
  DType dt = DType::kFloat;
  std::vector<size_t> shape;
  size_t count = 1;
  dom::element data;
};

// Visits the elements of `data` (flat or nested arrays) in row-major order: fn(element,
// flat index). At most `limit` elements; the count is checked by the caller.
template <typename Fn>
Status ForEachElement(dom::element e, const std::string& name, size_t depth, size_t limit, size_t* n, Fn&& fn) {
  if (e.type() != dom::element_type::ARRAY) {
    if (depth == 0) return Status::InvalidArgument("input '" + name + "': data must be an array");
    if (*n >= limit) return Status::InvalidArgument("input '" + name + "': data has more elements than its shape");
    INFERD_RETURN_IF_ERROR(fn(e, *n));
    ++*n;
    return Status::Ok();
  }
  if (depth > kMaxRank) return Status::InvalidArgument("input '" + name + "': data is nested too deeply");
  dom::array arr = e.get_array().value_unsafe();  // a named value: iterating the temporary result would dangle
  for (dom::element child : arr) {
    INFERD_RETURN_IF_ERROR(ForEachElement(child, name, depth + 1, limit, n, fn));
  }
  return Status::Ok();
}

// Decodes all of `in`'s elements; element i goes to out[i * stride] and is read as column
// col_of(i).
template <typename ColOf>
Status DecodeInputData(const Input& in, const InputSpec& spec, ColOf&& col_of, double* out, size_t stride) {
  size_t n = 0;
  INFERD_RETURN_IF_ERROR(ForEachElement(in.data, in.name, 0, in.count, &n, [&](dom::element e, size_t i) {
    return DecodeCell(e, in.dt, spec, col_of(i), in.name, i, &out[i * stride]);
  }));
  if (n != in.count) {
    return Status::InvalidArgument("input '" + in.name + "': data has " + std::to_string(n) +
                                   " elements but shape needs " + std::to_string(in.count));
  }
  return Status::Ok();
}

Status DecodeV2Input(dom::element in, size_t index, const InputSpec& options, Input* out) {
  dom::object obj;
  if (in.get_object().get(obj) != simdjson::SUCCESS)
    return Status::InvalidArgument("inputs[" + std::to_string(index) + "] must be an object");
  std::string_view name, datatype;
  if (obj["name"].get_string().get(name) != simdjson::SUCCESS)
    return Status::InvalidArgument("inputs[" + std::to_string(index) + "] needs a string \"name\"");
  out->name = std::string(name);
  if (obj["datatype"].get_string().get(datatype) != simdjson::SUCCESS)
    return Status::InvalidArgument("input '" + out->name + "' needs a string \"datatype\"");
  if (!ParseDType(datatype, &out->dt))
    return Status::InvalidArgument("input '" + out->name + "': unknown datatype '" + std::string(datatype) + "'");
  dom::array shape;
  if (obj["shape"].get_array().get(shape) != simdjson::SUCCESS)
    return Status::InvalidArgument("input '" + out->name + "' needs a \"shape\" array");
  size_t count = 1;
  for (dom::element d : shape) {
    int64_t v;
    if (d.get_int64().get(v) != simdjson::SUCCESS || v < 0)
      return Status::InvalidArgument("input '" + out->name + "': shape must be non-negative integers");
    if (out->shape.size() >= kMaxRank)
      return Status::InvalidArgument("input '" + out->name + "': shape has too many dimensions");
    out->shape.push_back(static_cast<size_t>(v));
    if (v != 0 && count > (size_t{1} << 40) / static_cast<size_t>(v))
      return Status::ResourceExhausted("input '" + out->name + "': shape is too large");
    count *= static_cast<size_t>(v);
  }
  if (out->shape.empty())
    return Status::InvalidArgument("input '" + out->name + "': shape must have at least one dimension");
  if (out->shape[0] > options.max_rows) {
    return Status::ResourceExhausted("input '" + out->name + "' has more than " + std::to_string(options.max_rows) +
                                     " rows (the server's --max-batch-rows)");
  }
  out->count = count;
  if (obj["data"].get(out->data) != simdjson::SUCCESS)
    return Status::InvalidArgument("input '" + out->name + "' needs \"data\"");
  return Status::Ok();
}

std::string ShapeString(const std::vector<size_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

// One row given by column name ({"age": 22, "sex": "male"}) into row[0, n_features).
Status DecodeNamedRowElement(dom::object obj, const InputSpec& spec, double* row) {
  ColumnMapper mapper(spec);
  for (auto field : obj) {
    INFERD_ASSIGN_OR_RETURN(long col, mapper.Add(field.key));
    if (col < 0) continue;
    INFERD_RETURN_IF_ERROR(DecodeDomCell(field.value, spec, static_cast<size_t>(col), &row[col]));
  }
  return mapper.CheckComplete();
}

// Rows (a JSON array of arrays in the model's column order, or of objects by column name;
// one form per request) -> out->x.
Status DecodeRowsElement(dom::element rows, const char* field, const InputSpec& options, InferenceRequest* out) {
  dom::array arr;
  if (rows.get_array().get(arr) != simdjson::SUCCESS)
    return Status::InvalidArgument(std::string(field) + " must be an array of rows");
  size_t r = 0;
  dom::element_type form = dom::element_type::NULL_VALUE;
  for (dom::element row : arr) {
    if (r >= options.max_rows) {
      return Status::ResourceExhausted(std::string(field) + " has more than " + std::to_string(options.max_rows) +
                                       " rows (the server's --max-batch-rows)");
    }
    auto where = [&] { return std::string(field) + "[" + std::to_string(r) + "]"; };
    const dom::element_type type = row.type();
    if (type != dom::element_type::ARRAY && type != dom::element_type::OBJECT) {
      return Status::InvalidArgument(where() + " must be an array of values or an object by column name (got " +
                                     TypeName(type) + ")");
    }
    if (form != dom::element_type::NULL_VALUE && type != form) {
      return Status::InvalidArgument(where() + " is " + (type == dom::element_type::OBJECT ? "an object" : "an array") +
                                     " but earlier rows are not; send every row by column name or every row as an "
                                     "array");
    }
    form = type;
    if (type == dom::element_type::OBJECT) {
      const size_t start = out->x.size();
      out->x.resize(start + options.n_features);
      Status st = DecodeNamedRowElement(row.get_object().value_unsafe(), options, out->x.data() + start);
      if (!st.ok()) return st.WithPrefix(where());
      ++r;
      continue;
    }
    dom::array cells = row.get_array().value_unsafe();
    size_t c = 0;
    for (dom::element cell : cells) {
      if (c < options.n_features) {
        double d;
        if (ColumnType(options, c) == InputColumn::Type::kNumber) {
          INFERD_RETURN_IF_ERROR(DecodeElement(
              cell, DType::kFloat, MissingAllowed(options, c), [&] { return where() + "[" + std::to_string(c) + "]"; },
              &d));
        } else {
          Status st = DecodeDomCell(cell, options, c, &d);
          if (!st.ok()) return st.WithPrefix(where() + "[" + std::to_string(c) + "]");
        }
        out->x.push_back(d);
      }
      ++c;
    }
    if (c != options.n_features) {
      return Status::InvalidArgument(where() + ": expected " + std::to_string(options.n_features) + " features, got " +
                                     std::to_string(c));
    }
    ++r;
  }
  if (r == 0) return Status::InvalidArgument(std::string(field) + " is empty");
  out->n_rows = r;
  return Status::Ok();
}

// Columnar input {"age": [...], "sex": [...]}: one array of values per column, all of one
// length.
Status DecodeColumnsElement(dom::object columns, const char* field, const InputSpec& options, InferenceRequest* out) {
  ColumnMapper mapper(options);
  size_t n = 0;
  bool first = true;
  const size_t nf = options.n_features;
  for (auto col_field : columns) {
    INFERD_ASSIGN_OR_RETURN(long col, mapper.Add(col_field.key));
    if (col < 0) continue;
    dom::array values;
    if (col_field.value.get_array().get(values) != simdjson::SUCCESS) {
      return Status::InvalidArgument(std::string(field) + "['" + std::string(col_field.key) +
                                     "'] must be an array of values");
    }
    if (first) {
      n = values.size();
      if (n == 0) return Status::InvalidArgument(std::string(field) + " has no rows");
      if (n > options.max_rows) {
        return Status::ResourceExhausted(std::string(field) + " has more than " + std::to_string(options.max_rows) +
                                         " rows (the server's --max-batch-rows)");
      }
      out->x.resize(n * nf);
      first = false;
    } else if (values.size() != n) {
      return Status::InvalidArgument(std::string(field) + "['" + std::string(col_field.key) + "'] has " +
                                     std::to_string(values.size()) + " values but earlier columns have " +
                                     std::to_string(n));
    }
    size_t r = 0;
    for (dom::element v : values) {
      Status st = DecodeDomCell(v, options, static_cast<size_t>(col), &out->x[r * nf + static_cast<size_t>(col)]);
      if (!st.ok())
        return st.WithPrefix(std::string(field) + "['" + std::string(col_field.key) + "'][" + std::to_string(r) + "]");
      ++r;
    }
  }
  INFERD_RETURN_IF_ERROR(mapper.CheckComplete());
  out->n_rows = n;
  return Status::Ok();
}

// Python's json.dumps writes a float NaN as the bare word NaN, which is not JSON. Each such
// word outside a string becomes the string kNaNCell, which the decoders read as NaN. Returns
// false if the body has none.
bool RewriteNaNWords(std::string_view body, std::string* out) {
  out->clear();
  bool in_string = false, found = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      *out += c;
      if (c == '\\' && i + 1 < body.size()) {
        *out += body[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    const bool word_start = i == 0 || !std::isalnum(static_cast<unsigned char>(body[i - 1]));
    const bool word_end = i + 3 >= body.size() || !std::isalnum(static_cast<unsigned char>(body[i + 3]));
    if (c == 'N' && word_start && word_end && body.substr(i, 3) == "NaN") {
      *out += "\"\\u0000NaN\"";
      i += 2;
      found = true;
      continue;
    }
    *out += c;
  }
  return found;
}

// The contributions' form from the "explain" entry of `holder` (V2: the request's
// parameters, V1: the body): "columns" or "features"; absent or true: the model's own.
Status DecodeExplainForm(dom::element holder, std::string_view what, InferenceRequest* out) {
  dom::object h;
  if (holder.get_object().get(h) != simdjson::SUCCESS) return Status::Ok();
  dom::element e;
  if (h["explain"].get(e) != simdjson::SUCCESS) return Status::Ok();
  bool b;
  std::string_view form;
  if (e.get_bool().get(b) == simdjson::SUCCESS) return Status::Ok();
  if (e.get_string().get(form) == simdjson::SUCCESS && ParseContributionRequest(form, &out->contributions_form)) {
    return Status::Ok();
  }
  return Status::InvalidArgument(std::string(what) + " must be true, false, \"columns\" or \"features\"");
}

Status ParseBody(std::string_view body, dom::element* doc) {
  if (auto e = t_dom.parse(body.data(), body.size(), true).get(*doc)) {
    thread_local std::string rewritten;
    if (body.find("NaN") == std::string_view::npos || !RewriteNaNWords(body, &rewritten)) return Malformed(e);
    if (t_dom.parse(rewritten.data(), rewritten.size(), true).get(*doc) != simdjson::SUCCESS) return Malformed(e);
  }
  if (doc->type() != dom::element_type::OBJECT) {
    return Status::InvalidArgument(std::string("request body must be a JSON object (got ") + TypeName(doc->type()) +
                                   ")");
  }
  return Status::Ok();
}

void AppendValue(const Model& model, const OutputTensor& t, size_t i, std::string* out) {
  if (t.classes != nullptr) {
    *out += model.classes()[static_cast<size_t>(t.classes[i])].json;
  } else {
    AppendPythonFloat(t.values[i], out);
  }
}

}  // namespace

Status DecodeV2InferRequest(std::string_view body, const InputSpec& options, InferenceRequest* out) {
  dom::element doc;
  INFERD_RETURN_IF_ERROR(ParseBody(body, &doc));
  dom::object obj = doc.get_object().value_unsafe();
  dom::element idv;
  if (obj["id"].get(idv) == simdjson::SUCCESS) {
    std::string_view id;
    if (idv.get_string().get(id) != simdjson::SUCCESS) return Status::InvalidArgument("\"id\" must be a string");
    out->id = std::string(id);
  }
  dom::array inputs;
  if (obj["inputs"].get_array().get(inputs) != simdjson::SUCCESS) {
    return Status::InvalidArgument("request must have an \"inputs\" array of tensors");
  }
  thread_local std::vector<Input> ins;
  ins.clear();
  size_t index = 0;
  for (dom::element in : inputs) {
    if (ins.size() >= options.n_features + 1 && !options.ignore_extra_columns) {
      return Status::InvalidArgument("too many inputs");
    }
    if (index >= 2 * options.n_features + 64) return Status::InvalidArgument("too many inputs");
    ins.emplace_back();
    INFERD_RETURN_IF_ERROR(DecodeV2Input(in, index++, options, &ins.back()));
  }
  if (ins.empty()) return Status::InvalidArgument("\"inputs\" is empty");
  const size_t nf = options.n_features;
  if (ins.size() == 1 && (ins[0].shape.size() == 2 || nf > 1)) {
    // One [N, n_features] matrix: element i is column i % n_features.
    const Input& in = ins[0];
    if (in.shape.size() != 2 || in.shape[1] != nf) {
      return Status::InvalidArgument("input '" + in.name + "' has shape " + ShapeString(in.shape) + "; expected [N," +
                                     std::to_string(nf) + "] (N rows of " + std::to_string(nf) + " features)");
    }
    out->n_rows = in.shape[0];
    out->x.resize(in.count);
    INFERD_RETURN_IF_ERROR(DecodeInputData(
        in, options, [nf](size_t i) { return i % nf; }, out->x.data(), 1));
  } else {
    // One input per column, each [N] or [N,1]: matched by name when every name is a column of
    // the model, else (a model without its own names) in request order.
    bool by_name = true;
    if (options.schema == nullptr || !options.schema->named()) {
      for (const Input& in : ins) by_name = by_name && options.schema != nullptr && options.schema->Find(in.name) >= 0;
    }
    if (!by_name && ins.size() != nf) {
      return Status::InvalidArgument("expected 1 input of shape [N," + std::to_string(nf) + "] or " +
                                     std::to_string(nf) + " inputs (one per feature), got " +
                                     std::to_string(ins.size()) + " inputs");
    }
    size_t n = ins[0].shape[0];
    for (const Input& in : ins) {
      bool ok = (in.shape.size() == 1 || (in.shape.size() == 2 && in.shape[1] == 1)) && in.shape[0] == n;
      if (!ok)
        return Status::InvalidArgument("input '" + in.name + "' has shape " + ShapeString(in.shape) +
                                       "; per-feature inputs must all be [" + std::to_string(n) + "] or [" +
                                       std::to_string(n) + ",1]");
    }
    if (n == 0) return Status::InvalidArgument("the request has no rows");
    out->n_rows = n;
    out->x.resize(n * nf);
    ColumnMapper mapper(options);
    for (size_t k = 0; k < ins.size(); ++k) {
      size_t col = k;
      if (by_name) {
        INFERD_ASSIGN_OR_RETURN(long c, mapper.Add(ins[k].name));
        if (c < 0) continue;
        col = static_cast<size_t>(c);
      }
      INFERD_RETURN_IF_ERROR(DecodeInputData(
          ins[k], options, [col](size_t) { return col; }, out->x.data() + col, nf));
    }
    if (by_name) INFERD_RETURN_IF_ERROR(mapper.CheckComplete().WithPrefix("inputs"));
  }
  if (out->n_rows == 0) return Status::InvalidArgument("the request has no rows");
  if (dom::element params; obj["parameters"].get(params) == simdjson::SUCCESS) {
    INFERD_RETURN_IF_ERROR(DecodeExplainForm(params, "parameters['explain']", out));
  }
  dom::array outputs;
  if (obj["outputs"].get_array().get(outputs) == simdjson::SUCCESS) {
    for (dom::element o : outputs) {
      std::string_view name;
      if (o["name"].get_string().get(name) != simdjson::SUCCESS)
        return Status::InvalidArgument("each requested output needs a string \"name\"");
      OutputKind k;
      if (!ParseOutputKind(name, &k)) {
        return Status::InvalidArgument(
            "unknown output '" + std::string(name) +
            "' (predict, predict_proba, decision_function, transform, raw_score, contributions)");
      }
      for (OutputKind seen : out->outputs) {
        if (seen == k) return Status::InvalidArgument("output '" + std::string(name) + "' requested twice");
      }
      out->outputs.push_back(k);
    }
  }
  return Status::Ok();
}

Status DecodeV1PredictRequest(std::string_view body, const InputSpec& options, InferenceRequest* out, bool explain) {
  dom::element doc;
  INFERD_RETURN_IF_ERROR(ParseBody(body, &doc));
  dom::object obj = doc.get_object().value_unsafe();
  if (explain) INFERD_RETURN_IF_ERROR(DecodeExplainForm(doc, "\"explain\"", out));
  dom::element instances, inputs;
  bool have_instances = obj["instances"].get(instances) == simdjson::SUCCESS;
  bool have_inputs = obj["inputs"].get(inputs) == simdjson::SUCCESS;
  if (have_instances && have_inputs)
    return Status::InvalidArgument("request has both \"instances\" and \"inputs\"; send one of them");
  if (have_instances) return DecodeRowsElement(instances, "instances", options, out);
  if (!have_inputs) return Status::InvalidArgument("request must have \"instances\" (rows) or \"inputs\" (columnar)");
  if (inputs.type() == dom::element_type::OBJECT) {
    dom::object named = inputs.get_object().value_unsafe();
    // {"<the one input>": [[...], ...]}: the columnar form of a single-tensor model; else one
    // entry per column.
    if (named.size() == 1) {
      for (auto field : named) {
        dom::array rows;
        dom::element first;
        if (field.value.get_array().get(rows) == simdjson::SUCCESS && rows.at(0).get(first) == simdjson::SUCCESS &&
            first.type() == dom::element_type::ARRAY) {
          return DecodeRowsElement(field.value, "inputs", options, out);
        }
      }
    }
    return DecodeColumnsElement(named, "inputs", options, out);
  }
  return DecodeRowsElement(inputs, "inputs", options, out);
}

const char* V2Datatype(const Model& model, const OutputTensor& t) {
  if (t.classes == nullptr) return "FP64";
  if (model.classes().empty()) return "INT64";
  switch (model.classes()[0].type) {
    case Label::Type::kInt: return "INT64";
    case Label::Type::kFloat: return "FP64";
    case Label::Type::kBool: return "BOOL";
    case Label::Type::kString: return "BYTES";
  }
  return "BYTES";
}

void EncodeV2InferResponse(const InferenceResult& result, std::string* out) {
  const Model& model = *result.served->model;
  const std::vector<OutputTensor>& outputs = result.outputs;
  *out += "{\"model_name\":";
  AppendJsonString(result.served->name, out);
  *out += ",\"model_version\":";
  AppendJsonString(result.served->version, out);
  if (!result.request->id.empty()) {
    *out += ",\"id\":";
    AppendJsonString(result.request->id, out);
  }
  *out += ",\"outputs\":[";
  for (size_t k = 0; k < outputs.size(); ++k) {
    const OutputTensor& t = outputs[k];
    if (k) *out += ',';
    *out += "{\"name\":\"";
    *out += OutputKindName(t.kind);
    *out += "\",\"datatype\":\"";
    *out += V2Datatype(model, t);
    *out += "\",\"shape\":[";
    AppendInt(static_cast<int64_t>(t.n_rows), out);
    if (t.groups > 1) {
      *out += ',';
      AppendInt(static_cast<int64_t>(t.groups), out);
      *out += ',';
      AppendInt(static_cast<int64_t>(t.width / t.groups), out);
    } else if (t.two_d) {
      *out += ',';
      AppendInt(static_cast<int64_t>(t.width), out);
    }
    *out += ']';
    if (t.kind == OutputKind::kContributions) {
      *out += ",\"parameters\":{\"contributions_of\":\"";
      *out += ContributionsOf(t);
      *out += "\",\"features\":";
      AppendContributionFeatureNames(model, t, out);
      *out += '}';
    }
    *out += ",\"data\":[";
    size_t n = t.n_rows * t.width;
    for (size_t i = 0; i < n; ++i) {
      if (i) *out += ',';
      AppendValue(model, t, i, out);
    }
    *out += "]}";
  }
  *out += "]}\n";
}

void EncodeV1Predictions(const InferenceResult& result, std::string* out) {
  const Model& model = *result.served->model;
  const OutputTensor& t = result.outputs[0];
  *out += "{\"predictions\":[";
  for (size_t r = 0; r < t.n_rows; ++r) {
    if (r) *out += ',';
    if (!t.two_d) {
      AppendValue(model, t, r, out);
      continue;
    }
    // [width] per row, or [groups][width / groups] (per-class contributions).
    const size_t inner = t.width / t.groups;
    if (t.groups > 1) *out += '[';
    for (size_t g = 0; g < t.groups; ++g) {
      if (g) *out += ',';
      *out += '[';
      for (size_t j = 0; j < inner; ++j) {
        if (j) *out += ',';
        AppendValue(model, t, r * t.width + g * inner + j, out);
      }
      *out += ']';
    }
    if (t.groups > 1) *out += ']';
  }
  *out += "]}\n";
}

void EncodeV1Explanations(const InferenceResult& result, std::string* out) {
  const Model& model = *result.served->model;
  const OutputTensor& t = result.outputs[0];
  *out += "{\"explanations\":[";
  for (size_t r = 0; r < t.n_rows; ++r) {
    if (r) *out += ',';
    *out += '{';
    AppendRowContributions(model, t, r, out);
    *out += '}';
  }
  *out += "],\"contributions_of\":\"";
  *out += ContributionsOf(t);
  *out += "\"}\n";
}

void EncodeTransform(const InferenceResult& result, std::string* out) {
  const OutputTensor& t = result.outputs[0];
  const double* values = t.values;
  const size_t n_rows = t.n_rows, width = t.width;
  const bool batch = !result.request->single_row;
  *out += "{\"transform\":";
  if (batch) *out += '[';
  for (size_t r = 0; r < n_rows; ++r) {
    if (r) *out += ',';
    *out += '[';
    for (size_t j = 0; j < width; ++j) {
      if (j) *out += ',';
      AppendPythonFloat(values[r * width + j], out);
    }
    *out += ']';
  }
  if (batch) *out += ']';
  *out += "}\n";
}

}  // namespace inferd
