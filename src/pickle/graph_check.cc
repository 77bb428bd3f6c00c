#include "pickle/graph_check.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace inferd::pickle {
namespace {

// Children of a value for graph traversal; returns nullptr past the end.
struct ChildIter {
  static size_t Count(const Value& v) {
    return v.items.size() + 2 * v.entries.size() + 2 + (v.array ? v.array->objects.size() : 0);
  }
  static const Value* Get(const Value& v, size_t i) {
    if (i < v.items.size()) return v.items[i].get();
    i -= v.items.size();
    if (i < 2 * v.entries.size()) return (i % 2 ? v.entries[i / 2].second : v.entries[i / 2].first).get();
    i -= 2 * v.entries.size();
    if (i == 0) return v.args.get();
    if (i == 1) return v.state.get();
    i -= 2;
    return v.array->objects[i].get();
  }
};

// The kinds that can link to other values: the only nodes a cycle or a deep path can go
// through.
bool IsContainerKind(Kind k) {
  switch (k) {
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kDict:
    case Kind::kObject:
    case Kind::kArray:
    case Kind::kSlice: return true;
    default: return false;
  }
}

}  // namespace

Status CheckGraph(const ValuePtr& root, size_t max_depth, std::vector<ValuePtr>* containers) {
  // Per-container bookkeeping lives in a vector indexed by the container's position in
  // *containers; the position is stashed in the container's (otherwise unused) `i` field
  // for the duration of the walk and reset to 0 before returning, because a hash map keyed
  // by pointer is slow on this path. A container not found in *containers (none exist
  // today) falls back to a map.
  constexpr uint32_t kUnseen = 0xfffffffeu;
  constexpr uint32_t kOnPath = 0xffffffffu;
  std::vector<ValuePtr>& all = *containers;
  const size_t n = all.size();
  std::vector<uint32_t> height(n, kUnseen);
  std::unordered_map<const Value*, uint32_t> other;
  for (size_t k = 0; k < n; ++k) all[k]->i = static_cast<int64_t>(k + 1);
  auto slot = [&](const Value* v) -> uint32_t& {
    const int64_t id = v->i;
    if (id >= 1 && static_cast<size_t>(id) <= n && all[static_cast<size_t>(id - 1)].get() == v) {
      return height[static_cast<size_t>(id - 1)];
    }
    return other.try_emplace(v, kUnseen).first->second;
  };
  struct Frame {
    const Value* v;
    size_t next;
    size_t count;  // ChildIter::Count(*v), fixed during the walk
    uint32_t h;
  };
  std::vector<Frame> path;
  Status status;
  if (root && IsContainerKind(root->kind)) {
    path.push_back({root.get(), 0, ChildIter::Count(*root), 0});
    slot(root.get()) = kOnPath;
  }
  while (!path.empty() && status.ok()) {
    Frame& f = path.back();
    if (f.next < f.count) {
      const Value* c = ChildIter::Get(*f.v, f.next++);
      if (!c || !IsContainerKind(c->kind)) continue;
      uint32_t& hc = slot(c);
      if (hc != kUnseen) {
        if (hc == kOnPath) {
          status = Status::InvalidArgument("the pickle contains a reference cycle (through " + c->Describe() + ")");
        } else {
          f.h = std::max(f.h, hc + 1);
        }
        continue;
      }
      if (path.size() >= max_depth) {
        status = Status::ResourceExhausted("values nested deeper than " + std::to_string(max_depth) + " levels");
        continue;
      }
      hc = kOnPath;
      path.push_back({c, 0, ChildIter::Count(*c), 0});
      continue;
    }
    const uint32_t h = f.h;
    slot(f.v) = h;
    path.pop_back();
    if (!path.empty()) path.back().h = std::max(path.back().h, h + 1);
  }
  for (size_t k = 0; k < n; ++k) all[k]->i = 0;
  all.clear();
  return status;
}

}  // namespace inferd::pickle
