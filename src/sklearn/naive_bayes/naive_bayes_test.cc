#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

constexpr const char* kGNB = "sklearn.naive_bayes.GaussianNB";

ValuePtr Gnb() {
  return Obj(kGNB, {{"classes_", I64({2}, {0, 1})},
                    {"theta_", F64({2, 2}, {0, 0, 2, 1})},
                    {"var_", F64({2, 2}, {1, 0.5, 2, 0.25})},
                    {"class_prior_", F64({2}, {0.25, 0.75})},
                    {"_sklearn_version", Str("1.2.1")}});
}

TEST(GaussianNB, JointLogLikelihoodAndProba) {
  auto m = BuildEstimator(*Gnb());
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[2] = {1.0, 0.5};
  const double th[2][2] = {{0, 0}, {2, 1}}, va[2][2] = {{1, 0.5}, {2, 0.25}}, pr[2] = {0.25, 0.75};
  double jll[2];
  for (int c = 0; c < 2; ++c) {
    jll[c] = std::log(pr[c]);
    for (int j = 0; j < 2; ++j) {
      jll[c] +=
          -0.5 * std::log(2 * std::numbers::pi * va[c][j]) - 0.5 * (x[j] - th[c][j]) * (x[j] - th[c][j]) / va[c][j];
    }
  }
  double p[2];
  ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
  const double p1 = 1.0 / (1.0 + std::exp(jll[0] - jll[1]));
  EXPECT_NEAR(p[1], p1, 1e-14);
  EXPECT_NEAR(p[0], 1 - p1, 1e-14);
  int32_t c;
  ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
  EXPECT_EQ(c, jll[1] > jll[0] ? 1 : 0);
}

TEST(GaussianNB, OldSigmaNameAndRefusals) {
  auto o = Gnb();
  EraseAttr(o, "var_");
  SetAttr(o, "sigma_", F64({2, 2}, {1, 0.5, 2, 0.25}));
  EXPECT_TRUE(BuildEstimator(*o).ok());
  o = Gnb();
  SetAttr(o, "var_", F64({2, 3}, {1, 1, 1, 1, 1, 1}));
  EXPECT_FALSE(BuildEstimator(*o).ok());
  o = Gnb();
  SetAttr(o, "var_", F64({2, 2}, {1, 0, 1, 1}));
  EXPECT_FALSE(BuildEstimator(*o).ok());
  o = Gnb();
  SetAttr(o, "class_prior_", F64({3}, {0.2, 0.3, 0.5}));
  EXPECT_FALSE(BuildEstimator(*o).ok());
  o = Gnb();
  SetAttr(o, "theta_", F64({3, 2}, {0, 0, 1, 1, 2, 2}));
  EXPECT_FALSE(BuildEstimator(*o).ok());
}

}  // namespace
}  // namespace inferd::sklearn
