#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "sklearn/ensemble/ensemble_adapters.h"
#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

// Stump on feature f at threshold t with leaf values (left, right), width k per leaf.
ValuePtr Stump(size_t n_features, int64_t f, double t, std::vector<double> left, std::vector<double> right) {
  const size_t k = left.size();
  std::vector<double> vals(k, 0.0);
  vals.insert(vals.end(), left.begin(), left.end());
  vals.insert(vals.end(), right.begin(), right.end());
  return TreeValue(n_features, 1, k, {{1, 2, f, t}, {-1, -1, -2, -2}, {-1, -1, -2, -2}}, vals);
}

ValuePtr TreeEst(const char* cls, ValuePtr tree) {
  return Obj(cls, {{"tree_", std::move(tree)}, {"_sklearn_version", Str("1.2.1")}});
}

// A forest of stumps in the sklearn >= 1.3 layout (missing_go_to_left = 1: NaN goes left),
// every record labelled `version`, member trees with the 'best' splitter.
ValuePtr NanForest(const char* forest_cls, const char* tree_cls, const char* version) {
  auto stump = [&](int64_t f, std::vector<double> l, std::vector<double> r) {
    std::vector<double> vals = {0, 0};
    vals.insert(vals.end(), l.begin(), l.end());
    vals.insert(vals.end(), r.begin(), r.end());
    return Obj(tree_cls, {{"tree_", TreeValue(2, 1, 2, {{1, 2, f, 0.5}, {-1, -1, -2, -2}, {-1, -1, -2, -2}}, vals, 64)},
                          {"_sklearn_version", Str(version)},
                          {"splitter", Str("best")},
                          {"criterion", Str("gini")}});
  };
  return Obj(forest_cls, {{"classes_", I64({2}, {10, 20})},
                          {"n_features_in_", Int(2)},
                          // sklearn >= 1.4 stores fractions (used as they are).
                          {"estimators_", List({stump(0, {0.75, 0.25}, {0, 1}), stump(1, {0.5, 0.5}, {0.1, 0.9})})},
                          {"_sklearn_version", Str(version)}});
}

TEST(Forest, RandomForestRoutesNaNFrom14) {
  const char* dtc = "sklearn.tree._classes.DecisionTreeClassifier";
  auto m = BuildEstimator(*NanForest("sklearn.ensemble._forest.RandomForestClassifier", dtc, "1.4.2"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE((*m)->accepts_missing());
  const double x[2] = {std::nan(""), 1.0};  // tree0: NaN -> left (0.75, 0.25); tree1: right (0.1, 0.9)
  double p[2];
  ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
  EXPECT_EQ(p[0], (0.75 + 0.1) / 2);
  EXPECT_EQ(p[1], (0.25 + 0.9) / 2);
  // sklearn 1.3 forests validate with allow_nan off; ExtraTrees members use the random
  // splitter (no NaN support before 1.6).
  auto rf13 = BuildEstimator(*NanForest("sklearn.ensemble._forest.RandomForestClassifier", dtc, "1.3.2"));
  ASSERT_TRUE(rf13.ok());
  EXPECT_FALSE((*rf13)->accepts_missing());
  auto et = BuildEstimator(*NanForest("sklearn.ensemble._forest.ExtraTreesClassifier",
                                      "sklearn.tree._classes.ExtraTreeClassifier", "1.4.2"));
  ASSERT_TRUE(et.ok()) << et.status().message();
  EXPECT_FALSE((*et)->accepts_missing());
}

TEST(Forest, ClassifierAveragesNormalisedTreeProbabilities) {
  const char* dtc = "sklearn.tree._classes.DecisionTreeClassifier";
  auto rf =
      Obj("sklearn.ensemble._forest.RandomForestClassifier",
          {{"classes_", I64({2}, {10, 20})},
           {"n_features_in_", Int(2)},
           {"estimators_",
            List({TreeEst(dtc, Stump(2, 0, 0.5, {3, 1}, {0, 4})), TreeEst(dtc, Stump(2, 1, 0.5, {1, 1}, {1, 9}))})},
           {"_sklearn_version", Str("1.2.1")}});
  auto m = BuildEstimator(*rf);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[2] = {0.0, 1.0};  // tree0 left (0.75, 0.25), tree1 right (0.1, 0.9)
  double p[2];
  ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
  EXPECT_EQ(p[0], (0.75 + 0.1) / 2);
  EXPECT_EQ(p[1], (0.25 + 0.9) / 2);
  int32_t c;
  ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
  EXPECT_EQ(c, 1);
  EXPECT_EQ((*m)->classes()[c].json, "20");
}

TEST(Forest, RegressorMeanAndMemberErrors) {
  const char* dtr = "sklearn.tree._classes.ExtraTreeRegressor";
  auto et = Obj(
      "sklearn.ensemble._forest.ExtraTreesRegressor",
      {{"estimators_", List({TreeEst(dtr, Stump(1, 0, 0.5, {1}, {2})), TreeEst(dtr, Stump(1, 0, 1.5, {4}, {8}))})}});
  auto m = BuildEstimator(*et);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[1] = {1.0};
  double y;
  ASSERT_TRUE((*m)->PredictValue(x, 1, &y).ok());
  EXPECT_EQ(y, 3.0);

  auto bad = Obj(
      "sklearn.ensemble._forest.ExtraTreesRegressor",
      {{"estimators_", List({TreeEst(dtr, Stump(1, 0, 0.5, {1}, {2})), TreeEst(dtr, Stump(2, 1, 0.5, {1}, {2}))})}});
  auto r = BuildEstimator(*bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ExtraTreesRegressor: estimators_[1]: "), std::string::npos)
      << r.status().message();
  auto wrong_kind = Obj("sklearn.ensemble._forest.RandomForestRegressor", {{"estimators_", List({Str("tree")})}});
  EXPECT_FALSE(BuildEstimator(*wrong_kind).ok());
  auto empty = Obj("sklearn.ensemble._forest.RandomForestRegressor", {{"estimators_", List({})}});
  EXPECT_FALSE(BuildEstimator(*empty).ok());
}

const char* kGbc = "sklearn.ensemble._gb.GradientBoostingClassifier";
const char* kDtr = "sklearn.tree._classes.DecisionTreeRegressor";

ValuePtr Gb(const char* cls, std::vector<std::pair<std::string, ValuePtr>> extra, std::vector<ValuePtr> trees,
            size_t per_stage) {
  std::vector<std::pair<std::string, ValuePtr>> st = {
      {"estimators_", ObjArray({trees.size() / per_stage, per_stage}, trees)}, {"learning_rate", Float(0.5)}};
  for (auto& e : extra) st.push_back(std::move(e));
  return Obj(cls, std::move(st));
}

TEST(GradientBoosting, RegressorDummyInitAndZero) {
  std::vector<ValuePtr> trees = {TreeEst(kDtr, Stump(1, 0, 0.0, {1}, {-1})), TreeEst(kDtr, Stump(1, 0, 2.0, {4}, {8}))};
  auto dummy = Obj("sklearn.dummy.DummyRegressor", {{"constant_", F64({1, 1}, {10.0})}});
  auto m = BuildEstimator(*Gb("sklearn.ensemble._gb.GradientBoostingRegressor", {{"init_", dummy}}, trees, 1));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[1] = {1.0};
  double y;
  ASSERT_TRUE((*m)->PredictValue(x, 1, &y).ok());
  EXPECT_EQ(y, 10.0 + 0.5 * -1 + 0.5 * 4);
  auto z = BuildEstimator(*Gb("sklearn.ensemble._gb.GradientBoostingRegressor", {{"init_", Str("zero")}}, trees, 1));
  ASSERT_TRUE(z.ok());
  ASSERT_TRUE((*z)->PredictValue(x, 1, &y).ok());
  EXPECT_EQ(y, 0.5 * -1 + 0.5 * 4);
  auto bad_init =
      Gb("sklearn.ensemble._gb.GradientBoostingRegressor", {{"init_", Obj("sklearn.svm._classes.SVR", {})}}, trees, 1);
  EXPECT_EQ(BuildEstimator(*bad_init).status().code(), StatusCode::kUnimplemented);
}

TEST(GradientBoosting, BinaryPriorInitAndExponential) {
  std::vector<ValuePtr> trees = {TreeEst(kDtr, Stump(1, 0, 0.0, {1}, {-2}))};
  auto prior =
      Obj("sklearn.dummy.DummyClassifier", {{"class_prior_", F64({2}, {0.3, 0.7})}, {"strategy", Str("prior")}});
  for (const char* loss : {"log_loss", "exponential"}) {
    auto m = BuildEstimator(*Gb(
        kGbc,
        {{"init_", prior}, {"classes_", UArray({"n", "y"})}, {"loss", Str(loss)}, {"_sklearn_version", Str("1.2.1")}},
        trees, 1));
    ASSERT_TRUE(m.ok()) << m.status().message();
    const double x[1] = {1.0};
    const bool expo = std::string(loss) == "exponential";
    const double raw = (expo ? 0.5 : 1.0) * std::log(0.7 / (1 - 0.7)) + 0.5 * -2;
    double p[2];
    ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
    EXPECT_DOUBLE_EQ(p[1], 1 / (1 + std::exp(-(expo ? 2 * raw : raw))));
    EXPECT_EQ(p[0], 1 - p[1]);
    int32_t c;
    ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
    EXPECT_EQ(c, raw >= 0 ? 1 : 0);
  }
}

TEST(GradientBoosting, MulticlassInitDiffersByVersionButProbabilitiesAgree) {
  std::vector<double> priors = {0.2, 0.5, 0.3};
  auto old_raw = InitRawFromPriors(GbLoss::kMultinomial, priors, false);
  auto new_raw = InitRawFromPriors(GbLoss::kMultinomial, priors, true);
  EXPECT_DOUBLE_EQ(old_raw[0], std::log(0.2));
  const double shift = old_raw[0] - new_raw[0];
  EXPECT_GT(std::abs(shift), 0.1);
  for (int k = 1; k < 3; ++k) EXPECT_NEAR(old_raw[k] - new_raw[k], shift, 1e-15);
  // Priors 0 / 1 are clipped to float32 eps.
  auto clipped = InitRawFromPriors(GbLoss::kBinomial, {1.0, 0.0}, false);
  EXPECT_NEAR(clipped[0], std::log(1.1920928955078125e-07 / (1 - 1.1920928955078125e-07)), 1e-12);

  std::vector<ValuePtr> trees;
  for (int s = 0; s < 2; ++s) {
    for (int k = 0; k < 3; ++k) trees.push_back(TreeEst(kDtr, Stump(2, k % 2, 0.5, {0.1 * k}, {-0.2 * s})));
  }
  auto prior = Obj("sklearn.dummy.DummyClassifier", {{"class_prior_", F64({3}, priors)}});
  double p_old[3], p_new[3];
  for (const char* v : {"1.2.1", "1.4.2"}) {
    auto m = BuildEstimator(*Gb(
        kGbc,
        {{"init_", prior}, {"classes_", I64({3}, {0, 1, 2})}, {"loss", Str("log_loss")}, {"_sklearn_version", Str(v)}},
        trees, 3));
    ASSERT_TRUE(m.ok()) << m.status().message();
    const double x[2] = {0.0, 1.0};
    ASSERT_TRUE((*m)->PredictProba(x, 1, std::string(v) == "1.2.1" ? p_old : p_new).ok());
  }
  double s = 0;
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(p_old[k], p_new[k], 1e-15);
    s += p_old[k];
  }
  EXPECT_NEAR(s, 1.0, 1e-15);
  // estimators_ must be (n_stages, K).
  EXPECT_FALSE(BuildEstimator(*Gb(kGbc, {{"init_", prior}, {"classes_", I64({3}, {0, 1, 2})}}, trees, 2)).ok());
}

// Single-row latency of a 100-tree depth-10 forest (prints; asserts only correctness).
TEST(Forest, SingleRowLatency) {
  std::mt19937_64 rng(1);
  const size_t nf = 10, depth = 10, n_nodes = (size_t{1} << (depth + 1)) - 1;
  std::vector<ValuePtr> trees;
  for (int t = 0; t < 100; ++t) {
    std::vector<TreeNode> nodes(n_nodes);
    std::vector<double> vals(n_nodes * 2);
    for (size_t i = 0; i < n_nodes; ++i) {
      if (2 * i + 2 < n_nodes) {
        nodes[i] = {int64_t(2 * i + 1), int64_t(2 * i + 2), int64_t(rng() % nf), double(rng() % 1000) / 1000.0};
      } else {
        nodes[i] = {-1, -1, -2, -2.0};
      }
      vals[2 * i] = double(rng() % 10);
      vals[2 * i + 1] = double(rng() % 10 + 1);
    }
    trees.push_back(TreeEst("sklearn.tree._classes.DecisionTreeClassifier", TreeValue(nf, 1, 2, nodes, vals)));
  }
  auto rf = Obj("sklearn.ensemble._forest.RandomForestClassifier",
                {{"classes_", I64({2}, {0, 1})}, {"estimators_", List(trees)}, {"_sklearn_version", Str("1.2.1")}});
  auto m = BuildEstimator(*rf);
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<double> x(nf * 1000);
  for (double& v : x) v = double(rng() % 1000) / 1000.0;
  double p[2];
  int32_t c = 0;
  const size_t kRows = std::getenv("ROWS") ? std::atoi(std::getenv("ROWS")) : 1000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE((*m)->PredictClass(x.data() + (i % kRows) * nf, 1, &c).ok());
  }
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE((*m)->PredictProba(x.data(), 1, p).ok());
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-12);
  std::printf("100-tree depth-10 forest, single row PredictClass: %.2f us\n",
              std::chrono::duration<double, std::micro>(t1 - t0).count() / 20000);
}

}  // namespace
}  // namespace inferd::sklearn
