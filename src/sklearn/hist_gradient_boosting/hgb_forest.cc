#include "sklearn/hist_gradient_boosting/hgb_forest.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "sklearn/state.h"

namespace inferd::sklearn {

using pickle::Kind;
using pickle::NdArray;
using pickle::Value;

namespace {

bool InSet(const CatBitset& s, uint8_t c) { return (s[c >> 5] >> (c & 31)) & 1u; }

StatusOr<std::vector<int64_t>> IntField(const NdArray& a, std::string_view name) {
  StatusOr<std::vector<int64_t>> v = a.FieldInt64s(name);
  if (!v.ok()) return Status::InvalidArgument("nodes." + std::string(name) + ": " + v.status().message());
  return v;
}

StatusOr<std::vector<double>> DoubleField(const NdArray& a, std::string_view name) {
  StatusOr<std::vector<double>> v = a.FieldDoubles(name);
  if (!v.ok()) return Status::InvalidArgument("nodes." + std::string(name) + ": " + v.status().message());
  return v;
}

}  // namespace

HgbForest::HgbForest(size_t n_features, std::vector<bool> is_categorical, std::vector<CatBitset> known_categories)
    : n_features_(n_features), is_categorical_(std::move(is_categorical)), known_(std::move(known_categories)) {}

uint8_t HgbForest::CategoryOf(double v) {
  // cvttsd2si r32: values outside int32 give 0x80000000, whose low byte is 0.
  if (!(v < 2147483648.0)) return 0;
  return static_cast<uint8_t>(static_cast<uint32_t>(static_cast<int32_t>(v)) & 0xffu);
}

Status HgbForest::AddPredictor(const Value& predictor) {
  if (predictor.kind != Kind::kObject || predictor.cls.size() < 14 ||
      predictor.cls.compare(predictor.cls.size() - 14, 14, ".TreePredictor") != 0 || predictor.state == nullptr ||
      predictor.state->kind != Kind::kDict) {
    return Status::InvalidArgument("expected a TreePredictor, found " + predictor.Describe());
  }
  const Value* nodes_v = predictor.state->Get("nodes");
  if (nodes_v == nullptr || nodes_v->kind != Kind::kArray || nodes_v->array == nullptr || nodes_v->array->ndim() != 1 ||
      nodes_v->array->size() == 0 || nodes_v->array->size() > kMaxDim) {
    return Status::InvalidArgument("'nodes' must be a non-empty 1-D structured array, found " +
                                   (nodes_v ? nodes_v->Describe() : std::string("nothing")));
  }
  const NdArray& a = *nodes_v->array;
  const size_t n = a.size();
  INFERD_ASSIGN_OR_RETURN(std::vector<double> value, DoubleField(a, "value"));
  INFERD_ASSIGN_OR_RETURN(std::vector<double> threshold, DoubleField(a, "num_threshold"));
  INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> feature, IntField(a, "feature_idx"));
  INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> left, IntField(a, "left"));
  INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> right, IntField(a, "right"));
  INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> is_leaf, IntField(a, "is_leaf"));
  INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> missing_left, IntField(a, "missing_go_to_left"));
  // Both categorical fields are absent from pre-1.0 files (no categorical support then).
  std::vector<int64_t> is_cat(n, 0), bitset_idx(n, 0), count;
  if (a.dtype->FindField("count") != nullptr) {
    StatusOr<std::vector<int64_t>> c = IntField(a, "count");
    if (c.ok()) count = std::move(c).value();
  }
  if (a.dtype->FindField("is_categorical") != nullptr) {
    INFERD_ASSIGN_OR_RETURN(is_cat, IntField(a, "is_categorical"));
    INFERD_ASSIGN_OR_RETURN(bitset_idx, IntField(a, "bitset_idx"));
  }

  // raw_left_cat_bitsets: <u4 (n_categorical_splits, 8); may be absent/empty without
  // categorical splits.
  std::vector<CatBitset> bitsets;
  if (const Value* b = predictor.state->Get("raw_left_cat_bitsets"); b != nullptr && !b->is_none()) {
    if (b->kind != Kind::kArray || b->array == nullptr || b->array->ndim() != 2 || b->array->shape[1] != 8 ||
        b->array->shape[0] > kMaxDim) {
      return Status::InvalidArgument("'raw_left_cat_bitsets' must have shape (n, 8), found " + b->Describe());
    }
    StatusOr<std::vector<int64_t>> words = b->array->ToInt64s();
    if (!words.ok()) return Status::InvalidArgument("raw_left_cat_bitsets: " + words.status().message());
    if (words->size() != b->array->shape[0] * 8) return Status::InvalidArgument("raw_left_cat_bitsets: bad size");
    bitsets.resize(b->array->shape[0]);
    for (size_t i = 0; i < bitsets.size(); ++i) {
      for (size_t w = 0; w < 8; ++w) {
        const int64_t x = (*words)[i * 8 + w];
        if (x < 0 || x > 0xffffffffLL) return Status::InvalidArgument("raw_left_cat_bitsets: word out of range");
        bitsets[i][w] = static_cast<uint32_t>(x);
      }
    }
  }

  if (nodes_.size() + n > kMaxDim || raw_bitsets_.size() + bitsets.size() > kMaxDim) {
    return Status::ResourceExhausted("too many HistGradientBoosting nodes");
  }
  const uint32_t base = static_cast<uint32_t>(nodes_.size());
  const uint32_t bbase = static_cast<uint32_t>(raw_bitsets_.size());
  std::vector<Node> out(n);
  for (size_t i = 0; i < n; ++i) {
    Node& d = out[i];
    d.value = value[i];
    d.threshold = threshold[i];
    d.is_leaf = is_leaf[i] != 0;
    d.missing_left = missing_left[i] != 0;
    d.is_categorical = is_cat[i] != 0;
    d.feature = d.left = d.right = d.bitset = 0;
    d.count = 0;
    if (!count.empty() && count[i] >= 0 && count[i] <= UINT32_MAX) {
      d.count = static_cast<uint32_t>(count[i]);
    } else {
      all_counts_ = false;
    }
    if (d.is_leaf) continue;
    const std::string where = "node " + std::to_string(i);
    const int64_t l = left[i], r = right[i], f = feature[i];
    if (l <= static_cast<int64_t>(i) || r <= static_cast<int64_t>(i) || l >= static_cast<int64_t>(n) ||
        r >= static_cast<int64_t>(n)) {
      return Status::InvalidArgument(where + " has invalid children (" + std::to_string(l) + ", " + std::to_string(r) +
                                     ")");
    }
    if (f < 0 || static_cast<uint64_t>(f) >= n_features_) {
      return Status::InvalidArgument(where + " splits on feature " + std::to_string(f) + " of " +
                                     std::to_string(n_features_));
    }
    if (d.is_categorical) {
      if (!is_categorical_[static_cast<size_t>(f)]) {
        return Status::InvalidArgument(where + " is a categorical split on non-categorical feature " +
                                       std::to_string(f));
      }
      if (bitset_idx[i] < 0 || static_cast<uint64_t>(bitset_idx[i]) >= bitsets.size()) {
        return Status::InvalidArgument(where + " has bitset_idx " + std::to_string(bitset_idx[i]) + " of " +
                                       std::to_string(bitsets.size()));
      }
      d.bitset = bbase + static_cast<uint32_t>(bitset_idx[i]);
    }
    d.feature = static_cast<uint32_t>(f);
    d.left = base + static_cast<uint32_t>(l);
    d.right = base + static_cast<uint32_t>(r);
  }
  roots_.push_back(base);
  nodes_.insert(nodes_.end(), out.begin(), out.end());
  raw_bitsets_.insert(raw_bitsets_.end(), bitsets.begin(), bitsets.end());
  return Status::Ok();
}

bool HgbForest::GoLeft(const Node& node, const double* row) const {
  const double v = row[node.feature];
  if (std::isnan(v)) return node.missing_left;
  if (node.is_categorical) {
    if (v < 0) return node.missing_left;
    const uint8_t c = CategoryOf(v);
    if (InSet(raw_bitsets_[node.bitset], c)) return true;
    if (InSet(known_[node.feature], c)) return false;
    return node.missing_left;
  }
  return v <= node.threshold;
}

double HgbForest::Predict(size_t t, const double* row) const {
  const Node* nodes = nodes_.data();
  const Node* node = nodes + roots_[t];
  while (!node->is_leaf) node = nodes + (GoLeft(*node, row) ? node->left : node->right);
  return node->value;
}

namespace {

struct ShapBuffers {
  std::vector<int32_t> left, right, feature, hot;
  std::vector<double> cover, values;
  TreeShapScratch scratch;
};

ShapBuffers& Buffers() {
  thread_local ShapBuffers b;
  return b;
}

}  // namespace

ShapTreeView HgbForest::ShapViewOf(size_t t, const double* row) const {
  ShapBuffers& b = Buffers();
  const size_t root = roots_[t];
  const size_t end = t + 1 < roots_.size() ? roots_[t + 1] : nodes_.size();
  const size_t m = end - root;
  b.left.resize(m);
  b.right.resize(m);
  b.feature.resize(m);
  b.hot.resize(m);
  b.cover.resize(m);
  b.values.resize(m);
  const auto r = static_cast<int32_t>(root);
  for (size_t i = 0; i < m; ++i) {
    const Node& n = nodes_[root + i];
    b.cover[i] = static_cast<double>(n.count);
    b.values[i] = n.value;
    if (n.is_leaf) {
      b.left[i] = b.right[i] = -1;
      b.feature[i] = 0;
      continue;
    }
    b.left[i] = static_cast<int32_t>(n.left) - r;
    b.right[i] = static_cast<int32_t>(n.right) - r;
    b.feature[i] = static_cast<int32_t>(n.feature);
    if (row != nullptr) b.hot[i] = GoLeft(n, row) ? b.left[i] : b.right[i];
  }
  return {b.left.data(), b.right.data(), b.feature.data(), b.cover.data(), b.values.data(), m, 1};
}

void HgbForest::CheckExplainable() {
  explainable_ = all_counts_ && !roots_.empty();
  for (size_t t = 0; t < roots_.size() && explainable_; ++t) {
    explainable_ = ValidateShapTree(ShapViewOf(t, nullptr), n_features_).ok();
  }
}

void HgbForest::AddContributions(size_t t, const double* row, double* phi, double* expected) const {
  const ShapTreeView view = ShapViewOf(t, row);
  ShapBuffers& b = Buffers();
  TreeShap(view, b.hot.data(), phi, &b.scratch);
  double e = 0;
  ShapExpectedValue(view, &e);
  *expected += e;
}

}  // namespace inferd::sklearn
