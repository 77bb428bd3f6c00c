#include "http/protocols/web_ui.h"

#include "common/json_number.h"
#include "http/web_ui_html.h"  // generated: embedded::kWebUiHtml

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
  *out += "]}";
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
