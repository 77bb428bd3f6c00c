#include "sklearn/tree/tree_parse.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::NdArray;
using pickle::Value;

// Locates field `name` of the node records; `sizes` are the accepted itemsizes of `kind`.
Status FindNodeField(const NdArray& nodes, std::string_view name, char kind, std::initializer_list<size_t> sizes,
                     size_t* offset, size_t* size) {
  const pickle::Dtype::Field* f = nodes.dtype ? nodes.dtype->FindField(name) : nullptr;
  if (f == nullptr || f->dtype == nullptr) {
    return Status::InvalidArgument("nodes have no field '" + std::string(name) + "'");
  }
  const pickle::Dtype& d = *f->dtype;
  bool ok = d.kind == kind && d.fields.empty() && d.subarray_base == nullptr;
  if (ok) {
    ok = false;
    for (size_t s : sizes) ok = ok || d.itemsize == s;
  }
  if (!ok) return Status::InvalidArgument("nodes." + std::string(name) + " has unsupported dtype " + d.ToString());
  // The reader guarantees offset + itemsize <= the record size.
  *offset = f->offset;
  *size = d.itemsize;
  return Status::Ok();
}

// Every internal node has both children in (node, node_count) and a feature in
// [0, n_features); leaves have both children -1.
// Two passes: a branch-free one that only says whether some node is bad (leaves and
// splits alternate irregularly, so a branch on "leaf?" mispredicts on a large share of a
// big forest's nodes), and, only then, the loop that finds the first bad node and
// names it.
template <bool kWide>
Status CheckNodes(const ParsedTree& t) {
  const int64_t n = static_cast<int64_t>(t.node_count);
  const uint64_t nf = t.n_features;
  bool bad = false;
  for (int64_t i = 0; i < n; ++i) {
    const size_t u = static_cast<size_t>(i);
    // The hardware prefetcher stops at each 4 KiB page: fetch the records 64 nodes ahead.
    __builtin_prefetch(t.RecordAddress(std::min<size_t>(u + 64, t.node_count - 1)));
    const int64_t l = t.Left<kWide>(u), r = t.Right<kWide>(u);
    const uint64_t f = static_cast<uint64_t>(t.Feature<kWide>(u));  // negative -> huge
    const bool leaf = (l == -1) & (r == -1);
    const bool split = (l > i) & (r > i) & (l < n) & (r < n) & (f < nf);
    bad |= !(leaf | split);
  }
  if (!bad) [[likely]]
    return Status::Ok();
  for (int64_t i = 0; i < n; ++i) {
    const size_t u = static_cast<size_t>(i);
    const int64_t l = t.Left<kWide>(u), r = t.Right<kWide>(u);
    if (l == -1 && r == -1) continue;  // leaf
    const int64_t f = t.Feature<kWide>(u);
    if (l <= i || r <= i || l >= n || r >= n) {
      return Status::InvalidArgument("node " + std::to_string(i) + " has invalid children (" + std::to_string(l) +
                                     ", " + std::to_string(r) + ")");
    }
    if (f < 0 || static_cast<uint64_t>(f) >= nf) {
      return Status::InvalidArgument("node " + std::to_string(i) + " splits on feature " + std::to_string(f) + " of " +
                                     std::to_string(nf));
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ParsedTree> ParseTree(const Value& tree) {
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
      nodes_v->array->size() != t.node_count || nodes_v->array->dtype == nullptr ||
      nodes_v->array->dtype->kind != 'V') {
    return Status::InvalidArgument("'nodes' must be a 1-D array of node_count records, found " + nodes_v->Describe());
  }
  const NdArray& nodes = *nodes_v->array;
  if (nodes.data.size() != t.node_count * nodes.dtype->itemsize) {
    return Status::InvalidArgument("'nodes' data does not match its shape");
  }
  INFERD_RETURN_IF_ERROR(FindNodeField(nodes, "left_child", 'i', {8, 4}, &t.left_.offset, &t.left_.size));
  INFERD_RETURN_IF_ERROR(FindNodeField(nodes, "right_child", 'i', {8, 4}, &t.right_.offset, &t.right_.size));
  INFERD_RETURN_IF_ERROR(FindNodeField(nodes, "feature", 'i', {8, 4}, &t.feature_.offset, &t.feature_.size));
  INFERD_RETURN_IF_ERROR(FindNodeField(nodes, "threshold", 'f', {8, 4}, &t.threshold_.offset, &t.threshold_.size));
  if (nodes.dtype->FindField("missing_go_to_left") != nullptr) {
    Status s = FindNodeField(nodes, "missing_go_to_left", 'u', {1}, &t.missing_.offset, &t.missing_.size);
    if (!s.ok())
      INFERD_RETURN_IF_ERROR(
          FindNodeField(nodes, "missing_go_to_left", 'b', {1}, &t.missing_.offset, &t.missing_.size));
    t.has_missing_direction = true;
  }
  t.has_cover = nodes.dtype->FindField("weighted_n_node_samples") != nullptr &&
                FindNodeField(nodes, "weighted_n_node_samples", 'f', {8, 4}, &t.cover_.offset, &t.cover_.size).ok();
  t.nodes_ = nodes.data.data();
  t.stride_ = nodes.dtype->itemsize;

  if (values_v->kind != Kind::kArray || values_v->array == nullptr || values_v->array->ndim() != 3 ||
      values_v->array->shape[0] != t.node_count || values_v->array->shape[1] != t.n_outputs ||
      values_v->array->shape[2] == 0 || values_v->array->shape[2] > kMaxDim) {
    return Status::InvalidArgument("'values' must have shape (node_count, n_outputs, n_classes) = (" +
                                   std::to_string(t.node_count) + ", " + std::to_string(t.n_outputs) + ", k), found " +
                                   values_v->Describe());
  }
  t.max_n_classes = values_v->array->shape[2];
  const NdArray& values = *values_v->array;
  const size_t n_values = t.node_count * t.n_outputs * t.max_n_classes;
  const uint8_t* raw = values.data.data();
  if (values.dtype != nullptr && values.dtype->kind == 'f' && values.dtype->itemsize == 8 &&
      values.data.size() == n_values * 8 && reinterpret_cast<uintptr_t>(raw) % alignof(double) == 0) {
    t.values_ = reinterpret_cast<const double*>(raw);  // native float64 (the reader converted byte order)
  } else {
    StatusOr<std::vector<double>> vals = values.ToDoubles();
    if (!vals.ok()) return Status::InvalidArgument("values: " + vals.status().message());
    if (vals->size() != n_values) return Status::InvalidArgument("values: element count does not match its shape");
    t.owned_values_ = std::move(vals).value();
    t.values_ = t.owned_values_.data();
  }

  INFERD_RETURN_IF_ERROR(t.wide() ? CheckNodes<true>(t) : CheckNodes<false>(t));
  return t;
}

StatusOr<ParsedTree> ParseTreeOf(const Value& estimator) {
  const Value* tree = estimator.Attr("tree_");
  if (tree == nullptr) return StateError(estimator, "missing attribute 'tree_'");
  StatusOr<ParsedTree> t = ParseTree(*tree);
  if (!t.ok()) return StateError(estimator, "tree_: " + t.status().message());
  return t;
}

}  // namespace inferd::sklearn
