#include "sklearn/lightgbm/lightgbm_adapters.h"

#include <string>
#include <utility>

#include "common/whole_file.h"
#include "sklearn/lightgbm/lightgbm_document.h"
#include "sklearn/lightgbm/lightgbm_model.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

constexpr std::string_view kBoosterClass = "lightgbm.basic.Booster";

// The model text and best_iteration of a pickled lightgbm.basic.Booster record.
struct BoosterState {
  const std::string* text = nullptr;
  int64_t best_iteration = 0;
};

StatusOr<BoosterState> ReadBoosterState(const Value& booster, const Value& owner, const std::string& what) {
  if (!booster.is_object(kBoosterClass) || booster.state == nullptr || booster.state->kind != Kind::kDict) {
    return StateError(owner, what + " is not a lightgbm.basic.Booster, found " + booster.Describe());
  }
  const Value* handle = booster.state->Get("_handle");
  if (handle == nullptr || handle->kind != Kind::kStr) {
    return StateError(owner, what + "._handle must be the model text (str), found " +
                                 (handle ? handle->Describe() : std::string("nothing")));
  }
  BoosterState s{&handle->s, 0};
  if (const Value* b = booster.state->Get("best_iteration"); b != nullptr && !b->is_none()) {
    StatusOr<int64_t> i = b->AsInt();
    if (!i.ok()) return StateError(owner, what + ".best_iteration: " + i.status().message());
    s.best_iteration = *i;
  }
  return s;
}

StatusOr<ModelPtr> LoadText(const Value& obj, const BoosterState& booster, LgbOptions o) {
  const std::string name = o.name;
  StatusOr<std::unique_ptr<LightGBMModel>> m = LightGBMModel::Load(*booster.text, std::move(o));
  if (!m.ok()) return Status(m.status().code(), name + ": " + m.status().message());
  if (const Value* nf = obj.Attr("_n_features"); nf != nullptr) {
    StatusOr<int64_t> n = nf->AsInt();
    if (n.ok() && *n >= 0 && static_cast<uint64_t>(*n) != (*m)->n_features()) {
      return StateError(obj, "_n_features does not match the booster");
    }
  }
  return ModelPtr(std::move(m).value());
}

StatusOr<ModelPtr> BuildWrapper(const Value& obj, LgbRole role) {
  LgbOptions o;
  o.name = std::string(ShortClassName(obj.cls));
  o.role = role;
  INFERD_ASSIGN_OR_RETURN(const Value* booster_value, Require(obj, "_Booster"));
  INFERD_ASSIGN_OR_RETURN(BoosterState booster, ReadBoosterState(*booster_value, obj, "'_Booster'"));
  o.best_iteration = booster.best_iteration;
  if (role == LgbRole::kClassifier) {
    INFERD_ASSIGN_OR_RETURN(o.classes, GetClasses(obj, "_classes"));
  }
  return LoadText(obj, booster, std::move(o));
}

StatusOr<ModelPtr> BuildClassifier(const Value& obj) { return BuildWrapper(obj, LgbRole::kClassifier); }
StatusOr<ModelPtr> BuildRegressor(const Value& obj) { return BuildWrapper(obj, LgbRole::kRegressor); }

// A pickled bare Booster: Booster.predict's answers (its best_iteration, else every round).
StatusOr<ModelPtr> BuildBooster(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(BoosterState booster, ReadBoosterState(obj, obj, "the record"));
  LgbOptions o;
  o.name = "Booster";
  o.best_iteration = booster.best_iteration;
  return LoadText(obj, booster, std::move(o));
}

}  // namespace

bool IsLightGBMText(std::string_view bytes) { return LooksLikeLgbText(bytes.substr(0, 6)); }

StatusOr<ModelPtr> LoadLightGBMText(std::string_view bytes) {
  StatusOr<std::unique_ptr<LightGBMModel>> m = LightGBMModel::Load(bytes, LgbOptions());
  if (!m.ok()) return m.status();
  return ModelPtr(std::move(m).value());
}

std::optional<StatusOr<ModelPtr>> TryLoadLightGBMTextFile(const std::string& path, size_t max_bytes) {
  WholeFileReader file;
  if (!file.OpenHead(path, 6)) return std::nullopt;  // the pickle reader reports the error
  if (!IsLightGBMText(file.head())) return std::nullopt;
  StatusOr<std::string_view> bytes = file.ReadAll(max_bytes);
  if (!bytes.ok()) return StatusOr<ModelPtr>(bytes.status());
  return LoadLightGBMText(*bytes);
}

std::span<const AdapterEntry> LightGBMAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"lightgbm.basic.Booster", &BuildBooster},
      {"lightgbm.sklearn.LGBMClassifier", &BuildClassifier},
      {"lightgbm.sklearn.LGBMRegressor", &BuildRegressor},
      {"lightgbm.sklearn.LGBMRanker", &BuildRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
