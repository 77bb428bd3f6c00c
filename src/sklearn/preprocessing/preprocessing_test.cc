#include <cmath>
#include <limits>

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

const double kNaN = std::numeric_limits<double>::quiet_NaN();

StatusOr<std::vector<double>> TransformRows(const ValuePtr& obj, std::vector<double> x, size_t rows = 1) {
  INFERD_ASSIGN_OR_RETURN(ModelPtr m, BuildEstimator(*obj));
  std::vector<double> y(rows * m->n_outputs());
  INFERD_RETURN_IF_ERROR(m->Transform(x.data(), rows, y.data()));
  return y;
}

TEST(OneHot, DropUnknownAndNaNCategory) {
  auto enc = Obj("sklearn.preprocessing._encoders.OneHotEncoder",
                 {{"categories_", List({F64({3}, {1, 2, kNaN}), I64({2}, {5, 9})})},
                  {"drop_idx_", ObjArray({2}, {None(), Int(0)})},
                  {"handle_unknown", Str("ignore")},
                  {"_infrequent_enabled", Bool(false)}});
  auto y = TransformRows(enc, {kNaN, 9, 3, 5}, 2);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{0, 0, 1, 1, /**/ 0, 0, 0, 0}));
  SetAttr(enc, "handle_unknown", Str("error"));
  auto e = TransformRows(enc, {3, 5});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "OneHotEncoder: column 0 has unknown category 3.0");
  SetAttr(enc, "drop_idx_", ObjArray({2}, {None(), Int(2)}));
  EXPECT_FALSE(BuildEstimator(*enc).ok());  // index out of range
  SetAttr(enc, "drop_idx_", None());
  SetAttr(enc, "categories_", List({F64({2}, {2, 1})}));
  EXPECT_FALSE(BuildEstimator(*enc).ok());  // unsorted
  SetAttr(enc, "categories_", List({UArray({"a", "b"})}));
  EXPECT_EQ(BuildEstimator(*enc).status().code(), StatusCode::kUnimplemented);
}

TEST(Ordinal, UnknownAndMissingValues) {
  auto enc = Obj("sklearn.preprocessing._encoders.OrdinalEncoder", {{"categories_", List({F64({3}, {1, 2, kNaN})})},
                                                                    {"handle_unknown", Str("use_encoded_value")},
                                                                    {"unknown_value", Int(-1)},
                                                                    {"encoded_missing_value", Int(-7)}});
  auto y = TransformRows(enc, {2, kNaN, 4}, 3);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{1, -7, -1}));
}

TEST(Imputer, DropsEmptyColumnsAddsIndicator) {
  auto imp = Obj("sklearn.impute._base.SimpleImputer",
                 {{"n_features_in_", Int(3)},
                  {"statistics_", F64({3}, {1.5, kNaN, 4})},
                  {"missing_values", Float(kNaN)},
                  {"strategy", Str("mean")},
                  {"add_indicator", Bool(true)},
                  {"indicator_", Obj("sklearn.impute._base.MissingIndicator", {{"features_", I64({2}, {0, 1})}})}});
  auto m = BuildEstimator(*imp);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE((*m)->accepts_missing());
  auto y = TransformRows(imp, {kNaN, kNaN, 9});
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, (std::vector<double>{1.5, 9, 1, 1}));
  SetAttr(imp, "missing_values", Float(-1));
  EXPECT_FALSE((*BuildEstimator(*imp))->accepts_missing());
  SetAttr(imp, "missing_values", None());
  EXPECT_FALSE(BuildEstimator(*imp).ok());
  SetAttr(imp, "missing_values", Float(kNaN));
  SetAttr(imp, "indicator_", Obj("sklearn.impute._base.MissingIndicator", {{"features_", I64({1}, {3})}}));
  EXPECT_FALSE(BuildEstimator(*imp).ok());
}

TEST(Pca, WhitenAndVersionFormulas) {
  auto pca = Obj("sklearn.decomposition._pca.PCA", {{"components_", F64({1, 2}, {0.6, 0.8})},
                                                    {"mean_", F64({2}, {1, 1})},
                                                    {"explained_variance_", F64({1}, {4})},
                                                    {"whiten", Bool(true)},
                                                    {"_sklearn_version", Str("1.2.1")}});
  auto y = TransformRows(pca, {2, 3});
  ASSERT_TRUE(y.ok());
  EXPECT_DOUBLE_EQ((*y)[0], (0.6 * 1 + 0.8 * 2) / 2);
  SetAttr(pca, "_sklearn_version", Str("1.5.0"));
  y = TransformRows(pca, {2, 3});
  ASSERT_TRUE(y.ok());
  EXPECT_DOUBLE_EQ((*y)[0], ((0.6 * 2 + 0.8 * 3) - (0.6 + 0.8)) / 2);
  SetAttr(pca, "mean_", F64({3}, {1, 1, 1}));
  EXPECT_FALSE(BuildEstimator(*pca).ok());
}

TEST(RowMaps, NormalizerAndPolynomial) {
  auto norm = Obj("sklearn.preprocessing._data.Normalizer", {{"n_features_in_", Int(2)}, {"norm", Str("l2")}});
  auto y = TransformRows(norm, {3, 4, 0, 0}, 2);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, (std::vector<double>{0.6, 0.8, 0, 0}));
  auto poly = Obj("sklearn.preprocessing._polynomial.PolynomialFeatures", {{"n_features_in_", Int(2)},
                                                                           {"_min_degree", Int(0)},
                                                                           {"_max_degree", Int(2)},
                                                                           {"interaction_only", Bool(false)},
                                                                           {"include_bias", Bool(true)},
                                                                           {"n_output_features_", Int(6)}});
  y = TransformRows(poly, {2, 3});
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, (std::vector<double>{1, 2, 3, 4, 6, 9}));
  SetAttr(poly, "_min_degree", Int(2));
  SetAttr(poly, "n_output_features_", Int(4));
  y = TransformRows(poly, {2, 3});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{1, 4, 6, 9}));
  SetAttr(poly, "n_output_features_", Int(5));
  EXPECT_FALSE(BuildEstimator(*poly).ok());
  SetAttr(poly, "_max_degree", Int(900));  // C(901, 900) columns: refused, not allocated
  SetAttr(poly, "n_features_in_", Int(50));
  EXPECT_FALSE(BuildEstimator(*poly).ok());
}

}  // namespace
}  // namespace inferd::sklearn
