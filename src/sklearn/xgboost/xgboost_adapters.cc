#include "sklearn/xgboost/xgboost_adapters.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "sklearn/state.h"
#include "sklearn/xgboost/xgboost_model.h"

namespace inferd::sklearn {
namespace {

// read(2) of up to `size` bytes into `out`, retried on EINTR; *got = 0 at the end of the file.
bool ReadSome(int fd, char* out, size_t size, size_t* got) {
  while (true) {
    const ssize_t n = ::read(fd, out, size);
    if (n >= 0) {
      *got = static_cast<size_t>(n);
      return true;
    }
    if (errno != EINTR) return false;
  }
}

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
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // the pickle reader reports the error
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  char head[4] = {0, 0, 0, 0};
  size_t got = 0;
  for (size_t n = 1; got < sizeof head && n != 0; got += n) {
    if (!ReadSome(fd, head + got, sizeof head - got, &n)) return std::nullopt;
  }
  if (got == sizeof head && std::string_view(head, 4) == "binf") {
    // xgboost's deprecated binary model format (save_model to a name that is not .json/.ubj).
    return StatusOr<ModelPtr>(Status::Unimplemented(
        "a legacy binary xgboost model (\"binf\"): re-save it with xgboost >= 1.6 as save_model('model.ubj') or "
        "save_model('model.json')"));
  }
  if (got == 0 || head[0] != '{') return std::nullopt;
  // Read, not mapped as pickles are: every byte is parsed at once, and faulting in a mapping's
  // pages costs more than copying them (docs/benchmarks.md). The kernel copies straight into
  // an uninitialised heap buffer (a reload reuses the memory the last one faulted in), sized
  // from fstat and grown if the file is longer.
  struct stat st;
  size_t capacity = size_t{1} << 16;
  if (fstat(fd, &st) == 0 && st.st_size > 0) capacity = static_cast<size_t>(st.st_size);
  capacity = std::min(std::max(capacity, got), max_bytes) + 1;  // + 1: a read past the size ends the file
  std::unique_ptr<char[]> bytes(new char[capacity]);
  std::memcpy(bytes.get(), head, got);
  size_t size = got;
  while (true) {
    if (size == capacity) {
      if (size > max_bytes) {
        return StatusOr<ModelPtr>(
            Status::ResourceExhausted("file is over the limit of " + std::to_string(max_bytes) + " bytes"));
      }
      capacity = std::min(2 * size, max_bytes + 1);
      std::unique_ptr<char[]> grown(new char[capacity]);
      std::memcpy(grown.get(), bytes.get(), size);
      bytes = std::move(grown);
    }
    size_t n = 0;
    if (!ReadSome(fd, bytes.get() + size, capacity - size, &n)) {
      return StatusOr<ModelPtr>(Status::InvalidArgument("read error"));
    }
    if (n == 0) break;
    size += n;
  }
  return LoadNativeXGBoostModel(std::string_view(bytes.get(), size));
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
