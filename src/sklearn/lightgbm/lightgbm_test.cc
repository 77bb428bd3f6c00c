// The LightGBM reader, evaluator and adapters through the public loader API, on small
// hand-written model texts whose leaf values are known: the split rules (default_left, the
// three missing types, category bitsets), linear leaves, averaging, best_iteration, every
// objective's link, pandas categories, and refusals that name the line.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "inferd/loader.h"
#include "inferd/model.h"
#include "sklearn/lightgbm/lightgbm_document.h"
#include "sklearn/lightgbm/lightgbm_model.h"

namespace inferd {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One tree block. A stump on `feature`: x <= threshold (or missing by `decision_type`) ->
// leaf 0 (`left`), else leaf 1 (`right`).
std::string Stump(int id, double left, double right, int decision_type = 2, double threshold = 0.5, int feature = 0) {
  std::ostringstream s;
  s.precision(17);
  s << "Tree=" << id << "\nnum_leaves=2\nnum_cat=0\nsplit_feature=" << feature
    << "\nsplit_gain=1\nthreshold=" << threshold << "\ndecision_type=" << decision_type
    << "\nleft_child=-1\nright_child=-2\nleaf_value=" << left << " " << right
    << "\nleaf_weight=1 1\nleaf_count=1 1\ninternal_value=0\ninternal_weight=2\ninternal_count=2\n"
    << "is_linear=0\nshrinkage=1\n\n\n";
  return s.str();
}

struct Text {
  std::string objective = "regression";
  int num_class = 1;
  int per_iteration = 1;
  int n_features = 2;
  std::string feature_names;  // default Column_0 ...
  std::string extra_header;
  std::vector<std::string> trees = {Stump(0, 1.0, 2.0)};
  std::string parameters;
  std::string pandas = "null";

  std::string str() const {
    std::string names = feature_names;
    if (names.empty()) {
      for (int i = 0; i < n_features; ++i) names += (i ? " Column_" : "Column_") + std::to_string(i);
    }
    std::string s = "tree\nversion=v4\nnum_class=" + std::to_string(num_class) +
                    "\nnum_tree_per_iteration=" + std::to_string(per_iteration) +
                    "\nlabel_index=0\nmax_feature_idx=" + std::to_string(n_features - 1) + "\nobjective=" + objective +
                    "\n" + extra_header + "feature_names=" + names + "\nfeature_infos=none\ntree_sizes=1\n\n";
    for (const auto& t : trees) s += t;
    s += "end of trees\n\nfeature_importances:\n\nparameters:\n" + parameters + "end of parameters\n\n" +
         "pandas_categorical:" + pandas + "\n";
    return s;
  }
};

std::shared_ptr<const Model> Load(const std::string& text) {
  auto m = LoadModelBytes(text, "m.txt");
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : nullptr;
}

std::string LoadError(const std::string& text) {
  auto m = LoadModelBytes(text, "m.txt");
  EXPECT_FALSE(m.ok());
  if (m.ok()) return "";
  EXPECT_EQ(m.status().message().find('\n'), std::string::npos);
  return m.status().message();
}

double Value(const Model& m, std::vector<double> row) {
  double out = 0;
  EXPECT_TRUE(m.PredictValue(row.data(), 1, &out).ok());
  return out;
}

TEST(LightGBM, NumericalSplitWithMissingTypes) {
  Text t;
  // decision_type 2: missing type None, default left; NaN becomes 0 -> 0 <= 0.5 -> left.
  t.trees = {Stump(0, 1.0, 2.0, 2, 0.5)};
  auto m = Load(t.str());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Value(*m, {0.5, 0}), 1.0);  // x <= threshold goes left
  EXPECT_EQ(Value(*m, {0.6, 0}), 2.0);
  EXPECT_EQ(Value(*m, {kNaN, 0}), 1.0);
  // Missing type NaN (8), default right: NaN goes right although 0 <= 0.5.
  t.trees = {Stump(0, 1.0, 2.0, 8, 0.5)};
  m = Load(t.str());
  EXPECT_EQ(Value(*m, {kNaN, 0}), 2.0);
  EXPECT_EQ(Value(*m, {0.0, 0}), 1.0);
  // Missing type NaN, default left (10): NaN left even past the threshold.
  t.trees = {Stump(0, 1.0, 2.0, 10, -5.0)};
  m = Load(t.str());
  EXPECT_EQ(Value(*m, {kNaN, 0}), 1.0);
  EXPECT_EQ(Value(*m, {0.0, 0}), 2.0);
  // Missing type Zero (4), default right: 0, tiny values and NaN (read as 0) go right.
  t.trees = {Stump(0, 1.0, 2.0, 4, 0.5)};
  m = Load(t.str());
  EXPECT_EQ(Value(*m, {0.0, 0}), 2.0);
  EXPECT_EQ(Value(*m, {1e-36, 0}), 2.0);
  EXPECT_EQ(Value(*m, {kNaN, 0}), 2.0);
  EXPECT_EQ(Value(*m, {0.25, 0}), 1.0);
}

TEST(LightGBM, TinyValuesAreZero) {
  // LightGBM's dense rows drop |x| <= 1e-35: with a threshold of -1e-300, 1e-36 is 0 -> right.
  Text t;
  t.trees = {Stump(0, 1.0, 2.0, 0, -1e-300)};
  auto m = Load(t.str());
  EXPECT_EQ(Value(*m, {-1e-36, 0}), 2.0);
  EXPECT_EQ(Value(*m, {-1e-34, 0}), 1.0);
}

// A categorical stump on feature 0 whose bitset `words` sends its categories left.
std::string CatStump(const std::string& words, int n_words, int default_bits = 1) {
  return "Tree=0\nnum_leaves=2\nnum_cat=1\nsplit_feature=0\nthreshold=0\ndecision_type=" +
         std::to_string(default_bits) + "\nleft_child=-1\nright_child=-2\nleaf_value=1 2\ncat_boundaries=0 " +
         std::to_string(n_words) + "\ncat_threshold=" + words + "\nis_linear=0\nshrinkage=1\n\n";
}

TEST(LightGBM, CategoricalBitsets) {
  Text t;
  // Categories 1, 3 (word 0 = 0b1010) and 33 (word 1 = 0b10) go left.
  t.trees = {CatStump("10 2", 2)};
  auto m = Load(t.str());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Value(*m, {1, 0}), 1.0);
  EXPECT_EQ(Value(*m, {3, 0}), 1.0);
  EXPECT_EQ(Value(*m, {33, 0}), 1.0);
  EXPECT_EQ(Value(*m, {3.7, 0}), 1.0);  // int(3.7) == 3
  EXPECT_EQ(Value(*m, {0, 0}), 2.0);
  EXPECT_EQ(Value(*m, {64, 0}), 2.0);    // past the bitset: unseen
  EXPECT_EQ(Value(*m, {-1, 0}), 2.0);    // negative
  EXPECT_EQ(Value(*m, {kNaN, 0}), 2.0);  // missing, whatever the default direction bit says
  EXPECT_EQ(Value(*m, {1e30, 0}), 2.0);
  // Default-left and missing type NaN do not send a missing category left either.
  t.trees = {CatStump("10 2", 2, 1 | 2 | 8)};
  m = Load(t.str());
  EXPECT_EQ(Value(*m, {kNaN, 0}), 2.0);
}

TEST(LightGBM, LinearLeaves) {
  Text t;
  t.trees = {
      "Tree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=0\nthreshold=0.5\ndecision_type=2\nleft_child=-1\n"
      "right_child=-2\nleaf_value=10 20\nis_linear=1\nleaf_const=1 2\nnum_features=2 0\nleaf_features=1 0  \n"
      "leaf_coeff=0.5 0.25  \nshrinkage=1\n\n"};
  auto m = Load(t.str());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Value(*m, {0.0, 4.0}), 1.0 + 0.5 * 4.0 + 0.25 * 0.0);
  EXPECT_EQ(Value(*m, {0.4, 4.0}), 1.0 + 0.5 * 4.0 + 0.25 * 0.4);
  EXPECT_EQ(Value(*m, {0.4, kNaN}), 10.0);  // a NaN feature: the leaf's plain value
  EXPECT_EQ(Value(*m, {0.6, 4.0}), 2.0);
}

TEST(LightGBM, AverageOutputAndRawScore) {
  Text t;
  t.objective = "binary sigmoid:1";
  t.extra_header = "average_output\n";
  t.trees = {Stump(0, 1.0, 2.0), Stump(1, 3.0, 4.0)};
  auto m = Load(t.str());
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->kind(), ModelKind::kClassifier);
  const double row[2] = {0.0, 0.0};
  double proba[2], raw = 0;
  ASSERT_TRUE(m->PredictProba(row, 1, proba).ok());
  EXPECT_EQ(proba[1], 1.0 / (1.0 + std::exp(-(4.0 / 2))));
  EXPECT_EQ(proba[0], 1.0 - proba[1]);
  ASSERT_TRUE(m->RawScore(row, 1, &raw).ok());
  EXPECT_EQ(raw, 4.0);  // raw_score is the sum
}

TEST(LightGBM, ObjectiveLinks) {
  Text t;
  t.trees = {Stump(0, -1.5, 2.0)};
  for (const char* o : {"poisson", "gamma", "tweedie"}) {
    t.objective = o;
    EXPECT_EQ(Value(*Load(t.str()), {0, 0}), std::exp(-1.5)) << o;
  }
  for (const char* o : {"regression_l1", "huber", "quantile", "lambdarank", "fair", "mape"}) {
    t.objective = o;
    EXPECT_EQ(Value(*Load(t.str()), {0, 0}), -1.5) << o;
  }
  t.objective = "regression sqrt";
  EXPECT_EQ(Value(*Load(t.str()), {0, 0}), -2.25);
  t.objective = "cross_entropy";
  EXPECT_EQ(Value(*Load(t.str()), {0, 0}), 1.0 / (1.0 + std::exp(1.5)));
  t.objective = "binary sigmoid:2";
  auto m = Load(t.str());
  double p[2];
  const double row[2] = {0, 0};
  ASSERT_TRUE(m->PredictProba(row, 1, p).ok());
  EXPECT_EQ(p[1], 1.0 / (1.0 + std::exp(-2.0 * -1.5)));
  t.objective = "cross_entropy_lambda";
  EXPECT_NE(LoadError(t.str()).find("cross_entropy_lambda"), std::string::npos);
  t.objective = "made_up";
  EXPECT_NE(LoadError(t.str()).find("objective 'made_up' is not supported"), std::string::npos);
}

TEST(LightGBM, MulticlassSoftmaxAndOva) {
  Text t;
  t.objective = "multiclass num_class:3";
  t.num_class = 3;
  t.per_iteration = 3;
  t.trees = {Stump(0, 1.0, 0.0), Stump(1, 2.0, 0.0), Stump(2, 0.5, 0.0),
             Stump(3, 1.0, 0.0), Stump(4, 0.0, 0.0), Stump(5, 0.0, 0.0)};
  auto m = Load(t.str());
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->classes().size(), 3u);
  const double row[2] = {0, 0};
  double p[3], raw[3];
  int32_t label = -1;
  ASSERT_TRUE(m->RawScore(row, 1, raw).ok());
  EXPECT_EQ(raw[0], 2.0);
  EXPECT_EQ(raw[1], 2.0);
  EXPECT_EQ(raw[2], 0.5);
  ASSERT_TRUE(m->PredictProba(row, 1, p).ok());
  const double e0 = std::exp(0.0), e2 = std::exp(0.5 - 2.0), sum = e0 + e0 + e2;
  EXPECT_EQ(p[0], e0 / sum);
  EXPECT_EQ(p[2], e2 / sum);
  ASSERT_TRUE(m->PredictClass(row, 1, &label).ok());
  EXPECT_EQ(label, 0);  // the first of two equal
  t.objective = "multiclassova num_class:3 sigmoid:1";
  m = Load(t.str());
  ASSERT_TRUE(m->PredictProba(row, 1, p).ok());
  EXPECT_EQ(p[2], 1.0 / (1.0 + std::exp(-0.5)));  // per class, not normalised
  t.num_class = 2;
  EXPECT_NE(LoadError(t.str()).find("num_tree_per_iteration"), std::string::npos);
}

TEST(LightGBM, PandasCategoriesMapStrings) {
  Text t;
  t.feature_names = "age region";
  t.objective = "regression";
  // Category codes 1 ("north") and 2 ("south") go left.
  std::string tree = CatStump("6", 1);
  tree.replace(tree.find("split_feature=0"), 15, "split_feature=1");
  t.trees = {tree};
  t.parameters = "[categorical_feature: 1]\n";
  t.pandas = R"([["east", "north", "south"]])";
  auto m = Load(t.str());
  ASSERT_NE(m, nullptr);
  const InputSchema& s = m->input_schema();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s.named());
  EXPECT_EQ(s.columns()[0].name, "age");
  ASSERT_EQ(s.columns()[1].type, InputColumn::Type::kString);
  EXPECT_EQ(s.columns()[1].categories, (std::vector<std::string>{"east", "north", "south"}));
  EXPECT_EQ(Value(*m, {0, s.EncodeString(1, "north")}), 1.0);
  EXPECT_EQ(Value(*m, {0, s.EncodeString(1, "south")}), 1.0);
  EXPECT_EQ(Value(*m, {0, s.EncodeString(1, "east")}), 2.0);
  EXPECT_EQ(Value(*m, {0, s.EncodeString(1, "island")}), 2.0);  // unknown: missing -> right
  EXPECT_EQ(Value(*m, {0, kNoneCode}), 2.0);
  EXPECT_EQ(Value(*m, {0, kNaN}), 2.0);
  // Lists that cannot be matched to columns are refused.
  t.parameters = "[categorical_feature: ]\n";
  EXPECT_NE(LoadError(t.str()).find("pandas_categorical has 1 category lists"), std::string::npos);
}

TEST(LightGBM, MadeUpColumnNamesAreNotNames) {
  auto m = Load(Text().str());
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->input_schema().named());
  EXPECT_EQ(m->input_schema().columns()[0].name, "x0");
  EXPECT_EQ(m->Describe(), "LightGBM[regression, gbdt, 1 trees, 2 features]");
}

// Hostile files: each refused with one line naming the line number.
TEST(LightGBM, HostileFilesNameTheLine) {
  struct Case {
    std::string find, replace, expect;
  };
  const std::vector<Case> cases = {
      {"num_leaves=2", "num_leaves=99999999999", "line 13: Tree=0 num_leaves is 99999999999, outside [1, 131072]"},
      {"num_leaves=2", "num_leaves=3", "leaf_value has 2 values, expected 3"},
      {"max_feature_idx=1", "max_feature_idx=1000000000", "max_feature_idx is 1000000000"},
      {"max_feature_idx=1", "max_feature_idx=5", "feature_names has 2 names but max_feature_idx says 6"},
      {"num_class=1", "num_class=-3", "num_class is -3"},
      {"split_feature=0", "split_feature=7", "splits on feature 7, outside [0, 2)"},
      {"split_feature=0", "split_feature=-1", "splits on feature -1"},
      {"left_child=-1", "left_child=-5", "child leaf 4, out of range (the tree has 2 leaves)"},
      {"left_child=-1", "left_child=0", "child node 0, out of range"},
      {"left_child=-1", "left_child=-2", "leaf 1 is the child of two nodes"},
      {"left_child=-1", "left_child=x", "left_child has a value that is not a 32-bit integer: 'x'"},
      {"decision_type=2", "decision_type=12", "decision_type 12"},
      {"threshold=0.5", "threshold=zzz", "threshold has a value that is not a number"},
      {"version=v4", "version=v2", "version 'v2' is not supported"},
      {"Tree=0", "Tree=3", "'Tree=3' is out of order"},
      {"leaf_value=1 2", "leaf_value=1 2\nleaf_value=3 4",
       "line 22: Tree=0 'leaf_value' appears twice (first on line 21)"},
      {"num_tree_per_iteration=1", "num_tree_per_iteration=2", "not a whole number of iterations"},
      {"end of trees", "end of tree", "line 31: expected Tree=N, found 'end of tree'"},
      {"tree\n", "three\n", "line 1: not a LightGBM model text"},
  };
  for (const Case& c : cases) {
    std::string s = Text().str();
    const size_t at = s.find(c.find);
    ASSERT_NE(at, std::string::npos) << c.find;
    s.replace(at, c.find.size(), c.replace);
    auto m = LoadModelBytes(s, "m.txt");
    if (c.find == "tree\n") {  // not detected as a model text at all: the pickle reader refuses it
      EXPECT_FALSE(m.ok());
      continue;
    }
    ASSERT_FALSE(m.ok()) << c.replace;
    EXPECT_NE(m.status().message().find(c.expect), std::string::npos) << m.status().message();
    EXPECT_NE(m.status().message().find("lightgbm model"), std::string::npos) << m.status().message();
    EXPECT_EQ(m.status().message().find('\n'), std::string::npos);
  }
}

TEST(LightGBM, CyclesAndOrphansAreRefused) {
  // Three leaves: node 0 -> node 1 -> node 1 would be a cycle; node 1 unreferenced is an orphan.
  auto tree = [](const std::string& left, const std::string& right) {
    return "Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 1\nthreshold=0.5 0.5\ndecision_type=2 2\nleft_child=" +
           left + "\nright_child=" + right + "\nleaf_value=1 2 3\n\n";
  };
  Text t;
  t.trees = {tree("1 -1", "-2 -3")};
  EXPECT_NE(Load(t.str()), nullptr);
  t.trees = {tree("-1 1", "-2 -3")};  // node 1 is its own child, never reached from the root
  EXPECT_NE(LoadError(t.str()).find("not reached from the root"), std::string::npos);
  t.trees = {tree("-1 -2", "-3 -1")};  // leaf 0 twice
  EXPECT_NE(LoadError(t.str()).find("leaf 0 is the child of two nodes"), std::string::npos);
}

TEST(LightGBM, TruncatedAnywhereIsRefused) {
  const std::string s = Text().str();
  const size_t end = s.find("end of trees");
  for (size_t n = 5; n < end + 5; ++n) {
    auto m = LoadModelBytes(s.substr(0, n), "m.txt");
    EXPECT_FALSE(m.ok()) << n;
  }
  auto m = LoadModelBytes(s.substr(0, end), "m.txt");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("the file ends before 'end of trees' (truncated)"), std::string::npos)
      << m.status().message();
}

TEST(LightGBM, BestIterationLimitsTheRounds) {
  Text t;
  t.trees = {Stump(0, 1.0, 2.0), Stump(1, 10.0, 20.0), Stump(2, 100.0, 200.0)};
  EXPECT_EQ(Value(*Load(t.str()), {0, 0}), 111.0);
  const double row[2] = {0, 0};
  for (int64_t best : {1, 2, 3}) {
    sklearn::LgbOptions o;
    o.best_iteration = best;
    auto m = sklearn::LightGBMModel::Load(t.str(), o);
    ASSERT_TRUE(m.ok()) << m.status().message();
    double v = 0;
    ASSERT_TRUE((*m)->PredictValue(row, 1, &v).ok());
    EXPECT_EQ(v, best == 1 ? 1.0 : best == 2 ? 11.0 : 111.0);
  }
  // As LightGBM: none or more than the model has means every iteration.
  for (int64_t best : {0, -1, 7}) {
    sklearn::LgbOptions o;
    o.best_iteration = best;
    auto m = sklearn::LightGBMModel::Load(t.str(), o);
    double v = 0;
    ASSERT_TRUE((*m)->PredictValue(row, 1, &v).ok());
    EXPECT_EQ(v, 111.0);
  }
}

// Every seed of the fuzz corpus is a real model text and loads.
TEST(LightGBM, CorpusSeedsLoad) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(INFERD_LIGHTGBM_CORPUS_DIR)) {
    if (e.path().filename().string().rfind("bad_", 0) == 0) continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto m = LoadModelBytes(text, e.path().filename().string());
    EXPECT_TRUE(m.ok()) << e.path() << ": " << m.status().message();
    ++n;
  }
  EXPECT_GT(n, 3);
}

}  // namespace
}  // namespace inferd
