// FlatForest: any number of decision trees flattened into one contiguous node array, with a
// fixed-width block of doubles (the "payload": probabilities, regression values, a boosting
// leaf value, ...) per leaf. Traversal follows sklearn exactly: the input row is cast to
// float32 and `x <= threshold` is evaluated as double.
//
// Float thresholds. The comparison is done in float: for a float x and a double t,
// `(double)x <= t` <=> `x <= RoundDown(t)`, where RoundDown(t) is the largest float <= t.
// Proof: let r = RoundDown(t), so r <= t and no float lies in (r, t]. If x <= r then
// (double)x <= r <= t. If x > r then x is a float above r, hence x > t (no float in (r, t]).
// NaN x is false on both sides; t = +inf gives r = +inf; t < -FLT_MAX gives r = -inf, which
// only -inf satisfies, as in double. Tested exhaustively around random thresholds in
// tree_test.cc. This keeps nodes at 16 bytes.
//
// Leaves loop to themselves: a leaf is stored as {feature 0, threshold NaN, left = payload
// offset, right = its own index}. `x <= NaN` is false for every x (NaN included), so a
// traversal that reaches a leaf stays there, and a tree can be walked with exactly depth(t)
// branch-free steps: the batch traversal does that for many rows at once.
//
// Thread safety: immutable after construction; all const methods may be called concurrently.
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
    for (uint32_t d = depth_[t]; d > 0; --d) {
      const Node& n = nodes[i];
      i = n.child[Right(xf[n.feature], n.threshold)];
    }
    return PayloadOf(nodes[i]);
  }

  // Calls f(t, payload_of_leaf) for every tree t = 0, 1, ... in order (one row). Trees are
  // walked kGroup at a time in lockstep so their independent node loads overlap in the
  // memory system.
  template <typename F>
  void ForEachLeaf(const float* xf, F&& f) const {
    constexpr size_t kGroup = 8;
    const Node* nodes = nodes_.data();
    const size_t nt = roots_.size();
    size_t t0 = 0;
    for (; t0 + kGroup <= nt; t0 += kGroup) {
      int32_t idx[kGroup];
      uint32_t steps = 0;
      for (size_t g = 0; g < kGroup; ++g) {
        idx[g] = roots_[t0 + g];
        steps = depth_[t0 + g] > steps ? depth_[t0 + g] : steps;
      }
      for (; steps > 0; --steps) {
        for (size_t g = 0; g < kGroup; ++g) {
          const Node& n = nodes[idx[g]];
          idx[g] = n.child[Right(xf[n.feature], n.threshold)];
        }
      }
      for (size_t g = 0; g < kGroup; ++g) f(t0 + g, PayloadOf(nodes[idx[g]]));
    }
    for (; t0 < nt; ++t0) f(t0, Leaf(t0, xf));
  }

  // Batch traversal, tree-major: for each tree t in order, for each row r of the batch,
  // calls f(t, r, payload_of_leaf). Every row therefore sees its trees in order (sums come
  // out bit-identical to the one-row walk), while each tree's nodes stay in cache for the
  // whole batch and kLanes rows descend in lockstep, without branches.
  // `xf` is n_rows rows of `stride` floats. The caller blocks big batches (the float rows
  // and its accumulators should stay in L1/L2).
  template <typename F>
  void ForEachLeafBatch(const float* xf, size_t n_rows, size_t stride, F&& f) const {
    constexpr size_t kLanes = 8;
    const Node* nodes = nodes_.data();
    const size_t nt = roots_.size();
    for (size_t t = 0; t < nt; ++t) {
      const int32_t root = roots_[t];
      const uint32_t depth = depth_[t];
      size_t r0 = 0;
      for (; r0 + kLanes <= n_rows; r0 += kLanes) {
        int32_t idx[kLanes];
        const float* row[kLanes];
        for (size_t g = 0; g < kLanes; ++g) {
          idx[g] = root;
          row[g] = xf + (r0 + g) * stride;
        }
        for (uint32_t d = 0; d < depth; ++d) {
          for (size_t g = 0; g < kLanes; ++g) {
            const Node& n = nodes[idx[g]];
            idx[g] = n.child[Right(row[g][n.feature], n.threshold)];
          }
        }
        for (size_t g = 0; g < kLanes; ++g) f(t, r0 + g, PayloadOf(nodes[idx[g]]));
      }
      for (; r0 < n_rows; ++r0) f(t, r0, Leaf(t, xf + r0 * stride));
    }
  }

  // Largest float <= t (NaN stays NaN).
  static float RoundDown(double t);

 private:
  struct Node {
    int32_t feature;   // leaf: 0 (any valid index: the comparison is always false)
    float threshold;   // RoundDown(sklearn threshold); leaf: NaN
    int32_t child[2];  // left, right. Leaf: {offset of its payload in payload_, own index}
  };
  static_assert(sizeof(Node) == 16);

  // 0 = go left (x <= t), 1 = go right. Used as an index into Node::child rather than in a
  // ?: so the compiler emits no branch: a mispredicted branch per tree level cost more
  // than the whole walk once a batch was too big for the predictor to memorise.
  static size_t Right(float x, float t) { return static_cast<size_t>(!(x <= t)); }

  const double* PayloadOf(const Node& leaf) const {
    return payload_.data() + static_cast<size_t>(static_cast<uint32_t>(leaf.child[0]));
  }

  size_t width_;
  std::vector<Node> nodes_;
  std::vector<int32_t> roots_;
  std::vector<uint32_t> depth_;  // per tree: longest root-to-leaf path (0 for a lone leaf)
  std::vector<double> payload_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_FLAT_FOREST_H_
