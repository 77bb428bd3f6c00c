#include "sklearn/hist_gradient_boosting/hist_gradient_boosting_adapters.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "sklearn/compose/column_selection.h"
#include "sklearn/hist_gradient_boosting/hgb_model.h"
#include "sklearn/preprocessing/fitted_cells.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// `_bin_mapper.is_categorical_` (None -> all false) and the known categories per feature
// (from bin_thresholds_[f] of categorical features), as sklearn's make_known_categories_bitsets.
Status ReadBinMapper(const Value& obj, size_t nf, std::vector<bool>* is_cat, std::vector<CatBitset>* known) {
  is_cat->assign(nf, false);
  known->assign(nf, CatBitset{});
  const Value* bm = obj.Attr("_bin_mapper");
  if (bm == nullptr || bm->kind != Kind::kObject) return StateError(obj, "missing or invalid '_bin_mapper'");
  const Value* ic = bm->Attr("is_categorical_");
  if (ic == nullptr || ic->is_none()) return Status::Ok();
  StatusOr<DenseArray> mask = ToDense(*bm, *ic, "is_categorical_");
  if (!mask.ok()) return StateError(obj, "_bin_mapper: " + mask.status().message());
  if (mask->data.size() != nf) return StateError(obj, "_bin_mapper.is_categorical_ has the wrong length");
  const Value* th = bm->Attr("bin_thresholds_");
  if (th == nullptr || th->kind != Kind::kList || th->items.size() != nf) {
    return StateError(obj, "_bin_mapper.bin_thresholds_ must be a list of " + std::to_string(nf) + " arrays");
  }
  for (size_t f = 0; f < nf; ++f) {
    if (mask->data[f] == 0) continue;
    (*is_cat)[f] = true;
    if (th->items[f] == nullptr) return StateError(obj, "_bin_mapper.bin_thresholds_: null entry");
    StatusOr<DenseArray> cats = ToDense(*bm, *th->items[f], "bin_thresholds_");
    if (!cats.ok()) return StateError(obj, "_bin_mapper: " + cats.status().message());
    for (double c : cats->data) {
      if (!(c >= 0 && c < 256))
        return StateError(
            obj, "categorical feature " + std::to_string(f) + " has category " + std::to_string(c) + " outside 0..255");
      const unsigned v = static_cast<unsigned>(c);
      (*known)[f][v >> 5] |= 1u << (v & 31);
    }
  }
  return Status::Ok();
}

// sklearn >= 1.4 `_preprocessor` (None or absent when there are no categorical features).
StatusOr<HgbPreprocessor> ReadPreprocessor(const Value& obj, size_t nf) {
  HgbPreprocessor pre;
  const Value* p = obj.Attr("_preprocessor");
  if (p == nullptr || p->is_none()) return pre;
  if (p->kind != Kind::kObject || !EndsWith(p->cls, ".ColumnTransformer")) {
    return StateError(obj, "'_preprocessor' is not a ColumnTransformer: " + p->Describe());
  }
  const Value* tr = p->Attr("transformers_");
  if (tr == nullptr || tr->kind != Kind::kList) return StateError(obj, "_preprocessor: missing 'transformers_'");
  std::vector<bool> taken(nf, false);
  for (const auto& e : tr->items) {
    if (e == nullptr || e->kind != Kind::kTuple || e->items.size() != 3 || !e->items[0] || !e->items[1] ||
        e->items[0]->kind != Kind::kStr) {
      return StateError(obj, "_preprocessor: malformed transformers_ entry");
    }
    const Value& t = *e->items[1];
    if (t.kind != Kind::kObject || !EndsWith(t.cls, ".OrdinalEncoder")) continue;
    StatusOr<std::vector<size_t>> cols = ResolveColumns(*p, e->items[0]->s, e->items[2].get(), nf);
    if (!cols.ok()) return StateError(obj, "_preprocessor: " + cols.status().message());
    const Value* cats = t.Attr("categories_");
    if (cats == nullptr || cats->kind != Kind::kList || cats->items.size() != cols->size()) {
      return StateError(obj, "_preprocessor: OrdinalEncoder.categories_ does not match its columns");
    }
    for (size_t j = 0; j < cols->size(); ++j) {
      StatusOr<CategoryList> c = ReadCategoryList(t, cats->items[j].get(), "categories_[" + std::to_string(j) + "]");
      if (!c.ok()) return StateError(obj, "_preprocessor: " + c.status().message());
      const size_t col = (*cols)[j];
      if (taken[col]) return StateError(obj, "_preprocessor: column selected twice");
      taken[col] = true;
      pre.cat_cols.push_back(col);
      pre.categories.push_back(std::move(c).value());
    }
  }
  for (size_t c = 0; c < nf; ++c) {
    if (!taken[c]) pre.num_cols.push_back(c);
  }
  return pre;
}

StatusOr<ModelPtr> BuildHgb(const Value& obj, bool classifier) {
  const std::string name(ShortClassName(obj.cls));
  const Version version = SklearnVersion(obj);
  std::vector<Label> classes;
  if (classifier) {
    INFERD_ASSIGN_OR_RETURN(classes, GetClasses(obj));
    if (classes.size() < 2) return StateError(obj, "needs at least 2 classes");
  }
  INFERD_ASSIGN_OR_RETURN(int64_t k64, GetInt(obj, "n_trees_per_iteration_"));
  const size_t expected_k = classes.size() > 2 ? classes.size() : 1;
  if (k64 <= 0 || static_cast<uint64_t>(k64) != expected_k) {
    return StateError(obj,
                      "n_trees_per_iteration_ is " + std::to_string(k64) + ", expected " + std::to_string(expected_k));
  }
  const size_t k = expected_k;
  INFERD_ASSIGN_OR_RETURN(const Value* nfv, Require(obj, "n_features_in_"));
  StatusOr<int64_t> nf64 = nfv->AsInt();
  if (!nf64.ok() || *nf64 <= 0 || static_cast<uint64_t>(*nf64) > kMaxDim) return StateError(obj, "bad n_features_in_");
  const size_t nf = static_cast<size_t>(*nf64);

  INFERD_ASSIGN_OR_RETURN(const Value* bl, Require(obj, "_baseline_prediction"));
  std::vector<double> baseline;
  if (bl->kind == Kind::kArray) {
    INFERD_ASSIGN_OR_RETURN(DenseArray b, ToDense(obj, *bl, "_baseline_prediction"));
    baseline = std::move(b.data);
  } else {
    INFERD_ASSIGN_OR_RETURN(double d, GetDouble(obj, "_baseline_prediction"));
    baseline.assign(1, d);
  }
  if (baseline.size() != k) {
    return StateError(obj, "_baseline_prediction holds " + std::to_string(baseline.size()) + " values, expected " +
                               std::to_string(k));
  }

  // The link: from the `_loss.link` record when present, else from the `loss` parameter.
  HgbLink link = classifier ? (k == 1 ? HgbLink::kBinomial : HgbLink::kMultinomial) : HgbLink::kIdentity;
  if (!classifier) {
    std::string link_cls;
    if (const Value* loss = obj.Attr("_loss"); loss != nullptr && loss->kind == Kind::kObject) {
      if (const Value* l = loss->Attr("link"); l != nullptr && l->kind == Kind::kObject) link_cls = l->cls;
    }
    INFERD_ASSIGN_OR_RETURN(std::optional<std::string> loss_name, GetOptionalString(obj, "loss"));
    if (!link_cls.empty()) {
      if (EndsWith(link_cls, ".LogLink"))
        link = HgbLink::kExp;
      else if (!EndsWith(link_cls, ".IdentityLink")) {
        return Status::Unimplemented(name + ": unsupported link '" + link_cls + "'");
      }
    } else {
      const std::string l = loss_name.value_or("squared_error");
      if (l == "poisson" || l == "gamma")
        link = HgbLink::kExp;
      else if (l != "squared_error" && l != "absolute_error" && l != "quantile" && l != "least_squares" &&
               l != "least_absolute_deviation") {
        return Status::Unimplemented(name + ": unsupported loss '" + l + "'");
      }
    }
  }

  std::vector<bool> is_cat;
  std::vector<CatBitset> known;
  INFERD_RETURN_IF_ERROR(ReadBinMapper(obj, nf, &is_cat, &known));
  INFERD_ASSIGN_OR_RETURN(HgbPreprocessor pre, ReadPreprocessor(obj, nf));

  INFERD_ASSIGN_OR_RETURN(const Value* preds, Require(obj, "_predictors"));
  if (preds->kind != Kind::kList) return StateError(obj, "'_predictors' must be a list, found " + preds->Describe());
  HgbForest forest(nf, std::move(is_cat), std::move(known));
  for (size_t it = 0; it < preds->items.size(); ++it) {
    const Value* per = preds->items[it].get();
    if (per == nullptr || per->kind != Kind::kList || per->items.size() != k) {
      return StateError(
          obj, "_predictors[" + std::to_string(it) + "] must be a list of " + std::to_string(k) + " predictors");
    }
    for (size_t c = 0; c < k; ++c) {
      if (per->items[c] == nullptr) return StateError(obj, "_predictors: null predictor");
      Status s = forest.AddPredictor(*per->items[c]);
      if (!s.ok()) {
        return Status(s.code(),
                      name + ": _predictors[" + std::to_string(it) + "][" + std::to_string(c) + "]: " + s.message());
      }
    }
  }
  return ModelPtr(std::make_unique<HistGradientBoostingModel>(name, link, std::move(classes), nf, std::move(baseline),
                                                              std::move(forest), std::move(pre),
                                                              version.AtLeast(1, 5)));
}

StatusOr<ModelPtr> BuildHgbClassifier(const Value& obj) { return BuildHgb(obj, true); }
StatusOr<ModelPtr> BuildHgbRegressor(const Value& obj) { return BuildHgb(obj, false); }

}  // namespace

std::span<const AdapterEntry> HistGradientBoostingAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
       &BuildHgbClassifier},
      {"sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor", &BuildHgbRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
