#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "inferd/input_schema.h"
#include "sklearn/pipeline/column_facts.h"
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

TEST(ColumnTransformer, SlicesByNameIncludeTheStopColumn) {
  auto names = ObjArray({4}, {Str("w"), Str("x"), Str("y"), Str("z")});
  auto ct = Obj(kCT, {{"n_features_in_", Int(4)},
                      {"feature_names_in_", names},
                      {"transformers_", List({Entry("s", Scaler(2, 2.0), Slice(Str("x"), Str("y"), None())),
                                              Entry("t", Str("passthrough"), Slice(None(), Str("w"), None()))})}});
  auto m = BuildEstimator(*ct);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[4] = {2, 4, 6, 8};
  double y[3];
  ASSERT_TRUE((*m)->Transform(x, 1, y).ok());
  EXPECT_EQ(std::vector<double>(y, y + 3), (std::vector<double>{2, 3, 2}));
  auto bad = Obj(kCT, {{"n_features_in_", Int(4)},
                       {"feature_names_in_", names},
                       {"transformers_", List({Entry("s", Scaler(1, 2.0), Slice(Str("x"), Int(3), None()))})}});
  auto r = BuildEstimator(*bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("column slice mixes names and positions"), std::string::npos);
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

ValuePtr TypeRef(const std::string& name) {
  auto g = Make(Kind::kGlobal);
  g->s = name;
  return g;
}

// What sklearn 1.2 pickles for make_column_selector(...): a record whose dtype_include /
// dtype_exclude are type references. Only the unfitted `transformers` holds it.
ValuePtr Selector(ValuePtr include, ValuePtr exclude = nullptr) {
  return Obj("sklearn.compose._column_transformer.make_column_selector",
             {{"pattern", None()}, {"dtype_include", include}, {"dtype_exclude", exclude ? exclude : None()}});
}

ValuePtr Imputer(std::vector<ValuePtr> stats, const std::string& strategy) {
  const size_t n = stats.size();
  return Obj("sklearn.impute._base.SimpleImputer", {{"n_features_in_", Int(static_cast<int64_t>(n))},
                                                    {"statistics_", ObjArray({n}, std::move(stats))},
                                                    {"missing_values", Float(kNaN)},
                                                    {"strategy", Str(strategy)}});
}

ValuePtr OneHot(std::vector<ValuePtr> categories, const std::string& handle_unknown) {
  return Obj("sklearn.preprocessing._encoders.OneHotEncoder", {{"categories_", List(std::move(categories))},
                                                               {"handle_unknown", Str(handle_unknown)},
                                                               {"drop_idx_", None()},
                                                               {"_infrequent_enabled", Bool(false)}});
}

ValuePtr Pipe(std::vector<std::pair<std::string, ValuePtr>> steps) {
  std::vector<ValuePtr> items;
  for (auto& [name, est] : steps) items.push_back(Tuple({Str(name), est}));
  return Obj("sklearn.pipeline.Pipeline", {{"steps", List(items)}});
}

// A Titanic-like model as sklearn 1.2 pickles it after
//   ColumnTransformer([('num', SimpleImputer(), make_column_selector(dtype_include=np.number)),
//                      ('cat', make_pipeline(SimpleImputer(strategy='most_frequent'),
//                                            OneHotEncoder(handle_unknown='ignore')),
//                      make_column_selector(dtype_include=object))]) + LogisticRegression
// fitted on columns age, fare, sex, embarked, cabin_deck (cabin_deck selected by no part).
ValuePtr TitanicLike(ValuePtr remainder) {
  auto names = ObjArray({5}, {Str("age"), Str("fare"), Str("sex"), Str("embarked"), Str("cabin_deck")});
  auto num = Imputer({Float(30.0), Float(14.5)}, "mean");
  auto cat = Pipe({{"simpleimputer", Imputer({Str("male"), Str("S")}, "most_frequent")},
                   {"onehotencoder", OneHot({ObjArray({2}, {Str("female"), Str("male")}),
                                             ObjArray({4}, {Str("C"), Str("Q"), Str("S"), None()})},
                                            "ignore")}});
  auto ct = Obj(
      kCT, {{"n_features_in_", Int(5)},
            {"feature_names_in_", names},
            {"transformers", List({Entry("num", num, Selector(TypeRef("numpy.number"))),
                                   Entry("cat", cat, Selector(TypeRef("builtins.object")))})},
            {"_transformer_to_input_indices",
             Dict({{"num", List({Int(0), Int(1)})}, {"cat", List({Int(2), Int(3)})}, {"remainder", List({Int(4)})}})},
            {"transformers_", List({Entry("num", num, List({Str("age"), Str("fare")})),
                                    Entry("cat", cat, List({Str("sex"), Str("embarked")})),
                                    Entry("remainder", remainder, List({Int(4)}))})}});
  return ct;
}

TEST(ColumnTransformer, StringColumnsThroughSelectorsAndPipelines) {
  auto ct = TitanicLike(Str("drop"));
  auto m = BuildEstimator(*ct);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ((*m)->n_outputs(), 8u);  // age, fare, sex: 2, embarked: 4
  const double x[2 * 5] = {kNaN, 7.25, StringCode("female"), kNoneCode,      kUnknownStringCode, 22,
                           kNaN, kNaN, kUnknownStringCode,   StringCode("C")};
  double y[2 * 8];
  ASSERT_TRUE((*m)->Transform(x, 2, y).ok());
  EXPECT_EQ(std::vector<double>(y, y + 8), (std::vector<double>{30, 7.25, 1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(std::vector<double>(y + 8, y + 16), (std::vector<double>{22, 14.5, 0, 1, 0, 0, 0, 0}));

  std::vector<ColumnFacts> facts = DescribeInputsOf(**m);
  ASSERT_EQ(facts.size(), 5u);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kNumber);
  EXPECT_EQ(facts[1].type, InputColumn::Type::kNumber);
  EXPECT_EQ(facts[2].type, InputColumn::Type::kString);
  EXPECT_EQ(facts[3].type, InputColumn::Type::kString);
  EXPECT_EQ(facts[4].type, InputColumn::Type::kAny);  // dropped by the remainder
  std::vector<std::string> sex = facts[2].categories;
  std::sort(sex.begin(), sex.end());
  sex.erase(std::unique(sex.begin(), sex.end()), sex.end());
  EXPECT_EQ(sex, (std::vector<std::string>{"female", "male"}));
  EXPECT_FALSE(facts[3].unknown_is_error);
}

TEST(ColumnTransformer, EveryRemainderForm) {
  // 'passthrough' copies cabin_deck (read as a number); an estimator transforms it.
  auto pass = BuildEstimator(*TitanicLike(Str("passthrough")));
  ASSERT_TRUE(pass.ok()) << pass.status().message();
  EXPECT_EQ((*pass)->n_outputs(), 9u);
  EXPECT_EQ(DescribeInputsOf(**pass)[4].type, InputColumn::Type::kNumber);
  auto ft = Obj("sklearn.preprocessing._function_transformer.FunctionTransformer",
                {{"func", None()}, {"n_features_in_", Int(1)}});
  auto identity = BuildEstimator(*TitanicLike(ft));
  ASSERT_TRUE(identity.ok()) << identity.status().message();
  EXPECT_EQ((*identity)->n_outputs(), 9u);
  auto deck = OneHot({ObjArray({2}, {Str("A"), Str("B")})}, "error");
  auto est = BuildEstimator(*TitanicLike(deck));
  ASSERT_TRUE(est.ok()) << est.status().message();
  EXPECT_EQ((*est)->n_outputs(), 10u);
  std::vector<ColumnFacts> facts = DescribeInputsOf(**est);
  EXPECT_EQ(facts[4].type, InputColumn::Type::kString);
  EXPECT_EQ(facts[4].categories, (std::vector<std::string>{"A", "B"}));
  EXPECT_TRUE(facts[4].unknown_is_error);
  const double x[5] = {1, 2, StringCode("male"), StringCode("S"), StringCode("C")};
  double y[10];
  Status s = (*est)->Transform(x, 1, y);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "ColumnTransformer: 'remainder': OneHotEncoder: column 0 has a string it does not know");
}

TEST(ColumnTransformer, PartsSharingAColumnMergeTheirFacts) {
  auto a = OneHot({ObjArray({2}, {Str("x"), Str("y")})}, "ignore");
  auto b = OneHot({ObjArray({2}, {Str("y"), Str("z")})}, "error");
  auto ct = Obj(kCT, {{"n_features_in_", Int(2)},
                      {"transformers_", List({Entry("a", a, List({Int(0)})), Entry("b", b, List({Int(0)})),
                                              Entry("p", Str("passthrough"), List({Int(1)}))})}});
  auto m = BuildEstimator(*ct);
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<ColumnFacts> facts = DescribeInputsOf(**m);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kString);
  std::vector<std::string> cats = facts[0].categories;
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
  EXPECT_EQ(cats, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_TRUE(facts[0].unknown_is_error);
  EXPECT_EQ(facts[1].type, InputColumn::Type::kNumber);
  // The passthrough output column copies input column 1; the one-hot columns are computed.
  const auto* through = dynamic_cast<const PassesColumnsThrough*>(m->get());
  ASSERT_NE(through, nullptr);
  EXPECT_EQ(through->passed_through(), (std::vector<long>{-1, -1, -1, -1, 1}));
}

// Pipeline(ColumnTransformer(imputers), OneHotEncoder, LogisticRegression): the encoder's
// string facts reach the pipeline's input through the columns the ColumnTransformer copies.
TEST(ColumnTransformer, PredictsFromStringCodes) {
  auto ct = Obj(kCT, {{"n_features_in_", Int(2)},
                      {"transformers_", List({Entry("i", Imputer({Str("S")}, "most_frequent"), List({Int(1)})),
                                              Entry("remainder", Str("passthrough"), List({Int(0)}))})}});
  auto enc = OneHot({ObjArray({2}, {Str("C"), Str("S")}), F64({2}, {1, 3})}, "error");
  auto logit = Obj("sklearn.linear_model._logistic.LogisticRegression", {{"classes_", I64({2}, {0, 1})},
                                                                         {"coef_", F64({1, 4}, {2, -2, 1, -1})},
                                                                         {"intercept_", F64({1}, {0})},
                                                                         {"multi_class", Str("auto")},
                                                                         {"solver", Str("lbfgs")}});
  auto m = BuildEstimator(*Pipe({{"ct", ct}, {"oh", enc}, {"clf", logit}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const double x[3 * 2] = {3, StringCode("C"), 1, kNaN, 1, StringCode("C")};
  int32_t c[3];
  ASSERT_TRUE((*m)->PredictClass(x, 3, c).ok());
  EXPECT_EQ(c[0], 1);  // one-hot (C, 3) = [1 0 0 1]: d = 2 - 1
  EXPECT_EQ(c[1], 0);  // NaN imputed to S, 1: [0 1 1 0]: d = -2 + 1
  EXPECT_EQ(c[2], 1);  // (C, 1): d = 2 + 1
  std::vector<ColumnFacts> facts = DescribeInputsOf(**m);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kNumber);
  EXPECT_EQ(facts[1].type, InputColumn::Type::kString);
  std::vector<std::string> cats = facts[1].categories;
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
  EXPECT_EQ(cats, (std::vector<std::string>{"C", "S"}));
  EXPECT_TRUE(facts[1].unknown_is_error);
  const double unknown[2] = {3, kUnknownStringCode};
  Status s = (*m)->PredictClass(unknown, 1, c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("OneHotEncoder: column 0 has a string it does not know"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace inferd::sklearn
