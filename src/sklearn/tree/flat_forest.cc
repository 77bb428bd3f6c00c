#include "sklearn/tree/flat_forest.h"

#include <cmath>
#include <limits>

namespace inferd::sklearn {

float FlatForest::RoundDown(double t) {
  float f = static_cast<float>(t);
  if (std::isnan(t)) return f;
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

Status FlatForest::AddTree(const ParsedTree& tree, const std::function<void(size_t, double*)>& fill) {
  constexpr size_t kLimit = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  const size_t base = nodes_.size();
  size_t leaves = 0;
  for (size_t i = 0; i < tree.node_count; ++i) leaves += tree.is_leaf(i) ? 1 : 0;
  if (base + tree.node_count > kLimit || payload_.size() + leaves * width_ > kLimit) {
    return Status::ResourceExhausted("the ensemble has too many nodes");
  }
  roots_.push_back(static_cast<int32_t>(base));
  nodes_.reserve(base + tree.node_count);
  for (size_t i = 0; i < tree.node_count; ++i) {
    Node n;
    if (tree.is_leaf(i)) {
      n.feature = -1;
      n.threshold = 0.0f;
      n.left = static_cast<int32_t>(payload_.size());
      n.right = -1;
      payload_.resize(payload_.size() + width_);
      fill(i, payload_.data() + n.left);
    } else {
      n.feature = static_cast<int32_t>(tree.feature[i]);
      n.threshold = RoundDown(tree.threshold[i]);
      n.left = static_cast<int32_t>(base + static_cast<size_t>(tree.left[i]));
      n.right = static_cast<int32_t>(base + static_cast<size_t>(tree.right[i]));
    }
    nodes_.push_back(n);
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
