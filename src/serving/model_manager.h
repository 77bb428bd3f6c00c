// ModelManager: owns the served models (by name, each with one or more versions) and hands
// out handles to them.
//
// A request takes a handle (shared_ptr<const ServedModel>) once and uses it until its response
// is built, so a later swap (hot reload) never pulls a model out from under a request: the
// old version lives until its last handle is released.
//
// The reference /predict serves the default model (the first model set, or --default-model);
// Get() for it is one atomic shared_ptr load. Everything else goes through an immutable
// Catalog snapshot that writers replace as a whole.
//
// Thread safety: all methods are safe from any thread; writers serialise on a mutex, readers
// never block on it.
#ifndef INFERD_SERVING_MODEL_MANAGER_H_
#define INFERD_SERVING_MODEL_MANAGER_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/model.h"
#include "metrics/model_metrics.h"

namespace inferd {

// An immutable, loaded model with what the server knows about it.
struct ServedModel {
  std::shared_ptr<const Model> model;  // never null
  std::string name;                    // e.g. "iris" for iris.pkl
  std::string version = "1";           // the repository's version directory, or "1"
  std::string path;                    // file it was loaded from
  double load_seconds = 0;
};

// Every served model: name -> versions in ascending order (back() is the latest), and the
// request metrics of every name (kept across reloads; owned by the ModelManager).
struct Catalog {
  std::map<std::string, std::vector<std::shared_ptr<const ServedModel>>, std::less<>> models;
  std::map<std::string, ModelStats*, std::less<>> stats;
};

// One model version as a request uses it: the handle keeps the version alive.
struct ModelHandle {
  std::shared_ptr<const ServedModel> served;  // null: no such model or version
  ModelStats* stats = nullptr;                // this name's metrics; set whenever served is
};

class ModelManager {
 public:
  ModelManager() : catalog_(std::make_shared<const Catalog>()) {}

  // The default model's latest version, or null if none is loaded.
  std::shared_ptr<const ServedModel> Get() const;
  // `version` empty: the latest. Null if there is no such model or version.
  std::shared_ptr<const ServedModel> Get(std::string_view name, std::string_view version) const;
  std::shared_ptr<const Catalog> catalog() const { return catalog_.load(std::memory_order_acquire); }

  // Makes `next` the only version of its name (null: unloads the default model).
  void Swap(std::shared_ptr<const ServedModel> next);
  // Replaces the versions of `name` atomically (empty: the model is unloaded). Versions are
  // sorted (numerically when they are numbers).
  void SetVersions(const std::string& name, std::vector<std::shared_ptr<const ServedModel>> versions);

  // `name` empty: the default model. Hot path: one atomic load (and a map lookup for a name).
  ModelHandle Find(std::string_view name, std::string_view version) const;

  // Per-model request metrics, one ModelStats per name (rendered by the server's /metrics).
  ModelStatsRegistry& stats() { return stats_; }
  const ModelStatsRegistry& stats() const { return stats_; }

  // The model /predict serves. Defaults to the first model ever set.
  void SetDefaultName(std::string name);
  std::string default_name() const;

  // Readiness: true when every name in `expected` has at least one loaded version.
  void SetExpected(std::vector<std::string> expected);
  bool AllExpectedLoaded() const;

 private:
  void PublishLocked(std::shared_ptr<Catalog> next);

  mutable std::mutex mu_;  // serialises writers; guards default_name_, expected_
  std::string default_name_;
  std::vector<std::string> expected_;
  ModelStatsRegistry stats_;
  // The default model's latest version with its metrics: what /predict resolves in one load.
  struct DefaultModel {
    std::shared_ptr<const ServedModel> served;
    ModelStats* stats = nullptr;
  };
  std::atomic<std::shared_ptr<const DefaultModel>> default_;
  std::atomic<std::shared_ptr<const Catalog>> catalog_;
};

// The model name for a file path: its stem ("/models/iris.pkl" -> "iris").
std::string ModelNameFromPath(const std::string& path);

// Orders version strings: numbers numerically, numbers before other strings, else lexically.
bool VersionLess(const std::string& a, const std::string& b);

}  // namespace inferd

#endif  // INFERD_SERVING_MODEL_MANAGER_H_
