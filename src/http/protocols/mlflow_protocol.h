// The MLflow scoring protocol (a drop-in for `mlflow models serve`, MLflow 2.x), on the
// default model (the one --model loaded):
//
//   POST /invocations       application/json (dataframe_split, dataframe_records, instances,
//                           inputs; optional params) or text/csv -> {"predictions": [...]};
//                           another Content-Type -> 415 (json/mlflow_codec.h)
//   GET  /ping | /health    200 "\n" when the server is ready, else 503
//   GET  /version           the inferd version, plain text
//
// Thread safety: the handlers are safe from any number of threads.
#ifndef INFERD_HTTP_PROTOCOLS_MLFLOW_PROTOCOL_H_
#define INFERD_HTTP_PROTOCOLS_MLFLOW_PROTOCOL_H_

#include <functional>
#include <string>

#include "http/router.h"
#include "serving/inference.h"

namespace inferd::http {

struct MlflowOptions {
  // The GET /version answer.
  std::string server_version = "dev";
  // Server readiness (not draining, every configured model loaded); null: always ready.
  std::function<bool()> ready;
};

// Registers the MLflow routes on `router`. `service` must outlive the router.
void RegisterMlflowRoutes(const InferenceService* service, MlflowOptions options, Router* router);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_MLFLOW_PROTOCOL_H_
