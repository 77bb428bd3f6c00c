// GET /: a small self-contained page (src/http/ui/index.html, compiled into the binary by
// src/http/ui/embed.cmake) showing the loaded models with their inputs, outputs and versions,
// live request and latency figures, and a prediction form with one field per input column of
// the default model (a number field, or a list of the known categories for a string column)
// that posts the row by name to /predict, beside a free-form box for rows. The page reads
// everything else through the public endpoints (/v2/models/{name}, /metrics, /readyz); the
// handler only inlines a bootstrap object (server version, model names, the default model's
// input columns as they are when the page is served; a reload of the page follows a new model).
//
// Thread safety: the handler reads the model catalog snapshot; safe from any thread.
#ifndef INFERD_HTTP_PROTOCOLS_WEB_UI_H_
#define INFERD_HTTP_PROTOCOLS_WEB_UI_H_

#include <string>
#include <string_view>

#include "http/router.h"
#include "serving/model_manager.h"

namespace inferd::http {

// The page template as embedded (static storage).
std::string_view WebUiTemplate();

// Appends the bootstrap JSON, safe to place inside a <script> element (every '<' is written as
// \u003c): {"server_version":...,"default_model":...,"models":[names],"inputs":...}, where
// inputs (null when no model is loaded) is the default model's {"model","named",
// "accepts_missing","columns":[{"name","type" ("number"/"string"/"any"), for strings
// "categories" (at most 1000, sorted), "n_categories","unknown_is_error"}]}.
void AppendWebUiBoot(const ModelManager& models, std::string_view server_version, std::string* out);

// Registers GET /. `models` must outlive the router.
void RegisterWebUiRoute(const ModelManager* models, std::string server_version, Router* router);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_WEB_UI_H_
