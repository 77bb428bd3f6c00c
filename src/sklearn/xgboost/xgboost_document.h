// XGBoost's model document, read and checked by inferd itself: the front end that every
// XGBoost file goes through before the evaluator (xgboost_booster.h) sees it.
//
// Forms read (detected by content, JSON or UBJSON each):
//   kModelFile  save_model('model.json' | 'model.ubj'): {"learner": {...}, "version": [...]}
//   kSnapshot   the booster inside a pickled XGBClassifier/XGBRegressor (`_Booster.handle`):
//               {"Config": {...}, "Model": <a model file's document>}; UBJSON from
//               xgboost 1.6, JSON from 1.4-1.5. Only "Model" is read: "Config" holds training
//               parameters (threads, updaters, predictor) that do not change predictions.
//
// ReadXgbDocument parses (xgboost_value.h: bounded nesting, counts checked against the input,
// no repeated keys), reads the fields below with their JSON types checked, and validates:
//   * learner_model_param: 1 <= num_feature <= kMaxXgbFeatures; num_class and num_target
//     <= kMaxXgbOutputs (not both above 1); base_score a finite number.
//   * objective: one xgboost 1.7 knows; multi:* carry num_class equal to the learner's.
//   * gbtree / dart: num_trees == trees == tree_info entries; each tree_info entry below the
//     number of output groups; 1 <= num_parallel_tree <= kMaxXgbParallelTrees; tree ids in order;
//     iteration_indptr, if present, starts at 0, never decreases and ends at num_trees;
//     dart: one finite weight_drop per tree.
//   * every tree: num_nodes == the length of every per-node array (checked as they are read,
//     before the node table is allocated); 0 <= num_deleted; children
//     both -1 (a leaf) or both in [1, num_nodes); every node reached from the root at most
//     once (no cycles, no shared nodes), each with the parent it was reached from; the only
//     unreachable nodes are ones xgboost marked deleted (their count is num_deleted); internal
//     nodes split on a feature in [0, num_feature); depth <= kMaxXgbTreeDepth; thresholds and
//     leaf values finite in float32; default_left and split_type 0 or 1; categorical splits:
//     categories_nodes strictly increasing and exactly the internal nodes with split_type 1,
//     their segments inside `categories`, categories in [0, kMaxXgbCategory), and the category
//     bitsets of the whole model at most kMaxXgbCategoryWords 32-bit words.
//   * gblinear: (num_feature + 1) * output groups finite weights.
//   * attributes: strings; best_iteration, if present, below the number of boosting rounds.
// Errors are one line, "xgboost <where>: <what>", e.g.
// "xgboost tree 0 node 0: left child 1000000000 is out of range (tree has 63 nodes)".
//
// Thread safety: ReadXgbDocument is reentrant; an XgbDocument is a plain value.
#ifndef INFERD_SKLEARN_XGBOOST_XGBOOST_DOCUMENT_H_
#define INFERD_SKLEARN_XGBOOST_XGBOOST_DOCUMENT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferd/status.h"

namespace inferd::sklearn {

// Bounds on what a file may declare (each far above what xgboost writes for real models;
// they keep index arithmetic in 32 bits and a one-row prediction's buffers small).
inline constexpr int64_t kMaxXgbFeatures = int64_t{1} << 20;
inline constexpr int64_t kMaxXgbOutputs = int64_t{1} << 16;
inline constexpr int64_t kMaxXgbParallelTrees = int64_t{1} << 16;
inline constexpr int64_t kMaxXgbTreeNodes = int64_t{1} << 30;
// Deepest leaf accepted: xgboost's depthwise trees are rarely deeper than 20, lossguide
// trees can be deeper; an explanation's per-path buffers grow with the square of this.
inline constexpr int64_t kMaxXgbTreeDepth = 1024;
// Categories are integer codes; xgboost itself keeps them below 2^24 (exact in float32).
inline constexpr int64_t kMaxXgbCategory = int64_t{1} << 24;
// A categorical split becomes a bitset of max(category) + 1 bits.
inline constexpr int64_t kMaxXgbCategoryWords = int64_t{1} << 24;
// Root's parent as xgboost writes it (its "no node" id with the left-child bit cleared).
inline constexpr int64_t kXgbRootParent = 0x7fffffff;
// Split index of a node xgboost marked deleted (with default_left set).
inline constexpr int64_t kXgbDeletedSplitIndex = 0x7fffffff;

enum class XgbDocumentForm { kModelFile, kSnapshot };

// One node of a tree: its entries of the file's per-node arrays that predictions and
// explanations use (base_weights and loss_changes are checked, not kept). Ids are int32 as xgboost
// writes them (a file's integer outside int32 is refused when read).
struct XgbNode {
  int32_t left = -1;  // left_children: -1 for a leaf
  int32_t right = -1;
  int32_t parent = 0;
  int32_t split_index = 0;    // the feature an internal node splits on
  float split_condition = 0;  // threshold of an internal node, value of a leaf
  float sum_hessian = 0;      // the cover, which explanations weigh paths by
  uint8_t default_left = 0;   // 1: a missing value goes left
  uint8_t split_type = 0;     // 0 numerical, 1 categorical
};

// One tree, nodes indexed by id (0 is the root). The category arrays keep the file's values
// (int64) so that validation never narrows an unchecked number.
struct XgbTree {
  int64_t num_nodes = 0;
  int64_t num_deleted = 0;
  std::vector<XgbNode> nodes;                // num_nodes entries
  std::vector<int64_t> categories;           // categories of all categorical splits, concatenated
  std::vector<int64_t> categories_nodes;     // the categorical nodes, increasing
  std::vector<int64_t> categories_segments;  // per categorical node: first index in `categories`
  std::vector<int64_t> categories_sizes;     // per categorical node: how many
};

struct XgbDocument {
  int64_t version[3] = {0, 0, 0};
  // learner_model_param
  float base_score = 0.5f;
  int64_t num_feature = 0;
  int64_t num_class = 0;
  int64_t num_target = 1;
  // objective
  std::string objective;
  std::optional<int64_t> objective_num_class;  // softmax_multiclass_param.num_class
  // gradient_booster: "gbtree", "dart" or "gblinear"
  std::string booster;
  int64_t num_parallel_tree = 1;
  int64_t num_trees = 0;  // gbtree_model_param.num_trees
  std::vector<XgbTree> trees;
  std::vector<int64_t> tree_info;         // output group of each tree
  std::vector<int64_t> iteration_indptr;  // empty when the file has none
  std::vector<float> weight_drop;         // dart: one per tree
  std::vector<float> linear_weights;      // gblinear: [feature][group], then the bias per group
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<std::string> feature_names;
  std::vector<std::string> feature_types;

  // max(num_class, num_target, 1): the values each row gets, one per group.
  int64_t output_groups() const;
  // Boosting rounds: trees / (groups * num_parallel_tree) for tree boosters.
  int64_t rounds() const;
  // The attribute `key`, or nullptr.
  const std::string* attribute(std::string_view key) const;
};

// How a UBJSON document's tree objects are read. kDirect: the objects xgboost 1.7 writes straight
// from their bytes (no value table), any other through the parser; kGeneric: all through the
// parser (the reference kDirect is tested against). The document and the errors are the same.
enum class XgbTreeObjects { kDirect, kGeneric };

// Reads and validates `bytes` (a whole model file, or a booster snapshot). Errors are one line
// without a file prefix.
StatusOr<XgbDocument> ReadXgbDocument(std::string_view bytes, XgbDocumentForm form,
                                      XgbTreeObjects tree_objects = XgbTreeObjects::kDirect);

// The semantic checks above, on a document from any source (ReadXgbDocument runs them).
Status ValidateXgbDocument(const XgbDocument& doc);

// Whether `a` and `b` hold the same values (floats compared bit for bit).
bool SameXgbDocument(const XgbDocument& a, const XgbDocument& b);

// The tree objects of `bytes` (a UBJSON document) that XgbTreeObjects::kDirect reads straight
// from their bytes; 0 for JSON and for a document the parser refuses. Tests check with it that
// the files xgboost writes take the direct path.
size_t XgbDirectTreeObjects(std::string_view bytes);

// The objective names xgboost 1.7 writes.
bool IsKnownXgbObjective(std::string_view name);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_XGBOOST_XGBOOST_DOCUMENT_H_
