// TensorFlow Serving / KServe V1 REST adapter:
//   GET  /v1/models/{name}[/versions/{v}]            model status (TF Serving's shape)
//   POST /v1/models/{name}[/versions/{v}]:predict    {"instances": rows} | {"inputs": columnar}
//                                                    -> {"predictions": [...]}
// Transformers answer their transformed rows as predictions.
//
// Thread safety: handlers are const and safe from any thread (thread_local scratch).
#ifndef INFERD_HTTP_PROTOCOLS_V1_PREDICT_H_
#define INFERD_HTTP_PROTOCOLS_V1_PREDICT_H_

#include "http/router.h"
#include "serving/model_manager.h"

namespace inferd::http {

// Registers the V1 routes. `models` must outlive the router.
void RegisterV1Routes(const ModelManager* models, size_t max_batch_rows, Router* router);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_V1_PREDICT_H_
