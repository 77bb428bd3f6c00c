// GET /openapi.json: the OpenAPI 3.0 document of every endpoint. The bytes are the repository's
// src/http/ui/openapi.json (docs/openapi.json links to it), compiled in at build time by
// src/http/ui/embed.cmake, so the served document and the repository's cannot diverge — except
// for two schemas, ModelRow and ModelNamedRow (the rows of /predict and /transform), which the
// server fills in with the default model's columns: their count, names, types and, for string
// columns, the known categories (an `enum` when the model refuses others).
//
// Thread safety: the handler reads static data and the model catalog snapshot.
#ifndef INFERD_HTTP_PROTOCOLS_OPENAPI_H_
#define INFERD_HTTP_PROTOCOLS_OPENAPI_H_

#include <string>
#include <string_view>

#include "http/router.h"
#include "serving/model_manager.h"

namespace inferd::http {

// The embedded document (static storage, valid for the life of the process).
std::string_view OpenApiDocument();

// Appends the document describing `model` as the default model (null: no model is loaded;
// the embedded document as it is). `ignore_extra_columns`: named rows may carry other columns.
void AppendOpenApiDocument(const ServedModel* model, bool ignore_extra_columns, std::string* out);

// Registers GET /openapi.json (the document for the default model of the moment). `models`
// must outlive the router.
void RegisterOpenApiRoute(const ModelManager* models, bool ignore_extra_columns, Router* router);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_OPENAPI_H_
