#include "http/protocols/openapi.h"

#include "http/openapi_json.h"  // generated: embedded::kOpenApiJson

namespace inferd::http {

std::string_view OpenApiDocument() { return embedded::kOpenApiJson; }

void RegisterOpenApiRoute(Router* router) {
  router->Add(Verb::get, "/openapi.json", [](const Request&, Response* resp) {
    resp->body.assign(embedded::kOpenApiJson.data(), embedded::kOpenApiJson.size());
  });
}

}  // namespace inferd::http
