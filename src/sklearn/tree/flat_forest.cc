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

}  // namespace

Status FlatForest::AppendStructure(const ParsedTree& tree, std::vector<uint32_t>* leaf_ids) {
  return AppendStructureOf(tree, tree.node_count, tree.has_missing_direction, leaf_ids);
}

Status FlatForest::AppendStructure(const PlainTree& tree, std::vector<uint32_t>* leaf_ids) {
  return AppendStructureOf(tree, tree.node_count(), false, leaf_ids);
}

uint32_t FlatForest::WriteNodes(const ParsedTree& tree, Node* out, size_t base, size_t pay,
                                std::vector<uint32_t>* depth, std::vector<uint32_t>* leaf_ids) const {
  return tree.wide() ? WriteNodesT(ParsedView<true>{tree}, tree.node_count, out, base, pay, depth, leaf_ids)
                     : WriteNodesT(ParsedView<false>{tree}, tree.node_count, out, base, pay, depth, leaf_ids);
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
