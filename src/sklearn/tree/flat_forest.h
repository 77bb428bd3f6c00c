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
// Missing values (sklearn >= 1.3 trees: a split sends NaN to the side recorded in
// `missing_go_to_left`). `x <= t` already sends NaN right; a split that sends it left is
// marked by the top bit of its feature word. Forests built with route_missing walk with
// that bit decoded (a forest that refuses NaN inputs never pays for it): going right is
// then `x > t`, or "unordered" (NaN) at an unmarked node. Leaves are never marked, so a
// leaf (threshold NaN) still loops to itself.
//
// Thread safety: immutable after construction; all const methods may be called concurrently.
#ifndef INFERD_SKLEARN_TREE_FLAT_FOREST_H_
#define INFERD_SKLEARN_TREE_FLAT_FOREST_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/huge_page_allocator.h"
#include "inferd/status.h"
#include "sklearn/tree/tree_parse.h"
#include "sklearn/tree/tree_shap.h"

namespace inferd::sklearn {

// A tree given as plain arrays, for runtimes whose trees are not sklearn records (XGBoost).
// Guarantees the caller gives, as a ParsedTree does: a leaf has left == right == -1; an
// internal node has 0 <= feature < 2^30 and both children in (node, node_count) — a child
// may have more than one parent (the result is then a DAG, walked the same way). It records
// no NaN directions: NaN goes to the second child, as `x <= threshold` sends it.
struct PlainTree {
  std::vector<int32_t> left, right, feature;
  std::vector<float> threshold;  // internal node: `x <= threshold` goes left (in float)
  size_t node_count() const { return left.size(); }
};

class FlatForest {
 public:
  // `payload_width` doubles are stored per leaf. `route_missing`: the trees come from an
  // estimator that routes NaN by `missing_go_to_left` (sklearn >= 1.3 trees with the
  // 'best' splitter); their split directions are then recorded and used.
  explicit FlatForest(size_t payload_width, bool route_missing = false)
      : width_(payload_width), route_missing_(route_missing) {}

  // Optional: room for `nodes` nodes and `leaves` leaves in all, so that adding the trees
  // of a big ensemble never reallocates (and copies) the tables.
  void Reserve(size_t nodes, size_t leaves) {
    nodes_.reserve(nodes);
    payload_.reserve(leaves * width_);
    if (all_covers_) covers_.reserve(nodes);  // freed again if a tree comes without covers
  }

  // Appends a parsed (validated) tree. `fill(node, out)` writes the payload of leaf `node`
  // into out[0..payload_width) (a template: one call per leaf, inlined). Fails only on
  // size overflow.
  template <typename Fill>
  Status AddTree(const ParsedTree& tree, Fill&& fill);
  // The same for a plain tree. Its thresholds are used as given (no rounding: they are
  // floats already).
  template <typename Fill>
  Status AddTree(const PlainTree& tree, Fill&& fill);
  // The same for a tree read through `view`, for runtimes that can present their own nodes as a
  // PlainTree without building one: view.node_count(), and view.left(i), right(i), feature(i),
  // threshold(i) with PlainTree's meaning and guarantees (left(i) < 0 for a leaf, the others
  // then unused).
  template <typename View, typename Fill>
  Status AddTreeView(const View& view, Fill&& fill);

  // Appends trees 0..n-1 in order with the same result as n AddTree calls, building up to
  // `max_threads` of them at once (the caller's thread is one). `node_counts[i]` is tree
  // i's node count as its file states it (forest_builder.cc's TreeSizeHintOf; 0 = unknown),
  // from which every tree's slots are planned before any is parsed. Nothing is parsed yet
  // when the tables are sized, so `payload_budget` (doubles) bounds what may be allocated
  // ahead: the caller derives it from bytes the file really has (each tree's `values`), as
  // the counts are.
  // `parse(i)` -> StatusOr<ParsedTree>;
  // `fill(i, tree, node, out)` writes a leaf's payload. Both are called concurrently for
  // different i. Returns the error of the lowest-numbered failing tree, as the loop would.
  // Falls back to the one-by-one loop when a count is unknown or wrong, a tree is not a
  // full binary tree (leaves != (n + 1) / 2), the forest is small, or trees were added
  // before.
  template <typename Parse, typename Fill>
  Status AddTrees(const std::vector<size_t>& node_counts, size_t payload_budget, Parse&& parse, Fill&& fill,
                  size_t max_threads);

  // True if NaN inputs are routed by each split's recorded direction: the forest was
  // built with route_missing and every tree recorded directions
  // (ParsedTree::has_missing_direction). Otherwise the caller must not pass NaN (the model
  // refuses missing values).
  bool routes_missing() const { return route_missing_ && all_directions_ && !roots_.empty(); }

  size_t n_trees() const { return roots_.size(); }
  size_t payload_width() const { return width_; }

  // Explanations. True when every tree came with its nodes' training covers (sklearn's
  // weighted_n_node_samples) and passed ValidateShapTree (tree_shap.h) in
  // CheckExplainable; false otherwise (the model then has no contributions).
  bool explainable() const { return explainable_; }
  // Runs the checks TreeShap relies on over every tree; sets explainable(). Call once, after
  // the last tree. `n_features`: the rows' width.
  void CheckExplainable(size_t n_features);
  // Adds tree t's exact path-dependent contributions for the row `xf` (float32 cells) to
  // phi[f * k_out + k], k < k_out (the first k_out entries of each leaf's payload), and the
  // tree's expected value to expected[k]. REQUIRES: explainable(), t < n_trees(),
  // k_out <= payload_width().
  void AddContributions(size_t t, const float* xf, size_t k_out, double* phi, double* expected) const;

  // Payload of the leaf reached by `xf` (the row cast to float32) in tree `t`.
  // REQUIRES: t < n_trees(); xf has at least as many entries as any tree's n_features.
  const double* Leaf(size_t t, const float* xf) const {
    return route_missing_ ? LeafT<true>(t, xf) : LeafT<false>(t, xf);
  }

  // Calls f(t, payload_of_leaf) for every tree t = 0, 1, ... in order (one row). Trees are
  // walked 16 (then 8) at a time in lockstep so their independent node loads overlap in the
  // memory system.
  template <typename F>
  void ForEachLeaf(const float* xf, F&& f) const {
    if (route_missing_) {
      ForEachLeafT<true>(xf, f);
    } else {
      ForEachLeafT<false>(xf, f);
    }
  }

  // Batch traversal, tree-major: for each tree t in order, for each row r of the batch,
  // calls f(t, r, payload_of_leaf). Every row therefore sees its trees in order (sums come
  // out bit-identical to the one-row walk), while each tree's nodes stay in cache for the
  // whole batch and kLanes rows descend in lockstep, without branches.
  // `xf` is n_rows rows of `stride` floats. The caller blocks big batches (the float rows
  // and its accumulators should stay in L1/L2).
  template <typename F>
  void ForEachLeafBatch(const float* xf, size_t n_rows, size_t stride, F&& f) const {
    if (route_missing_) {
      ForEachLeafBatchT<true>(xf, n_rows, stride, f);
    } else {
      ForEachLeafBatchT<false>(xf, n_rows, stride, f);
    }
  }

  // Largest float <= t (NaN stays NaN).
  static float RoundDown(double t);

 private:
  struct Node {
    // Split feature; leaf: 0 (any valid index: the comparison is always false). The top
    // bit marks a split that sends NaN left (see the file comment).
    int32_t feature;
    float threshold;   // RoundDown(sklearn threshold); leaf: NaN
    int32_t child[2];  // left, right. Leaf: {offset of its payload in payload_, own index}
  };
  static_assert(sizeof(Node) == 16);
  static constexpr uint32_t kMissingLeft = 0x80000000u;

  // Index into Node::child: 0 = go left, 1 = go right. Used as an index rather than in a
  // ?: so the compiler emits no branch (one would mispredict at every level of a walk).
  template <bool kMissing>
  static size_t Step(const Node& n, const float* x) {
    if constexpr (!kMissing) {
      return static_cast<size_t>(!(x[n.feature] <= n.threshold));
    } else {
      const uint32_t word = static_cast<uint32_t>(n.feature);
      const float v = x[word & ~kMissingLeft];
      const bool unordered = !(v <= n.threshold) & !(v > n.threshold);
      const bool nan_left = (word & kMissingLeft) != 0;
      return static_cast<size_t>((v > n.threshold) | (unordered & !nan_left));
    }
  }

  template <bool kMissing>
  const double* LeafT(size_t t, const float* xf) const {
    const Node* nodes = nodes_.data();
    int32_t i = roots_[t];
    for (uint32_t d = depth_[t]; d > 0; --d) i = nodes[i].child[Step<kMissing>(nodes[i], xf)];
    return PayloadOf(nodes[i]);
  }

  template <bool kMissing, typename F>
  void ForEachLeafT(const float* xf, F& f) const {
    size_t t0 = ForEachLeafGroupsT<kMissing, 16>(xf, 0, f);
    t0 = ForEachLeafGroupsT<kMissing, 8>(xf, t0, f);
    for (const size_t nt = roots_.size(); t0 < nt; ++t0) f(t0, LeafT<kMissing>(t0, xf));
  }

  // ForEachLeafT's trees from t0 on, kGroup at a time in lockstep, while a whole group is left;
  // returns the first tree not walked.
  template <bool kMissing, size_t kGroup, typename F>
  size_t ForEachLeafGroupsT(const float* xf, size_t t0, F& f) const {
    const Node* nodes = nodes_.data();
    const size_t nt = roots_.size();
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
          idx[g] = n.child[Step<kMissing>(n, xf)];
        }
      }
      for (size_t g = 0; g < kGroup; ++g) f(t0 + g, PayloadOf(nodes[idx[g]]));
    }
    return t0;
  }

  template <bool kMissing, typename F>
  void ForEachLeafBatchT(const float* xf, size_t n_rows, size_t stride, F& f) const {
    constexpr size_t kLanes = 16;
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
            idx[g] = n.child[Step<kMissing>(n, row[g])];
          }
        }
        for (size_t g = 0; g < kLanes; ++g) f(t, r0 + g, PayloadOf(nodes[idx[g]]));
      }
      for (; r0 < n_rows; ++r0) f(t, r0, LeafT<kMissing>(t, xf + r0 * stride));
    }
  }

  const double* PayloadOf(const Node& leaf) const {
    return payload_.data() + static_cast<size_t>(static_cast<uint32_t>(leaf.child[0]));
  }

  // Appends tree.node_count nodes, the k-th leaf (in node order) pointing at payload slot
  // payload_.size() + k * width_, lists the leaves' node ids in *leaf_ids and records the
  // root and depth. The non-template part of AddTree.
  // The body of the AddTree overloads and AddTreeView.
  template <typename Tree, typename Fill>
  Status AddTreeOf(const Tree& tree, Fill& fill);
  Status AppendStructure(const ParsedTree& tree, std::vector<uint32_t>* leaf_ids);
  Status AppendStructure(const PlainTree& tree, std::vector<uint32_t>* leaf_ids);
  template <typename View>
  Status AppendStructure(const View& view, std::vector<uint32_t>* leaf_ids) {
    return AppendStructureOf(view, view.node_count(), false, leaf_ids);
  }
  struct PlainView {
    const PlainTree& t;
    int64_t left(size_t i) const { return t.left[i]; }
    int64_t right(size_t i) const { return t.right[i]; }
    int64_t feature(size_t i) const { return t.feature[i]; }
    float threshold(size_t i) const { return t.threshold[i]; }
    bool missing_left(size_t) const { return false; }
  };
  template <typename Tree>
  Status AppendStructureOf(const Tree& tree, size_t node_count, bool has_missing_direction,
                           std::vector<uint32_t>* leaf_ids);

  // Writes `tree` to out[0..node_count): node ids offset by `base`, the k-th leaf (in node
  // order) pointing at payload slot pay + k * width_. Lists the leaves in *leaf_ids and
  // returns the tree's depth. *depth is scratch. Touches nothing else of the forest, so
  // trees may be written concurrently into disjoint slots.
  uint32_t WriteNodes(const ParsedTree& tree, Node* out, size_t base, size_t pay, std::vector<uint32_t>* depth,
                      std::vector<uint32_t>* leaf_ids) const;
  // Writes any tree view (flat_forest.cc: ParsedTree in both layouts, PlainTree).
  template <typename View>
  uint32_t WriteNodesT(const View& tree, size_t n_nodes, Node* out, size_t base, size_t pay,
                       std::vector<uint32_t>* depth, std::vector<uint32_t>* leaf_ids) const;
  // Tree t as TreeSHAP reads it (per-thread buffers), with the child the row `xf` goes to at
  // each internal node when xf is not null.
  template <bool kMissing>
  ShapTreeView ShapViewOf(size_t t, size_t k_out, const float* xf) const;

  // Forests with fewer nodes in all are built on the caller's thread (a thread costs more).
  static constexpr size_t kParallelMinNodes = 200000;

  size_t width_;
  // Split directions are recorded (feature words may carry kMissingLeft) and decoded by
  // every walk. Set at construction so that no walk can misread a marked word.
  bool route_missing_;
  bool all_directions_ = true;  // every tree added so far has_missing_direction
  bool all_covers_ = true;      // every tree added so far came with covers (covers_ has one per node)
  bool explainable_ = false;
  // The two big tables live in huge pages when they are big (common/huge_page_allocator.h).
  std::vector<Node, HugePageAllocator<Node>> nodes_;
  std::vector<int32_t> roots_;
  std::vector<uint32_t> depth_;  // per tree: longest root-to-leaf path (0 for a lone leaf)
  std::vector<double, HugePageAllocator<double>> payload_;
  std::vector<double, HugePageAllocator<double>> covers_;  // per node, while all_covers_
};

// `forest` after CheckExplainable(n_features): for models that hold their forest const.
inline FlatForest CheckedForExplanations(FlatForest forest, size_t n_features) {
  forest.CheckExplainable(n_features);
  return forest;
}

template <typename Fill>
Status FlatForest::AddTree(const ParsedTree& tree, Fill&& fill) {
  return AddTreeOf(tree, fill);
}

template <typename Fill>
Status FlatForest::AddTree(const PlainTree& tree, Fill&& fill) {
  return AddTreeOf(tree, fill);
}

template <typename View, typename Fill>
Status FlatForest::AddTreeView(const View& view, Fill&& fill) {
  return AddTreeOf(view, fill);
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
  constexpr bool kParsed = std::is_same_v<Tree, ParsedTree>;  // else a PlainTree or a view of one
  if constexpr (std::is_same_v<Tree, PlainTree>) {
    d = WriteNodesT(PlainView{tree}, node_count, nodes_.data() + base, base, payload_.size(), &depth_scratch, leaf_ids);
  } else if constexpr (kParsed) {
    d = WriteNodes(tree, nodes_.data() + base, base, payload_.size(), &depth_scratch, leaf_ids);
  } else {
    d = WriteNodesT(tree, node_count, nodes_.data() + base, base, payload_.size(), &depth_scratch, leaf_ids);
  }
  all_directions_ = all_directions_ && has_missing_direction;
  bool covered = false;
  if constexpr (kParsed) covered = tree.has_cover;
  if (covered && all_covers_) {
    covers_.resize(base + node_count);
    if constexpr (kParsed) {
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

template <typename View>
uint32_t FlatForest::WriteNodesT(const View& tree, size_t n_nodes, Node* out, size_t base, size_t pay,
                                 std::vector<uint32_t>* depth_scratch, std::vector<uint32_t>* leaf_ids) const {
  // Node depths: children always have larger ids than their parent (ParsedTree, PlainTree
  // and AddTreeView's views guarantee it), so one forward pass computes them.
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

template <typename Tree, typename Fill>
Status FlatForest::AddTreeOf(const Tree& tree, Fill& fill) {
  thread_local std::vector<uint32_t> leaf_ids;  // a model's trees are added one after another
  INFERD_RETURN_IF_ERROR(AppendStructure(tree, &leaf_ids));
  // AppendStructure listed the leaves in node order and gave the k-th the payload slot
  // pay + k * width_.
  const size_t pay = payload_.size();
  const size_t need = pay + leaf_ids.size() * width_;
  if (payload_.capacity() < need) {
    // Geometric growth (see AppendStructure) when Reserve was not called or was short.
    payload_.reserve(std::max(need, 2 * payload_.capacity()));
  }
  payload_.resize(need);
  double* out = payload_.data() + pay;
  for (uint32_t leaf : leaf_ids) {
    fill(static_cast<size_t>(leaf), out);
    out += width_;
  }
  return Status::Ok();
}

template <typename Parse, typename Fill>
Status FlatForest::AddTrees(const std::vector<size_t>& node_counts, size_t payload_budget, Parse&& parse, Fill&& fill,
                            size_t max_threads) {
  const size_t n = node_counts.size();
  constexpr size_t kLimit = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  // Plan: tree i's nodes go to [base[i], base[i] + count) and its leaves' payloads to
  // pay[i] + k * width_, k < (count + 1) / 2 (a full binary tree: every sklearn tree).
  size_t total_nodes = 0, total_pay = 0;
  bool planned = roots_.empty() && n >= 2 && max_threads >= 2;
  std::vector<size_t> base(n), pay(n);
  for (size_t i = 0; i < n && planned; ++i) {
    const size_t c = node_counts[i];
    base[i] = total_nodes;
    pay[i] = total_pay;
    total_nodes += c;
    total_pay += (c + 1) / 2 * width_;
    planned = c > 0 && c <= kLimit && total_nodes <= kLimit && total_pay <= kLimit;
  }
  planned = planned && total_nodes >= kParallelMinNodes && total_pay <= payload_budget;
  auto one_by_one = [&]() -> Status {
    size_t nodes = 0, leaves = 0;
    for (size_t c : node_counts) {
      nodes += std::min(c, kLimit);
      leaves += (std::min(c, kLimit) + 1) / 2;
    }
    // Ahead of validation only what the file backs: the node counts match its `nodes`
    // arrays, the payload stays within the caller's budget.
    if (nodes <= kLimit && leaves <= payload_budget / std::max<size_t>(width_, 1)) {
      Reserve(nodes_.size() + nodes, payload_.size() / std::max<size_t>(width_, 1) + leaves);
    }
    for (size_t i = 0; i < n; ++i) {
      StatusOr<ParsedTree> t = parse(i);
      if (!t.ok()) return t.status();
      const ParsedTree& tree = *t;
      INFERD_RETURN_IF_ERROR(AddTree(tree, [&](size_t node, double* out) { fill(i, tree, node, out); }));
    }
    return Status::Ok();
  };
  if (!planned) return one_by_one();

  nodes_.resize(total_nodes);  // default-initialised (HugePageAllocator): every slot is written
  payload_.resize(total_pay);
  covers_.resize(total_nodes);
  roots_.assign(n, 0);
  depth_.assign(n, 0);
  std::vector<Status> errors(n);
  std::vector<uint8_t> replan(n, 0), directions(n, 0), covered(n, 0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    std::vector<uint32_t> depth_scratch, leaf_ids;
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
      StatusOr<ParsedTree> t = parse(i);
      if (!t.ok()) {
        errors[i] = t.status();
        continue;
      }
      const ParsedTree& tree = *t;
      if (tree.node_count != node_counts[i]) {
        replan[i] = 1;
        continue;
      }
      const uint32_t d = WriteNodes(tree, nodes_.data() + base[i], base[i], pay[i], &depth_scratch, &leaf_ids);
      if (leaf_ids.size() != (tree.node_count + 1) / 2) {
        replan[i] = 1;  // not a full binary tree: its leaves do not fit the planned slots
        continue;
      }
      double* out = payload_.data() + pay[i];
      for (uint32_t leaf : leaf_ids) {
        fill(i, tree, static_cast<size_t>(leaf), out);
        out += width_;
      }
      roots_[i] = static_cast<int32_t>(base[i]);
      depth_[i] = d;
      directions[i] = tree.has_missing_direction ? 1 : 0;
      if (tree.has_cover) {
        for (size_t j = 0; j < tree.node_count; ++j) covers_[base[i] + j] = tree.cover(j);
        covered[i] = 1;
      }
    }
  };
  {
    std::vector<std::thread> helpers;
    const size_t extra = std::min(max_threads, n) - 1;
    for (size_t k = 0; k < extra; ++k) helpers.emplace_back(work);
    work();
    for (std::thread& t : helpers) t.join();
  }
  for (size_t i = 0; i < n; ++i) {
    if (!errors[i].ok() || replan[i] != 0) {
      nodes_.clear();
      payload_.clear();
      covers_.clear();
      roots_.clear();
      depth_.clear();
      if (!errors[i].ok()) return errors[i];  // the lowest-numbered failing tree, as the loop reports
      return one_by_one();                    // a plan did not fit: the loop decides (same result or error)
    }
    all_directions_ = all_directions_ && directions[i] != 0;
    all_covers_ = all_covers_ && covered[i] != 0;
  }
  if (!all_covers_) {
    covers_.clear();
    covers_.shrink_to_fit();
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_FLAT_FOREST_H_
