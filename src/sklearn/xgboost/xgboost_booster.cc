#include "sklearn/xgboost/xgboost_booster.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "sklearn/tree/tree_shap.h"

namespace inferd::sklearn {
namespace {

// One run of a categorical split over the real line: values from `start` up to the next
// run's start go right (true) or left.
struct Run {
  int64_t start;  // kMinusInf for the first run
  bool right;
};
constexpr int64_t kMinusInf = INT64_MIN;

// Rows explained per pass over the trees: enough for a shallow tree's table of terms to pay
// (TreeShapTablePays), few enough for the block's inputs and outputs to stay in cache.
constexpr size_t kExplainBlockRows = 1024;

// The runs of a categorical split whose set is `cats` (the categories that go right) and
// whose missing / invalid values go right iff `default_right`.
std::vector<Run> CategoryRuns(std::vector<int64_t> cats, bool default_right) {
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
  // The bitset xgboost builds holds max + 1 categories rounded up to 32-bit words; values
  // at or past its end are treated like missing ones.
  const int64_t bits = (cats.back() + 1 + 31) / 32 * 32;
  std::vector<Run> runs;
  auto push = [&](int64_t start, bool right) {
    if (runs.empty() || runs.back().right != right) runs.push_back({start, right});
  };
  push(kMinusInf, default_right);  // negative values
  int64_t next = 0;                // first category not covered yet
  for (int64_t c : cats) {
    if (c > next) push(next, false);  // categories not in the set go left
    push(c, true);
    next = c + 1;
  }
  if (next < bits) push(next, false);
  push(bits, default_right);
  return runs;
}

// The largest float below `t` (so that `x <= result` <=> `x < t` for every float x).
float FloatBelow(float t) {
  if (!std::isfinite(t)) return std::nextafter(t, -std::numeric_limits<float>::infinity());
  if (t == 0.0f) return -std::numeric_limits<float>::denorm_min();
  uint32_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = t > 0.0f ? bits - 1 : bits + 1;  // the neighbour towards -inf in the float ordering
  std::memcpy(&t, &bits, sizeof bits);
  return t;
}

// An xgboost split, "x < split goes left, missing goes to the default side", as a PlainTree
// node for the runtime's `x <= threshold` step, which sends NaN to the second child: with the
// default on the right, (x, FloatBelow(split), left, right); with it on the left, the negated
// cell and the children swapped: !(-x <= -split) <=> x < split or NaN. Each field is computed
// on its own (a view reads them one at a time).
struct PlainSplit {
  bool missing_left;
  int32_t feature;
  size_t n_features;
  float split;
  int32_t to_left, to_right;
  int32_t left() const { return missing_left ? to_right : to_left; }
  int32_t right() const { return missing_left ? to_left : to_right; }
  int32_t plain_feature() const { return missing_left ? static_cast<int32_t>(n_features) + feature : feature; }
  float threshold() const { return missing_left ? -split : FloatBelow(split); }
};

// Node `k` of a PlainTree from `s`.
inline void SetSplit(PlainTree* out, size_t k, const PlainSplit& s) {
  out->left[k] = s.left();
  out->right[k] = s.right();
  out->feature[k] = s.plain_feature();
  out->threshold[k] = s.threshold();
}

// ToPlainTree for a tree without categorical splits, in one breadth-first pass: the node at
// queue position k becomes plain node k, and its children take the next two positions.
Status ToPlainTreeNumerical(const XgbTree& t, size_t n_features, std::vector<int32_t>* queue_buffer, PlainTree* out,
                            std::vector<float>* leaf_value) {
  const auto n = static_cast<size_t>(t.num_nodes);
  // The reachable nodes are at most n (each is reached once: ValidateXgbDocument).
  queue_buffer->resize(n);
  out->left.resize(n);
  out->right.resize(n);
  out->feature.resize(n);
  out->threshold.resize(n);
  leaf_value->resize(n);
  int32_t* const queue = queue_buffer->data();
  float* const value = leaf_value->data();
  const XgbNode* const nodes = t.nodes.data();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  queue[0] = 0;
  size_t tail = 1;
  for (size_t k = 0; k < tail; ++k) {
    const XgbNode& node = nodes[queue[k]];
    if (node.left < 0) {
      out->left[k] = -1;
      out->right[k] = -1;
      out->feature[k] = 0;
      out->threshold[k] = nan;
      value[k] = node.split_condition;
      continue;
    }
    queue[tail] = node.left;
    queue[tail + 1] = node.right;
    const auto l = static_cast<int32_t>(tail);
    tail += 2;
    value[k] = 0.0f;
    SetSplit(out, k, {node.default_left != 0, node.split_index, n_features, node.split_condition, l, l + 1});
  }
  out->left.resize(tail);
  out->right.resize(tail);
  out->feature.resize(tail);
  out->threshold.resize(tail);
  leaf_value->resize(tail);
  return Status::Ok();
}

// A tree whose node ids are already breadth first (the children of the k-th internal node are
// the next two unused ids, so every node is reached: what xgboost's depthwise growth writes),
// seen as the PlainTree ToPlainTreeNumerical would build from it, without building it.
struct BreadthFirstView {
  const XgbNode* nodes;
  size_t n;
  size_t n_features;
  PlainSplit At(size_t i) const {
    const XgbNode& x = nodes[i];
    return {x.default_left != 0, x.split_index, n_features, x.split_condition, x.left, x.right};
  }
  size_t node_count() const { return n; }
  int64_t left(size_t i) const { return At(i).left(); }  // a leaf's children are both -1
  int64_t right(size_t i) const { return At(i).right(); }
  int64_t feature(size_t i) const { return At(i).plain_feature(); }
  float threshold(size_t i) const { return At(i).threshold(); }
  bool missing_left(size_t) const { return false; }
};

// Whether `t`'s ids are breadth first (BreadthFirstView) and it has no categorical split.
bool IsBreadthFirstNumerical(const XgbTree& t) {
  if (!t.categories_nodes.empty() || t.num_deleted != 0) return false;
  int64_t next = 1;
  bool ok = true;
  for (const XgbNode& node : t.nodes) {
    const bool split = node.left >= 0;
    ok &= !split || (node.left == next && node.right == next + 1);
    next += split ? 2 : 0;
  }
  return ok && next == t.num_nodes;
}

// Buffers ToPlainTree reuses from one tree to the next (a load converts trees one at a time).
struct PlainTreeScratch {
  std::vector<int32_t> order;          // original ids, breadth first
  std::vector<int32_t> start;          // per original id: its first plain id
  std::vector<std::vector<Run>> runs;  // per original id: a categorical split's runs
  std::vector<int64_t> cats;
};

// Converts `t` into a PlainTree over rows of 2 * n_features cells (each cell, then all of
// them negated; see XgbBooster::CastRows): its reachable nodes renumbered in breadth-first
// order (xgboost reuses the ids of pruned nodes, so a child's id may be below its parent's),
// each categorical split expanded into numerical splits (a balanced search over its runs).
// `leaf_value[node]` receives each plain leaf's value.
Status ToPlainTree(const XgbTree& t, size_t index, size_t n_features, PlainTreeScratch* scratch, PlainTree* out,
                   std::vector<float>* leaf_value) {
  const auto n = static_cast<size_t>(t.num_nodes);
  std::vector<int32_t>& order = scratch->order;
  if (t.categories_nodes.empty()) return ToPlainTreeNumerical(t, n_features, &order, out, leaf_value);
  order.clear();
  order.reserve(n);
  order.push_back(0);
  for (size_t k = 0; k < order.size(); ++k) {
    const auto i = static_cast<size_t>(order[k]);
    if (t.nodes[i].left >= 0) {
      order.push_back(t.nodes[i].left);
      order.push_back(t.nodes[i].right);
    }
  }
  // Categorical nodes: their runs, by original id (none: `runs` is left empty).
  std::vector<std::vector<Run>>& runs = scratch->runs;
  runs.clear();
  if (!t.categories_nodes.empty()) runs.resize(n);
  std::vector<int64_t>& cats = scratch->cats;
  for (size_t k = 0; k < t.categories_nodes.size(); ++k) {
    const auto node = static_cast<size_t>(t.categories_nodes[k]);
    const auto begin = static_cast<size_t>(t.categories_segments[k]);
    const auto size = static_cast<size_t>(t.categories_sizes[k]);
    cats.assign(t.categories.begin() + static_cast<std::ptrdiff_t>(begin),
                t.categories.begin() + static_cast<std::ptrdiff_t>(begin + size));
    runs[node] = CategoryRuns(cats, t.nodes[node].default_left == 0);
  }
  const auto runs_of = [&](size_t i) -> size_t { return runs.empty() ? 0 : runs[i].size(); };
  // Each original node gets a block of plain ids: a categorical one, one node per run
  // boundary (at least one); children's blocks come after their parent's.
  std::vector<int32_t>& start = scratch->start;
  start.assign(n, -1);
  int64_t total = 0;
  for (int32_t i : order) {
    start[static_cast<size_t>(i)] = static_cast<int32_t>(total);
    const size_t r = runs_of(static_cast<size_t>(i));
    total += static_cast<int64_t>(r > 2 ? r - 1 : 1);
    if (total > kMaxXgbTreeNodes) {
      return Status::ResourceExhausted("xgboost tree " + std::to_string(index) + ": its categorical splits need over " +
                                       std::to_string(kMaxXgbTreeNodes) + " nodes");
    }
  }
  const auto m = static_cast<size_t>(total);
  out->left.assign(m, -1);
  out->right.assign(m, -1);
  out->feature.assign(m, 0);
  out->threshold.assign(m, std::numeric_limits<float>::quiet_NaN());
  leaf_value->assign(m, 0.0f);
  for (int32_t oi : order) {
    const auto i = static_cast<size_t>(oi);
    int32_t id = start[i];
    const int64_t l = t.nodes[i].left;
    if (l < 0) {
      (*leaf_value)[static_cast<size_t>(id)] = t.nodes[i].split_condition;
      continue;
    }
    const int32_t left = start[static_cast<size_t>(l)];
    const int32_t right = start[static_cast<size_t>(t.nodes[i].right)];
    const auto feature = static_cast<int32_t>(t.nodes[i].split_index);
    const bool missing_left = t.nodes[i].default_left != 0;
    auto set = [&](int32_t node, float split, int32_t to_left, int32_t to_right) {
      SetSplit(out, static_cast<size_t>(node), {missing_left, feature, n_features, split, to_left, to_right});
    };
    if (runs_of(i) == 0) {
      set(id, t.nodes[i].split_condition, left, right);
      continue;
    }
    const std::vector<Run>& r = runs[i];
    if (r.empty()) {
      set(id, t.nodes[i].split_condition, left, right);
    } else if (r.size() == 1) {
      // Every value goes one way: both children are that way.
      const int32_t to = r[0].right ? right : left;
      set(id, 0.0f, to, to);
    } else {
      // Runs [lo, hi): a search node at the boundary between run mid - 1 and run mid
      // (`x < r[mid].start` goes left), nodes numbered in preorder so children follow.
      auto build = [&](auto&& self, size_t lo, size_t hi) -> int32_t {
        if (hi - lo == 1) return r[lo].right ? right : left;
        const size_t mid = (lo + hi) / 2;
        const int32_t node = id++;
        const int32_t to_left = self(self, lo, mid);
        const int32_t to_right = self(self, mid, hi);
        set(node, static_cast<float>(r[mid].start), to_left, to_right);
        return node;
      };
      build(build, 0, r.size());
    }
  }
  return Status::Ok();
}

XgbTransform TransformOf(std::string_view objective) {
  if (objective == "binary:logistic" || objective == "reg:logistic") return XgbTransform::kSigmoid;
  if (objective == "multi:softprob") return XgbTransform::kSoftmax;
  if (objective == "multi:softmax") return XgbTransform::kArgmax;
  if (objective == "binary:hinge") return XgbTransform::kHinge;
  if (objective == "count:poisson" || objective == "reg:gamma" || objective == "reg:tweedie" ||
      objective == "survival:cox" || objective == "survival:aft") {
    return XgbTransform::kExp;
  }
  return XgbTransform::kIdentity;
}

// xgboost 1.7's logistic link in float32.
float XgbSigmoid(float x) {
  // xgboost 1.7's common::Sigmoid term for term (its epsilon included): the clamp keeps expf
  // finite, so huge negative margins give subnormal probabilities, not 0.
  constexpr float kEps = 1e-16f;
  const float z = std::min(-x, 88.7f);
  const float denom = std::exp(z) + 1.0f + kEps;
  return 1.0f / denom;
}

// ProbToMargin(base_score) of the document's objective.
float XgbBaseMargin(const XgbDocument& doc) {
  const std::string& o = doc.objective;
  const float b = doc.base_score;
  // binary:logitraw outputs margins and keeps base_score as a margin.
  if (o == "binary:logistic" || o == "reg:logistic") return -std::log(1.0f / b - 1.0f);
  if (o == "count:poisson" || o == "reg:gamma" || o == "reg:tweedie" || o == "survival:cox" || o == "survival:aft") {
    return std::log(b);
  }
  return b;
}

}  // namespace

StatusOr<XgbBooster> XgbBooster::Build(const XgbDocument& doc, const XgbEvalOptions& options) {
  XgbBooster b;
  b.n_features_ = static_cast<size_t>(doc.num_feature);
  b.n_groups_ = static_cast<size_t>(doc.output_groups());
  b.missing_ = static_cast<float>(options.missing);
  b.base_margin_ = XgbBaseMargin(doc);
  b.transform_ = TransformOf(doc.objective);
  if (doc.booster == "gblinear") {
    b.linear_ = true;
    b.linear_weights_ = doc.linear_weights;
    return b;
  }
  const int64_t per_round = doc.output_groups() * doc.num_parallel_tree;
  int64_t n_trees = static_cast<int64_t>(doc.trees.size());
  if (options.rounds) {
    const int64_t r = std::clamp<int64_t>(*options.rounds, 0, doc.rounds());
    n_trees = doc.iteration_indptr.empty() ? r * per_round : doc.iteration_indptr[static_cast<size_t>(r)];
  }
  const bool dart = doc.booster == "dart";
  // Room for every tree's reachable nodes (categorical splits may add a few; the forest then grows).
  size_t nodes = 0;
  for (int64_t ti = 0; ti < n_trees; ++ti) {
    const XgbTree& t = doc.trees[static_cast<size_t>(ti)];
    nodes += static_cast<size_t>(t.num_nodes - t.num_deleted);
  }
  b.forest_.Reserve(nodes, (nodes + static_cast<size_t>(n_trees)) / 2);
  b.group_.reserve(static_cast<size_t>(n_trees));
  PlainTreeScratch scratch;
  PlainTree plain;
  std::vector<float> leaf_value;
  for (int64_t ti = 0; ti < n_trees; ++ti) {
    const auto i = static_cast<size_t>(ti);
    const XgbTree& t = doc.trees[i];
    const float w = dart ? doc.weight_drop[i] : 1.0f;
    const float base = b.base_margin_;
    const bool inplace = options.dart_path == XgbDartPath::kInplace;
    const auto leaf_payload = [&](float leaf, double* out) {
      float v = leaf;
      if (dart) v = inplace ? ((base + leaf) - base) * w : leaf * w;
      out[0] = static_cast<double>(v);
    };
    if (IsBreadthFirstNumerical(t)) {
      const XgbNode* nodes = t.nodes.data();
      INFERD_RETURN_IF_ERROR(
          b.forest_.AddTreeView(BreadthFirstView{nodes, t.nodes.size(), b.n_features_},
                                [&](size_t node, double* out) { leaf_payload(nodes[node].split_condition, out); }));
    } else {
      INFERD_RETURN_IF_ERROR(ToPlainTree(t, i, b.n_features_, &scratch, &plain, &leaf_value));
      INFERD_RETURN_IF_ERROR(
          b.forest_.AddTree(plain, [&](size_t node, double* out) { leaf_payload(leaf_value[node], out); }));
    }
    b.group_.push_back(static_cast<uint32_t>(doc.tree_info[i]));
    b.weight_.push_back(w);
  }
  return b;
}

Status XgbBooster::AddExplainTree(const XgbTree& t, size_t index, size_t n_features, float weight, uint32_t group,
                                  std::vector<ExplainTree>* out) {
  ExplainTree& e = out->emplace_back();
  e.weight = weight;
  e.group = group;
  // Breadth-first renumbering (xgboost reuses pruned nodes' ids, so a child may come first).
  std::vector<int32_t> order{0};
  std::vector<int32_t> id(static_cast<size_t>(t.num_nodes), -1);
  id[0] = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const XgbNode& n = t.nodes[static_cast<size_t>(order[k])];
    if (n.left < 0) continue;
    for (const int32_t c : {n.left, n.right}) {
      id[static_cast<size_t>(c)] = static_cast<int32_t>(order.size());
      order.push_back(c);
    }
  }
  const size_t m = order.size();
  e.left.assign(m, -1);
  e.right.assign(m, -1);
  e.feature.assign(m, 0);
  e.cover.resize(m);
  e.value.assign(m, 0.0f);
  e.split.assign(m, 0.0f);
  e.default_left.assign(m, 0);
  std::vector<std::vector<Run>> runs;
  if (!t.categories_nodes.empty()) {
    runs.resize(m);
    for (size_t k = 0; k < t.categories_nodes.size(); ++k) {
      const auto node = static_cast<size_t>(t.categories_nodes[k]);
      if (id[node] < 0) continue;  // unreachable
      const auto begin = t.categories.begin() + static_cast<std::ptrdiff_t>(t.categories_segments[k]);
      runs[static_cast<size_t>(id[node])] =
          CategoryRuns(std::vector<int64_t>(begin, begin + static_cast<std::ptrdiff_t>(t.categories_sizes[k])),
                       t.nodes[node].default_left == 0);
    }
    e.run_begin.assign(m + 1, 0);
  }
  for (size_t i = 0; i < m; ++i) {
    const XgbNode& n = t.nodes[static_cast<size_t>(order[i])];
    e.cover[i] = n.sum_hessian;
    if (n.left < 0) {
      e.value[i] = n.split_condition;
    } else {
      e.left[i] = id[static_cast<size_t>(n.left)];
      e.right[i] = id[static_cast<size_t>(n.right)];
      e.feature[i] = n.split_index;
      e.split[i] = n.split_condition;
      e.default_left[i] = n.default_left;
    }
    if (!runs.empty()) {
      for (const Run& r : runs[i]) {
        e.run_start.push_back(r.start == kMinusInf ? -std::numeric_limits<float>::infinity()
                                                   : static_cast<float>(r.start));
        e.run_right.push_back(r.right ? 1 : 0);
      }
      e.run_begin[i + 1] = static_cast<uint32_t>(e.run_start.size());
    }
  }
  const ShapTreeViewF view{e.left.data(), e.right.data(), e.feature.data(), e.cover.data(), e.value.data(), m, 1};
  if (Status s = ValidateShapTree(view, n_features); !s.ok()) {
    return Status::InvalidArgument("xgboost tree " + std::to_string(index) + ": " + s.message());
  }
  ShapExpectedValue(view, &e.expected);
  return Status::Ok();
}

void XgbBooster::CastRow(const double* x, float* xf) const {
  const bool has_missing_value = !std::isnan(missing_);
  for (size_t j = 0; j < n_features_; ++j) {
    const auto v = static_cast<float>(x[j]);
    xf[j] = has_missing_value && v == missing_ ? std::numeric_limits<float>::quiet_NaN() : v;
  }
}

void XgbBooster::HotChildren(const ExplainTree& e, const float* xf, int32_t* hot) {
  const size_t m = e.left.size();
  for (size_t i = 0; i < m; ++i) {
    if (e.left[i] < 0) continue;
    const float v = xf[static_cast<size_t>(e.feature[i])];
    bool left;
    if (std::isnan(v)) {
      left = e.default_left[i] != 0;
    } else if (!e.run_begin.empty() && e.run_begin[i] != e.run_begin[i + 1]) {
      uint32_t k = e.run_begin[i];
      while (k + 1 < e.run_begin[i + 1] && v >= e.run_start[k + 1]) ++k;
      left = e.run_right[k] == 0;
    } else {
      left = v < e.split[i];
    }
    hot[i] = left ? e.left[i] : e.right[i];
  }
}

void XgbBooster::KeepTreesForExplanations(std::vector<XgbTree> trees) {
  if (linear_) return;
  explainer_ = std::make_unique<Explainer>();
  explainer_->trees = std::move(trees);
}

Status XgbBooster::Contributions(const double* x, size_t n_rows, float* out) const {
  const size_t nf = n_features_, groups = n_groups_, width = nf + 1;
  if (!linear_) {
    if (explainer_ == nullptr) return Status::FailedPrecondition("this xgboost model kept no trees to explain");
    Explainer& ex = *explainer_;
    std::call_once(ex.once, [&] {
      for (size_t i = 0; i < group_.size() && i < ex.trees.size(); ++i) {
        ex.status = AddExplainTree(ex.trees[i], i, nf, weight_[i], group_[i], &ex.explain);
        if (!ex.status.ok()) break;
      }
      if (ex.status.ok() && ex.explain.size() != group_.size()) {
        ex.status = Status::Internal("xgboost model: the explained trees do not match the forest");
      }
      if (!ex.status.ok()) ex.explain.clear();
      std::vector<XgbTree>().swap(ex.trees);
    });
    if (!ex.status.ok()) return ex.status;
  }
  std::fill(out, out + n_rows * groups * width, 0.0f);
  thread_local std::vector<float> xf, tree_phi;
  xf.resize(kShapLanes<float> * nf);
  if (linear_) {
    const float* w = linear_weights_.data();
    for (size_t r = 0; r < n_rows; ++r) {
      CastRow(x + r * nf, xf.data());
      for (size_t g = 0; g < groups; ++g) {
        float* p = out + (r * groups + g) * width;
        for (size_t j = 0; j < nf; ++j) {
          if (!std::isnan(xf[j])) p[j] = xf[j] * w[j * groups + g];
        }
        p[nf] = w[nf * groups + g] + base_margin_;
      }
    }
    return Status::Ok();
  }
  // xgboost's order, per row: per group, every tree of the group in turn, each tree's
  // contributions (its expected value first, in the bias slot) added in scaled by its weight.
  // Trees run one at a time over a block of rows: a tree's table of terms (TreeShapTable) when
  // the block is large enough to pay for it, else kShapLanes<float> rows share each walk
  // (TreeShapLanes). Either way each row's arithmetic is TreeShap's.
  thread_local std::vector<int32_t> hot;
  thread_local TreeShapLanesScratch<float> scratch;
  thread_local TreeShapScratchF single;
  thread_local TreeShapTable<float> table;
  constexpr size_t kLanes = kShapLanes<float>;
  tree_phi.resize(kLanes * width);
  float* lane_phi[kLanes];
  for (size_t l = 0; l < kLanes; ++l) lane_phi[l] = tree_phi.data() + l * width;
  for (size_t b0 = 0; b0 < n_rows; b0 += kExplainBlockRows) {
    const size_t block = std::min(kExplainBlockRows, n_rows - b0);
    xf.resize(block * nf);
    for (size_t r = 0; r < block; ++r) CastRow(x + (b0 + r) * nf, xf.data() + r * nf);
    for (const ExplainTree& e : explainer_->explain) {
      const size_t m = e.left.size(), g = e.group;
      const ShapTreeViewF view{e.left.data(), e.right.data(), e.feature.data(), e.cover.data(), e.value.data(), m, 1};
      const bool use_table = block > 1 && TreeShapTablePays(view, block, &table);
      if (use_table) BuildTreeShapTable(view, &table);
      const size_t step = use_table ? 1 : kLanes;
      for (size_t r0 = 0; r0 < block; r0 += step) {
        const size_t lanes = std::min(step, block - r0);
        hot.resize(lanes * m);
        for (size_t l = 0; l < lanes; ++l) {
          HotChildren(e, xf.data() + (r0 + l) * nf, hot.data() + l * m);
          std::fill(lane_phi[l], lane_phi[l] + width, 0.0f);
          lane_phi[l][nf] += e.expected;
        }
        if (use_table) {
          TreeShapFromTable(view, hot.data(), lane_phi[0], &table);
        } else if (lanes == 1) {
          TreeShap(view, hot.data(), lane_phi[0], &single);  // no lanes to fill: the plain walk is cheaper
        } else {
          TreeShapLanes(view, hot.data(), lanes, lane_phi, &scratch);
        }
        for (size_t l = 0; l < lanes; ++l) {
          float* p = out + ((b0 + r0 + l) * groups + g) * width;
          for (size_t c = 0; c < width; ++c) p[c] += lane_phi[l][c] * e.weight;
        }
      }
    }
    for (size_t r = 0; r < block; ++r) {
      for (size_t g = 0; g < groups; ++g) out[((b0 + r) * groups + g) * width + nf] += base_margin_;
    }
  }
  return Status::Ok();
}

void XgbBooster::CastRows(const double* x, size_t n_rows, float* xf) const {
  const size_t nf = n_features_;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const bool has_missing_value = !std::isnan(missing_);
  for (size_t r = 0; r < n_rows; ++r) {
    const double* in = x + r * nf;
    float* out = xf + r * 2 * nf;
    for (size_t j = 0; j < nf; ++j) {
      const auto v = static_cast<float>(in[j]);
      out[j] = has_missing_value && v == missing_ ? nan : v;
    }
    for (size_t j = 0; j < nf; ++j) out[nf + j] = -out[j];
  }
}

void XgbBooster::Margins(const double* x, size_t n_rows, float* out) const {
  const size_t nf = n_features_, groups = n_groups_, stride = 2 * nf;
  thread_local std::vector<float> xf;  // no allocation per request once grown
  xf.resize(std::min(n_rows, kBlockRows) * stride);
  for (size_t r0 = 0; r0 < n_rows; r0 += kBlockRows) {
    const size_t nb = std::min(kBlockRows, n_rows - r0);
    CastRows(x + r0 * nf, nb, xf.data());
    float* o = out + r0 * groups;
    std::fill(o, o + nb * groups, base_margin_);
    if (linear_) {
      const float* w = linear_weights_.data();
      const float* bias = w + nf * groups;
      for (size_t r = 0; r < nb; ++r) {
        const float* row = xf.data() + r * stride;
        for (size_t g = 0; g < groups; ++g) {
          float sum = bias[g] + base_margin_;
          for (size_t j = 0; j < nf; ++j) {
            if (!std::isnan(row[j])) sum += row[j] * w[j * groups + g];
          }
          o[r * groups + g] = sum;
        }
      }
    } else if (nb == 1) {
      forest_.ForEachLeaf(xf.data(), [&](size_t t, const double* p) { o[group_[t]] += static_cast<float>(*p); });
    } else {
      forest_.ForEachLeafBatch(xf.data(), nb, stride, [&](size_t t, size_t r, const double* p) {
        o[r * groups + group_[t]] += static_cast<float>(*p);
      });
    }
  }
}

void XgbBooster::TransformRow(float* m) const {
  switch (transform_) {
    case XgbTransform::kIdentity:
    case XgbTransform::kArgmax: return;
    case XgbTransform::kSigmoid:
      for (size_t g = 0; g < n_groups_; ++g) m[g] = XgbSigmoid(m[g]);
      return;
    case XgbTransform::kExp:
      for (size_t g = 0; g < n_groups_; ++g) m[g] = std::exp(m[g]);
      return;
    case XgbTransform::kHinge:
      for (size_t g = 0; g < n_groups_; ++g) m[g] = m[g] > 0.0f ? 1.0f : 0.0f;
      return;
    case XgbTransform::kSoftmax: {
      // xgboost's common::Softmax: the max in float, the sum of exponentials in double.
      float max = m[0];
      for (size_t g = 1; g < n_groups_; ++g) max = std::fmax(m[g], max);
      double sum = 0;
      for (size_t g = 0; g < n_groups_; ++g) {
        m[g] = std::exp(m[g] - max);
        sum += m[g];
      }
      for (size_t g = 0; g < n_groups_; ++g) m[g] /= static_cast<float>(sum);
      return;
    }
  }
}

void XgbBooster::Predict(const double* x, size_t n_rows, float* out) const {
  if (transform_ != XgbTransform::kArgmax) {
    Margins(x, n_rows, out);
    for (size_t r = 0; r < n_rows; ++r) TransformRow(out + r * n_groups_);
    return;
  }
  thread_local std::vector<float> margins;
  margins.resize(n_rows * n_groups_);
  Margins(x, n_rows, margins.data());
  for (size_t r = 0; r < n_rows; ++r) {
    const float* m = margins.data() + r * n_groups_;
    out[r] = static_cast<float>(std::max_element(m, m + n_groups_) - m);  // the first largest
  }
}

}  // namespace inferd::sklearn
