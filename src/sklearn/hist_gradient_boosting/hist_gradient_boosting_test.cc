#include <cmath>
#include <cstring>
#include <limits>

#include <gtest/gtest.h>

#include "inferd/input_schema.h"
#include "sklearn/hist_gradient_boosting/hgb_forest.h"
#include "sklearn/pipeline/column_facts.h"
#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

struct PNode {
  double value;
  int64_t feature;
  double threshold;
  uint8_t missing_left;
  uint32_t left, right;
  uint8_t is_leaf, is_cat;
  uint32_t bitset;
};

// A TreePredictor record with the <= 1.3 (52-byte, feature_idx <u4) or >= 1.4 (56-byte,
// feature_idx <i8) layout, fields at sklearn's offsets.
ValuePtr Predictor(const std::vector<PNode>& nodes, bool layout14, std::vector<uint32_t> bitsets = {}) {
  const size_t size = layout14 ? 56 : 52, shift = layout14 ? 4 : 0;
  auto rec = MakeDtype('V', size);
  rec->byteorder = '|';
  auto f8 = MakeDtype('f', 8), u4 = MakeDtype('u', 4), u1 = MakeDtype('u', 1), i8 = MakeDtype('i', 8);
  rec->fields = {{"value", f8, 0},
                 {"count", u4, 8},
                 {"feature_idx", layout14 ? i8 : u4, 12},
                 {"num_threshold", f8, 16 + shift},
                 {"missing_go_to_left", u1, 24 + shift},
                 {"left", u4, 25 + shift},
                 {"right", u4, 29 + shift},
                 {"gain", f8, 33 + shift},
                 {"depth", u4, 41 + shift},
                 {"is_leaf", u1, 45 + shift},
                 {"bin_threshold", u1, 46 + shift},
                 {"is_categorical", u1, 47 + shift},
                 {"bitset_idx", u4, 48 + shift}};
  auto arr = Make(Kind::kArray);
  arr->array = std::make_shared<NdArray>();
  arr->array->dtype = rec;
  arr->array->shape = {nodes.size()};
  arr->array->data.assign(nodes.size() * size, 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    uint8_t* p = arr->array->data.data() + i * size;
    const PNode& n = nodes[i];
    std::memcpy(p, &n.value, 8);
    if (layout14)
      std::memcpy(p + 12, &n.feature, 8);
    else {
      uint32_t f = static_cast<uint32_t>(n.feature);
      std::memcpy(p + 12, &f, 4);
    }
    std::memcpy(p + 16 + shift, &n.threshold, 8);
    p[24 + shift] = n.missing_left;
    std::memcpy(p + 25 + shift, &n.left, 4);
    std::memcpy(p + 29 + shift, &n.right, 4);
    p[45 + shift] = n.is_leaf;
    p[47 + shift] = n.is_cat;
    std::memcpy(p + 48 + shift, &n.bitset, 4);
  }
  auto bs = NumArray<uint32_t>('u', {bitsets.size() / 8, 8}, bitsets);
  return Obj("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
             {{"nodes", arr}, {"raw_left_cat_bitsets", bs}});
}

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Split on feature 0 at 0.5 (NaN -> right), leaves -1 / +1.
std::vector<PNode> Stump(double threshold = 0.5, uint8_t missing_left = 0) {
  return {{0, 0, threshold, missing_left, 1, 2, 0, 0, 0}, {-1, 0, 0, 0, 0, 0, 1, 0, 0}, {1, 0, 0, 0, 0, 0, 1, 0, 0}};
}

ValuePtr Hgb(const char* cls, std::vector<ValuePtr> per_iteration,
             std::vector<std::pair<std::string, ValuePtr>> extra) {
  std::vector<ValuePtr> preds;
  for (auto& p : per_iteration) preds.push_back(List({p}));
  std::vector<std::pair<std::string, ValuePtr>> st = {
      {"n_features_in_", Int(2)},
      {"n_trees_per_iteration_", Int(1)},
      {"_baseline_prediction", F64({1, 1}, {0.25})},
      {"_bin_mapper",
       Obj("sklearn.ensemble._hist_gradient_boosting.binning._BinMapper", {{"is_categorical_", None()}})},
      {"_predictors", List(preds)},
      {"_sklearn_version", Str("1.2.1")}};
  for (auto& e : extra) st.push_back(std::move(e));
  return Obj(cls, st);
}

const char* kReg = "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor";
const char* kClf = "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier";

TEST(Hgb, BothLayoutsNaNAndInfThreshold) {
  for (bool layout14 : {false, true}) {
    auto m = BuildEstimator(*Hgb(kReg, {Predictor(Stump(), layout14), Predictor(Stump(kInf), layout14)}, {}));
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_TRUE((*m)->accepts_missing());
    const double x[6] = {0.5, 0, 0.6, 0, kNaN, 0};
    double y[3];
    ASSERT_TRUE((*m)->PredictValue(x, 3, y).ok());
    EXPECT_EQ(y[0], 0.25 - 1 - 1);  // 0.5 <= 0.5: left in both
    EXPECT_EQ(y[1], 0.25 + 1 - 1);  // +inf threshold: every number goes left
    EXPECT_EQ(y[2], 0.25 + 1 + 1);  // NaN goes right (missing_go_to_left = 0)
  }
}

TEST(Hgb, BinaryClassifierProbaAndDecision) {
  auto m = BuildEstimator(*Hgb(kClf, {Predictor(Stump(), false)}, {{"classes_", I64({2}, {3, 7})}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->decision_function_width(), 1u);
  const double x[2] = {1.0, 0};
  double p[2], d;
  int32_t c;
  ASSERT_TRUE((*m)->PredictProba(x, 1, p).ok());
  ASSERT_TRUE((*m)->DecisionFunction(x, 1, &d).ok());
  ASSERT_TRUE((*m)->PredictClass(x, 1, &c).ok());
  EXPECT_EQ(d, 1.25);
  EXPECT_EQ(p[1], 1 / (1 + std::exp(-1.25)));
  EXPECT_EQ(p[0], 1 - p[1]);
  EXPECT_EQ(c, 1);
}

TEST(Hgb, CategoricalBitsetsKnownAndUnknown) {
  // Feature 1 categorical, known categories {0, 1, 2, 40}; split: {1, 40} left.
  std::vector<PNode> nodes = {{0, 1, 0, 1, 1, 2, 0, 1, 0}, {-1, 0, 0, 0, 0, 0, 1, 0, 0}, {1, 0, 0, 0, 0, 0, 1, 0, 0}};
  std::vector<uint32_t> bits(8, 0);
  bits[0] = 1u << 1;
  bits[1] = 1u << 8;  // 40
  auto bm = Obj(
      "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
      {{"is_categorical_", BoolArray({0, 1})}, {"bin_thresholds_", List({F64({1}, {0.5}), F64({4}, {0, 1, 2, 40})})}});
  auto m = BuildEstimator(*Hgb(kReg, {Predictor(nodes, true, bits)}, {{"_bin_mapper", bm}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  // 1 and 40 left; 2 and 0 known -> right; 5, -1, NaN unknown/missing -> left (missing_left);
  // 1.9 -> category 1; 296 -> (uint8) 40; 1e10 -> category 0.
  const std::vector<double> cats = {1, 40, 2, 0, 5, -1, kNaN, 1.9, 296, 1e10};
  const std::vector<double> want = {-1, -1, 1, 1, -1, -1, -1, -1, -1, 1};
  for (size_t i = 0; i < cats.size(); ++i) {
    const double x[2] = {0, cats[i]};
    double y;
    ASSERT_TRUE((*m)->PredictValue(x, 1, &y).ok());
    EXPECT_EQ(y, 0.25 + want[i]) << "category value " << cats[i];
  }
}

// sklearn >= 1.4 with a pandas categorical column of strings: `_preprocessor` ordinal-encodes
// column 1 (categories ['female', 'male']) and moves it first; unknown strings and None are
// missing (NaN), which this stump sends right.
TEST(Hgb, PreprocessorWithStringCategories) {
  auto enc = Obj("sklearn.preprocessing._encoders.OrdinalEncoder",
                 {{"categories_", List({ObjArray({2}, {Str("female"), Str("male")})})},
                  {"handle_unknown", Str("use_encoded_value")},
                  {"unknown_value", Float(kNaN)}});
  auto pre = Obj("sklearn.compose._column_transformer.ColumnTransformer",
                 {{"n_features_in_", Int(2)},
                  {"transformers_", List({Tuple({Str("encoder"), enc, List({Int(1)})}),
                                          Tuple({Str("remainder"), Str("passthrough"), List({Int(0)})})})}});
  auto m = BuildEstimator(
      *Hgb(kReg, {Predictor(Stump(0.5, 0), true)}, {{"_preprocessor", pre}, {"_sklearn_version", Str("1.4.2")}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const std::vector<double> cells = {StringCode("female"), StringCode("male"), kUnknownStringCode, kNoneCode, kNaN};
  const std::vector<double> want = {-1, 1, 1, 1, 1};
  for (size_t i = 0; i < cells.size(); ++i) {
    const double x[2] = {5, cells[i]};
    double y;
    ASSERT_TRUE((*m)->PredictValue(x, 1, &y).ok());
    EXPECT_EQ(y, 0.25 + want[i]) << i;
  }
  std::vector<ColumnFacts> facts = DescribeInputsOf(**m);
  EXPECT_EQ(facts[0].type, InputColumn::Type::kNumber);
  EXPECT_EQ(facts[1].type, InputColumn::Type::kString);
  EXPECT_EQ(facts[1].categories, (std::vector<std::string>{"female", "male"}));
  EXPECT_FALSE(facts[1].unknown_is_error);
}

TEST(Hgb, HostileNodesAreRefused) {
  auto bad = [](std::vector<PNode> nodes, std::vector<uint32_t> bits = {}) {
    return BuildEstimator(*Hgb(kReg, {Predictor(nodes, false, bits)}, {}));
  };
  auto s = Stump();
  s[0].left = 0;  // self loop
  EXPECT_FALSE(bad(s).ok());
  s = Stump();
  s[0].right = 3;  // out of range
  EXPECT_FALSE(bad(s).ok());
  s = Stump();
  s[0].feature = 2;  // only 2 features
  auto r = bad(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("_predictors[0][0]: node 0 splits on feature 2 of 2"), std::string::npos)
      << r.status().message();
  s = Stump();
  s[0].is_cat = 1;  // categorical split on a numeric feature
  EXPECT_FALSE(bad(s, std::vector<uint32_t>(8, 0)).ok());
  auto wrong_k = Hgb(kReg, {Predictor(Stump(), false)}, {{"n_trees_per_iteration_", Int(3)}});
  EXPECT_FALSE(BuildEstimator(*wrong_k).ok());
  auto not_pred = Hgb(kReg, {Str("x")}, {});
  EXPECT_FALSE(BuildEstimator(*not_pred).ok());
}

TEST(Hgb, CategoryOfMatchesCythonCast) {
  EXPECT_EQ(HgbForest::CategoryOf(3.99), 3);
  EXPECT_EQ(HgbForest::CategoryOf(255.0), 255);
  EXPECT_EQ(HgbForest::CategoryOf(256.0), 0);
  EXPECT_EQ(HgbForest::CategoryOf(300.0), 44);
  EXPECT_EQ(HgbForest::CategoryOf(4294967297.0), 0);
}

}  // namespace
}  // namespace inferd::sklearn
