#include <cmath>

#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/svm/pairwise_coupling.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

constexpr const char* kSVC = "sklearn.svm._classes.SVC";

// 3 classes, 1 feature, one support vector per class at -1, 0, 1; linear kernel.
ValuePtr ThreeClassSvc(const char* shape = "ovr", bool probability = false) {
  std::vector<std::pair<std::string, ValuePtr>> st = {
      {"kernel", Str("linear")},
      {"_gamma", Float(0.5)},
      {"coef0", Float(0.0)},
      {"degree", Int(3)},
      {"classes_", I64({3}, {10, 20, 30})},
      {"support_vectors_", F64({3, 1}, {-1, 0, 1})},
      {"_n_support", NumArray<int32_t>('i', {3}, {1, 1, 1})},
      // rows: class pairs' coefficients (K-1 x nSV)
      {"_dual_coef_", F64({2, 3}, {1.0, 0.5, 0.25, -1.0, -0.5, -0.25})},
      {"_intercept_", F64({3}, {0.1, -0.2, 0.3})},
      {"decision_function_shape", Str(shape)},
      {"break_ties", Bool(false)},
      {"probability", Bool(probability)},
      {"_probA", F64({probability ? 3u : 0u}, probability ? std::vector<double>{-2, -1, -3} : std::vector<double>{})},
      {"_probB", F64({probability ? 3u : 0u}, probability ? std::vector<double>{0.1, 0, -0.1} : std::vector<double>{})},
      {"_sklearn_version", Str("1.2.1")}};
  return Obj(kSVC, std::move(st));
}

// libsvm's pairwise decisions for the model above, computed independently.
std::vector<double> Pairwise(double x) {
  const double k[3] = {-x, 0.0, x};  // linear kernel with SVs -1, 0, 1
  // pair (0,1): dual[0][sv0]*k0 + dual[0][sv1]*k1 + icpt0 ; coef1 = row j-1 = 0 for class 0,
  // coef2 = row i = 0 for class 1.
  const double p01 = 1.0 * k[0] + 0.5 * k[1] + 0.1;
  // pair (0,2): coef1 = row 1 for class 0 SVs, coef2 = row 0 for class 2 SVs.
  const double p02 = -1.0 * k[0] + 0.25 * k[2] - 0.2;
  // pair (1,2): coef1 = row 1 for class 1 SVs, coef2 = row 1 for class 2 SVs.
  const double p12 = -0.5 * k[1] + -0.25 * k[2] + 0.3;
  return {p01, p02, p12};
}

TEST(Svc, PairwiseDecisionsVotesAndShapes) {
  auto ovo = BuildEstimator(*ThreeClassSvc("ovo"));
  ASSERT_TRUE(ovo.ok()) << ovo.status().message();
  EXPECT_EQ((*ovo)->decision_function_width(), 3u);
  EXPECT_FALSE((*ovo)->has_proba());
  auto ovr = BuildEstimator(*ThreeClassSvc("ovr"));
  ASSERT_TRUE(ovr.ok());
  EXPECT_EQ((*ovr)->decision_function_width(), 3u);
  for (double x : {-2.0, -0.3, 0.0, 0.7, 3.0}) {
    const std::vector<double> want = Pairwise(x);
    double got[3];
    ASSERT_TRUE((*ovo)->DecisionFunction(&x, 1, got).ok());
    for (int p = 0; p < 3; ++p) EXPECT_NEAR(got[p], want[p], 1e-15) << x;
    int votes[3] = {0, 0, 0};
    votes[want[0] > 0 ? 0 : 1]++;
    votes[want[1] > 0 ? 0 : 2]++;
    votes[want[2] > 0 ? 1 : 2]++;
    int best = 0;
    for (int c = 1; c < 3; ++c) best = votes[c] > votes[best] ? c : best;
    int32_t cls;
    ASSERT_TRUE((*ovo)->PredictClass(&x, 1, &cls).ok());
    EXPECT_EQ(cls, best) << x;
    // ovr: votes + conf / (3 (|conf| + 1)), conf_i = sum of +dec as the first class, -dec as the second.
    double conf[3] = {want[0] + want[1], -want[0] + want[2], -want[1] - want[2]};
    double ovr_got[3];
    ASSERT_TRUE((*ovr)->DecisionFunction(&x, 1, ovr_got).ok());
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(ovr_got[c], votes[c] + conf[c] / (3 * (std::fabs(conf[c]) + 1)), 1e-15);
  }
}

TEST(Svc, BinaryDecisionIsNegatedAndWidthOne) {
  auto obj = Obj(kSVC, {{"kernel", Str("rbf")},
                        {"_gamma", Float(0.5)},
                        {"coef0", Float(0.0)},
                        {"degree", Int(3)},
                        {"classes_", UArray({"no", "yes"})},
                        {"support_vectors_", F64({2, 2}, {0, 0, 1, 1})},
                        {"_n_support", NumArray<int32_t>('i', {2}, {1, 1})},
                        {"_dual_coef_", F64({1, 2}, {0.7, -0.7})},
                        {"_intercept_", F64({1}, {0.05})}});
  auto m = BuildEstimator(*obj);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->decision_function_width(), 1u);
  const double x[2] = {0.2, 0.1};
  const double k0 = std::exp(-0.5 * (0.04 + 0.01)), k1 = std::exp(-0.5 * (0.64 + 0.81));
  const double dec = 0.7 * k0 - 0.7 * k1 + 0.05;
  double d;
  ASSERT_TRUE((*m)->DecisionFunction(x, 1, &d).ok());
  EXPECT_DOUBLE_EQ(d, -dec);
  int32_t c;
  ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
  EXPECT_EQ(c, dec > 0 ? 0 : 1);
}

TEST(Svc, ProbabilitiesUsePairwiseCoupling) {
  auto m = BuildEstimator(*ThreeClassSvc("ovr", true));
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE((*m)->has_proba());
  const double x = 0.4;
  double p[3];
  ASSERT_TRUE((*m)->PredictProba(&x, 1, p).ok());
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-12);
  // Same pipeline by hand: Platt sigmoid per pair then coupling.
  const std::vector<double> dec = Pairwise(x);
  const double a[3] = {-2, -1, -3}, b[3] = {0.1, 0, -0.1};
  double r[9] = {0};
  int q = 0;
  for (int i = 0; i < 3; ++i) {
    for (int j = i + 1; j < 3; ++j, ++q) {
      const double s = 1.0 / (1.0 + std::exp(dec[q] * a[q] + b[q]));
      r[i * 3 + j] = s;
      r[j * 3 + i] = 1 - s;
    }
  }
  double want[3], scratch[12];
  MulticlassProbability(3, r, want, scratch);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(p[c], want[c], 1e-15);
}

TEST(PairwiseCoupling, RecoversConsistentProbabilitiesAndIteratesForTwoClasses) {
  const double truth[3] = {0.5, 0.3, 0.2};
  double r[9] = {0};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      if (i != j) r[i * 3 + j] = truth[i] / (truth[i] + truth[j]);
    }
  }
  double p[3], scratch[12];
  MulticlassProbability(3, r, p, scratch);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(p[c], truth[c], 5e-3);
  // k = 2 runs the iteration too: it starts at 1/2 and stops within tolerance of r01,
  // so it is close to, but not exactly, the closed form.
  double r2[4] = {0, 0.9, 0.1, 0};
  double p2[2], s2[6];
  MulticlassProbability(2, r2, p2, s2);
  EXPECT_NEAR(p2[0], 0.9, 5e-3);
  EXPECT_NE(p2[0], 0.9);
  EXPECT_NEAR(p2[0] + p2[1], 1.0, 1e-15);
  EXPECT_NEAR(PlattSigmoid(2.0, -1.0, 0.5), 1.0 / (1.0 + std::exp(-1.5)), 1e-16);
  EXPECT_NEAR(PlattSigmoid(-2.0, -1.0, 0.5), 1.0 / (1.0 + std::exp(2.5)), 1e-16);
}

TEST(Svc, RefusesInconsistentState) {
  auto check = [](ValuePtr obj, const std::string& needle) {
    auto m = BuildEstimator(*obj);
    ASSERT_FALSE(m.ok()) << needle;
    EXPECT_NE(m.status().message().find(needle), std::string::npos) << m.status().message();
    EXPECT_EQ(m.status().message().find('\n'), std::string::npos);
  };
  auto o = ThreeClassSvc();
  SetAttr(o, "_n_support", NumArray<int32_t>('i', {3}, {1, 1, 2}));
  check(o, "_n_support");
  o = ThreeClassSvc();
  SetAttr(o, "_n_support", NumArray<int32_t>('i', {3}, {-1, 2, 2}));
  check(o, "_n_support");
  o = ThreeClassSvc();
  SetAttr(o, "_n_support", NumArray<int32_t>('i', {2}, {1, 2}));
  check(o, "_n_support");
  o = ThreeClassSvc();
  SetAttr(o, "_dual_coef_", F64({1, 3}, {1, 2, 3}));
  check(o, "_dual_coef_");
  o = ThreeClassSvc();
  SetAttr(o, "_intercept_", F64({2}, {1, 2}));
  check(o, "_intercept_");
  o = ThreeClassSvc("ovr", true);
  SetAttr(o, "_probA", F64({1}, {1}));
  check(o, "_probA");
  o = ThreeClassSvc();
  SetAttr(o, "kernel", Str("precomputed"));
  check(o, "precomputed");
  o = ThreeClassSvc();
  SetAttr(o, "degree", Int(-1));
  check(o, "degree");
  o = ThreeClassSvc();
  SetAttr(o, "support_vectors_", F64({3}, {1, 2, 3}));
  check(o, "support_vectors_");
  o = ThreeClassSvc("ovo");
  SetAttr(o, "break_ties", Bool(true));
  check(o, "break_ties");
  o = ThreeClassSvc();
  EraseAttr(o, "_gamma");
  check(o, "_gamma");
}

TEST(Svc, OldAttributeNames) {
  auto o = ThreeClassSvc("ovr", true);
  auto fresh = BuildEstimator(*o);
  ASSERT_TRUE(fresh.ok());
  // sklearn < 0.23 / < 1.0 spellings of the same state.
  SetAttr(o, "n_support_", NumArray<int32_t>('i', {3}, {1, 1, 1}));
  EraseAttr(o, "_n_support");
  SetAttr(o, "probA_", F64({3}, {-2, -1, -3}));
  SetAttr(o, "probB_", F64({3}, {0.1, 0, -0.1}));
  EraseAttr(o, "_probA");
  EraseAttr(o, "_probB");
  auto old = BuildEstimator(*o);
  ASSERT_TRUE(old.ok()) << old.status().message();
  const double x = -0.6;
  double a[3], b[3];
  ASSERT_TRUE((*fresh)->PredictProba(&x, 1, a).ok());
  ASSERT_TRUE((*old)->PredictProba(&x, 1, b).ok());
  for (int c = 0; c < 3; ++c) EXPECT_EQ(a[c], b[c]);
}

TEST(Svr, PolyAndSigmoidKernels) {
  for (const char* kernel : {"poly", "sigmoid"}) {
    auto obj = Obj("sklearn.svm._classes.SVR", {{"kernel", Str(kernel)},
                                                {"_gamma", Float(0.3)},
                                                {"coef0", Float(0.5)},
                                                {"degree", Int(3)},
                                                {"support_vectors_", F64({2, 2}, {1, 2, -1, 0.5})},
                                                {"_n_support", NumArray<int32_t>('i', {2}, {2, 2})},
                                                {"_dual_coef_", F64({1, 2}, {1.5, -0.5})},
                                                {"_intercept_", F64({1}, {2.0})}});
    auto m = BuildEstimator(*obj);
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_EQ((*m)->kind(), ModelKind::kRegressor);
    const double x[2] = {0.5, -1.0};
    auto k = [&](double dot) {
      const double v = 0.3 * dot + 0.5;
      return std::string(kernel) == "poly" ? v * v * v : std::tanh(v);
    };
    const double want = 1.5 * k(0.5 * 1 - 1.0 * 2) - 0.5 * k(-0.5 - 0.5) + 2.0;
    double y;
    ASSERT_TRUE((*m)->PredictValue(x, 1, &y).ok());
    EXPECT_NEAR(y, want, 1e-14) << kernel;
  }
  auto bad = Obj("sklearn.svm._classes.NuSVR", {{"kernel", Str("rbf")},
                                                {"_gamma", Float(0.3)},
                                                {"coef0", Float(0.0)},
                                                {"degree", Int(3)},
                                                {"support_vectors_", F64({2, 2}, {1, 2, -1, 0.5})},
                                                {"_dual_coef_", F64({1, 3}, {1.5, -0.5, 1})},
                                                {"_intercept_", F64({1}, {2.0})}});
  EXPECT_FALSE(BuildEstimator(*bad).ok());
}

}  // namespace
}  // namespace inferd::sklearn
