// ModelControl: loading and unloading models on request (the KServe V2 model-repository
// extension, Triton's RepositoryModelLoad/Unload). Implemented by ModelRepository; protocols
// call it only when the server was started with model control enabled.
//
// Thread safety: implementations must be safe to call from any thread.
#ifndef INFERD_SERVING_MODEL_CONTROL_H_
#define INFERD_SERVING_MODEL_CONTROL_H_

#include <string>
#include <vector>

#include "inferd/status.h"

namespace inferd {

// One row of the repository's index (Triton's RepositoryIndex).
struct ModelIndexEntry {
  std::string name;
  std::string version;  // empty for a model with no loaded version
  std::string state;    // "READY" or "UNAVAILABLE"
  std::string reason;   // why it is unavailable
};

class ModelControl {
 public:
  virtual ~ModelControl() = default;
  // Every model the repository has, loaded or not, by name then version.
  virtual std::vector<ModelIndexEntry> Index() = 0;
  // (Re)loads `name` from the repository. NotFound if the repository has no such model.
  virtual Status LoadModel(const std::string& name) = 0;
  // Stops serving `name` until it is loaded again.
  virtual Status UnloadModel(const std::string& name) = 0;
};

}  // namespace inferd

#endif  // INFERD_SERVING_MODEL_CONTROL_H_
