// Test-only helpers that build pickle::Value trees by hand, shaped like what the pickle
// reader produces for sklearn 1.2 / 1.3+ files (sklearn-model-files.md §3.2, §4.1).
#ifndef INFERD_SKLEARN_TEST_VALUES_H_
#define INFERD_SKLEARN_TEST_VALUES_H_

#include <cstring>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pickle/value.h"

namespace inferd::sklearn::testing {

using pickle::Dtype;
using pickle::Kind;
using pickle::NdArray;
using pickle::Value;
using pickle::ValuePtr;

// Hand-built test trees have no arena: their nodes come from a pool that lives as long as
// the test process (test trees are small).
inline ValuePtr Make(Kind k) {
  static std::deque<Value> pool;
  Value& v = pool.emplace_back();
  v.kind = k;
  return ValuePtr(&v);
}
inline ValuePtr None() { return Make(Kind::kNone); }
inline ValuePtr Str(std::string s) {
  auto v = Make(Kind::kStr);
  v->s = std::move(s);
  return v;
}
inline ValuePtr Int(int64_t i) {
  auto v = Make(Kind::kInt);
  v->i = i;
  return v;
}
inline ValuePtr Float(double f) {
  auto v = Make(Kind::kFloat);
  v->f = f;
  return v;
}
inline ValuePtr Bool(bool b) {
  auto v = Make(Kind::kBool);
  v->b = b;
  return v;
}
inline ValuePtr List(std::vector<ValuePtr> items) {
  auto v = Make(Kind::kList);
  v->items.assign(items.begin(), items.end());
  return v;
}
inline ValuePtr Tuple(std::vector<ValuePtr> items) {
  auto v = Make(Kind::kTuple);
  v->items.assign(items.begin(), items.end());
  return v;
}

inline std::shared_ptr<Dtype> MakeDtype(char kind, size_t itemsize) {
  auto d = std::make_shared<Dtype>();
  d->kind = kind;
  d->byteorder = itemsize == 1 ? '|' : '<';
  d->itemsize = itemsize;
  return d;
}

template <typename T>
ValuePtr NumArray(char kind, std::vector<size_t> shape, const std::vector<T>& vals) {
  auto v = Make(Kind::kArray);
  v->array = std::make_shared<NdArray>();
  v->array->dtype = MakeDtype(kind, sizeof(T));
  v->array->shape = std::move(shape);
  v->array->data.resize(vals.size() * sizeof(T));
  if (!vals.empty()) std::memcpy(v->array->data.data(), vals.data(), v->array->data.size());
  return v;
}
inline ValuePtr F64(std::vector<size_t> shape, const std::vector<double>& vals) {
  return NumArray('f', std::move(shape), vals);
}
inline ValuePtr I64(std::vector<size_t> shape, const std::vector<int64_t>& vals) {
  return NumArray('i', std::move(shape), vals);
}
inline ValuePtr F64Scalar(double d) { return F64({}, {d}); }
inline ValuePtr BoolArray(const std::vector<uint8_t>& vals) { return NumArray('b', {vals.size()}, vals); }

// '<U{maxlen}' array of ASCII strings (UTF-32LE, NUL padded).
inline ValuePtr UArray(const std::vector<std::string>& vals) {
  size_t maxlen = 1;
  for (const auto& s : vals) maxlen = std::max(maxlen, s.size());
  auto v = Make(Kind::kArray);
  v->array = std::make_shared<NdArray>();
  v->array->dtype = MakeDtype('U', 4 * maxlen);
  v->array->shape = {vals.size()};
  v->array->data.assign(vals.size() * 4 * maxlen, 0);
  for (size_t i = 0; i < vals.size(); ++i) {
    for (size_t j = 0; j < vals[i].size(); ++j)
      v->array->data[i * 4 * maxlen + 4 * j] = static_cast<uint8_t>(vals[i][j]);
  }
  return v;
}

inline ValuePtr ObjArray(std::vector<size_t> shape, std::vector<ValuePtr> items) {
  auto v = Make(Kind::kArray);
  v->array = std::make_shared<NdArray>();
  v->array->dtype = MakeDtype('O', 8);
  v->array->shape = std::move(shape);
  v->array->objects = std::move(items);
  return v;
}

inline ValuePtr Dict(std::vector<std::pair<std::string, ValuePtr>> entries) {
  auto d = Make(Kind::kDict);
  for (auto& [k, val] : entries) d->entries.emplace_back(Str(k), std::move(val));
  return d;
}

// An estimator record: NEWOBJ cls + BUILD(dict).
inline ValuePtr Obj(std::string cls, std::vector<std::pair<std::string, ValuePtr>> state, ValuePtr args = nullptr) {
  auto v = Make(Kind::kObject);
  v->cls = std::move(cls);
  v->state = Dict(std::move(state));
  v->args = args ? std::move(args) : Tuple({});
  return v;
}

inline void SetAttr(const ValuePtr& obj, const std::string& key, ValuePtr val) {
  for (auto& [k, v] : obj->state->entries) {
    if (k->s == key) {
      v = std::move(val);
      return;
    }
  }
  obj->state->entries.emplace_back(Str(key), std::move(val));
}
inline void EraseAttr(const ValuePtr& obj, const std::string& key) {
  auto& e = obj->state->entries;
  for (auto it = e.begin(); it != e.end(); ++it) {
    if (it->first->s == key) {
      e.erase(it);
      return;
    }
  }
}

struct TreeNode {
  int64_t left, right, feature;
  double threshold;
};

// A sklearn.tree._tree.Tree record. layout 56 = sklearn 1.2, 64 = 1.3+ (with
// missing_go_to_left). `values` is node_count x n_outputs x n_classes.
inline ValuePtr TreeValue(size_t n_features, size_t n_outputs, size_t n_classes, const std::vector<TreeNode>& nodes,
                          const std::vector<double>& values, size_t layout = 56) {
  auto rec = MakeDtype('V', layout);
  rec->byteorder = '|';
  auto i8 = MakeDtype('i', 8), f8 = MakeDtype('f', 8), u1 = MakeDtype('u', 1);
  const std::vector<std::pair<std::string, std::pair<std::shared_ptr<Dtype>, size_t>>> fields = {
      {"left_child", {i8, 0}},
      {"right_child", {i8, 8}},
      {"feature", {i8, 16}},
      {"threshold", {f8, 24}},
      {"impurity", {f8, 32}},
      {"n_node_samples", {i8, 40}},
      {"weighted_n_node_samples", {f8, 48}}};
  for (const auto& [name, dt] : fields) rec->fields.push_back({name, dt.first, dt.second});
  if (layout == 64) rec->fields.push_back({"missing_go_to_left", u1, 56});
  auto nodes_v = Make(Kind::kArray);
  nodes_v->array = std::make_shared<NdArray>();
  nodes_v->array->dtype = rec;
  nodes_v->array->shape = {nodes.size()};
  nodes_v->array->data.assign(nodes.size() * layout, 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    uint8_t* p = nodes_v->array->data.data() + i * layout;
    std::memcpy(p + 0, &nodes[i].left, 8);
    std::memcpy(p + 8, &nodes[i].right, 8);
    std::memcpy(p + 16, &nodes[i].feature, 8);
    std::memcpy(p + 24, &nodes[i].threshold, 8);
    if (layout == 64) p[56] = 1;
  }
  auto tree = Make(Kind::kObject);
  tree->cls = "sklearn.tree._tree.Tree";
  tree->args = Tuple({Int(static_cast<int64_t>(n_features)),
                      I64({n_outputs}, std::vector<int64_t>(n_outputs, static_cast<int64_t>(n_classes))),
                      Int(static_cast<int64_t>(n_outputs))});
  tree->state = Dict({{"max_depth", Int(10)},
                      {"node_count", Int(static_cast<int64_t>(nodes.size()))},
                      {"nodes", nodes_v},
                      {"values", F64({nodes.size(), n_outputs, n_classes}, values)}});
  return tree;
}

}  // namespace inferd::sklearn::testing

#endif  // INFERD_SKLEARN_TEST_VALUES_H_
