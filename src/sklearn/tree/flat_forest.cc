#include "sklearn/tree/flat_forest.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace inferd::sklearn {

float FlatForest::RoundDown(double t) {
  float f = static_cast<float>(t);
  if (std::isnan(t)) return f;
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

namespace {

// Ensures capacity >= n with amortised O(1) growth per element.
template <typename T>
void Grow(std::vector<T>* v, size_t n) {
  if (v->capacity() < n) v->reserve(std::max(n, 2 * v->capacity()));
}

}  // namespace

Status FlatForest::AddTree(const ParsedTree& tree, const std::function<void(size_t, double*)>& fill) {
  constexpr size_t kLimit = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  const size_t base = nodes_.size();
  size_t leaves = 0;
  for (size_t i = 0; i < tree.node_count; ++i) leaves += tree.is_leaf(i) ? 1 : 0;
  if (base + tree.node_count > kLimit || payload_.size() + leaves * width_ > kLimit) {
    return Status::ResourceExhausted("the ensemble has too many nodes");
  }
  // Grow geometrically: reserving exactly base + node_count on every call reallocated and
  // copied the whole node array once per tree (quadratic in the number of trees: 2.5 s,
  // mostly page faults and memcpy, for a 500-tree depth-20 forest).
  Grow(&nodes_, base + tree.node_count);
  size_t pay = payload_.size();
  payload_.resize(pay + leaves * width_);
  // Node depths: children always have larger ids than their parent (ParsedTree guarantees
  // it), so one forward pass computes them.
  // A node reachable from two parents (not something sklearn writes, but not excluded by
  // the parser) takes the deepest: depth(t) must bound every path, or a walk could stop on
  // an inner node.
  std::vector<uint32_t> depth(tree.node_count, 0);
  uint32_t max_depth = 0;
  nodes_.resize(base + tree.node_count);
  Node* out = nodes_.data() + base;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t i = 0; i < tree.node_count; ++i) {
    Node& n = out[i];
    max_depth = std::max(max_depth, depth[i]);
    if (tree.is_leaf(i)) {
      n.feature = 0;
      n.threshold = nan;
      n.child[0] = static_cast<int32_t>(pay);
      n.child[1] = static_cast<int32_t>(base + i);
      fill(i, payload_.data() + pay);
      pay += width_;
    } else {
      const size_t l = static_cast<size_t>(tree.left[i]), r = static_cast<size_t>(tree.right[i]);
      n.feature = static_cast<int32_t>(tree.feature[i]);
      n.threshold = RoundDown(tree.threshold[i]);
      n.child[0] = static_cast<int32_t>(base + l);
      n.child[1] = static_cast<int32_t>(base + r);
      depth[l] = std::max(depth[l], depth[i] + 1);
      depth[r] = std::max(depth[r], depth[i] + 1);
    }
  }
  roots_.push_back(static_cast<int32_t>(base));
  depth_.push_back(max_depth);
  return Status::Ok();
}

}  // namespace inferd::sklearn
