#include "sklearn/naive_bayes/naive_bayes_adapters.h"

#include <cmath>
#include <memory>
#include <utility>

#include "sklearn/naive_bayes/gaussian_nb.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Value;

StatusOr<ModelPtr> BuildGaussianNb(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Label> classes, GetClasses(obj));
  const size_t k = classes.size();
  INFERD_ASSIGN_OR_RETURN(DenseArray theta, GetDoubles(obj, "theta_"));
  if (theta.shape.size() != 2 || theta.shape[0] != k || theta.shape[1] == 0 || theta.shape[1] > kMaxDim) {
    return StateError(
        obj, "'theta_' has shape " + ShapeString(theta.shape) + ", expected (" + std::to_string(k) + ", n_features)");
  }
  const char* var_name = obj.Attr("var_") != nullptr ? "var_" : "sigma_";
  INFERD_ASSIGN_OR_RETURN(DenseArray var, GetDoubles(obj, var_name));
  if (var.shape != theta.shape) {
    return StateError(obj, "'" + std::string(var_name) + "' has shape " + ShapeString(var.shape) +
                               " but 'theta_' has " + ShapeString(theta.shape));
  }
  for (double v : var.data) {
    if (!(v > 0.0) || !std::isfinite(v)) return StateError(obj, "'" + std::string(var_name) + "' must be positive");
  }
  INFERD_ASSIGN_OR_RETURN(DenseArray prior, GetDoubles(obj, "class_prior_"));
  if (prior.shape.size() != 1 || prior.shape[0] != k) {
    return StateError(
        obj, "'class_prior_' has shape " + ShapeString(prior.shape) + ", expected (" + std::to_string(k) + ",)");
  }
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, theta.shape[1]));
  return ModelPtr(std::make_unique<GaussianNbModel>(std::move(classes), nf, std::move(theta.data), std::move(var.data),
                                                    std::move(prior.data)));
}

}  // namespace

std::span<const AdapterEntry> NaiveBayesAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.naive_bayes.GaussianNB", &BuildGaussianNb},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
