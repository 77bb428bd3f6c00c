#include "sklearn/tree/forest_builder.h"

#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "sklearn/numeric.h"
#include "sklearn/state.h"
#include "sklearn/tree/tree_parse.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

constexpr std::string_view kDTC = "sklearn.tree._classes.DecisionTreeClassifier";
constexpr std::string_view kDTR = "sklearn.tree._classes.DecisionTreeRegressor";
constexpr std::string_view kETC = "sklearn.tree._classes.ExtraTreeClassifier";
constexpr std::string_view kETR = "sklearn.tree._classes.ExtraTreeRegressor";

const Value* TreeArgs(const Value& est) {
  const Value* tree = est.Attr("tree_");
  if (tree == nullptr || tree->kind != Kind::kObject || tree->args == nullptr || tree->args->kind != Kind::kTuple ||
      tree->args->items.size() < 3) {
    return nullptr;
  }
  return tree->args.get();
}

std::optional<std::string> StrAttr(const Value& obj, std::string_view name) {
  StatusOr<std::optional<std::string>> s = GetOptionalString(obj, name);
  if (!s.ok()) return std::nullopt;
  return *s;
}

}  // namespace

bool IsTreeClassifierClass(std::string_view cls) { return cls == kDTC || cls == kETC; }
bool IsTreeRegressorClass(std::string_view cls) { return cls == kDTR || cls == kETR; }

StatusOr<size_t> TreeNFeatures(const Value& est) {
  const Value* args = TreeArgs(est);
  if (args == nullptr) {
    if (est.Attr("tree_") == nullptr) return StateError(est, "missing attribute 'tree_'");
    return StateError(est, "tree_: not a fitted sklearn.tree._tree.Tree");
  }
  StatusOr<int64_t> nf = args->items[0] ? args->items[0]->AsInt() : StatusOr<int64_t>(Status::InvalidArgument("none"));
  if (!nf.ok() || *nf <= 0 || static_cast<uint64_t>(*nf) > kMaxDim) return StateError(est, "tree_: bad n_features");
  return static_cast<size_t>(*nf);
}

StatusOr<size_t> TreeNOutputs(const Value& est) {
  const Value* args = TreeArgs(est);
  if (args == nullptr) return StateError(est, "tree_: not a fitted sklearn.tree._tree.Tree");
  StatusOr<int64_t> no = args->items[2] ? args->items[2]->AsInt() : StatusOr<int64_t>(Status::InvalidArgument("none"));
  if (!no.ok() || *no <= 0 || static_cast<uint64_t>(*no) > kMaxDim) return StateError(est, "tree_: bad n_outputs");
  return static_cast<size_t>(*no);
}

bool TreeAcceptsMissing(const Value& est, int min_major, int min_minor) {
  const bool classifier = est.cls == kDTC;
  if (!classifier && est.cls != kDTR) return false;
  if (!SklearnVersion(est).AtLeast(min_major, min_minor)) return false;
  if (StrAttr(est, "splitter").value_or("") != "best") return false;
  const std::string criterion = StrAttr(est, "criterion").value_or("");
  const bool ok = classifier ? (criterion == "gini" || criterion == "entropy" || criterion == "log_loss")
                             : (criterion == "squared_error" || criterion == "friedman_mse" || criterion == "poisson");
  if (!ok) return false;
  const Value* mono = est.Attr("monotonic_cst");
  return mono == nullptr || mono->is_none();
}

namespace {

// What a tree estimator record's `tree_` states about its size, if `node_count` agrees
// with its `nodes` and `values` arrays (so the figures are backed by bytes actually in the
// file), else zeros: nodes, and the element count of `values`. Plans the tables of an
// ensemble before its trees are parsed and validated (FlatForest::AddTrees).
struct TreeSizeHint {
  size_t nodes = 0;
  size_t values = 0;
};

TreeSizeHint TreeSizeHintOf(const Value& est) {
  const Value* tree = est.Attr("tree_");
  if (tree == nullptr || tree->kind != Kind::kObject || tree->state == nullptr || tree->state->kind != Kind::kDict) {
    return {};
  }
  const Value* count = tree->state->Get("node_count");
  const Value* nodes = tree->state->Get("nodes");
  const Value* values = tree->state->Get("values");
  auto is_array = [](const Value* v) { return v != nullptr && v->kind == Kind::kArray && v->array != nullptr; };
  if (count == nullptr || !is_array(nodes) || !is_array(values) || values->array->ndim() == 0) return {};
  StatusOr<int64_t> n = count->AsInt();
  if (!n.ok() || *n <= 0 || static_cast<uint64_t>(*n) != nodes->array->size() ||
      values->array->shape[0] != nodes->array->size()) {
    return {};
  }
  return {static_cast<size_t>(*n), values->array->size()};
}

// Parses a member tree and checks it against the ensemble (n_features, one output, the
// number of classes).
StatusOr<ParsedTree> ParseClassifierTree(const Value& est, size_t n_features, size_t n_classes) {
  INFERD_ASSIGN_OR_RETURN(ParsedTree t, ParseTreeOf(est));
  if (t.n_features != n_features) {
    return StateError(
        est, "tree_ has " + std::to_string(t.n_features) + " features, expected " + std::to_string(n_features));
  }
  if (t.n_outputs != 1)
    return Status::Unimplemented(std::string(ShortClassName(est.cls)) + ": multi-output classifiers are not supported");
  if (t.max_n_classes != n_classes) {
    return StateError(est, "tree_ values have " + std::to_string(t.max_n_classes) + " classes, expected " +
                               std::to_string(n_classes));
  }
  if (const Value* nc = est.Attr("n_classes_"); nc != nullptr) {
    StatusOr<int64_t> k = nc->AsInt();
    if (!k.ok() || *k < 0 || static_cast<uint64_t>(*k) != n_classes) {
      return StateError(est, "n_classes_ does not match the number of classes");
    }
  }
  return t;
}

// sklearn < 1.4 stores weighted counts and predict_proba normalises each row (zero sums
// divide by 1); >= 1.4 stores fractions used as they are.
bool NormalisesCounts(const Value& est) { return !SklearnVersion(est).AtLeast(1, 4); }

// Classifier leaf payload: the predict_proba row, then the raw argmax (a single tree's predict).
void ClassifierLeaf(const ParsedTree& t, size_t node, size_t n_classes, bool normalise, double* out) {
  const double* v = t.value(node);
  out[n_classes] = static_cast<double>(ArgMax(v, n_classes));
  double s = 1.0;
  if (normalise) {
    s = NumpySum(v, n_classes);
    if (s == 0.0) s = 1.0;
  }
  for (size_t c = 0; c < n_classes; ++c) out[c] = normalise ? v[c] / s : v[c];
}

StatusOr<ParsedTree> ParseRegressorTree(const Value& est, size_t n_features, size_t n_outputs) {
  INFERD_ASSIGN_OR_RETURN(ParsedTree t, ParseTreeOf(est));
  if (t.n_features != n_features) {
    return StateError(
        est, "tree_ has " + std::to_string(t.n_features) + " features, expected " + std::to_string(n_features));
  }
  if (t.n_outputs != n_outputs) {
    return StateError(est,
                      "tree_ has " + std::to_string(t.n_outputs) + " outputs, expected " + std::to_string(n_outputs));
  }
  return t;
}

// Regressor leaf payload: value[leaf, :, 0].
void RegressorLeaf(const ParsedTree& t, size_t node, size_t n_outputs, double* out) {
  const double* v = t.value(node);
  for (size_t o = 0; o < n_outputs; ++o) out[o] = v[o * t.max_n_classes];
}

// The plan FlatForest::AddTrees sizes its tables from: each tree's stated node count, and a
// payload budget backed by the file. A tree's leaves need at most values + width doubles
// ((n + 1) / 2 leaves of width <= k + 1, for n nodes of k values each), so the budget is the
// sum of that over the trees: nothing is allocated ahead for more than the file's `values`
// arrays hold.
struct Plan {
  std::vector<size_t> node_counts;
  size_t payload_budget = 0;
};
Plan PlanFor(const std::vector<const Value*>& trees, size_t width) {
  Plan p;
  p.node_counts.resize(trees.size());
  for (size_t i = 0; i < trees.size(); ++i) {
    const TreeSizeHint h = TreeSizeHintOf(*trees[i]);
    p.node_counts[i] = h.nodes;
    p.payload_budget += h.values + width;  // each term <= the file's bytes: no overflow
  }
  return p;
}

// Threads for building one big ensemble: the machine's cores, at most 4 (the build is
// memory-bound beyond that).
size_t BuildThreads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : std::min<size_t>(hw, 4);
}

}  // namespace

Status AddClassifierTree(const Value& est, size_t n_features, size_t n_classes, FlatForest* forest) {
  INFERD_ASSIGN_OR_RETURN(ParsedTree t, ParseClassifierTree(est, n_features, n_classes));
  const bool normalise = NormalisesCounts(est);
  return forest->AddTree(t, [&](size_t node, double* out) { ClassifierLeaf(t, node, n_classes, normalise, out); });
}

Status AddRegressorTree(const Value& est, size_t n_features, size_t n_outputs, FlatForest* forest) {
  INFERD_ASSIGN_OR_RETURN(ParsedTree t, ParseRegressorTree(est, n_features, n_outputs));
  return forest->AddTree(t, [&](size_t node, double* out) { RegressorLeaf(t, node, n_outputs, out); });
}

namespace {

// Adds `trees` through FlatForest::AddTrees with the plan from PlanFor. `parse(est)` returns a
// tree's ParsedTree (errors are wrapped with the member's index); `leaf(i, t, node, out)` writes
// tree i's payload for one leaf.
template <typename Parse, typename Leaf>
Status AddPlannedTrees(const std::vector<const Value*>& trees, const MemberError& wrap, FlatForest* forest, Parse parse,
                       Leaf leaf) {
  const Plan plan = PlanFor(trees, forest->payload_width());
  return forest->AddTrees(
      plan.node_counts, plan.payload_budget,
      [&](size_t i) -> StatusOr<ParsedTree> {
        StatusOr<ParsedTree> t = parse(*trees[i]);
        if (!t.ok()) return wrap(i, t.status());
        return t;
      },
      leaf, BuildThreads());
}

}  // namespace

Status AddClassifierTrees(const std::vector<const Value*>& trees, size_t n_features, size_t n_classes,
                          const MemberError& wrap, FlatForest* forest) {
  std::vector<uint8_t> normalise(trees.size());
  for (size_t i = 0; i < trees.size(); ++i) normalise[i] = NormalisesCounts(*trees[i]) ? 1 : 0;
  return AddPlannedTrees(
      trees, wrap, forest, [&](const Value& est) { return ParseClassifierTree(est, n_features, n_classes); },
      [&](size_t i, const ParsedTree& t, size_t node, double* out) {
        ClassifierLeaf(t, node, n_classes, normalise[i] != 0, out);
      });
}

Status AddRegressorTrees(const std::vector<const Value*>& trees, size_t n_features, size_t n_outputs,
                         const MemberError& wrap, FlatForest* forest) {
  return AddPlannedTrees(
      trees, wrap, forest, [&](const Value& est) { return ParseRegressorTree(est, n_features, n_outputs); },
      [&](size_t, const ParsedTree& t, size_t node, double* out) { RegressorLeaf(t, node, n_outputs, out); });
}

}  // namespace inferd::sklearn
