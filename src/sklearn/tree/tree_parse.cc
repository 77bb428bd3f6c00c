#include "sklearn/tree/tree_parse.h"

#include <string>
#include <utility>

#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::NdArray;
using pickle::Value;

StatusOr<ParsedTree> Parse(const Value& tree) {
  if (tree.kind != Kind::kObject || tree.cls != "sklearn.tree._tree.Tree") {
    return Status::InvalidArgument("expected a sklearn.tree._tree.Tree, found " + tree.Describe());
  }
  ParsedTree t;
  // __reduce__ args: (n_features, n_classes ndarray, n_outputs).
  if (tree.args == nullptr || tree.args->kind != Kind::kTuple || tree.args->items.size() < 3 ||
      tree.args->items[0] == nullptr || tree.args->items[2] == nullptr) {
    return Status::InvalidArgument("constructor arguments are not (n_features, n_classes, n_outputs)");
  }
  StatusOr<int64_t> nf = tree.args->items[0]->AsInt();
  StatusOr<int64_t> no = tree.args->items[2]->AsInt();
  if (!nf.ok() || !no.ok() || *nf <= 0 || *no <= 0 || static_cast<uint64_t>(*nf) > kMaxDim ||
      static_cast<uint64_t>(*no) > kMaxDim) {
    return Status::InvalidArgument("bad n_features / n_outputs in the constructor arguments");
  }
  t.n_features = static_cast<size_t>(*nf);
  t.n_outputs = static_cast<size_t>(*no);
  if (tree.state == nullptr || tree.state->kind != Kind::kDict) return Status::InvalidArgument("state is not a dict");
  const Value* nodes_v = tree.state->Get("nodes");
  const Value* values_v = tree.state->Get("values");
  const Value* count_v = tree.state->Get("node_count");
  if (nodes_v == nullptr || values_v == nullptr || count_v == nullptr) {
    return Status::InvalidArgument("state lacks 'nodes', 'values' or 'node_count'");
  }
  StatusOr<int64_t> count = count_v->AsInt();
  if (!count.ok() || *count <= 0 || static_cast<uint64_t>(*count) > kMaxDim) {
    return Status::InvalidArgument("bad node_count");
  }
  t.node_count = static_cast<size_t>(*count);
  if (nodes_v->kind != Kind::kArray || nodes_v->array == nullptr || nodes_v->array->ndim() != 1 ||
      nodes_v->array->size() != t.node_count) {
    return Status::InvalidArgument("'nodes' must be a 1-D array of node_count records, found " + nodes_v->Describe());
  }
  const NdArray& nodes = *nodes_v->array;
  auto ints = [&](std::string_view name, std::vector<int64_t>* out) -> Status {
    StatusOr<std::vector<int64_t>> v = nodes.FieldInt64s(name);
    if (!v.ok()) return Status::InvalidArgument("nodes." + std::string(name) + ": " + v.status().message());
    if (v->size() != t.node_count) return Status::InvalidArgument("nodes." + std::string(name) + ": wrong length");
    *out = std::move(v).value();
    return Status::Ok();
  };
  INFERD_RETURN_IF_ERROR(ints("left_child", &t.left));
  INFERD_RETURN_IF_ERROR(ints("right_child", &t.right));
  INFERD_RETURN_IF_ERROR(ints("feature", &t.feature));
  {
    StatusOr<std::vector<double>> th = nodes.FieldDoubles("threshold");
    if (!th.ok()) return Status::InvalidArgument("nodes.threshold: " + th.status().message());
    if (th->size() != t.node_count) return Status::InvalidArgument("nodes.threshold: wrong length");
    t.threshold = std::move(th).value();
  }
  if (values_v->kind != Kind::kArray || values_v->array == nullptr || values_v->array->ndim() != 3 ||
      values_v->array->shape[0] != t.node_count || values_v->array->shape[1] != t.n_outputs ||
      values_v->array->shape[2] == 0 || values_v->array->shape[2] > kMaxDim) {
    return Status::InvalidArgument("'values' must have shape (node_count, n_outputs, n_classes) = (" +
                                   std::to_string(t.node_count) + ", " + std::to_string(t.n_outputs) +
                                   ", k), found " + values_v->Describe());
  }
  t.max_n_classes = values_v->array->shape[2];
  {
    StatusOr<std::vector<double>> vals = values_v->array->ToDoubles();
    if (!vals.ok()) return Status::InvalidArgument("values: " + vals.status().message());
    if (vals->size() != t.node_count * t.n_outputs * t.max_n_classes) {
      return Status::InvalidArgument("values: element count does not match its shape");
    }
    t.values = std::move(vals).value();
  }
  const int64_t n = static_cast<int64_t>(t.node_count);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t l = t.left[i], r = t.right[i];
    if (l == -1 && r == -1) continue;  // leaf
    if (l <= i || r <= i || l >= n || r >= n) {
      return Status::InvalidArgument("node " + std::to_string(i) + " has invalid children (" + std::to_string(l) +
                                     ", " + std::to_string(r) + ")");
    }
    if (t.feature[i] < 0 || static_cast<uint64_t>(t.feature[i]) >= t.n_features) {
      return Status::InvalidArgument("node " + std::to_string(i) + " splits on feature " +
                                     std::to_string(t.feature[i]) + " of " + std::to_string(t.n_features));
    }
  }
  return t;
}

}  // namespace

StatusOr<ParsedTree> ParseTreeOf(const Value& estimator) {
  const Value* tree = estimator.Attr("tree_");
  if (tree == nullptr) return StateError(estimator, "missing attribute 'tree_'");
  StatusOr<ParsedTree> t = Parse(*tree);
  if (!t.ok()) return StateError(estimator, "tree_: " + t.status().message());
  return t;
}

}  // namespace inferd::sklearn
