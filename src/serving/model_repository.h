// ModelRepository: finds, loads, warms and hot-reloads the served models, publishing them in
// a ModelManager.
//
// Sources:
//  - one file (--model PATH, name = file stem unless --name): version "1"; PATH may be an
//    MLflow model directory (it holds an MLmodel file), which is one model;
//  - a directory (--model-repository DIR): <DIR>/<name>/<version>/model.pkl, or a <version>
//    directory that is an MLflow model; versions are directory names (numbers sort
//    numerically); the version policy picks which are served: latest (default), latest N, or a
//    specific list.
//
// Reload: Rescan() compares every candidate file's (mtime, size, inode) with what is loaded (for
// an MLflow directory: its files' latest mtime, total size and inodes); changed or new files
// are loaded and warmed (one prediction on a row of zeros) beside the serving versions, then
// the model's version set is swapped atomically. Requests in flight
// keep the handle they took. A file that fails to load or warm is logged and counted
// (inferd_model_load_failures_total) and the previous version keeps serving. The application
// calls Rescan on its reload loop (app/reload_loop.h) and on SIGHUP; the V2 repository API
// calls LoadModel / UnloadModel.
//
// Thread safety: all methods are safe from any thread; loads are serialised by a mutex.
#ifndef INFERD_SERVING_MODEL_REPOSITORY_H_
#define INFERD_SERVING_MODEL_REPOSITORY_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "metrics/server_metrics.h"
#include "serving/model_control.h"
#include "serving/model_manager.h"

namespace inferd {

struct RepositoryOptions {
  std::string model_file;      // one model, or
  std::string name;            // its name (default: the file's stem)
  std::string repository_dir;  // a repository
  // "latest", "latest:N", or "specific:V1,V2,...".
  std::string version_policy = "latest";
};

class ModelRepository : public ModelControl {
 public:
  // `models` and `metrics` (may be null until SetMetrics) must outlive the repository.
  ModelRepository(RepositoryOptions options, ModelManager* models);

  // Validates the options (policy syntax, paths).
  Status Init();
  void SetMetrics(ServerMetrics* metrics);
  // Initial load: every configured model must load, else the first error is returned.
  Status LoadAll();
  // Reloads what changed on disk; failures keep the old versions. Returns the number of
  // models whose served versions changed.
  int Rescan();

  // ModelControl: (re)load one model from the repository / stop serving it (Rescan leaves an
  // unloaded model alone until it is loaded again).
  Status LoadModel(const std::string& name) override;
  Status UnloadModel(const std::string& name) override;
  std::vector<ModelIndexEntry> Index() override;

 private:
  struct FileId {
    int64_t mtime_ns = 0, size = -1;
    uint64_t inode = 0;
    bool operator==(const FileId&) const = default;
  };
  struct Candidate {
    std::string version, path;
    FileId id;
  };
  struct Loaded {
    std::shared_ptr<const ServedModel> served;
    FileId id;
  };

  // Candidates on disk for `name` after the version policy. Empty when there are none.
  std::vector<Candidate> Candidates(const std::string& name) const;
  std::vector<std::string> Names() const;
  // Brings `name` in line with disk; *changed is set when its served set changed.
  Status SyncLocked(const std::string& name, bool* changed);
  void PublishMetricsLocked();

  const RepositoryOptions options_;
  ModelManager* const models_;
  ServerMetrics* metrics_ = nullptr;  // guarded by mu_

  enum class Policy { kLatest, kSpecific };
  Policy policy_ = Policy::kLatest;
  size_t latest_n_ = 1;
  std::set<std::string> specific_;

  std::mutex mu_;                                                // serialises loads; guards everything below
  std::map<std::string, std::map<std::string, Loaded>> loaded_;  // name -> version -> loaded
  std::set<std::string> unloaded_;                               // unloaded through the API
  // Files that failed to load (name -> version -> id): not loaded again until they change or
  // LoadModel asks, so a broken file is logged and counted once, not at every poll.
  std::map<std::string, std::map<std::string, FileId>> failed_;
  bool initial_ = true;  // during LoadAll the caller reports errors (no log line)
};

// Loads the file and runs one prediction on a row of zeros for every output the model has.
StatusOr<std::shared_ptr<const Model>> LoadAndWarm(const std::string& path);

}  // namespace inferd

#endif  // INFERD_SERVING_MODEL_REPOSITORY_H_
