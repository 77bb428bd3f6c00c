#include "sklearn/ensemble/ensemble_adapters.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "sklearn/numeric.h"
#include "sklearn/state.h"
#include "sklearn/tree/forest_builder.h"
#include "sklearn/tree/tree_models.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

// ---- RandomForest* / ExtraTrees*: the member trees flattened into one TreeEnsemble* runtime

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

// ---- GradientBoosting*: stage trees in a GradientBoostingModel

// np.clip(p, eps, 1 - eps) with eps = np.finfo(np.float32).eps (every version, despite
// the FIXME in sklearn's source).
double ClipProba(double p) {
  constexpr double kEps = 1.1920928955078125e-07;  // 2^-23
  return std::min(std::max(p, kEps), 1.0 - kEps);
}

StatusOr<std::vector<double>> InitRaw(const Value& obj, GbLoss loss, size_t k_per_stage, size_t n_classes,
                                      bool new_rules) {
  INFERD_ASSIGN_OR_RETURN(const Value* init, Require(obj, "init_"));
  if (init->kind == Kind::kStr && init->s == "zero") return std::vector<double>(k_per_stage, 0.0);
  if (loss == GbLoss::kRegression && init->is_object("sklearn.dummy.DummyRegressor")) {
    StatusOr<DenseArray> c = GetDoubles(*init, "constant_");
    if (!c.ok()) return StateError(obj, "init_: " + c.status().message());
    if (c->data.size() != 1) return StateError(obj, "init_: DummyRegressor.constant_ must hold one value");
    return std::vector<double>(1, c->data[0]);
  }
  if (loss != GbLoss::kRegression && init->is_object("sklearn.dummy.DummyClassifier")) {
    StatusOr<std::optional<std::string>> strategy = GetOptionalString(*init, "strategy");
    if (!strategy.ok()) return StateError(obj, "init_: " + strategy.status().message());
    if (strategy->value_or("prior") != "prior") {
      return Status::Unimplemented(std::string(ShortClassName(obj.cls)) + ": init_ DummyClassifier strategy '" +
                                   **strategy + "' is not supported");
    }
    StatusOr<DenseArray> prior = GetDoubles(*init, "class_prior_");
    if (!prior.ok()) return StateError(obj, "init_: " + prior.status().message());
    if (prior->shape.size() != 1 || prior->data.size() != n_classes) {
      return StateError(obj, "init_: class_prior_ has shape " + ShapeString(prior->shape) + ", expected (" +
                                 std::to_string(n_classes) + ",)");
    }
    return InitRawFromPriors(loss, prior->data, new_rules);
  }
  return Status::Unimplemented(std::string(ShortClassName(obj.cls)) + ": unsupported init_ " + init->Describe());
}

StatusOr<ModelPtr> BuildGradientBoosting(const Value& obj, bool classifier) {
  std::vector<Label> classes;
  GbLoss loss = GbLoss::kRegression;
  if (classifier) {
    INFERD_ASSIGN_OR_RETURN(classes, GetClasses(obj));
    if (classes.size() < 2) return StateError(obj, "needs at least 2 classes");
    INFERD_ASSIGN_OR_RETURN(std::optional<std::string> loss_name, GetOptionalString(obj, "loss"));
    const std::string l = loss_name.value_or("log_loss");
    if (l == "exponential") {
      if (classes.size() != 2) return StateError(obj, "loss='exponential' needs 2 classes");
      loss = GbLoss::kExponential;
    } else if (l == "log_loss" || l == "deviance") {
      loss = classes.size() == 2 ? GbLoss::kBinomial : GbLoss::kMultinomial;
    } else {
      return Status::Unimplemented(std::string(ShortClassName(obj.cls)) + ": unsupported loss '" + l + "'");
    }
  }
  const size_t kk = classes.size() > 2 ? classes.size() : 1;
  const bool new_rules = SklearnVersion(obj).AtLeast(1, 4);

  INFERD_ASSIGN_OR_RETURN(const Value* est, Require(obj, "estimators_"));
  if (est->kind != Kind::kArray || est->array == nullptr || est->array->dtype == nullptr ||
      est->array->dtype->kind != 'O' || est->array->ndim() != 2 || est->array->shape[1] != kk ||
      est->array->shape[0] == 0 || est->array->objects.size() != est->array->size()) {
    return StateError(obj, "'estimators_' must be a non-empty object array of shape (n_stages, " + std::to_string(kk) +
                               "), found " + est->Describe());
  }
  const auto& trees = est->array->objects;
  for (size_t i = 0; i < trees.size(); ++i) {
    if (trees[i] == nullptr || !trees[i]->is_object("sklearn.tree._classes.DecisionTreeRegressor")) {
      return StateError(obj, "estimators_[" + std::to_string(i / kk) + ", " + std::to_string(i % kk) +
                                 "] is not a DecisionTreeRegressor");
    }
  }
  auto in_member = [&](size_t i, const Status& s) {
    return Status(s.code(), std::string(ShortClassName(obj.cls)) + ": estimators_[" + std::to_string(i / kk) + ", " +
                                std::to_string(i % kk) + "]: " + s.message());
  };
  StatusOr<size_t> nf0 = TreeNFeatures(*trees[0]);
  if (!nf0.ok()) return in_member(0, nf0.status());
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, *nf0));
  FlatForest forest(1);
  std::vector<const Value*> members(trees.size());
  for (size_t i = 0; i < trees.size(); ++i) members[i] = trees[i].get();  // checked non-null above
  INFERD_RETURN_IF_ERROR(AddRegressorTrees(members, nf, 1, in_member, &forest));
  INFERD_ASSIGN_OR_RETURN(double lr, GetDouble(obj, "learning_rate"));
  INFERD_ASSIGN_OR_RETURN(std::vector<double> init_raw, InitRaw(obj, loss, kk, classes.size(), new_rules));
  return ModelPtr(std::make_unique<GradientBoostingModel>(std::string(ShortClassName(obj.cls)), loss,
                                                          std::move(classes), nf, std::move(init_raw), lr,
                                                          std::move(forest), new_rules));
}

StatusOr<ModelPtr> BuildGbClassifier(const Value& obj) { return BuildGradientBoosting(obj, true); }
StatusOr<ModelPtr> BuildGbRegressor(const Value& obj) { return BuildGradientBoosting(obj, false); }

}  // namespace

std::vector<double> InitRawFromPriors(GbLoss loss, const std::vector<double>& priors, bool new_rules) {
  if (loss == GbLoss::kBinomial || loss == GbLoss::kExponential) {
    const double p = ClipProba(priors[1]);
    const double logit = std::log(p / (1.0 - p));
    return {loss == GbLoss::kExponential ? 0.5 * logit : logit};
  }
  const size_t k = priors.size();
  std::vector<double> raw(k);
  for (size_t c = 0; c < k; ++c) raw[c] = ClipProba(priors[c]);
  if (!new_rules) {
    for (size_t c = 0; c < k; ++c) raw[c] = std::log(raw[c]);
    return raw;
  }
  // >= 1.4: MultinomialLogit.link = log(p / gmean(p)), gmean = exp(mean(log p)).
  std::vector<double> logs(k);
  for (size_t c = 0; c < k; ++c) logs[c] = std::log(raw[c]);
  const double gm = std::exp(NumpySum(logs.data(), k) / static_cast<double>(k));
  for (size_t c = 0; c < k; ++c) raw[c] = std::log(raw[c] / gm);
  return raw;
}

std::span<const AdapterEntry> EnsembleAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.ensemble._forest.RandomForestClassifier", &BuildForestClassifier},
      {"sklearn.ensemble._forest.RandomForestRegressor", &BuildForestRegressor},
      {"sklearn.ensemble._forest.ExtraTreesClassifier", &BuildForestClassifier},
      {"sklearn.ensemble._forest.ExtraTreesRegressor", &BuildForestRegressor},
      {"sklearn.ensemble._gb.GradientBoostingClassifier", &BuildGbClassifier},
      {"sklearn.ensemble._gb.GradientBoostingRegressor", &BuildGbRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
