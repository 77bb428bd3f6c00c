#include "sklearn/ensemble/forest_adapters.h"

#include <utility>

#include "sklearn/state.h"
#include "sklearn/tree/tree_adapters.h"
#include "sklearn/tree/tree_models.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

// estimators_ as a list of tree records of the right kind.
StatusOr<std::vector<const Value*>> MemberTrees(const Value& obj, bool classifier) {
  INFERD_ASSIGN_OR_RETURN(const Value* list, Require(obj, "estimators_"));
  if (list->kind != Kind::kList && list->kind != Kind::kTuple) {
    return StateError(obj, "'estimators_' must be a list, found " + list->Describe());
  }
  if (list->items.empty()) return StateError(obj, "'estimators_' is empty");
  std::vector<const Value*> trees;
  trees.reserve(list->items.size());
  for (size_t i = 0; i < list->items.size(); ++i) {
    const Value* e = list->items[i].get();
    const bool ok = e != nullptr && e->kind == Kind::kObject &&
                    (classifier ? IsTreeClassifierClass(e->cls) : IsTreeRegressorClass(e->cls)) &&
                    e->state != nullptr && e->state->kind == Kind::kDict;
    if (!ok) {
      return StateError(obj, "estimators_[" + std::to_string(i) + "] is not a fitted tree " +
                                 (classifier ? "classifier" : "regressor") + " (" +
                                 (e ? e->Describe() : std::string("null")) + ")");
    }
    trees.push_back(e);
  }
  return trees;
}

Status InMember(const Value& obj, size_t i, Status s) {
  if (s.ok()) return s;
  return Status(s.code(),
                std::string(ShortClassName(obj.cls)) + ": estimators_[" + std::to_string(i) + "]: " + s.message());
}

// sklearn >= 1.4 RandomForest* accept NaN in predict when their first member tree does
// (BaseForest._validate_X_predict); ExtraTrees* members use the random splitter, which
// does not before 1.6, and earlier forests validate with allow_nan off.
bool ForestAcceptsMissing(const Value& obj, const Value& first_tree) {
  const bool random_forest = obj.cls == "sklearn.ensemble._forest.RandomForestClassifier" ||
                             obj.cls == "sklearn.ensemble._forest.RandomForestRegressor";
  return random_forest && SklearnVersion(obj).AtLeast(1, 4) && TreeAcceptsMissing(first_tree, 1, 4);
}

StatusOr<ModelPtr> BuildForestClassifier(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Label> classes, GetClasses(obj));
  INFERD_ASSIGN_OR_RETURN(std::vector<const Value*> trees, MemberTrees(obj, /*classifier=*/true));
  StatusOr<size_t> nf0 = TreeNFeatures(*trees[0]);
  if (!nf0.ok()) return InMember(obj, 0, nf0.status());
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, *nf0));
  FlatForest forest(classes.size() + 1, ForestAcceptsMissing(obj, *trees[0]));
  INFERD_RETURN_IF_ERROR(AddClassifierTrees(
      trees, nf, classes.size(), [&](size_t i, const Status& s) { return InMember(obj, i, s); }, &forest));
  return ModelPtr(std::make_unique<TreeEnsembleClassifier>(std::string(ShortClassName(obj.cls)), std::move(classes), nf,
                                                           std::move(forest), /*single_tree=*/false));
}

StatusOr<ModelPtr> BuildForestRegressor(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<const Value*> trees, MemberTrees(obj, /*classifier=*/false));
  StatusOr<size_t> nf0 = TreeNFeatures(*trees[0]);
  if (!nf0.ok()) return InMember(obj, 0, nf0.status());
  StatusOr<size_t> no = TreeNOutputs(*trees[0]);
  if (!no.ok()) return InMember(obj, 0, no.status());
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, *nf0));
  FlatForest forest(*no, ForestAcceptsMissing(obj, *trees[0]));
  INFERD_RETURN_IF_ERROR(AddRegressorTrees(
      trees, nf, *no, [&](size_t i, const Status& s) { return InMember(obj, i, s); }, &forest));
  return ModelPtr(
      std::make_unique<TreeEnsembleRegressor>(std::string(ShortClassName(obj.cls)), nf, *no, std::move(forest)));
}

}  // namespace

std::span<const AdapterEntry> ForestAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.ensemble._forest.RandomForestClassifier", &BuildForestClassifier},
      {"sklearn.ensemble._forest.RandomForestRegressor", &BuildForestRegressor},
      {"sklearn.ensemble._forest.ExtraTreesClassifier", &BuildForestClassifier},
      {"sklearn.ensemble._forest.ExtraTreesRegressor", &BuildForestRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
