#include "sklearn/preprocessing/preprocessing_adapters.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "sklearn/preprocessing/encoders.h"
#include "sklearn/preprocessing/imputer.h"
#include "sklearn/preprocessing/pca.h"
#include "sklearn/preprocessing/row_maps.h"
#include "sklearn/preprocessing/scalers.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

constexpr size_t kMaxOutputColumns = size_t{1} << 22;

StatusOr<size_t> NFeaturesIn(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(int64_t n, GetInt(obj, "n_features_in_"));
  if (n <= 0 || static_cast<uint64_t>(n) > kMaxDim) return StateError(obj, "bad n_features_in_");
  return static_cast<size_t>(n);
}

// A bool attribute, `fallback` when absent. `none_is_absent`: None also means `fallback`
// (optional flags); a scaler's flags must be bools.
StatusOr<bool> FlagOr(const Value& obj, std::string_view name, bool fallback, bool none_is_absent = true) {
  const Value* v = obj.Attr(name);
  if (v == nullptr || (none_is_absent && v->is_none())) return fallback;
  StatusOr<bool> b = v->AsBool();
  if (!b.ok()) return StateError(obj, "'" + std::string(name) + "': " + b.status().message());
  return *b;
}

StatusOr<std::string> StringOr(const Value& obj, std::string_view name, std::string fallback) {
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> s, GetOptionalString(obj, name));
  return s.value_or(std::move(fallback));
}

// A 1-D array attribute of exactly `n` values.
StatusOr<std::vector<double>> Vector(const Value& obj, std::string_view name, size_t n) {
  INFERD_ASSIGN_OR_RETURN(DenseArray a, GetDoubles(obj, name));
  if (a.shape.size() != 1 || a.shape[0] != n) {
    return StateError(obj, "'" + std::string(name) + "' has shape " + ShapeString(a.shape) + ", expected (" +
                               std::to_string(n) + ",)");
  }
  return std::move(a.data);
}

// A 1-D per-feature array attribute, or nullopt if it is None/absent and not `required`.
StatusOr<std::optional<std::vector<double>>> PerFeature(const Value& obj, std::string_view name, bool required) {
  const Value* v = obj.Attr(name);
  if (v == nullptr || v->is_none()) {
    if (required) return StateError(obj, "missing attribute '" + std::string(name) + "'");
    return std::optional<std::vector<double>>();
  }
  INFERD_ASSIGN_OR_RETURN(DenseArray a, ToDense(obj, *v, name));
  if (a.shape.size() != 1 || a.shape[0] == 0 || a.shape[0] > kMaxDim) {
    return StateError(obj,
                      "'" + std::string(name) + "' must be a non-empty 1-D array, found shape " + ShapeString(a.shape));
  }
  return std::optional<std::vector<double>>(std::move(a.data));
}

// categories_: a list of sorted numeric 1-D arrays; NaN may only be last.
StatusOr<std::vector<CategoryList>> ReadCategories(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(const Value* c, Require(obj, "categories_"));
  if (c->kind != Kind::kList || c->items.empty() || c->items.size() > kMaxDim) {
    return StateError(obj, "'categories_' must be a non-empty list of arrays, found " + c->Describe());
  }
  std::vector<CategoryList> out;
  for (size_t i = 0; i < c->items.size(); ++i) {
    const Value* a = c->items[i].get();
    const std::string what = "categories_[" + std::to_string(i) + "]";
    if (a == nullptr || a->kind != Kind::kArray || a->array == nullptr || a->array->ndim() != 1 ||
        a->array->dtype == nullptr) {
      return StateError(obj, what + " is not a 1-D array");
    }
    const char k = a->array->dtype->kind;
    if (k == 'U' || k == 'S' ||
        (k == 'O' && std::any_of(a->array->objects.begin(), a->array->objects.end(),
                                 [](const pickle::ValuePtr& e) { return e && e->kind == Kind::kStr; }))) {
      return Status::Unimplemented(std::string(ShortClassName(obj.cls)) + ": " + what +
                                   " holds strings; only numeric categories are supported (request rows are numbers)");
    }
    StatusOr<DenseArray> d = ToDense(obj, *a, what);
    if (!d.ok()) return d.status();
    CategoryList cl;
    for (size_t j = 0; j < d->data.size(); ++j) {
      const double v = d->data[j];
      if (std::isnan(v)) {
        if (j + 1 != d->data.size()) return StateError(obj, what + ": NaN must be the last category");
        cl.has_nan = true;
      } else {
        if (!cl.values.empty() && !(cl.values.back() < v)) return StateError(obj, what + " is not sorted and unique");
        cl.values.push_back(v);
      }
    }
    if (cl.size() == 0) return StateError(obj, what + " is empty");
    out.push_back(std::move(cl));
  }
  return out;
}

Status RefuseInfrequent(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(bool inf, FlagOr(obj, "_infrequent_enabled", false));
  if (inf) {
    return Status::Unimplemented(std::string(ShortClassName(obj.cls)) +
                                 ": infrequent category grouping (min_frequency / max_categories) is not supported");
  }
  return Status::Ok();
}

StatusOr<ModelPtr> BuildStandardScaler(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(bool with_std, FlagOr(obj, "with_std", true, /*none_is_absent=*/false));
  INFERD_ASSIGN_OR_RETURN(bool with_mean, FlagOr(obj, "with_mean", true, /*none_is_absent=*/false));
  INFERD_ASSIGN_OR_RETURN(std::optional<std::vector<double>> mean, PerFeature(obj, "mean_", with_mean));
  INFERD_ASSIGN_OR_RETURN(std::optional<std::vector<double>> scale, PerFeature(obj, "scale_", with_std));
  std::vector<double> m = with_mean ? std::move(*mean) : std::vector<double>();
  std::vector<double> s = with_std ? std::move(*scale) : std::vector<double>();
  if (!m.empty() && !s.empty() && m.size() != s.size()) {
    return StateError(obj, "'mean_' and 'scale_' have different lengths");
  }
  size_t nf;
  if (!m.empty() || !s.empty()) {
    INFERD_ASSIGN_OR_RETURN(nf, CheckNFeatures(obj, m.empty() ? s.size() : m.size()));
  } else {
    INFERD_ASSIGN_OR_RETURN(nf, NFeaturesIn(obj));
  }
  return ModelPtr(std::make_unique<StandardScalerModel>(nf, std::move(m), std::move(s)));
}

StatusOr<ModelPtr> BuildMinMaxScaler(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::optional<std::vector<double>> scale, PerFeature(obj, "scale_", true));
  INFERD_ASSIGN_OR_RETURN(std::optional<std::vector<double>> min, PerFeature(obj, "min_", true));
  if (scale->size() != min->size()) return StateError(obj, "'scale_' and 'min_' have different lengths");
  INFERD_ASSIGN_OR_RETURN(bool clip, FlagOr(obj, "clip", false, /*none_is_absent=*/false));
  double lo = 0.0, hi = 1.0;
  if (clip) {
    INFERD_ASSIGN_OR_RETURN(const Value* fr, Require(obj, "feature_range"));
    if ((fr->kind != Kind::kTuple && fr->kind != Kind::kList) || fr->items.size() != 2 || !fr->items[0] ||
        !fr->items[1]) {
      return StateError(obj, "'feature_range' must be a pair, found " + fr->Describe());
    }
    StatusOr<double> a = fr->items[0]->AsDouble();
    StatusOr<double> b = fr->items[1]->AsDouble();
    if (!a.ok() || !b.ok()) return StateError(obj, "'feature_range' must hold two numbers");
    lo = *a;
    hi = *b;
  }
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, scale->size()));
  return ModelPtr(std::make_unique<MinMaxScalerModel>(nf, std::move(*scale), std::move(*min), clip, lo, hi));
}

StatusOr<ModelPtr> BuildOneHotEncoder(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<CategoryList> cats, ReadCategories(obj));
  INFERD_RETURN_IF_ERROR(RefuseInfrequent(obj));
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, cats.size()));
  (void)nf;
  INFERD_ASSIGN_OR_RETURN(std::string handle, StringOr(obj, "handle_unknown", "error"));
  if (handle != "error" && handle != "ignore" && handle != "infrequent_if_exist") {
    return Status::Unimplemented("OneHotEncoder: unsupported handle_unknown '" + handle + "'");
  }
  std::vector<long> drop(cats.size(), -1);
  const Value* d = obj.Attr("_drop_idx_after_grouping");
  if (d == nullptr || d->is_none()) d = obj.Attr("drop_idx_");
  if (d != nullptr && !d->is_none()) {
    if (d->kind != Kind::kArray || d->array == nullptr || d->array->ndim() != 1 || d->array->size() != cats.size()) {
      return StateError(obj, "'drop_idx_' must be a 1-D array of " + std::to_string(cats.size()) + " entries");
    }
    for (size_t i = 0; i < cats.size(); ++i) {
      long idx = -1;
      if (d->array->dtype->kind == 'O') {
        const Value* e = d->array->objects.size() == cats.size() ? d->array->objects[i].get() : nullptr;
        if (e == nullptr) return StateError(obj, "'drop_idx_': missing element");
        if (!e->is_none()) {
          StatusOr<int64_t> v = e->AsInt();
          if (!v.ok()) return StateError(obj, "'drop_idx_': " + v.status().message());
          idx = static_cast<long>(*v);
          if (*v < 0) idx = -2;
        }
      } else {
        StatusOr<std::vector<int64_t>> v = d->array->ToInt64s();
        if (!v.ok()) return StateError(obj, "'drop_idx_': " + v.status().message());
        idx = (*v)[i] < 0 ? -2 : static_cast<long>((*v)[i]);
      }
      if (idx == -2 || (idx >= 0 && static_cast<size_t>(idx) >= cats[i].size())) {
        return StateError(obj, "'drop_idx_' is out of range for feature " + std::to_string(i));
      }
      drop[i] = idx;
    }
  }
  return ModelPtr(std::make_unique<OneHotEncoderModel>(std::move(cats), std::move(drop), handle != "error"));
}

StatusOr<ModelPtr> BuildOrdinalEncoder(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<CategoryList> cats, ReadCategories(obj));
  INFERD_RETURN_IF_ERROR(RefuseInfrequent(obj));
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, cats.size()));
  (void)nf;
  INFERD_ASSIGN_OR_RETURN(std::string handle, StringOr(obj, "handle_unknown", "error"));
  std::optional<double> unknown;
  if (handle == "use_encoded_value") {
    INFERD_ASSIGN_OR_RETURN(double u, GetDouble(obj, "unknown_value"));
    unknown = u;
  } else if (handle != "error") {
    return Status::Unimplemented("OrdinalEncoder: unsupported handle_unknown '" + handle + "'");
  }
  double missing = std::numeric_limits<double>::quiet_NaN();
  if (const Value* m = obj.Attr("encoded_missing_value"); m != nullptr && !m->is_none()) {
    StatusOr<double> v = m->AsDouble();
    if (!v.ok()) return StateError(obj, "'encoded_missing_value': " + v.status().message());
    missing = *v;
  }
  return ModelPtr(std::make_unique<OrdinalEncoderModel>(std::move(cats), unknown, missing));
}

StatusOr<ModelPtr> BuildSimpleImputer(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(size_t nf, NFeaturesIn(obj));
  INFERD_ASSIGN_OR_RETURN(std::vector<double> stats, Vector(obj, "statistics_", nf));
  INFERD_ASSIGN_OR_RETURN(const Value* mv, Require(obj, "missing_values"));
  StatusOr<double> missing = mv->AsDouble();
  if (!missing.ok() || mv->kind == Kind::kBool) {
    return Status::Unimplemented("SimpleImputer: missing_values " + mv->Describe() +
                                 " is not supported (only NaN or a number)");
  }
  INFERD_ASSIGN_OR_RETURN(std::string strategy, StringOr(obj, "strategy", "mean"));
  if (strategy != "mean" && strategy != "median" && strategy != "most_frequent" && strategy != "constant") {
    return Status::Unimplemented("SimpleImputer: unsupported strategy '" + strategy + "'");
  }
  INFERD_ASSIGN_OR_RETURN(bool keep_empty, FlagOr(obj, "keep_empty_features", false));
  std::vector<size_t> kept;
  for (size_t j = 0; j < nf; ++j) {
    if (strategy == "constant" || keep_empty || !std::isnan(stats[j])) kept.push_back(j);
  }
  std::vector<size_t> indicator;
  INFERD_ASSIGN_OR_RETURN(bool add_indicator, FlagOr(obj, "add_indicator", false));
  if (add_indicator) {
    INFERD_ASSIGN_OR_RETURN(const Value* ind, Require(obj, "indicator_"));
    if (ind->kind != Kind::kObject) return StateError(obj, "'indicator_' is not a MissingIndicator");
    StatusOr<DenseArray> f = GetDoubles(*ind, "features_");
    if (!f.ok()) return StateError(obj, "indicator_: " + f.status().message());
    for (double c : f->data) {
      if (!(c >= 0 && c < static_cast<double>(nf)) || c != std::floor(c)) {
        return StateError(obj, "indicator_.features_ holds an invalid column");
      }
      indicator.push_back(static_cast<size_t>(c));
    }
  }
  if (kept.empty() && indicator.empty()) return StateError(obj, "every column is dropped");
  return ModelPtr(
      std::make_unique<SimpleImputerModel>(nf, *missing, std::move(stats), std::move(kept), std::move(indicator)));
}

StatusOr<ModelPtr> BuildPca(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(DenseArray comp, GetDoubles(obj, "components_"));
  if (comp.shape.size() != 2 || comp.shape[0] == 0 || comp.shape[1] == 0 || comp.shape[0] > kMaxDim ||
      comp.shape[1] > kMaxDim) {
    return StateError(obj, "'components_' must be a 2-D array, found shape " + ShapeString(comp.shape));
  }
  const size_t k = comp.shape[0], nf = comp.shape[1];
  INFERD_RETURN_IF_ERROR(CheckNFeatures(obj, nf).status());
  INFERD_ASSIGN_OR_RETURN(std::vector<double> mean, Vector(obj, "mean_", nf));
  INFERD_ASSIGN_OR_RETURN(bool whiten, FlagOr(obj, "whiten", false));
  const bool new_formula = SklearnVersion(obj).AtLeast(1, 5);
  std::vector<double> scale;
  if (whiten) {
    INFERD_ASSIGN_OR_RETURN(scale, Vector(obj, "explained_variance_", k));
    for (double& s : scale) {
      s = std::sqrt(s);
      if (new_formula && s < std::numeric_limits<double>::epsilon()) s = std::numeric_limits<double>::epsilon();
    }
  }
  return ModelPtr(
      std::make_unique<PcaModel>(nf, k, std::move(mean), std::move(comp.data), std::move(scale), new_formula));
}

StatusOr<ModelPtr> BuildNormalizer(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(size_t nf, NFeaturesIn(obj));
  INFERD_ASSIGN_OR_RETURN(std::string norm, StringOr(obj, "norm", "l2"));
  NormalizerModel::Norm n;
  if (norm == "l2")
    n = NormalizerModel::Norm::kL2;
  else if (norm == "l1")
    n = NormalizerModel::Norm::kL1;
  else if (norm == "max")
    n = NormalizerModel::Norm::kMax;
  else
    return Status::Unimplemented("Normalizer: unsupported norm '" + norm + "'");
  return ModelPtr(std::make_unique<NormalizerModel>(nf, n));
}

StatusOr<ModelPtr> BuildPolynomialFeatures(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(size_t nf, NFeaturesIn(obj));
  int64_t lo = 0, hi = 0;
  if (obj.Attr("_max_degree") != nullptr) {
    INFERD_ASSIGN_OR_RETURN(lo, GetInt(obj, "_min_degree"));
    INFERD_ASSIGN_OR_RETURN(hi, GetInt(obj, "_max_degree"));
  } else {
    INFERD_ASSIGN_OR_RETURN(hi, GetInt(obj, "degree"));
  }
  if (lo < 0 || hi < lo || hi > 1000) return StateError(obj, "bad degree");
  INFERD_ASSIGN_OR_RETURN(bool interaction_only, FlagOr(obj, "interaction_only", false));
  INFERD_ASSIGN_OR_RETURN(bool include_bias, FlagOr(obj, "include_bias", true));
  StatusOr<size_t> width = PolynomialFeaturesModel::OutputWidth(nf, static_cast<size_t>(lo), static_cast<size_t>(hi),
                                                                interaction_only, include_bias, kMaxOutputColumns);
  if (!width.ok()) return StateError(obj, width.status().message());
  if (*width == 0) return StateError(obj, "no output columns");
  if (const Value* n = obj.Attr("n_output_features_"); n != nullptr) {
    StatusOr<int64_t> v = n->AsInt();
    if (!v.ok() || *v < 0 || static_cast<uint64_t>(*v) != *width) {
      return StateError(obj, "n_output_features_ does not match the degree parameters");
    }
  }
  return ModelPtr(std::make_unique<PolynomialFeaturesModel>(nf, static_cast<size_t>(lo), static_cast<size_t>(hi),
                                                            interaction_only, include_bias, *width));
}

}  // namespace

std::span<const AdapterEntry> PreprocessingAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.preprocessing._data.StandardScaler", &BuildStandardScaler},
      {"sklearn.preprocessing._data.MinMaxScaler", &BuildMinMaxScaler},
      {"sklearn.preprocessing._encoders.OneHotEncoder", &BuildOneHotEncoder},
      {"sklearn.preprocessing._encoders.OrdinalEncoder", &BuildOrdinalEncoder},
      {"sklearn.impute._base.SimpleImputer", &BuildSimpleImputer},
      {"sklearn.decomposition._pca.PCA", &BuildPca},
      {"sklearn.preprocessing._data.Normalizer", &BuildNormalizer},
      {"sklearn.preprocessing._polynomial.PolynomialFeatures", &BuildPolynomialFeatures},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
