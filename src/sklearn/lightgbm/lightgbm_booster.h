// The LightGBM evaluator: a checked LgbDocument (lightgbm_document.h) as one flat node table in
// double precision, evaluated as LightGBM 4's predictor does, so results are its doubles:
//   * a row is read as LightGBM's dense-row path sees it: values with |x| <= 1e-35 are 0;
//   * numerical split: a NaN whose node's missing type is not NaN becomes 0; then a missing
//     value (missing type Zero and |x| <= 1e-35, or type NaN and NaN) takes default_left, any
//     other goes left when x <= threshold;
//   * categorical split: NaN, negative, and categories outside the node's bitset go right;
//     a category is int(x) (truncated), looked up in its 32-bit words;
//   * linear leaf: leaf_const + sum(coeff_i * x_i) in the file's order, or the leaf's plain
//     value when one of its features is NaN;
//   * raw score of output k: 0 + the trees of iterations [0, iterations) for k, in order;
//     average_output (rf) divides by the iterations used before the objective's link;
//   * links: sigmoid(s * x) (binary, multiclassova per class), 1/(1+exp(-x)) (cross_entropy),
//     softmax (multiclass), exp (poisson, gamma, tweedie), sign(x)*x*x (regression with
//     reg_sqrt), identity (regression L2/L1, huber, fair, quantile, mape, lambdarank,
//     rank_xendcg, no objective). cross_entropy_lambda is refused.
// The build flag -ffp-contract=off keeps a*b+c unfused, as LightGBM's x86-64 build computes it.
//
// Thread safety: immutable after Build; every method may be called concurrently.
#ifndef INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_BOOSTER_H_
#define INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_BOOSTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "inferd/status.h"
#include "sklearn/lightgbm/lightgbm_document.h"
#include "sklearn/tree/tree_shap.h"

namespace inferd::sklearn {

enum class LgbLink : uint8_t { kIdentity, kSigmoid, kSoftmax, kSigmoidEach, kExp, kSignedSquare };

// The objective line's meaning for predictions.
struct LgbObjective {
  std::string name;  // first word of the objective line; empty when the file has none
  LgbLink link = LgbLink::kIdentity;
  double sigmoid = 1.0;
  // binary, multiclass, multiclassova: Booster.predict's outputs are class probabilities.
  bool classification = false;
};
// Reads `doc.objective`, checked against the document's output counts.
StatusOr<LgbObjective> ParseLgbObjective(const LgbDocument& doc);

class LgbBooster {
 public:
  // `iterations`: how many leading iterations predict (0: all). Errors are one line.
  static StatusOr<LgbBooster> Build(const LgbDocument& doc, int64_t iterations);

  size_t n_features() const { return n_features_; }
  // Values per row of RawScores and Predict (num_tree_per_iteration).
  size_t n_groups() const { return groups_; }
  const LgbObjective& objective() const { return objective_; }
  int64_t iterations() const { return iterations_; }

  // `category_maps[f]`, when not empty, maps feature f's input value to LightGBM's category
  // code before evaluation: a sorted (value, code) table; a value not in it is missing (NaN).
  // REQUIRES: called before the booster is shared.
  void SetCategoryMaps(std::vector<std::vector<std::pair<double, double>>> category_maps);

  // REQUIRES: x holds n_rows * n_features() values; out has n_rows * n_groups() room.
  // Booster.predict(raw_score=True).
  void RawScores(const double* x, size_t n_rows, double* out) const;
  // Booster.predict: average_output, then the link.
  void Predict(const double* x, size_t n_rows, double* out) const;
  // True when LightGBM explains this model: no linear trees, every tree with its node counts.
  bool explainable() const { return !explain_.empty(); }
  // Booster.predict(pred_contrib=True): path-dependent TreeSHAP with the nodes' counts as
  // covers, in the raw-score space: out[(r * n_groups() + k) * (n_features() + 1) + f], each
  // tree's expected value (its leaves weighted by count) in the last slot. REQUIRES: explainable().
  void Contributions(const double* x, size_t n_rows, double* out) const;

 private:
  // A node's split rule reduced to what a step needs (see Leaf): a numerical step is
  // child[x <= threshold], with a NaN and (missing type Zero) a 0 sent to the side precomputed
  // in `flags`, so that a step has no data-dependent branch.
  enum NodeFlags : uint8_t {
    kCategorical = 1,  // threshold holds the index of its bitset in cat_sets_
    kNaNLeft = 2,      // where a NaN goes (missing type NaN or Zero: default_left; None: 0 <= threshold)
    kZeroDefault = 4,  // missing type Zero: 0 takes the default direction
    kDefaultLeft = 8,
  };
  struct Node {
    double threshold;
    int32_t feature;
    int32_t child[2];  // [1] left, [0] right; >= 0: node index within the tree, < 0: ~leaf
    uint8_t flags;
  };
  struct CatSet {
    uint32_t begin;
    uint32_t words;
  };
  struct Tree {
    uint32_t node_begin;
    uint32_t leaf_begin;
    bool split;  // num_leaves > 1
    bool linear;
  };

  LgbBooster() = default;
  // The leaf a row reaches in tree t (global leaf index).
  // Rows are evaluated in blocks of kBlock, each tree walked by the block's rows in lockstep:
  // their walks are independent, so the processor overlaps them.
  static constexpr size_t kBlock = 8;
  // The node a row at node `i` of the tree at `nodes` goes to next.
  int32_t Step(const Node* nodes, int32_t i, const double* row) const;
  // The leaves (global indices) that `nb` <= kBlock prepared rows reach in tree t.
  void Leaves(const Tree& t, const double* rows, size_t nb, uint32_t* leaves) const;
  // Tree t's output at `leaf` (global) for a prepared row.
  double LeafValue(const Tree& t, uint32_t leaf, const double* row) const;
  // Copies a row as LightGBM reads it (tiny values are 0, mapped categories) into `row`.
  void PrepareRow(const double* x, double* row) const;

  size_t n_features_ = 0;
  size_t groups_ = 1;
  int64_t iterations_ = 0;
  bool average_output_ = false;
  LgbObjective objective_;
  std::vector<Tree> trees_;  // the first iterations_ * groups_ trees of the file
  std::vector<Node> nodes_;
  std::vector<double> leaf_values_;
  std::vector<CatSet> cat_sets_;
  std::vector<uint32_t> cat_words_;
  // Linear leaves (indexed by global leaf): const, and their terms [lin_begin_[l], lin_begin_[l+1]).
  std::vector<double> leaf_const_;
  std::vector<uint32_t> lin_begin_;
  std::vector<int32_t> lin_feature_;
  std::vector<double> lin_coeff_;
  std::vector<std::vector<std::pair<double, double>>> category_maps_;
  // Explanations, per tree of trees_: nodes numbered internal nodes first (as the file), then
  // the leaves; children always come after their parent.
  struct ExplainTree {
    std::vector<int32_t> left, right, feature;
    std::vector<double> cover, value;
    double expected = 0;
  };
  std::vector<ExplainTree> explain_;
  bool has_category_maps_ = false;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_BOOSTER_H_
