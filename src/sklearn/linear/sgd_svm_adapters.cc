#include "sklearn/linear/sgd_svm_adapters.h"

#include <memory>
#include <utility>

#include "sklearn/linear/linear_adapters.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Value;

StatusOr<ModelPtr> BuildLinearClassifier(const Value& obj, LinearProba proba) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Label> classes, GetClasses(obj));
  const size_t k = classes.size();
  if (k < 2) return StateError(obj, "needs at least 2 classes, 'classes_' has " + std::to_string(k));
  INFERD_ASSIGN_OR_RETURN(CoefIntercept ci, ReadCoefIntercept(obj));
  const size_t want_rows = k == 2 ? 1 : k;
  if (ci.n_rows != want_rows || ci.one_dim) {
    return StateError(obj, "'coef_' has " + std::to_string(ci.n_rows) + (ci.one_dim ? " (1-D)" : "") + " rows but " +
                               std::to_string(k) + " classes need " + std::to_string(want_rows) + " (2-D)");
  }
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, ci.n_features));
  return ModelPtr(std::make_unique<LinearClassifierModel>(std::string(ShortClassName(obj.cls)), std::move(classes), nf,
                                                          ci.n_rows, std::move(ci.coef), std::move(ci.intercept),
                                                          proba));
}

StatusOr<ModelPtr> BuildSgdClassifier(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> loss, GetOptionalString(obj, "loss"));
  return BuildLinearClassifier(obj, SgdProbaRule(loss.value_or("hinge")));
}

StatusOr<ModelPtr> BuildLinearSvc(const Value& obj) { return BuildLinearClassifier(obj, LinearProba::kNone); }

// SGDRegressor / LinearSVR: coef_ (F,), intercept_ (1,): y = x . coef + intercept.
StatusOr<ModelPtr> BuildLinearSingleTarget(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(CoefIntercept ci, ReadCoefIntercept(obj));
  if (!ci.one_dim) return StateError(obj, "'coef_' must be 1-D");
  return BuildLinearRegressor(obj);
}

}  // namespace

LinearProba SgdProbaRule(std::string_view loss) {
  if (loss == "log_loss" || loss == "log") return LinearProba::kLogistic;
  if (loss == "modified_huber") return LinearProba::kModifiedHuber;
  return LinearProba::kNone;
}

std::span<const AdapterEntry> SgdSvmAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.linear_model._stochastic_gradient.SGDClassifier", &BuildSgdClassifier},
      {"sklearn.linear_model._stochastic_gradient.SGDRegressor", &BuildLinearSingleTarget},
      {"sklearn.svm._classes.LinearSVC", &BuildLinearSvc},
      {"sklearn.svm._classes.LinearSVR", &BuildLinearSingleTarget},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
