#include "serving/model_repository.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "inferd/loader.h"
#include "logging/log.h"

namespace inferd {
namespace {

bool Stat(const std::string& path, int64_t* mtime_ns, int64_t* size, uint64_t* inode, bool* is_dir) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  *size = static_cast<int64_t>(st.st_size);
  *inode = static_cast<uint64_t>(st.st_ino);
  *is_dir = S_ISDIR(st.st_mode);
  return true;
}

std::vector<std::string> ListDirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;
    int64_t m, s;
    uint64_t i;
    bool is_dir = false;
    if (Stat(dir + "/" + n, &m, &s, &i, &is_dir) && is_dir) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

// An MLflow model directory: one model, loaded from the directory (inferd/loader.h).
bool IsMlflowDir(const std::string& dir) {
  int64_t m, s;
  uint64_t i;
  bool is_dir = true;
  return Stat(dir + "/MLmodel", &m, &s, &i, &is_dir) && !is_dir;
}

// The identity of an MLflow model directory for reloads: its files' latest mtime, total size
// and inodes combined, so that replacing or rewriting MLmodel or the pickle is a change.
bool StatDir(const std::string& dir, int64_t* mtime_ns, int64_t* size, uint64_t* inode) {
  bool is_dir = false;
  if (!Stat(dir, mtime_ns, size, inode, &is_dir) || !is_dir) return false;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  *size = 0;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    int64_t m, s;
    uint64_t i;
    bool sub_dir = false;
    if (!Stat(dir + "/" + n, &m, &s, &i, &sub_dir) || sub_dir) continue;
    *mtime_ns = std::max(*mtime_ns, m);
    *size += s;
    *inode = *inode * 1000003 ^ i;
  }
  ::closedir(d);
  return true;
}

}  // namespace

StatusOr<std::shared_ptr<const Model>> LoadAndWarm(const std::string& path) {
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, LoadModelFile(path));
  // Warm-up: touch every code path a request will take, so the first request after a swap
  // does not pay for page faults, and a model that cannot compute never gets traffic.
  std::vector<double> row(model->n_features(), 0.0);
  // String columns get a category the model knows (0.0 would be an unknown string's code).
  const InputSchema& schema = model->input_schema();
  for (size_t c = 0; c < schema.size() && c < row.size(); ++c) {
    const InputColumn& col = schema.columns()[c];
    if (col.type == InputColumn::Type::kString) {
      row[c] = col.categories.empty() ? kNoneCode : StringCode(col.categories.front());
    }
  }
  std::vector<double> out(std::max<size_t>(
      {model->n_outputs(), model->classes().size(), model->decision_function_width(), model->raw_score_width(), 1}));
  int32_t cls = 0;
  Status st;
  switch (model->kind()) {
    case ModelKind::kClassifier: st = model->PredictClass(row.data(), 1, &cls); break;
    case ModelKind::kRegressor: st = model->PredictValue(row.data(), 1, out.data()); break;
    case ModelKind::kTransformer: st = model->Transform(row.data(), 1, out.data()); break;
  }
  if (st.ok() && model->has_proba()) st = model->PredictProba(row.data(), 1, out.data());
  if (st.ok() && model->decision_function_width() > 0) st = model->DecisionFunction(row.data(), 1, out.data());
  if (st.ok() && model->raw_score_width() > 0) st = model->RawScore(row.data(), 1, out.data());
  // InvalidArgument is the row's fault (an encoder refusing a category the warm-up row picked),
  // not the model's: requests get that answer per row.
  if (!st.ok() && st.code() != StatusCode::kInvalidArgument) return st.WithPrefix(path + ": warm-up failed");
  return model;
}

ModelRepository::ModelRepository(RepositoryOptions options, ModelManager* models)
    : options_(std::move(options)), models_(models) {}

Status ModelRepository::Init() {
  if (options_.model_file.empty() == options_.repository_dir.empty()) {
    return Status::InvalidArgument("give exactly one of --model and --model-repository");
  }
  const std::string& p = options_.version_policy;
  if (p == "latest") {
    latest_n_ = 1;
  } else if (p.rfind("latest:", 0) == 0) {
    try {
      long n = std::stol(p.substr(7));
      if (n < 1) throw 1;
      latest_n_ = static_cast<size_t>(n);
    } catch (...) {
      return Status::InvalidArgument("--version-policy latest:N needs N >= 1, got '" + p + "'");
    }
  } else if (p.rfind("specific:", 0) == 0) {
    policy_ = Policy::kSpecific;
    std::string rest = p.substr(9);
    size_t start = 0;
    while (start <= rest.size()) {
      size_t comma = rest.find(',', start);
      if (comma == std::string::npos) comma = rest.size();
      if (comma > start) specific_.insert(rest.substr(start, comma - start));
      start = comma + 1;
    }
    if (specific_.empty())
      return Status::InvalidArgument("--version-policy specific: needs versions, e.g. specific:1,3");
  } else {
    return Status::InvalidArgument("--version-policy must be latest, latest:N or specific:V1,V2 (got '" + p + "')");
  }
  return Status::Ok();
}

void ModelRepository::SetMetrics(ServerMetrics* metrics) {
  std::lock_guard<std::mutex> l(mu_);
  metrics_ = metrics;
  // The loads done before the metrics existed (LoadAll at start-up) are counted now.
  for (const auto& [name, versions] : loaded_) {
    for (const auto& [v, l] : versions) {
      if (l.served != nullptr) metrics_->CountModelLoad(name, l.served->load_seconds);
    }
  }
  PublishMetricsLocked();
}

std::vector<std::string> ModelRepository::Names() const {
  if (!options_.model_file.empty()) {
    if (!options_.name.empty()) return {options_.name};
    std::string path = options_.model_file;  // "models/churn/" (an MLflow directory) is "churn"
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return {ModelNameFromPath(path)};
  }
  std::vector<std::string> names = ListDirs(options_.repository_dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<ModelRepository::Candidate> ModelRepository::Candidates(const std::string& name) const {
  std::vector<Candidate> out;
  auto add = [&](std::string version, std::string path) {
    Candidate c{std::move(version), std::move(path), {}};
    bool is_dir = false;
    if (IsMlflowDir(c.path)) {
      if (StatDir(c.path, &c.id.mtime_ns, &c.id.size, &c.id.inode)) out.push_back(std::move(c));
    } else if (Stat(c.path, &c.id.mtime_ns, &c.id.size, &c.id.inode, &is_dir) && !is_dir) {
      out.push_back(std::move(c));
    }
  };
  if (!options_.model_file.empty()) {
    add("1", options_.model_file);
    return out;
  }
  std::string dir = options_.repository_dir + "/" + name;
  // A version directory is an MLflow model (its MLmodel) or holds model.pkl.
  for (const std::string& v : ListDirs(dir)) {
    const std::string version_dir = dir + "/" + v;
    add(v, IsMlflowDir(version_dir) ? version_dir : version_dir + "/model.pkl");
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate& a, const Candidate& b) { return VersionLess(a.version, b.version); });
  if (policy_ == Policy::kSpecific) {
    std::erase_if(out, [&](const Candidate& c) { return specific_.count(c.version) == 0; });
  } else if (out.size() > latest_n_) {
    out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(latest_n_));
  }
  return out;
}

Status ModelRepository::SyncLocked(const std::string& name, bool* changed) {
  *changed = false;
  std::vector<Candidate> wanted = Candidates(name);
  std::map<std::string, Loaded>& have = loaded_[name];
  std::map<std::string, Loaded> next;
  Status first_error;
  for (const Candidate& c : wanted) {
    auto it = have.find(c.version);
    if (it != have.end() && it->second.id == c.id) {
      next[c.version] = it->second;  // unchanged
      continue;
    }
    auto failed = failed_[name].find(c.version);
    if (failed != failed_[name].end() && failed->second == c.id) {
      if (it != have.end()) next[c.version] = it->second;  // the same broken file: not again
      continue;
    }
    auto t0 = std::chrono::steady_clock::now();
    StatusOr<std::shared_ptr<const Model>> m = LoadAndWarm(c.path);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!m.ok()) {
      // kept_previous: the model still serves what it served before (this or another version).
      if (!initial_)
        LogError("model load failed")
            .Str("model", name)
            .Str("version", c.version)
            .Str("path", c.path)
            .Str("error", m.status().message())
            .Bool("kept_previous", !have.empty());
      if (metrics_ != nullptr) metrics_->CountModelLoadFailure(name);
      failed_[name][c.version] = c.id;
      if (first_error.ok()) first_error = m.status();
      // Keep serving what we had for this version (if anything), and do not retry the same
      // broken file on every poll: remember its id against the old model.
      if (it != have.end()) next[c.version] = Loaded{it->second.served, c.id};
      continue;
    }
    auto served = std::make_shared<ServedModel>();
    served->model = std::move(m).value();
    served->name = name;
    served->version = c.version;
    served->path = c.path;
    served->load_seconds = secs;
    LogInfo(it == have.end() ? "model version loaded" : "model reloaded")
        .Str("model", name)
        .Str("version", c.version)
        .Str("path", c.path)
        .Str("estimator", served->model->Describe())
        .Int("n_features", static_cast<int64_t>(served->model->n_features()))
        .Double("load_seconds", secs);
    if (metrics_ != nullptr) metrics_->CountModelLoad(name, secs);
    next[c.version] = Loaded{std::move(served), c.id};
    failed_[name].erase(c.version);
    *changed = true;
  }
  if (next.size() != have.size()) *changed = true;
  // A version whose file vanished stops being served only if something else still serves
  // the model: never leave a configured model with nothing because of a half-written deploy.
  if (next.empty() && !have.empty() && !wanted.empty()) next = have;
  if (*changed) {
    std::vector<std::shared_ptr<const ServedModel>> versions;
    for (const auto& [v, l] : next) {
      if (l.served != nullptr) versions.push_back(l.served);
    }
    models_->SetVersions(name, std::move(versions));
  }
  have = std::move(next);
  if (have.empty()) loaded_.erase(name);
  return first_error;
}

void ModelRepository::PublishMetricsLocked() {
  if (metrics_ == nullptr) return;
  std::vector<ServerMetrics::ModelVersionInfo> info;
  auto catalog = models_->catalog();
  for (const auto& [name, versions] : catalog->models) {
    for (const auto& v : versions) info.push_back({name, v->version, v->model->Describe()});
  }
  metrics_->SetServedModels(std::move(info));
}

Status ModelRepository::LoadAll() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> names = Names();
  if (names.empty())
    return Status::NotFound(options_.repository_dir +
                            ": no models (expected <dir>/<name>/<version>/model.pkl or an MLflow model there)");
  for (const std::string& name : names) {
    if (Candidates(name).empty()) {
      return Status::NotFound(options_.model_file.empty()
                                  ? options_.repository_dir + "/" + name +
                                        ": no version directory with a model.pkl or an MLflow model matches the "
                                        "version policy"
                                  : options_.model_file + ": no such file (or a directory without an MLmodel file)");
    }
    bool changed;
    INFERD_RETURN_IF_ERROR(SyncLocked(name, &changed));
  }
  models_->SetExpected(names);
  PublishMetricsLocked();
  initial_ = false;
  return Status::Ok();
}

int ModelRepository::Rescan() {
  std::lock_guard<std::mutex> l(mu_);
  int n = 0;
  std::vector<std::string> names = Names();
  std::vector<std::string> expected;
  for (const std::string& name : names) {
    if (unloaded_.count(name)) continue;
    expected.push_back(name);
    bool changed = false;
    (void)SyncLocked(name, &changed);  // failures are logged and counted inside
    n += changed;
  }
  // Models whose directory disappeared stop being served.
  for (auto it = loaded_.begin(); it != loaded_.end();) {
    if (std::find(names.begin(), names.end(), it->first) == names.end()) {
      models_->SetVersions(it->first, {});
      LogInfo("model removed").Str("model", it->first);
      it = loaded_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  models_->SetExpected(expected);
  if (n) PublishMetricsLocked();
  return n;
}

Status ModelRepository::LoadModel(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> names = Names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return Status::NotFound("no model named '" + name + "' in the repository");
  }
  unloaded_.erase(name);
  failed_.erase(name);  // an explicit load tries every file again
  bool changed = false;
  Status st = SyncLocked(name, &changed);
  if (loaded_.count(name) == 0) return st.ok() ? Status::NotFound("model '" + name + "' has no loadable version") : st;
  std::vector<std::string> expected;
  for (const auto& n : names) {
    if (!unloaded_.count(n)) expected.push_back(n);
  }
  models_->SetExpected(expected);
  PublishMetricsLocked();
  return st;
}

Status ModelRepository::UnloadModel(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  if (loaded_.count(name) == 0) return Status::NotFound("model '" + name + "' is not loaded");
  loaded_.erase(name);
  unloaded_.insert(name);
  models_->SetVersions(name, {});
  std::vector<std::string> expected;
  for (const auto& n : Names()) {
    if (!unloaded_.count(n)) expected.push_back(n);
  }
  models_->SetExpected(expected);
  PublishMetricsLocked();
  LogInfo("model unloaded").Str("model", name);
  return Status::Ok();
}

std::vector<ModelIndexEntry> ModelRepository::Index() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ModelIndexEntry> out;
  for (const std::string& name : Names()) {
    auto it = loaded_.find(name);
    if (it != loaded_.end() && !it->second.empty()) {
      for (const auto& [version, loaded] : it->second) out.push_back({name, version, "READY", ""});
      continue;
    }
    std::string reason = unloaded_.count(name) ? "unloaded"
                         : failed_.count(name) ? "its file failed to load (see the server's log)"
                                               : "no version on disk matches the version policy";
    out.push_back({name, "", "UNAVAILABLE", std::move(reason)});
  }
  return out;
}

}  // namespace inferd
