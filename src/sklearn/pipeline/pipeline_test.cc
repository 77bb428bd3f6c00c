#include <cmath>

#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

ValuePtr Scaler() {
  return Obj(
      "sklearn.preprocessing._data.StandardScaler",
      {{"with_mean", Bool(true)}, {"with_std", Bool(true)}, {"mean_", F64({2}, {1, 1})}, {"scale_", F64({2}, {2, 4})}});
}
ValuePtr Logit() {
  return Obj("sklearn.linear_model._logistic.LogisticRegression", {{"classes_", I64({2}, {0, 1})},
                                                                   {"coef_", F64({1, 2}, {1, 1})},
                                                                   {"intercept_", F64({1}, {0})},
                                                                   {"multi_class", Str("auto")},
                                                                   {"solver", Str("lbfgs")}});
}
ValuePtr Pipe(std::vector<ValuePtr> steps) {
  std::vector<ValuePtr> items;
  for (size_t i = 0; i < steps.size(); ++i) items.push_back(Tuple({Str("s" + std::to_string(i)), steps[i]}));
  return Obj("sklearn.pipeline.Pipeline", {{"steps", List(items)}});
}

TEST(Pipeline, ScalerThenClassifierWithPassthrough) {
  auto m = BuildEstimator(*Pipe({Scaler(), Str("passthrough"), None(), Logit()}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->kind(), ModelKind::kClassifier);
  EXPECT_TRUE((*m)->has_proba());
  EXPECT_EQ((*m)->Describe(), "Pipeline(StandardScaler, LogisticRegression[ovr, 2 classes])");
  const double x[4] = {3, 5, -1, 1};  // scaled: (1, 1) -> d = 2 ; (-1, 0) -> d = -1
  double p[4];
  ASSERT_TRUE((*m)->PredictProba(x, 2, p).ok());
  EXPECT_EQ(p[1], 1 / (1 + std::exp(-2.0)));
  EXPECT_EQ(p[3], 1 / (1 + std::exp(1.0)));
  int32_t c[2];
  ASSERT_TRUE((*m)->PredictClass(x, 2, c).ok());
  EXPECT_EQ(c[0], 1);
  EXPECT_EQ(c[1], 0);
}

TEST(Pipeline, EndingInTransformerAndNested) {
  auto t = BuildEstimator(*Pipe({Scaler(), Str("passthrough")}));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ((*t)->kind(), ModelKind::kTransformer);
  auto nested = BuildEstimator(*Pipe({Pipe({Scaler(), Scaler()}), Scaler(), Logit()}));
  ASSERT_TRUE(nested.ok()) << nested.status().message();
  const double x[2] = {17, 33};  // three scalings: (17,33)->(8,8)->(3.5,1.75)->(1.25,0.1875)
  double p[2];
  ASSERT_TRUE((*nested)->PredictProba(x, 1, p).ok());
  EXPECT_EQ(p[1], 1 / (1 + std::exp(-(1.25 + 0.1875))));
  double y[2];
  ASSERT_TRUE((*t)->Transform(x, 1, y).ok());
  EXPECT_EQ(y[0], 8);
  EXPECT_EQ(y[1], 8);
}

TEST(Pipeline, Errors) {
  auto wide = Obj("sklearn.preprocessing._data.StandardScaler",
                  {{"with_mean", Bool(true)}, {"with_std", Bool(false)}, {"mean_", F64({3}, {1, 1, 1})}});
  EXPECT_FALSE(BuildEstimator(*Pipe({wide, Logit()})).ok());
  EXPECT_FALSE(BuildEstimator(*Pipe({Logit(), Scaler()})).ok());
  EXPECT_FALSE(BuildEstimator(*Pipe({Str("passthrough")})).ok());
  auto svc = BuildEstimator(*Pipe({Scaler(), Obj("sklearn.svm._classes.OneClassSVM", {})}));
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.status().message(), "Pipeline: step 's1': unsupported estimator 'sklearn.svm._classes.OneClassSVM'");
}

}  // namespace
}  // namespace inferd::sklearn
