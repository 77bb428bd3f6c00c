#include "http/protocols/web_ui.h"

#include <memory>

#include "common/json_number.h"
#include "http/web_ui_html.h"  // generated: embedded::kWebUiHtml
#include "inferd/input_schema.h"

namespace inferd::http {
namespace {

constexpr std::string_view kBootMarker = "<!--INFERD_BOOT-->";

// Only the same origin, inline code and data: URLs (the empty favicon): the page cannot reach
// anything but this server even if a model name were crafted to look like markup.
constexpr std::string_view kHeaders =
    "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Cache-Control: no-store\r\n";

void AppendScriptSafeJsonString(const std::string& s, std::string* out) {
  std::string quoted;
  AppendJsonString(s, &quoted);
  for (char c : quoted) {
    if (c == '<') {
      *out += "\\u003c";
    } else {
      *out += c;
    }
  }
}

// Categories inlined per string column; a column with more gets a free text field on the page.
constexpr size_t kBootCategories = 1000;

void AppendBootInputs(const ServedModel& served, std::string* out) {
  const Model& m = *served.model;
  const InputSchema& schema = m.input_schema();
  *out += "{\"model\":";
  AppendScriptSafeJsonString(served.name, out);
  *out += std::string(",\"named\":") + (schema.named() ? "true" : "false") +
          ",\"accepts_missing\":" + (m.accepts_missing() ? "true" : "false") + ",\"columns\":[";
  for (size_t c = 0; c < m.n_features(); ++c) {
    if (c) *out += ',';
    if (c >= schema.size()) {  // a model built in code without a schema: numbers named x0, x1, ...
      *out += "{\"name\":\"x" + std::to_string(c) + "\",\"type\":\"number\"}";
      continue;
    }
    const InputColumn& col = schema.columns()[c];
    *out += "{\"name\":";
    AppendScriptSafeJsonString(col.name, out);
    *out += ",\"type\":\"";
    *out += InputTypeName(col.type);
    *out += '"';
    if (col.type == InputColumn::Type::kString) {
      *out += ",\"categories\":[";
      for (size_t k = 0; k < col.categories.size() && k < kBootCategories; ++k) {
        if (k) *out += ',';
        AppendScriptSafeJsonString(col.categories[k], out);
      }
      *out += "],\"n_categories\":" + std::to_string(col.categories.size()) +
              ",\"unknown_is_error\":" + (col.unknown_is_error ? "true" : "false");
    }
    *out += '}';
  }
  *out += "]}";
}

}  // namespace

std::string_view WebUiTemplate() { return embedded::kWebUiHtml; }

void AppendWebUiBoot(const ModelManager& models, std::string_view server_version, std::string* out) {
  *out += "{\"server_version\":";
  AppendScriptSafeJsonString(std::string(server_version), out);
  *out += ",\"default_model\":";
  AppendScriptSafeJsonString(models.default_name(), out);
  *out += ",\"models\":[";
  auto catalog = models.catalog();
  bool first = true;
  for (const auto& [name, versions] : catalog->models) {
    if (versions.empty()) continue;
    if (!first) *out += ',';
    first = false;
    AppendScriptSafeJsonString(name, out);
  }
  *out += "],\"inputs\":";
  std::shared_ptr<const ServedModel> default_model = models.Get();
  if (default_model != nullptr) {
    AppendBootInputs(*default_model, out);
  } else {
    *out += "null";
  }
  *out += '}';
}

void RegisterWebUiRoute(const ModelManager* models, std::string server_version, Router* router) {
  router->Add(Verb::get, "/", [models, version = std::move(server_version)](const Request&, Response* resp) {
    std::string_view page = embedded::kWebUiHtml;
    size_t at = page.find(kBootMarker);
    resp->content_type = "text/html; charset=utf-8";
    resp->extra_headers += kHeaders;
    if (at == std::string_view::npos) {  // the page falls back to an empty bootstrap
      resp->body.assign(page.data(), page.size());
      return;
    }
    resp->body.reserve(page.size() + 256);
    resp->body.assign(page.data(), at);
    AppendWebUiBoot(*models, version, &resp->body);
    resp->body.append(page.substr(at + kBootMarker.size()));
  });
}

}  // namespace inferd::http
