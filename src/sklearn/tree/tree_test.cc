#include <cmath>
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
  EXPECT_FALSE(BuildEstimator(*Obj(kDTC, {{"classes_", I64({3}, {0, 1, 2})}, {"tree_", TreeValue(2, 1, 2, Nodes(), vals)}})).ok());
  auto missing = BuildEstimator(*Obj(kDTC, {{"classes_", I64({2}, {0, 1})}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "DecisionTreeClassifier: missing attribute 'tree_'");
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
}

}  // namespace
}  // namespace inferd::sklearn
