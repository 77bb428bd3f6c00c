#include "http/protocols/openapi.h"

#include <utility>

#include "common/json_number.h"
#include "http/openapi_json.h"  // generated: embedded::kOpenApiJson
#include "inferd/input_schema.h"

namespace inferd::http {
namespace {

// Category names listed in the description of a string column that accepts others.
constexpr size_t kCategoriesListed = 50;

// [begin, end) of the JSON object that is the value of `"<name>": ` in the document (the
// embedded document is trusted; an absent name is a build error caught by web_ui_test).
std::pair<size_t, size_t> ObjectSpan(std::string_view doc, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\": {";
  const size_t at = doc.find(key);
  if (at == std::string_view::npos) return {0, 0};
  const size_t begin = at + key.size() - 1;
  int depth = 0;
  bool in_string = false;
  for (size_t i = begin; i < doc.size(); ++i) {
    const char c = doc[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return {begin, i + 1};
    }
  }
  return {0, 0};
}

struct Spans {
  std::pair<size_t, size_t> row, named_row;
};

const Spans& DocumentSpans() {
  static const Spans spans{ObjectSpan(embedded::kOpenApiJson, "ModelRow"),
                           ObjectSpan(embedded::kOpenApiJson, "ModelNamedRow")};
  return spans;
}

std::string Quote(const std::string& s) {
  std::string q;
  AppendJsonString(s, &q);
  return q;
}

// The schema of one cell of `col`.
void AppendCellSchema(const InputColumn& col, bool accepts_missing, std::string* out) {
  switch (col.type) {
    case InputColumn::Type::kNumber:
      *out += "{\"type\": \"number\"";
      if (accepts_missing) *out += ", \"nullable\": true";
      *out += "}";
      return;
    case InputColumn::Type::kAny: *out += "{\"description\": \"Not read by the model (any value).\"}"; return;
    case InputColumn::Type::kString: break;
  }
  *out += "{\"type\": \"string\"";
  if (col.unknown_is_error && !col.categories.empty()) {
    // The model refuses other strings (and None): the categories are the allowed values.
    *out += ", \"enum\": [";
    for (size_t k = 0; k < col.categories.size(); ++k) {
      if (k) *out += ", ";
      *out += Quote(col.categories[k]);
    }
    *out += "]}";
    return;
  }
  *out += ", \"nullable\": true";
  if (!col.categories.empty()) {
    *out += ", \"example\": " + Quote(col.categories.front());
    std::string known = "Known categories: ";
    for (size_t k = 0; k < col.categories.size() && k < kCategoriesListed; ++k) {
      if (k) known += ", ";
      known += col.categories[k];
    }
    if (col.categories.size() > kCategoriesListed) {
      known += ", ... (" + std::to_string(col.categories.size()) + " in all)";
    }
    known += "; others are accepted (the model's handle_unknown).";
    *out += ", \"description\": " + Quote(known);
  }
  *out += "}";
}

void AppendModelRow(const ServedModel& served, std::string* out) {
  const Model& m = *served.model;
  const InputSchema& schema = m.input_schema();
  const size_t n = m.n_features();
  std::string desc = "One row of model '" + served.name + "' (version " + served.version + "): " + std::to_string(n) +
                     " values in its column order";
  if (!schema.empty()) {
    desc += ": ";
    for (size_t c = 0; c < schema.size(); ++c) {
      if (c) desc += ", ";
      if (c == 16 && schema.size() > 17) {
        desc += "... " + schema.columns().back().name;
        break;
      }
      desc += schema.columns()[c].name + " (" + InputTypeName(schema.columns()[c].type) + ")";
    }
  }
  desc += ".";
  *out += "{\"type\": \"array\", \"minItems\": " + std::to_string(n) + ", \"maxItems\": " + std::to_string(n) +
          ", \"description\": " + Quote(desc) + ", \"items\": ";
  if (schema.has_strings()) {
    *out += "{\"anyOf\": [{\"type\": \"number\", \"nullable\": true}, {\"type\": \"string\"}]}";
  } else if (m.accepts_missing()) {
    *out += "{\"type\": \"number\", \"nullable\": true}";
  } else {
    *out += "{\"type\": \"number\"}";
  }
  *out += "}";
}

void AppendModelNamedRow(const ServedModel& served, bool ignore_extra_columns, std::string* out) {
  const Model& m = *served.model;
  const InputSchema& schema = m.input_schema();
  std::string desc = "One row of model '" + served.name + "' (version " + served.version +
                     ") by column name: every column exactly once" +
                     (ignore_extra_columns ? "; other names are ignored (--ignore-extra-columns)." : ".");
  *out += "{\"type\": \"object\", \"description\": " + Quote(desc) + ", \"properties\": {";
  for (size_t c = 0; c < schema.size(); ++c) {
    const InputColumn& col = schema.columns()[c];
    if (c) *out += ", ";
    *out += Quote(col.name) + ": ";
    AppendCellSchema(col, m.accepts_missing(), out);
  }
  *out += "}";
  if (!schema.empty()) {
    *out += ", \"required\": [";
    for (size_t c = 0; c < schema.size(); ++c) {
      if (c) *out += ", ";
      *out += Quote(schema.columns()[c].name);
    }
    *out += "]";
  }
  *out += std::string(", \"additionalProperties\": ") + (ignore_extra_columns ? "true" : "false") + "}";
}

}  // namespace

std::string_view OpenApiDocument() { return embedded::kOpenApiJson; }

void AppendOpenApiDocument(const ServedModel* model, bool ignore_extra_columns, std::string* out) {
  const std::string_view doc = embedded::kOpenApiJson;
  const Spans& spans = DocumentSpans();
  if (model == nullptr || spans.row.second == 0 || spans.named_row.second == 0) {
    out->append(doc);
    return;
  }
  // The two spans in document order.
  const bool row_first = spans.row.first < spans.named_row.first;
  const auto& a = row_first ? spans.row : spans.named_row;
  const auto& b = row_first ? spans.named_row : spans.row;
  auto fill = [&](bool row) {
    if (row) {
      AppendModelRow(*model, out);
    } else {
      AppendModelNamedRow(*model, ignore_extra_columns, out);
    }
  };
  out->reserve(out->size() + doc.size() + 1024);
  out->append(doc.substr(0, a.first));
  fill(row_first);
  out->append(doc.substr(a.second, b.first - a.second));
  fill(!row_first);
  out->append(doc.substr(b.second));
}

void RegisterOpenApiRoute(const ModelManager* models, bool ignore_extra_columns, Router* router) {
  router->Add(Verb::get, "/openapi.json", [models, ignore_extra_columns](const Request&, Response* resp) {
    std::shared_ptr<const ServedModel> model = models->Get();
    resp->body.clear();
    AppendOpenApiDocument(model.get(), ignore_extra_columns, &resp->body);
  });
}

}  // namespace inferd::http
