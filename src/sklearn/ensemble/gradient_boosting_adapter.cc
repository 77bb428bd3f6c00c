#include "sklearn/ensemble/gradient_boosting_adapter.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "sklearn/numeric.h"
#include "sklearn/state.h"
#include "sklearn/tree/tree_adapters.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

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

std::span<const AdapterEntry> GradientBoostingAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.ensemble._gb.GradientBoostingClassifier", &BuildGbClassifier},
      {"sklearn.ensemble._gb.GradientBoostingRegressor", &BuildGbRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
