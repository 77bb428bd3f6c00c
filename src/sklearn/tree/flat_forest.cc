#include "sklearn/tree/flat_forest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace inferd::sklearn {

float FlatForest::RoundDown(double t) {
  float f = static_cast<float>(t);
  if (std::isnan(t)) return f;
  if (static_cast<double>(f) > t) {
    // The next float towards -inf (std::nextafter, without the libm call: this runs once
    // per split of every tree). f > t excludes -inf; +inf (t > FLT_MAX) steps to FLT_MAX.
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    if (f == 0.0f) {
      bits = 0x80000001u;  // -denorm_min (f is +0 or -0, and t < 0)
    } else if (f > 0.0f) {
      bits -= 1;
    } else {
      bits += 1;
    }
    std::memcpy(&f, &bits, sizeof f);
  }
  return f;
}

namespace {

// The tree views WriteNodesT reads: a ParsedTree in either layout, a PlainTree.
template <bool kWide>
struct ParsedView {
  const ParsedTree& t;
  int64_t left(size_t i) const { return t.Left<kWide>(i); }
  int64_t right(size_t i) const { return t.Right<kWide>(i); }
  int64_t feature(size_t i) const { return t.Feature<kWide>(i); }
  float threshold(size_t i) const { return FlatForest::RoundDown(t.Threshold<kWide>(i)); }
  bool missing_left(size_t i) const { return t.missing_go_to_left(i); }
};

struct PlainView {
  const PlainTree& t;
  int64_t left(size_t i) const { return t.left[i]; }
  int64_t right(size_t i) const { return t.right[i]; }
  int64_t feature(size_t i) const { return t.feature[i]; }
  float threshold(size_t i) const { return t.threshold[i]; }
  bool missing_left(size_t) const { return false; }
};

}  // namespace

Status FlatForest::AppendStructure(const ParsedTree& tree, std::vector<uint32_t>* leaf_ids) {
  return AppendStructureOf(tree, tree.node_count, tree.has_missing_direction, leaf_ids);
}

Status FlatForest::AppendStructure(const PlainTree& tree, std::vector<uint32_t>* leaf_ids) {
  return AppendStructureOf(tree, tree.node_count(), false, leaf_ids);
}

template <typename Tree>
Status FlatForest::AppendStructureOf(const Tree& tree, size_t node_count, bool has_missing_direction,
                                     std::vector<uint32_t>* leaf_ids) {
  constexpr size_t kLimit = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  const size_t base = nodes_.size();
  // Payload offsets must fit in int32 too. A full binary tree of n nodes has (n + 1) / 2
  // leaves, but ParsedTree does not exclude unreachable nodes (each a leaf): bound by n.
  if (base + node_count > kLimit || node_count > kLimit / std::max<size_t>(width_, 1) ||
      payload_.size() + node_count * width_ > kLimit) {
    return Status::ResourceExhausted("the ensemble has too many nodes");
  }
  // Grow geometrically: reserving exactly base + node_count per tree would copy the whole
  // node array once per tree (quadratic in the number of trees).
  if (nodes_.capacity() < base + node_count) {
    nodes_.reserve(std::max(base + node_count, 2 * nodes_.capacity()));
  }
  nodes_.resize(base + node_count);
  thread_local std::vector<uint32_t> depth_scratch;  // a model's trees are added one after another
  uint32_t d;
  if constexpr (std::is_same_v<Tree, PlainTree>) {
    d = WriteNodesT(PlainView{tree}, node_count, nodes_.data() + base, base, payload_.size(), &depth_scratch, leaf_ids);
  } else {
    d = WriteNodes(tree, nodes_.data() + base, base, payload_.size(), &depth_scratch, leaf_ids);
  }
  all_directions_ = all_directions_ && has_missing_direction;
  bool covered = false;
  if constexpr (!std::is_same_v<Tree, PlainTree>) covered = tree.has_cover;
  if (covered && all_covers_) {
    covers_.resize(base + node_count);
    if constexpr (!std::is_same_v<Tree, PlainTree>) {
      for (size_t j = 0; j < node_count; ++j) covers_[base + j] = tree.cover(j);
    }
  } else if (all_covers_) {
    all_covers_ = false;
    covers_.clear();
    covers_.shrink_to_fit();
  }
  roots_.push_back(static_cast<int32_t>(base));
  depth_.push_back(d);
  return Status::Ok();
}

uint32_t FlatForest::WriteNodes(const ParsedTree& tree, Node* out, size_t base, size_t pay,
                                std::vector<uint32_t>* depth, std::vector<uint32_t>* leaf_ids) const {
  return tree.wide() ? WriteNodesT(ParsedView<true>{tree}, tree.node_count, out, base, pay, depth, leaf_ids)
                     : WriteNodesT(ParsedView<false>{tree}, tree.node_count, out, base, pay, depth, leaf_ids);
}

template <typename View>
uint32_t FlatForest::WriteNodesT(const View& tree, size_t n_nodes, Node* out, size_t base, size_t pay,
                                 std::vector<uint32_t>* depth_scratch, std::vector<uint32_t>* leaf_ids) const {
  // Node depths: children always have larger ids than their parent (ParsedTree and
  // PlainTree guarantee it), so one forward pass computes them.
  // A node reachable from two parents (not something sklearn writes, but not excluded by
  // the parser) takes the deepest: depth(t) must bound every path, or a walk could stop on
  // an inner node.
  depth_scratch->assign(n_nodes, 0);
  uint32_t* depth = depth_scratch->data();
  leaf_ids->clear();
  leaf_ids->reserve((n_nodes + 1) / 2);  // a full binary tree: one growth, not log2(leaves)
  uint32_t max_depth = 0;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t i = 0; i < n_nodes; ++i) {
    Node& n = out[i];
    max_depth = std::max(max_depth, depth[i]);
    const int64_t left = tree.left(i);
    if (left < 0) {  // leaf
      n.feature = 0;
      n.threshold = nan;
      n.child[0] = static_cast<int32_t>(pay);  // < 2^31: the callers check the payload size
      n.child[1] = static_cast<int32_t>(base + i);
      leaf_ids->push_back(static_cast<uint32_t>(i));
      pay += width_;
    } else {
      const size_t l = static_cast<size_t>(left), r = static_cast<size_t>(tree.right(i));
      // feature < n_features <= kMaxDim < 2^31 (ParsedTree guarantees it): the top bit is free.
      uint32_t word = static_cast<uint32_t>(tree.feature(i));
      if (route_missing_ && tree.missing_left(i)) word |= kMissingLeft;
      n.feature = static_cast<int32_t>(word);
      n.threshold = tree.threshold(i);
      n.child[0] = static_cast<int32_t>(base + l);
      n.child[1] = static_cast<int32_t>(base + r);
      depth[l] = std::max(depth[l], depth[i] + 1);
      depth[r] = std::max(depth[r], depth[i] + 1);
    }
  }
  return max_depth;
}

namespace {

// One tree of the forest as TreeSHAP reads it, in per-thread buffers (valid until the next
// call on the thread): local node ids, leaves' first k_out payload values.
struct ShapBuffers {
  std::vector<int32_t> left, right, feature, hot;
  std::vector<double> values;
  TreeShapScratch scratch;
};

ShapBuffers& Buffers() {
  thread_local ShapBuffers b;
  return b;
}

}  // namespace

template <bool kMissing>
ShapTreeView FlatForest::ShapViewOf(size_t t, size_t k_out, const float* xf) const {
  ShapBuffers& b = Buffers();
  const auto root = static_cast<size_t>(roots_[t]);
  const size_t end = t + 1 < roots_.size() ? static_cast<size_t>(roots_[t + 1]) : nodes_.size();
  const size_t m = end - root;
  b.left.resize(m);
  b.right.resize(m);
  b.feature.resize(m);
  b.hot.resize(m);
  b.values.assign(m * k_out, 0.0);
  for (size_t i = 0; i < m; ++i) {
    const Node& n = nodes_[root + i];
    if (static_cast<size_t>(n.child[1]) == root + i) {  // a leaf loops to itself
      b.left[i] = b.right[i] = -1;
      b.feature[i] = 0;
      const double* p = PayloadOf(n);
      std::copy(p, p + k_out, b.values.data() + i * k_out);
      continue;
    }
    b.left[i] = n.child[0] - static_cast<int32_t>(root);
    b.right[i] = n.child[1] - static_cast<int32_t>(root);
    b.feature[i] = static_cast<int32_t>(static_cast<uint32_t>(n.feature) & ~kMissingLeft);
    if (xf != nullptr) b.hot[i] = n.child[Step<kMissing>(n, xf)] - static_cast<int32_t>(root);
  }
  return {b.left.data(), b.right.data(), b.feature.data(), covers_.data() + root, b.values.data(), m, k_out};
}

void FlatForest::CheckExplainable(size_t n_features) {
  explainable_ = all_covers_ && !roots_.empty() && covers_.size() == nodes_.size();
  for (size_t t = 0; t < roots_.size() && explainable_; ++t) {
    explainable_ = ValidateShapTree(ShapViewOf<false>(t, 1, nullptr), n_features).ok();
  }
}

void FlatForest::AddContributions(size_t t, const float* xf, size_t k_out, double* phi, double* expected) const {
  const ShapTreeView view = route_missing_ ? ShapViewOf<true>(t, k_out, xf) : ShapViewOf<false>(t, k_out, xf);
  ShapBuffers& b = Buffers();
  TreeShap(view, b.hot.data(), phi, &b.scratch);
  thread_local std::vector<double> e;
  e.resize(k_out);
  ShapExpectedValue(view, e.data());
  for (size_t k = 0; k < k_out; ++k) expected[k] += e[k];
}

}  // namespace inferd::sklearn
