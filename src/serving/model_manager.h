// ModelManager: owns the served model and hands out handles to it.
//
// A request takes a handle (shared_ptr<const ServedModel>) once and uses it until its response
// is built, so a later Swap() (hot reload) never pulls a model out from under a request: the
// old version lives until its last handle is released.
//
// Thread safety: all methods are safe from any thread; Get() is lock-free on the read side
// apart from the shared_ptr reference count.
#ifndef INFERD_SERVING_MODEL_MANAGER_H_
#define INFERD_SERVING_MODEL_MANAGER_H_

#include <atomic>
#include <memory>
#include <string>

#include "inferd/model.h"

namespace inferd {

// An immutable, loaded model with what the server knows about it.
struct ServedModel {
  std::shared_ptr<const Model> model;  // never null
  std::string name;                    // e.g. "iris" for iris.pkl
  std::string path;                    // file it was loaded from
  double load_seconds = 0;
};

class ModelManager {
 public:
  // Returns the current model, or null if none is loaded yet.
  std::shared_ptr<const ServedModel> Get() const { return current_.load(std::memory_order_acquire); }
  // Atomically replaces the served model (null unloads). Requests holding the old handle finish on it.
  void Swap(std::shared_ptr<const ServedModel> next) { current_.store(std::move(next), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const ServedModel>> current_;
};

// The model name for a file path: its stem ("/models/iris.pkl" -> "iris").
std::string ModelNameFromPath(const std::string& path);

}  // namespace inferd

#endif  // INFERD_SERVING_MODEL_MANAGER_H_
