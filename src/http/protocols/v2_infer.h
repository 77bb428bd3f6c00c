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
// Thread safety: handlers are const and safe from any thread (thread_local scratch).
#ifndef INFERD_HTTP_PROTOCOLS_V2_INFER_H_
#define INFERD_HTTP_PROTOCOLS_V2_INFER_H_

#include <functional>
#include <string>

#include "http/router.h"
#include "inferd/status.h"
#include "serving/model_manager.h"

namespace inferd::http {

// Loads / unloads models on request (implemented by the model repository).
class ModelControl {
 public:
  virtual ~ModelControl() = default;
  virtual Status LoadModel(const std::string& name) = 0;
  virtual Status UnloadModel(const std::string& name) = 0;
};

struct V2Options {
  std::string server_version = "dev";
  size_t max_batch_rows = 10000;
  // Server readiness (not draining, every configured model loaded).
  std::function<bool()> ready;
  // Null: the repository endpoints answer 403.
  ModelControl* control = nullptr;
};

// Registers the V2 routes on `router`. `models` must outlive the router.
void RegisterV2Routes(const ModelManager* models, V2Options options, Router* router);

// Appends the V2 model metadata object for `served` (also used by the GET / page's data).
void AppendV2ModelMetadata(const ServedModel& served, const std::vector<std::string>& versions, std::string* out);

}  // namespace inferd::http

#endif  // INFERD_HTTP_PROTOCOLS_V2_INFER_H_
