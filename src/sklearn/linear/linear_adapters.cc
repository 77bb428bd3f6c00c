#include "sklearn/linear/linear_adapters.h"

#include <cmath>
#include <memory>
#include <utility>

#include "sklearn/linear/linear_classifier.h"
#include "sklearn/linear/linear_regressor.h"
#include "sklearn/linear/logistic_regression.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

// coef_ (F,) or (R, F) and intercept_ (a Python number broadcast to R rows, a numpy
// scalar, or (R,)), validated against each other. Shared by every linear estimator.
struct CoefIntercept {
  size_t n_rows = 0;  // targets (regression) or decision columns (classification)
  size_t n_features = 0;
  bool one_dim = false;           // coef_ is 1-D
  std::vector<double> coef;       // n_rows x n_features, row-major
  std::vector<double> intercept;  // n_rows
};

StatusOr<CoefIntercept> ReadCoefIntercept(const Value& obj) {
  CoefIntercept ci;
  INFERD_ASSIGN_OR_RETURN(DenseArray coef, GetDoubles(obj, "coef_"));
  if (coef.shape.size() == 1) {
    ci.n_rows = 1;
    ci.n_features = coef.shape[0];
    ci.one_dim = true;
  } else if (coef.shape.size() == 2) {
    ci.n_rows = coef.shape[0];
    ci.n_features = coef.shape[1];
  } else {
    return StateError(obj, "'coef_' must be 1-D or 2-D, found shape " + ShapeString(coef.shape));
  }
  if (ci.n_rows == 0 || ci.n_features == 0 || ci.n_rows > kMaxDim || ci.n_features > kMaxDim) {
    return StateError(obj, "'coef_' has an unusable shape " + ShapeString(coef.shape));
  }
  ci.coef = std::move(coef.data);

  INFERD_ASSIGN_OR_RETURN(const Value* icpt, Require(obj, "intercept_"));
  if (icpt->kind == Kind::kArray && icpt->array != nullptr && icpt->array->ndim() > 0) {
    INFERD_ASSIGN_OR_RETURN(DenseArray a, ToDense(obj, *icpt, "intercept_"));
    if (a.shape.size() != 1 || a.shape[0] != ci.n_rows) {
      return StateError(obj, "'intercept_' has shape " + ShapeString(a.shape) + ", expected (" +
                                 std::to_string(ci.n_rows) + ",) to match 'coef_'");
    }
    ci.intercept = std::move(a.data);
  } else {
    StatusOr<double> d = icpt->AsDouble();
    if (!d.ok()) return StateError(obj, "'intercept_': " + d.status().message());
    ci.intercept.assign(ci.n_rows, *d);
  }
  return ci;
}

StatusOr<ModelPtr> BuildLinearRegressor(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(CoefIntercept ci, ReadCoefIntercept(obj));
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, ci.n_features));
  return ModelPtr(std::make_unique<LinearRegressor>(std::string(ShortClassName(obj.cls)), nf, ci.n_rows,
                                                    std::move(ci.coef), std::move(ci.intercept)));
}

StatusOr<ModelPtr> BuildLogisticRegression(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Label> classes, GetClasses(obj));
  INFERD_ASSIGN_OR_RETURN(CoefIntercept ci, ReadCoefIntercept(obj));
  const size_t k = classes.size();
  if (k < 2) return StateError(obj, "needs at least 2 classes, 'classes_' has " + std::to_string(k));
  const size_t want_rows = k == 2 ? 1 : k;
  if (ci.n_rows != want_rows || ci.one_dim) {
    return StateError(obj, "'coef_' has " + std::to_string(ci.n_rows) + (ci.one_dim ? " (1-D)" : "") + " rows but " +
                               std::to_string(k) + " classes need " + std::to_string(want_rows) + " (2-D)");
  }
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, ci.n_features));
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> mc, GetOptionalString(obj, "multi_class"));
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> solver, GetOptionalString(obj, "solver"));
  StatusOr<ProbaRule> rule = ChooseProbaRule(mc, solver.value_or("lbfgs"), k, SklearnVersion(obj));
  if (!rule.ok()) return StateError(obj, rule.status().message());
  return ModelPtr(std::make_unique<LogisticRegressionModel>(std::move(classes), nf, ci.n_rows, std::move(ci.coef),
                                                            std::move(ci.intercept), *rule));
}

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

StatusOr<ProbaRule> ChooseProbaRule(const std::optional<std::string>& multi_class, const std::string& solver,
                                    size_t n_classes, Version version) {
  if (!multi_class.has_value()) return n_classes <= 2 ? ProbaRule::kOvr : ProbaRule::kSoftmax;
  const std::string& mc = *multi_class;
  if (mc == "ovr" || mc == "warn") return ProbaRule::kOvr;
  if (mc == "multinomial") return ProbaRule::kSoftmax;
  if (mc == "auto" || mc == "deprecated") {
    if (n_classes <= 2 || solver == "liblinear") return ProbaRule::kOvr;
    // newton-cholesky fitted multiclass problems one-vs-rest up to 1.5 and predict_proba
    // knew it.
    if (solver == "newton-cholesky" && !version.AtLeast(1, 6)) return ProbaRule::kOvr;
    return ProbaRule::kSoftmax;
  }
  return Status::InvalidArgument("unknown multi_class '" + mc + "'");
}

LinearProba SgdProbaRule(std::string_view loss) {
  if (loss == "log_loss" || loss == "log") return LinearProba::kLogistic;
  if (loss == "modified_huber") return LinearProba::kModifiedHuber;
  return LinearProba::kNone;
}

std::span<const AdapterEntry> LinearAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.linear_model._base.LinearRegression", &BuildLinearRegressor},
      {"sklearn.linear_model._ridge.Ridge", &BuildLinearRegressor},
      {"sklearn.linear_model._coordinate_descent.Lasso", &BuildLinearRegressor},
      {"sklearn.linear_model._coordinate_descent.ElasticNet", &BuildLinearRegressor},
      {"sklearn.linear_model._logistic.LogisticRegression", &BuildLogisticRegression},
      {"sklearn.linear_model._stochastic_gradient.SGDClassifier", &BuildSgdClassifier},
      {"sklearn.linear_model._stochastic_gradient.SGDRegressor", &BuildLinearSingleTarget},
      {"sklearn.svm._classes.LinearSVC", &BuildLinearSvc},
      {"sklearn.svm._classes.LinearSVR", &BuildLinearSingleTarget},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
