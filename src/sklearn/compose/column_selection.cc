#include "sklearn/compose/column_selection.h"

#include <algorithm>
#include <string>
#include <utility>

#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

StatusOr<size_t> CheckIndex(int64_t i, size_t n) {
  const int64_t nn = static_cast<int64_t>(n);
  if (i < 0) i += nn;
  if (i < 0 || i >= nn)
    return Status::InvalidArgument("column index out of range for " + std::to_string(n) + " features");
  return static_cast<size_t>(i);
}

StatusOr<std::vector<std::string>> FeatureNames(const Value& ct) {
  const Value* names = ct.Attr("feature_names_in_");
  if (names == nullptr || names->kind != Kind::kArray || names->array == nullptr) {
    return Status::InvalidArgument("columns are selected by name but there is no feature_names_in_");
  }
  return names->array->ToStrings();
}

StatusOr<size_t> NameIndex(const std::vector<std::string>& names, const std::string& s) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == s) return i;
  }
  return Status::InvalidArgument("column '" + s + "' is not in feature_names_in_");
}

StatusOr<std::vector<size_t>> FromSequence(const Value& ct, const std::vector<const Value*>& items, size_t n) {
  std::vector<size_t> out;
  if (items.empty()) return out;
  const Kind k = items[0]->kind;
  if (k == Kind::kBool) {
    if (items.size() != n) return Status::InvalidArgument("boolean column mask has the wrong length");
    for (size_t i = 0; i < n; ++i) {
      if (items[i]->kind != Kind::kBool) return Status::InvalidArgument("mixed column mask");
      if (items[i]->b) out.push_back(i);
    }
    return out;
  }
  if (k == Kind::kStr) {
    INFERD_ASSIGN_OR_RETURN(std::vector<std::string> names, FeatureNames(ct));
    for (const Value* it : items) {
      if (it->kind != Kind::kStr) return Status::InvalidArgument("mixed column names");
      INFERD_ASSIGN_OR_RETURN(size_t i, NameIndex(names, it->s));
      out.push_back(i);
    }
    return out;
  }
  for (const Value* it : items) {
    StatusOr<int64_t> i = it->AsInt();
    if (!i.ok()) return Status::InvalidArgument("unsupported column selector element " + it->Describe());
    INFERD_ASSIGN_OR_RETURN(size_t c, CheckIndex(*i, n));
    out.push_back(c);
  }
  return out;
}

}  // namespace

StatusOr<std::vector<size_t>> ResolveSelector(const Value& ct, const Value& c, size_t n_features);

StatusOr<std::vector<size_t>> ResolveColumns(const Value& ct, std::string_view name, const Value* columns,
                                             size_t n_features) {
  // The fitted int indices (a list in sklearn 1.2, an array elsewhere) win over `columns`.
  if (const Value* map = ct.Attr("_transformer_to_input_indices"); map != nullptr && map->kind == Kind::kDict) {
    if (const Value* idx = map->Get(name); idx != nullptr) {
      if (idx->kind != Kind::kList && idx->kind != Kind::kTuple && idx->kind != Kind::kArray) {
        return Status::InvalidArgument("_transformer_to_input_indices['" + std::string(name) +
                                       "'] must be a list of ints, found " + idx->Describe());
      }
      return ResolveSelector(ct, *idx, n_features);
    }
  }
  if (columns == nullptr) return Status::InvalidArgument("no column selection for '" + std::string(name) + "'");
  return ResolveSelector(ct, *columns, n_features);
}

StatusOr<std::vector<size_t>> ResolveSelector(const Value& ct, const Value& c, size_t n_features) {
  switch (c.kind) {
    case Kind::kInt: {
      INFERD_ASSIGN_OR_RETURN(size_t i, CheckIndex(c.i, n_features));
      return std::vector<size_t>{i};
    }
    case Kind::kStr: {
      INFERD_ASSIGN_OR_RETURN(std::vector<std::string> names, FeatureNames(ct));
      INFERD_ASSIGN_OR_RETURN(size_t i, NameIndex(names, c.s));
      return std::vector<size_t>{i};
    }
    case Kind::kList:
    case Kind::kTuple: {
      std::vector<const Value*> items;
      for (const auto& it : c.items) {
        if (it == nullptr) return Status::InvalidArgument("null column selector");
        items.push_back(it.get());
      }
      return FromSequence(ct, items, n_features);
    }
    case Kind::kSlice: {
      // slice(start, stop, step) with None or ints, Python semantics (step > 0 only); or
      // with column names, where sklearn (like pandas .loc) includes the stop column.
      const bool by_name = std::any_of(c.items.begin(), c.items.end(),
                                       [](const pickle::ValuePtr& b) { return b != nullptr && b->kind == Kind::kStr; });
      std::vector<std::string> names;
      if (by_name) {
        INFERD_ASSIGN_OR_RETURN(names, FeatureNames(ct));
      }
      auto part = [&](size_t k, int64_t dflt) -> StatusOr<int64_t> {
        if (c.items.size() <= k || c.items[k] == nullptr || c.items[k]->is_none()) return dflt;
        if (k < 2 && c.items[k]->kind == Kind::kStr) {
          INFERD_ASSIGN_OR_RETURN(size_t i, NameIndex(names, c.items[k]->s));
          return static_cast<int64_t>(i) + (k == 1 ? 1 : 0);
        }
        if (by_name && k < 2) return Status::InvalidArgument("column slice mixes names and positions");
        return c.items[k]->AsInt();
      };
      const int64_t n = static_cast<int64_t>(n_features);
      INFERD_ASSIGN_OR_RETURN(int64_t step, part(2, 1));
      if (step <= 0) return Status::InvalidArgument("column slice with a non-positive step");
      INFERD_ASSIGN_OR_RETURN(int64_t start, part(0, 0));
      INFERD_ASSIGN_OR_RETURN(int64_t stop, part(1, n));
      if (start < 0) start = std::max<int64_t>(0, start + n);
      if (stop < 0) stop = std::max<int64_t>(0, stop + n);
      start = std::min(start, n);
      stop = std::min(stop, n);
      std::vector<size_t> out;
      for (int64_t i = start; i < stop; i += step) out.push_back(static_cast<size_t>(i));
      return out;
    }
    case Kind::kArray: {
      if (c.array == nullptr || c.array->ndim() != 1 || c.array->dtype == nullptr) break;
      const char k = c.array->dtype->kind;
      if (k == 'b') {
        INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> m, c.array->ToInt64s());
        if (m.size() != n_features) return Status::InvalidArgument("boolean column mask has the wrong length");
        std::vector<size_t> out;
        for (size_t i = 0; i < m.size(); ++i) {
          if (m[i]) out.push_back(i);
        }
        return out;
      }
      if (k == 'U' || k == 'S' ||
          (k == 'O' && !c.array->objects.empty() && c.array->objects[0] && c.array->objects[0]->kind == Kind::kStr)) {
        INFERD_ASSIGN_OR_RETURN(std::vector<std::string> want, c.array->ToStrings());
        INFERD_ASSIGN_OR_RETURN(std::vector<std::string> names, FeatureNames(ct));
        std::vector<size_t> out;
        for (const auto& s : want) {
          INFERD_ASSIGN_OR_RETURN(size_t i, NameIndex(names, s));
          out.push_back(i);
        }
        return out;
      }
      INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> v, c.array->ToInt64s());
      std::vector<size_t> out;
      for (int64_t i : v) {
        INFERD_ASSIGN_OR_RETURN(size_t x, CheckIndex(i, n_features));
        out.push_back(x);
      }
      return out;
    }
    default: break;
  }
  return Status::InvalidArgument("unsupported column selector " + c.Describe());
}

}  // namespace inferd::sklearn
