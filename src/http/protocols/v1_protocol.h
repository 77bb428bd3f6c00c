// TensorFlow Serving / KServe V1 REST:
//   GET  /v1/models/{name}[/versions/{v}]            model status (TF Serving's shape)
//   POST /v1/models/{name}[/versions/{v}]:predict    {"instances": rows} | {"inputs": columnar}
//                                                    -> {"predictions": [...]}
// Transformers answer their transformed rows as predictions.
//
// Thread safety: the handlers are safe from any number of threads.
#ifndef INFERD_HTTP_PROTOCOLS_V1_PROTOCOL_H_
#define INFERD_HTTP_PROTOCOLS_V1_PROTOCOL_H_

#include "http/router.h"
#include "serving/inference.h"

namespace inferd::http {

// Registers the V1 routes. `service` must outlive the router.
void RegisterV1Routes(const InferenceService* service, Router* router);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_V1_PROTOCOL_H_
