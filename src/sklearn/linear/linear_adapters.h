// Adapters (pickled record -> runtime) for the linear family: LinearRegression, Ridge,
// Lasso, ElasticNet, LogisticRegression.
#ifndef INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_
#define INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sklearn/linear/logistic_regression.h"
#include "sklearn/registry.h"
#include "sklearn/state.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> LinearAdapters();

// coef_ (F,) or (R, F) and intercept_ (a Python number broadcast to R rows, a numpy
// scalar, or (R,)), validated against each other. Shared by every linear family.
struct CoefIntercept {
  size_t n_rows = 0;  // targets (regression) or decision columns (classification)
  size_t n_features = 0;
  bool one_dim = false;           // coef_ was 1-D
  std::vector<double> coef;       // n_rows x n_features, row-major
  std::vector<double> intercept;  // n_rows
};
StatusOr<CoefIntercept> ReadCoefIntercept(const pickle::Value& obj);

// sklearn's choice between OvR and softmax probabilities (sklearn-model-files.md §5.1).
// `multi_class` is nullopt when the attribute is absent (sklearn >= 1.8).
StatusOr<ProbaRule> ChooseProbaRule(const std::optional<std::string>& multi_class, const std::string& solver,
                                    size_t n_classes, Version version);

StatusOr<ModelPtr> BuildLinearRegressor(const pickle::Value& obj);
StatusOr<ModelPtr> BuildLogisticRegression(const pickle::Value& obj);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LINEAR_LINEAR_ADAPTERS_H_
