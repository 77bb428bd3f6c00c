#include "sklearn/compose/compose_adapters.h"

#include <string>
#include <utility>

#include "sklearn/compose/column_selection.h"
#include "sklearn/compose/column_transformer.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

constexpr std::string_view kFunctionTransformer = "sklearn.preprocessing._function_transformer.FunctionTransformer";

// An identity FunctionTransformer: func and inverse_func None (inverse is irrelevant).
bool IsIdentityFunctionTransformer(const Value& v) {
  if (!v.is_object(kFunctionTransformer)) return false;
  const Value* f = v.Attr("func");
  return f == nullptr || f->is_none();
}

class IdentityModel final : public TransformerModel {
 public:
  explicit IdentityModel(size_t n) : TransformerModel(n, n, true, false) {}
  std::string Describe() const override { return "FunctionTransformer[identity]"; }
  Status Transform(const double* x, size_t n_rows, double* out) const override {
    for (size_t i = 0; i < n_rows * n_features(); ++i) out[i] = x[i];
    return Status::Ok();
  }
};

StatusOr<ModelPtr> BuildFunctionTransformer(const Value& obj) {
  if (!IsIdentityFunctionTransformer(obj)) {
    return Status::Unimplemented(
        "FunctionTransformer: only func=None (identity) is supported; a function would be code");
  }
  INFERD_ASSIGN_OR_RETURN(int64_t n, GetInt(obj, "n_features_in_"));
  if (n <= 0 || static_cast<uint64_t>(n) > kMaxDim) return StateError(obj, "bad n_features_in_");
  return ModelPtr(std::make_unique<IdentityModel>(static_cast<size_t>(n)));
}

StatusOr<ModelPtr> BuildColumnTransformer(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(int64_t n64, GetInt(obj, "n_features_in_"));
  if (n64 <= 0 || static_cast<uint64_t>(n64) > kMaxDim) return StateError(obj, "bad n_features_in_");
  const size_t nf = static_cast<size_t>(n64);
  INFERD_ASSIGN_OR_RETURN(const Value* tr, Require(obj, "transformers_"));
  if (tr->kind != Kind::kList) return StateError(obj, "'transformers_' must be a list, found " + tr->Describe());
  const Value* weights = obj.Attr("transformer_weights");
  if (weights != nullptr && !weights->is_none() && weights->kind != Kind::kDict) {
    return StateError(obj, "'transformer_weights' must be a dict or None");
  }
  std::vector<ColumnPart> parts;
  for (size_t i = 0; i < tr->items.size(); ++i) {
    const Value* e = tr->items[i].get();
    if (e == nullptr || (e->kind != Kind::kTuple && e->kind != Kind::kList) || e->items.size() != 3 || !e->items[0] ||
        !e->items[1] || e->items[0]->kind != Kind::kStr) {
      return StateError(obj, "transformers_[" + std::to_string(i) + "] is not a (name, transformer, columns) triple");
    }
    ColumnPart part;
    part.name = e->items[0]->s;
    const Value& t = *e->items[1];
    if (t.kind == Kind::kStr && t.s == "drop") continue;
    StatusOr<std::vector<size_t>> cols = ResolveColumns(obj, part.name, e->items[2].get(), nf);
    if (!cols.ok()) return StateError(obj, "'" + part.name + "': " + cols.status().message());
    part.columns = std::move(cols).value();
    // Entries selecting no column hold an unfitted transformer and contribute nothing.
    if (part.columns.empty()) continue;
    if (t.kind == Kind::kStr) {
      if (t.s != "passthrough") return StateError(obj, "'" + part.name + "': unsupported transformer '" + t.s + "'");
    } else if (IsIdentityFunctionTransformer(t)) {
      const Value* fno = t.Attr("feature_names_out");
      part.unnamed = !(fno != nullptr && fno->kind == Kind::kStr && fno->s == "one-to-one");
    } else {
      StatusOr<ModelPtr> m = BuildEstimator(t);
      if (!m.ok()) return Status(m.status().code(), "ColumnTransformer: '" + part.name + "': " + m.status().message());
      if ((*m)->kind() != ModelKind::kTransformer) {
        return StateError(obj, "'" + part.name + "' is not a transformer");
      }
      if ((*m)->n_features() != part.columns.size()) {
        return StateError(obj, "'" + part.name + "' expects " + std::to_string((*m)->n_features()) +
                                   " features but selects " + std::to_string(part.columns.size()) + " columns");
      }
      part.model = std::move(m).value();
    }
    if (weights != nullptr && weights->kind == Kind::kDict) {
      if (const Value* w = weights->Get(part.name); w != nullptr && !w->is_none()) {
        StatusOr<double> d = w->AsDouble();
        if (!d.ok()) return StateError(obj, "transformer_weights['" + part.name + "'] is not a number");
        part.weight = *d;
        part.weighted = true;
      }
    }
    parts.push_back(std::move(part));
  }
  if (ColumnPartsWidth(parts) > kMaxDim) return StateError(obj, "output too wide");
  // Only output names depend on it: a file whose flag is not a bool loads, its outputs unnamed.
  bool verbose = true;
  if (const Value* v = obj.Attr("verbose_feature_names_out"); v != nullptr && !v->is_none()) {
    StatusOr<bool> b = v->AsBool();
    if (b.ok()) {
      verbose = *b;
    } else {
      for (ColumnPart& p : parts) p.unnamed = true;
    }
  }
  return ModelPtr(std::make_unique<ColumnTransformerModel>(nf, std::move(parts), verbose));
}

}  // namespace

std::span<const AdapterEntry> ComposeAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.compose._column_transformer.ColumnTransformer", &BuildColumnTransformer},
      {kFunctionTransformer, &BuildFunctionTransformer},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
