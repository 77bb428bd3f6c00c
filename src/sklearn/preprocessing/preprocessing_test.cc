#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

TEST(StandardScaler, SubtractsThenDivides) {
  auto obj = Obj("sklearn.preprocessing._data.StandardScaler", {{"with_mean", Bool(true)},
                                                                {"with_std", Bool(true)},
                                                                {"mean_", F64({2}, {1, 2})},
                                                                {"scale_", F64({2}, {3, 0.1})},
                                                                {"n_features_in_", Int(2)}});
  auto m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->kind(), ModelKind::kTransformer);
  const double x[2] = {0.7, 2.3};
  double y[2];
  ASSERT_TRUE((*m)->Transform(x, 1, y).ok());
  EXPECT_EQ(y[0], (0.7 - 1) / 3);
  EXPECT_EQ(y[1], (2.3 - 2) / 0.1);
}

TEST(StandardScaler, FlagsOff) {
  auto no_mean =
      Obj("sklearn.preprocessing._data.StandardScaler",
          {{"with_mean", Bool(false)}, {"with_std", Bool(true)}, {"mean_", None()}, {"scale_", F64({1}, {2})}});
  auto m = BuildEstimator(*no_mean);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x = 3;
  double y;
  ASSERT_TRUE((*m)->Transform(&x, 1, &y).ok());
  EXPECT_EQ(y, 1.5);
  auto none = Obj("sklearn.preprocessing._data.StandardScaler", {{"with_mean", Bool(false)},
                                                                 {"with_std", Bool(false)},
                                                                 {"mean_", None()},
                                                                 {"scale_", None()},
                                                                 {"n_features_in_", Int(3)}});
  auto n = BuildEstimator(*none);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ((*n)->n_features(), 3u);
  auto missing =
      Obj("sklearn.preprocessing._data.StandardScaler", {{"with_mean", Bool(true)}, {"scale_", F64({1}, {2})}});
  auto r = BuildEstimator(*missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "StandardScaler: missing attribute 'mean_'");
}

TEST(MinMaxScaler, ScaleMinAndClip) {
  for (bool clip : {false, true}) {
    auto obj = Obj("sklearn.preprocessing._data.MinMaxScaler", {{"scale_", F64({2}, {0.5, 2})},
                                                                {"min_", F64({2}, {0.25, -1})},
                                                                {"clip", Bool(clip)},
                                                                {"feature_range", Tuple({Int(0), Int(1)})}});
    auto m = BuildEstimator(*obj);
    ASSERT_TRUE(m.ok()) << m.status().message();
    const double x[2] = {0.3, 5};
    double y[2];
    ASSERT_TRUE((*m)->Transform(x, 1, y).ok());
    EXPECT_EQ(y[0], 0.3 * 0.5 + 0.25);
    EXPECT_EQ(y[1], clip ? 1.0 : 9.0);
  }
  auto mismatch =
      Obj("sklearn.preprocessing._data.MinMaxScaler", {{"scale_", F64({2}, {1, 1})}, {"min_", F64({1}, {0})}});
  EXPECT_FALSE(BuildEstimator(*mismatch).ok());
}

}  // namespace
}  // namespace inferd::sklearn
