// The XGBoost document reader and validator on small hand-written models, in JSON and in
// UBJSON (the same document written by a UBJSON encoder below, typed arrays as xgboost writes
// them), as model files and as snapshots: real shapes load, each hostile edit is refused with
// a line naming the tree, node and value.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "sklearn/xgboost/xgboost_document.h"
#include "sklearn/xgboost/xgboost_value.h"

namespace inferd::sklearn {
namespace {

using Fields = std::map<std::string, std::string>;

// Tree 0: node 0 splits feature 0 at 0.5 into node 1 (splits feature 1 at 1.5 into leaves 3
// and 4) and leaf 2. `edits` replace fields of tree 0 (raw JSON text).
std::string Tree0(const Fields& edits) {
  Fields f = {
      {"base_weights", "[0.5,0.25,1.0,2.0,3.0]"},
      {"categories", "[]"},
      {"categories_nodes", "[]"},
      {"categories_segments", "[]"},
      {"categories_sizes", "[]"},
      {"default_left", "[1,0,0,0,0]"},
      {"id", "0"},
      {"left_children", "[1,3,-1,-1,-1]"},
      {"loss_changes", "[1.5,0.5,0.0,0.0,0.0]"},
      {"parents", "[2147483647,0,0,1,1]"},
      {"right_children", "[2,4,-1,-1,-1]"},
      {"split_conditions", "[0.5,1.5,0.1,0.2,0.3]"},
      {"split_indices", "[0,1,0,0,0]"},
      {"split_type", "[0,0,0,0,0]"},
      {"sum_hessian", "[4.0,3.0,1.0,2.0,1.0]"},
      {"tree_param", R"({"num_deleted":"0","num_feature":"2","num_nodes":"5","size_leaf_vector":"0"})"},
  };
  for (const auto& [k, v] : edits) {
    if (v.empty()) {
      f.erase(k);
    } else {
      f[k] = v;
    }
  }
  std::string out = "{";
  for (const auto& [k, v] : f) out += "\"" + k + "\":" + v + ",";
  out.back() = '}';
  return out;
}

const char* kTree1 =
    R"({"base_weights":[0.5,0.25,1.0],"categories":[],"categories_nodes":[],"categories_segments":[],)"
    R"("categories_sizes":[],"default_left":[0,0,0],"id":1,"left_children":[1,-1,-1],"loss_changes":[1.5,0.0,0.0],)"
    R"("parents":[2147483647,0,0],"right_children":[2,-1,-1],"split_conditions":[-0.5,0.75,-0.25],)"
    R"("split_indices":[1,0,0],"split_type":[0,0,0],"sum_hessian":[2.0,1.0,1.0],)"
    R"("tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"3","size_leaf_vector":"0"}})";

struct ModelEdits {
  Fields tree0;
  std::string num_trees = "2";
  std::string tree_info = "[0,0]";
  std::string num_feature = "2";
  std::string num_class = "0";
  std::string objective = R"({"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}})";
  std::string attributes = "{}";
  std::string trees;  // replaces the trees array when set

  ModelEdits& Tree0(Fields f) {
    tree0 = std::move(f);
    return *this;
  }
  ModelEdits& NumTrees(std::string v) {
    num_trees = std::move(v);
    return *this;
  }
  ModelEdits& TreeInfo(std::string v) {
    tree_info = std::move(v);
    return *this;
  }
  ModelEdits& NumFeature(std::string v) {
    num_feature = std::move(v);
    return *this;
  }
  ModelEdits& NumClass(std::string v) {
    num_class = std::move(v);
    return *this;
  }
  ModelEdits& Objective(std::string v) {
    objective = std::move(v);
    return *this;
  }
  ModelEdits& Attributes(std::string v) {
    attributes = std::move(v);
    return *this;
  }
  ModelEdits& Trees(std::string v) {
    trees = std::move(v);
    return *this;
  }
};

std::string ModelJson(const ModelEdits& e = {}) {
  const std::string trees = e.trees.empty() ? "[" + Tree0(e.tree0) + "," + kTree1 + "]" : e.trees;
  return R"({"learner":{"attributes":)" + e.attributes +
         R"(,"feature_names":[],"feature_types":[],"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":")" +
         e.num_trees + R"(","size_leaf_vector":"0"},"tree_info":)" + e.tree_info + R"(,"trees":)" + trees +
         R"(},"name":"gbtree"},"learner_model_param":{"base_score":"5E-1","boost_from_average":"1","num_class":")" +
         e.num_class + R"(","num_feature":")" + e.num_feature + R"(","num_target":"1"},"objective":)" + e.objective +
         R"(},"version":[1,7,4]})";
}

// ---- a UBJSON encoder over XgbValue, writing what xgboost writes ----
void Be(uint64_t v, size_t n, std::string* out) {
  for (size_t i = n; i-- > 0;) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void UbjLength(size_t n, std::string* out) {
  out->push_back('L');
  Be(n, 8, out);
}
// Element marker of a typed array as xgboost writes it, by key; 0: an untyped counted array.
char TypedMarker(std::string_view key) {
  if (key == "tree_info" || key == "version" || key == "weight_drop") return 0;
  if (key == "default_left" || key == "split_type") return 'U';
  if (key == "categories_segments" || key == "categories_sizes") return 'L';
  return 'l';
}
void UbjNumber(bool is_int, int64_t i, double d, std::string* out) {
  if (is_int) {
    out->push_back('L');
    Be(static_cast<uint64_t>(i), 8, out);
    return;
  }
  const float f = static_cast<float>(d);
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  out->push_back('d');
  Be(bits, 4, out);
}
void Ubj(const XgbValue& v, std::string* out, std::string_view key = "") {
  using T = XgbValue::Type;
  if ((v.type == T::kIntArray || v.type == T::kRealArray) && TypedMarker(key) == 0) {
    out->append("[#");
    UbjLength(v.size(), out);
    for (size_t i = 0; i < v.size(); ++i) {
      UbjNumber(v.type == T::kIntArray, v.type == T::kIntArray ? XgbIntAt(v, i) : 0, XgbRealAt(v, i), out);
    }
    return;
  }
  switch (v.type) {
    case T::kNull: out->push_back('Z'); break;
    case T::kRead: out->append(v.string); break;  // a UBJSON object, as it was read
    case T::kBool: out->push_back(v.boolean ? 'T' : 'F'); break;
    case T::kInt: UbjNumber(true, v.integer, 0, out); break;
    case T::kReal: UbjNumber(false, 0, v.real, out); break;
    case T::kKey:
    case T::kString:
      out->push_back('S');
      UbjLength(v.string.size(), out);
      out->append(v.string);
      break;
    case T::kObject:
      out->push_back('{');
      for (const auto& [k, x] : v.members()) {  // key, value
        UbjLength(k.size(), out);
        out->append(k);
        Ubj(x, out, k);
      }
      out->push_back('}');
      break;
    case T::kIntArray: {
      const char m = TypedMarker(key);
      out->append("[$");
      out->push_back(m);
      out->push_back('#');
      UbjLength(v.size(), out);
      const size_t size = m == 'U' ? 1 : m == 'L' ? 8 : 4;
      for (size_t i = 0; i < v.size(); ++i) Be(static_cast<uint64_t>(XgbIntAt(v, i)), size, out);
      break;
    }
    case T::kRealArray:
      out->append("[$d#");
      UbjLength(v.size(), out);
      for (size_t i = 0; i < v.size(); ++i) {
        const float f = static_cast<float>(XgbRealAt(v, i));
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        Be(bits, 4, out);
      }
      break;
    case T::kArray:
      out->append("[#");
      UbjLength(v.size(), out);
      for (const XgbValue& x : v.items()) Ubj(x, out);
      break;
  }
}
std::string ToUbjson(const std::string& json) {
  StatusOr<XgbParsed> v = ParseXgbJson(json);
  EXPECT_TRUE(v.ok()) << v.status().message();
  std::string out;
  if (v.ok()) Ubj(v->root(), &out);
  return out;
}

std::string Snapshot(const std::string& model_json) {
  return R"({"Config":{"learner":{"generic_param":{"nthread":"0"}},"version":[1,7,4]},"Model":)" + model_json + "}";
}

// Reads `json` in all four ways and returns the JSON model-file result; all must agree.
// A UBJSON document read with its tree objects taken straight from their bytes and read by the
// parser only: the same document or the same error.
StatusOr<XgbDocument> ReadUbjsonBothWays(const std::string& bytes, XgbDocumentForm form) {
  StatusOr<XgbDocument> direct = ReadXgbDocument(bytes, form, XgbTreeObjects::kDirect);
  const StatusOr<XgbDocument> generic = ReadXgbDocument(bytes, form, XgbTreeObjects::kGeneric);
  EXPECT_EQ(direct.status().message(), generic.status().message());
  if (direct.ok() && generic.ok()) {
    EXPECT_TRUE(SameXgbDocument(*direct, *generic));
  }
  return direct;
}

Status ReadAllWays(const std::string& json) {
  const StatusOr<XgbDocument> a = ReadXgbDocument(json, XgbDocumentForm::kModelFile);
  const StatusOr<XgbDocument> b = ReadUbjsonBothWays(ToUbjson(json), XgbDocumentForm::kModelFile);
  const StatusOr<XgbDocument> c = ReadXgbDocument(Snapshot(json), XgbDocumentForm::kSnapshot);
  const StatusOr<XgbDocument> d = ReadUbjsonBothWays(ToUbjson(Snapshot(json)), XgbDocumentForm::kSnapshot);
  EXPECT_EQ(a.status().message(), b.status().message());
  EXPECT_EQ(a.status().message(), c.status().message());
  EXPECT_EQ(a.status().message(), d.status().message());
  if (a.ok() && b.ok()) {
    EXPECT_TRUE(SameXgbDocument(*a, *b));
  }
  return a.status();
}

void ExpectRefused(const ModelEdits& e, const std::string& message) {
  const Status s = ReadAllWays(ModelJson(e));
  ASSERT_FALSE(s.ok()) << "accepted, expected: " << message;
  EXPECT_EQ(s.message(), message);
}

TEST(XgbDocument, ReadsAValidModelInEveryForm) {
  const std::string json = ModelJson();
  ASSERT_TRUE(ReadAllWays(json).ok()) << ReadAllWays(json).message();
  StatusOr<XgbDocument> d = ReadXgbDocument(json, XgbDocumentForm::kModelFile);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->num_feature, 2);
  EXPECT_EQ(d->objective, "binary:logistic");
  EXPECT_EQ(d->booster, "gbtree");
  EXPECT_FLOAT_EQ(d->base_score, 0.5f);
  ASSERT_EQ(d->trees.size(), 2u);
  std::vector<int32_t> left;
  for (const XgbNode& n : d->trees[0].nodes) left.push_back(n.left);
  EXPECT_EQ(left, (std::vector<int32_t>{1, 3, -1, -1, -1}));
  EXPECT_EQ(d->trees[0].nodes[1].split_condition, 1.5f);
  EXPECT_EQ(d->trees[0].nodes[0].default_left, 1);
  EXPECT_EQ(d->rounds(), 2);
  EXPECT_EQ(d->output_groups(), 1);
  // The UBJSON form and both snapshots give the same document.
  for (const auto& [bytes, form] : {std::pair{ToUbjson(json), XgbDocumentForm::kModelFile},
                                    std::pair{ToUbjson(Snapshot(json)), XgbDocumentForm::kSnapshot},
                                    std::pair{Snapshot(json), XgbDocumentForm::kSnapshot}}) {
    StatusOr<XgbDocument> o = ReadXgbDocument(bytes, form);
    ASSERT_TRUE(o.ok()) << o.status().message();
    ASSERT_EQ(o->trees.size(), d->trees.size());
    for (size_t t = 0; t < d->trees.size(); ++t) {
      ASSERT_EQ(o->trees[t].nodes.size(), d->trees[t].nodes.size());
      for (size_t i = 0; i < d->trees[t].nodes.size(); ++i) {
        const XgbNode& a = o->trees[t].nodes[i];
        const XgbNode& b = d->trees[t].nodes[i];
        EXPECT_EQ(std::tie(a.left, a.right, a.parent, a.split_index, a.default_left, a.split_type),
                  std::tie(b.left, b.right, b.parent, b.split_index, b.default_left, b.split_type));
        EXPECT_EQ(std::tie(a.split_condition, a.sum_hessian), std::tie(b.split_condition, b.sum_hessian));
      }
    }
    EXPECT_EQ(o->base_score, d->base_score);
    EXPECT_EQ(o->objective, d->objective);
  }
}

TEST(XgbDocument, IssueTableEdits) {
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[1000000000,3,-1,-1,-1]"}}),
                "xgboost tree 0 node 0: left child 1000000000 is out of range (tree has 5 nodes)");
  ExpectRefused(ModelEdits().Tree0({{"split_indices", "[1000000,1,0,0,0]"}}),
                "xgboost tree 0 node 0: split on feature 1000000 is out of range (the model has 2 features)");
  ExpectRefused(ModelEdits().Tree0({{"split_indices", "[-1,1,0,0,0]"}}),
                "xgboost tree 0 node 0: split on feature -1 is out of range (the model has 2 features)");
  ExpectRefused(ModelEdits().NumTrees("99999999"),
                "xgboost gbtree_model_param: num_trees is 99999999 but the model has 2 trees");
  ExpectRefused(ModelEdits().TreeInfo("[]"), "xgboost model: tree_info has 0 entries for 2 trees");
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[0,3,-1,-1,-1]"}}),
                "xgboost tree 0 node 0: left child 0 is the root (a cycle)");
}

TEST(XgbDocument, StructureEdits) {
  // Node 1's left child is node 1's parent's other child: node 2 reached twice.
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[1,2,-1,-1,-1]"}}),
                "xgboost tree 0 node 1: left child 2 is reached twice from the root (a cycle or a shared node)");
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[1,1,-1,-1,-1]"}, {"right_children", "[2,4,-1,-1,-1]"}}),
                "xgboost tree 0 node 1: left child 1 is reached twice from the root (a cycle or a shared node)");
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[1,3,-1,-1,-1]"}, {"right_children", "[1,4,-1,-1,-1]"}}),
                "xgboost tree 0 node 0: both children are node 1");
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[1,-1,-1,-1,-1]"}}),
                "xgboost tree 0 node 1: has one child (left -1, right 4): children must be both -1 or both nodes");
  ExpectRefused(ModelEdits().Tree0({{"parents", "[2147483647,0,1,1,1]"}}),
                "xgboost tree 0 node 2: parent is 1 but the node is a child of 0");
  ExpectRefused(ModelEdits().Tree0({{"parents", "[5,0,0,1,1]"}}),
                "xgboost tree 0 node 0: the root's parent is 5, must be 2147483647 (none)");
  ExpectRefused(ModelEdits().Tree0({{"parents", "[2147483647,0,0,1,99]"}}),
                "xgboost tree 0 node 4: parent 99 is out of range (tree has 5 nodes)");
  // Leaves 3 and 4 cut off: unreachable, not marked deleted.
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[1,-1,-1,-1,-1]"}, {"right_children", "[2,-1,-1,-1,-1]"}}),
                "xgboost tree 0 node 3: is not reached from the root and not marked deleted");
  ExpectRefused(ModelEdits().Tree0({{"right_children", "[2,4,-1,-1,-1]"}, {"split_indices", "[0,2,0,0,0]"}}),
                "xgboost tree 0 node 1: split on feature 2 is out of range (the model has 2 features)");
}

TEST(XgbDocument, PrunedTreesWithDeletedNodesAreAccepted) {
  // As xgboost's pruner leaves them: node 1 became a leaf, nodes 3 and 4 are marked deleted
  // (split index 2^31-1, default_left 1) and counted in num_deleted.
  Fields pruned = {{"left_children", "[1,-1,-1,-1,-1]"},
                   {"right_children", "[2,-1,-1,-1,-1]"},
                   {"split_indices", "[0,0,0,2147483647,2147483647]"},
                   {"default_left", "[1,0,0,1,1]"},
                   {"tree_param", R"({"num_deleted":"2","num_feature":"2","num_nodes":"5","size_leaf_vector":"0"})"}};
  ASSERT_TRUE(ReadAllWays(ModelJson(ModelEdits().Tree0(pruned))).ok())
      << ReadAllWays(ModelJson(ModelEdits().Tree0(pruned))).message();
  pruned["tree_param"] = R"({"num_deleted":"1","num_feature":"2","num_nodes":"5","size_leaf_vector":"0"})";
  ExpectRefused(ModelEdits().Tree0(pruned), "xgboost tree 0: num_deleted is 1 but 2 nodes are marked deleted");
  ExpectRefused(ModelEdits().Tree0({{"split_indices", "[0,1,0,2147483647,0]"}, {"default_left", "[1,0,0,1,0]"}}),
                "xgboost tree 0 node 3: is marked deleted but is reached from the root");
}

TEST(XgbDocument, CountsAndLengths) {
  ExpectRefused(ModelEdits().Tree0({{"right_children", "[2,4,-1,-1]"}}),
                "xgboost tree 0: \"right_children\" has 4 entries, num_nodes is 5");
  ExpectRefused(
      ModelEdits().Tree0(
          {{"tree_param", R"({"num_deleted":"0","num_feature":"2","num_nodes":"99999999","size_leaf_vector":"0"})"}}),
      "xgboost tree 0: \"left_children\" has 5 entries, num_nodes is 99999999");
  ExpectRefused(ModelEdits().Tree0({{"split_type", "[0,0,0,0]"}}),
                "xgboost tree 0: \"split_type\" has 4 entries, num_nodes is 5");
  ExpectRefused(ModelEdits().TreeInfo("[0,1]"), "xgboost model: tree_info[1] is 1, the model has 1 output group");
  ExpectRefused(ModelEdits().TreeInfo("[0,-1]"), "xgboost model: tree_info[1] is -1, the model has 1 output group");
  ExpectRefused(ModelEdits().NumTrees("3"), "xgboost gbtree_model_param: num_trees is 3 but the model has 2 trees");
  ExpectRefused(ModelEdits().NumFeature("0"),
                "xgboost learner_model_param: \"num_feature\" is 0, must be in [1, 1048576]");
  ExpectRefused(ModelEdits().NumFeature("99999999"),
                "xgboost learner_model_param: \"num_feature\" is 99999999, must be in [1, 1048576]");
  ExpectRefused(ModelEdits().NumClass("99999999"),
                "xgboost learner_model_param: \"num_class\" is 99999999, must be in [0, 65536]");
  ExpectRefused(ModelEdits().Attributes(R"({"best_iteration":"2"})"),
                "xgboost attributes: best_iteration is 2 but the model has 2 boosting rounds");
  ExpectRefused(ModelEdits().Tree0({{"id", "1"}}), "xgboost tree 0: \"id\" is 1, trees must be stored in order");
  ExpectRefused(ModelEdits().Trees("[" + Tree0({}) + "]"),
                "xgboost gbtree_model_param: num_trees is 2 but the model has 1 trees");
}

TEST(XgbDocument, TypesAndParameters) {
  ExpectRefused(ModelEdits().Tree0({{"left_children", "\"x\""}}),
                "xgboost tree 0: \"left_children\" must be an array, found a string");
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[1,\"3\",-1,-1,-1]"}}),
                "xgboost tree 0: \"left_children\"[1] is a string, must be an integer");
  ExpectRefused(ModelEdits().Tree0({{"left_children", "[1,3.5,-1,-1,-1]"}}),
                "xgboost tree 0: \"left_children\"[1] is not an integer");
  ExpectRefused(ModelEdits().Tree0({{"split_conditions", "[0.5,null,0.1,0.2,0.3]"}}),
                "xgboost tree 0: \"split_conditions\"[1] is null, must be a number");
  ExpectRefused(ModelEdits().Tree0({{"default_left", "[1,0,2,0,0]"}}),
                "xgboost tree 0: \"default_left\"[2] is 2, must be in [0, 1]");
  ExpectRefused(ModelEdits().Tree0({{"default_left", "[1,0,0,0,255]"}}),
                "xgboost tree 0: \"default_left\"[4] is 255, must be in [0, 1]");
  ExpectRefused(ModelEdits().Tree0({{"split_type", "[0,0,0,0,3]"}}),
                "xgboost tree 0: \"split_type\"[4] is 3, must be in [0, 1]");
  ExpectRefused(ModelEdits().Tree0({{"split_conditions", "[0.5,1e39,0.1,0.2,0.3]"}}),
                "xgboost tree 0 node 1: threshold (split_conditions) is not a finite float32 number");
  ExpectRefused(ModelEdits().Tree0({{"tree_param", ""}}), "xgboost tree 0: missing \"tree_param\"");
  ExpectRefused(ModelEdits().NumTrees("abc"),
                "xgboost gbtree_model_param: \"num_trees\" is \"abc\", not an integer of at most 18 digits");
  ExpectRefused(ModelEdits().NumTrees(" 2"),
                "xgboost gbtree_model_param: \"num_trees\" is \" 2\", not an integer of at most 18 digits");
  ExpectRefused(ModelEdits().Objective(R"({"name":"foo"})"), "xgboost objective: unknown objective \"foo\"");
  ExpectRefused(
      ModelEdits().NumClass("3").Objective(R"({"name":"multi:softprob","softmax_multiclass_param":{"num_class":"0"}})"),
      "xgboost objective: softmax_multiclass_param.num_class is 0 but learner_model_param.num_class is 3");
  ExpectRefused(ModelEdits().Attributes(R"({"best_iteration":3})"),
                "xgboost attributes: \"best_iteration\" must be a string, found an integer");
  // Older JSON files write default_left as booleans; in UBJSON xgboost reads only typed flags.
  const std::string bools = ModelJson(ModelEdits().Tree0({{"default_left", "[true,false,false,false,false]"}}));
  EXPECT_TRUE(ReadXgbDocument(bools, XgbDocumentForm::kModelFile).ok());
  EXPECT_EQ(ReadXgbDocument(ToUbjson(bools), XgbDocumentForm::kModelFile).status().message(),
            "xgboost tree 0: \"default_left\" must be a typed UBJSON array of 'U' as xgboost writes it");
  ExpectRefused(ModelEdits().Tree0({{"split_type", "[]"}}),
                "xgboost tree 0: \"split_type\" has 0 entries, num_nodes is 5");
  ExpectRefused(ModelEdits().Objective(R"({"name":"reg:tweedie"})"),
                "xgboost objective: \"reg:tweedie\" needs the object \"tweedie_regression_param\"");
  ExpectRefused(ModelEdits().Objective(R"({"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":1}})"),
                "xgboost objective: reg_loss_param.scale_pos_weight must be a string, found an integer");
}

TEST(XgbDocument, CategoricalSplits) {
  // Node 1 splits feature 1 on categories {1, 3}.
  const Fields cat = {{"split_type", "[0,1,0,0,0]"},
                      {"categories", "[1,3]"},
                      {"categories_nodes", "[1]"},
                      {"categories_segments", "[0]"},
                      {"categories_sizes", "[2]"}};
  ASSERT_TRUE(ReadAllWays(ModelJson(ModelEdits().Tree0(cat))).ok());
  // xgboost writes NaN as a categorical split's threshold; a numerical split needs a number.
  Fields nan_threshold = cat;
  nan_threshold["split_conditions"] = "[0.5,NaN,0.1,0.2,0.3]";
  EXPECT_TRUE(ReadAllWays(ModelJson(ModelEdits().Tree0(nan_threshold))).ok());
  nan_threshold["split_conditions"] = "[NaN,NaN,0.1,0.2,0.3]";
  ExpectRefused(ModelEdits().Tree0(nan_threshold),
                "xgboost tree 0 node 0: threshold (split_conditions) is not a finite float32 number");
  auto with = [&](const std::string& k, const std::string& v) {
    Fields f = cat;
    f[k] = v;
    return ModelEdits().Tree0(f);
  };
  ExpectRefused(with("categories", "[1,-3]"), "xgboost tree 0: category -3 (categories[1]) is not in [0, 16777215]");
  ExpectRefused(with("categories", "[1,16777216]"),
                "xgboost tree 0: category 16777216 (categories[1]) is not in [0, 16777215]");
  ExpectRefused(with("categories_sizes", "[3]"),
                "xgboost tree 0 node 1: categories 0 + 3 are outside the 2 categories");
  ExpectRefused(with("categories_sizes", "[0]"), "xgboost tree 0 node 1: has a categorical split with no categories");
  ExpectRefused(with("categories_segments", "[-1]"),
                "xgboost tree 0 node 1: categories -1 + 2 are outside the 2 categories");
  ExpectRefused(with("categories_nodes", "[2]"),
                "xgboost tree 0 node 1: has a categorical split but no categories (categories_nodes)");
  ExpectRefused(with("categories_nodes", "[7]"),
                "xgboost tree 0: categories_nodes[0] is 7: entries must be increasing node ids below 5");
  ExpectRefused(with("categories_segments", "[0,0]"),
                "xgboost tree 0: categories_nodes, categories_segments and categories_sizes have 1, 2 and 1 entries");
  ExpectRefused(with("split_type", "[0,1,1,0,0]"), "xgboost tree 0 node 2: is a leaf with a categorical split_type");
  Fields no_type = cat;
  no_type.erase("split_type");
  no_type["split_type"] = "";
  ExpectRefused(ModelEdits().Tree0(no_type), "xgboost tree 0: has categorical splits but no \"split_type\"");
}

TEST(XgbDocument, DepthIsBounded) {
  // A chain: node 2k splits into node 2k+1 (a leaf) and node 2k+2.
  auto chain = [](int64_t depth) {
    XgbDocument d;
    d.num_feature = 1;
    d.objective = "reg:squarederror";
    d.booster = "gbtree";
    d.num_trees = 1;
    d.tree_info = {0};
    XgbTree t;
    t.num_nodes = 2 * depth + 1;
    for (int64_t i = 0; i < t.num_nodes; ++i) {
      const bool internal = i % 2 == 0 && i < 2 * depth;
      XgbNode& node = t.nodes.emplace_back();
      node.left = static_cast<int32_t>(internal ? i + 1 : -1);
      node.right = static_cast<int32_t>(internal ? i + 2 : -1);
      node.parent = static_cast<int32_t>(i == 0 ? kXgbRootParent : (i % 2 == 1 ? i - 1 : i - 2));
      node.split_condition = node.sum_hessian = 0.5f;
    }
    d.trees.push_back(t);
    return d;
  };
  EXPECT_TRUE(ValidateXgbDocument(chain(kMaxXgbTreeDepth)).ok())
      << ValidateXgbDocument(chain(kMaxXgbTreeDepth)).message();
  EXPECT_EQ(ValidateXgbDocument(chain(kMaxXgbTreeDepth + 1)).message(), "xgboost tree 0: is deeper than 1024 levels");
}

TEST(XgbDocument, DartAndGblinear) {
  std::string dart = ModelJson();
  const std::string gb = R"("gradient_booster":{)";
  const size_t at = dart.find(gb);
  ASSERT_NE(at, std::string::npos);
  // {"model":...,"name":"gbtree"} -> {"gbtree":{"model":...,"name":"gbtree"},"name":"dart","weight_drop":[...]}
  const size_t end = dart.find(R"(,"learner_model_param")");
  const std::string inner = dart.substr(at + gb.size() - 1, end - (at + gb.size() - 1));
  auto with_drop = [&](const std::string& drop) {
    return dart.substr(0, at) + R"("gradient_booster":{"gbtree":)" + inner + R"(,"name":"dart","weight_drop":)" + drop +
           "}" + dart.substr(end);
  };
  EXPECT_TRUE(ReadAllWays(with_drop("[1.0,0.5]")).ok()) << ReadAllWays(with_drop("[1.0,0.5]")).message();
  EXPECT_EQ(ReadAllWays(with_drop("[1.0]")).message(), "xgboost dart: weight_drop has 1 entries for 2 trees");

  const std::string linear_head = dart.substr(0, at) + R"("gradient_booster":{"model":{"boosted_rounds":3,"weights":)";
  const std::string linear_tail = R"(},"name":"gblinear"})" + dart.substr(end);
  EXPECT_TRUE(ReadAllWays(linear_head + "[0.5,0.25,1.0]" + linear_tail).ok());
  EXPECT_EQ(ReadAllWays(linear_head + "[0.5,0.25]" + linear_tail).message(),
            "xgboost gblinear: has 2 weights, (num_feature + 1) * 1 groups is 3");
}

TEST(XgbDocument, SnapshotNeedsConfigAndModel) {
  EXPECT_EQ(ReadXgbDocument(ModelJson(), XgbDocumentForm::kSnapshot).status().message(),
            "xgboost snapshot: missing \"Config\"");
  EXPECT_EQ(ReadXgbDocument(R"({"Config":{},"Model":[]})", XgbDocumentForm::kSnapshot).status().message(),
            "xgboost snapshot: \"Model\" must be an object, found an array");
}

TEST(XgbValue, JsonLimits) {
  EXPECT_EQ(ReadXgbDocument(R"({"a":1,"a":2})", XgbDocumentForm::kModelFile).status().message(),
            "malformed JSON at byte 0: duplicate key \"a\"");
  std::string deep = "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_EQ(ParseXgbJson(deep).status().message(), "malformed JSON at byte 36: nested deeper than 32 levels");
  EXPECT_FALSE(ParseXgbJson("[123456789012345678901234567890]").ok());
  // xgboost's words for non-finite numbers, outside strings only.
  StatusOr<XgbParsed> words = ParseXgbJson(R"({"a":[NaN,Infinity,-Infinity,1.5],"NaN":"NaN"})");
  ASSERT_TRUE(words.ok()) << words.status().message();
  const XgbValue& root = words->root();
  ASSERT_EQ(root.count, 2u);
  const XgbValue& a = *root.Find("a");
  ASSERT_EQ(a.type, XgbValue::Type::kRealArray);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_TRUE(std::isnan(XgbRealAt(a, 0)));
  EXPECT_EQ(XgbRealAt(a, 1), HUGE_VAL);
  EXPECT_EQ(XgbRealAt(a, 2), -HUGE_VAL);
  EXPECT_EQ(XgbRealAt(a, 3), 1.5);
  ASSERT_NE(root.Find("NaN"), nullptr);
  EXPECT_EQ(root.Find("NaN")->string, "NaN");
  EXPECT_FALSE(ParseXgbJson("[NaNa]").ok());
  EXPECT_FALSE(ParseXgbJson("[Nope]").ok());
  EXPECT_FALSE(ParseXgbJson(R"({"a":1} x)").ok());
  // Numbers keep their kind.
  StatusOr<XgbParsed> v = ParseXgbJson(R"({"f":[7.5E1,1E0,0.078947365],"i":[1,-2],"m":[1,"x",2.5]})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->root().Find("f")->type, XgbValue::Type::kRealArray);
  EXPECT_EQ(v->root().Find("i")->type, XgbValue::Type::kIntArray);
  EXPECT_EQ(XgbIntAt(*v->root().Find("i"), 1), -2);
  // An array holding anything but numbers keeps each item, numbers read before included.
  const XgbValue& m = *v->root().Find("m");
  ASSERT_EQ(m.type, XgbValue::Type::kArray);
  std::vector<std::string> kinds;
  for (const XgbValue& item : m.items()) kinds.emplace_back(XgbTypeName(item));
  EXPECT_EQ(kinds, (std::vector<std::string>{"an integer", "a string", "a number"}));
}

TEST(XgbValue, JsonGrammar) {
  auto error = [](std::string_view json) { return ParseXgbJson(json).status().message(); };
  EXPECT_EQ(error("[1,]"), "malformed JSON at byte 3: not a JSON value");
  EXPECT_EQ(error("[1 2]"), "malformed JSON at byte 3: expected ',' or ']' in an array, found '2'");
  EXPECT_EQ(error("[01]"), "malformed JSON at byte 2: expected ',' or ']' in an array, found '1'");
  EXPECT_EQ(error("[1.]"), "malformed JSON at byte 1: not a JSON value");
  EXPECT_EQ(error("[-]"), "malformed JSON at byte 1: not a JSON value");
  EXPECT_EQ(error("[1e]"), "malformed JSON at byte 1: not a JSON value");
  EXPECT_EQ(error("{\"a\" 1}"), "malformed JSON at byte 5: expected ':' after a key, found '1'");
  EXPECT_EQ(error("{\"a\":1,}"), "malformed JSON at byte 7: expected a key, found '}'");
  EXPECT_EQ(error("{1:2}"), "malformed JSON at byte 1: expected a key, found '1'");
  EXPECT_EQ(error("{\"a\":tru}"), "malformed JSON at byte 5: not a JSON value");
  EXPECT_EQ(error("[\"a]"), "malformed JSON at byte 1: a string is not closed");
  EXPECT_EQ(error("[\"a\x01\"]"), "malformed JSON at byte 3: control character in a string");
  EXPECT_EQ(error("[\"\\x\"]"), "malformed JSON at byte 2: unknown escape in a string");
  EXPECT_EQ(error("[\"\\ud800\"]"), "malformed JSON at byte 2: unpaired surrogate in a string");
  EXPECT_EQ(error("[\"\\u12\"]"), "malformed JSON at byte 2: bad \\u escape in a string");
  EXPECT_EQ(error("[\"\xff\"]"), "malformed JSON at byte 0: the text is not valid UTF-8");
  EXPECT_EQ(error("[1] 2"), "malformed JSON at byte 4: content after the document");
  EXPECT_EQ(error("  "), "malformed JSON at byte 2: unexpected end of the text");
  EXPECT_EQ(error("[1,2"), "malformed JSON at byte 4: expected ',' or ']' in an array, found the end of the text");
  EXPECT_EQ(error("[9223372036854775808]"), "malformed JSON at byte 1: integer out of range");

  // Escapes are decoded; surrogate pairs become one UTF-8 sequence.
  StatusOr<XgbParsed> s = ParseXgbJson(R"({"k\"\\\/\n":"\u00e9\ud83d\ude00\t"})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const XgbMemberRef m = *s->root().members().begin();
  EXPECT_EQ(m.key, "k\"\\/\n");
  EXPECT_EQ(m.value.string, "\xc3\xa9\xf0\x9f\x98\x80\t");

  // A number array is a view of its text; every reader decodes the same values.
  const std::string text = " [ 1 , -2 ,\n3 ] ";
  StatusOr<XgbParsed> ints = ParseXgbJson(text);
  ASSERT_TRUE(ints.ok());
  const XgbValue& a = ints->root();
  ASSERT_TRUE(a.text);
  EXPECT_EQ(a.type, XgbValue::Type::kIntArray);
  EXPECT_EQ(a.string, " 1 , -2 ,\n3 ");
  int64_t i64[3];
  XgbIntsAsInt64(a, i64);
  EXPECT_EQ(std::vector<int64_t>(i64, i64 + 3), (std::vector<int64_t>{1, -2, 3}));
  double d[3];
  XgbNumbersAsDouble(a, d);
  EXPECT_EQ(std::vector<double>(d, d + 3), (std::vector<double>{1, -2, 3}));
  EXPECT_EQ(XgbIntAt(a, 2), 3);
  const std::string wide = "[1,4294967296]";
  StatusOr<XgbParsed> w = ParseXgbJson(wide);
  ASSERT_TRUE(w.ok());
  int32_t i32[2];
  size_t bad = 0;
  EXPECT_FALSE(XgbIntsAsInt32(w->root(), i32, &bad));
  EXPECT_EQ(bad, 1u);
  // Beyond double's range: infinite (then refused where a finite number is needed), or zero.
  const std::string huge = "[1e999,-1e999,1e-999,2.5E-1,0.0000000001e-400,100000e-360]";
  StatusOr<XgbParsed> h = ParseXgbJson(huge);
  ASSERT_TRUE(h.ok());
  float f[6];
  XgbNumbersAsFloat(h->root(), f);
  EXPECT_EQ(f[4], 0.0f);
  EXPECT_EQ(f[5], 0.0f);
  EXPECT_EQ(f[0], HUGE_VALF);
  EXPECT_EQ(f[1], -HUGE_VALF);
  EXPECT_EQ(f[2], 0.0f);
  EXPECT_EQ(f[3], 0.25f);
}

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(XgbValue, UbjsonLimits) {
  // {"a": [$l#L 2^40 ...}: the count is checked against what is left.
  std::string lie =
      "{i\x01"
      "a[$l#L" +
      Bytes({0, 0, 1, 0, 0, 0, 0, 0}) + "}";
  EXPECT_EQ(ParseXgbUbjson(lie).status().message(),
            "malformed UBJSON at byte 8: array count 1099511627776 needs more than the 1 bytes left");
  std::string str =
      "{i\x01"
      "aSL" +
      Bytes({0x40, 0, 0, 0, 0, 0, 0, 0}) + "}";
  EXPECT_EQ(ParseXgbUbjson(str).status().message(),
            "malformed UBJSON at byte 5: string length 4611686018427387904 is longer than the 1 bytes left");
  EXPECT_EQ(ParseXgbUbjson("{i\x01"
                           "aSi\xff"
                           "}")
                .status()
                .message(),
            "malformed UBJSON at byte 5: string length is negative (-1)");
  EXPECT_EQ(ParseXgbUbjson("{i\x01"
                           "aZi\x01"
                           "aZ}")
                .status()
                .message(),
            "malformed UBJSON at byte 0: duplicate key \"a\" in an object");
  EXPECT_EQ(ParseXgbUbjson("{i\x01"
                           "aH}")
                .status()
                .message(),
            "malformed UBJSON at byte 4: unsupported marker 'H'");
  EXPECT_EQ(ParseXgbUbjson("{i\x01"
                           "a[$S#i\x01"
                           "x}")
                .status()
                .message(),
            "malformed UBJSON at byte 6: typed arrays of marker 'S' are not supported");
  EXPECT_EQ(ParseXgbUbjson("{}x").status().message(), "malformed UBJSON at byte 2: 1 bytes after the document");
  EXPECT_EQ(ParseXgbUbjson("{i\x01"
                           "a[#L")
                .status()
                .message(),
            "malformed UBJSON at byte 7: unexpected end of data in a number");
  EXPECT_EQ(ParseXgbUbjson("{i\x01"
                           "a" +
                           std::string(40, '['))
                .status()
                .message(),
            "malformed UBJSON at byte 35: nested deeper than 32 levels");
  // A counted array of nulls is bounded by the bytes left, and its values by the memory budget.
  StatusOr<XgbParsed> nulls = ParseXgbUbjson("[#i\x03ZZZ");
  ASSERT_TRUE(nulls.ok());
  EXPECT_EQ(nulls->root().size(), 3u);
  // A typed array is read in place: its elements stay in the input until asked for.
  const std::string typed_bytes = Bytes({'[', '$', 'd', '#', 'i', 2, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0});
  StatusOr<XgbParsed> typed = ParseXgbUbjson(typed_bytes);
  ASSERT_TRUE(typed.ok());
  ASSERT_EQ(typed->root().size(), 2u);
  EXPECT_EQ(XgbRealAt(typed->root(), 0), 1.0);
  EXPECT_EQ(XgbRealAt(typed->root(), 1), -2.0);
  float floats[2];
  XgbNumbersAsFloat(typed->root(), floats);
  EXPECT_EQ(floats[0], 1.0f);
  EXPECT_EQ(floats[1], -2.0f);
  const std::string ints_bytes = Bytes({'[', '$', 'L', '#', 'i', 2, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0});
  StatusOr<XgbParsed> ints = ParseXgbUbjson(ints_bytes);
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ(XgbIntAt(ints->root(), 0), 7);
  EXPECT_EQ(XgbIntAt(ints->root(), 1), int64_t{1} << 32);
  int32_t narrow[2];
  size_t bad = 0;
  EXPECT_FALSE(XgbIntsAsInt32(ints->root(), narrow, &bad));
  EXPECT_EQ(bad, 1u);
}

TEST(XgbDocument, UbjsonNaNThresholdIsRefused) {
  const std::string json = ModelJson();  // the parsed number arrays point into it
  StatusOr<XgbParsed> v = ParseXgbJson(json);
  ASSERT_TRUE(v.ok());
  std::string ubj;
  Ubj(v->root(), &ubj);
  // The first split_conditions value is 0.5f (0x3f000000): make it a NaN.
  const std::string half = Bytes({0x3f, 0, 0, 0});
  const size_t p = ubj.find("split_conditions");
  ASSERT_NE(p, std::string::npos);
  const size_t q = ubj.find(half, p);
  ubj.replace(q, 4, Bytes({0x7f, 0xc0, 0, 0}));
  EXPECT_EQ(ReadXgbDocument(ubj, XgbDocumentForm::kModelFile).status().message(),
            "xgboost tree 0 node 0: threshold (split_conditions) is not a finite float32 number");
}

TEST(XgbDocument, RealFilesFromXgboostAreAccepted) {
  // src/sklearn/xgboost/fuzz/make_corpus.py: binary, multi-class, dart, gblinear, categorical
  // and pruned models as JSON and UBJSON files, and a pickled booster's snapshots; beside them,
  // crash-* inputs the fuzzer found.
  size_t n = 0;
  bool saw_deleted = false;
  bool saw_categorical = false;
  for (const auto& entry : std::filesystem::directory_iterator(INFERD_XGBOOST_CORPUS_DIR)) {
    std::ifstream f(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string name = entry.path().filename().string();
    if (name.rfind("crash-", 0) == 0) {  // inputs the fuzzer found: refused, on one line
      for (auto form : {XgbDocumentForm::kModelFile, XgbDocumentForm::kSnapshot}) {
        StatusOr<XgbDocument> d = ReadXgbDocument(ss.str(), form);
        if (!d.ok()) {
          EXPECT_EQ(d.status().message().find('\n'), std::string::npos) << name;
        }
      }
      continue;
    }
    const auto form =
        name.find("snapshot") != std::string::npos ? XgbDocumentForm::kSnapshot : XgbDocumentForm::kModelFile;
    StatusOr<XgbDocument> d = ReadXgbDocument(ss.str(), form);
    ASSERT_TRUE(d.ok()) << name << ": " << d.status().message();
    for (const auto& t : d->trees) {
      saw_deleted |= t.num_deleted > 0;
      saw_categorical |= !t.categories_nodes.empty();
    }
    ++n;
  }
  EXPECT_EQ(n, 14u);
  EXPECT_TRUE(saw_deleted);
  EXPECT_TRUE(saw_categorical);
}

// The corpus files (xgboost's own, see RealFilesFromXgboostAreAccepted) by name.
std::map<std::string, std::string> CorpusFiles() {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(INFERD_XGBOOST_CORPUS_DIR)) {
    std::ifstream f(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    files[entry.path().filename().string()] = ss.str();
  }
  return files;
}

XgbDocumentForm FormOf(const std::string& name) {
  return name.find("snapshot") != std::string::npos ? XgbDocumentForm::kSnapshot : XgbDocumentForm::kModelFile;
}

TEST(XgbDocument, TreeObjectsXgboostWritesAreReadStraightFromTheirBytes) {
  for (const auto& [name, bytes] : CorpusFiles()) {
    if (name.size() < 4 || name.substr(name.size() - 4) != ".ubj" || name.rfind("crash-", 0) == 0) continue;
    StatusOr<XgbDocument> d = ReadUbjsonBothWays(bytes, FormOf(name));
    ASSERT_TRUE(d.ok()) << name << ": " << d.status().message();
    size_t categorical = 0;
    for (const XgbTree& t : d->trees) categorical += t.categories_nodes.empty() ? 0 : 1;
    // Every tree but those with a categorical split (read by the parser).
    EXPECT_EQ(XgbDirectTreeObjects(bytes), d->trees.size() - categorical) << name;
    if (name == "categorical.ubj") {
      EXPECT_GT(categorical, 0u);
    }
    if (name != "gblinear.ubj") {
      EXPECT_GT(d->trees.size(), categorical) << name;
    }
  }
  // The hand-written model of these tests, as a file and as a snapshot.
  EXPECT_EQ(XgbDirectTreeObjects(ToUbjson(ModelJson())), 2u);
  EXPECT_EQ(XgbDirectTreeObjects(ToUbjson(Snapshot(ModelJson()))), 2u);
  EXPECT_EQ(XgbDirectTreeObjects(ModelJson()), 0u);
}

TEST(XgbDocument, DirectTreeReadingAgreesWithTheParserAfterAnyOneByteEdit) {
  // Every byte of every UBJSON corpus file replaced by three values, and every file cut short at
  // every byte: the document or the error is the same with and without the direct reader.
  size_t edits = 0;
  size_t direct_refusals = 0;
  for (const auto& [name, bytes] : CorpusFiles()) {
    if (name.size() < 4 || name.substr(name.size() - 4) != ".ubj") continue;
    const XgbDocumentForm form = FormOf(name);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (const int delta : {1, 0x80, 0xff}) {
        std::string edited = bytes;
        edited[i] = static_cast<char>(static_cast<unsigned char>(edited[i]) + delta);
        const StatusOr<XgbDocument> d = ReadUbjsonBothWays(edited, form);
        direct_refusals += !d.ok() && XgbDirectTreeObjects(edited) > 0 ? 1 : 0;
        ++edits;
      }
      (void)ReadUbjsonBothWays(bytes.substr(0, i), form);
    }
  }
  EXPECT_GT(edits, 30000u);
  // Edits the direct reader takes and validation then refuses (a child, parent or id changed).
  EXPECT_GT(direct_refusals, 100u);
}

TEST(XgbDocument, MessagesStayOneLine) {
  ExpectRefused(ModelEdits().Attributes("{\"a\\nb\":1}"),
                "xgboost attributes: \"a?b\" must be a string, found an integer");
  ExpectRefused(ModelEdits().Objective(R"({"name":"x\ny"})"), "xgboost objective: unknown objective \"x?y\"");
}

TEST(XgbDocument, LogisticBaseScoreIsAProbability) {
  std::string json = ModelJson();
  const std::string half = R"("base_score":"5E-1")";
  json.replace(json.find(half), half.size(), R"("base_score":"1")");
  EXPECT_EQ(ReadAllWays(json).message(),
            "xgboost learner_model_param: base_score is 1.000000, binary:logistic needs a probability in (0, 1)");
}

}  // namespace
}  // namespace inferd::sklearn
