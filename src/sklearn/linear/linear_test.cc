#include <cmath>

#include <gtest/gtest.h>

#include "sklearn/linear/linear_adapters.h"
#include "sklearn/numeric.h"
#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

constexpr const char* kLR = "sklearn.linear_model._base.LinearRegression";
constexpr const char* kLogit = "sklearn.linear_model._logistic.LogisticRegression";

TEST(LinearRegressor, OneTargetNumpyScalarIntercept) {
  auto obj = Obj(kLR, {{"coef_", F64({3}, {1, 2, 3})},
                       {"intercept_", F64Scalar(0.5)},
                       {"n_features_in_", Int(3)},
                       {"_sklearn_version", Str("1.2.1")}});
  auto m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->kind(), ModelKind::kRegressor);
  EXPECT_EQ((*m)->n_features(), 3u);
  EXPECT_EQ((*m)->n_outputs(), 1u);
  const double x[6] = {1, 1, 1, 0.5, -2, 4};
  double y[2];
  ASSERT_TRUE((*m)->PredictValue(x, 2, y).ok());
  EXPECT_EQ(y[0], 6.5);
  EXPECT_EQ(y[1], 0.5 - 4 + 12 + 0.5);
}

TEST(LinearRegressor, ManyTargetsWithArrayOrPythonFloatIntercept) {
  for (bool array_intercept : {true, false}) {
    auto obj =
        Obj("sklearn.linear_model._ridge.Ridge",
            {{"coef_", F64({2, 2}, {1, 0, 0, 2})}, {"intercept_", array_intercept ? F64({2}, {10, 20}) : Float(0.0)}});
    auto m = BuildEstimator(*obj);
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_EQ((*m)->n_outputs(), 2u);
    const double x[2] = {3, 4};
    double y[2];
    ASSERT_TRUE((*m)->PredictValue(x, 1, y).ok());
    EXPECT_EQ(y[0], array_intercept ? 13 : 3);
    EXPECT_EQ(y[1], array_intercept ? 28 : 8);
  }
}

TEST(LinearRegressor, RejectsBadState) {
  auto missing = Obj(kLR, {{"intercept_", Float(0.0)}});
  auto m = BuildEstimator(*missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "LinearRegression: missing attribute 'coef_'");

  auto bad_icpt = Obj("sklearn.linear_model._coordinate_descent.Lasso",
                      {{"coef_", F64({2, 3}, {1, 2, 3, 4, 5, 6})}, {"intercept_", F64({3}, {1, 2, 3})}});
  EXPECT_FALSE(BuildEstimator(*bad_icpt).ok());

  auto bad_nf = Obj("sklearn.linear_model._coordinate_descent.ElasticNet",
                    {{"coef_", F64({3}, {1, 2, 3})}, {"intercept_", Float(0.0)}, {"n_features_in_", Int(4)}});
  auto r = BuildEstimator(*bad_nf);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("n_features_in_ is 4"), std::string::npos);

  auto str_coef = Obj(kLR, {{"coef_", Str("x")}, {"intercept_", Float(0.0)}});
  EXPECT_FALSE(BuildEstimator(*str_coef).ok());
}

ValuePtr Logit(ValuePtr classes, std::vector<size_t> coef_shape, std::vector<double> coef, std::vector<double> icpt,
               const char* multi_class, const char* solver = "lbfgs") {
  std::vector<std::pair<std::string, ValuePtr>> st = {{"classes_", std::move(classes)},
                                                      {"coef_", F64(std::move(coef_shape), coef)},
                                                      {"intercept_", F64({icpt.size()}, icpt)},
                                                      {"solver", Str(solver)},
                                                      {"_sklearn_version", Str("1.2.1")}};
  if (multi_class) st.emplace_back("multi_class", Str(multi_class));
  return Obj(kLogit, std::move(st));
}

TEST(LogisticRegression, BinaryOvrWithStringLabels) {
  auto m = BuildEstimator(*Logit(UArray({"no", "yes"}), {1, 2}, {1.0, -1.0}, {0.25}, "auto"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->classes()[1].json, "\"yes\"");
  const double x[4] = {1, 0, 0, 1};  // d = 1.25, -0.75
  int32_t c[2];
  ASSERT_TRUE((*m)->PredictClass(x, 2, c).ok());
  EXPECT_EQ(c[0], 1);
  EXPECT_EQ(c[1], 0);
  double p[4];
  ASSERT_TRUE((*m)->PredictProba(x, 2, p).ok());
  const double e = 1.0 / (1.0 + std::exp(-1.25));
  EXPECT_EQ(p[1], e);
  EXPECT_EQ(p[0], 1.0 - e);
}

TEST(LogisticRegression, BinaryMultinomialIsExpitOfTwiceD) {
  auto m = BuildEstimator(*Logit(I64({2}, {3, 7}), {1, 1}, {1.0}, {0.0}, "multinomial"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[1] = {0.8};
  double p[2];
  ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
  EXPECT_NEAR(p[1], 1.0 / (1.0 + std::exp(-1.6)), 1e-15);
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-15);
  // Not expit(d): that is the OvR answer.
  EXPECT_GT(std::abs(p[1] - 1.0 / (1.0 + std::exp(-0.8))), 0.05);
}

TEST(LogisticRegression, MulticlassSoftmaxAndOvr) {
  const std::vector<double> coef = {1, 0, 0, 1, -1, -1};
  const std::vector<double> icpt = {0.1, 0.2, 0.3};
  const double x[2] = {0.5, -0.25};
  double d[3];
  for (int k = 0; k < 3; ++k) d[k] = x[0] * coef[2 * k] + x[1] * coef[2 * k + 1] + icpt[k];
  for (const char* mc : {"multinomial", "ovr"}) {
    auto m = BuildEstimator(*Logit(I64({3}, {0, 1, 2}), {3, 2}, coef, icpt, mc));
    ASSERT_TRUE(m.ok()) << m.status().message();
    double p[3];
    ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
    double want[3], s = 0;
    for (int k = 0; k < 3; ++k) {
      want[k] = std::string(mc) == "ovr" ? 1 / (1 + std::exp(-d[k])) : std::exp(d[k]);
      s += want[k];
    }
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(p[k], want[k] / s, 1e-15) << mc << k;
    int32_t c;
    ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
    EXPECT_EQ(c, 0);  // d = {0.6, -0.05, 0.05}
  }
}

TEST(LogisticRegression, ProbaRuleTable) {
  const Version v12{1, 2}, v16{1, 6};
  auto rule = [](std::optional<std::string> mc, const char* solver, size_t k, Version v) {
    return *ChooseProbaRule(mc, solver, k, v);
  };
  EXPECT_EQ(rule("ovr", "lbfgs", 3, v12), ProbaRule::kOvr);
  EXPECT_EQ(rule("multinomial", "lbfgs", 2, v12), ProbaRule::kSoftmax);
  EXPECT_EQ(rule("auto", "lbfgs", 2, v12), ProbaRule::kOvr);
  EXPECT_EQ(rule("auto", "lbfgs", 3, v12), ProbaRule::kSoftmax);
  EXPECT_EQ(rule("auto", "liblinear", 3, v12), ProbaRule::kOvr);
  EXPECT_EQ(rule("auto", "newton-cholesky", 3, v12), ProbaRule::kOvr);
  EXPECT_EQ(rule("deprecated", "newton-cholesky", 3, v16), ProbaRule::kSoftmax);
  EXPECT_EQ(rule(std::nullopt, "lbfgs", 2, v16), ProbaRule::kOvr);
  EXPECT_EQ(rule(std::nullopt, "lbfgs", 3, v16), ProbaRule::kSoftmax);
  EXPECT_FALSE(ChooseProbaRule(std::string("bogus"), "lbfgs", 3, v12).ok());
}

TEST(LogisticRegression, LabelTypesAndShapeChecks) {
  auto b = BuildEstimator(*Logit(BoolArray({0, 1}), {1, 1}, {1.0}, {0.0}, "auto"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->classes()[0].json, "false");
  auto f = BuildEstimator(*Logit(F64({2}, {0.5, 2.0}), {1, 1}, {1.0}, {0.0}, "auto"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->classes()[1].json, "2.0");
  auto o = BuildEstimator(*Logit(ObjArray({2}, {Str("a"), Str("b")}), {1, 1}, {1.0}, {0.0}, "auto"));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ((*o)->classes()[0].json, "\"a\"");
  // 3 classes need 3 coefficient rows.
  EXPECT_FALSE(BuildEstimator(*Logit(I64({3}, {0, 1, 2}), {1, 1}, {1.0}, {0.0}, "auto")).ok());
  // intercept length must match.
  EXPECT_FALSE(BuildEstimator(*Logit(I64({2}, {0, 1}), {1, 1}, {1.0}, {0.0, 1.0}, "auto")).ok());
  // one class only.
  EXPECT_FALSE(BuildEstimator(*Logit(I64({1}, {0}), {1, 1}, {1.0}, {0.0}, "auto")).ok());
}

TEST(Numeric, NumpySumIsPairwise) {
  // numpy: np.array([1e16] + [1.0]*9).sum() - 1e16 == 8.0, and [1e16, 1, 1] sums to 1e16.
  std::vector<double> a = {1e16, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(NumpySum(a.data(), a.size()) - 1e16, 8.0);
  std::vector<double> b = {1e16, 1, 1};
  EXPECT_EQ(NumpySum(b.data(), b.size()) - 1e16, 0.0);
}

}  // namespace
}  // namespace inferd::sklearn
