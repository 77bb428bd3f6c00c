#include "sklearn/tree/tree_adapters.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sklearn/state.h"
#include "sklearn/tree/forest_builder.h"
#include "sklearn/tree/tree_models.h"

namespace inferd::sklearn {
namespace {

using pickle::Value;

StatusOr<ModelPtr> BuildTreeClassifier(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Label> classes, GetClasses(obj));
  INFERD_ASSIGN_OR_RETURN(size_t nf_tree, TreeNFeatures(obj));
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, nf_tree));
  FlatForest forest(classes.size() + 1, TreeAcceptsMissing(obj, 1, 3));
  INFERD_RETURN_IF_ERROR(AddClassifierTree(obj, nf, classes.size(), &forest));
  return ModelPtr(std::make_unique<TreeEnsembleClassifier>(std::string(ShortClassName(obj.cls)), std::move(classes), nf,
                                                           std::move(forest), /*single_tree=*/true));
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

std::span<const AdapterEntry> TreeAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.tree._classes.DecisionTreeClassifier", &BuildTreeClassifier},
      {"sklearn.tree._classes.DecisionTreeRegressor", &BuildTreeRegressor},
      {"sklearn.tree._classes.ExtraTreeClassifier", &BuildTreeClassifier},
      {"sklearn.tree._classes.ExtraTreeRegressor", &BuildTreeRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
