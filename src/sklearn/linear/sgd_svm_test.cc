#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "sklearn/linear/linear_adapters.h"
#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

constexpr const char* kSGDC = "sklearn.linear_model._stochastic_gradient.SGDClassifier";

ValuePtr Sgd(const char* loss, ValuePtr classes, std::vector<size_t> shape, std::vector<double> coef,
             std::vector<double> icpt) {
  return Obj(kSGDC, {{"loss", Str(loss)},
                     {"classes_", std::move(classes)},
                     {"coef_", F64(std::move(shape), coef)},
                     {"intercept_", F64({icpt.size()}, icpt)}});
}

TEST(SgdClassifier, ProbaRules) {
  EXPECT_EQ(SgdProbaRule("hinge"), LinearProba::kNone);
  EXPECT_EQ(SgdProbaRule("log"), LinearProba::kLogistic);
  EXPECT_EQ(SgdProbaRule("log_loss"), LinearProba::kLogistic);
  EXPECT_EQ(SgdProbaRule("modified_huber"), LinearProba::kModifiedHuber);
  auto hinge = BuildEstimator(*Sgd("hinge", I64({2}, {0, 1}), {1, 2}, {1, 1}, {0}));
  ASSERT_TRUE(hinge.ok());
  EXPECT_FALSE((*hinge)->has_proba());
  EXPECT_EQ((*hinge)->decision_function_width(), 1u);
}

TEST(SgdClassifier, ModifiedHuberBinaryAndMulticlass) {
  auto bin = BuildEstimator(*Sgd("modified_huber", UArray({"a", "b"}), {1, 1}, {1.0}, {0.0}));
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  const double x[3] = {0.5, 3.0, -2.0};
  double p[6];
  ASSERT_TRUE((*bin)->PredictProba(x, 3, p).ok());
  EXPECT_DOUBLE_EQ(p[1], 0.75);
  EXPECT_DOUBLE_EQ(p[0], 0.25);
  EXPECT_EQ(p[3], 1.0);
  EXPECT_EQ(p[5], 0.0);
  double d[3];
  ASSERT_TRUE((*bin)->DecisionFunction(x, 3, d).ok());
  EXPECT_EQ(d[1], 3.0);

  // 3 classes, all decisions <= -1 for x = -5: every clipped probability is 0 -> uniform.
  auto multi = BuildEstimator(*Sgd("modified_huber", I64({3}, {0, 1, 2}), {3, 1}, {1, 2, 3}, {0, 0, 0}));
  ASSERT_TRUE(multi.ok());
  EXPECT_EQ((*multi)->decision_function_width(), 3u);
  const double y[2] = {-5.0, 0.25};
  double q[6];
  ASSERT_TRUE((*multi)->PredictProba(y, 2, q).ok());
  for (int c = 0; c < 3; ++c) EXPECT_DOUBLE_EQ(q[c], 1.0 / 3);
  const double raw[3] = {(0.25 + 1) / 2, (0.5 + 1) / 2, (0.75 + 1) / 2};
  const double s = raw[0] + raw[1] + raw[2];
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(q[3 + c], raw[c] / s, 1e-16);
}

TEST(SgdClassifier, LogLossIsOvrNormalisedSigmoid) {
  auto m = BuildEstimator(*Sgd("log_loss", I64({3}, {0, 1, 2}), {3, 1}, {1, -1, 0.5}, {0.1, 0.2, 0.3}));
  ASSERT_TRUE(m.ok());
  const double x = 0.8;
  double p[3];
  ASSERT_TRUE((*m)->PredictProba(&x, 1, p).ok());
  double e[3] = {1 / (1 + std::exp(-0.9)), 1 / (1 + std::exp(0.6)), 1 / (1 + std::exp(-0.7))};
  const double s = e[0] + e[1] + e[2];
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(p[c], e[c] / s, 1e-16);
  int32_t cls;
  ASSERT_TRUE((*m)->PredictClass(&x, 1, &cls).ok());
  EXPECT_EQ(cls, 0);
}

TEST(LinearSvmAndSgdRegressor, ShapesAreChecked) {
  auto svc = Obj("sklearn.svm._classes.LinearSVC",
                 {{"classes_", I64({3}, {0, 1, 2})}, {"coef_", F64({1, 2}, {1, 2})}, {"intercept_", F64({1}, {0})}});
  EXPECT_FALSE(BuildEstimator(*svc).ok());  // 3 classes need 3 rows
  auto svr = Obj("sklearn.svm._classes.LinearSVR", {{"coef_", F64({2}, {1, 2})}, {"intercept_", F64({1}, {0.5})}});
  auto m = BuildEstimator(*svr);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[2] = {1, 1};
  double y;
  ASSERT_TRUE((*m)->PredictValue(x, 1, &y).ok());
  EXPECT_EQ(y, 3.5);
  auto sgdr = Obj("sklearn.linear_model._stochastic_gradient.SGDRegressor",
                  {{"coef_", F64({1, 2}, {1, 2})}, {"intercept_", F64({1}, {0.5})}});
  EXPECT_FALSE(BuildEstimator(*sgdr).ok());  // must be 1-D
}

}  // namespace
}  // namespace inferd::sklearn
