#include "serving/model_manager.h"

#include <algorithm>

namespace inferd {
namespace {

bool IsNumber(const std::string& s) {
  return !s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool VersionLess(const std::string& a, const std::string& b) {
  bool na = IsNumber(a), nb = IsNumber(b);
  if (na && nb) return std::stoll(a) < std::stoll(b);
  if (na != nb) return na;
  return a < b;
}

std::shared_ptr<const ServedModel> ModelManager::Get() const {
  std::shared_ptr<const DefaultModel> d = default_.load(std::memory_order_acquire);
  if (d == nullptr) return nullptr;
  return std::shared_ptr<const ServedModel>(d, d->served.get());  // shares d's ownership
}

ModelHandle ModelManager::Find(std::string_view name, std::string_view version) const {
  if (name.empty()) {
    std::shared_ptr<const DefaultModel> d = default_.load(std::memory_order_acquire);
    if (d == nullptr) return {};
    return {std::shared_ptr<const ServedModel>(d, d->served.get()), d->stats};
  }
  std::shared_ptr<const Catalog> c = catalog();
  auto it = c->models.find(name);
  if (it == c->models.end() || it->second.empty()) return {};
  const ServedModel* found = nullptr;
  if (version.empty()) {
    found = it->second.back().get();
  } else {
    for (const auto& v : it->second) {
      if (v->version == version) found = v.get();
    }
  }
  if (found == nullptr) return {};
  // The catalog owns the version: the handle keeps this catalog snapshot alive.
  return {std::shared_ptr<const ServedModel>(c, found), c->stats.find(name)->second};
}

std::shared_ptr<const ServedModel> ModelManager::Get(std::string_view name, std::string_view version) const {
  std::shared_ptr<const Catalog> c = catalog();
  auto it = c->models.find(name);
  if (it == c->models.end() || it->second.empty()) return nullptr;
  if (version.empty()) return it->second.back();
  for (const auto& v : it->second) {
    if (v->version == version) return v;
  }
  return nullptr;
}

void ModelManager::Swap(std::shared_ptr<const ServedModel> next) {
  if (next == nullptr) {
    std::string name = default_name();
    if (!name.empty()) SetVersions(name, {});
    return;
  }
  std::string name = next->name;
  SetVersions(name, {std::move(next)});
}

void ModelManager::SetVersions(const std::string& name, std::vector<std::shared_ptr<const ServedModel>> versions) {
  std::sort(versions.begin(), versions.end(),
            [](const auto& a, const auto& b) { return VersionLess(a->version, b->version); });
  std::lock_guard<std::mutex> l(mu_);
  auto next = std::make_shared<Catalog>(*catalog_.load(std::memory_order_acquire));
  if (versions.empty()) {
    next->models.erase(name);
  } else {
    next->models[name] = std::move(versions);
    if (next->stats.find(name) == next->stats.end()) next->stats.emplace(name, stats_.For(name));
  }
  if (default_name_.empty() && !next->models.empty()) default_name_ = name;
  PublishLocked(std::move(next));
}

void ModelManager::PublishLocked(std::shared_ptr<Catalog> next) {
  std::shared_ptr<const DefaultModel> def;
  auto it = next->models.find(default_name_);
  if (it != next->models.end() && !it->second.empty()) {
    def =
        std::make_shared<const DefaultModel>(DefaultModel{it->second.back(), next->stats.find(default_name_)->second});
  }
  catalog_.store(std::move(next), std::memory_order_release);
  default_.store(std::move(def), std::memory_order_release);
}

void ModelManager::SetDefaultName(std::string name) {
  std::lock_guard<std::mutex> l(mu_);
  default_name_ = std::move(name);
  PublishLocked(std::make_shared<Catalog>(*catalog_.load(std::memory_order_acquire)));
}

std::string ModelManager::default_name() const {
  std::lock_guard<std::mutex> l(mu_);
  return default_name_;
}

void ModelManager::SetExpected(std::vector<std::string> expected) {
  std::lock_guard<std::mutex> l(mu_);
  expected_ = std::move(expected);
}

bool ModelManager::AllExpectedLoaded() const {
  std::shared_ptr<const Catalog> c = catalog();
  std::lock_guard<std::mutex> l(mu_);
  if (expected_.empty()) return default_.load(std::memory_order_acquire) != nullptr;
  for (const auto& name : expected_) {
    auto it = c->models.find(name);
    if (it == c->models.end() || it->second.empty()) return false;
  }
  return true;
}

std::string ModelNameFromPath(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base.empty() ? "model" : base;
}

}  // namespace inferd
