// KServe V2 / Open Inference Protocol REST adapter (health, metadata, infer, and the model
// repository extension's load/unload):
//
//   GET  /v2                                          server metadata
//   GET  /v2/health/live | /v2/health/ready           200 true / 400 false (status code is the answer)
//   GET  /v2/models/{name}[/versions/{v}]             model metadata (inputs/outputs with shapes)
//   GET  /v2/models/{name}[/versions/{v}]/ready       200 / 400
//   POST /v2/models/{name}[/versions/{v}]/infer       inference
//   POST /v2/repository/models/{name}/load|unload     only with model control enabled
//
// Models have one input "input-0" ([-1, n_features], FP64) and the outputs predict,
// predict_proba, decision_function or transform that the estimator has. See docs/api.md.
//
// Thread safety: the handlers are safe from any number of threads.
#ifndef INFERD_HTTP_PROTOCOLS_V2_PROTOCOL_H_
#define INFERD_HTTP_PROTOCOLS_V2_PROTOCOL_H_

#include <functional>
#include <string>

#include "http/router.h"
#include "serving/inference.h"
#include "serving/model_control.h"

namespace inferd::http {

struct V2Options {
  std::string server_version = "dev";
  // Server readiness (not draining, every configured model loaded).
  std::function<bool()> ready;
  // Null: the repository endpoints answer 403.
  ModelControl* control = nullptr;
};

// Registers the V2 routes on `router`. `service` must outlive the router.
void RegisterV2Routes(const InferenceService* service, V2Options options, Router* router);

// Appends the V2 model metadata object for `served` (also used by the GET / page's data).
void AppendV2ModelMetadata(const ServedModel& served, const std::vector<std::string>& versions, std::string* out);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_V2_PROTOCOL_H_
