#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

const char* kCT = "sklearn.compose._column_transformer.ColumnTransformer";
const double kNaN = std::numeric_limits<double>::quiet_NaN();

ValuePtr Scaler(size_t n, double scale) {
  return Obj(
      "sklearn.preprocessing._data.StandardScaler",
      {{"with_mean", Bool(false)}, {"with_std", Bool(true)}, {"scale_", F64({n}, std::vector<double>(n, scale))}});
}
ValuePtr Entry(const std::string& name, ValuePtr t, ValuePtr cols) { return Tuple({Str(name), t, cols}); }
ValuePtr Slice(ValuePtr a, ValuePtr b, ValuePtr c) {
  auto s = Make(Kind::kSlice);
  s->items = {a, b, c};
  return s;
}

TEST(ColumnTransformer, SelectorsRemainderWeightsAndDrop) {
  auto ct = Obj(
      kCT, {{"n_features_in_", Int(5)},
            {"transformers_",
             List({Entry("a", Scaler(2, 2.0), List({Int(4), Int(-5)})), Entry("b", Str("drop"), List({Int(1)})),
                   Entry("c", Scaler(1, 4.0), BoolArray({0, 0, 1, 0, 0})), Entry("empty", Str("unfitted"), List({})),
                   Entry("remainder", Str("passthrough"), Slice(Int(3), None(), None()))})},
            {"transformer_weights", Dict({{"c", Float(10.0)}})}});
  auto m = BuildEstimator(*ct);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->kind(), ModelKind::kTransformer);
  ASSERT_EQ((*m)->n_outputs(), 5u);  // a:2, c:1, remainder: columns 3, 4
  const double x[5] = {2, 100, 8, 7, 6};
  double y[5];
  ASSERT_TRUE((*m)->Transform(x, 1, y).ok());
  EXPECT_EQ(y[0], 3);   // column 4 / 2
  EXPECT_EQ(y[1], 1);   // column 0 / 2
  EXPECT_EQ(y[2], 20);  // column 2 / 4 * 10
  EXPECT_EQ(y[3], 7);
  EXPECT_EQ(y[4], 6);
}

TEST(ColumnTransformer, NamesUseFeatureNamesIn) {
  auto names = ObjArray({3}, {Str("x"), Str("y"), Str("z")});
  auto ct = Obj(kCT, {{"n_features_in_", Int(3)},
                      {"feature_names_in_", names},
                      {"transformers_", List({Entry("s", Scaler(2, 2.0), List({Str("z"), Str("x")}))})}});
  auto m = BuildEstimator(*ct);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[3] = {2, 4, 6};
  double y[2];
  ASSERT_TRUE((*m)->Transform(x, 1, y).ok());
  EXPECT_EQ(y[0], 3);
  EXPECT_EQ(y[1], 1);
  auto bad = Obj(kCT, {{"n_features_in_", Int(3)},
                       {"feature_names_in_", names},
                       {"transformers_", List({Entry("s", Scaler(1, 2.0), List({Str("w")}))})}});
  auto r = BuildEstimator(*bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'w' is not in feature_names_in_"), std::string::npos) << r.status().message();
}

TEST(ColumnTransformer, HostileSelectionsAreRefused) {
  for (ValuePtr cols : {List({Int(3)}), List({Int(-4)}), BoolArray({1, 0}), Str("x"), Float(1.0)}) {
    auto ct = Obj(kCT, {{"n_features_in_", Int(3)}, {"transformers_", List({Entry("s", Scaler(1, 2.0), cols)})}});
    EXPECT_FALSE(BuildEstimator(*ct).ok()) << cols->Describe();
  }
  // Width mismatch between the selection and the transformer.
  auto ct =
      Obj(kCT, {{"n_features_in_", Int(3)}, {"transformers_", List({Entry("s", Scaler(2, 2.0), List({Int(0)}))})}});
  EXPECT_FALSE(BuildEstimator(*ct).ok());
  // A FunctionTransformer with a function is code.
  auto ft = Obj("sklearn.preprocessing._function_transformer.FunctionTransformer",
                {{"func", Str("f")}, {"n_features_in_", Int(2)}});
  EXPECT_EQ(BuildEstimator(*ft).status().code(), StatusCode::kUnimplemented);
}

TEST(ColumnTransformer, MissingValuesPolicyThroughPipelines) {
  auto imputer = Obj("sklearn.impute._base.SimpleImputer", {{"n_features_in_", Int(1)},
                                                            {"statistics_", F64({1}, {5})},
                                                            {"missing_values", Float(kNaN)},
                                                            {"strategy", Str("mean")}});
  auto logit = Obj("sklearn.linear_model._logistic.LogisticRegression", {{"classes_", I64({2}, {0, 1})},
                                                                         {"coef_", F64({1, 2}, {1, 1})},
                                                                         {"intercept_", F64({1}, {0})},
                                                                         {"multi_class", Str("auto")},
                                                                         {"solver", Str("lbfgs")}});
  auto pipe = [](std::vector<ValuePtr> steps) {
    std::vector<ValuePtr> items;
    for (size_t i = 0; i < steps.size(); ++i) items.push_back(Tuple({Str("s" + std::to_string(i)), steps[i]}));
    return Obj("sklearn.pipeline.Pipeline", {{"steps", List(items)}});
  };
  // Column 0 imputed, column 1 passed through: NaN in column 1 would reach the classifier.
  auto ct_pass =
      Obj(kCT, {{"n_features_in_", Int(2)},
                {"transformers_",
                 List({Entry("i", imputer, List({Int(0)})), Entry("remainder", Str("passthrough"), List({Int(1)}))})}});
  auto m1 = BuildEstimator(*pipe({ct_pass, logit}));
  ASSERT_TRUE(m1.ok()) << m1.status().message();
  EXPECT_FALSE((*m1)->accepts_missing());
  auto ct_all =
      Obj(kCT, {{"n_features_in_", Int(2)},
                {"transformers_", List({Entry("i", imputer, List({Int(0)})), Entry("j", imputer, List({Int(1)}))})}});
  auto m2 = BuildEstimator(*pipe({ct_all, Scaler(2, 1.0), logit}));
  ASSERT_TRUE(m2.ok()) << m2.status().message();
  EXPECT_TRUE((*m2)->accepts_missing());
  const double x[2] = {kNaN, 1};
  int32_t c;
  ASSERT_TRUE((*m2)->PredictClass(x, 1, &c).ok());
  EXPECT_EQ(c, 1);  // (5, 1) -> d = 6
  EXPECT_FALSE((*BuildEstimator(*pipe({Scaler(2, 1.0), logit})))->accepts_missing());
}

}  // namespace
}  // namespace inferd::sklearn
