#include "sklearn/xgboost/xgboost_adapters.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "common/whole_file.h"
#include "sklearn/state.h"
#include "sklearn/xgboost/xgboost_model.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

// The booster snapshot and Python-side state of a pickled xgboost.core.Booster record.
struct BoosterState {
  const Value* handle = nullptr;  // the serialised booster (bytes)
  const Value* state = nullptr;   // its __dict__
};

StatusOr<BoosterState> ReadBoosterState(const Value& booster, const Value& owner, const std::string& what) {
  if (!booster.is_object("xgboost.core.Booster") || booster.state == nullptr || booster.state->kind != Kind::kDict) {
    return StateError(owner, what + " is not an xgboost.core.Booster, found " + booster.Describe());
  }
  const Value* handle = booster.state->Get("handle");
  if (handle == nullptr || handle->kind != Kind::kBytes) {
    return StateError(owner, what + ".handle must be the serialised booster (bytearray), found " +
                                 (handle ? handle->Describe() : std::string("nothing")));
  }
  return BoosterState{handle, booster.state.get()};
}

StatusOr<ModelPtr> LoadSnapshot(const Value& obj, const Value* handle, XgbOptions o) {
  const std::string name = o.name;
  StatusOr<std::unique_ptr<XGBoostModel>> m = XGBoostModel::Load(handle->s, XgbFormat::kSnapshot, std::move(o));
  if (!m.ok()) return Status(m.status().code(), name + ": " + m.status().message());
  if (const Value* nf = obj.Attr("n_features_in_"); nf != nullptr) {
    StatusOr<int64_t> n = nf->AsInt();
    if (n.ok() && *n >= 0 && static_cast<uint64_t>(*n) != (*m)->n_features()) {
      return StateError(obj, "n_features_in_ does not match the booster");
    }
  }
  return ModelPtr(std::move(m).value());
}

StatusOr<ModelPtr> BuildXgb(const Value& obj, XgbRole role) {
  XgbOptions o;
  o.name = std::string(ShortClassName(obj.cls));
  o.role = role;
  INFERD_ASSIGN_OR_RETURN(const Value* booster_value, Require(obj, "_Booster"));
  INFERD_ASSIGN_OR_RETURN(BoosterState booster, ReadBoosterState(*booster_value, obj, "'_Booster'"));
  if (const Value* m = obj.Attr("missing"); m != nullptr && !m->is_none()) {
    StatusOr<double> d = m->AsDouble();
    if (!d.ok()) return StateError(obj, "'missing': " + d.status().message());
    o.missing = *d;
  }
  if (const Value* b = booster.state->Get("best_iteration"); b != nullptr && !b->is_none()) {
    StatusOr<int64_t> i = b->AsInt();
    if (!i.ok()) return StateError(obj, "_Booster.best_iteration: " + i.status().message());
    o.best_iteration = *i;
  }
  if (role == XgbRole::kClassifier) {
    if (obj.Attr("classes_") != nullptr) {
      INFERD_ASSIGN_OR_RETURN(o.classes, GetClasses(obj));
    } else {
      INFERD_ASSIGN_OR_RETURN(int64_t k, GetInt(obj, "n_classes_"));
      if (k < 2 || static_cast<uint64_t>(k) > kMaxDim) return StateError(obj, "bad n_classes_");
      for (int64_t c = 0; c < k; ++c) o.classes.push_back(Label::Int(c));
    }
  }
  return LoadSnapshot(obj, booster.handle, std::move(o));
}

StatusOr<ModelPtr> BuildXgbClassifier(const Value& obj) { return BuildXgb(obj, XgbRole::kClassifier); }
StatusOr<ModelPtr> BuildXgbRegressor(const Value& obj) { return BuildXgb(obj, XgbRole::kRegressor); }

// A pickled bare Booster: Booster.predict's answers (every round, missing = NaN).
StatusOr<ModelPtr> BuildBooster(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(BoosterState booster, ReadBoosterState(obj, obj, "the record"));
  XgbOptions o;
  o.name = "Booster";
  return LoadSnapshot(obj, booster.handle, std::move(o));
}

}  // namespace

bool IsNativeXGBoostModel(std::string_view bytes) { return !bytes.empty() && bytes[0] == '{'; }

StatusOr<ModelPtr> LoadNativeXGBoostModel(std::string_view bytes) {
  StatusOr<std::unique_ptr<XGBoostModel>> m = XGBoostModel::Load(bytes, XgbFormat::kModelFile, XgbOptions());
  if (!m.ok()) return m.status();
  return ModelPtr(std::move(m).value());
}

std::optional<StatusOr<ModelPtr>> TryLoadNativeXGBoostFile(const std::string& path, size_t max_bytes) {
  WholeFileReader file;
  if (!file.OpenHead(path, 4)) return std::nullopt;  // the pickle reader reports the error
  const std::string_view head = file.head();
  if (head == "binf") {
    // xgboost's deprecated binary model format (save_model to a name that is not .json/.ubj).
    return StatusOr<ModelPtr>(Status::Unimplemented(
        "a legacy binary xgboost model (\"binf\"): re-save it with xgboost >= 1.6 as save_model('model.ubj') or "
        "save_model('model.json')"));
  }
  if (head.empty() || head[0] != '{') return std::nullopt;
  // Read, not mapped as pickles are: every byte is parsed at once, and faulting in a mapping's
  // pages costs more than copying them (docs/benchmarks.md).
  StatusOr<std::string_view> bytes = file.ReadAll(max_bytes);
  if (!bytes.ok()) return StatusOr<ModelPtr>(bytes.status());
  return LoadNativeXGBoostModel(*bytes);
}

std::span<const AdapterEntry> XGBoostAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"xgboost.core.Booster", &BuildBooster},
      {"xgboost.sklearn.XGBClassifier", &BuildXgbClassifier},
      {"xgboost.sklearn.XGBRegressor", &BuildXgbRegressor},
      {"xgboost.sklearn.XGBRFClassifier", &BuildXgbClassifier},
      {"xgboost.sklearn.XGBRFRegressor", &BuildXgbRegressor},
      {"xgboost.sklearn.XGBRanker", &BuildXgbRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
