#include "sklearn/svm/svm_adapters.h"

#include <limits>
#include <memory>
#include <utility>

#include "sklearn/state.h"
#include "sklearn/svm/svc_model.h"
#include "sklearn/svm/svr_model.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

// The kernel parameters and the support vectors, common to every libsvm estimator.
StatusOr<LibsvmKernel> ReadKernel(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(const Value* kv, Require(obj, "kernel"));
  if (kv->kind != Kind::kStr) {
    return Status::Unimplemented(std::string(ShortClassName(obj.cls)) + ": only string kernels are supported, found " +
                                 kv->Describe());
  }
  KernelParams kp;
  if (kv->s == "linear")
    kp.type = KernelType::kLinear;
  else if (kv->s == "poly")
    kp.type = KernelType::kPoly;
  else if (kv->s == "rbf")
    kp.type = KernelType::kRbf;
  else if (kv->s == "sigmoid")
    kp.type = KernelType::kSigmoid;
  else
    return Status::Unimplemented(std::string(ShortClassName(obj.cls)) + ": kernel '" + kv->s + "' is not supported");

  if (const Value* sparse = obj.Attr("_sparse"); sparse != nullptr) {
    StatusOr<bool> b = sparse->AsBool();
    if (!b.ok()) return StateError(obj, "'_sparse': " + b.status().message());
    if (*b)
      return Status::Unimplemented(std::string(ShortClassName(obj.cls)) +
                                   ": models fitted on sparse input are not supported");
  }
  INFERD_ASSIGN_OR_RETURN(kp.gamma, GetDouble(obj, "_gamma"));
  INFERD_ASSIGN_OR_RETURN(kp.coef0, GetDouble(obj, "coef0"));
  INFERD_ASSIGN_OR_RETURN(int64_t degree, GetInt(obj, "degree"));
  if (degree < 0 || degree > std::numeric_limits<int>::max()) {
    return StateError(obj, "'degree' must be a non-negative int, found " + std::to_string(degree));
  }
  kp.degree = static_cast<int>(degree);

  INFERD_ASSIGN_OR_RETURN(DenseArray sv, GetDoubles(obj, "support_vectors_"));
  if (sv.shape.size() != 2 || sv.shape[1] == 0 || sv.shape[0] > kMaxDim || sv.shape[1] > kMaxDim) {
    return StateError(obj, "'support_vectors_' must be 2-D (n_SV, n_features), found shape " + ShapeString(sv.shape));
  }
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, sv.shape[1]));
  return LibsvmKernel(kp, nf, sv.shape[0], std::move(sv.data));
}

// A float64 attribute that must have exactly `shape`.
StatusOr<std::vector<double>> ExactShape(const Value& obj, std::string_view name, const std::vector<size_t>& shape) {
  INFERD_ASSIGN_OR_RETURN(DenseArray a, GetDoubles(obj, name));
  if (a.shape != shape) {
    return StateError(
        obj, "'" + std::string(name) + "' has shape " + ShapeString(a.shape) + ", expected " + ShapeString(shape));
  }
  return std::move(a.data);
}

StatusOr<ModelPtr> BuildSvc(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(LibsvmKernel kernel, ReadKernel(obj));
  SvcParams p;
  INFERD_ASSIGN_OR_RETURN(p.classes, GetClasses(obj));
  const size_t k = p.classes.size();
  if (k < 2) return StateError(obj, "needs at least 2 classes, 'classes_' has " + std::to_string(k));
  const size_t n_sv = kernel.n_sv();
  const size_t n_pairs = k * (k - 1) / 2;  // k <= kMaxDim: no overflow

  // sklearn < 0.23 stored the per-class counts as the public `n_support_`.
  INFERD_ASSIGN_OR_RETURN(const Value* ns, Require(obj, obj.Attr("_n_support") ? "_n_support" : "n_support_"));
  if (ns->kind != Kind::kArray || ns->array == nullptr || ns->array->ndim() != 1 || ns->array->size() != k) {
    return StateError(obj,
                      "'_n_support' must be a 1-D array of " + std::to_string(k) + " counts, found " + ns->Describe());
  }
  StatusOr<std::vector<int64_t>> counts = ns->array->ToInt64s();
  if (!counts.ok()) return StateError(obj, "'_n_support': " + counts.status().message());
  size_t total = 0;
  for (int64_t c : *counts) {
    if (c < 0 || static_cast<uint64_t>(c) > n_sv - total) {
      return StateError(
          obj, "'_n_support' counts must be non-negative and sum to the " + std::to_string(n_sv) + " support vectors");
    }
    total += static_cast<size_t>(c);
    p.n_support.push_back(static_cast<size_t>(c));
  }
  if (total != n_sv) {
    return StateError(obj, "'_n_support' sums to " + std::to_string(total) + " but there are " + std::to_string(n_sv) +
                               " support vectors");
  }
  INFERD_ASSIGN_OR_RETURN(p.dual_coef, ExactShape(obj, "_dual_coef_", {k - 1, n_sv}));
  INFERD_ASSIGN_OR_RETURN(p.intercept, ExactShape(obj, "_intercept_", {n_pairs}));

  bool probability = false;
  if (obj.Attr("probability") != nullptr) {
    INFERD_ASSIGN_OR_RETURN(probability, GetBool(obj, "probability"));
  }
  if (probability) {
    // sklearn < 1.0 stored Platt's parameters as the public `probA_` / `probB_`.
    const bool old_names = obj.Attr("_probA") == nullptr && obj.Attr("probA_") != nullptr;
    INFERD_ASSIGN_OR_RETURN(p.prob_a, ExactShape(obj, old_names ? "probA_" : "_probA", {n_pairs}));
    INFERD_ASSIGN_OR_RETURN(p.prob_b, ExactShape(obj, old_names ? "probB_" : "_probB", {n_pairs}));
  }
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> shape, GetOptionalString(obj, "decision_function_shape"));
  const std::string dfs = shape.value_or("ovr");
  if (dfs != "ovr" && dfs != "ovo") return StateError(obj, "unknown decision_function_shape '" + dfs + "'");
  p.ovo_shape = dfs == "ovo";
  if (obj.Attr("break_ties") != nullptr) {
    INFERD_ASSIGN_OR_RETURN(p.break_ties, GetBool(obj, "break_ties"));
  }
  if (p.break_ties && p.ovo_shape) {
    // sklearn's predict raises for this combination; refuse at load rather than per request.
    return StateError(obj, "break_ties=True requires decision_function_shape='ovr'");
  }
  return ModelPtr(std::make_unique<SvcModel>(std::string(ShortClassName(obj.cls)), std::move(kernel), std::move(p)));
}

StatusOr<ModelPtr> BuildSvr(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(LibsvmKernel kernel, ReadKernel(obj));
  INFERD_ASSIGN_OR_RETURN(std::vector<double> dual, ExactShape(obj, "_dual_coef_", {1, kernel.n_sv()}));
  INFERD_ASSIGN_OR_RETURN(std::vector<double> icpt, ExactShape(obj, "_intercept_", {1}));
  return ModelPtr(
      std::make_unique<SvrModel>(std::string(ShortClassName(obj.cls)), std::move(kernel), std::move(dual), icpt[0]));
}

}  // namespace

std::span<const AdapterEntry> SvmAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.svm._classes.SVC", &BuildSvc},
      {"sklearn.svm._classes.NuSVC", &BuildSvc},
      {"sklearn.svm._classes.SVR", &BuildSvr},
      {"sklearn.svm._classes.NuSVR", &BuildSvr},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
