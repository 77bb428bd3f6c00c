#include "sklearn/lightgbm/lightgbm_booster.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>

namespace inferd::sklearn {
namespace {

// LightGBM's kZeroThreshold: a value this close to 0 is 0 (and "zero" for missing type Zero).
constexpr double kZeroThreshold = 1e-35f;

// The "key:value" parameter of an objective line, or `fallback`.
StatusOr<double> ObjectiveParam(std::string_view line, std::string_view key, double fallback) {
  size_t i = 0;
  while (i < line.size()) {
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    std::string_view t = line.substr(i, j - i);
    if (t.size() > key.size() && t.substr(0, key.size()) == key && t[key.size()] == ':') {
      const std::string v(t.substr(key.size() + 1));
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !std::isfinite(d)) {
        return Status::InvalidArgument("lightgbm objective '" + std::string(line.substr(0, 60)) +
                                       "': " + std::string(key) + " is not a number");
      }
      return d;
    }
    i = j + 1;
  }
  return fallback;
}

bool HasWord(std::string_view line, std::string_view word) {
  size_t i = 0;
  while (i < line.size()) {
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (line.substr(i, j - i) == word) return true;
    i = j + 1;
  }
  return false;
}

}  // namespace

StatusOr<LgbObjective> ParseLgbObjective(const LgbDocument& doc) {
  LgbObjective o;
  const std::string_view line = doc.objective;
  o.name = std::string(line.substr(0, line.find(' ')));
  const std::string& n = o.name;
  const int32_t k = doc.num_tree_per_iteration;
  auto need_groups = [&](int32_t want) -> Status {
    if (k != want) {
      return Status::InvalidArgument("lightgbm objective '" + n + "' needs num_tree_per_iteration=" +
                                     std::to_string(want) + ", the model has " + std::to_string(k));
    }
    return Status::Ok();
  };
  if (n == "binary") {
    INFERD_RETURN_IF_ERROR(need_groups(1));
    INFERD_ASSIGN_OR_RETURN(o.sigmoid, ObjectiveParam(line, "sigmoid", 1.0));
    o.link = LgbLink::kSigmoid;
    o.classification = true;
  } else if (n == "multiclass" || n == "softmax" || n == "multiclassova" || n == "multiclass_ova" || n == "ova" ||
             n == "ovr") {
    if (doc.num_class < 2) return Status::InvalidArgument("lightgbm objective '" + n + "' with num_class below 2");
    INFERD_RETURN_IF_ERROR(need_groups(doc.num_class));
    const bool ova = n != "multiclass" && n != "softmax";
    o.link = ova ? LgbLink::kSigmoidEach : LgbLink::kSoftmax;
    if (ova) {
      INFERD_ASSIGN_OR_RETURN(o.sigmoid, ObjectiveParam(line, "sigmoid", 1.0));
    }
    o.classification = true;
  } else if (n == "cross_entropy" || n == "xentropy") {
    INFERD_RETURN_IF_ERROR(need_groups(1));
    o.link = LgbLink::kSigmoid;  // 1 / (1 + exp(-x)): sigmoid 1
  } else if (n == "cross_entropy_lambda" || n == "xentlambda") {
    return Status::Unimplemented(
        "lightgbm objective 'cross_entropy_lambda' is not supported (its output transform is not served)");
  } else if (n == "poisson" || n == "gamma" || n == "tweedie") {
    INFERD_RETURN_IF_ERROR(need_groups(1));
    o.link = LgbLink::kExp;
  } else if (n == "regression" || n == "regression_l2" || n == "l2" || n == "mean_squared_error" || n == "mse" ||
             n == "l2_root" || n == "root_mean_squared_error" || n == "rmse") {
    INFERD_RETURN_IF_ERROR(need_groups(1));
    if (HasWord(line, "sqrt")) o.link = LgbLink::kSignedSquare;
  } else if (n == "regression_l1" || n == "l1" || n == "mean_absolute_error" || n == "mae" || n == "huber" ||
             n == "fair" || n == "quantile" || n == "mape" || n == "mean_absolute_percentage_error" ||
             n == "lambdarank" || n == "rank_xendcg" || n == "xendcg" || n == "xe_ndcg" || n == "xe_ndcg_mart" ||
             n == "xendcg_mart" || n == "custom" || n.empty()) {
    // Identity: the raw score is the prediction (objectives without an output transform).
  } else {
    return Status::Unimplemented("lightgbm objective '" + n.substr(0, 60) + "' is not supported");
  }
  if (o.link == LgbLink::kSigmoid || o.link == LgbLink::kSigmoidEach) {
    if (!(o.sigmoid > 0)) return Status::InvalidArgument("lightgbm objective '" + n + "': sigmoid must be positive");
  }
  return o;
}

StatusOr<LgbBooster> LgbBooster::Build(const LgbDocument& doc, int64_t iterations) {
  LgbBooster b;
  INFERD_ASSIGN_OR_RETURN(b.objective_, ParseLgbObjective(doc));
  b.n_features_ = doc.n_features();
  b.groups_ = static_cast<size_t>(doc.num_tree_per_iteration);
  b.average_output_ = doc.average_output;
  // LightGBM predicts with all iterations when asked for none or more than the model has.
  b.iterations_ = iterations <= 0 || iterations > doc.iterations() ? doc.iterations() : iterations;
  const size_t n_trees = static_cast<size_t>(b.iterations_) * b.groups_;
  size_t nodes = 0, leaves = 0, words = 0, cats = 0, terms = 0;
  bool any_linear = false;
  for (size_t i = 0; i < n_trees; ++i) {
    const LgbTree& t = doc.trees[i];
    nodes += t.split_feature.size();
    leaves += t.leaf_value.size();
    words += t.cat_threshold.size();
    cats += t.cat_boundaries.empty() ? 0 : t.cat_boundaries.size() - 1;
    terms += t.leaf_features.size();
    any_linear = any_linear || t.is_linear;
  }
  if (nodes >= (size_t{1} << 31) || leaves >= (size_t{1} << 31) || words >= (size_t{1} << 32)) {
    return Status::ResourceExhausted("lightgbm model has more nodes than the evaluator indexes");
  }
  b.trees_.reserve(n_trees);
  b.nodes_.reserve(nodes);
  b.leaf_values_.reserve(leaves);
  b.cat_words_.reserve(words);
  b.cat_sets_.reserve(cats);
  if (any_linear) {
    b.leaf_const_.reserve(leaves);
    b.lin_begin_.reserve(leaves + 1);
    b.lin_feature_.reserve(terms);
    b.lin_coeff_.reserve(terms);
    b.lin_begin_.push_back(0);
  }
  for (size_t i = 0; i < n_trees; ++i) {
    const LgbTree& t = doc.trees[i];
    Tree tree{static_cast<uint32_t>(b.nodes_.size()), static_cast<uint32_t>(b.leaf_values_.size()), t.num_leaves > 1,
              t.is_linear};
    const auto cat_base = static_cast<uint32_t>(b.cat_sets_.size());
    const auto word_base = static_cast<uint32_t>(b.cat_words_.size());
    for (size_t c = 0; c + 1 < t.cat_boundaries.size(); ++c) {
      b.cat_sets_.push_back({word_base + static_cast<uint32_t>(t.cat_boundaries[c]),
                             static_cast<uint32_t>(t.cat_boundaries[c + 1] - t.cat_boundaries[c])});
    }
    b.cat_words_.insert(b.cat_words_.end(), t.cat_threshold.begin(), t.cat_threshold.end());
    for (size_t n = 0; n < t.split_feature.size(); ++n) {
      const uint8_t d = t.decision_type[n];
      const bool default_left = (d & kLgbDefaultLeftMask) != 0;
      Node node{t.threshold[n], t.split_feature[n], {t.right_child[n], t.left_child[n]}, 0};
      if ((d & kLgbCategoricalMask) != 0) {
        node.flags = kCategorical;
        node.threshold = static_cast<double>(cat_base) + t.threshold[n];
      } else {
        // LightGBM reads a NaN as 0 unless the missing type is NaN; a missing value (type
        // Zero: 0, type NaN: NaN) takes default_left.
        const LgbMissingType mt = LgbMissingOf(d);
        const bool nan_left = mt == LgbMissingType::kNone ? 0.0 <= t.threshold[n] : default_left;
        node.flags = static_cast<uint8_t>((nan_left ? kNaNLeft : 0) | (mt == LgbMissingType::kZero ? kZeroDefault : 0) |
                                          (default_left ? kDefaultLeft : 0));
      }
      b.nodes_.push_back(node);
    }
    b.leaf_values_.insert(b.leaf_values_.end(), t.leaf_value.begin(), t.leaf_value.end());
    if (any_linear) {
      size_t term = 0;
      for (size_t l = 0; l < t.leaf_value.size(); ++l) {
        if (t.is_linear) {
          b.leaf_const_.push_back(t.leaf_const[l]);
          const auto k = static_cast<size_t>(t.leaf_num_features[l]);
          b.lin_feature_.insert(b.lin_feature_.end(), t.leaf_features.begin() + static_cast<ptrdiff_t>(term),
                                t.leaf_features.begin() + static_cast<ptrdiff_t>(term + k));
          b.lin_coeff_.insert(b.lin_coeff_.end(), t.leaf_coeff.begin() + static_cast<ptrdiff_t>(term),
                              t.leaf_coeff.begin() + static_cast<ptrdiff_t>(term + k));
          term += k;
        } else {
          b.leaf_const_.push_back(t.leaf_value[l]);
        }
        b.lin_begin_.push_back(static_cast<uint32_t>(b.lin_feature_.size()));
      }
    }
    b.trees_.push_back(tree);
  }
  // Explanations, as LightGBM gives them: not for linear trees, and only with node counts.
  bool explainable = !any_linear;
  for (size_t i = 0; i < n_trees && explainable; ++i) {
    const LgbTree& t = doc.trees[i];
    explainable = t.num_leaves == 1 || (!t.leaf_count.empty() && !t.internal_count.empty());
  }
  for (size_t i = 0; i < n_trees && explainable; ++i) {
    const LgbTree& t = doc.trees[i];
    ExplainTree& e = b.explain_.emplace_back();
    const auto internal = static_cast<int32_t>(t.split_feature.size());
    const auto m = static_cast<size_t>(internal + t.num_leaves);
    auto id = [&](int32_t child) { return child >= 0 ? child : internal + ~child; };
    e.left.assign(m, -1);
    e.right.assign(m, -1);
    e.feature.assign(m, 0);
    e.cover.assign(m, 0.0);
    e.value.assign(m, 0.0);
    for (int32_t n = 0; n < internal; ++n) {
      const auto k = static_cast<size_t>(n);
      e.left[k] = id(t.left_child[k]);
      e.right[k] = id(t.right_child[k]);
      e.feature[k] = t.split_feature[k];
      e.cover[k] = t.internal_count[k];
    }
    for (int32_t l = 0; l < t.num_leaves; ++l) {
      const auto k = static_cast<size_t>(internal + l);
      e.value[k] = t.leaf_value[static_cast<size_t>(l)];
      e.cover[k] = t.leaf_count.empty() ? 1.0 : t.leaf_count[static_cast<size_t>(l)];
    }
    const ShapTreeView view{e.left.data(), e.right.data(), e.feature.data(), e.cover.data(), e.value.data(), m, 1};
    if (!ValidateShapTree(view, b.n_features_).ok()) {
      b.explain_.clear();  // not a tree LightGBM could explain either: no contributions
      break;
    }
    ShapExpectedValue(view, &e.expected);
  }
  return b;
}

void LgbBooster::Contributions(const double* x, size_t n_rows, double* out) const {
  const size_t nf = n_features_, width = nf + 1;
  thread_local std::vector<double> row;
  thread_local std::vector<int32_t> hot;
  thread_local TreeShapScratch scratch;
  row.resize(nf);
  std::fill(out, out + n_rows * groups_ * width, 0.0);
  for (size_t r = 0; r < n_rows; ++r) {
    PrepareRow(x + r * nf, row.data());
    for (size_t ti = 0; ti < explain_.size(); ++ti) {
      const ExplainTree& e = explain_[ti];
      double* o = out + (r * groups_ + ti % groups_) * width;  // iteration-major
      o[nf] += e.expected;
      const Tree& t = trees_[ti];
      if (!t.split) continue;
      const size_t m = e.left.size();
      const auto internal = static_cast<int32_t>(m / 2);  // a full binary tree: m = 2 * internal + 1
      hot.resize(m);
      const Node* nodes = nodes_.data() + t.node_begin;
      for (int32_t n = 0; n < internal; ++n) {
        const int32_t next = Step(nodes, n, row.data());
        hot[static_cast<size_t>(n)] = next >= 0 ? next : internal + ~next;
      }
      const ShapTreeView view{e.left.data(), e.right.data(), e.feature.data(), e.cover.data(), e.value.data(), m, 1};
      TreeShap(view, hot.data(), o, &scratch);
    }
  }
}

void LgbBooster::SetCategoryMaps(std::vector<std::vector<std::pair<double, double>>> category_maps) {
  category_maps_ = std::move(category_maps);
  category_maps_.resize(n_features_);  // PrepareRow reads one per feature
  has_category_maps_ = false;
  for (auto& m : category_maps_) {
    std::sort(m.begin(), m.end());
    has_category_maps_ = has_category_maps_ || !m.empty();
  }
}

void LgbBooster::PrepareRow(const double* x, double* row) const {
  for (size_t f = 0; f < n_features_; ++f) {
    const double v = x[f];
    row[f] = std::fabs(v) <= kZeroThreshold ? 0.0 : v;
  }
  if (!has_category_maps_) return;
  for (size_t f = 0; f < n_features_; ++f) {
    const auto& m = category_maps_[f];
    if (m.empty()) continue;
    const double v = x[f];
    auto it = std::lower_bound(m.begin(), m.end(), std::pair<double, double>(v, -1.0));
    row[f] = it != m.end() && it->first == v ? it->second : std::nan("");
  }
}

int32_t LgbBooster::Step(const Node* nodes, int32_t i, const double* row) const {
  const Node& n = nodes[i];
  const double v = row[n.feature];
  if ((n.flags & kCategorical) != 0) {
    bool left = false;
    // A category is int(v); NaN, negative and beyond-int values go right, as do categories
    // past the end of the bitset.
    if (!std::isnan(v) && v > -1.0 && v < 2147483648.0) {
      const auto c = static_cast<uint32_t>(static_cast<int32_t>(v));
      const CatSet& s = cat_sets_[static_cast<size_t>(n.threshold)];
      const uint32_t w = c / 32;
      left = w < s.words && ((cat_words_[s.begin + w] >> (c % 32)) & 1u) != 0;
    }
    return n.child[left ? 1 : 0];
  }
  // PrepareRow made every |x| <= kZeroThreshold exactly 0, so "zero" is v == 0 here.
  bool left = v <= n.threshold;
  left = (n.flags & kZeroDefault) != 0 && v == 0.0 ? (n.flags & kDefaultLeft) != 0 : left;
  left = std::isnan(v) ? (n.flags & kNaNLeft) != 0 : left;
  return n.child[left ? 1 : 0];
}

void LgbBooster::Leaves(const Tree& t, const double* rows, size_t nb, uint32_t* leaves) const {
  if (!t.split) {
    std::fill(leaves, leaves + nb, t.leaf_begin);
    return;
  }
  const Node* nodes = nodes_.data() + t.node_begin;
  int32_t at[kBlock] = {0, 0, 0, 0, 0, 0, 0, 0};
  // Every walk ends: the tree was checked to be a tree (lightgbm_document.h).
  for (bool walking = true; walking;) {
    walking = false;
    for (size_t r = 0; r < nb; ++r) {
      if (at[r] < 0) continue;
      at[r] = Step(nodes, at[r], rows + r * n_features_);
      walking = walking || at[r] >= 0;
    }
  }
  for (size_t r = 0; r < nb; ++r) leaves[r] = t.leaf_begin + static_cast<uint32_t>(~at[r]);
}

double LgbBooster::LeafValue(const Tree& t, uint32_t leaf, const double* row) const {
  if (!t.linear) return leaf_values_[leaf];
  double out = leaf_const_[leaf];
  for (uint32_t j = lin_begin_[leaf]; j < lin_begin_[leaf + 1]; ++j) {
    const double v = row[lin_feature_[j]];
    if (std::isnan(v)) return leaf_values_[leaf];
    out += lin_coeff_[j] * v;
  }
  return out;
}

void LgbBooster::RawScores(const double* x, size_t n_rows, double* out) const {
  thread_local std::vector<double> scratch;
  scratch.resize(kBlock * n_features_);
  double* rows = scratch.data();
  const size_t k = groups_;
  uint32_t leaves[kBlock];
  for (size_t r0 = 0; r0 < n_rows; r0 += kBlock) {
    const size_t nb = std::min(kBlock, n_rows - r0);
    for (size_t r = 0; r < nb; ++r) PrepareRow(x + (r0 + r) * n_features_, rows + r * n_features_);
    double* o = out + r0 * k;
    std::fill(o, o + nb * k, 0.0);
    // Per output, the trees are added in their order, from 0, as LightGBM sums them.
    for (size_t i = 0; i < trees_.size(); i += k) {
      for (size_t g = 0; g < k; ++g) {
        const Tree& t = trees_[i + g];
        Leaves(t, rows, nb, leaves);
        for (size_t r = 0; r < nb; ++r) o[r * k + g] += LeafValue(t, leaves[r], rows + r * n_features_);
      }
    }
  }
}

void LgbBooster::Predict(const double* x, size_t n_rows, double* out) const {
  RawScores(x, n_rows, out);
  const size_t k = groups_;
  for (size_t r = 0; r < n_rows; ++r) {
    double* o = out + r * k;
    if (average_output_) {
      for (size_t g = 0; g < k; ++g) o[g] /= static_cast<double>(iterations_);
    }
    switch (objective_.link) {
      case LgbLink::kIdentity: break;
      case LgbLink::kSigmoid:
      case LgbLink::kSigmoidEach:
        for (size_t g = 0; g < k; ++g) o[g] = 1.0 / (1.0 + std::exp(-objective_.sigmoid * o[g]));
        break;
      case LgbLink::kExp:
        for (size_t g = 0; g < k; ++g) o[g] = std::exp(o[g]);
        break;
      case LgbLink::kSignedSquare:
        for (size_t g = 0; g < k; ++g) o[g] = (o[g] > 0 ? 1.0 : (o[g] < 0 ? -1.0 : 0.0)) * o[g] * o[g];
        break;
      case LgbLink::kSoftmax: {
        double wmax = o[0];
        for (size_t g = 1; g < k; ++g) wmax = std::max(o[g], wmax);
        double wsum = 0.0;
        for (size_t g = 0; g < k; ++g) {
          o[g] = std::exp(o[g] - wmax);
          wsum += o[g];
        }
        for (size_t g = 0; g < k; ++g) o[g] /= wsum;
        break;
      }
    }
  }
}

}  // namespace inferd::sklearn
