#include <cmath>

#include <gtest/gtest.h>

#include "sklearn/input_schema_builder.h"
#include "sklearn/pipeline/pipeline.h"
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

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

// A transformer that knows its columns: `string_cols` read strings (category "k<col>"), the
// others numbers; with `copies`, output column j copies input column copies[j].
class FactsTransformer final : public Model, public DescribesInputs, public PassesColumnsThrough {
 public:
  FactsTransformer(size_t n_in, std::vector<size_t> string_cols, std::vector<long> copies, bool refuse_unknown)
      : n_in_(n_in), strings_(std::move(string_cols)), copies_(std::move(copies)), refuse_(refuse_unknown) {}
  ModelKind kind() const override { return ModelKind::kTransformer; }
  size_t n_features() const override { return n_in_; }
  size_t n_outputs() const override { return copies_.empty() ? n_in_ : copies_.size(); }
  const std::vector<Label>& classes() const override { return none_; }
  std::string Describe() const override { return "FactsTransformer"; }
  Status Transform(const double*, size_t, double*) const override { return Status::Ok(); }
  void DescribeInputs(std::span<ColumnFacts> facts) const override {
    for (size_t c : strings_) {
      facts[c].type = InputColumn::Type::kString;
      facts[c].categories.push_back("k" + std::to_string(c) + (copies_.empty() ? "-late" : ""));
      facts[c].unknown_is_error = refuse_;
    }
  }
  const std::vector<long>& passed_through() const override { return copies_; }

 private:
  size_t n_in_;
  std::vector<size_t> strings_;
  std::vector<long> copies_;
  bool refuse_;
  std::vector<Label> none_;
};

TEST(PipelineFacts, FollowColumnsThroughStepsThatPassThem) {
  // Step 1 (an imputer-like step) keeps columns 2 and 0 and adds an indicator; step 2 (an
  // encoder-like step) reads its column 0 (input 2) as strings and refuses unknown ones.
  std::vector<std::unique_ptr<const Model>> steps;
  steps.push_back(std::make_unique<FactsTransformer>(3, std::vector<size_t>{2}, std::vector<long>{2, 0, -1}, false));
  steps.push_back(std::make_unique<FactsTransformer>(3, std::vector<size_t>{0, 2}, std::vector<long>{}, true));
  PipelineModel pipe(std::move(steps), nullptr);
  std::vector<ColumnFacts> facts = DescribeInputsOf(pipe);
  ASSERT_EQ(facts.size(), 3u);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kNumber);
  EXPECT_EQ(facts[1].type, InputColumn::Type::kNumber);
  EXPECT_EQ(facts[2].type, InputColumn::Type::kString);
  EXPECT_EQ(facts[2].categories, (std::vector<std::string>{"k2", "k0-late"}));
  EXPECT_TRUE(facts[2].unknown_is_error);
}

TEST(PipelineFacts, SchemaNamesComeFromTheFirstStep) {
  auto scaler = Scaler();
  scaler->state->entries.push_back({Str("feature_names_in_"), ObjArray({2}, {Str("age"), Str("fare")})});
  auto root = Pipe({Str("passthrough"), scaler, Logit()});
  auto m = BuildEstimator(*root);
  ASSERT_TRUE(m.ok()) << m.status().message();
  InputSchema schema = BuildInputSchema(*root, **m);
  ASSERT_EQ(schema.size(), 2u);
  EXPECT_TRUE(schema.named());
  EXPECT_EQ(schema.columns()[0].name, "age");
  EXPECT_EQ(schema.columns()[1].name, "fare");
  EXPECT_FALSE(schema.has_strings());
  InputSchema plain = BuildInputSchema(*Pipe({Scaler(), Logit()}), **m);
  EXPECT_FALSE(plain.named());
  EXPECT_EQ(plain.columns()[1].name, "x1");
  ModelPtr wrapped = WithInputSchema(std::move(m).value(), std::move(schema));
  EXPECT_EQ(wrapped->input_schema().Find("fare"), 1);
  EXPECT_EQ(wrapped->Describe(), "Pipeline(StandardScaler, LogisticRegression[ovr, 2 classes])");
}

ValuePtr Pca() {
  return Obj("sklearn.decomposition._pca.PCA", {{"components_", F64({2, 2}, {0.6, 0.8, -0.8, 0.6})},
                                                {"mean_", F64({2}, {1, 1})},
                                                {"whiten", Bool(false)},
                                                {"_sklearn_version", Str("1.2.1")}});
}
ValuePtr Poly() {
  return Obj("sklearn.preprocessing._polynomial.PolynomialFeatures", {{"n_features_in_", Int(2)},
                                                                      {"_min_degree", Int(0)},
                                                                      {"_max_degree", Int(2)},
                                                                      {"interaction_only", Bool(false)},
                                                                      {"include_bias", Bool(true)},
                                                                      {"n_output_features_", Int(6)}});
}
ValuePtr Linear(std::vector<double> coef) {
  const size_t n = coef.size();
  return Obj(
      "sklearn.linear_model._base.LinearRegression",
      {{"coef_", F64({n}, coef)}, {"intercept_", F64Scalar(0.5)}, {"n_features_in_", Int(static_cast<int64_t>(n))}});
}

TEST(PipelineContributions, MixingStepGivesTheFinalEstimatorsPerTransformedFeature) {
  // Scaler -> PCA -> logistic regression: per column is impossible, so the default form is
  // per transformed feature, the final step's coef * z with its intercept as the bias.
  auto root = Pipe({Scaler(), Pca(), Logit()});
  auto m = BuildEstimator(*root);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->contribution_groups(), 1u);
  EXPECT_EQ((*m)->contribution_form(), ContributionForm::kTransformedFeatures);
  EXPECT_EQ((*m)->transformed_feature_names(), (std::vector<std::string>{"pca0", "pca1"}));
  const double x[2] = {3, 5};   // scaled (1, 1); PCA: (0.6 * 0 + 0.8 * 0, ...) of (1, 1) - (1, 1) = (0, 0)
  const double x2[2] = {5, 9};  // scaled (2, 2) - mean (1, 1) = (1, 1): z = (1.4, -0.2)
  double c[3], t[3], d[1];
  for (const double* row : {x, x2}) {
    ASSERT_TRUE((*m)->Contributions(row, 1, c).ok());
    ASSERT_TRUE((*m)->TransformedContributions(row, 1, t).ok());
    ASSERT_TRUE((*m)->DecisionFunction(row, 1, d).ok());
    EXPECT_EQ(std::vector<double>(c, c + 3), std::vector<double>(t, t + 3));
    EXPECT_DOUBLE_EQ(c[0] + c[1] + c[2], d[0]);  // additivity
    EXPECT_EQ(c[2], 0.0);                        // the intercept
  }
  EXPECT_DOUBLE_EQ(c[0], 1.4);
  EXPECT_DOUBLE_EQ(c[1], -0.2);
}

TEST(PipelineContributions, ColumnPipelineOffersBothFormsAndSchemaNamesThem) {
  auto scaler = Scaler();
  scaler->state->entries.push_back({Str("feature_names_in_"), ObjArray({2}, {Str("age"), Str("fare")})});
  auto root = Pipe({scaler, Logit()});
  auto m = BuildEstimator(*root);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->contribution_form(), ContributionForm::kInputColumns);
  EXPECT_EQ((*m)->transformed_feature_names(), (std::vector<std::string>{"x0", "x1"}));
  InputSchema schema = BuildInputSchema(*root, **m);
  ModelPtr named = WithInputSchema(std::move(m).value(), std::move(schema));
  EXPECT_EQ(named->transformed_feature_names(), (std::vector<std::string>{"age", "fare"}));
  const double x[2] = {3, 9};  // scaled (1, 2)
  double c[3], t[3];
  ASSERT_TRUE(named->Contributions(x, 1, c).ok());
  ASSERT_TRUE(named->TransformedContributions(x, 1, t).ok());
  EXPECT_EQ(std::vector<double>(c, c + 3), (std::vector<double>{1, 2, 0}));
  EXPECT_EQ(std::vector<double>(t, t + 3), (std::vector<double>{1, 2, 0}));
}

TEST(PipelineContributions, PolynomialFeaturesNamedAsSklearn) {
  auto m = BuildEstimator(*Pipe({Poly(), Linear({0, 1, 2, 3, 4, 5})}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->contribution_form(), ContributionForm::kTransformedFeatures);
  EXPECT_EQ((*m)->transformed_feature_names(), (std::vector<std::string>{"1", "x0", "x1", "x0^2", "x0 x1", "x1^2"}));
  const double x[2] = {2, 3};  // 1, 2, 3, 4, 6, 9
  double c[7], v[1];
  ASSERT_TRUE((*m)->Contributions(x, 1, c).ok());
  ASSERT_TRUE((*m)->PredictValue(x, 1, v).ok());
  EXPECT_EQ(std::vector<double>(c, c + 7), (std::vector<double>{0, 2, 6, 12, 24, 45, 0.5}));
  double sum = 0;
  for (double e : c) sum += e;
  EXPECT_DOUBLE_EQ(sum, v[0]);
}

}  // namespace
}  // namespace inferd::sklearn
