#include "sklearn/neighbors/neighbors_adapters.h"

#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "sklearn/neighbors/knn_models.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

struct KnnCommon {
  KnnIndex index;
  size_t k;
  bool distance_weights;
};

Status Unsupported(const Value& obj, const std::string& what) {
  return Status::Unimplemented(std::string(ShortClassName(obj.cls)) + ": " + what);
}

StatusOr<KnnMetric> ReadMetric(const Value& obj, double* p) {
  INFERD_ASSIGN_OR_RETURN(const Value* m, Require(obj, "effective_metric_"));
  if (m->kind != Kind::kStr) return Unsupported(obj, "only named metrics are supported, found " + m->Describe());
  const Value* params = obj.Attr("effective_metric_params_");
  if (params != nullptr && params->kind != Kind::kDict && !params->is_none()) {
    return StateError(obj, "'effective_metric_params_' must be a dict, found " + params->Describe());
  }
  *p = 2.0;
  const std::string& name = m->s;
  // Any parameter other than minkowski's p (and a None weight vector) changes the metric.
  if (params != nullptr && params->kind == Kind::kDict) {
    for (const auto& [key, val] : params->entries) {
      if (key == nullptr || key->kind != Kind::kStr || val == nullptr) {
        return StateError(obj, "'effective_metric_params_' has a non-str key");
      }
      if (key->s == "w" && val->is_none()) continue;
      if (key->s == "p" && name == "minkowski") {
        StatusOr<double> pv = val->AsDouble();
        if (!pv.ok() || !(*pv >= 1.0) || std::isinf(*pv)) {
          return StateError(obj, "minkowski 'p' must be a finite number >= 1");
        }
        *p = *pv;
        continue;
      }
      return Unsupported(obj, "metric parameter '" + key->s + "' is not supported");
    }
  }
  if (name == "euclidean" || name == "l2") return KnnMetric::kEuclidean;
  if (name == "manhattan" || name == "cityblock" || name == "l1") return KnnMetric::kManhattan;
  if (name == "chebyshev" || name == "infinity") return KnnMetric::kChebyshev;
  if (name == "minkowski") {
    // sklearn maps p=1/2 to manhattan/euclidean at fit; keep the general form otherwise.
    if (*p == 1.0) return KnnMetric::kManhattan;
    if (*p == 2.0) return KnnMetric::kEuclidean;
    return KnnMetric::kMinkowski;
  }
  return Unsupported(obj, "metric '" + name + "' is not supported");
}

StatusOr<KnnCommon> ReadCommon(const Value& obj) {
  double p = 2.0;
  INFERD_ASSIGN_OR_RETURN(KnnMetric metric, ReadMetric(obj, &p));
  INFERD_ASSIGN_OR_RETURN(DenseArray fx, GetDoubles(obj, "_fit_X"));
  if (fx.shape.size() != 2 || fx.shape[0] == 0 || fx.shape[1] == 0 || fx.shape[1] > kMaxDim ||
      fx.shape[0] >= std::numeric_limits<uint32_t>::max()) {
    return StateError(obj, "'_fit_X' must be a non-empty 2-D array, found shape " + ShapeString(fx.shape));
  }
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, fx.shape[1]));
  INFERD_ASSIGN_OR_RETURN(int64_t k, GetInt(obj, "n_neighbors"));
  if (k < 1 || static_cast<uint64_t>(k) > fx.shape[0]) {
    return StateError(obj, "n_neighbors is " + std::to_string(k) + " but must be in [1, " +
                               std::to_string(fx.shape[0]) + "] (the number of fitted samples)");
  }
  INFERD_ASSIGN_OR_RETURN(const Value* wv, Require(obj, "weights"));
  bool distance = false;
  if (wv->is_none() || (wv->kind == Kind::kStr && wv->s == "uniform"))
    distance = false;
  else if (wv->kind == Kind::kStr && wv->s == "distance")
    distance = true;
  else
    return Unsupported(obj, "weights must be 'uniform' or 'distance', found " + wv->Describe());
  const size_t n = fx.shape[0];
  return KnnCommon{KnnIndex(metric, p, nf, n, std::move(fx.data)), static_cast<size_t>(k), distance};
}

StatusOr<ModelPtr> BuildClassifier(const Value& obj) {
  if (const Value* o2 = obj.Attr("outputs_2d_"); o2 != nullptr) {
    StatusOr<bool> b = o2->AsBool();
    if (!b.ok()) return StateError(obj, "'outputs_2d_': " + b.status().message());
    if (*b) return Unsupported(obj, "multi-output classification is not supported");
  }
  INFERD_ASSIGN_OR_RETURN(KnnCommon c, ReadCommon(obj));
  INFERD_ASSIGN_OR_RETURN(std::vector<Label> classes, GetClasses(obj));
  INFERD_ASSIGN_OR_RETURN(const Value* yv, Require(obj, "_y"));
  if (yv->kind != Kind::kArray || yv->array == nullptr || yv->array->ndim() != 1 ||
      yv->array->size() != c.index.n_samples()) {
    return StateError(obj, "'_y' must be a 1-D array of " + std::to_string(c.index.n_samples()) +
                               " class indices, found " + yv->Describe());
  }
  StatusOr<std::vector<int64_t>> yi = yv->array->ToInt64s();
  if (!yi.ok()) return StateError(obj, "'_y': " + yi.status().message());
  std::vector<uint32_t> y(yi->size());
  for (size_t i = 0; i < y.size(); ++i) {
    const int64_t v = (*yi)[i];
    if (v < 0 || static_cast<uint64_t>(v) >= classes.size()) {
      return StateError(
          obj, "'_y' holds class index " + std::to_string(v) + " outside [0, " + std::to_string(classes.size()) + ")");
    }
    y[i] = static_cast<uint32_t>(v);
  }
  return ModelPtr(std::make_unique<KNeighborsClassifierModel>(std::move(c.index), std::move(classes), std::move(y), c.k,
                                                              c.distance_weights));
}

StatusOr<ModelPtr> BuildRegressor(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(KnnCommon c, ReadCommon(obj));
  INFERD_ASSIGN_OR_RETURN(DenseArray y, GetDoubles(obj, "_y"));
  size_t n_targets = 0;
  if (y.shape.size() == 1 && y.shape[0] == c.index.n_samples())
    n_targets = 1;
  else if (y.shape.size() == 2 && y.shape[0] == c.index.n_samples() && y.shape[1] > 0)
    n_targets = y.shape[1];
  else {
    return StateError(obj, "'_y' has shape " + ShapeString(y.shape) + ", expected (" +
                               std::to_string(c.index.n_samples()) + ",) or (" + std::to_string(c.index.n_samples()) +
                               ", n_targets)");
  }
  return ModelPtr(std::make_unique<KNeighborsRegressorModel>(std::move(c.index), std::move(y.data), n_targets, c.k,
                                                             c.distance_weights));
}

}  // namespace

std::span<const AdapterEntry> NeighborsAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.neighbors._classification.KNeighborsClassifier", &BuildClassifier},
      {"sklearn.neighbors._regression.KNeighborsRegressor", &BuildRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
