// The XGBoost adapters and model through the public loader API, on tiny hand-written boosters
// whose leaf values are known: predictions follow xgboost's arithmetic (base_score, `x < split`,
// default directions, the logistic and softmax links in float32), the sklearn wrapper's
// attributes (classes, n_features_in_, missing) are honoured, and refusals name the problem.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "inferd/loader.h"
#include "inferd/model.h"

namespace inferd {
namespace {

// A stump on feature 1 at 0.5: x1 < 0.5 (or missing: default_left) -> `left`, else `right`.
// xgboost stores a leaf's value in split_conditions.
std::string Stump(int id, double left, double right, int feature = 1) {
  const std::string l = std::to_string(left), r = std::to_string(right), f = std::to_string(feature);
  return R"({"base_weights":[0.0,)" + l + "," + r +
         R"(],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],)"
         R"("default_left":[1,0,0],"id":)" +
         std::to_string(id) +
         R"(,"left_children":[1,-1,-1],"loss_changes":[1.0,0.0,0.0],)"
         R"("parents":[2147483647,0,0],"right_children":[2,-1,-1],"split_conditions":[0.5,)" +
         l + "," + r + R"(],"split_indices":[)" + f +
         R"(,0,0],"split_type":[0,0,0],"sum_hessian":[2.0,1.0,1.0],)"
         R"("tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"3","size_leaf_vector":"0"}})";
}

// A categorical stump on feature 0: the categories `cats` go right (`right`), the others left;
// missing, negative and out-of-bitset values take the default direction.
std::string CatStump(int id, const std::string& cats, int n_cats, bool default_left, double left, double right) {
  const std::string l = std::to_string(left), r = std::to_string(right);
  return R"({"base_weights":[0.0,)" + l + "," + r + R"(],"categories":)" + cats +
         R"(,"categories_nodes":[0],"categories_segments":[0],"categories_sizes":[)" + std::to_string(n_cats) +
         R"(],"default_left":[)" + (default_left ? "1" : "0") + R"(,0,0],"id":)" + std::to_string(id) +
         R"(,"left_children":[1,-1,-1],"loss_changes":[1.0,0.0,0.0],)"
         R"("parents":[2147483647,0,0],"right_children":[2,-1,-1],"split_conditions":[NaN,)" +
         l + "," + r +
         R"(],"split_indices":[0,0,0],"split_type":[1,0,0],"sum_hessian":[2.0,1.0,1.0],)"
         R"("tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"3","size_leaf_vector":"0"}})";
}

struct Booster {
  std::vector<std::string> trees = {Stump(0, -1.0, 2.0)};
  std::string tree_info = "[0]";
  std::string objective = R"({"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}})";
  std::string base_score = "5E-1";
  std::string num_class = "0";
  std::string attributes = "{}";
  // "gbtree", or a whole gradient_booster object for dart / gblinear.
  std::string booster = "gbtree";
};

// A native xgboost 1.7 JSON model file (what Booster.save_model("m.json") writes).
std::string ModelJson(const Booster& b) {
  std::string trees;
  for (const std::string& t : b.trees) trees += (trees.empty() ? "" : ",") + t;
  const std::string gbtree = R"({"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":")" +
                             std::to_string(b.trees.size()) + R"(","size_leaf_vector":"0"},"tree_info":)" +
                             b.tree_info + R"(,"trees":[)" + trees + R"(]},"name":"gbtree"})";
  std::string booster = gbtree;
  if (b.booster.rfind("dart:", 0) == 0) {  // "dart:<weight_drop array>"
    booster = R"({"gbtree":)" + gbtree + R"(,"name":"dart","weight_drop":)" + b.booster.substr(5) + "}";
  } else if (b.booster != "gbtree") {
    booster = b.booster;
  }
  return R"({"learner":{"attributes":)" + b.attributes +
         R"(,"feature_names":[],"feature_types":[],"gradient_booster":)" + booster +
         R"(,"learner_model_param":{"base_score":")" + b.base_score + R"(","boost_from_average":"1","num_class":")" +
         b.num_class + R"(","num_feature":"2","num_target":"1"},"objective":)" + b.objective +
         R"(},"version":[1,7,4]})";
}

// A pickled sklearn wrapper (protocol 4): `cls` with state {"_Booster": Booster{"handle":
// <snapshot bytes>}} plus `extra` (already pickled key/value pairs), as XGBModel.__getstate__
// leaves it.
std::string U32(uint32_t v) {
  std::string s;
  for (int k = 0; k < 4; ++k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  return s;
}
std::string PStr(const std::string& s) { return "X" + U32(static_cast<uint32_t>(s.size())) + s; }
std::string PInt(int32_t v) { return "J" + U32(static_cast<uint32_t>(v)); }
std::string Snapshot(const std::string& model_json) {
  return R"({"Config":{"learner":{"generic_param":{"nthread":"0"}},"version":[1,7,4]},"Model":)" + model_json + "}";
}
std::string WrapperPickle(const std::string& cls, const std::string& model_json, const std::string& extra) {
  const std::string snapshot = Snapshot(model_json);
  std::string p = "\x80\x04";
  p += "cxgboost.sklearn\n" + cls + "\n)\x81}(";
  p += PStr("_Booster") + "cxgboost.core\nBooster\n)\x81}" + PStr("handle") + "B" +
       U32(static_cast<uint32_t>(snapshot.size())) + snapshot + "sb";
  p += extra + "ub.";
  return p;
}

StatusOr<std::shared_ptr<const Model>> LoadJson(const Booster& b) { return LoadModelBytes(ModelJson(b), "m.json"); }

std::string PFloat(double d) {  // BINFLOAT: big-endian float64
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  std::string s = "G";
  for (int k = 7; k >= 0; --k) s.push_back(static_cast<char>((bits >> (8 * k)) & 0xff));
  return s;
}
float Sigmoid(float margin) { return 1.0f / (1.0f + std::exp(-margin)); }

// Rows over features (x0, x1): left, exactly at the split (xgboost: `x < split` -> right),
// missing (default_left -> left), right.
const std::vector<double> kRows = {0.0, 0.0, 0.0, 0.5, 0.0, NAN, 0.0, 7.0};
constexpr size_t kNRows = 4;

TEST(XGBoostModelFile, BinaryLogisticStump) {
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(Booster{});
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Model& model = **m;
  EXPECT_EQ(model.kind(), ModelKind::kClassifier);
  EXPECT_EQ(model.n_features(), 2u);
  ASSERT_EQ(model.classes().size(), 2u);
  EXPECT_EQ(model.classes()[0].json, "0");  // int labels 0..K-1, as the wrapper's classes_
  EXPECT_EQ(model.classes()[1].json, "1");
  EXPECT_TRUE(model.has_proba());
  EXPECT_TRUE(model.accepts_missing());

  // base_score 0.5 is margin 0: p = sigmoid(leaf), proba = [1 - p, p] in float32.
  const float left = Sigmoid(-1.0f), right = Sigmoid(2.0f);
  const float want_p[kNRows] = {left, right, left, right};
  std::vector<double> proba(kNRows * 2);
  ASSERT_TRUE(model.PredictProba(kRows.data(), kNRows, proba.data()).ok());
  for (size_t r = 0; r < kNRows; ++r) {
    EXPECT_NEAR(proba[2 * r + 1], want_p[r], 1e-6) << "row " << r;
    EXPECT_EQ(proba[2 * r], static_cast<double>(1.0f - static_cast<float>(proba[2 * r + 1]))) << "row " << r;
  }
  std::vector<int32_t> cls(kNRows);
  ASSERT_TRUE(model.PredictClass(kRows.data(), kNRows, cls.data()).ok());
  EXPECT_EQ(cls, (std::vector<int32_t>{0, 1, 0, 1}));
}

TEST(XGBoostModelFile, LogisticBaseScoreIsAProbability) {
  // xgboost adds logit(base_score) to the margin: logit(0.75) = ln 3.
  Booster b;
  b.base_score = "7.5E-1";
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<double> proba(kNRows * 2);
  ASSERT_TRUE((*m)->PredictProba(kRows.data(), kNRows, proba.data()).ok());
  const double ln3 = std::log(3.0);
  EXPECT_NEAR(proba[1], 1.0 / (1.0 + std::exp(-(ln3 - 1.0))), 1e-6);
  EXPECT_NEAR(proba[3], 1.0 / (1.0 + std::exp(-(ln3 + 2.0))), 1e-6);
}

TEST(XGBoostModelFile, RegressorAddsBaseScore) {
  Booster b;
  b.objective = R"({"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}})";
  b.base_score = "1.5E0";
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Model& model = **m;
  EXPECT_EQ(model.kind(), ModelKind::kRegressor);
  EXPECT_EQ(model.n_features(), 2u);
  EXPECT_TRUE(model.classes().empty());
  EXPECT_FALSE(model.has_proba());
  std::vector<double> y(kNRows);
  ASSERT_TRUE(model.PredictValue(kRows.data(), kNRows, y.data()).ok());
  EXPECT_EQ(y, (std::vector<double>{0.5, 3.5, 0.5, 3.5}));
  std::vector<double> proba(kNRows * 2);
  EXPECT_FALSE(model.PredictProba(kRows.data(), kNRows, proba.data()).ok());
}

TEST(XGBoostModelFile, SoftprobIsTheSoftmaxOfTheClassTrees) {
  Booster b;
  b.trees = {Stump(0, 1.0, 0.0), Stump(1, 0.0, 1.0), Stump(2, 0.5, 0.5)};
  b.tree_info = "[0,1,2]";
  b.num_class = "3";
  b.objective = R"({"name":"multi:softprob","softmax_multiclass_param":{"num_class":"3"}})";
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ((*m)->classes().size(), 3u);
  const double rows[4] = {0.0, 0.0, 0.0, 1.0};
  std::vector<double> proba(6);
  ASSERT_TRUE((*m)->PredictProba(rows, 2, proba.data()).ok());
  auto softmax = [](double a, double b, double c, int k) {
    const double e[3] = {std::exp(a), std::exp(b), std::exp(c)};
    return e[k] / (e[0] + e[1] + e[2]);
  };
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(proba[k], softmax(1.0, 0.0, 0.5, k), 1e-6) << "class " << k;
    EXPECT_NEAR(proba[3 + k], softmax(0.0, 1.0, 0.5, k), 1e-6) << "class " << k;
  }
  int32_t cls[2];
  ASSERT_TRUE((*m)->PredictClass(rows, 2, cls).ok());
  EXPECT_EQ(cls[0], 0);
  EXPECT_EQ(cls[1], 1);
}

TEST(XGBoostModelFile, BestIterationLimitsTheWrappersRounds) {
  Booster b;
  b.trees = {Stump(0, -1.0, 2.0), Stump(1, 10.0, 10.0)};
  b.tree_info = "[0,0]";
  // Saved by the sklearn wrapper: its predict uses rounds [0, best_iteration].
  b.attributes = R"({"best_iteration":"0","scikit_learn":"{\"_estimator_type\": \"classifier\"}"})";
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<double> proba(kNRows * 2);
  ASSERT_TRUE((*m)->PredictProba(kRows.data(), kNRows, proba.data()).ok());
  EXPECT_EQ(proba[1], Sigmoid(-1.0f));  // the second tree's +10 is not used

  // Saved by a Booster: Booster.predict uses every round.
  b.attributes = R"({"best_iteration":"0"})";
  m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE((*m)->PredictProba(kRows.data(), kNRows, proba.data()).ok());
  EXPECT_EQ(proba[1], Sigmoid(-1.0f + 10.0f));

  b.attributes = R"({"best_iteration":"5"})";
  StatusOr<std::shared_ptr<const Model>> bad = LoadJson(b);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "m.json: xgboost attributes: best_iteration is 5 but the model has 2 boosting rounds");
}

TEST(XGBoostModelFile, RefusalsNameTheProblem) {
  Booster child;
  child.trees = {Stump(0, -1.0, 2.0)};
  child.trees[0].replace(child.trees[0].find(R"("left_children":[1,)"), 19, R"("left_children":[7,)");
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(child);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "m.json: xgboost tree 0 node 0: left child 7 is out of range (tree has 3 nodes)");

  Booster feature;
  feature.trees = {Stump(0, -1.0, 2.0, /*feature=*/2)};
  m = LoadJson(feature);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "m.json: xgboost tree 0 node 0: split on feature 2 is out of range (the model has 2 features)");

  m = LoadModelBytes(R"({"learner":)", "cut.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message().rfind("cut.json: ", 0), 0u) << m.status().message();
}

TEST(XGBoostPickle, ClassifierWrapperLabelsAndMissing) {
  const std::string json = ModelJson(Booster{});
  StatusOr<std::shared_ptr<const Model>> m = LoadModelBytes(
      WrapperPickle("XGBClassifier", json, PStr("n_classes_") + PInt(2) + PStr("n_features_in_") + PInt(2)), "clf.pkl");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->kind(), ModelKind::kClassifier);
  EXPECT_EQ((*m)->n_features(), 2u);
  ASSERT_EQ((*m)->classes().size(), 2u);
  EXPECT_EQ((*m)->classes()[1].json, "1");
  std::vector<int32_t> cls(kNRows);
  ASSERT_TRUE((*m)->PredictClass(kRows.data(), kNRows, cls.data()).ok());
  EXPECT_EQ(cls, (std::vector<int32_t>{0, 1, 0, 1}));

  // missing=7.0: the last row's x1 is missing, so it takes the default (left) branch.
  m = LoadModelBytes(WrapperPickle("XGBClassifier", json, PStr("n_classes_") + PInt(2) + PStr("missing") + PFloat(7.0)),
                     "clf.pkl");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE((*m)->PredictClass(kRows.data(), kNRows, cls.data()).ok());
  EXPECT_EQ(cls, (std::vector<int32_t>{0, 1, 0, 0}));
}

TEST(XGBoostPickle, RegressorWrapperAndRefusals) {
  Booster b;
  b.objective = R"({"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}})";
  StatusOr<std::shared_ptr<const Model>> m =
      LoadModelBytes(WrapperPickle("XGBRegressor", ModelJson(b), PStr("n_features_in_") + PInt(2)), "reg.pkl");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->kind(), ModelKind::kRegressor);
  std::vector<double> y(kNRows);
  ASSERT_TRUE((*m)->PredictValue(kRows.data(), kNRows, y.data()).ok());
  EXPECT_EQ(y, (std::vector<double>{-0.5, 2.5, -0.5, 2.5}));

  m = LoadModelBytes(WrapperPickle("XGBRegressor", ModelJson(b), PStr("n_features_in_") + PInt(3)), "reg.pkl");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "reg.pkl: XGBRegressor: n_features_in_ does not match the booster");

  m = LoadModelBytes(WrapperPickle("XGBClassifier", ModelJson(Booster{}), PStr("n_classes_") + PInt(3)), "clf.pkl");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "clf.pkl: XGBClassifier: xgboost model has 2 classes but classes_ has 3");
}

// Rows of (x0, x1) for a categorical split on x0.
std::vector<double> CatRows(const std::vector<double>& x0) {
  std::vector<double> rows;
  for (double v : x0) {
    rows.push_back(v);
    rows.push_back(0.0);
  }
  return rows;
}

TEST(XGBoostEvaluator, CategoricalSplitsSendTheSetRightAndInvalidValuesDefault) {
  Booster b;
  b.objective = R"({"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}})";
  b.base_score = "0E0";
  const std::vector<double> x0 = {0, 1, 2, 3, 2.7, 3.9, 31, 31.5, -0.5, -0.0, 32, 1e9, NAN};
  // The set {1, 3}; its bitset holds categories 0..31. Values past it, negative ones and
  // missing ones take the default direction; others are truncated to a category.
  for (bool default_left : {false, true}) {
    b.trees = {CatStump(0, "[1,3]", 2, default_left, -1.0, 2.0)};
    StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
    ASSERT_TRUE(m.ok()) << m.status().message();
    const std::vector<double> rows = CatRows(x0);
    std::vector<double> y(x0.size());
    ASSERT_TRUE((*m)->PredictValue(rows.data(), x0.size(), y.data()).ok());
    const double d = default_left ? -1.0 : 2.0;
    EXPECT_EQ(y, (std::vector<double>{-1, 2, -1, 2, -1, 2, -1, -1, d, -1, d, d, d})) << default_left;
  }
  // Every category of a full word in the set, default right: everything goes right.
  std::string all = "[";
  for (int c = 0; c < 32; ++c) all += (c ? "," : "") + std::to_string(c);
  b.trees = {CatStump(0, all + "]", 32, false, -1.0, 2.0)};
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const std::vector<double> rows = CatRows(x0);
  std::vector<double> y(x0.size());
  ASSERT_TRUE((*m)->PredictValue(rows.data(), x0.size(), y.data()).ok());
  EXPECT_EQ(y, std::vector<double>(x0.size(), 2.0));
}

TEST(XGBoostEvaluator, DartWeightsRoundAsEachPredictionPathDoes) {
  Booster b;
  b.objective = R"({"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}})";
  b.base_score = "3E-1";
  b.trees = {Stump(0, -1.1, 2.3), Stump(1, 0.7, -0.9)};
  b.tree_info = "[0,0]";
  b.booster = "dart:[0.37,1.9]";
  const float base = 0.3f, w0 = 0.37f, w1 = 1.9f;
  const float l0[2] = {-1.1f, 2.3f}, l1[2] = {0.7f, -0.9f};
  // A bare Booster (Booster.predict on a DMatrix): margin + leaf * weight.
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<double> y(kNRows);
  ASSERT_TRUE((*m)->PredictValue(kRows.data(), kNRows, y.data()).ok());
  for (size_t r = 0; r < kNRows; ++r) {
    const int side = r % 2;  // rows 0 and 2 go left, 1 and 3 right
    float want = base;
    want += l0[side] * w0;
    want += l1[side] * w1;
    EXPECT_EQ(y[r], static_cast<double>(want)) << r;
  }
  // The sklearn wrapper (inplace_predict): margin + ((base + leaf) - base) * weight.
  m = LoadModelBytes(WrapperPickle("XGBRegressor", ModelJson(b), ""), "dart.pkl");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE((*m)->PredictValue(kRows.data(), kNRows, y.data()).ok());
  for (size_t r = 0; r < kNRows; ++r) {
    const int side = r % 2;
    float want = base;
    want += ((base + l0[side]) - base) * w0;
    want += ((base + l1[side]) - base) * w1;
    EXPECT_EQ(y[r], static_cast<double>(want)) << r;
  }
}

TEST(XGBoostEvaluator, GblinearAddsBiasAndPresentCells) {
  Booster b;
  b.booster = R"({"model":{"boosted_rounds":1,"weights":[0.5,0.25,1.0]},"name":"gblinear"})";
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<double> proba(kNRows * 2);
  ASSERT_TRUE((*m)->PredictProba(kRows.data(), kNRows, proba.data()).ok());
  // margin = bias + logit(0.5) + 0.5 * x0 + 0.25 * x1 over the present cells.
  const float x1[kNRows] = {0.0f, 0.5f, NAN, 7.0f};
  for (size_t r = 0; r < kNRows; ++r) {
    float sum = 1.0f + 0.0f;
    sum += 0.0f * 0.5f;
    if (!std::isnan(x1[r])) sum += x1[r] * 0.25f;
    EXPECT_EQ(proba[2 * r + 1], static_cast<double>(Sigmoid(sum))) << r;
  }
}

TEST(XGBoostEvaluator, ObjectiveLinksAndBaseMargins) {
  struct Case {
    const char* objective;
    const char* base;
    float (*want)(float leaf);
  };
  const Case cases[] = {
      {"count:poisson", "5E-1", [](float l) { return std::exp(std::log(0.5f) + l); }},
      {"reg:gamma", "2E0", [](float l) { return std::exp(std::log(2.0f) + l); }},
      {"binary:logitraw", "5E-1", [](float l) { return 0.5f + l; }},
      {"binary:hinge", "5E-1", [](float l) { return 0.5f + l > 0.0f ? 1.0f : 0.0f; }},
      {"rank:pairwise", "5E-1", [](float l) { return 0.5f + l; }},
  };
  for (const Case& c : cases) {
    Booster b;
    b.objective = std::string(R"({"name":")") + c.objective + R"("})";
    b.base_score = c.base;
    if (std::string(c.objective) == "count:poisson") {
      b.objective = R"({"name":"count:poisson","poisson_regression_param":{"max_delta_step":"0.7"}})";
    } else if (std::string(c.objective) == "rank:pairwise") {
      b.objective = R"({"name":"rank:pairwise","lambda_rank_param":{"num_pairsample":"1"}})";
    } else if (std::string(c.objective) == "binary:logitraw") {
      b.objective = R"({"name":"binary:logitraw","reg_loss_param":{"scale_pos_weight":"1"}})";
    }
    StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
    ASSERT_TRUE(m.ok()) << c.objective << ": " << m.status().message();
    EXPECT_EQ((*m)->kind(), ModelKind::kRegressor) << c.objective;
    std::vector<double> y(kNRows);
    ASSERT_TRUE((*m)->PredictValue(kRows.data(), kNRows, y.data()).ok());
    EXPECT_EQ(y[0], static_cast<double>(c.want(-1.0f))) << c.objective;
    EXPECT_EQ(y[1], static_cast<double>(c.want(2.0f))) << c.objective;
  }
}

TEST(XGBoostEvaluator, SoftmaxObjectiveGivesTheFirstLargestClass) {
  Booster b;
  b.trees = {Stump(0, 1.0, 0.0), Stump(1, 1.0, 1.0), Stump(2, 0.5, 0.5)};
  b.tree_info = "[0,1,2]";
  b.num_class = "3";
  b.objective = R"({"name":"multi:softmax","softmax_multiclass_param":{"num_class":"3"}})";
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->kind(), ModelKind::kClassifier);
  const double rows[4] = {0.0, 0.0, 0.0, 1.0};
  int32_t cls[2];
  ASSERT_TRUE((*m)->PredictClass(rows, 2, cls).ok());
  EXPECT_EQ(cls[0], 0);  // margins (1.5, 1.5, 1.0): a tie goes to the first
  EXPECT_EQ(cls[1], 1);  // margins (0.5, 1.5, 1.0)
}

// A pickled bare xgboost.core.Booster: {"handle": <snapshot>, "best_iteration": 0, ...}.
std::string BoosterPickle(const std::string& model_json, const std::string& extra) {
  const std::string snapshot = Snapshot(model_json);
  return "\x80\x04" + std::string("cxgboost.core\nBooster\n)\x81}(") + PStr("handle") + "B" +
         U32(static_cast<uint32_t>(snapshot.size())) + snapshot + extra + "ub.";
}

TEST(XGBoostPickle, BareBoosterPredictsLikeBoosterPredict) {
  Booster b;
  b.trees = {Stump(0, -1.0, 2.0), Stump(1, 10.0, 10.0)};
  b.tree_info = "[0,0]";
  // Booster.predict ignores best_iteration: every round counts.
  StatusOr<std::shared_ptr<const Model>> m =
      LoadModelBytes(BoosterPickle(ModelJson(b), PStr("best_iteration") + PInt(0)), "booster.pkl");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->kind(), ModelKind::kClassifier);
  EXPECT_NE((*m)->Describe().find("Booster[binary:logistic, gbtree, 2 trees, 2 features]"), std::string::npos)
      << (*m)->Describe();
  std::vector<double> proba(kNRows * 2);
  ASSERT_TRUE((*m)->PredictProba(kRows.data(), kNRows, proba.data()).ok());
  EXPECT_EQ(proba[1], static_cast<double>(Sigmoid(-1.0f + 10.0f)));

  m = LoadModelBytes(BoosterPickle("{}", ""), "booster.pkl");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message().rfind("booster.pkl: ", 0), 0u) << m.status().message();
}

TEST(XGBoostEvaluator, ConcurrentPredictionsEqualOneThreadsWithoutALock) {
  Booster b;
  b.trees = {Stump(0, -1.1, 2.3), Stump(1, 0.7, -0.9), CatStump(2, "[0,5]", 2, true, 0.25, -0.5)};
  b.tree_info = "[0,0,0]";
  b.booster = "dart:[0.5,1.5,0.75]";
  StatusOr<std::shared_ptr<const Model>> m = LoadJson(b);
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<double> rows;
  for (int r = 0; r < 999; ++r) {
    rows.push_back(r % 7 == 0 ? NAN : (r % 11) - 2.0);
    rows.push_back(r % 5 == 0 ? NAN : (r % 3) * 0.4);
  }
  const size_t n = rows.size() / 2;
  std::vector<double> want(n * 2);
  ASSERT_TRUE((*m)->PredictProba(rows.data(), n, want.data()).ok());
  std::vector<std::thread> threads;
  std::vector<int> same(4, 0);
  for (size_t t = 0; t < same.size(); ++t) {
    threads.emplace_back([&, t] {
      std::vector<double> got(n * 2);
      bool all = true;
      for (int rep = 0; rep < 50; ++rep) {
        // One row at a time and in a batch: both walks must agree with the first answer.
        all = all && (*m)->PredictProba(rows.data(), n, got.data()).ok() && got == want;
        for (size_t r = 0; r < n; r += 97) {
          double one[2];
          all = all && (*m)->PredictProba(rows.data() + 2 * r, 1, one).ok() && one[0] == want[2 * r] &&
                one[1] == want[2 * r + 1];
        }
      }
      same[t] = all ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(same, std::vector<int>(4, 1));
}

TEST(XGBoostEvaluator, ChildrenNumberedBeforeTheirParentPredictAsInBreadthFirstOrder) {
  // xgboost's pruner lets a later split reuse freed ids, so a child may have a smaller id than
  // its parent. Node 0 splits x0 at 0.5 (missing left) into node 3 and leaf 4; node 3 splits
  // x1 at 0.5 (missing right) into leaves 1 and 2. The same tree numbered breadth first must
  // give the same margins.
  auto tree = [](const std::string& left, const std::string& right, const std::string& parents,
                 const std::string& features, const std::string& splits, const std::string& default_left) {
    return R"({"base_weights":[0.0,0.0,0.0,0.0,0.0],"categories":[],"categories_nodes":[],)"
           R"("categories_segments":[],"categories_sizes":[],"default_left":)" +
           default_left + R"(,"id":0,"left_children":)" + left + R"(,"loss_changes":[1.0,0.0,0.0,1.0,0.0],"parents":)" +
           parents + R"(,"right_children":)" + right + R"(,"split_conditions":)" + splits + R"(,"split_indices":)" +
           features +
           R"(,"split_type":[0,0,0,0,0],"sum_hessian":[4.0,1.0,1.0,2.0,2.0],)"
           R"("tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"5","size_leaf_vector":"0"}})";
  };
  Booster reused, ordered;
  reused.trees = {tree("[3,-1,-1,1,-1]", "[4,-1,-1,2,-1]", "[2147483647,3,3,0,0]", "[0,0,0,1,0]",
                       "[0.5,-1.0,2.0,0.5,0.25]", "[1,0,0,0,0]")};
  ordered.trees = {tree("[1,3,-1,-1,-1]", "[2,4,-1,-1,-1]", "[2147483647,0,0,1,1]", "[0,1,0,0,0]",
                        "[0.5,0.5,0.25,-1.0,2.0]", "[1,0,0,0,0]")};
  for (Booster* b : {&reused, &ordered}) {
    b->objective = R"({"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}})";
    b->base_score = "0E0";
  }
  const std::vector<double> rows = {0.0, 0.0, 0.0, 1.0, 1.0, 0.0, NAN, 1.0, 0.0, NAN, 1.0, NAN};
  const std::vector<double> want = {-1.0, 2.0, 0.25, 2.0, 2.0, 0.25};
  for (const Booster* b : {&reused, &ordered}) {
    StatusOr<std::shared_ptr<const Model>> m = LoadJson(*b);
    ASSERT_TRUE(m.ok()) << m.status().message();
    std::vector<double> y(want.size());
    ASSERT_TRUE((*m)->PredictValue(rows.data(), want.size(), y.data()).ok());
    EXPECT_EQ(y, want);
  }
}

TEST(XGBoostModelFile, FileIsReadWholeUpToTheSizeLimit) {
  // A native file goes through the loader's own read (not the bytes entry point): the whole
  // file, and nothing past max_file_bytes.
  const std::string json = ModelJson(Booster{});
  const std::string path = ::testing::TempDir() + "/xgb_read_limit.json";
  {
    std::ofstream f(path, std::ios::binary);
    f << json;
  }
  LoadOptions options;
  options.max_file_bytes = json.size();
  StatusOr<std::shared_ptr<const Model>> m = LoadModelFile(path, options);
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<int32_t> cls(kNRows);
  ASSERT_TRUE((*m)->PredictClass(kRows.data(), kNRows, cls.data()).ok());
  EXPECT_EQ(cls, (std::vector<int32_t>{0, 1, 0, 1}));
  options.max_file_bytes = json.size() - 1;
  m = LoadModelFile(path, options);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("over the limit of " + std::to_string(json.size() - 1)), std::string::npos)
      << m.status().message();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace inferd
