#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/test_values.h"
#include "sklearn/tree/flat_forest.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

constexpr const char* kDTC = "sklearn.tree._classes.DecisionTreeClassifier";
constexpr const char* kDTR = "sklearn.tree._classes.DecisionTreeRegressor";

// x0 <= 0.1 ? (x1 <= 5 ? leaf1 : leaf2) : leaf3 ; sklearn leaves have feature -2, threshold -2.
std::vector<TreeNode> Nodes() {
  return {{1, 4, 0, 0.1}, {2, 3, 1, 5.0}, {-1, -1, -2, -2.0}, {-1, -1, -2, -2.0}, {-1, -1, -2, -2.0}};
}

ValuePtr Classifier(size_t layout, const char* version, std::vector<double> values) {
  return Obj(kDTC, {{"classes_", UArray({"a", "b"})},
                    {"n_classes_", I64({}, {2})},
                    {"n_outputs_", Int(1)},
                    {"n_features_in_", Int(2)},
                    {"tree_", TreeValue(2, 1, 2, Nodes(), values, layout)},
                    {"_sklearn_version", Str(version)}});
}

TEST(DecisionTree, ClassifierNormalisesCountsBefore14) {
  // counts: root, inner, leaf(3,1), leaf(0,2), leaf(5,5)
  auto m = BuildEstimator(*Classifier(56, "1.2.1", {8, 8, 3, 3, 3, 1, 0, 2, 5, 5}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[6] = {0.0, 1.0, 0.0, 9.0, 1.0, 0.0};
  double p[6];
  ASSERT_TRUE((*m)->PredictProba(x, 3, p).ok());
  EXPECT_EQ(p[0], 0.75);
  EXPECT_EQ(p[1], 0.25);
  EXPECT_EQ(p[2], 0.0);
  EXPECT_EQ(p[3], 1.0);
  EXPECT_EQ(p[4], 0.5);
  int32_t c[3];
  ASSERT_TRUE((*m)->PredictClass(x, 3, c).ok());
  EXPECT_EQ(c[0], 0);
  EXPECT_EQ(c[1], 1);
  EXPECT_EQ(c[2], 0);  // tie: first max wins
}

TEST(DecisionTree, FractionsUsedAsStoredFrom14And64ByteNodes) {
  // Fractions that do not sum to 1 prove no normalisation happens.
  auto m = BuildEstimator(*Classifier(64, "1.4.0", {1, 0, 1, 0, 0.6, 0.3, 0.1, 0.8, 0.5, 0.5}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[2] = {0.0, 1.0};
  double p[2];
  ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
  EXPECT_EQ(p[0], 0.6);
  EXPECT_EQ(p[1], 0.3);
}

// sklearn >= 1.3 routes NaN by missing_go_to_left (TreeValue's 64-byte layout sets it to 1,
// i.e. left, on every node) for trees with the 'best' splitter and a NaN-capable criterion.
ValuePtr WithAttrs(ValuePtr est, std::vector<std::pair<std::string, ValuePtr>> attrs) {
  for (auto& [k, v] : attrs) est->state->entries.push_back({Str(k), v});
  return est;
}

TEST(DecisionTree, RoutesNaNByRecordedDirectionFrom13) {
  auto m = BuildEstimator(*WithAttrs(Classifier(64, "1.3.2", {8, 8, 3, 3, 3, 1, 0, 2, 5, 5}),
                                     {{"splitter", Str("best")}, {"criterion", Str("gini")}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE((*m)->accepts_missing());
  const double nan = std::nan("");
  // Root NaN -> left (recorded), then x1 = 9 > 5 -> leaf (0, 2). Both NaN -> left, left: (3, 1).
  const double x[6] = {nan, 9.0, nan, nan, 1.0, nan};
  double p[6];
  ASSERT_TRUE((*m)->PredictProba(x, 3, p).ok());
  EXPECT_EQ(p[0], 0.0);
  EXPECT_EQ(p[1], 1.0);
  EXPECT_EQ(p[2], 0.75);
  EXPECT_EQ(p[4], 0.5);  // x0 = 1 > 0.1 -> leaf (5, 5): NaN elsewhere is never looked at
  // The batch (tree-major) walk routes the same way.
  std::vector<double> rows;
  for (int r = 0; r < 40; ++r) rows.insert(rows.end(), {nan, 9.0});
  std::vector<int32_t> c(40, -1);
  ASSERT_TRUE((*m)->PredictClass(rows.data(), 40, c.data()).ok());
  for (int32_t v : c) EXPECT_EQ(v, 1);
}

TEST(DecisionTree, RefusesNaNWhereSklearnDoes) {
  const std::vector<double> vals = {8, 8, 3, 3, 3, 1, 0, 2, 5, 5};
  auto accepts = [&](size_t layout, const char* version, const char* splitter, const char* criterion) {
    auto m = BuildEstimator(
        *WithAttrs(Classifier(layout, version, vals), {{"splitter", Str(splitter)}, {"criterion", Str(criterion)}}));
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() && (*m)->accepts_missing();
  };
  EXPECT_TRUE(accepts(64, "1.3.0", "best", "entropy"));
  EXPECT_TRUE(accepts(64, "1.5.1", "best", "log_loss"));
  EXPECT_FALSE(accepts(56, "1.2.1", "best", "gini"));    // before 1.3: sklearn refuses NaN
  EXPECT_FALSE(accepts(64, "1.2.1", "best", "gini"));    // (even if the layout were new)
  EXPECT_FALSE(accepts(56, "1.3.2", "best", "gini"));    // no recorded directions
  EXPECT_FALSE(accepts(64, "1.3.2", "random", "gini"));  // random splitter: no NaN support
  auto mono = BuildEstimator(
      *WithAttrs(Classifier(64, "1.4.0", vals),
                 {{"splitter", Str("best")}, {"criterion", Str("gini")}, {"monotonic_cst", I64({2}, {1, 0})}}));
  ASSERT_TRUE(mono.ok());
  EXPECT_FALSE((*mono)->accepts_missing());
  auto reg = [&](const char* criterion) {
    auto obj = Obj(kDTR, {{"n_features_in_", Int(2)},
                          {"tree_", TreeValue(2, 1, 1, Nodes(), {0, 0, 1, 2, 3}, 64)},
                          {"_sklearn_version", Str("1.3.2")},
                          {"splitter", Str("best")},
                          {"criterion", Str(criterion)}});
    auto m = BuildEstimator(*obj);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() && (*m)->accepts_missing();
  };
  EXPECT_TRUE(reg("squared_error"));
  EXPECT_TRUE(reg("poisson"));
  EXPECT_FALSE(reg("absolute_error"));
}

TEST(DecisionTree, CastsToFloat32BeforeComparing) {
  auto m = BuildEstimator(*Classifier(56, "1.2.1", {8, 8, 3, 3, 3, 1, 0, 2, 5, 5}));
  ASSERT_TRUE(m.ok());
  // 0.1 <= 0.1 in double, but float32(0.1) = 0.100000001... > 0.1: sklearn goes right.
  const double x[2] = {0.1, 1.0};
  double p[2];
  ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
  EXPECT_EQ(p[0], 0.5);
}

TEST(DecisionTree, RegressorManyOutputs) {
  auto obj = Obj(kDTR, {{"n_features_in_", Int(2)},
                        {"tree_", TreeValue(2, 2, 1, Nodes(), {0, 0, 0, 0, 1, 10, 2, 20, 3, 30})},
                        {"_sklearn_version", Str("1.2.1")}});
  auto m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->n_outputs(), 2u);
  const double x[2] = {0.0, 7.0};
  double y[2];
  ASSERT_TRUE((*m)->PredictValue(x, 1, y).ok());
  EXPECT_EQ(y[0], 2);
  EXPECT_EQ(y[1], 20);
}

TEST(DecisionTree, RejectsMalformedTrees) {
  const std::vector<double> vals(10, 1.0);
  auto with_nodes = [&](std::vector<TreeNode> nodes) {
    return Obj(kDTC, {{"classes_", I64({2}, {0, 1})}, {"tree_", TreeValue(2, 1, 2, nodes, vals)}});
  };
  auto cycle = Nodes();
  cycle[1].left = 0;  // back edge: would loop forever
  EXPECT_FALSE(BuildEstimator(*with_nodes(cycle)).ok());
  auto out_of_range = Nodes();
  out_of_range[1].right = 5;
  EXPECT_FALSE(BuildEstimator(*with_nodes(out_of_range)).ok());
  auto bad_feature = Nodes();
  bad_feature[0].feature = 2;
  auto r = BuildEstimator(*with_nodes(bad_feature));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("DecisionTreeClassifier: tree_: node 0 splits on feature 2"), std::string::npos)
      << r.status().message();
  auto half_leaf = Nodes();
  half_leaf[2].left = 3;
  EXPECT_FALSE(BuildEstimator(*with_nodes(half_leaf)).ok());
  // 3 classes in classes_ but values have 2.
  EXPECT_FALSE(
      BuildEstimator(*Obj(kDTC, {{"classes_", I64({3}, {0, 1, 2})}, {"tree_", TreeValue(2, 1, 2, Nodes(), vals)}}))
          .ok());
  auto missing = BuildEstimator(*Obj(kDTC, {{"classes_", I64({2}, {0, 1})}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "DecisionTreeClassifier: missing attribute 'tree_'");
}

// A random full tree of the given depth over `nf` features, thresholds in [-2, 2].
std::vector<TreeNode> RandomTree(std::mt19937_64* rng, int depth, int nf) {
  std::vector<TreeNode> nodes;
  std::uniform_real_distribution<double> u(-2, 2);
  std::uniform_int_distribution<int> f(0, nf - 1);
  // Depth-first numbering as sklearn's builder: left child = next id.
  std::function<int64_t(int)> build = [&](int d) -> int64_t {
    const int64_t id = static_cast<int64_t>(nodes.size());
    nodes.push_back({-1, -1, -2, -2.0});
    if (d < depth && (d < 2 || (*rng)() % 4 != 0)) {  // some leaves above the bottom level
      nodes[id].feature = f(*rng);
      nodes[id].threshold = u(*rng);
      const int64_t l = build(d + 1);
      const int64_t r = build(d + 1);
      nodes[id].left = l;
      nodes[id].right = r;
    }
    return id;
  };
  build(0);
  return nodes;
}

// The batch (tree-major, lockstep) walk must give exactly the one-row results, for batch
// sizes around the lockstep width and the block size, for a forest and a single tree.
// Every kind of bad node, planted at every position of a random tree: the node check (a
// branch-free pass, then a search for the first bad node) reports exactly that node.
TEST(DecisionTree, NodeCheckFindsEveryBadNodeAnywhere) {
  std::mt19937_64 rng(7);
  const std::vector<TreeNode> good = RandomTree(&rng, 5, 3);
  const int64_t n = static_cast<int64_t>(good.size());
  const std::vector<double> vals(good.size() * 2, 1.0);
  auto build = [&](const std::vector<TreeNode>& nodes) {
    return BuildEstimator(*Obj(kDTC, {{"classes_", I64({2}, {0, 1})}, {"tree_", TreeValue(3, 1, 2, nodes, vals)}}));
  };
  ASSERT_TRUE(build(good).ok());
  for (int64_t i = 0; i < n; ++i) {
    const bool leaf = good[i].left < 0;
    std::vector<std::pair<const char*, std::function<void(TreeNode*)>>> faults = {
        {"left child at or before the node",
         [&](TreeNode* t) {
           t->left = leaf ? 0 : i;
           t->right = leaf ? 0 : t->right;
         }},
        {"right child past the end",
         [&](TreeNode* t) {
           t->right = n;
           t->left = leaf ? n - 1 : t->left;
         }},
        {"half a leaf",
         [](TreeNode* t) {
           t->left = -1;
           t->right = t->right < 0 ? 5 : t->right;
         }},
    };
    if (!leaf) {
      faults.push_back({"negative feature", [](TreeNode* t) { t->feature = -1; }});
      faults.push_back({"feature past n_features", [](TreeNode* t) { t->feature = 3; }});
    }
    for (const auto& [what, plant] : faults) {
      std::vector<TreeNode> bad = good;
      plant(&bad[i]);
      auto r = build(bad);
      ASSERT_FALSE(r.ok()) << what << " at node " << i;
      EXPECT_NE(r.status().message().find("node " + std::to_string(i) + " "), std::string::npos)
          << what << " at node " << i << ": " << r.status().message();
    }
  }
}

TEST(TreeEnsemble, BatchPredictionsEqualRowByRow) {
  std::mt19937_64 rng(11);
  constexpr int kNf = 5;
  auto forest_of = [&](size_t n_trees) {
    ValuePtr list = Make(pickle::Kind::kList);
    for (size_t t = 0; t < n_trees; ++t) {
      auto nodes = RandomTree(&rng, 6, kNf);
      std::vector<double> vals;
      std::uniform_real_distribution<double> w(0, 5);
      for (size_t i = 0; i < nodes.size() * 3; ++i) vals.push_back(w(rng));
      list->items.push_back(Obj(kDTC, {{"classes_", I64({3}, {0, 1, 2})},
                                       {"n_features_in_", Int(kNf)},
                                       {"tree_", TreeValue(kNf, 1, 3, nodes, vals)},
                                       {"_sklearn_version", Str("1.2.1")}}));
    }
    return Obj("sklearn.ensemble._forest.RandomForestClassifier", {{"classes_", I64({3}, {0, 1, 2})},
                                                                   {"n_classes_", Int(3)},
                                                                   {"n_outputs_", Int(1)},
                                                                   {"n_features_in_", Int(kNf)},
                                                                   {"estimators_", list},
                                                                   {"_sklearn_version", Str("1.2.1")}});
  };
  for (size_t n_trees : {1, 13}) {
    auto m = BuildEstimator(*forest_of(n_trees));
    ASSERT_TRUE(m.ok()) << m.status().message();
    std::uniform_real_distribution<double> u(-2.5, 2.5);
    for (size_t n : {7, 8, 9, 255, 256, 257, 600}) {
      std::vector<double> x(n * kNf);
      for (double& v : x) v = u(rng);
      x[3] = 0.5;  // values near / at thresholds are covered by RoundDown's own test
      std::vector<double> batch(n * 3), one(3);
      std::vector<int32_t> cls(n);
      ASSERT_TRUE((*m)->PredictProba(x.data(), n, batch.data()).ok());
      ASSERT_TRUE((*m)->PredictClass(x.data(), n, cls.data()).ok());
      for (size_t r = 0; r < n; ++r) {
        ASSERT_TRUE((*m)->PredictProba(x.data() + r * kNf, 1, one.data()).ok());
        for (size_t c = 0; c < 3; ++c) ASSERT_EQ(batch[r * 3 + c], one[c]) << "trees " << n_trees << " row " << r;
        int32_t c1;
        ASSERT_TRUE((*m)->PredictClass(x.data() + r * kNf, 1, &c1).ok());
        ASSERT_EQ(cls[r], c1);
      }
    }
  }
}

// A node shared by two parents (a DAG, which the parser does not reject) must not make the
// fixed-depth walk stop on an inner node: depth is the longest path.
TEST(DecisionTree, SharedChildUsesLongestPath) {
  // 0: x0 <= 0 ? 1 : 2 ; 1: x1 <= 0 ? 2 : 5 ; 2: x2 <= 0 ? 3 : 4 ; 3, 4, 5 leaves.
  // Node 2 is reached at depth 1 (from 0) and depth 2 (from 1).
  std::vector<TreeNode> nodes = {{1, 2, 0, 0.0},     {2, 5, 1, 0.0},     {3, 4, 2, 0.0},
                                 {-1, -1, -2, -2.0}, {-1, -1, -2, -2.0}, {-1, -1, -2, -2.0}};
  auto obj = Obj(kDTR, {{"n_features_in_", Int(3)},
                        {"tree_", TreeValue(3, 1, 1, nodes, {0, 0, 0, 30, 40, 50})},
                        {"_sklearn_version", Str("1.2.1")}});
  auto m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[3 * 9] = {-1, -1, -1, -1, -1, 1,  -1, 1,  0, 1, 0, -1, 1, 0,
                           1,  -1, -1, -1, -1, -1, 1,  -1, 1, 0, 1, 0,  -1};
  const double want[9] = {30, 40, 50, 30, 40, 30, 40, 50, 30};
  double y[9];
  ASSERT_TRUE((*m)->PredictValue(x, 9, y).ok());  // batch path (>= 8 rows)
  for (int r = 0; r < 9; ++r) EXPECT_EQ(y[r], want[r]) << r;
  for (int r = 0; r < 9; ++r) {
    ASSERT_TRUE((*m)->PredictValue(x + 3 * r, 1, y).ok());
    EXPECT_EQ(y[0], want[r]) << r;
  }
}

TEST(FlatForest, RoundDownMatchesDoubleComparison) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-10, 10);
  for (int i = 0; i < 200000; ++i) {
    const double t = u(rng);
    const float x = static_cast<float>(t + (i % 3 - 1) * 1e-7);
    const float tf = FlatForest::RoundDown(t);
    ASSERT_EQ(x <= tf, static_cast<double>(x) <= t) << t;
  }
  EXPECT_EQ(FlatForest::RoundDown(INFINITY), INFINITY);
  EXPECT_EQ(FlatForest::RoundDown(1e300), 3.4028234663852886e38f);
  // Signs, zero, subnormals and the extremes against the libm definition.
  const float inf = std::numeric_limits<float>::infinity();
  for (double t :
       {0.0, -0.0, 1e-50,   -1e-50,   1e-45,        -1e-45,        1.5e-45, -1.5e-45, 1e-39,  -1e-39,
        0.1, -0.1, 1.0 / 3, -1.0 / 3, 3.4028235e38, -3.4028235e38, 3.5e38,  -3.5e38,  -1e300, -double(INFINITY)}) {
    float want = static_cast<float>(t);
    if (static_cast<double>(want) > t) want = std::nextafter(want, -inf);
    const float got = FlatForest::RoundDown(t);
    EXPECT_TRUE(got == want && std::signbit(got) == std::signbit(want)) << t << ": " << got << " vs " << want;
  }
}

}  // namespace
}  // namespace inferd::sklearn

namespace inferd::sklearn {
namespace {

// A random full binary tree of about `target` nodes in DFS pre-order (children have larger
// ids than their parent, as sklearn numbers them), with leaf values (id, id + 1).
ValuePtr RandomTreeValue(std::mt19937_64& rng, size_t n_features, size_t target) {
  std::vector<TreeNode> nodes;
  std::uniform_real_distribution<double> thr(-1, 1);
  std::function<void(size_t)> grow = [&](size_t budget) {
    const size_t id = nodes.size();
    nodes.push_back({-1, -1, -2, -2.0});
    if (budget < 3) return;
    const size_t left_budget = 1 + rng() % (budget - 2);
    nodes[id].feature = static_cast<int64_t>(rng() % n_features);
    nodes[id].threshold = thr(rng);
    nodes[id].left = static_cast<int64_t>(nodes.size());
    grow(left_budget);
    nodes[id].right = static_cast<int64_t>(nodes.size());
    grow(budget - 1 - left_budget);
  };
  grow(target);
  std::vector<double> vals;
  for (size_t i = 0; i < nodes.size(); ++i) vals.insert(vals.end(), {double(i), double(i) + 1});
  return TreeValue(n_features, 1, 2, nodes, vals);
}

// Payload of every tree's leaf for each row, in tree order.
std::vector<double> AllLeaves(const FlatForest& f, const std::vector<float>& rows, size_t nf) {
  std::vector<double> out;
  for (size_t r = 0; r * nf < rows.size(); ++r) {
    f.ForEachLeaf(rows.data() + r * nf, [&](size_t, const double* p) { out.insert(out.end(), p, p + 2); });
  }
  return out;
}

class ParallelBuild : public ::testing::Test {
 protected:
  static constexpr size_t kNf = 5;
  void SetUp() override {
    std::mt19937_64 rng(11);
    for (size_t i = 0; i < 260; ++i) values_.push_back(RandomTreeValue(rng, kNf, 900 + rng() % 400));
    for (const ValuePtr& v : values_) {
      auto t = ParseTree(*v);
      ASSERT_TRUE(t.ok()) << t.status().message();
      counts_.push_back(t->node_count);
      total_ += t->node_count;
      budget_ += 2 * t->node_count + 2;  // what tree_adapters' plan allows: values + width
    }
    std::uniform_real_distribution<float> u(-1.2f, 1.2f);
    rows_.resize(300 * kNf);
    for (float& x : rows_) x = u(rng);
  }
  StatusOr<ParsedTree> Parse(size_t i) const { return ParseTree(*values_[i]); }
  static void Fill(size_t i, const ParsedTree& t, size_t node, double* out) {
    out[0] = t.value(node)[0] + 1000.0 * static_cast<double>(i);
    out[1] = t.value(node)[1];
  }
  // The one-by-one build (AddTree per tree): the reference.
  FlatForest Reference() const {
    FlatForest f(2);
    for (size_t i = 0; i < values_.size(); ++i) {
      auto t = Parse(i);
      EXPECT_TRUE(f.AddTree(*t, [&](size_t node, double* out) { Fill(i, *t, node, out); }).ok());
    }
    return f;
  }
  std::vector<ValuePtr> values_;
  std::vector<size_t> counts_;
  size_t total_ = 0;
  size_t budget_ = 0;
  std::vector<float> rows_;
};

TEST_F(ParallelBuild, MatchesOneByOne) {
  ASSERT_GT(total_, 200000u);  // above FlatForest::kParallelMinNodes: really parallel
  FlatForest par(2);
  ASSERT_TRUE(par.AddTrees(
                     counts_, budget_, [&](size_t i) { return Parse(i); }, &Fill, 3)
                  .ok());
  FlatForest ref = Reference();
  ASSERT_EQ(par.n_trees(), ref.n_trees());
  EXPECT_EQ(AllLeaves(par, rows_, kNf), AllLeaves(ref, rows_, kNf));
}

TEST_F(ParallelBuild, WrongPlanFallsBackToTheSameForest) {
  std::vector<size_t> wrong = counts_;
  wrong[100] += 2;  // a stated count that does not match the tree
  FlatForest par(2);
  ASSERT_TRUE(par.AddTrees(
                     wrong, budget_, [&](size_t i) { return Parse(i); }, &Fill, 2)
                  .ok());
  EXPECT_EQ(AllLeaves(par, rows_, kNf), AllLeaves(Reference(), rows_, kNf));
}

TEST_F(ParallelBuild, NotFullBinaryTreeFallsBack) {
  // Tree 5 gets an extra unreachable leaf: valid for the parser, but it has one leaf more
  // than (n + 1) / 2, so it does not fit the planned payload slots.
  auto t5 = ParseTree(*values_[5]);
  std::vector<TreeNode> nodes;
  std::vector<double> vals;
  for (size_t i = 0; i < t5->node_count; ++i) {
    nodes.push_back({t5->left(i), t5->right(i), t5->is_leaf(i) ? -2 : t5->feature(i), t5->threshold(i)});
    vals.insert(vals.end(), {t5->value(i)[0], t5->value(i)[1]});
  }
  nodes.push_back({-1, -1, -2, -2.0});
  vals.insert(vals.end(), {7.0, 8.0});
  values_[5] = TreeValue(kNf, 1, 2, nodes, vals);
  counts_[5] += 1;
  FlatForest par(2);
  ASSERT_TRUE(par.AddTrees(
                     counts_, budget_, [&](size_t i) { return Parse(i); }, &Fill, 2)
                  .ok());
  EXPECT_EQ(AllLeaves(par, rows_, kNf), AllLeaves(Reference(), rows_, kNf));
}

TEST_F(ParallelBuild, NothingAllocatedAheadBeyondTheBudget) {
  // A budget below the planned payload: no plan, no reservation, built one by one.
  FlatForest par(2);
  ASSERT_TRUE(par.AddTrees(
                     counts_, 1000, [&](size_t i) { return Parse(i); }, &Fill, 2)
                  .ok());
  EXPECT_EQ(AllLeaves(par, rows_, kNf), AllLeaves(Reference(), rows_, kNf));
}

// A hostile forest: 200 000 classes (1.6 MB) times 300 stated trees of 1001 nodes would plan
// ~240 GB of leaf payload. The trees' `values` say 2 classes, so the budget allows ~0.6 M
// doubles: nothing big is allocated and the first tree is refused.
TEST(ForestPlan, HugeClassCountIsRefusedWithoutAllocatingAhead) {
  std::vector<int64_t> classes(200000);
  for (size_t i = 0; i < classes.size(); ++i) classes[i] = static_cast<int64_t>(i);
  std::mt19937_64 rng(3);
  std::vector<ValuePtr> trees;
  for (int i = 0; i < 300; ++i) {
    trees.push_back(Obj(kDTC, {{"tree_", RandomTreeValue(rng, 4, 1001)}, {"_sklearn_version", Str("1.2.1")}}));
  }
  auto rf =
      Obj("sklearn.ensemble._forest.RandomForestClassifier",
          {{"classes_", I64({classes.size()}, classes)}, {"n_features_in_", Int(4)}, {"estimators_", List(trees)}});
  auto m = BuildEstimator(*rf);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("estimators_[0]"), std::string::npos) << m.status().message();
  EXPECT_NE(m.status().message().find("classes"), std::string::npos) << m.status().message();
}

TEST_F(ParallelBuild, ReportsTheLowestFailingTree) {
  auto parse = [&](size_t i) -> StatusOr<ParsedTree> {
    if (i == 7 || i == 200) return Status::InvalidArgument("tree " + std::to_string(i) + " is bad");
    return Parse(i);
  };
  FlatForest par(2);
  Status s = par.AddTrees(counts_, budget_, parse, &Fill, 2);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "tree 7 is bad");
  EXPECT_EQ(par.n_trees(), 0u);  // nothing half-built is left
}

}  // namespace
}  // namespace inferd::sklearn
