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
  // This model's metrics and the registry they came from, cached by ModelManager::StatsFor
  // (the owner check keeps a stale pointer from being used if the manager is re-wired to a
  // new registry, e.g. a second ServingApp in a test).
  mutable std::atomic<ModelStats*> stats{nullptr};
  mutable std::atomic<const ModelStatsRegistry*> stats_owner{nullptr};
};

// Every served model: name -> versions in ascending order (back() is the latest).
struct Catalog {
  std::map<std::string, std::vector<std::shared_ptr<const ServedModel>>, std::less<>> models;
};

class ModelManager {
 public:
  ModelManager() : catalog_(std::make_shared<const Catalog>()) {}

  // The default model's latest version, or null if none is loaded.
  std::shared_ptr<const ServedModel> Get() const { return current_.load(std::memory_order_acquire); }
  // `version` empty: the latest. Null if there is no such model or version.
  std::shared_ptr<const ServedModel> Get(std::string_view name, std::string_view version) const;
  std::shared_ptr<const Catalog> catalog() const { return catalog_.load(std::memory_order_acquire); }

  // Makes `next` the only version of its name (null: unloads the default model).
  void Swap(std::shared_ptr<const ServedModel> next);
  // Replaces the versions of `name` atomically (empty: the model is unloaded). Versions are
  // sorted (numerically when they are numbers).
  void SetVersions(const std::string& name, std::vector<std::shared_ptr<const ServedModel>> versions);

  // Where StatsFor() finds per-model metrics (null: none). The registry must outlive every
  // request that uses this manager; ServingApp sets it after creating its ServerMetrics and
  // clears it before destroying them.
  void SetStatsRegistry(ModelStatsRegistry* registry) { registry_.store(registry, std::memory_order_release); }
  // The metrics for `m`'s name, or null if no registry is set. Hot path: one atomic load once
  // `m` has been resolved (the registry's mutex is taken once per model version).
  ModelStats* StatsFor(const ServedModel& m) const {
    ModelStatsRegistry* r = registry_.load(std::memory_order_acquire);
    if (r == nullptr) return nullptr;
    if (m.stats_owner.load(std::memory_order_acquire) == r) return m.stats.load(std::memory_order_relaxed);
    // Racing resolvers for the same registry all store the same pointer.
    ModelStats* s = r->For(m.name);
    m.stats.store(s, std::memory_order_relaxed);
    m.stats_owner.store(r, std::memory_order_release);
    return s;
  }

  // The model /predict serves. Defaults to the first model ever set.
  void SetDefaultName(std::string name);
  std::string default_name() const;

  // Readiness: true when every name in `expected` has at least one loaded version.
  void SetExpected(std::vector<std::string> expected);
  bool AllExpectedLoaded() const;

 private:
  void PublishLocked(std::shared_ptr<const Catalog> next);

  mutable std::mutex mu_;  // serialises writers; guards default_name_, expected_
  std::string default_name_;
  std::vector<std::string> expected_;
  std::atomic<std::shared_ptr<const ServedModel>> current_;
  std::atomic<std::shared_ptr<const Catalog>> catalog_;
  std::atomic<ModelStatsRegistry*> registry_{nullptr};
};

// The model name for a file path: its stem ("/models/iris.pkl" -> "iris").
std::string ModelNameFromPath(const std::string& path);

// Orders version strings: numbers numerically, numbers before other strings, else lexically.
bool VersionLess(const std::string& a, const std::string& b);

}  // namespace inferd

#endif  // INFERD_SERVING_MODEL_MANAGER_H_
