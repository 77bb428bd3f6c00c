#include "sklearn/tree/tree_shap.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace inferd::sklearn {
namespace {

template <typename T>
using PathElement = typename TreeShapScratchT<T>::PathElement;

// The three path operations of Algorithm 2. `path[0, depth]` is the path of unique features
// from the root; element 0 is the root's placeholder (feature -1). The operation order follows
// xgboost's tree_model.cc so that a float instantiation would round as it does.

// Adds a feature to the path: subsets that include it (one_fraction) or not (zero_fraction).
template <typename T>
void ExtendPath(PathElement<T>* path, size_t depth, T zero_fraction, T one_fraction, int32_t feature) {
  path[depth] = {feature, zero_fraction, one_fraction, depth == 0 ? T{1} : T{0}};
  const T d1 = static_cast<T>(depth + 1);
  for (size_t i = depth; i-- > 0;) {
    path[i + 1].weight += one_fraction * path[i].weight * static_cast<T>(i + 1) / d1;
    path[i].weight = zero_fraction * path[i].weight * static_cast<T>(depth - i) / d1;
  }
}

// Undoes ExtendPath for the element at `index` (1 <= index <= depth); the path is then one shorter.
template <typename T>
void UnwindPath(PathElement<T>* path, size_t depth, size_t index) {
  const T one_fraction = path[index].one_fraction;
  const T zero_fraction = path[index].zero_fraction;
  const T d1 = static_cast<T>(depth + 1);
  T next_one_portion = path[depth].weight;
  for (size_t i = depth; i-- > 0;) {
    if (one_fraction != 0) {
      const T tmp = path[i].weight;
      path[i].weight = next_one_portion * d1 / (static_cast<T>(i + 1) * one_fraction);
      next_one_portion = tmp - path[i].weight * zero_fraction * static_cast<T>(depth - i) / d1;
    } else {
      path[i].weight = path[i].weight * d1 / (zero_fraction * static_cast<T>(depth - i));
    }
  }
  for (size_t i = index; i < depth; ++i) {
    path[i].feature = path[i + 1].feature;
    path[i].zero_fraction = path[i + 1].zero_fraction;
    path[i].one_fraction = path[i + 1].one_fraction;
  }
}

// The total weight the path would have with the element at `index` unwound, without changing it.
template <typename T>
T UnwoundPathSum(const PathElement<T>* path, size_t depth, size_t index) {
  const T one_fraction = path[index].one_fraction;
  const T zero_fraction = path[index].zero_fraction;
  const T d1 = static_cast<T>(depth + 1);
  T next_one_portion = path[depth].weight;
  T total = 0;
  for (size_t i = depth; i-- > 0;) {
    if (one_fraction != 0) {
      const T tmp = next_one_portion * d1 / (static_cast<T>(i + 1) * one_fraction);
      total += tmp;
      next_one_portion = path[i].weight - tmp * zero_fraction * (static_cast<T>(depth - i) / d1);
    } else if (zero_fraction != 0) {
      total += (path[i].weight / zero_fraction) / (static_cast<T>(depth - i) / d1);
    }
    // Both zero: no cover and not the row's branch; its subsets carry no weight.
  }
  return total;
}

// The share of `node`'s cover that goes to `child` (the child's zero fraction).
template <typename T>
T ZeroFraction(const ShapTreeViewT<T>& tree, int32_t node, int32_t child) {
  const T cover = tree.cover[node];
  return cover > 0 ? tree.cover[child] / cover : 0;
}

template <typename T>
struct Walk {
  const ShapTreeViewT<T>& tree;
  const int32_t* hot_child;
  T* phi;

  // `path` holds the parent's path in [0, depth]; this call works on the copy at path + depth + 1.
  void Recurse(int32_t node, PathElement<T>* parent_path, size_t depth, T parent_zero_fraction, T parent_one_fraction,
               int32_t parent_feature) const {
    PathElement<T>* path = parent_path + depth + 1;
    std::copy(parent_path, parent_path + depth + 1, path);
    ExtendPath<T>(path, depth, parent_zero_fraction, parent_one_fraction, parent_feature);
    const size_t width = tree.width;
    if (tree.left[node] < 0) {
      const T* value = tree.values + static_cast<size_t>(node) * width;
      for (size_t i = 1; i <= depth; ++i) {
        const T w = UnwoundPathSum<T>(path, depth, i);
        const PathElement<T>& el = path[i];
        T* out = phi + static_cast<size_t>(el.feature) * width;
        const T scale = w * (el.one_fraction - el.zero_fraction);
        for (size_t k = 0; k < width; ++k) out[k] += scale * value[k];
      }
      return;
    }
    const int32_t feature = tree.feature[node];
    const int32_t hot = hot_child[node];
    const int32_t cold = hot == tree.left[node] ? tree.right[node] : tree.left[node];
    const T hot_zero_fraction = ZeroFraction(tree, node, hot);
    const T cold_zero_fraction = ZeroFraction(tree, node, cold);
    T incoming_zero_fraction = 1;
    T incoming_one_fraction = 1;
    // A feature split on again further down: undo its earlier split and redo it here.
    size_t index = 1;
    while (index <= depth && path[index].feature != feature) ++index;
    if (index <= depth) {
      incoming_zero_fraction = path[index].zero_fraction;
      incoming_one_fraction = path[index].one_fraction;
      UnwindPath<T>(path, depth, index);
      --depth;
    }
    Recurse(hot, path, depth + 1, hot_zero_fraction * incoming_zero_fraction, incoming_one_fraction, feature);
    Recurse(cold, path, depth + 1, cold_zero_fraction * incoming_zero_fraction, 0, feature);
  }
};

// Depth of the deepest node (the root has depth 0). Children come after their parents.
template <typename T>
size_t MaxDepth(const ShapTreeViewT<T>& tree, std::vector<int32_t>* depth) {
  depth->assign(tree.node_count, 0);
  size_t deepest = 0;
  for (size_t n = 0; n < tree.node_count; ++n) {
    if (tree.left[n] < 0) continue;
    const int32_t d = (*depth)[n] + 1;
    (*depth)[static_cast<size_t>(tree.left[n])] = d;
    (*depth)[static_cast<size_t>(tree.right[n])] = d;
    deepest = std::max(deepest, static_cast<size_t>(d));
  }
  return deepest;
}

}  // namespace

template <typename T>
Status ValidateShapTree(const ShapTreeViewT<T>& tree, size_t n_features) {
  if (tree.node_count == 0) return Status::InvalidArgument("tree has no nodes");
  if (tree.width == 0) return Status::InvalidArgument("tree has no outputs");
  if (!(std::isfinite(tree.cover[0]) && tree.cover[0] > 0)) {
    return Status::InvalidArgument("tree's root has no training cover: contributions are undefined");
  }
  const auto n = static_cast<int64_t>(tree.node_count);
  // Every node but the root has one parent: the walk visits each once (no shared subtrees).
  std::vector<uint8_t> has_parent(tree.node_count, 0);
  for (int64_t i = 0; i < n; ++i) {
    const std::string where = "node " + std::to_string(i);
    const T c = tree.cover[i];
    if (!(std::isfinite(c) && c >= 0)) return Status::InvalidArgument(where + " has cover " + std::to_string(c));
    const int32_t l = tree.left[i], r = tree.right[i];
    if (l < 0 || r < 0) {
      if (l != -1 || r != -1) return Status::InvalidArgument(where + " has one child");
      continue;
    }
    if (l <= i || r <= i || l >= n || r >= n || l == r) {
      return Status::InvalidArgument(where + " has children " + std::to_string(l) + ", " + std::to_string(r));
    }
    for (const int32_t child : {l, r}) {
      if (has_parent[static_cast<size_t>(child)]++ != 0) {
        return Status::InvalidArgument("node " + std::to_string(child) + " has two parents");
      }
    }
    const int32_t f = tree.feature[i];
    if (f < 0 || static_cast<size_t>(f) >= n_features) {
      return Status::InvalidArgument(where + " splits on feature " + std::to_string(f));
    }
  }
  std::vector<int32_t> depth;
  if (const size_t d = MaxDepth(tree, &depth); d > kMaxTreeShapDepth) {
    return Status::InvalidArgument("tree is " + std::to_string(d) + " levels deep; contributions are computed to " +
                                   std::to_string(kMaxTreeShapDepth));
  }
  return Status::Ok();
}

template <typename T>
void ShapExpectedValue(const ShapTreeViewT<T>& tree, T* out) {
  // Children come after their parents, so a backward pass has both children's means ready.
  // The operations are xgboost's FillNodeMeanValue's, in its order.
  std::vector<T> mean(tree.node_count * tree.width);
  const size_t w = tree.width;
  for (size_t n = tree.node_count; n-- > 0;) {
    T* m = mean.data() + n * w;
    if (tree.left[n] < 0) {
      for (size_t k = 0; k < w; ++k) m[k] = tree.values[n * w + k];
      continue;
    }
    const auto l = static_cast<size_t>(tree.left[n]);
    const auto r = static_cast<size_t>(tree.right[n]);
    const T c = tree.cover[n];
    for (size_t k = 0; k < w; ++k) {
      T v = mean[l * w + k] * tree.cover[l];
      v += mean[r * w + k] * tree.cover[r];
      m[k] = c > 0 ? v / c : 0;
    }
  }
  for (size_t k = 0; k < w; ++k) out[k] = mean[k];
}

template <typename T>
void TreeShap(const ShapTreeViewT<T>& tree, const int32_t* hot_child, T* phi, TreeShapScratchT<T>* scratch) {
  const size_t d = MaxDepth(tree, &scratch->depth) + 2;
  // Each level of the walk keeps its own copy of the path: levels 0..d-1 of up to d elements.
  const size_t need = d * (d + 1) / 2;
  if (scratch->path.size() < need) scratch->path.resize(need);
  const Walk<T> walk{tree, hot_child, phi};
  walk.Recurse(0, scratch->path.data(), 0, 1, 1, -1);
}

namespace {

// The lanes' walk (TreeShapLanes). Each operation is TreeShap's, lane by lane; where TreeShap
// branches on a lane's value, both sides are computed and each lane keeps its own.
template <typename T>
struct LaneWalk {
  using Scratch = TreeShapLanesScratch<T>;
  using V = typename Scratch::Lanes;
  using Element = typename Scratch::PathElement;

  const ShapTreeViewT<T>& tree;
  const int32_t* hot_child;
  size_t lanes;
  Scratch* s;

  // Vectors are passed by reference: by value they would depend on the ISA's vector ABI.
  static void Extend(Element* path, size_t depth, T zero_fraction, const V& one_fraction, int32_t feature) {
    path[depth].feature = feature;
    path[depth].zero_fraction = zero_fraction;
    path[depth].one_fraction = one_fraction;
    path[depth].weight = V{} + (depth == 0 ? T{1} : T{0});
    const T d1 = static_cast<T>(depth + 1);
    for (size_t i = depth; i-- > 0;) {
      path[i + 1].weight += one_fraction * path[i].weight * static_cast<T>(i + 1) / d1;
      path[i].weight = zero_fraction * path[i].weight * static_cast<T>(depth - i) / d1;
    }
  }

  static void Unwind(Element* path, size_t depth, size_t index) {
    const V one_fraction = path[index].one_fraction;
    const T zero_fraction = path[index].zero_fraction;
    const T d1 = static_cast<T>(depth + 1);
    const auto hot = one_fraction != T{0};
    V next_one_portion = path[depth].weight;
    for (size_t i = depth; i-- > 0;) {
      const V tmp = path[i].weight;
      const V if_hot = next_one_portion * d1 / (static_cast<T>(i + 1) * one_fraction);
      const V if_cold = path[i].weight * d1 / (zero_fraction * static_cast<T>(depth - i));
      path[i].weight = hot ? if_hot : if_cold;
      next_one_portion = hot ? tmp - if_hot * zero_fraction * static_cast<T>(depth - i) / d1 : next_one_portion;
    }
    for (size_t i = index; i < depth; ++i) {
      path[i].feature = path[i + 1].feature;
      path[i].zero_fraction = path[i + 1].zero_fraction;
      path[i].one_fraction = path[i + 1].one_fraction;
    }
  }

  static void UnwoundSum(const Element* path, size_t depth, size_t index, V* out) {
    const V one_fraction = path[index].one_fraction;
    const T zero_fraction = path[index].zero_fraction;
    const T d1 = static_cast<T>(depth + 1);
    const auto hot = one_fraction != T{0};
    V next_one_portion = path[depth].weight;
    V total = V{};
    for (size_t i = depth; i-- > 0;) {
      const V tmp = next_one_portion * d1 / (static_cast<T>(i + 1) * one_fraction);
      const V if_cold = zero_fraction != 0 ? (path[i].weight / zero_fraction) / (static_cast<T>(depth - i) / d1) : V{};
      total += hot ? tmp : if_cold;
      next_one_portion =
          hot ? path[i].weight - tmp * zero_fraction * (static_cast<T>(depth - i) / d1) : next_one_portion;
    }
    *out = total;
  }

  void Recurse(int32_t node, Element* parent_path, size_t depth, T parent_zero_fraction, const V& parent_one_fraction,
               int32_t parent_feature) const {
    Element* path = parent_path + depth + 1;
    std::copy(parent_path, parent_path + depth + 1, path);
    Extend(path, depth, parent_zero_fraction, parent_one_fraction, parent_feature);
    const auto n = static_cast<size_t>(node);
    if (tree.left[node] < 0) {
      s->leaf_terms[n] = static_cast<uint32_t>(s->terms.size());
      s->leaf_count[n] = static_cast<uint32_t>(depth);
      for (size_t i = 1; i <= depth; ++i) {
        V w;
        UnwoundSum(path, depth, i, &w);
        s->terms.push_back({w * (path[i].one_fraction - path[i].zero_fraction), path[i].feature});
      }
      return;
    }
    const int32_t feature = tree.feature[node];
    const int32_t left = tree.left[node], right = tree.right[node];
    const T left_zero_fraction = ZeroFraction(tree, node, left);
    const T right_zero_fraction = ZeroFraction(tree, node, right);
    T incoming_zero_fraction = 1;
    V incoming_one_fraction = V{} + T{1};
    size_t index = 1;
    while (index <= depth && path[index].feature != feature) ++index;
    if (index <= depth) {
      incoming_zero_fraction = path[index].zero_fraction;
      incoming_one_fraction = path[index].one_fraction;
      Unwind(path, depth, index);
      --depth;
    }
    V left_hot = V{};
    for (size_t l = 0; l < lanes; ++l) left_hot[l] = hot_child[l * tree.node_count + n] == left ? T{1} : T{0};
    const auto to_left = left_hot != T{0};
    const V left_one = to_left ? incoming_one_fraction : V{};
    const V right_one = to_left ? V{} : incoming_one_fraction;
    Recurse(left, path, depth + 1, left_zero_fraction * incoming_zero_fraction, left_one, feature);
    Recurse(right, path, depth + 1, right_zero_fraction * incoming_zero_fraction, right_one, feature);
  }
};

}  // namespace

template <typename T>
void TreeShapLanes(const ShapTreeViewT<T>& tree, const int32_t* hot_child, size_t lanes, T* const* phi,
                   TreeShapLanesScratch<T>* scratch) {
  const size_t d = MaxDepth(tree, &scratch->depth) + 2;
  const size_t need = d * (d + 1) / 2;
  if (scratch->path.size() < need) scratch->path.resize(need);
  scratch->terms.clear();
  scratch->leaf_terms.resize(tree.node_count);
  scratch->leaf_count.resize(tree.node_count);
  const LaneWalk<T> walk{tree, hot_child, lanes, scratch};
  const typename TreeShapLanesScratch<T>::Lanes ones = typename TreeShapLanesScratch<T>::Lanes{} + T{1};
  walk.Recurse(0, scratch->path.data(), 0, 1, ones, -1);
  // Each row's terms in its own order: depth first, the hot child before the other.
  const size_t width = tree.width;
  std::vector<int32_t>& stack = scratch->stack;
  for (size_t l = 0; l < lanes; ++l) {
    const int32_t* hot = hot_child + l * tree.node_count;
    T* out = phi[l];
    stack.assign(1, 0);
    while (!stack.empty()) {
      const int32_t node = stack.back();
      stack.pop_back();
      const auto n = static_cast<size_t>(node);
      if (tree.left[node] >= 0) {
        stack.push_back(hot[n] == tree.left[node] ? tree.right[node] : tree.left[node]);
        stack.push_back(hot[n]);
        continue;
      }
      const T* value = tree.values + n * width;
      const auto* term = scratch->terms.data() + scratch->leaf_terms[n];
      for (uint32_t j = 0; j < scratch->leaf_count[n]; ++j) {
        const T scale = term[j].scale[l];
        T* o = out + static_cast<size_t>(term[j].feature) * width;
        for (size_t k = 0; k < width; ++k) o[k] += scale * value[k];
      }
    }
  }
}

namespace {

// Mask groups at a node with `depth` ancestors: 2^depth masks, kShapLanes<T> to a group.
template <typename T>
size_t MaskGroups(size_t depth) {
  const size_t masks = size_t{1} << depth;
  return masks <= kShapLanes<T> ? 1 : masks / kShapLanes<T>;
}

// The table's walk (BuildTreeShapTable): LaneWalk's operations with masks for lanes. Bit j of a
// mask says whether the row goes toward this node at its ancestor of depth j, so at depth d a
// node's masks extend its parent's with bit d-1: the masks with it set take the parent's split
// as the row's branch (one fraction as incoming), the others as the other branch (0).
template <typename T>
struct MaskWalk {
  using Table = TreeShapTable<T>;
  using V = typename Table::Lanes;
  using Element = typename Table::Element;
  using Ops = LaneWalk<T>;
  static constexpr size_t kLanes = kShapLanes<T>;

  const ShapTreeViewT<T>& tree;
  Table* t;
  size_t stride;               // path elements per group
  const size_t* level_path;    // per depth: offset of its groups' paths in t->path
  const size_t* level_groups;  // per depth: offset of its groups in t->incoming

  // `unique_depth` is the path length after this node's parent split is added (as TreeShap's
  // depth); the parent's groups' paths hold [0, unique_depth).
  void Recurse(int32_t node, size_t d, size_t unique_depth, T zero_fraction, int32_t parent_feature) const {
    const size_t groups = MaskGroups<T>(d);
    Element* paths = t->path.data() + level_path[d];
    if (d == 0) {
      Ops::Extend(paths, 0, zero_fraction, V{} + T{1}, parent_feature);
    } else {
      const size_t parent_groups = MaskGroups<T>(d - 1);
      const Element* parents = t->path.data() + level_path[d - 1];
      const V* incoming = t->incoming.data() + level_groups[d - 1];
      V lane_bits{};  // one group: bit d-1 of each lane's mask
      for (size_t l = 0; l < kLanes; ++l) lane_bits[l] = ((l >> (d - 1)) & 1) != 0 ? T{1} : T{0};
      for (size_t g = 0; g < groups; ++g) {
        const size_t pg = g % parent_groups;
        Element* path = paths + g * stride;
        std::copy(parents + pg * stride, parents + pg * stride + unique_depth, path);
        V one;
        if (groups == 1) {
          one = lane_bits != T{0} ? incoming[pg] : V{};
        } else {
          one = g >= parent_groups ? incoming[pg] : V{};
        }
        Ops::Extend(path, unique_depth, zero_fraction, one, parent_feature);
      }
    }
    const auto n = static_cast<size_t>(node);
    size_t depth = unique_depth;
    if (tree.left[node] < 0) {
      t->leaf_first[n] = static_cast<uint32_t>(t->scales.size());
      t->leaf_feature[n] = static_cast<uint32_t>(t->features.size());
      t->leaf_count[n] = static_cast<uint32_t>(depth);
      for (size_t i = 1; i <= depth; ++i) {
        t->features.push_back(paths[i].feature);
        for (size_t g = 0; g < groups; ++g) {
          const Element* path = paths + g * stride;
          V w;
          Ops::UnwoundSum(path, depth, i, &w);
          t->scales.push_back(w * (path[i].one_fraction - path[i].zero_fraction));
        }
      }
      return;
    }
    const int32_t feature = tree.feature[node];
    const int32_t left = tree.left[node], right = tree.right[node];
    const T left_zero_fraction = ZeroFraction(tree, node, left);
    const T right_zero_fraction = ZeroFraction(tree, node, right);
    T incoming_zero_fraction = 1;
    V* incoming = t->incoming.data() + level_groups[d];
    size_t index = 1;
    while (index <= depth && paths[index].feature != feature) ++index;
    if (index <= depth) {
      incoming_zero_fraction = paths[index].zero_fraction;
      for (size_t g = 0; g < groups; ++g) {
        Element* path = paths + g * stride;
        incoming[g] = path[index].one_fraction;
        Ops::Unwind(path, depth, index);
      }
      --depth;
    } else {
      for (size_t g = 0; g < groups; ++g) incoming[g] = V{} + T{1};
    }
    Recurse(left, d + 1, depth + 1, left_zero_fraction * incoming_zero_fraction, feature);
    Recurse(right, d + 1, depth + 1, right_zero_fraction * incoming_zero_fraction, feature);
  }
};

}  // namespace

template <typename T>
bool TreeShapTablePays(const ShapTreeViewT<T>& tree, size_t rows, TreeShapTable<T>* table) {
  table->max_depth = MaxDepth(tree, &table->depth);
  if (table->max_depth > kMaxTreeShapTableDepth) return false;
  // Both walks do the same work per node and group of lanes.
  size_t table_groups = 0, terms = 0;
  for (size_t n = 0; n < tree.node_count; ++n) {
    const auto d = static_cast<size_t>(table->depth[n]);
    table_groups += MaskGroups<T>(d);
    if (tree.left[n] < 0) terms += MaskGroups<T>(d) * d;  // at most d path elements per leaf
  }
  const size_t lane_groups = (rows + kShapLanes<T> - 1) / kShapLanes<T> * tree.node_count;
  return table_groups < lane_groups && terms <= kMaxTreeShapTableTerms;
}

template <typename T>
void BuildTreeShapTable(const ShapTreeViewT<T>& tree, TreeShapTable<T>* table) {
  const size_t max_depth = table->max_depth;
  const size_t stride = max_depth + 2;
  size_t level_path[kMaxTreeShapTableDepth + 2], level_groups[kMaxTreeShapTableDepth + 2];
  size_t paths = 0, groups = 0;
  for (size_t d = 0; d <= max_depth; ++d) {
    level_path[d] = paths;
    level_groups[d] = groups;
    paths += MaskGroups<T>(d) * stride;
    groups += MaskGroups<T>(d);
  }
  if (table->path.size() < paths) table->path.resize(paths);
  if (table->incoming.size() < groups) table->incoming.resize(groups);
  table->scales.clear();
  table->features.clear();
  table->leaf_first.assign(tree.node_count, 0);
  table->leaf_feature.assign(tree.node_count, 0);
  table->leaf_count.assign(tree.node_count, 0);
  const MaskWalk<T> walk{tree, table, stride, level_path, level_groups};
  walk.Recurse(0, 0, 0, 1, -1);
}

template <typename T>
void TreeShapFromTable(const ShapTreeViewT<T>& tree, const int32_t* hot_child, T* phi, TreeShapTable<T>* table) {
  // Depth first, the hot child before the other (TreeShap's order of additions).
  const size_t width = tree.width;
  auto& stack = table->stack;
  stack.assign(1, {0, 0u});
  while (!stack.empty()) {
    const auto [node, mask] = stack.back();
    stack.pop_back();
    const auto n = static_cast<size_t>(node);
    if (tree.left[node] >= 0) {
      const int32_t hot = hot_child[n];
      stack.emplace_back(hot == tree.left[node] ? tree.right[node] : tree.left[node], mask);
      stack.emplace_back(hot, mask | (1u << table->depth[n]));
      continue;
    }
    const size_t groups = MaskGroups<T>(static_cast<size_t>(table->depth[n]));
    const auto* scale = table->scales.data() + table->leaf_first[n] + mask / kShapLanes<T>;
    const size_t lane = mask % kShapLanes<T>;
    const int32_t* feature = table->features.data() + table->leaf_feature[n];
    const T* value = tree.values + n * width;
    for (uint32_t i = 0; i < table->leaf_count[n]; ++i) {
      const T s = scale[i * groups][lane];
      T* o = phi + static_cast<size_t>(feature[i]) * width;
      for (size_t k = 0; k < width; ++k) o[k] += s * value[k];
    }
  }
}

template Status ValidateShapTree(const ShapTreeViewT<double>&, size_t);
template Status ValidateShapTree(const ShapTreeViewT<float>&, size_t);
template void ShapExpectedValue(const ShapTreeViewT<double>&, double*);
template void ShapExpectedValue(const ShapTreeViewT<float>&, float*);
template void TreeShap(const ShapTreeViewT<double>&, const int32_t*, double*, TreeShapScratchT<double>*);
template void TreeShap(const ShapTreeViewT<float>&, const int32_t*, float*, TreeShapScratchT<float>*);
template void TreeShapLanes(const ShapTreeViewT<double>&, const int32_t*, size_t, double* const*,
                            TreeShapLanesScratch<double>*);
template void TreeShapLanes(const ShapTreeViewT<float>&, const int32_t*, size_t, float* const*,
                            TreeShapLanesScratch<float>*);
template bool TreeShapTablePays(const ShapTreeViewT<double>&, size_t, TreeShapTable<double>*);
template bool TreeShapTablePays(const ShapTreeViewT<float>&, size_t, TreeShapTable<float>*);
template void BuildTreeShapTable(const ShapTreeViewT<double>&, TreeShapTable<double>*);
template void BuildTreeShapTable(const ShapTreeViewT<float>&, TreeShapTable<float>*);
template void TreeShapFromTable(const ShapTreeViewT<double>&, const int32_t*, double*, TreeShapTable<double>*);
template void TreeShapFromTable(const ShapTreeViewT<float>&, const int32_t*, float*, TreeShapTable<float>*);

}  // namespace inferd::sklearn
