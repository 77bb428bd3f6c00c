// The reference API (the Flask app inferd replaces) on the default model. See docs/api.md.
//
//   POST /predict    {"features": [...]} | {"instances": [[...], ...]} [, "proba": true]
//                    -> {"prediction": ...} | {"predictions": [...]} [, "probabilities": ...]
//   POST /transform  same bodies -> {"transform": ...} (transformers and pipelines ending in one)
//
// Thread safety: the handlers are safe from any number of threads.
#ifndef INFERD_HTTP_PROTOCOLS_REFERENCE_PROTOCOL_H_
#define INFERD_HTTP_PROTOCOLS_REFERENCE_PROTOCOL_H_

#include "http/router.h"
#include "serving/inference.h"

namespace inferd::http {

// Registers POST /predict and POST /transform. `service` must outlive the router.
void RegisterReferenceRoutes(const InferenceService* service, Router* router);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_REFERENCE_PROTOCOL_H_
