#include <cmath>

#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

constexpr const char* kMLPC = "sklearn.neural_network._multilayer_perceptron.MLPClassifier";
constexpr const char* kMLPR = "sklearn.neural_network._multilayer_perceptron.MLPRegressor";

// 2 inputs -> 2 hidden -> n_out.
ValuePtr Mlp(const char* cls, const char* act, const char* out_act, ValuePtr classes, size_t n_out) {
  std::vector<double> w2(2 * n_out), b2(n_out);
  for (size_t j = 0; j < n_out; ++j) {
    w2[j] = 0.5 + j;
    w2[n_out + j] = -1.0 + 0.25 * j;
    b2[j] = 0.1 * j;
  }
  std::vector<std::pair<std::string, ValuePtr>> st = {
      {"coefs_", List({F64({2, 2}, {1.0, -2.0, 0.5, 0.25}), F64({2, n_out}, w2)})},
      {"intercepts_", List({F64({2}, {0.1, -0.3}), F64({n_out}, b2)})},
      {"activation", Str(act)},
      {"out_activation_", Str(out_act)},
      {"n_layers_", Int(3)},
      {"_sklearn_version", Str("1.2.1")}};
  if (classes) st.emplace_back("classes_", classes);
  return Obj(cls, std::move(st));
}

double Act(const std::string& a, double z) {
  if (a == "relu") return z > 0 ? z : 0;
  if (a == "tanh") return std::tanh(z);
  if (a == "logistic") return 1 / (1 + std::exp(-z));
  return z;
}

TEST(Mlp, RegressorForwardPassPerActivation) {
  for (const char* act : {"relu", "tanh", "logistic", "identity"}) {
    auto m = BuildEstimator(*Mlp(kMLPR, act, "identity", nullptr, 1));
    ASSERT_TRUE(m.ok()) << m.status().message();
    const double x[2] = {0.7, -1.1};
    const double h0 = Act(act, 0.7 * 1.0 + -1.1 * 0.5 + 0.1), h1 = Act(act, 0.7 * -2.0 + -1.1 * 0.25 - 0.3);
    double y;
    ASSERT_TRUE((*m)->PredictValue(x, 1, &y).ok());
    EXPECT_NEAR(y, h0 * 0.5 + h1 * -1.0, 1e-15) << act;
  }
}

TEST(Mlp, BinaryUsesStrictHalfThreshold) {
  auto m = BuildEstimator(*Mlp(kMLPC, "identity", "logistic", UArray({"n", "y"}), 1));
  ASSERT_TRUE(m.ok()) << m.status().message();
  // Output z = 0.5 h0 - h1 = 0.5 (x0 + 0.5 x1 + 0.1) - (-2 x0 + 0.25 x1 - 0.3) = 2.5 x0 + 0.35.
  const double x[4] = {-0.14, 0.0, 0.3, 0.0};  // z = 0 exactly (p = 0.5 -> class 0), z > 0
  double p[4];
  ASSERT_TRUE((*m)->PredictProba(x, 2, p).ok());
  int32_t c[2];
  ASSERT_TRUE((*m)->PredictClass(x, 2, c).ok());
  EXPECT_EQ(c[0], p[1] > 0.5 ? 1 : 0);
  EXPECT_EQ(c[1], 1);
  EXPECT_DOUBLE_EQ(p[2] + p[3], 1.0);
}

TEST(Mlp, MulticlassSoftmax) {
  auto m = BuildEstimator(*Mlp(kMLPC, "tanh", "softmax", I64({3}, {1, 2, 3}), 3));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[2] = {0.2, 0.9};
  double p[3];
  ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-15);
  int32_t c;
  ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
  EXPECT_EQ(c, std::max_element(p, p + 3) - p);
}

TEST(Mlp, RefusesBrokenChainsAndMultilabel) {
  auto o = Mlp(kMLPR, "relu", "identity", nullptr, 1);
  SetAttr(o, "coefs_", List({F64({2, 2}, {1, 2, 3, 4}), F64({3, 1}, {1, 2, 3})}));
  auto r = BuildEstimator(*o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("coefs_[1]"), std::string::npos) << r.status().message();
  o = Mlp(kMLPR, "relu", "identity", nullptr, 1);
  SetAttr(o, "intercepts_", List({F64({3}, {1, 2, 3}), F64({1}, {0})}));
  EXPECT_FALSE(BuildEstimator(*o).ok());
  o = Mlp(kMLPR, "relu", "identity", nullptr, 1);
  SetAttr(o, "intercepts_", List({F64({2}, {1, 2})}));
  EXPECT_FALSE(BuildEstimator(*o).ok());
  o = Mlp(kMLPR, "relu", "identity", nullptr, 1);
  SetAttr(o, "n_features_in_", Int(5));
  EXPECT_FALSE(BuildEstimator(*o).ok());
  o = Mlp(kMLPR, "swish", "identity", nullptr, 1);
  EXPECT_FALSE(BuildEstimator(*o).ok());
  // Multi-label: logistic outputs over 3 columns.
  EXPECT_FALSE(BuildEstimator(*Mlp(kMLPC, "relu", "logistic", I64({3}, {0, 1, 2}), 3)).ok());
  // 3 classes but 2 softmax outputs.
  EXPECT_FALSE(BuildEstimator(*Mlp(kMLPC, "relu", "softmax", I64({3}, {0, 1, 2}), 2)).ok());
  o = Mlp(kMLPR, "relu", "identity", nullptr, 1);
  SetAttr(o, "coefs_", Str("nope"));
  EXPECT_FALSE(BuildEstimator(*o).ok());
}

}  // namespace
}  // namespace inferd::sklearn
