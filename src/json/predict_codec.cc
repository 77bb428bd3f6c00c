#include "json/predict_codec.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include <simdjson.h>

#include "common/json_number.h"
#include "json/table_cells.h"

namespace inferd {
namespace {

namespace od = simdjson::ondemand;

// Per-thread parser and padded copy of the body: simdjson needs SIMDJSON_PADDING readable
// bytes past the end; copying a request body (typically < 1 KiB) is cheaper than a
// reallocation of the caller's buffer and keeps the API a plain string_view.
thread_local od::parser t_parser;
thread_local std::string t_padded;

// Where a value sits in the request, rendered only when an error is reported.
struct Where {
  bool batch = false;
  size_t row = 0;

  std::string Row() const { return batch ? "instances[" + std::to_string(row) + "]" : std::string("features"); }
  std::string Cell(size_t col) const { return Row() + "[" + std::to_string(col) + "]"; }
};

Status Malformed(simdjson::error_code e) {
  return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

Status DecodeNumber(od::value& v, const Where& where, size_t col, bool allow_missing, double* out) {
  od::json_type type;
  if (v.type().get(type) != simdjson::SUCCESS) {
    // Not a JSON value at all. Python's json.dumps writes NaN/Infinity as bare words, so name
    // them: they are the likeliest way a client sends a non-finite number.
    std::string_view token = v.raw_json_token();
    {
      if (StartsWith(token, "NaN")) {
        if (allow_missing) {
          *out = std::numeric_limits<double>::quiet_NaN();
          return Status::Ok();
        }
        return Status::InvalidArgument(where.Cell(col) + " is NaN, which this model does not accept");
      }
      if (StartsWith(token, "Infinity") || StartsWith(token, "-Infinity")) {
        return Status::InvalidArgument(where.Cell(col) + " is Infinity, which is not allowed");
      }
    }
    return Status::InvalidArgument("malformed JSON: " + where.Cell(col) + " is not a valid JSON value");
  }
  if (type == od::json_type::number) {
    double d;
    if (v.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d)) {
      if (StartsWith(v.raw_json_token(), "-Infinity")) {
        return Status::InvalidArgument(where.Cell(col) + " is Infinity, which is not allowed");
      }
      return Status::InvalidArgument(where.Cell(col) + " is not a finite number");
    }
    *out = d;
    return Status::Ok();
  }
  if (type == od::json_type::null && allow_missing) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return Status::Ok();
  }
  return Status::InvalidArgument(where.Cell(col) + " is not a number (got " + JsonTypeName(type) + ")");
}

// How the rows of one request are written; a request uses one form.
enum class RowForm { kUnknown, kPositional, kNamed };

// One row: an array in the model's column order, or an object by column name.
Status DecodeRow(od::value& v, const Where& where, const InputSpec& options, RowForm* form, std::vector<double>* x) {
  od::json_type type;
  if (auto e = v.type().get(type)) return Malformed(e);
  if (type == od::json_type::object) {
    if (*form == RowForm::kPositional) {
      return Status::InvalidArgument(where.Row() +
                                     " is an object but earlier rows are arrays; send every row by column name "
                                     "or every row as an array");
    }
    *form = RowForm::kNamed;
    od::object obj;
    if (auto e = v.get_object().get(obj)) return Malformed(e);
    const size_t start = x->size();
    x->resize(start + options.n_features);
    Status s = DecodeJsonNamedRow(obj, options, x->data() + start);
    if (!s.ok()) return s.WithPrefix(where.Row());
    return Status::Ok();
  }
  if (type != od::json_type::array) {
    return Status::InvalidArgument(where.Row() + " must be an array of values or an object by column name (got " +
                                   JsonTypeName(type) + ")");
  }
  if (*form == RowForm::kNamed) {
    return Status::InvalidArgument(where.Row() +
                                   " is an array but earlier rows are objects; send every row by column name or "
                                   "every row as an array");
  }
  *form = RowForm::kPositional;
  od::array arr;
  if (auto e = v.get_array().get(arr)) return Malformed(e);
  size_t count = 0;
  for (auto elem_r : arr) {
    od::value elem;
    if (auto e = std::move(elem_r).get(elem)) return Malformed(e);
    // Values past the expected width are only counted, so the error can say how many came.
    if (count < options.n_features) {
      double d;
      if (ColumnType(options, count) == InputColumn::Type::kNumber) {
        INFERD_RETURN_IF_ERROR(DecodeNumber(elem, where, count, MissingAllowed(options, count), &d));
      } else {
        Status s = DecodeJsonCell(elem, options, count, &d);
        if (!s.ok()) return s.WithPrefix(where.Cell(count));
      }
      x->push_back(d);
    }
    ++count;
  }
  if (count != options.n_features) {
    std::string msg = where.batch ? where.Row() + ": " : std::string();
    msg += "expected " + std::to_string(options.n_features) + " features, got " + std::to_string(count);
    return Status::InvalidArgument(std::move(msg));
  }
  return Status::Ok();
}

Status DecodeBatch(od::value& v, const InputSpec& options, InferenceRequest* out) {
  od::json_type type;
  if (auto e = v.type().get(type)) return Malformed(e);
  if (type != od::json_type::array) {
    return Status::InvalidArgument(std::string("instances must be an array of rows (got ") + JsonTypeName(type) + ")");
  }
  od::array arr;
  if (auto e = v.get_array().get(arr)) return Malformed(e);
  Where where{true, 0};
  RowForm form = RowForm::kUnknown;
  for (auto row_r : arr) {
    od::value row;
    if (auto e = std::move(row_r).get(row)) return Malformed(e);
    if (where.row >= options.max_rows) {
      return Status::ResourceExhausted("instances has more than " + std::to_string(options.max_rows) +
                                       " rows (the server's --max-batch-rows)");
    }
    INFERD_RETURN_IF_ERROR(DecodeRow(row, where, options, &form, &out->x));
    ++where.row;
  }
  if (where.row == 0) return Status::InvalidArgument("instances is empty");
  out->n_rows = where.row;
  return Status::Ok();
}

void AppendLabelOrValue(const Model& model, const OutputTensor& t, size_t row, std::string* out) {
  if (t.classes != nullptr) {
    *out += model.classes()[static_cast<size_t>(t.classes[row])].json;
    return;
  }
  const double* v = t.values + row * t.width;
  if (!t.two_d) {
    AppendPythonFloat(v[0], out);
    return;
  }
  // Multi-target regressor: prediction.tolist()[row] is a list.
  *out += '[';
  for (size_t k = 0; k < t.width; ++k) {
    if (k) *out += ',';
    AppendPythonFloat(v[k], out);
  }
  *out += ']';
}

void AppendProbaObject(const Model& model, const double* p, std::string* out) {
  const std::vector<Label>& classes = model.classes();
  *out += '{';
  for (size_t k = 0; k < classes.size(); ++k) {
    if (k) *out += ',';
    *out += classes[k].json_key;
    *out += ':';
    AppendPythonFloat(p[k], out);
  }
  *out += '}';
}

// The key of contribution group g: the class label when the groups are the classes, else g.
void AppendGroupKey(const Model& model, size_t groups, size_t g, std::string* out) {
  if (model.classes().size() == groups) {
    *out += model.classes()[g].json_key;
  } else {
    *out += '"';
    *out += std::to_string(g);
    *out += '"';
  }
}

// The name of feature f of contributions tensor `t`: its transformed feature, or input column.
void AppendFeatureName(const Model& model, const OutputTensor& t, size_t f, std::string* out) {
  if (t.feature_names != nullptr) return AppendJsonString((*t.feature_names)[f], out);
  const std::vector<InputColumn>& columns = model.input_schema().columns();
  AppendJsonString(f < columns.size() ? columns[f].name : "x" + std::to_string(f), out);
}

// One row's contributions of group g: {"<feature>": c, ...}.
void AppendContributionObject(const Model& model, const OutputTensor& t, const double* c, std::string* out) {
  const size_t nf = t.width / t.groups - 1;
  *out += '{';
  for (size_t f = 0; f < nf; ++f) {
    if (f) *out += ',';
    AppendFeatureName(model, t, f, out);
    *out += ':';
    AppendPythonFloat(c[f], out);
  }
  *out += '}';
}

// ,"contributions":...,"bias":... for one row (`row`) or every row (a list per key).
void AppendContributions(const Model& model, const OutputTensor& t, std::optional<size_t> row, std::string* out) {
  const size_t groups = t.groups, stride = t.width / groups;  // stride = n_features + 1
  const size_t first = row ? *row : 0, last = row ? *row + 1 : t.n_rows;
  auto each_row = [&](auto&& append) {
    if (!row) *out += '[';
    for (size_t r = first; r < last; ++r) {
      if (r != first) *out += ',';
      if (groups == 1) {
        append(t.values + r * t.width);
        continue;
      }
      *out += '{';
      for (size_t g = 0; g < groups; ++g) {
        if (g) *out += ',';
        AppendGroupKey(model, groups, g, out);
        *out += ':';
        append(t.values + r * t.width + g * stride);
      }
      *out += '}';
    }
    if (!row) *out += ']';
  };
  *out += ",\"contributions\":";
  each_row([&](const double* c) { AppendContributionObject(model, t, c, out); });
  *out += ",\"bias\":";
  each_row([&](const double* c) { AppendPythonFloat(c[stride - 1], out); });
  *out += ",\"contributions_of\":\"";
  *out += ContributionsOf(t);
  *out += '"';
}

}  // namespace

Status DecodePredictRequest(std::string_view body, const InputSpec& options, InferenceRequest* out,
                            PredictFlags* flags) {
  *flags = PredictFlags{};
  t_padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  t_padded.assign(body.data(), body.size());

  od::document doc;
  if (auto e = t_parser.iterate(t_padded.data(), t_padded.size(), t_padded.capacity()).get(doc)) {
    return Malformed(e);
  }
  od::json_type type;
  if (auto e = doc.type().get(type)) return Malformed(e);
  if (type != od::json_type::object) return NotAnObject(body, type, "request body must be a JSON object");
  od::object obj;
  if (auto e = doc.get_object().get(obj)) return Malformed(e);

  bool have_features = false, have_instances = false, have_proba = false, have_explain = false;
  for (auto field_r : obj) {
    od::field field;
    if (auto e = std::move(field_r).get(field)) return Malformed(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Malformed(e);
    od::value& value = field.value();
    if (key == "features") {
      if (have_features) return Status::InvalidArgument("duplicate key \"features\"");
      have_features = true;
      out->x.reserve(options.n_features);
      RowForm form = RowForm::kUnknown;
      INFERD_RETURN_IF_ERROR(DecodeRow(value, Where{}, options, &form, &out->x));
      out->n_rows = 1;
      out->single_row = true;
    } else if (key == "instances") {
      if (have_instances) return Status::InvalidArgument("duplicate key \"instances\"");
      have_instances = true;
      INFERD_RETURN_IF_ERROR(DecodeBatch(value, options, out));
    } else if (key == "proba") {
      if (have_proba) return Status::InvalidArgument("duplicate key \"proba\"");
      have_proba = true;
      bool b;
      if (value.get_bool().get(b) != simdjson::SUCCESS) {
        return Status::InvalidArgument("\"proba\" must be true or false");
      }
      flags->proba = b;
    } else if (key == "explain") {
      if (have_explain) return Status::InvalidArgument("duplicate key \"explain\"");
      have_explain = true;
      bool b;
      std::string_view form;
      if (value.get_bool().get(b) == simdjson::SUCCESS) {
        flags->explain = b;
      } else if (value.get_string().get(form) == simdjson::SUCCESS &&
                 ParseContributionRequest(form, &flags->explain_form)) {
        flags->explain = true;
      } else {
        return Status::InvalidArgument("\"explain\" must be true, false, \"columns\" or \"features\"");
      }
    }
    // Other keys are ignored, as the reference app ignores them (the value is skipped).
  }
  // ondemand parses lazily; a document that continues after the object leaves the iterator
  // short of the end (current_location() fails only at the end).
  if (doc.current_location().error() == simdjson::SUCCESS)
    return Status::InvalidArgument("malformed JSON: unexpected content after the request object");
  if (have_features && have_instances) {
    return Status::InvalidArgument("request has both \"features\" and \"instances\"; send one of them");
  }
  if (!have_features && !have_instances) {
    return Status::InvalidArgument("request must have \"features\" (one row) or \"instances\" (a batch of rows)");
  }
  return Status::Ok();
}

void EncodePrediction(const InferenceResult& r, std::string* out) {
  const Model& model = *r.served->model;
  const OutputTensor& t = r.outputs[0];
  const double* proba = nullptr;
  const OutputTensor* contributions = nullptr;
  for (size_t i = 1; i < r.outputs.size(); ++i) {
    if (r.outputs[i].kind == OutputKind::kPredictProba) proba = r.outputs[i].values;
    if (r.outputs[i].kind == OutputKind::kContributions) contributions = &r.outputs[i];
  }
  if (r.request->single_row) {
    *out += "{\"prediction\":";
    AppendLabelOrValue(model, t, 0, out);
    if (proba != nullptr) {
      *out += ",\"probabilities\":";
      AppendProbaObject(model, proba, out);
    }
    if (contributions != nullptr) AppendContributions(model, *contributions, 0, out);
    *out += "}\n";
    return;
  }
  *out += "{\"predictions\":[";
  for (size_t i = 0; i < t.n_rows; ++i) {
    if (i) *out += ',';
    AppendLabelOrValue(model, t, i, out);
  }
  *out += ']';
  if (proba != nullptr) {
    *out += ",\"probabilities\":[";
    size_t k = model.classes().size();
    for (size_t i = 0; i < t.n_rows; ++i) {
      if (i) *out += ',';
      AppendProbaObject(model, proba + i * k, out);
    }
    *out += ']';
  }
  if (contributions != nullptr) AppendContributions(model, *contributions, std::nullopt, out);
  *out += "}\n";
}

void AppendRowContributions(const Model& model, const OutputTensor& t, size_t row, std::string* out) {
  const size_t groups = t.groups, stride = t.width / groups;
  const double* c = t.values + row * t.width;
  *out += "\"contributions\":";
  if (groups == 1) {
    AppendContributionObject(model, t, c, out);
    *out += ",\"bias\":";
    AppendPythonFloat(c[stride - 1], out);
    return;
  }
  for (int part = 0; part < 2; ++part) {
    if (part == 1) *out += ",\"bias\":";
    *out += '{';
    for (size_t g = 0; g < groups; ++g) {
      if (g) *out += ',';
      AppendGroupKey(model, groups, g, out);
      *out += ':';
      if (part == 0) {
        AppendContributionObject(model, t, c + g * stride, out);
      } else {
        AppendPythonFloat(c[g * stride + stride - 1], out);
      }
    }
    *out += '}';
  }
}

void EncodeError(std::string_view message, std::string* out) {
  *out += "{\"error\":";
  AppendJsonString(std::string(message), out);
  *out += "}\n";
}

const char* ContributionsOf(const OutputTensor& t) { return ContributionFormName(t.contributions_form); }

void AppendContributionFeatureNames(const Model& model, const OutputTensor& t, std::string* out) {
  const size_t nf = t.width / t.groups - 1;
  *out += '[';
  for (size_t f = 0; f < nf; ++f) {
    if (f) *out += ',';
    AppendFeatureName(model, t, f, out);
  }
  *out += ']';
}

}  // namespace inferd
