#include "sklearn/preprocessing/preprocessing_adapters.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "common/json_number.h"
#include "sklearn/preprocessing/encoders.h"
#include "sklearn/preprocessing/fitted_cells.h"
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

// categories_: a list of 1-D arrays (fitted_cells.h).
StatusOr<std::vector<CategoryList>> ReadCategories(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(const Value* c, Require(obj, "categories_"));
  if (c->kind != Kind::kList || c->items.empty() || c->items.size() > kMaxDim) {
    return StateError(obj, "'categories_' must be a non-empty list of arrays, found " + c->Describe());
  }
  std::vector<CategoryList> out;
  for (size_t i = 0; i < c->items.size(); ++i) {
    INFERD_ASSIGN_OR_RETURN(CategoryList cl,
                            ReadCategoryList(obj, c->items[i].get(), "categories_[" + std::to_string(i) + "]"));
    out.push_back(std::move(cl));
  }
  return out;
}

// Entry i of a per-feature object or int array of indices (drop_idx_): the index, or -1 for
// None. Negative indices are refused.
StatusOr<long> IndexEntry(const Value& obj, const Value& arr, size_t i, std::string_view what) {
  long idx = -1;
  if (arr.array->dtype->kind == 'O') {
    const Value* e = arr.array->objects.size() == arr.array->size() ? arr.array->objects[i].get() : nullptr;
    if (e == nullptr) return StateError(obj, "'" + std::string(what) + "': missing element");
    if (e->is_none()) return -1;
    StatusOr<int64_t> v = e->AsInt();
    if (!v.ok()) return StateError(obj, "'" + std::string(what) + "': " + v.status().message());
    idx = *v < 0 || static_cast<uint64_t>(*v) > kMaxDim ? -2 : static_cast<long>(*v);
  } else {
    StatusOr<std::vector<int64_t>> v = arr.array->ToInt64s();
    if (!v.ok()) return StateError(obj, "'" + std::string(what) + "': " + v.status().message());
    idx = (*v)[i] < 0 || static_cast<uint64_t>((*v)[i]) > kMaxDim ? -2 : static_cast<long>((*v)[i]);
  }
  if (idx == -2) return StateError(obj, "'" + std::string(what) + "' is out of range for feature " + std::to_string(i));
  return idx;
}

// OneHotEncoder's infrequent grouping of feature i (sklearn >= 1.1,
// `_default_to_infrequent_mappings[i]`): for each category its index after grouping (the
// frequent ones in order, then one infrequent group last), or empty when the feature has no
// infrequent categories.
StatusOr<std::vector<long>> InfrequentMapping(const Value& obj, const Value* mappings, size_t i, size_t n_categories) {
  const std::string what = "_default_to_infrequent_mappings[" + std::to_string(i) + "]";
  const Value* m = mappings->items[i].get();
  if (m == nullptr || m->is_none()) return std::vector<long>();
  if (m->kind != Kind::kArray || m->array == nullptr || m->array->ndim() != 1 || m->array->size() != n_categories) {
    return StateError(obj, "'" + what + "' must be a 1-D array of " + std::to_string(n_categories) + " indices");
  }
  StatusOr<std::vector<int64_t>> v = m->array->ToInt64s();
  if (!v.ok()) return StateError(obj, "'" + what + "': " + v.status().message());
  std::vector<long> out;
  int64_t top = -1;
  for (int64_t g : *v) top = std::max(top, g);
  // Every grouped index below the infrequent group's is one frequent category, in order.
  std::vector<bool> seen(n_categories, false);
  for (int64_t g : *v) {
    if (g < 0 || g > top || (g < top && seen[static_cast<size_t>(g)])) {
      return StateError(obj, "'" + what + "' is not a grouping of the categories");
    }
    if (g < top) seen[static_cast<size_t>(g)] = true;
    out.push_back(static_cast<long>(g));
  }
  for (int64_t g = 0; g < top; ++g) {
    if (!seen[static_cast<size_t>(g)]) return StateError(obj, "'" + what + "' is not a grouping of the categories");
  }
  return out;
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

// str() of each element of the 1-D categories array `a`, as get_feature_names_out writes
// them; empty when that is not certain (numbers in an object array: int or float).
std::vector<std::string> CategoryTexts(const Value& a) {
  if (a.kind != Kind::kArray || a.array == nullptr || a.array->dtype == nullptr) return {};
  const char kind = a.array->dtype->kind;
  StatusOr<std::vector<Cell>> cells = CellsOf(a, &a, "categories");
  if (!cells.ok()) return {};
  std::vector<std::string> texts;
  for (const Cell& e : *cells) {
    std::string t;
    if (e.is_string()) {
      t = e.text;
    } else if (e.type == Cell::Type::kNan) {
      t = "nan";
    } else if (kind == 'i' || kind == 'u') {
      AppendInt(static_cast<int64_t>(e.value), &t);
    } else if (kind == 'f') {
      AppendPythonFloat(e.value, &t);
    } else {
      return {};
    }
    texts.push_back(std::move(t));
  }
  return texts;
}

StatusOr<ModelPtr> BuildOneHotEncoder(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::vector<CategoryList> cats, ReadCategories(obj));
  const Value* c_list = obj.Attr("categories_");
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, cats.size()));
  INFERD_ASSIGN_OR_RETURN(std::string handle, StringOr(obj, "handle_unknown", "error"));
  if (handle != "error" && handle != "ignore" && handle != "infrequent_if_exist") {
    return Status::Unimplemented("OneHotEncoder: unsupported handle_unknown '" + handle + "'");
  }
  // Infrequent grouping (min_frequency / max_categories).
  INFERD_ASSIGN_OR_RETURN(bool infrequent, FlagOr(obj, "_infrequent_enabled", false));
  const Value* mappings = nullptr;
  if (infrequent) {
    INFERD_ASSIGN_OR_RETURN(mappings, Require(obj, "_default_to_infrequent_mappings"));
    if ((mappings->kind != Kind::kList && mappings->kind != Kind::kTuple) || mappings->items.size() != nf) {
      return StateError(obj, "'_default_to_infrequent_mappings' must be a list of " + std::to_string(nf) + " entries");
    }
  }
  // The dropped category, as an index after grouping: `_drop_idx_after_grouping` (sklearn
  // >= 1.3, where drop_idx_ indexes categories_) or drop_idx_ (1.2, already grouped).
  const Value* d = obj.Attr("_drop_idx_after_grouping");
  if (d == nullptr || d->is_none()) d = obj.Attr("drop_idx_");
  if (d != nullptr && !d->is_none() &&
      (d->kind != Kind::kArray || d->array == nullptr || d->array->dtype == nullptr || d->array->ndim() != 1 ||
       d->array->size() != nf)) {
    return StateError(obj, "'drop_idx_' must be a 1-D array of " + std::to_string(nf) + " entries");
  }
  const bool unknown_is_error = handle == "error";
  std::vector<OneHotColumn> columns;
  for (size_t i = 0; i < nf; ++i) {
    OneHotColumn col;
    const size_t n = cats[i].size();
    std::vector<long> grouped;
    if (mappings != nullptr) {
      INFERD_ASSIGN_OR_RETURN(grouped, InfrequentMapping(obj, mappings, i, n));
    }
    const bool has_infrequent = !grouped.empty();
    if (!has_infrequent) {
      for (size_t k = 0; k < n; ++k) grouped.push_back(static_cast<long>(k));
    }
    const long n_grouped = *std::max_element(grouped.begin(), grouped.end()) + 1;
    long drop = -1;
    if (d != nullptr && !d->is_none()) {
      INFERD_ASSIGN_OR_RETURN(drop, IndexEntry(obj, *d, i, "drop_idx_"));
    }
    if (drop >= n_grouped) {
      return StateError(obj, "'drop_idx_' is out of range for feature " + std::to_string(i));
    }
    auto position = [drop](long g) { return g == drop ? -1 : (drop >= 0 && g > drop ? g - 1 : g); };
    for (long g : grouped) col.position.push_back(position(g));
    // sklearn maps an unknown value to the infrequent group only under infrequent_if_exist.
    if (has_infrequent && handle == "infrequent_if_exist") col.unknown_position = position(n_grouped - 1);
    if (has_infrequent) col.infrequent_position = position(n_grouped - 1);
    col.texts = CategoryTexts(*c_list->items[i]);
    col.width = static_cast<size_t>(n_grouped - (drop >= 0 ? 1 : 0));
    col.categories = std::move(cats[i]);
    columns.push_back(std::move(col));
  }
  if (const Value* outs = obj.Attr("_n_features_outs"); outs != nullptr && outs->kind == Kind::kList) {
    for (size_t i = 0; i < outs->items.size() && i < nf; ++i) {
      StatusOr<int64_t> w = Status::InvalidArgument("missing width");
      if (outs->items[i] != nullptr) w = outs->items[i]->AsInt();
      if (!w.ok() || *w < 0 || static_cast<uint64_t>(*w) != columns[i].width) {
        return StateError(obj, "'_n_features_outs' does not match the categories of feature " + std::to_string(i));
      }
    }
  }
  return ModelPtr(std::make_unique<OneHotEncoderModel>(std::move(columns), unknown_is_error));
}

// OrdinalEncoder's infrequent grouping (sklearn >= 1.3) is not implemented.
Status RefuseInfrequent(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(bool inf, FlagOr(obj, "_infrequent_enabled", false));
  if (inf) {
    return Status::Unimplemented(std::string(ShortClassName(obj.cls)) +
                                 ": infrequent category grouping (min_frequency / max_categories) is not supported");
  }
  return Status::Ok();
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
  INFERD_ASSIGN_OR_RETURN(const Value* st, Require(obj, "statistics_"));
  INFERD_ASSIGN_OR_RETURN(std::vector<Cell> cells, CellsOf(obj, st, "statistics_"));
  if (cells.size() != nf) {
    return StateError(obj,
                      "'statistics_' has " + std::to_string(cells.size()) + " values, expected " + std::to_string(nf));
  }
  std::vector<ImputerStatistic> stats(nf);
  for (size_t j = 0; j < nf; ++j) {
    stats[j].value = cells[j].value;
    stats[j].is_string = cells[j].is_string();
    stats[j].text = std::move(cells[j].text);
  }
  INFERD_ASSIGN_OR_RETURN(const Value* mv, Require(obj, "missing_values"));
  // A bool marker (missing_values=True) is not supported.
  StatusOr<Cell> missing = Status::InvalidArgument("a bool");
  if (mv->kind != Kind::kBool) missing = CellOf(*mv);
  if (!missing.ok()) {
    return Status::Unimplemented("SimpleImputer: missing_values " + mv->Describe() +
                                 " is not supported (only NaN, None, a number or a str)");
  }
  ImputerMissing marker;
  marker.kind = missing->type == Cell::Type::kNan      ? ImputerMissing::Kind::kNan
                : missing->type == Cell::Type::kNumber ? ImputerMissing::Kind::kNumber
                                                       : ImputerMissing::Kind::kString;
  marker.value = missing->value;
  if (missing->type == Cell::Type::kString) marker.text = std::move(missing->text);
  INFERD_ASSIGN_OR_RETURN(std::string strategy, StringOr(obj, "strategy", "mean"));
  if (strategy != "mean" && strategy != "median" && strategy != "most_frequent" && strategy != "constant") {
    return Status::Unimplemented("SimpleImputer: unsupported strategy '" + strategy + "'");
  }
  INFERD_ASSIGN_OR_RETURN(bool keep_empty, FlagOr(obj, "keep_empty_features", false));
  std::vector<size_t> kept;
  for (size_t j = 0; j < nf; ++j) {
    if (strategy == "constant" || keep_empty || !std::isnan(stats[j].value)) kept.push_back(j);
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
  return ModelPtr(std::make_unique<SimpleImputerModel>(nf, std::move(marker), std::move(stats), std::move(kept),
                                                       std::move(indicator)));
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
