// FlatForest: any number of decision trees flattened into one contiguous node array, with a
// fixed-width block of doubles (the "payload": probabilities, regression values, a boosting
// leaf value, ...) per leaf. Traversal follows sklearn exactly: the input row is cast to
// float32 and `x <= threshold` is evaluated as double.
//
// That comparison is done here in float: for a float x and a double t,
// `(double)x <= t` <=> `x <= RoundDown(t)`, where RoundDown(t) is the largest float <= t
// (the next float above it is already > t). This keeps nodes at 16 bytes.
//
// Thread safety: immutable after Finish(); Leaf() may be called concurrently.
#ifndef INFERD_SKLEARN_TREE_FLAT_FOREST_H_
#define INFERD_SKLEARN_TREE_FLAT_FOREST_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "inferd/status.h"
#include "sklearn/tree/tree_parse.h"

namespace inferd::sklearn {

class FlatForest {
 public:
  // `payload_width` doubles are stored per leaf.
  explicit FlatForest(size_t payload_width) : width_(payload_width) {}

  // Appends a parsed (validated) tree. `fill(node, out)` writes the payload of leaf `node`
  // into out[0..payload_width). Fails only on size overflow.
  Status AddTree(const ParsedTree& tree, const std::function<void(size_t node, double* out)>& fill);

  size_t n_trees() const { return roots_.size(); }
  size_t payload_width() const { return width_; }

  // Payload of the leaf reached by `xf` (the row cast to float32) in tree `t`.
  // REQUIRES: t < n_trees(); xf has at least as many entries as any tree's n_features.
  const double* Leaf(size_t t, const float* xf) const {
    const Node* nodes = nodes_.data();
    int32_t i = roots_[t];
    while (nodes[i].feature >= 0) {
      const Node& n = nodes[i];
      i = xf[n.feature] <= n.threshold ? n.left : n.right;
    }
    return payload_.data() + static_cast<size_t>(static_cast<uint32_t>(nodes[i].left));
  }

  // Calls f(t, payload_of_leaf) for every tree t = 0, 1, ... in order. Trees are walked
  // kGroup at a time in lockstep so their independent node loads overlap in the memory
  // system (a 100-tree forest does not fit in L2; walking one tree at a time would pay a
  // cache miss per level, serially).
  template <typename F>
  void ForEachLeaf(const float* xf, F&& f) const {
    constexpr size_t kGroup = 8;
    const Node* nodes = nodes_.data();
    const size_t nt = roots_.size();
    size_t t0 = 0;
    for (; t0 + kGroup <= nt; t0 += kGroup) {
      int32_t idx[kGroup];
      for (size_t g = 0; g < kGroup; ++g) idx[g] = roots_[t0 + g];
      bool active = true;
      while (active) {
        active = false;
        for (size_t g = 0; g < kGroup; ++g) {
          const Node& n = nodes[idx[g]];
          if (n.feature >= 0) {
            idx[g] = xf[n.feature] <= n.threshold ? n.left : n.right;
            active = true;
          }
        }
      }
      for (size_t g = 0; g < kGroup; ++g) {
        f(t0 + g, payload_.data() + static_cast<size_t>(static_cast<uint32_t>(nodes[idx[g]].left)));
      }
    }
    for (; t0 < nt; ++t0) f(t0, Leaf(t0, xf));
  }

  // Largest float <= t (NaN stays NaN).
  static float RoundDown(double t);

 private:
  struct Node {
    int32_t feature;  // -1 for a leaf
    float threshold;  // RoundDown(sklearn threshold)
    int32_t left;     // leaf: index of its payload in payload_
    int32_t right;
  };
  static_assert(sizeof(Node) == 16);

  size_t width_;
  std::vector<Node> nodes_;
  std::vector<int32_t> roots_;
  std::vector<double> payload_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_FLAT_FOREST_H_
