#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "inferd/input_schema.h"
#include "sklearn/pipeline/column_facts.h"
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
  // A column holding both strings and numbers is refused at load.
  SetAttr(enc, "categories_", List({ObjArray({2}, {Str("a"), Int(1)})}));
  auto mixed = BuildEstimator(*enc);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().message(),
            "OneHotEncoder: categories_[0] mixes strings (or None) and numbers; a column must hold one or the other");
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
  SetAttr(imp, "missing_values", Bool(true));
  EXPECT_EQ(BuildEstimator(*imp).status().code(), StatusCode::kUnimplemented);
  SetAttr(imp, "missing_values", Float(kNaN));
  SetAttr(imp, "indicator_", Obj("sklearn.impute._base.MissingIndicator", {{"features_", I64({1}, {3})}}));
  EXPECT_FALSE(BuildEstimator(*imp).ok());
}

const char* kOneHot = "sklearn.preprocessing._encoders.OneHotEncoder";
const char* kOrdinal = "sklearn.preprocessing._encoders.OrdinalEncoder";
const char* kImputer = "sklearn.impute._base.SimpleImputer";
const double kNone = kNoneCode;
const double kUnknown = kUnknownStringCode;
double Code(const char* s) { return StringCode(s); }

// A '|S{maxlen}' array of byte strings.
ValuePtr SArray(const std::vector<std::string>& vals) {
  size_t maxlen = 1;
  for (const auto& s : vals) maxlen = std::max(maxlen, s.size());
  auto v = Make(Kind::kArray);
  v->array = std::make_shared<NdArray>();
  v->array->dtype = MakeDtype('S', maxlen);
  v->array->shape = {vals.size()};
  v->array->data.assign(vals.size() * maxlen, 0);
  for (size_t i = 0; i < vals.size(); ++i) {
    for (size_t j = 0; j < vals[i].size(); ++j) v->array->data[i * maxlen + j] = static_cast<uint8_t>(vals[i][j]);
  }
  return v;
}

// What a pandas object column gives: sorted strings, then None, then NaN.
ValuePtr EmbarkedCategories() { return ObjArray({5}, {Str("C"), Str("Q"), Str("S"), None(), Float(kNaN)}); }

std::string TransformError(const ValuePtr& obj, std::vector<double> x) {
  auto y = TransformRows(obj, std::move(x));
  return y.ok() ? std::string("(no error)") : y.status().message();
}

TEST(OneHot, StringNoneAndNaNCategories) {
  auto enc = Obj(kOneHot, {{"categories_", List({EmbarkedCategories(), UArray({"female", "male"})})},
                           {"handle_unknown", Str("ignore")},
                           {"drop_idx_", None()},
                           {"_infrequent_enabled", Bool(false)},
                           {"_n_features_outs", List({Int(5), Int(2)})}});
  auto y = TransformRows(enc, {Code("S"), Code("male"), kNone, Code("female"), kNaN, kUnknown, kUnknown, kNaN}, 4);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{0, 0, 1, 0, 0, 0, 1,  //
                                     0, 0, 0, 1, 0, 1, 0,  //
                                     0, 0, 0, 0, 1, 0, 0,  //
                                     0, 0, 0, 0, 0, 0, 0}));
  // 'S' byte-string categories match the same codes.
  SetAttr(enc, "categories_", List({EmbarkedCategories(), SArray({"female", "male"})}));
  y = TransformRows(enc, {Code("Q"), Code("female")});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{0, 1, 0, 0, 0, 1, 0}));

  SetAttr(enc, "handle_unknown", Str("error"));
  EXPECT_EQ(TransformError(enc, {kUnknown, Code("male")}), "OneHotEncoder: column 0 has a string it does not know");
  EXPECT_EQ(TransformError(enc, {Code("S"), kNone}), "OneHotEncoder: column 1 has unknown category None");
  EXPECT_EQ(TransformError(enc, {Code("S"), kNaN}), "OneHotEncoder: column 1 has unknown category nan");
  // A string another step knows is still unknown here.
  EXPECT_EQ(TransformError(enc, {Code("S"), Code("S")}), "OneHotEncoder: column 1 has a string it does not know");
  auto e = TransformRows(enc, {kUnknown, Code("male")});
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);

  // Facts: both columns are string columns with their texts (None is not a string).
  auto m = BuildEstimator(*enc);
  ASSERT_TRUE(m.ok());
  std::vector<ColumnFacts> facts = DescribeInputsOf(**m);
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kString);
  EXPECT_EQ(facts[0].categories, (std::vector<std::string>{"C", "Q", "S"}));
  EXPECT_TRUE(facts[0].unknown_is_error);
  EXPECT_EQ(facts[1].categories, (std::vector<std::string>{"female", "male"}));
}

TEST(OneHot, StringCategoriesRefusedAtLoad) {
  auto enc = Obj(kOneHot, {{"categories_", List({UArray({"a", "a"})})}, {"handle_unknown", Str("ignore")}});
  auto r = BuildEstimator(*enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "OneHotEncoder: categories_[0]: categories 'a' and 'a' have the same string code");
  SetAttr(enc, "categories_", List({ObjArray({2}, {None(), Float(2)})}));
  r = BuildEstimator(*enc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mixes strings (or None) and numbers"), std::string::npos);
  SetAttr(enc, "categories_", List({ObjArray({2}, {Float(kNaN), Str("a")})}));
  r = BuildEstimator(*enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "OneHotEncoder: categories_[0]: NaN must be the last category");
  SetAttr(enc, "categories_", List({ObjArray({1}, {List({})})}));
  r = BuildEstimator(*enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "OneHotEncoder: 'categories_[0]': expected a number, str or None, found list of 0");
  // Numbers in an object array are a number column.
  SetAttr(enc, "categories_", List({ObjArray({3}, {Int(1), Float(2.5), Float(kNaN)})}));
  auto y = TransformRows(enc, {2.5});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{0, 1, 0}));
}

TEST(OneHot, DropFirstIfBinaryAndArrayOnStrings) {
  // drop='first' -> drop_idx_ [0, 0]; 'if_binary' -> [None, 0]; drop=['S', None] -> [2, None].
  struct Case {
    ValuePtr drop_idx;
    std::vector<double> want;
  };
  const std::vector<double> x = {Code("S"), Code("female"), kNone, Code("male")};
  for (const Case& c : {Case{ObjArray({2}, {Int(0), Int(0)}), {0, 1, 0, 0, 0, /**/ 0, 0, 1, 0, 1}},
                        Case{ObjArray({2}, {None(), Int(0)}), {0, 0, 1, 0, 0, 0, /**/ 0, 0, 0, 1, 0, 1}},
                        Case{ObjArray({2}, {Int(2), None()}), {0, 0, 0, 0, 1, 0, /**/ 0, 0, 1, 0, 0, 1}}}) {
    auto enc = Obj(kOneHot, {{"categories_", List({EmbarkedCategories(), UArray({"female", "male"})})},
                             {"handle_unknown", Str("error")},
                             {"drop_idx_", c.drop_idx},
                             {"_infrequent_enabled", Bool(false)}});
    auto y = TransformRows(enc, x, 2);
    ASSERT_TRUE(y.ok()) << y.status().message();
    EXPECT_EQ(*y, c.want) << c.drop_idx->array->objects[0]->Describe();
  }
}

// sklearn 1.2.1: OneHotEncoder(handle_unknown='infrequent_if_exist', min_frequency=2,
// drop='first') fitted on e = a a b b c d e e: categories_ [a b c d e], infrequent c, d,
// _default_to_infrequent_mappings [0 1 3 3 2], drop_idx_ [0]; transform of a b c d e z gives
// [[0 0 0] [1 0 0] [0 0 1] [0 0 1] [0 1 0] [0 0 1]].
TEST(OneHot, InfrequentCategoriesAreGroupedLast) {
  auto enc = Obj(kOneHot, {{"categories_", List({ObjArray({5}, {Str("a"), Str("b"), Str("c"), Str("d"), Str("e")})})},
                           {"handle_unknown", Str("infrequent_if_exist")},
                           {"_infrequent_enabled", Bool(true)},
                           {"_infrequent_indices", List({I64({2}, {2, 3})})},
                           {"_default_to_infrequent_mappings", List({I64({5}, {0, 1, 3, 3, 2})})},
                           {"drop_idx_", ObjArray({1}, {Int(0)})},
                           {"_n_features_outs", List({Int(3)})},
                           {"_sklearn_version", Str("1.2.1")}});
  const std::vector<double> x = {Code("a"), Code("b"), Code("c"), Code("d"), Code("e"), kUnknown};
  auto y = TransformRows(enc, x, 6);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1}));
  // sklearn >= 1.3 keeps drop_idx_ in categories_ indices and adds the grouped index.
  SetAttr(enc, "drop_idx_", ObjArray({1}, {Int(4)}));
  SetAttr(enc, "_drop_idx_after_grouping", ObjArray({1}, {Int(2)}));
  SetAttr(enc, "_sklearn_version", Str("1.3.0"));
  y = TransformRows(enc, x, 6);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1}));
  // Without a drop; 'ignore' sends unknown values to no column, the infrequent ones still group.
  SetAttr(enc, "drop_idx_", None());
  SetAttr(enc, "_drop_idx_after_grouping", None());
  SetAttr(enc, "_n_features_outs", List({Int(4)}));
  SetAttr(enc, "handle_unknown", Str("ignore"));
  y = TransformRows(enc, {Code("d"), kUnknown}, 2);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 0}));
  SetAttr(enc, "handle_unknown", Str("error"));
  EXPECT_EQ(TransformError(enc, {kUnknown}), "OneHotEncoder: column 0 has a string it does not know");
  // A grouping that is not one, or widths that disagree, are refused.
  SetAttr(enc, "_default_to_infrequent_mappings", List({I64({5}, {0, 0, 2, 2, 1})}));
  EXPECT_FALSE(BuildEstimator(*enc).ok());
  SetAttr(enc, "_default_to_infrequent_mappings", List({I64({5}, {0, 1, 3, 3, 2})}));
  SetAttr(enc, "_n_features_outs", List({Int(5)}));
  EXPECT_FALSE(BuildEstimator(*enc).ok());
}

// sklearn 1.2.1: OrdinalEncoder(encoded_missing_value=-5) on ['S','C',None,nan,'S'] (object):
// categories_ ['C' 'S' None nan], transform [1 0 2 -5 1].
TEST(Ordinal, StringNoneAndNaNCategories) {
  auto enc = Obj(kOrdinal, {{"categories_", List({ObjArray({4}, {Str("C"), Str("S"), None(), Float(kNaN)})})},
                            {"handle_unknown", Str("error")},
                            {"encoded_missing_value", Int(-5)}});
  auto y = TransformRows(enc, {Code("S"), Code("C"), kNone, kNaN, Code("S")}, 5);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{1, 0, 2, -5, 1}));
  EXPECT_EQ(TransformError(enc, {kUnknown}), "OrdinalEncoder: column 0 has a string it does not know");
  auto m = BuildEstimator(*enc);
  ASSERT_TRUE(m.ok());
  std::vector<ColumnFacts> facts = DescribeInputsOf(**m);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kString);
  EXPECT_EQ(facts[0].categories, (std::vector<std::string>{"C", "S"}));
  EXPECT_TRUE(facts[0].unknown_is_error);
  SetAttr(enc, "handle_unknown", Str("use_encoded_value"));
  SetAttr(enc, "unknown_value", Int(-1));
  y = TransformRows(enc, {kUnknown});
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, (std::vector<double>{-1}));
  EXPECT_FALSE(DescribeInputsOf(**BuildEstimator(*enc))[0].unknown_is_error);
  // Number columns stay number columns.
  SetAttr(enc, "categories_", List({F64({2}, {1, 2})}));
  EXPECT_EQ(DescribeInputsOf(**BuildEstimator(*enc))[0].type, InputColumn::Type::kNumber);
}

// sklearn 1.2.1, object column ['S','C',None,nan,'S']:
//   SimpleImputer(missing_values=nan, strategy='most_frequent'): statistics_ ['S'];
//     NaN -> 'S', None stays None (only X != X is missing);
//   SimpleImputer(missing_values=None, ...): None -> the statistic; NaN input is refused.
TEST(Imputer, StringStatisticsAndNoneAsMissing) {
  auto imp = Obj(kImputer, {{"n_features_in_", Int(2)},
                            {"statistics_", ObjArray({2}, {Str("S"), Float(29.5)})},
                            {"missing_values", Float(kNaN)},
                            {"strategy", Str("most_frequent")}});
  auto y = TransformRows(imp, {kNaN, kNaN, kNone, 3, Code("C"), -1}, 3);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{Code("S"), 29.5, kNone, 3, Code("C"), -1}));
  auto m = BuildEstimator(*imp);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->accepts_missing());
  std::vector<ColumnFacts> facts = DescribeInputsOf(**m);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kString);
  EXPECT_EQ(facts[0].categories, (std::vector<std::string>{"S"}));
  EXPECT_FALSE(facts[0].unknown_is_error);
  EXPECT_EQ(facts[1].type, InputColumn::Type::kNumber);

  // missing_values=None: None is replaced in string columns only (-1.0 in a number column
  // is a number), NaN is not accepted.
  SetAttr(imp, "missing_values", None());
  SetAttr(imp, "statistics_", ObjArray({2}, {Str("missing"), Float(29.5)}));
  SetAttr(imp, "strategy", Str("constant"));
  y = TransformRows(imp, {kNone, kNone, Code("S"), 4}, 2);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{Code("missing"), kNone, Code("S"), 4}));
  EXPECT_FALSE((*BuildEstimator(*imp))->accepts_missing());

  // A str missing_values marker, with an indicator column.
  SetAttr(imp, "missing_values", Str("?"));
  SetAttr(imp, "add_indicator", Bool(true));
  SetAttr(imp, "indicator_", Obj("sklearn.impute._base.MissingIndicator", {{"features_", I64({1}, {0})}}));
  y = TransformRows(imp, {Code("?"), 1, Code("S"), 2}, 2);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{Code("missing"), 1, 1, Code("S"), 2, 0}));
  m = BuildEstimator(*imp);
  ASSERT_TRUE(m.ok());
  const auto* through = dynamic_cast<const PassesColumnsThrough*>(m->get());
  ASSERT_NE(through, nullptr);
  EXPECT_EQ(through->passed_through(), (std::vector<long>{0, 1, -1}));
  // The marker is a string the column knows, so a request's '?' arrives as its code.
  facts = DescribeInputsOf(**m);
  EXPECT_EQ(facts[0].categories, (std::vector<std::string>{"missing", "?"}));
  EXPECT_EQ(facts[1].type, InputColumn::Type::kNumber);

  // The message the issue reported is gone; what cannot be a statistic is named.
  SetAttr(imp, "statistics_", ObjArray({2}, {Str("male"), Dict({})}));
  auto r = BuildEstimator(*imp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "SimpleImputer: 'statistics_': expected a number, str or None, found dict of 0");
}

// Pipeline(SimpleImputer(strategy='most_frequent'), OneHotEncoder(handle_unknown='error')) on
// an object column: the pipeline's input column is a string column knowing both steps'
// strings; a missing cell becomes the statistic, then its indicator.
TEST(Imputer, ThenEncoderInAPipeline) {
  auto imp = Obj(kImputer, {{"n_features_in_", Int(1)},
                            {"statistics_", ObjArray({1}, {Str("S")})},
                            {"missing_values", Float(kNaN)},
                            {"strategy", Str("most_frequent")}});
  auto enc = Obj(kOneHot, {{"categories_", List({ObjArray({4}, {Str("C"), Str("Q"), Str("S"), None()})})},
                           {"handle_unknown", Str("error")},
                           {"_infrequent_enabled", Bool(false)}});
  auto pipe = Obj("sklearn.pipeline.Pipeline", {{"steps", List({Tuple({Str("imp"), imp}), Tuple({Str("oh"), enc})})}});
  auto y = TransformRows(pipe, {kNaN, kNone, Code("C")}, 3);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<double>{0, 0, 1, 0, /**/ 0, 0, 0, 1, /**/ 1, 0, 0, 0}));
  auto m = BuildEstimator(*pipe);
  ASSERT_TRUE(m.ok());
  std::vector<ColumnFacts> facts = DescribeInputsOf(**m);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kString);
  EXPECT_TRUE(facts[0].unknown_is_error);
  std::vector<std::string> cats = facts[0].categories;
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
  EXPECT_EQ(cats, (std::vector<std::string>{"C", "Q", "S"}));
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
