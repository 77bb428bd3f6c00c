#include "sklearn/lightgbm/lightgbm_document.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <utility>

#include "simdjson.h"

namespace inferd::sklearn {
namespace {

// Text from the file quoted in a message: at most 40 bytes, control bytes replaced.
std::string Quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 40)) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  if (s.size() > 40) out += "...";
  return out + "'";
}

Status LineError(size_t line, const std::string& what) {
  return Status::InvalidArgument("lightgbm model line " + std::to_string(line) + ": " + what);
}

// The file's lines, one at a time, '\r' before '\n' dropped.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    *line = text_.substr(pos_, end - pos_);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  // Number of the line Next returned last (1-based).
  size_t number() const { return number_; }
  // Puts the line Next returned last back.
  void Unread(std::string_view line) {
    pos_ = static_cast<size_t>(line.data() - text_.data());
    --number_;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t number_ = 0;
};

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Space-separated tokens of a value.
template <typename F>
void ForEachToken(std::string_view v, F&& f) {
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    size_t j = i;
    while (j < v.size() && v[j] != ' ' && v[j] != '\t') ++j;
    if (j > i) f(v.substr(i, j - i));
    i = j;
  }
}

size_t CountTokens(std::string_view v) {
  size_t n = 0;
  ForEachToken(v, [&](std::string_view) { ++n; });
  return n;
}

bool ParseInt64(std::string_view t, int64_t* out) {
  auto r = std::from_chars(t.data(), t.data() + t.size(), *out);
  return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

bool ParseDouble(std::string_view t, double* out) {
  auto r = std::from_chars(t.data(), t.data() + t.size(), *out);
  return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

// One key=value line and where it was.
struct Field {
  std::string_view value;
  size_t line = 0;
  bool present = false;
};

// A block of key=value lines: the keys the reader knows, each at most once.
class Block {
 public:
  Block(std::string where, std::initializer_list<std::string_view> keys) : where_(std::move(where)) {
    for (std::string_view k : keys) keys_.push_back({k, Field()});
  }
  // Records `line`; unknown keys are ignored (fields that do not change predictions).
  Status Add(std::string_view key, std::string_view value, size_t line) {
    for (auto& [k, f] : keys_) {
      if (k != key) continue;
      if (f.present)
        return LineError(line, where_ + Quoted(key) + " appears twice (first on line " + std::to_string(f.line) + ")");
      f = Field{value, line, true};
    }
    return Status::Ok();
  }
  const Field& Get(std::string_view key) const {
    for (const auto& [k, f] : keys_) {
      if (k == key) return f;
    }
    static const Field kNone;
    return kNone;
  }
  const std::string& where() const { return where_; }

 private:
  std::string where_;
  std::vector<std::pair<std::string_view, Field>> keys_;
};

// An integer field in [lo, hi].
StatusOr<int64_t> IntField(const Block& b, std::string_view key, int64_t lo, int64_t hi, size_t block_line) {
  const Field& f = b.Get(key);
  if (!f.present) return LineError(block_line, b.where() + "has no " + std::string(key) + "= line");
  int64_t v;
  if (!ParseInt64(f.value, &v))
    return LineError(f.line, b.where() + std::string(key) + " is not an integer: " + Quoted(f.value));
  if (v < lo || v > hi) {
    return LineError(f.line, b.where() + std::string(key) + " is " + std::to_string(v) + ", outside [" +
                                 std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

// An array field with exactly `count` values (when count >= 0). Absent with count 0 is empty.
template <typename T>
Status ArrayField(const Block& b, std::string_view key, int64_t count, size_t block_line, std::vector<T>* out) {
  const Field& f = b.Get(key);
  if (!f.present) {
    if (count == 0) return Status::Ok();
    return LineError(block_line, b.where() + "has no " + std::string(key) + "= line");
  }
  const size_t n = CountTokens(f.value);
  if (count >= 0 && n != static_cast<size_t>(count)) {
    return LineError(f.line, b.where() + std::string(key) + " has " + std::to_string(n) + " values, expected " +
                                 std::to_string(count));
  }
  out->reserve(n);
  Status bad;
  ForEachToken(f.value, [&](std::string_view t) {
    if (!bad.ok()) return;
    if constexpr (std::is_same_v<T, double>) {
      double d;
      if (!ParseDouble(t, &d)) {
        bad = LineError(f.line, b.where() + std::string(key) + " has a value that is not a number: " + Quoted(t));
        return;
      }
      out->push_back(d);
    } else {
      int64_t v;
      if (!ParseInt64(t, &v) || v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          v > static_cast<int64_t>(std::numeric_limits<T>::max())) {
        bad =
            LineError(f.line, b.where() + std::string(key) + " has a value that is not a " +
                                  (std::is_signed_v<T> ? "32-bit integer: " : "32-bit unsigned integer: ") + Quoted(t));
        return;
      }
      out->push_back(static_cast<T>(v));
    }
  });
  return bad;
}

// Checks the tree's shape: each node but the root and each leaf is a child exactly once, and
// all are reached from the root.
Status CheckShape(const LgbTree& t, const Block& b, size_t line) {
  const size_t internal = static_cast<size_t>(t.num_leaves) - 1;
  const size_t leaves = static_cast<size_t>(t.num_leaves);
  std::vector<uint8_t> node_refs(internal, 0), leaf_refs(leaves, 0);
  for (size_t i = 0; i < internal; ++i) {
    for (int32_t c : {t.left_child[i], t.right_child[i]}) {
      if (c >= 0) {
        if (static_cast<size_t>(c) >= internal || c == 0) {
          return LineError(line, b.where() + "node " + std::to_string(i) + " has child node " + std::to_string(c) +
                                     ", out of range (the tree has " + std::to_string(internal) + " nodes)");
        }
        if (node_refs[static_cast<size_t>(c)]++ != 0) {
          return LineError(line, b.where() + "node " + std::to_string(c) + " is the child of two nodes");
        }
      } else {
        const int64_t leaf = ~static_cast<int64_t>(c);
        if (static_cast<size_t>(leaf) >= leaves) {
          return LineError(line, b.where() + "node " + std::to_string(i) + " has child leaf " + std::to_string(leaf) +
                                     ", out of range (the tree has " + std::to_string(leaves) + " leaves)");
        }
        if (leaf_refs[static_cast<size_t>(leaf)]++ != 0) {
          return LineError(line, b.where() + "leaf " + std::to_string(leaf) + " is the child of two nodes");
        }
      }
    }
  }
  for (size_t l = 0; l < leaves; ++l) {
    if (leaf_refs[l] == 0) return LineError(line, b.where() + "leaf " + std::to_string(l) + " is no node's child");
  }
  // Every node has at most one parent and the root none, so the walk from the root is a tree;
  // a node it misses is on a cycle or orphaned.
  size_t reached = 0;
  std::vector<int32_t> stack = {0};
  while (!stack.empty()) {
    const auto n = static_cast<size_t>(stack.back());
    stack.pop_back();
    ++reached;
    if (t.left_child[n] >= 0) stack.push_back(t.left_child[n]);
    if (t.right_child[n] >= 0) stack.push_back(t.right_child[n]);
  }
  if (reached != internal) {
    return LineError(line, b.where() + std::to_string(internal - reached) +
                               " nodes are not reached from the root (a cycle or an orphaned node)");
  }
  return Status::Ok();
}

StatusOr<LgbTree> ReadTree(const Block& b, size_t line, int64_t n_features) {
  LgbTree t;
  INFERD_ASSIGN_OR_RETURN(int64_t leaves, IntField(b, "num_leaves", 1, kMaxLgbLeaves, line));
  t.num_leaves = static_cast<int32_t>(leaves);
  const int64_t internal = leaves - 1;
  INFERD_RETURN_IF_ERROR(ArrayField(b, "leaf_value", leaves, line, &t.leaf_value));
  int64_t num_cat = 0;
  if (b.Get("num_cat").present) {
    INFERD_ASSIGN_OR_RETURN(num_cat, IntField(b, "num_cat", 0, internal, line));
  }
  INFERD_RETURN_IF_ERROR(ArrayField(b, "split_feature", internal, line, &t.split_feature));
  INFERD_RETURN_IF_ERROR(ArrayField(b, "threshold", internal, line, &t.threshold));
  INFERD_RETURN_IF_ERROR(ArrayField(b, "decision_type", internal, line, &t.decision_type));
  INFERD_RETURN_IF_ERROR(ArrayField(b, "left_child", internal, line, &t.left_child));
  INFERD_RETURN_IF_ERROR(ArrayField(b, "right_child", internal, line, &t.right_child));
  if (num_cat > 0) {
    INFERD_RETURN_IF_ERROR(ArrayField(b, "cat_boundaries", num_cat + 1, line, &t.cat_boundaries));
    INFERD_RETURN_IF_ERROR(ArrayField(b, "cat_threshold", -1, line, &t.cat_threshold));
    const size_t cl = b.Get("cat_boundaries").line;
    if (t.cat_boundaries.front() != 0) return LineError(cl, b.where() + "cat_boundaries does not start at 0");
    for (size_t i = 1; i < t.cat_boundaries.size(); ++i) {
      if (t.cat_boundaries[i] < t.cat_boundaries[i - 1]) {
        return LineError(cl, b.where() + "cat_boundaries decreases at value " + std::to_string(i));
      }
    }
    if (static_cast<size_t>(t.cat_boundaries.back()) != t.cat_threshold.size()) {
      return LineError(cl, b.where() + "cat_boundaries ends at " + std::to_string(t.cat_boundaries.back()) +
                               " but cat_threshold has " + std::to_string(t.cat_threshold.size()) + " values");
    }
  }
  const size_t node_line = b.Get("split_feature").present ? b.Get("split_feature").line : line;
  for (int64_t i = 0; i < internal; ++i) {
    const auto n = static_cast<size_t>(i);
    if (t.split_feature[n] < 0 || t.split_feature[n] >= n_features) {
      return LineError(node_line, b.where() + "node " + std::to_string(i) + " splits on feature " +
                                      std::to_string(t.split_feature[n]) + ", outside [0, " +
                                      std::to_string(n_features) + ")");
    }
    const uint8_t d = t.decision_type[n];
    if ((d & ~0x0F) != 0 || ((d >> 2) & 3) == 3) {
      return LineError(b.Get("decision_type").line,
                       b.where() + "node " + std::to_string(i) + " has decision_type " + std::to_string(d) +
                           " (bits: 1 categorical, 2 default left, 4 and 8 the missing type 0-2)");
    }
    if ((d & kLgbCategoricalMask) != 0) {
      const double c = t.threshold[n];
      if (!(c >= 0 && c < static_cast<double>(num_cat)) || c != std::floor(c)) {
        return LineError(b.Get("threshold").line, b.where() + "categorical node " + std::to_string(i) +
                                                      " has threshold " + Quoted(std::to_string(c)) +
                                                      ", not a category set index in [0, " + std::to_string(num_cat) +
                                                      ")");
      }
    }
  }
  if (internal > 0) INFERD_RETURN_IF_ERROR(CheckShape(t, b, b.Get("left_child").line));
  // Optional: kept only when both are present, of the right lengths and non-negative numbers.
  if (b.Get("internal_count").present && b.Get("leaf_count").present) {
    std::vector<double> ic, lc;
    if (ArrayField(b, "internal_count", internal, line, &ic).ok() &&
        ArrayField(b, "leaf_count", leaves, line, &lc).ok() &&
        std::all_of(ic.begin(), ic.end(), [](double c) { return c >= 0 && std::isfinite(c); }) &&
        std::all_of(lc.begin(), lc.end(), [](double c) { return c >= 0 && std::isfinite(c); })) {
      t.internal_count = std::move(ic);
      t.leaf_count = std::move(lc);
    }
  }
  if (b.Get("is_linear").present) {
    INFERD_ASSIGN_OR_RETURN(int64_t lin, IntField(b, "is_linear", 0, 1, line));
    t.is_linear = lin == 1;
  }
  if (t.is_linear) {
    INFERD_RETURN_IF_ERROR(ArrayField(b, "leaf_const", leaves, line, &t.leaf_const));
    INFERD_RETURN_IF_ERROR(ArrayField(b, "num_features", leaves, line, &t.leaf_num_features));
    int64_t total = 0;
    for (int32_t k : t.leaf_num_features) {
      if (k < 0 || k > n_features) {
        return LineError(b.Get("num_features").line, b.where() + "a linear leaf has " + std::to_string(k) +
                                                         " features, outside [0, " + std::to_string(n_features) + "]");
      }
      total += k;
    }
    INFERD_RETURN_IF_ERROR(ArrayField(b, "leaf_features", total, line, &t.leaf_features));
    INFERD_RETURN_IF_ERROR(ArrayField(b, "leaf_coeff", total, line, &t.leaf_coeff));
    for (int32_t f : t.leaf_features) {
      if (f < 0 || f >= n_features) {
        return LineError(b.Get("leaf_features").line, b.where() + "a linear leaf uses feature " + std::to_string(f) +
                                                          ", outside [0, " + std::to_string(n_features) + ")");
      }
    }
  }
  return t;
}

// [categorical_feature: 1,5] in the parameters section (indices; names are not mapped).
void ReadCategoricalParameter(std::string_view v, std::vector<int32_t>* out) {
  std::vector<int32_t> r;
  size_t i = 0;
  while (i < v.size()) {
    size_t j = v.find(',', i);
    if (j == std::string_view::npos) j = v.size();
    int64_t k;
    if (!ParseInt64(v.substr(i, j - i), &k) || k < 0 || k >= kMaxLgbFeatures) return;
    r.push_back(static_cast<int32_t>(k));
    i = j + 1;
  }
  *out = std::move(r);
}

Status ReadPandasCategorical(std::string_view json, size_t line, LgbDocument* doc) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return LineError(line, "pandas_categorical is not JSON");
  }
  if (root.is_null()) return Status::Ok();
  simdjson::dom::array columns;
  if (root.get_array().get(columns) != simdjson::SUCCESS) {
    return LineError(line, "pandas_categorical is neither null nor a list of lists");
  }
  for (simdjson::dom::element col : columns) {
    simdjson::dom::array values;
    if (col.get_array().get(values) != simdjson::SUCCESS) {
      return LineError(line, "pandas_categorical holds something other than a list");
    }
    std::vector<LgbCategory> cats;
    for (simdjson::dom::element v : values) {
      LgbCategory c;
      std::string_view s;
      double d;
      if (v.get_string().get(s) == simdjson::SUCCESS) {
        c.s = std::string(s);
      } else if (v.get_double().get(d) == simdjson::SUCCESS) {
        c.is_string = false;
        c.number = d;
      } else if (int64_t i; v.get_int64().get(i) == simdjson::SUCCESS) {
        c.is_string = false;
        c.number = static_cast<double>(i);
      } else {
        return LineError(line, "pandas_categorical holds a category that is neither a string nor a number");
      }
      cats.push_back(std::move(c));
    }
    doc->pandas_categorical.push_back(std::move(cats));
  }
  return Status::Ok();
}

}  // namespace

bool LooksLikeLgbText(std::string_view bytes) {
  return bytes == "tree" || StartsWith(bytes, "tree\n") || StartsWith(bytes, "tree\r\n");
}

StatusOr<LgbDocument> ReadLgbDocument(std::string_view text) {
  Lines lines(text);
  std::string_view line;
  if (!lines.Next(&line) || line != "tree") {
    return LineError(1, "not a LightGBM model text (the first line is not 'tree')");
  }
  LgbDocument doc;
  Block header("", {"version", "num_class", "num_tree_per_iteration", "max_feature_idx", "objective", "feature_names"});
  bool average_seen = false;
  while (lines.Next(&line)) {
    if (StartsWith(line, "Tree=") || line == "end of trees") {
      lines.Unread(line);
      break;
    }
    if (line.empty()) continue;
    if (line == "average_output") {
      if (average_seen) return LineError(lines.number(), "average_output appears twice");
      average_seen = true;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;  // a flag this reader does not need
    INFERD_RETURN_IF_ERROR(header.Add(line.substr(0, eq), line.substr(eq + 1), lines.number()));
  }
  doc.average_output = average_seen;
  const Field& version = header.Get("version");
  if (!version.present) return LineError(2, "the header has no version= line");
  if (version.value == "v3") {
    doc.version = 3;
  } else if (version.value != "v4") {
    return Status::Unimplemented("lightgbm model line " + std::to_string(version.line) + ": model text version " +
                                 Quoted(version.value) +
                                 " is not supported (v3 and v4 are); load it with LightGBM >= 3 and save it again");
  }
  INFERD_ASSIGN_OR_RETURN(int64_t num_class, IntField(header, "num_class", 1, kMaxLgbOutputs, 2));
  INFERD_ASSIGN_OR_RETURN(int64_t per_iter, IntField(header, "num_tree_per_iteration", 1, kMaxLgbOutputs, 2));
  INFERD_ASSIGN_OR_RETURN(int64_t max_feature, IntField(header, "max_feature_idx", 0, kMaxLgbFeatures - 1, 2));
  doc.num_class = static_cast<int32_t>(num_class);
  doc.num_tree_per_iteration = static_cast<int32_t>(per_iter);
  doc.max_feature_idx = static_cast<int32_t>(max_feature);
  if (header.Get("objective").present) doc.objective = std::string(header.Get("objective").value);
  const Field& names = header.Get("feature_names");
  if (!names.present) return LineError(2, "the header has no feature_names= line");
  if (CountTokens(names.value) != doc.n_features()) {
    return LineError(names.line, "feature_names has " + std::to_string(CountTokens(names.value)) +
                                     " names but max_feature_idx says " + std::to_string(doc.n_features()));
  }
  ForEachToken(names.value, [&](std::string_view n) { doc.feature_names.emplace_back(n); });

  const int64_t n_features = static_cast<int64_t>(doc.n_features());
  bool ended = false;
  while (lines.Next(&line)) {
    if (line == "end of trees") {
      ended = true;
      break;
    }
    if (line.empty()) continue;
    if (!StartsWith(line, "Tree=")) return LineError(lines.number(), "expected Tree=N, found " + Quoted(line));
    int64_t id;
    if (!ParseInt64(line.substr(5), &id) || id != static_cast<int64_t>(doc.trees.size())) {
      return LineError(lines.number(),
                       Quoted(line) + " is out of order (expected Tree=" + std::to_string(doc.trees.size()) + ")");
    }
    if (static_cast<int64_t>(doc.trees.size()) >= kMaxLgbTrees) {
      return LineError(lines.number(), "more than " + std::to_string(kMaxLgbTrees) + " trees");
    }
    const size_t tree_line = lines.number();
    Block b("Tree=" + std::to_string(id) + " ",
            {"num_leaves", "num_cat", "split_feature", "threshold", "decision_type", "left_child", "right_child",
             "leaf_value", "cat_boundaries", "cat_threshold", "is_linear", "leaf_const", "num_features",
             "leaf_features", "leaf_coeff", "internal_count", "leaf_count"});
    while (lines.Next(&line)) {
      if (line.empty() || StartsWith(line, "Tree=") || line == "end of trees") {
        lines.Unread(line);
        break;
      }
      const size_t eq = line.find('=');
      if (eq == std::string_view::npos) {
        return LineError(lines.number(),
                         "expected key=value in Tree=" + std::to_string(id) + ", found " + Quoted(line));
      }
      INFERD_RETURN_IF_ERROR(b.Add(line.substr(0, eq), line.substr(eq + 1), lines.number()));
    }
    INFERD_ASSIGN_OR_RETURN(LgbTree t, ReadTree(b, tree_line, n_features));
    doc.trees.push_back(std::move(t));
  }
  if (!ended) {
    return LineError(lines.number(), "the file ends before 'end of trees' (truncated)");
  }
  if (doc.trees.empty()) return LineError(lines.number(), "the model has no trees");
  if (doc.trees.size() % static_cast<size_t>(per_iter) != 0) {
    return LineError(lines.number(), std::to_string(doc.trees.size()) +
                                         " trees are not a whole number of iterations of num_tree_per_iteration=" +
                                         std::to_string(per_iter));
  }
  // The rest: parameters and pandas_categorical.
  bool pandas_seen = false;
  while (lines.Next(&line)) {
    if (StartsWith(line, "[categorical_feature: ") && line.back() == ']') {
      ReadCategoricalParameter(line.substr(22, line.size() - 23), &doc.categorical_features);
    } else if (StartsWith(line, "[boosting: ") && line.back() == ']') {
      doc.boosting = std::string(line.substr(11, line.size() - 12));
    } else if (StartsWith(line, "pandas_categorical:")) {
      if (pandas_seen) return LineError(lines.number(), "pandas_categorical appears twice");
      pandas_seen = true;
      INFERD_RETURN_IF_ERROR(ReadPandasCategorical(line.substr(19), lines.number(), &doc));
    }
  }
  return doc;
}

}  // namespace inferd::sklearn
