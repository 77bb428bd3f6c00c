#include <cmath>

#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

constexpr const char* kKNC = "sklearn.neighbors._classification.KNeighborsClassifier";
constexpr const char* kKNR = "sklearn.neighbors._regression.KNeighborsRegressor";

// 1-D training points 0, 1, 2, 10 with classes a, b, b, a.
ValuePtr Knc(int k, const char* weights, const char* metric = "euclidean") {
  return Obj(kKNC, {{"_fit_X", F64({4, 1}, {0, 1, 2, 10})},
                    {"_y", I64({4}, {0, 1, 1, 0})},
                    {"classes_", UArray({"a", "b"})},
                    {"n_neighbors", Int(k)},
                    {"weights", Str(weights)},
                    {"effective_metric_", Str(metric)},
                    {"effective_metric_params_", Dict({})},
                    {"outputs_2d_", Bool(false)},
                    {"_fit_method", Str("kd_tree")},
                    {"_tree", Obj("sklearn.neighbors._kd_tree.KDTree", {})}});
}

TEST(KNeighborsClassifier, UniformVotesAndProba) {
  auto m = BuildEstimator(*Knc(3, "uniform"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[2] = {0.4, 8.0};  // nearest: {0,1,2} -> b,b,a ; {10,2,1} -> a,b,b
  int32_t c[2];
  ASSERT_TRUE((*m)->PredictClass(x, 2, c).ok());
  EXPECT_EQ(c[0], 1);
  EXPECT_EQ(c[1], 1);
  double p[4];
  ASSERT_TRUE((*m)->PredictProba(x, 2, p).ok());
  EXPECT_DOUBLE_EQ(p[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(p[1], 2.0 / 3);
}

TEST(KNeighborsClassifier, DistanceWeightsAndExactMatches) {
  auto m = BuildEstimator(*Knc(3, "distance"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x = 8.0;  // neighbours 10 (d=2, a), 2 (d=6, b), 1 (d=7, b)
  double p[2];
  ASSERT_TRUE((*m)->PredictProba(&x, 1, p).ok());
  const double wa = 1.0 / 2, wb = 1.0 / 6 + 1.0 / 7;
  EXPECT_NEAR(p[0], wa / (wa + wb), 1e-15);
  int32_t c;
  ASSERT_TRUE((*m)->PredictClass(&x, 1, &c).ok());
  EXPECT_EQ(c, 0);
  const double exact = 10.0;  // distance 0 to a training row: only that row counts
  ASSERT_TRUE((*m)->PredictProba(&exact, 1, p).ok());
  EXPECT_EQ(p[0], 1.0);
  EXPECT_EQ(p[1], 0.0);
}

TEST(KNeighborsClassifier, ManhattanAndMinkowski) {
  auto obj = Obj(kKNC, {{"_fit_X", F64({3, 2}, {0, 0, 3, 0, 2, 2})},
                        {"_y", I64({3}, {0, 1, 2})},
                        {"classes_", I64({3}, {5, 6, 7})},
                        {"n_neighbors", Int(1)},
                        {"weights", Str("uniform")},
                        {"effective_metric_", Str("manhattan")},
                        {"effective_metric_params_", Dict({})}});
  auto m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[2] = {2.6, 0.9};  // manhattan: 3.5, 1.3, 1.7 -> class 6
  int32_t c;
  ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
  EXPECT_EQ(c, 1);
  // p = 3: 0.793 to (3,0) vs 1.547 to (2,2) -> class 6.
  SetAttr(obj, "effective_metric_", Str("minkowski"));
  SetAttr(obj, "effective_metric_params_", Dict({{"p", Int(3)}, {"w", None()}}));
  m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
  EXPECT_EQ(c, 1);
  SetAttr(obj, "effective_metric_params_", Dict({{"p", Float(0.5)}}));
  EXPECT_FALSE(BuildEstimator(*obj).ok());
  SetAttr(obj, "effective_metric_params_", Dict({{"w", F64({2}, {1, 2})}}));
  EXPECT_FALSE(BuildEstimator(*obj).ok());
}

TEST(KNeighborsClassifier, RefusesBadState) {
  auto o = Knc(3, "uniform");
  SetAttr(o, "_y", I64({4}, {0, 1, 2, 0}));  // index 2 with 2 classes
  auto r = BuildEstimator(*o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'_y' holds class index 2"), std::string::npos) << r.status().message();
  o = Knc(3, "uniform");
  SetAttr(o, "_y", I64({4}, {0, -1, 1, 0}));
  EXPECT_FALSE(BuildEstimator(*o).ok());
  o = Knc(3, "uniform");
  SetAttr(o, "_y", I64({3}, {0, 1, 1}));
  EXPECT_FALSE(BuildEstimator(*o).ok());
  EXPECT_FALSE(BuildEstimator(*Knc(5, "uniform")).ok());
  EXPECT_FALSE(BuildEstimator(*Knc(0, "uniform")).ok());
  EXPECT_FALSE(BuildEstimator(*Knc(3, "uniform", "haversine")).ok());
  o = Knc(3, "uniform");
  SetAttr(o, "outputs_2d_", Bool(true));
  EXPECT_FALSE(BuildEstimator(*o).ok());
}

TEST(KNeighborsRegressor, UniformAndDistance) {
  auto obj = Obj(kKNR, {{"_fit_X", F64({4, 1}, {0, 1, 2, 10})},
                        {"_y", F64({4}, {1.0, 2.0, 4.0, 8.0})},
                        {"n_neighbors", Int(2)},
                        {"weights", Str("uniform")},
                        {"effective_metric_", Str("euclidean")}});
  auto m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x = 1.8;  // nearest 2 (d .2, y 4), 1 (d .8, y 2)
  double y;
  ASSERT_TRUE((*m)->PredictValue(&x, 1, &y).ok());
  EXPECT_DOUBLE_EQ(y, 3.0);
  SetAttr(obj, "weights", Str("distance"));
  m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->PredictValue(&x, 1, &y).ok());
  const double w1 = 1 / (2 - 1.8), w2 = 1 / (1.8 - 1);
  EXPECT_NEAR(y, (4 * w1 + 2 * w2) / (w1 + w2), 1e-14);
  SetAttr(obj, "_y", F64({3}, {1, 2, 3}));
  EXPECT_FALSE(BuildEstimator(*obj).ok());
}

}  // namespace
}  // namespace inferd::sklearn
