// Exact per-feature contributions of one decision tree to one prediction: path-dependent
// TreeSHAP (Lundberg, Erion & Lee, "Consistent Individualized Feature Attribution for Tree
// Ensembles", 2018, Algorithm 2), the quantity xgboost's predict(pred_contribs=True) and
// shap.TreeExplainer(feature_perturbation="tree_path_dependent") compute.
//
// The value of a feature subset S is the tree's expectation when the features in S follow the
// row and every other split averages its children weighted by their training cover. The
// contributions are the Shapley values of that game; with the tree's expected value (the
// cover-weighted mean of its leaves) they add up to the leaf the row reaches.
//
// The runtimes differ in how a row picks a child (sklearn's `x <= t` in float32, xgboost's
// `x < t` with a default direction, LightGBM's category bitsets), so the caller decides: it
// gives, for every internal node, the child this row goes to.
//
// Thread safety: free functions over caller-owned memory; TreeShap keeps its working path in
// a caller-owned TreeShapScratch (one per thread).
#ifndef INFERD_SKLEARN_TREE_TREE_SHAP_H_
#define INFERD_SKLEARN_TREE_TREE_SHAP_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "inferd/status.h"

namespace inferd::sklearn {

// A tree as TreeSHAP reads it; the arrays are the caller's and have node_count entries (values:
// node_count * width). Node 0 is the root. `T` is the arithmetic the walk uses: double, or
// float for XGBoost, whose contributions are computed in float (the walk then rounds exactly
// as xgboost 1.7's RegTree::TreeShap does).
template <typename T>
struct ShapTreeViewT {
  const int32_t* left = nullptr;  // child ids; -1 at a leaf (then right is -1 too)
  const int32_t* right = nullptr;
  const int32_t* feature = nullptr;  // internal nodes: the feature split on, in [0, n_features)
  const T* cover = nullptr;          // training weight that reached the node (> 0 at the root)
  const T* values = nullptr;         // leaves: `width` outputs each; internal entries unused
  size_t node_count = 0;
  size_t width = 1;
};
using ShapTreeView = ShapTreeViewT<double>;
using ShapTreeViewF = ShapTreeViewT<float>;

// The deepest tree TreeShap walks: its working path grows with the square of the depth
// (512 levels: 4 MB).
inline constexpr size_t kMaxTreeShapDepth = 512;

// Checks what TreeShap relies on: children in range and after their parent (so the walk ends),
// one parent per node but the root,
// leaves with both children -1, features in [0, n_features), covers finite and >= 0 with a
// positive root, depth at most kMaxTreeShapDepth.
template <typename T>
Status ValidateShapTree(const ShapTreeViewT<T>& tree, size_t n_features);

// The tree's expected value per output: the leaves' values weighted by cover / root cover.
// out[0, width) is overwritten. Precondition: ValidateShapTree passed.
template <typename T>
void ShapExpectedValue(const ShapTreeViewT<T>& tree, T* out);

// Working memory for TreeShap, reused across calls (not shared between threads).
template <typename T>
struct TreeShapScratchT {
  struct PathElement {
    int32_t feature;
    T zero_fraction;  // share of the cover that takes this branch when the feature is unknown
    T one_fraction;   // 1 if the row takes this branch when the feature is known, else 0
    T weight;         // the permutation weight of the subsets of this path's size
  };
  std::vector<PathElement> path;
  std::vector<int32_t> depth;
};
using TreeShapScratch = TreeShapScratchT<double>;
using TreeShapScratchF = TreeShapScratchT<float>;

// Adds this row's contributions of `tree` to phi: phi[f * width + k] for feature f, output k
// (phi has n_features * width entries; the expected value is not added). `hot_child[node]`,
// for every internal node, is the child (left[node] or right[node]) the row goes to.
// Precondition: ValidateShapTree passed.
template <typename T>
void TreeShap(const ShapTreeViewT<T>& tree, const int32_t* hot_child, T* phi, TreeShapScratchT<T>* scratch);

// Several rows at once: the walk visits every node for any row (only which child is "hot"
// differs), so kShapLanes rows share one walk, their path weights side by side in vector
// registers, each lane computing exactly the operations TreeShap computes for its row. The
// leaves' terms are buffered and added to each row's phi in that row's own order (the hot
// child's subtree first, as TreeShap and xgboost add them), so the results are bit-identical
// to TreeShap's.
// One SSE2 register (every x86-64 CPU has it): 4 floats or 2 doubles. Wider vectors would be
// split into scalar code on the baseline ISA.
template <typename T>
inline constexpr size_t kShapLanes = 16 / sizeof(T);

template <typename T>
struct TreeShapLanesScratch;

// For rows 0..lanes-1 (lanes <= kShapLanes<T>): hot_child[lane * node_count + node] as in
// TreeShap; adds row lane's contributions to phi[lane][f * width + k]. Precondition:
// ValidateShapTree passed.
template <typename T>
void TreeShapLanes(const ShapTreeViewT<T>& tree, const int32_t* hot_child, size_t lanes, T* const* phi,
                   TreeShapLanesScratch<T>* scratch);

template <typename T>
struct TreeShapLanesScratch {
  typedef T Lanes __attribute__((vector_size(sizeof(T) * kShapLanes<T>)));
  struct PathElement {
    Lanes one_fraction;
    Lanes weight;
    T zero_fraction;
    int32_t feature;
  };
  struct Term {
    Lanes scale;  // w * (one_fraction - zero_fraction) of one path element at one leaf
    int32_t feature;
  };
  std::vector<PathElement> path;
  std::vector<Term> terms;
  std::vector<uint32_t> leaf_terms;  // per node: first term (leaves), terms [first, next leaf's)
  std::vector<uint32_t> leaf_count;  // per node: its number of terms
  std::vector<int32_t> depth, stack;
};

// Many rows of one tree: a row's terms at a leaf depend only on which of the leaf's ancestors it
// agrees with (goes toward the leaf at), so one walk over every such agreement mask, in lanes,
// computes them for all rows; each row then adds its leaves' terms in its own order. Results are
// bit-identical to TreeShap's. The table has 2^depth masks per leaf, so it pays for batches of
// rows of shallow trees (TreeShapTablePays says when).
template <typename T>
struct TreeShapTable {
  using Lanes = typename TreeShapLanesScratch<T>::Lanes;
  using Element = typename TreeShapLanesScratch<T>::PathElement;
  // Leaf n's terms: element i (0-based, up to leaf_count[n]) for mask m is
  // scales[leaf_first[n] + i * groups(n) + m / lanes][m % lanes], feature features[leaf_feature[n] + i].
  std::vector<Lanes> scales;
  std::vector<int32_t> features;
  std::vector<uint32_t> leaf_first, leaf_feature, leaf_count;
  std::vector<int32_t> depth;   // per node: its number of ancestors
  std::vector<Element> path;    // the walk's working paths, level by level
  std::vector<Lanes> incoming;  // per level and mask group: the one fraction its children extend with
  std::vector<std::pair<int32_t, uint32_t>> stack;
  size_t max_depth = 0;
};

// The deepest tree a table is built for (2^12 masks per leaf), and the most terms (vectors of
// kShapLanes masks: 16 bytes each) a table may hold, so a model's shape cannot make one large.
inline constexpr size_t kMaxTreeShapTableDepth = 12;
inline constexpr size_t kMaxTreeShapTableTerms = size_t{1} << 18;

// Whether BuildTreeShapTable and `rows` TreeShapFromTable calls cost less than walking the rows
// in lanes, within the limits above. Fills table->depth. Precondition: ValidateShapTree passed.
template <typename T>
bool TreeShapTablePays(const ShapTreeViewT<T>& tree, size_t rows, TreeShapTable<T>* table);

// Builds the table of `tree`. Precondition: TreeShapTablePays(tree, ..., table) was called last
// for this tree and returned true.
template <typename T>
void BuildTreeShapTable(const ShapTreeViewT<T>& tree, TreeShapTable<T>* table);

// Adds one row's contributions as TreeShap does (hot_child as there), from the tree's table.
template <typename T>
void TreeShapFromTable(const ShapTreeViewT<T>& tree, const int32_t* hot_child, T* phi, TreeShapTable<T>* table);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_TREE_TREE_SHAP_H_
