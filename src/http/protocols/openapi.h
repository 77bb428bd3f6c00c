// GET /openapi.json: the OpenAPI 3.0 document of every endpoint. The bytes are the repository's
// src/http/ui/openapi.json (docs/openapi.json links to it), compiled in at build time by
// src/http/ui/embed.cmake, so the served document and the repository's cannot diverge.
//
// Thread safety: the handler only reads static data.
#ifndef INFERD_HTTP_PROTOCOLS_OPENAPI_H_
#define INFERD_HTTP_PROTOCOLS_OPENAPI_H_

#include <string_view>

#include "http/router.h"

namespace inferd::http {

// The embedded document (static storage, valid for the life of the process).
std::string_view OpenApiDocument();

// Registers GET /openapi.json.
void RegisterOpenApiRoute(Router* router);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_OPENAPI_H_
