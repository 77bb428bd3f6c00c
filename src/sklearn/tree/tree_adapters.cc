#include "sklearn/tree/tree_adapters.h"

#include <optional>
#include <string>
#include <utility>

#include "sklearn/numeric.h"
#include "sklearn/state.h"
#include "sklearn/tree/tree_models.h"
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

StatusOr<ModelPtr> BuildTreeClassifier(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Label> classes, GetClasses(obj));
  INFERD_ASSIGN_OR_RETURN(size_t nf_tree, TreeNFeatures(obj));
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, nf_tree));
  FlatForest forest(classes.size() + 1, TreeAcceptsMissing(obj, 1, 3));
  INFERD_RETURN_IF_ERROR(AddClassifierTree(obj, nf, classes.size(), &forest));
  return ModelPtr(std::make_unique<TreeEnsembleClassifier>(std::string(ShortClassName(obj.cls)), std::move(classes),
                                                           nf, std::move(forest), /*single_tree=*/true));
}

StatusOr<ModelPtr> BuildTreeRegressor(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(size_t nf_tree, TreeNFeatures(obj));
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, nf_tree));
  INFERD_ASSIGN_OR_RETURN(size_t no, TreeNOutputs(obj));
  FlatForest forest(no, TreeAcceptsMissing(obj, 1, 3));
  INFERD_RETURN_IF_ERROR(AddRegressorTree(obj, nf, no, &forest));
  return ModelPtr(
      std::make_unique<TreeEnsembleRegressor>(std::string(ShortClassName(obj.cls)), nf, no, std::move(forest)));
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

size_t TreeNodeCountHint(const Value& est) {
  const Value* tree = est.Attr("tree_");
  if (tree == nullptr || tree->kind != Kind::kObject || tree->state == nullptr || tree->state->kind != Kind::kDict) {
    return 0;
  }
  const Value* count = tree->state->Get("node_count");
  const Value* nodes = tree->state->Get("nodes");
  if (count == nullptr || nodes == nullptr || nodes->kind != Kind::kArray || nodes->array == nullptr) return 0;
  StatusOr<int64_t> n = count->AsInt();
  if (!n.ok() || *n <= 0 || static_cast<uint64_t>(*n) != nodes->array->size()) return 0;
  return static_cast<size_t>(*n);
}

void ReserveForTrees(const std::vector<const Value*>& trees, FlatForest* forest) {
  size_t nodes = 0, leaves = 0;
  for (const Value* t : trees) {
    const size_t n = TreeNodeCountHint(*t);
    nodes += n;
    leaves += (n + 1) / 2;  // a binary tree of n nodes has (n + 1) / 2 leaves
  }
  forest->Reserve(nodes, leaves);
}

void ReserveForTrees(const std::vector<pickle::ValuePtr>& trees, FlatForest* forest) {
  std::vector<const Value*> raw;
  raw.reserve(trees.size());
  for (const pickle::ValuePtr& t : trees) {
    if (t != nullptr) raw.push_back(t.get());
  }
  ReserveForTrees(raw, forest);
}

Status AddClassifierTree(const Value& est, size_t n_features, size_t n_classes, FlatForest* forest) {
  INFERD_ASSIGN_OR_RETURN(ParsedTree t, ParseTreeOf(est));
  if (t.n_features != n_features) {
    return StateError(est, "tree_ has " + std::to_string(t.n_features) + " features, expected " +
                               std::to_string(n_features));
  }
  if (t.n_outputs != 1) return Status::Unimplemented(std::string(ShortClassName(est.cls)) + ": multi-output classifiers are not supported");
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
  // sklearn < 1.4 stores weighted counts and predict_proba normalises each row
  // (zero sums divide by 1); >= 1.4 stores fractions used as they are.
  const bool normalise = !SklearnVersion(est).AtLeast(1, 4);
  return forest->AddTree(t, [&](size_t node, double* out) {
    const double* v = t.value(node);
    out[n_classes] = static_cast<double>(ArgMax(v, n_classes));
    double s = 1.0;
    if (normalise) {
      s = NumpySum(v, n_classes);
      if (s == 0.0) s = 1.0;
    }
    for (size_t c = 0; c < n_classes; ++c) out[c] = normalise ? v[c] / s : v[c];
  });
}

Status AddRegressorTree(const Value& est, size_t n_features, size_t n_outputs, FlatForest* forest) {
  INFERD_ASSIGN_OR_RETURN(ParsedTree t, ParseTreeOf(est));
  if (t.n_features != n_features) {
    return StateError(est, "tree_ has " + std::to_string(t.n_features) + " features, expected " +
                               std::to_string(n_features));
  }
  if (t.n_outputs != n_outputs) {
    return StateError(est, "tree_ has " + std::to_string(t.n_outputs) + " outputs, expected " +
                               std::to_string(n_outputs));
  }
  const size_t k = t.max_n_classes;
  return forest->AddTree(t, [&](size_t node, double* out) {
    const double* v = t.value(node);
    for (size_t o = 0; o < n_outputs; ++o) out[o] = v[o * k];
  });
}

std::span<const AdapterEntry> TreeAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {kDTC, &BuildTreeClassifier},
      {kDTR, &BuildTreeRegressor},
      {kETC, &BuildTreeClassifier},
      {kETR, &BuildTreeRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
