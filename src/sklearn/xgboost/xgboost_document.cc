#include "sklearn/xgboost/xgboost_document.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sklearn/xgboost/xgboost_value.h"

namespace inferd::sklearn {
namespace {

using Type = XgbValue::Type;

Status Err(std::string_view where, const std::string& what) {
  return Status::InvalidArgument("xgboost " + std::string(where) + ": " + what);
}

// Text from the file cut short for a message; control characters become '?' so that the
// message stays one line.
std::string Printable(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  for (char c : s.substr(0, kMax)) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  if (s.size() > kMax) out += "...";
  return out;
}

std::string Quoted(std::string_view s) { return "\"" + Printable(s) + "\""; }

std::string Range(int64_t lo, int64_t hi) { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }

float ToFloat(double d) { return XgbToFloat(d); }

// The big-endian 32-bit word at p (a UBJSON typed array's element).
uint32_t BigEndian32(const char* p) {
  uint32_t be;
  std::memcpy(&be, p, sizeof be);
  return __builtin_bswap32(be);
}

// ---- typed access to the value tree ----

StatusOr<const XgbValue*> Member(const XgbValue& obj, std::string_view key, std::string_view where) {
  const XgbValue* v = obj.Find(key);
  if (v == nullptr) return Err(where, "missing " + Quoted(key));
  return v;
}

StatusOr<const XgbValue*> ObjectMember(const XgbValue& obj, std::string_view key, std::string_view where) {
  INFERD_ASSIGN_OR_RETURN(const XgbValue* v, Member(obj, key, where));
  if (v->type != Type::kObject) return Err(where, Quoted(key) + " must be an object, found " + XgbTypeName(*v));
  return v;
}

StatusOr<std::string> StringMember(const XgbValue& obj, std::string_view key, std::string_view where) {
  INFERD_ASSIGN_OR_RETURN(const XgbValue* v, Member(obj, key, where));
  if (v->type != Type::kString) return Err(where, Quoted(key) + " must be a string, found " + XgbTypeName(*v));
  return std::string(v->string);
}

// xgboost writes its parameters as strings of decimal digits ("60"); nothing else is taken
// (no sign but '-', no spaces, no exponent), and at most 18 digits (fits int64).
bool ParseDecimal(std::string_view s, int64_t* out) {
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = neg ? -v : v;
  return true;
}

// An integer parameter (a string) in [lo, hi]; `fallback` when the key is absent, or an
// error if there is none.
StatusOr<int64_t> IntParam(const XgbValue& obj, std::string_view key, std::string_view where, int64_t lo, int64_t hi,
                           std::optional<int64_t> fallback = std::nullopt) {
  const XgbValue* v = obj.Find(key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return Err(where, "missing " + Quoted(key));
  }
  if (v->type != Type::kString) {
    return Err(where, Quoted(key) + " must be a string holding an integer, found " + XgbTypeName(*v));
  }
  int64_t n;
  if (!ParseDecimal(v->string, &n)) {
    return Err(where, Quoted(key) + " is " + Quoted(v->string) + ", not an integer of at most 18 digits");
  }
  if (n < lo || n > hi) return Err(where, Quoted(key) + " is " + std::to_string(n) + ", must be in " + Range(lo, hi));
  return n;
}

// A real parameter (a string such as "5E-1"): digits, sign, '.', exponent only; finite.
StatusOr<double> RealParam(const XgbValue& obj, std::string_view key, std::string_view where) {
  INFERD_ASSIGN_OR_RETURN(const XgbValue* v, Member(obj, key, where));
  if (v->type != Type::kString) {
    return Err(where, Quoted(key) + " must be a string holding a number, found " + XgbTypeName(*v));
  }
  const std::string s(v->string);
  const bool chars_ok = !s.empty() && s.size() <= 64 && s.find_first_not_of("0123456789+-.eE") == std::string::npos;
  char* end = nullptr;
  const double d = chars_ok ? std::strtod(s.c_str(), &end) : 0.0;
  if (!chars_ok || end != s.c_str() + s.size()) return Err(where, Quoted(key) + " is " + Quoted(s) + ", not a number");
  if (!std::isfinite(d) || !std::isfinite(ToFloat(d))) {
    return Err(where, Quoted(key) + " is " + Quoted(s) + ", not a finite float32 number");
  }
  return d;
}

// Names the first element of a generic array that is not of the wanted kind.
Status BadElement(const XgbValue& a, std::string_view key, std::string_view where, const char* wanted,
                  bool (*ok)(const XgbValue&)) {
  size_t i = 0;
  for (const XgbValue& item : a.items()) {
    if (!ok(item)) {
      return Err(where, Quoted(key) + "[" + std::to_string(i) + "] is " + XgbTypeName(item) + ", must be " + wanted);
    }
    ++i;
  }
  return Err(where, Quoted(key) + " must hold " + wanted);
}

// `v` (the member `key`, nullptr if absent) if it is an array of numbers (integers only if
// `integers`); nullptr if it is absent and `optional`. Errors name the first bad element.
StatusOr<const XgbValue*> NumberArrayOf(const XgbValue* v, std::string_view key, std::string_view where, bool integers,
                                        bool optional = false) {
  if (v == nullptr) {
    if (optional) return v;
    return Err(where, "missing " + Quoted(key));
  }
  switch (v->type) {
    case Type::kIntArray: return v;
    case Type::kRealArray: {
      if (!integers) return v;
      std::vector<double> reals(v->size());
      XgbNumbersAsDouble(*v, reals.data());
      for (size_t i = 0; i < reals.size(); ++i) {
        const double d = reals[i];
        if (!(d == std::floor(d)) || std::fabs(d) > 9.0e15) {
          return Err(where, Quoted(key) + "[" + std::to_string(i) + "] is not an integer");
        }
      }
      return Err(where, Quoted(key) + " must hold integers, found numbers with a fraction or exponent");
    }
    case Type::kArray:
      if (integers) {
        return BadElement(*v, key, where, "an integer", [](const XgbValue& x) { return x.type == Type::kInt; });
      }
      return BadElement(*v, key, where, "a number", [](const XgbValue& x) { return x.is_number(); });
    default: return Err(where, Quoted(key) + " must be an array, found " + XgbTypeName(*v));
  }
}

StatusOr<const XgbValue*> NumberArray(const XgbValue& obj, std::string_view key, std::string_view where, bool integers,
                                      bool optional = false) {
  return NumberArrayOf(obj.Find(key), key, where, integers, optional);
}

// An array of integers (`v`, the member `key`), as int64. An absent one gives an error unless
// `optional` (then `out` is empty).
Status ReadIntsOf(const XgbValue* member, std::string_view key, std::string_view where, std::vector<int64_t>* out,
                  bool optional = false) {
  INFERD_ASSIGN_OR_RETURN(const XgbValue* v, NumberArrayOf(member, key, where, true, optional));
  if (v == nullptr) return Status::Ok();
  out->resize(v->size());
  XgbIntsAsInt64(*v, out->data());
  return Status::Ok();
}

Status ReadInts(const XgbValue& obj, std::string_view key, std::string_view where, std::vector<int64_t>* out,
                bool optional = false) {
  return ReadIntsOf(obj.Find(key), key, where, out, optional);
}

// An array of numbers, as float32.
Status ReadFloats(const XgbValue& obj, std::string_view key, std::string_view where, std::vector<float>* out) {
  INFERD_ASSIGN_OR_RETURN(const XgbValue* v, NumberArray(obj, key, where, false));
  out->resize(v->size());
  XgbNumbersAsFloat(*v, out->data());
  return Status::Ok();
}

// Whether `v` (the array `key`) holds only small integers in [0, max_value]; `booleans`: true /
// false are taken too (older JSON files write default_left so; xgboost reads split_type as
// integers only). Errors name the first bad element.
Status CheckFlags(const XgbValue& v, std::string_view key, std::string_view where, int64_t max_value, bool booleans) {
  auto bad = [&](size_t i, const std::string& found) {
    return Err(where, Quoted(key) + "[" + std::to_string(i) + "] is " + found + ", must be in " + Range(0, max_value));
  };
  if (v.type == Type::kIntArray) {
    if (v.typed == 'U') {
      const auto* u = reinterpret_cast<const uint8_t*>(v.string.data());
      for (size_t i = 0; i < v.size(); ++i) {
        if (u[i] > max_value) return bad(i, std::to_string(u[i]));
      }
      return Status::Ok();
    }
    thread_local std::vector<int64_t> flags;  // kept from tree to tree
    flags.resize(v.size());
    XgbIntsAsInt64(v, flags.data());
    for (size_t i = 0; i < flags.size(); ++i) {
      if (flags[i] < 0 || flags[i] > max_value) return bad(i, std::to_string(flags[i]));
    }
    return Status::Ok();
  }
  if (v.type == Type::kArray) {
    size_t i = 0;
    for (const XgbValue& x : v.items()) {
      const bool ok =
          (x.type == Type::kBool && booleans) || (x.type == Type::kInt && x.integer >= 0 && x.integer <= max_value);
      if (!ok) return bad(i, x.type == Type::kInt ? std::to_string(x.integer) : XgbTypeName(x));
      ++i;
    }
    return Status::Ok();
  }
  if (v.type == Type::kRealArray) return Err(where, Quoted(key) + " must hold integers, found other numbers");
  return Err(where, Quoted(key) + " must be an array, found " + XgbTypeName(v));
}

// nodes[i].*field = value(i) for i < n. Never inlined: a loop of its own keeps its bound and
// pointers in registers, which the schema reader's large frame does not.
template <typename T, typename F>
[[gnu::noinline]] void SetField(XgbNode* nodes, size_t n, T XgbNode::*field, F value) {
  for (size_t i = 0; i < n; ++i) nodes[i].*field = value(i);
}

// A UBJSON tree's per-node arrays as xgboost writes them: big-endian int32 ids, float32 reals,
// uint8 flags; split_type may be null (all 0).
struct TypedNodeArrays {
  const char *left, *right, *parent, *split_index, *split_condition, *default_left, *sum_hessian, *split_type;
};

// nodes[0, n) from `a` in one pass (each array holds n elements). False if a flag is above 1.
// Never inlined, as SetField.
[[gnu::noinline]] bool DecodeTypedNodes(const TypedNodeArrays a, size_t n, XgbNode* nodes) {
  const auto* default_left = reinterpret_cast<const uint8_t*>(a.default_left);
  const auto* split_type = reinterpret_cast<const uint8_t*>(a.split_type);
  uint8_t flags = 0;
  for (size_t i = 0; i < n; ++i) {
    XgbNode& node = nodes[i];
    node.left = static_cast<int32_t>(BigEndian32(a.left + 4 * i));
    node.right = static_cast<int32_t>(BigEndian32(a.right + 4 * i));
    node.parent = static_cast<int32_t>(BigEndian32(a.parent + 4 * i));
    node.split_index = static_cast<int32_t>(BigEndian32(a.split_index + 4 * i));
    node.split_condition = std::bit_cast<float>(BigEndian32(a.split_condition + 4 * i));
    node.sum_hessian = std::bit_cast<float>(BigEndian32(a.sum_hessian + 4 * i));
    node.default_left = default_left[i];
    node.split_type = split_type == nullptr ? 0 : split_type[i];
    flags |= node.default_left | node.split_type;
  }
  return flags <= 1;
}

// The flags of `v` (checked by CheckFlags) into nodes[k].*field.
void CopyFlags(const XgbValue& v, uint8_t XgbNode::*field, std::vector<XgbNode>* nodes) {
  if (v.typed == 'U') {
    const auto* p = reinterpret_cast<const uint8_t*>(v.string.data());
    SetField(nodes->data(), nodes->size(), field, [p](size_t i) { return p[i]; });
    return;
  }
  if (v.type == Type::kIntArray) {
    thread_local std::vector<int64_t> flags;  // kept from tree to tree
    flags.resize(nodes->size());
    XgbIntsAsInt64(v, flags.data());
    SetField(nodes->data(), nodes->size(), field, [d = flags.data()](size_t i) { return static_cast<uint8_t>(d[i]); });
    return;
  }
  size_t i = 0;
  for (const XgbValue& x : v.items()) {
    (*nodes)[i++].*field = x.type == Type::kBool ? (x.boolean ? 1 : 0) : static_cast<uint8_t>(x.integer);
  }
}

// An array of strings (feature names / types); absent: empty.
Status ReadStrings(const XgbValue& obj, std::string_view key, std::string_view where, std::vector<std::string>* out) {
  const XgbValue* v = obj.Find(key);
  if (v == nullptr) return Status::Ok();
  if (v->is_array() && v->size() == 0) return Status::Ok();
  if (v->type != Type::kArray) {
    return Err(where, Quoted(key) + " must be an array of strings, found " +
                          (v->is_array() ? std::string("numbers") : std::string(XgbTypeName(*v))));
  }
  out->reserve(v->size());
  for (const XgbValue& item : v->items()) {
    if (item.type != Type::kString) {
      return Err(where,
                 Quoted(key) + "[" + std::to_string(out->size()) + "] is " + XgbTypeName(item) + ", must be a string");
    }
    out->emplace_back(item.string);
  }
  return Status::Ok();
}

// ---- the schema ----

// The members of a tree object, found in one pass (xgboost writes 16; lookups by name would
// compare keys a few hundred times per tree).
enum TreeKey {
  kLeftChildren,
  kRightChildren,
  kParents,
  kSplitIndices,
  kSplitConditions,
  kDefaultLeft,
  kBaseWeights,
  kLossChanges,
  kSumHessian,
  kSplitType,
  kCategories,
  kCategoriesNodes,
  kCategoriesSegments,
  kCategoriesSizes,
  kTreeParam,
  kId,
  kTreeKeys
};
constexpr std::string_view kTreeKeyNames[kTreeKeys] = {
    "left_children",       "right_children",   "parents",      "split_indices",
    "split_conditions",    "default_left",     "base_weights", "loss_changes",
    "sum_hessian",         "split_type",       "categories",   "categories_nodes",
    "categories_segments", "categories_sizes", "tree_param",   "id",
};

// The TreeKeys in the order of their names, which is the order xgboost writes them in.
constexpr TreeKey kSortedTreeKeys[kTreeKeys] = {
    kBaseWeights,  kCategories,  kCategoriesNodes, kCategoriesSegments, kCategoriesSizes, kDefaultLeft,  kId,
    kLeftChildren, kLossChanges, kParents,         kRightChildren,      kSplitConditions, kSplitIndices, kSplitType,
    kSumHessian,   kTreeParam,
};

// a == b for short keys, inline, eight bytes at a time (the last word overlaps the one before).
bool SameKey(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  const auto word = [](const char* p) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  };
  for (size_t i = 0; i + 8 < n; i += 8) {
    if (word(a.data() + i) != word(b.data() + i)) return false;
  }
  return word(a.data() + n - 8) == word(b.data() + n - 8);
}

void FindTreeMembers(const XgbValue& t, const XgbValue* (&out)[kTreeKeys]) {
  for (const XgbValue*& m : out) m = nullptr;
  size_t next = 0;  // position in kSortedTreeKeys of the key expected next
  for (const auto& [key, value] : t.members()) {
    // Keys are unique (the parser refuses repeats): the first match is the only one.
    if (next < kTreeKeys && SameKey(key, kTreeKeyNames[kSortedTreeKeys[next]])) {
      out[kSortedTreeKeys[next++]] = &value;
      continue;
    }
    for (size_t j = 0; j < kTreeKeys; ++j) {
      if (SameKey(key, kTreeKeyNames[kSortedTreeKeys[j]])) {
        out[kSortedTreeKeys[j]] = &value;
        next = j + 1;
        break;
      }
    }
  }
}

// Whether `m` (not 0) is one of `markers` (inline: this runs for every array of every tree).
bool MarkerIn(const char* markers, char m) {
  for (; *markers != '\0'; ++markers) {
    if (*markers == m) return true;
  }
  return false;
}

// The element markers xgboost takes for a UBJSON tree's typed arrays, by TreeKey; the first is
// the one it writes. nullptr: not an array (tree_param, id).
constexpr const char* kTypedMarkers[kTreeKeys] = {"l", "l", "l", "lL", "d", "U", "d",     "d",
                                                  "d", "U", "l", "l",  "L", "L", nullptr, nullptr};

// xgboost reads a UBJSON tree's arrays either all as typed arrays of fixed element types (what
// it writes) or all as untyped arrays; a mix is refused here rather than by its reader.
Status CheckUbjsonArrayTypes(const XgbValue* const (&m)[kTreeKeys], std::string_view where) {
  const XgbValue* first = m[kLossChanges];
  const bool typed = first != nullptr && first->typed != 0;
  for (size_t k = 0; k <= kCategoriesSizes; ++k) {
    const XgbValue* a = m[k];
    if (a == nullptr) continue;
    const std::string_view key = kTreeKeyNames[k];
    if (!typed && a->typed != 0) {
      return Err(where,
                 Quoted(key) + " is a typed UBJSON array but \"loss_changes\" is not; xgboost writes all or none");
    }
    if (typed && !MarkerIn(kTypedMarkers[k], a->typed)) {
      return Err(where,
                 Quoted(key) + " must be a typed UBJSON array of '" + kTypedMarkers[k][0] + "' as xgboost writes it");
    }
  }
  return Status::Ok();
}

// xgboost reads these arrays as untyped ones only.
Status CheckUntyped(const XgbValue& obj, std::string_view key, std::string_view where) {
  const XgbValue* a = obj.Find(key);
  if (a != nullptr && a->typed != 0) {
    return Err(where, Quoted(key) + " must be an untyped UBJSON array as xgboost writes it");
  }
  return Status::Ok();
}

// The parameter object each objective's reader requires (xgboost 1.7; nullptr: none).
const char* ObjectiveParamKey(std::string_view objective) {
  if (objective == "reg:squarederror" || objective == "reg:squaredlogerror" || objective == "reg:logistic" ||
      objective == "binary:logistic" || objective == "binary:logitraw") {
    return "reg_loss_param";
  }
  if (objective == "reg:pseudohubererror") return "pseudo_huber_param";
  if (objective == "count:poisson") return "poisson_regression_param";
  if (objective == "reg:tweedie") return "tweedie_regression_param";
  if (objective == "survival:aft") return "aft_loss_param";
  if (objective.rfind("multi:", 0) == 0) return "softmax_multiclass_param";
  if (objective.rfind("rank:", 0) == 0) return "lambda_rank_param";
  return nullptr;
}

// Objectives whose base_score is a probability (xgboost takes its logit, refusing 0 and 1).
bool BaseScoreIsProbability(std::string_view objective) {
  return objective == "reg:logistic" || objective == "binary:logistic";
}

// "tree <index><suffix>" in `buf`, for messages (built on the stack: every tree needs one).
// REQUIRES: suffix.size() <= 24.
std::string_view TreeWhere(size_t index, std::string_view suffix, char (&buf)[48]) {
  std::memcpy(buf, "tree ", 5);
  char* end = std::to_chars(buf + 5, buf + 24, index).ptr;
  std::memcpy(end, suffix.data(), suffix.size());
  return {buf, static_cast<size_t>(end - buf) + suffix.size()};
}

// xgboost 1.7's UBJSON tree object read straight from its bytes, without the parser's value
// table: the 16 members in the order and with the element types xgboost writes them, every
// length and count 'L'-marked, no categorical split, tree_param's four members decimal strings
// in ReadTree's ranges, every flag 0 or 1, every per-node array num_nodes long. Any other object
// is declined and read by the parser and ReadTree, which name what is wrong: both paths give
// the same document or the same error (the document fuzz target compares them).
class TreeObjectReader final : public XgbObjectReader {
 public:
  struct Tree {
    TypedNodeArrays arrays;
    int64_t num_nodes;
    int64_t num_deleted;
    int64_t id;
  };

  std::string_view array_key() const override { return "trees"; }

  size_t Read(std::string_view rest, int64_t* tag) override {
    Cursor c{rest, 1};
    Tree t{};
    int64_t n = -1;  // the per-node arrays' count, from the first
    int64_t params[kParams] = {};
    const char* node_arrays[kTreeKeys] = {};
    for (const TreeKey k : kSortedTreeKeys) {
      if (!c.Take(Prefix(k))) return 0;
      const char marker = kTypedMarkers[k] == nullptr ? 0 : kTypedMarkers[k][0];
      if (k == kId) {
        if (!c.Integer(&t.id)) return 0;
      } else if (k == kTreeParam) {
        if (!c.Take("{")) return 0;
        for (size_t j = 0; j < kParams; ++j) {
          std::string_view digits;
          if (!c.Take(ParamPrefix(j)) || !c.Counted(1, &digits) || !ParseDecimal(digits, &params[j])) return 0;
        }
        if (!c.Take("}")) return 0;
      } else {
        std::string_view elements;
        int64_t count = 0;
        if (!c.Counted(marker == 'L' ? 8 : marker == 'U' ? 1 : 4, &elements, &count)) return 0;
        const bool category_array = k >= kCategories && k <= kCategoriesSizes;
        if (category_array ? count != 0 : (n >= 0 && count != n)) return 0;
        if (!category_array) n = count;
        node_arrays[k] = elements.data();
      }
    }
    if (!c.Take("}")) return 0;
    // tree_param, as ReadTree's IntParam calls take it.
    const auto [num_deleted, num_feature, num_nodes, size_leaf_vector] = params;
    if (num_nodes < 1 || num_nodes > kMaxXgbTreeNodes || num_nodes != n) return 0;
    if (num_deleted < 0 || num_deleted > kMaxXgbTreeNodes || num_feature < 0 || num_feature > kMaxXgbFeatures ||
        size_leaf_vector != 0) {
      return 0;
    }
    uint8_t flags = 0;
    for (const TreeKey k : {kDefaultLeft, kSplitType}) {
      for (int64_t i = 0; i < n; ++i) flags |= static_cast<uint8_t>(node_arrays[k][i]);
    }
    if (flags > 1) return 0;
    t.arrays = {node_arrays[kLeftChildren], node_arrays[kRightChildren],   node_arrays[kParents],
                node_arrays[kSplitIndices], node_arrays[kSplitConditions], node_arrays[kDefaultLeft],
                node_arrays[kSumHessian],   node_arrays[kSplitType]};
    t.num_nodes = num_nodes;
    t.num_deleted = num_deleted;
    *tag = static_cast<int64_t>(trees_.size());
    trees_.push_back(t);
    return c.p;
  }

  // REQUIRES: `tag` was set by Read.
  const Tree& tree(int64_t tag) const { return trees_[static_cast<size_t>(tag)]; }
  size_t size() const { return trees_.size(); }

 private:
  static constexpr size_t kParams = 4;  // tree_param's members, in order
  static constexpr std::string_view kParamNames[kParams] = {"num_deleted", "num_feature", "num_nodes",
                                                            "size_leaf_vector"};

  // Reads forward through the object; every method takes only what fits in `b`.
  struct Cursor {
    std::string_view b;
    size_t p;
    bool Take(std::string_view bytes) {
      if (b.size() - p < bytes.size() || !SameKey(b.substr(p, bytes.size()), bytes)) return false;
      p += bytes.size();
      return true;
    }
    // A big-endian 'L' count, then that many elements of `size` bytes (*out; *count).
    bool Counted(size_t size, std::string_view* out, int64_t* count = nullptr) {
      if (b.size() - p < 8) return false;
      uint64_t be;
      std::memcpy(&be, b.data() + p, sizeof be);
      const uint64_t k = __builtin_bswap64(be);
      if (k > (b.size() - p - 8) / size) return false;
      *out = b.substr(p + 8, k * size);
      p += 8 + k * size;
      if (count != nullptr) *count = static_cast<int64_t>(k);
      return true;
    }
    // An integer value: a marker i, U, I, l or L and its big-endian bytes.
    bool Integer(int64_t* v) {
      if (p >= b.size()) return false;
      const char m = b[p];
      const size_t size = m == 'i' || m == 'U' ? 1 : m == 'I' ? 2 : m == 'l' ? 4 : m == 'L' ? 8 : 0;
      if (size == 0 || b.size() - p - 1 < size) return false;
      const auto* q = reinterpret_cast<const unsigned char*>(b.data() + p + 1);
      uint64_t u = 0;
      for (size_t i = 0; i < size; ++i) u = (u << 8) | q[i];
      // Sign-extend the signed markers (all but U).
      const unsigned shift = static_cast<unsigned>(64 - 8 * size);
      *v = m == 'U' ? static_cast<int64_t>(u) : static_cast<int64_t>(u << shift) >> shift;
      p += 1 + size;
      return true;
    }
  };

  // 'L', the key's length (big-endian int64) and the key, then the value's opening bytes.
  static std::string KeyBytes(std::string_view key, std::string_view value_start) {
    std::string out = "L";
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((key.size() >> shift) & 0xff));
    out.append(key);
    out.append(value_start);
    return out;
  }
  // A tree member's bytes up to its value (a typed array: up to its count).
  static std::string_view Prefix(TreeKey k) {
    static const std::array<std::string, kTreeKeys> prefixes = [] {
      std::array<std::string, kTreeKeys> p;
      for (size_t j = 0; j < kTreeKeys; ++j) {
        const char* m = kTypedMarkers[j];
        p[j] = KeyBytes(kTreeKeyNames[j], m != nullptr ? std::string("[$") + m[0] + "#L" : std::string());
      }
      return p;
    }();
    return prefixes[k];
  }
  // A tree_param member's bytes up to its string's length.
  static std::string_view ParamPrefix(size_t j) {
    static const std::array<std::string, kParams> prefixes = [] {
      std::array<std::string, kParams> p;
      for (size_t i = 0; i < kParams; ++i) p[i] = KeyBytes(kParamNames[i], "SL");
      return p;
    }();
    return prefixes[j];
  }

  std::vector<Tree> trees_;
};

// What ReadTree needs besides the value: the encoding, and the trees read straight from their
// bytes (nullptr: none).
struct ReadContext {
  bool ubjson;
  const TreeObjectReader* trees;
};

// Tree `index`'s "id" member `id`, which must be its index.
Status CheckTreeId(int64_t id, size_t index) {
  if (id == static_cast<int64_t>(index)) return Status::Ok();
  char where_buf[48];
  return Err(TreeWhere(index, "", where_buf), "\"id\" is " + std::to_string(id) + ", trees must be stored in order");
}

// A tree TreeObjectReader took: only its id is left to check (as ReadTree does).
Status ReadTreeObject(const TreeObjectReader::Tree& t, size_t index, XgbTree* tree) {
  INFERD_RETURN_IF_ERROR(CheckTreeId(t.id, index));
  tree->num_nodes = t.num_nodes;
  tree->num_deleted = t.num_deleted;
  const auto n = static_cast<size_t>(t.num_nodes);
  tree->nodes.assign(n, XgbNode());
  if (!DecodeTypedNodes(t.arrays, n, tree->nodes.data())) {
    return Status::Internal("xgboost tree " + std::to_string(index) + ": a flag the tree reader checked is above 1");
  }
  return Status::Ok();
}

Status ReadTree(const XgbValue& t, size_t index, const ReadContext& ctx, XgbTree* tree) {
  const bool ubjson = ctx.ubjson;
  if (t.type == Type::kRead && ctx.trees != nullptr) return ReadTreeObject(ctx.trees->tree(t.integer), index, tree);
  char where_buf[48];
  const std::string_view where = TreeWhere(index, "", where_buf);
  if (t.type != Type::kObject) return Err(where, "must be an object, found " + std::string(XgbTypeName(t)));
  const XgbValue* m[kTreeKeys];
  FindTreeMembers(t, m);
  if (m[kTreeParam] == nullptr) return Err(where, "missing \"tree_param\"");
  const XgbValue* param = m[kTreeParam];
  if (param->type != Type::kObject) {
    return Err(where, "\"tree_param\" must be an object, found " + std::string(XgbTypeName(*param)));
  }
  char pwhere_buf[48];
  const std::string_view pwhere = TreeWhere(index, " tree_param", pwhere_buf);
  INFERD_ASSIGN_OR_RETURN(tree->num_nodes, IntParam(*param, "num_nodes", pwhere, 1, kMaxXgbTreeNodes));
  INFERD_ASSIGN_OR_RETURN(tree->num_deleted, IntParam(*param, "num_deleted", pwhere, 0, kMaxXgbTreeNodes, 0));
  // Each tree repeats the model's feature count; predictions use the learner's.
  INFERD_RETURN_IF_ERROR(IntParam(*param, "num_feature", pwhere, 0, kMaxXgbFeatures, 0).status());
  // xgboost 1.7 predicts scalar leaves only ("size_leaf_vector is enforced to 0").
  INFERD_RETURN_IF_ERROR(IntParam(*param, "size_leaf_vector", pwhere, 0, 0, 0).status());
  const XgbValue* id = m[kId];
  if (id == nullptr) return Err(where, "missing \"id\"");
  if (id->type != Type::kInt) return Err(where, "\"id\" must be an integer, found " + std::string(XgbTypeName(*id)));
  INFERD_RETURN_IF_ERROR(CheckTreeId(id->integer, index));
  // The per-node arrays (TreeKey kLeftChildren..kSplitType): their kinds, then their lengths
  // (num_nodes is only a claim until every array has that many entries: the node table is
  // allocated after), then one pass each.
  // kShapeOnly: checked (numbers, num_nodes of them) but not kept; prediction and explanation
  // never read base_weights or loss_changes.
  enum class Kind { kId, kFloat, kFlag, kShapeOnly };
  struct PerNode {
    Kind kind;
    int32_t XgbNode::*id;
    float XgbNode::*real;
    uint8_t XgbNode::*flag;
  };
  static const PerNode kPerNode[] = {
      {Kind::kId, &XgbNode::left, nullptr, nullptr},
      {Kind::kId, &XgbNode::right, nullptr, nullptr},
      {Kind::kId, &XgbNode::parent, nullptr, nullptr},
      {Kind::kId, &XgbNode::split_index, nullptr, nullptr},
      {Kind::kFloat, nullptr, &XgbNode::split_condition, nullptr},
      {Kind::kFlag, nullptr, nullptr, &XgbNode::default_left},
      {Kind::kShapeOnly, nullptr, nullptr, nullptr},  // base_weights
      {Kind::kShapeOnly, nullptr, nullptr, nullptr},  // loss_changes
      {Kind::kFloat, nullptr, &XgbNode::sum_hessian, nullptr},
      {Kind::kFlag, nullptr, nullptr, &XgbNode::split_type},  // optional
  };
  constexpr size_t kArrays = sizeof(kPerNode) / sizeof(kPerNode[0]);
  static_assert(kArrays == kSplitType + 1);
  // Typed uint8 flag arrays are checked while they are decoded (check_typed_flags names a bad one).
  const auto typed_flags = [](const XgbValue* v) { return v != nullptr && v->typed == 'U'; };
  for (size_t k = 0; k < kArrays; ++k) {
    const PerNode& a = kPerNode[k];
    const std::string_view key = kTreeKeyNames[k];
    if (a.kind == Kind::kFlag) {
      const bool split_type = k == kSplitType;
      if (m[k] == nullptr && !split_type) return Err(where, "missing " + Quoted(key));
      if (m[k] != nullptr && !typed_flags(m[k])) INFERD_RETURN_IF_ERROR(CheckFlags(*m[k], key, where, 1, !split_type));
    } else {
      INFERD_RETURN_IF_ERROR(NumberArrayOf(m[k], key, where, a.kind == Kind::kId).status());
    }
  }
  // Categorical splits (xgboost >= 1.5): split_type, then the four category arrays with it.
  const bool has_split_type = m[kSplitType] != nullptr;
  for (size_t k = kCategories; k <= kCategoriesSizes; ++k) {
    if (has_split_type && m[k] == nullptr) return Err(where, "has \"split_type\" but no " + Quoted(kTreeKeyNames[k]));
  }
  INFERD_RETURN_IF_ERROR(ReadIntsOf(m[kCategories], "categories", where, &tree->categories, true));
  INFERD_RETURN_IF_ERROR(ReadIntsOf(m[kCategoriesNodes], "categories_nodes", where, &tree->categories_nodes, true));
  INFERD_RETURN_IF_ERROR(
      ReadIntsOf(m[kCategoriesSegments], "categories_segments", where, &tree->categories_segments, true));
  INFERD_RETURN_IF_ERROR(ReadIntsOf(m[kCategoriesSizes], "categories_sizes", where, &tree->categories_sizes, true));
  if (!has_split_type && !tree->categories_nodes.empty()) {
    return Err(where, "has categorical splits but no \"split_type\"");
  }
  const auto n = static_cast<size_t>(tree->num_nodes);
  for (size_t k = 0; k < kArrays; ++k) {
    if (m[k] != nullptr && m[k]->size() != n) {
      return Err(where, Quoted(kTreeKeyNames[k]) + " has " + std::to_string(m[k]->size()) + " entries, num_nodes is " +
                            std::to_string(n));
    }
  }
  if (ubjson) INFERD_RETURN_IF_ERROR(CheckUbjsonArrayTypes(m, where));
  // The flag checks skipped above, with their messages.
  const auto check_typed_flags = [&]() -> Status {
    for (const size_t k : {size_t{kDefaultLeft}, size_t{kSplitType}}) {
      if (typed_flags(m[k])) INFERD_RETURN_IF_ERROR(CheckFlags(*m[k], kTreeKeyNames[k], where, 1, k == kDefaultLeft));
    }
    return Status::Ok();
  };

  tree->nodes.assign(n, XgbNode());
  XgbNode* const nodes = tree->nodes.data();
  if (ubjson && m[kLossChanges]->typed != 0 && m[kSplitIndices]->typed == 'l') {
    // The typed arrays xgboost writes (CheckUbjsonArrayTypes fixed their element types).
    const XgbValue* split_type = m[kSplitType];
    const bool flags_ok = DecodeTypedNodes(
        {m[kLeftChildren]->string.data(), m[kRightChildren]->string.data(), m[kParents]->string.data(),
         m[kSplitIndices]->string.data(), m[kSplitConditions]->string.data(), m[kDefaultLeft]->string.data(),
         m[kSumHessian]->string.data(), split_type == nullptr ? nullptr : split_type->string.data()},
        n, nodes);
    if (!flags_ok) {
      INFERD_RETURN_IF_ERROR(check_typed_flags());
      return Status::Internal(std::string(where) + ": a flag check has no message");
    }
    return Status::Ok();
  }
  INFERD_RETURN_IF_ERROR(check_typed_flags());
  // Contiguous decoding buffers, kept from tree to tree (a document's trees are read in turn).
  thread_local std::vector<int32_t> ids;
  thread_local std::vector<float> reals;
  for (size_t k = 0; k < kArrays; ++k) {
    const PerNode& a = kPerNode[k];
    const XgbValue* v = m[k];
    if (v == nullptr) continue;
    switch (a.kind) {
      case Kind::kId: {
        if (v->typed == 'l') {  // what xgboost writes: decoded straight into the nodes
          const char* p = v->string.data();
          SetField(nodes, n, a.id, [p](size_t i) { return static_cast<int32_t>(BigEndian32(p + 4 * i)); });
          break;
        }
        ids.resize(n);
        size_t bad = 0;
        if (!XgbIntsAsInt32(*v, ids.data(), &bad)) {
          return Err(where, Quoted(kTreeKeyNames[k]) + "[" + std::to_string(bad) + "] is " +
                                std::to_string(XgbIntAt(*v, bad)) + ", outside the 32-bit range xgboost writes");
        }
        SetField(nodes, n, a.id, [d = ids.data()](size_t i) { return d[i]; });
        break;
      }
      case Kind::kFloat:
        if (v->typed == 'd') {
          const char* p = v->string.data();
          SetField(nodes, n, a.real, [p](size_t i) { return std::bit_cast<float>(BigEndian32(p + 4 * i)); });
          break;
        }
        reals.resize(n);
        XgbNumbersAsFloat(*v, reals.data());
        SetField(nodes, n, a.real, [d = reals.data()](size_t i) { return d[i]; });
        break;
      case Kind::kFlag: CopyFlags(*v, a.flag, &tree->nodes); break;
      case Kind::kShapeOnly: break;
    }
  }
  return Status::Ok();
}

// gbtree's {"gbtree_model_param", "trees", "tree_info"} (also inside dart).
Status ReadTreeModel(const XgbValue& gb, std::string_view gb_where, const ReadContext& ctx, XgbDocument* doc) {
  INFERD_ASSIGN_OR_RETURN(const XgbValue* model, ObjectMember(gb, "model", gb_where));
  const std::string where = std::string(gb_where) + ".model";
  INFERD_ASSIGN_OR_RETURN(const XgbValue* param, ObjectMember(*model, "gbtree_model_param", where));
  const std::string pwhere = "gbtree_model_param";
  INFERD_ASSIGN_OR_RETURN(doc->num_trees, IntParam(*param, "num_trees", pwhere, 0, kMaxXgbTreeNodes));
  INFERD_ASSIGN_OR_RETURN(doc->num_parallel_tree,
                          IntParam(*param, "num_parallel_tree", pwhere, 1, kMaxXgbParallelTrees, 1));
  INFERD_RETURN_IF_ERROR(IntParam(*param, "size_leaf_vector", pwhere, 0, 0, 0).status());
  INFERD_ASSIGN_OR_RETURN(const XgbValue* trees, Member(*model, "trees", where));
  if (!trees->is_array()) return Err(where, "\"trees\" must be an array, found " + std::string(XgbTypeName(*trees)));
  if (trees->type != Type::kArray && trees->size() > 0) return Err(where, "\"trees\" must hold objects, found numbers");
  doc->trees.resize(trees->type == Type::kArray ? trees->size() : 0);
  size_t i = 0;
  for (const XgbValue& tree : trees->items()) {
    INFERD_RETURN_IF_ERROR(ReadTree(tree, i, ctx, &doc->trees[i]));
    ++i;
  }
  INFERD_RETURN_IF_ERROR(ReadInts(*model, "tree_info", where, &doc->tree_info));
  INFERD_RETURN_IF_ERROR(CheckUntyped(*model, "tree_info", where));
  INFERD_RETURN_IF_ERROR(ReadInts(*model, "iteration_indptr", where, &doc->iteration_indptr, true));
  return Status::Ok();
}

Status ReadLearner(const XgbValue& learner, const ReadContext& ctx, XgbDocument* doc) {
  INFERD_ASSIGN_OR_RETURN(const XgbValue* lmp, ObjectMember(learner, "learner_model_param", "learner"));
  const char* where = "learner_model_param";
  INFERD_ASSIGN_OR_RETURN(double base_score, RealParam(*lmp, "base_score", where));
  doc->base_score = ToFloat(base_score);
  INFERD_ASSIGN_OR_RETURN(doc->num_feature, IntParam(*lmp, "num_feature", where, 1, kMaxXgbFeatures));
  INFERD_ASSIGN_OR_RETURN(doc->num_class, IntParam(*lmp, "num_class", where, 0, kMaxXgbOutputs));
  INFERD_ASSIGN_OR_RETURN(doc->num_target, IntParam(*lmp, "num_target", where, 1, kMaxXgbOutputs, 1));
  INFERD_RETURN_IF_ERROR(IntParam(*lmp, "boost_from_average", where, 0, 1, 1).status());

  INFERD_ASSIGN_OR_RETURN(const XgbValue* objective, ObjectMember(learner, "objective", "learner"));
  INFERD_ASSIGN_OR_RETURN(doc->objective, StringMember(*objective, "name", "objective"));
  if (const char* key = ObjectiveParamKey(doc->objective)) {
    const XgbValue* params = objective->Find(key);
    if (params == nullptr || params->type != Type::kObject) {
      return Err("objective", Quoted(doc->objective) + " needs the object " + Quoted(key));
    }
    for (const auto& [name, value] : params->members()) {
      if (value.type != Type::kString) {
        return Err("objective",
                   std::string(key) + "." + Printable(name) + " must be a string, found " + XgbTypeName(value));
      }
    }
  }
  if (const XgbValue* softmax = objective->Find("softmax_multiclass_param")) {
    if (softmax->type != Type::kObject) {
      return Err("objective",
                 "\"softmax_multiclass_param\" must be an object, found " + std::string(XgbTypeName(*softmax)));
    }
    INFERD_ASSIGN_OR_RETURN(int64_t k,
                            IntParam(*softmax, "num_class", "objective softmax_multiclass_param", 0, kMaxXgbOutputs));
    doc->objective_num_class = k;
  }

  INFERD_ASSIGN_OR_RETURN(const XgbValue* gb, ObjectMember(learner, "gradient_booster", "learner"));
  INFERD_ASSIGN_OR_RETURN(doc->booster, StringMember(*gb, "name", "gradient_booster"));
  if (doc->booster == "gbtree") {
    INFERD_RETURN_IF_ERROR(ReadTreeModel(*gb, "gradient_booster", ctx, doc));
  } else if (doc->booster == "dart") {
    INFERD_ASSIGN_OR_RETURN(const XgbValue* inner, ObjectMember(*gb, "gbtree", "gradient_booster"));
    INFERD_ASSIGN_OR_RETURN(std::string inner_name, StringMember(*inner, "name", "gradient_booster.gbtree"));
    if (inner_name != "gbtree")
      return Err("gradient_booster.gbtree", "\"name\" is " + Quoted(inner_name) + ", must be \"gbtree\"");
    INFERD_RETURN_IF_ERROR(ReadTreeModel(*inner, "gradient_booster.gbtree", ctx, doc));
    INFERD_RETURN_IF_ERROR(ReadFloats(*gb, "weight_drop", "gradient_booster", &doc->weight_drop));
    INFERD_RETURN_IF_ERROR(CheckUntyped(*gb, "weight_drop", "gradient_booster"));
  } else if (doc->booster == "gblinear") {
    INFERD_ASSIGN_OR_RETURN(const XgbValue* model, ObjectMember(*gb, "model", "gradient_booster"));
    INFERD_RETURN_IF_ERROR(ReadFloats(*model, "weights", "gradient_booster.model", &doc->linear_weights));
    if (const XgbValue* rounds = model->Find("boosted_rounds")) {
      if (rounds->type != Type::kInt || rounds->integer < 0 || rounds->integer > kMaxXgbTreeNodes) {
        return Err("gradient_booster.model", "\"boosted_rounds\" must be an integer in " + Range(0, kMaxXgbTreeNodes));
      }
    }
  } else {
    return Err("gradient_booster",
               "unknown booster " + Quoted(doc->booster) + " (gbtree, dart and gblinear are known)");
  }

  INFERD_ASSIGN_OR_RETURN(const XgbValue* attributes, ObjectMember(learner, "attributes", "learner"));
  for (const auto& [key, value] : attributes->members()) {
    if (value.type != Type::kString) {
      return Err("attributes", Quoted(key) + " must be a string, found " + XgbTypeName(value));
    }
    doc->attributes.emplace_back(std::string(key), std::string(value.string));
  }
  INFERD_RETURN_IF_ERROR(ReadStrings(learner, "feature_names", "learner", &doc->feature_names));
  INFERD_RETURN_IF_ERROR(ReadStrings(learner, "feature_types", "learner", &doc->feature_types));
  return Status::Ok();
}

Status ReadModel(const XgbValue& model, const ReadContext& ctx, XgbDocument* doc) {
  if (model.type != Type::kObject) return Err("model", "must be an object, found " + std::string(XgbTypeName(model)));
  INFERD_ASSIGN_OR_RETURN(const XgbValue* version, Member(model, "version", "model"));
  if (version->type != Type::kIntArray || version->size() != 3 || version->typed != 0) {
    return Err("model", "\"version\" must be an array of 3 integers");
  }
  int64_t parts[3];
  XgbIntsAsInt64(*version, parts);
  for (size_t i = 0; i < 3; ++i) {
    if (parts[i] < 0 || parts[i] > 0x7fffffff) return Err("model", "\"version\" has a negative or huge part");
    doc->version[i] = parts[i];
  }
  INFERD_ASSIGN_OR_RETURN(const XgbValue* learner, ObjectMember(model, "learner", "model"));
  return ReadLearner(*learner, ctx, doc);
}

// ---- validation ----

std::string NodeWhere(size_t tree, int64_t node) {
  return "tree " + std::to_string(tree) + " node " + std::to_string(node);
}

// Names the first node that fails a check of its own (NodesLookValid's), if any.
Status NodeErrors(const XgbNode* nodes, int64_t n, size_t index, int64_t num_feature) {
  const auto range_error = [&](int64_t node, const char* what, int64_t v) {
    return Err(NodeWhere(index, node), std::string(what) + " " + std::to_string(v) + " is out of range (tree has " +
                                           std::to_string(n) + " nodes)");
  };
  for (int64_t i = 0; i < n; ++i) {
    const XgbNode& node = nodes[i];
    const int64_t l = node.left;
    const int64_t r = node.right;
    if ((l == -1) != (r == -1)) {
      return Err(NodeWhere(index, i), "has one child (left " + std::to_string(l) + ", right " + std::to_string(r) +
                                          "): children must be both -1 or both nodes");
    }
    if (l != -1) {
      if (l == 0) return Err(NodeWhere(index, i), "left child 0 is the root (a cycle)");
      if (r == 0) return Err(NodeWhere(index, i), "right child 0 is the root (a cycle)");
      if (l < 0 || l >= n) return range_error(i, "left child", l);
      if (r < 0 || r >= n) return range_error(i, "right child", r);
      if (l == r) return Err(NodeWhere(index, i), "both children are node " + std::to_string(l));
    }
    const int64_t p = node.parent;
    if (i == 0) {
      if (p != kXgbRootParent && p != -1) {
        return Err(NodeWhere(index, 0), "the root's parent is " + std::to_string(p) + ", must be " +
                                            std::to_string(kXgbRootParent) + " (none)");
      }
    } else if (p < 0 || p >= n) {
      return range_error(i, "parent", p);
    }
    const int64_t f = node.split_index;
    if (f < 0 || f > kXgbDeletedSplitIndex) {
      return Err(NodeWhere(index, i), "split on feature " + std::to_string(f) + " is out of range (the model has " +
                                          std::to_string(num_feature) + " features)");
    }
    if (node.default_left > 1 || node.split_type > 1) {
      return Err(NodeWhere(index, i), "default_left / split_type must be 0 or 1");
    }
    // A categorical split has no threshold (xgboost writes NaN there); every other value counts.
    const bool categorical_split = l != -1 && node.split_type == 1;
    if (!std::isfinite(node.split_condition) && !categorical_split) {
      return Err(NodeWhere(index, i), std::string(l == -1 ? "leaf value" : "threshold") +
                                          " (split_conditions) is not a finite float32 number");
    }
  }

  return Status::Ok();
}

// Whether node i (of n) fails a check of its own that does not involve its children's ids,
// computed without branches.
inline bool OwnFieldsBad(const XgbNode& node, int64_t i, uint32_t n) {
  const bool leaf = node.left == -1;
  return ((node.right == -1) != leaf) | ((i != 0) & (static_cast<uint32_t>(node.parent) >= n)) |
         (node.split_index < 0) | ((node.default_left | node.split_type) > 1) |
         ((!std::isfinite(node.split_condition)) & (leaf | (node.split_type != 1)));
}

// Whether every node passes the checks of its own that NodeErrors makes, computed without
// branches (a few instructions a node when all pass); sets *any_categorical if a node has
// split_type 1. REQUIRES: 1 <= n <= kMaxXgbTreeNodes.
bool NodesLookValid(const XgbNode* nodes, int64_t n, bool* any_categorical) {
  bool bad = nodes[0].parent != kXgbRootParent && nodes[0].parent != -1;
  uint8_t split_types = 0;
  const auto un = static_cast<uint32_t>(n);
  for (int64_t i = 0; i < n; ++i) {
    const XgbNode& node = nodes[i];
    bad |= OwnFieldsBad(node, i, un);
    // Children in [1, n): c - 1, as unsigned, below n - 1.
    bad |= (node.left != -1) & ((static_cast<uint32_t>(node.left) - 1 >= un - 1) |
                                (static_cast<uint32_t>(node.right) - 1 >= un - 1) | (node.left == node.right));
    split_types |= node.split_type;
  }
  *any_categorical = split_types != 0;
  return !bad;
}

// The checks from the root (ValidateTree's), by a depth-first walk: every node reached at most
// once, from its recorded parent, within kMaxXgbTreeDepth; the others deleted. Marks in
// reached[0, n) the nodes it reaches.
Status ReachFromRoot(const XgbTree& t, size_t index, int64_t num_feature, std::string_view where, uint8_t* reached) {
  const XgbNode* nodes = t.nodes.data();
  const int64_t n = t.num_nodes;
  // Each node is pushed at most once, so the stack never holds more than n entries. A buffer
  // kept from tree to tree (a document's trees are validated one after another).
  struct Pending {
    int32_t id;
    int32_t depth;
  };
  thread_local std::vector<Pending> stack_buffer;
  stack_buffer.resize(static_cast<size_t>(n));
  std::fill(reached, reached + n, 0);
  Pending* const stack = stack_buffer.data();
  size_t top = 0;
  reached[0] = 1;
  stack[top++] = {0, 0};
  int64_t n_reached = 1;
  while (top != 0) {
    const auto [id, depth] = stack[--top];
    const XgbNode& node = nodes[id];
    const bool deleted = node.split_index == kXgbDeletedSplitIndex && node.default_left == 1;
    if (deleted) return Err(NodeWhere(index, id), "is marked deleted but is reached from the root");
    if (node.left == -1) {
      if (node.split_type != 0) return Err(NodeWhere(index, id), "is a leaf with a categorical split_type");
      continue;
    }
    const int64_t f = node.split_index;
    if (f >= num_feature) {
      return Err(NodeWhere(index, id), "split on feature " + std::to_string(f) + " is out of range (the model has " +
                                           std::to_string(num_feature) + " features)");
    }
    if (depth + 1 > kMaxXgbTreeDepth) {
      return Err(where, "is deeper than " + std::to_string(kMaxXgbTreeDepth) + " levels");
    }
    for (int side = 0; side < 2; ++side) {
      const int32_t c = side == 0 ? node.left : node.right;
      const char* what = side == 0 ? "left child" : "right child";
      if (reached[c]) {
        return Err(NodeWhere(index, id), std::string(what) + " " + std::to_string(c) +
                                             " is reached twice from the root (a cycle or a shared node)");
      }
      if (nodes[c].parent != id) {
        return Err(NodeWhere(index, c), "parent is " + std::to_string(nodes[c].parent) +
                                            " but the node is a child of " + std::to_string(id));
      }
      reached[c] = 1;
      ++n_reached;
      stack[top++] = {c, depth + 1};
    }
  }
  // The rest must be nodes xgboost deleted when it pruned the tree (leaves, kept in the arrays).
  int64_t deleted = 0;
  for (int64_t i = n_reached == n ? n : 1; i < n; ++i) {
    const bool marked = nodes[i].split_index == kXgbDeletedSplitIndex && nodes[i].default_left == 1;
    if (reached[i]) continue;
    if (!marked || nodes[i].left != -1) {
      return Err(NodeWhere(index, i), "is not reached from the root and not marked deleted");
    }
    ++deleted;
  }
  if (deleted != n - n_reached || deleted != t.num_deleted) {
    return Err(where, "num_deleted is " + std::to_string(t.num_deleted) + " but " + std::to_string(deleted) +
                          " nodes are marked deleted");
  }

  return Status::Ok();
}

// Whether the checks of NodesLookValid and ReachFromRoot pass, for a tree whose children all
// have larger ids than their parents (what xgboost writes unless pruning reused ids): then one
// forward pass finds each node's reachability and depth from its parent's. False does not mean
// the tree is invalid (those two decide). When true, reached[0, n) is as ReachFromRoot leaves it
// and *any_categorical as NodesLookValid sets it.
bool ForwardTreeLooksValid(const XgbTree& t, int64_t num_feature, uint8_t* reached, bool* any_categorical) {
  const XgbNode* nodes = t.nodes.data();
  const int64_t n = t.num_nodes;
  thread_local std::vector<int32_t> depth_buffer;  // kept from tree to tree
  depth_buffer.resize(static_cast<size_t>(n));
  int32_t* const depth = depth_buffer.data();
  std::fill(reached, reached + n, 0);
  reached[0] = 1;
  depth[0] = 0;
  bool bad = nodes[0].parent != kXgbRootParent && nodes[0].parent != -1;
  uint8_t split_types = 0;
  int64_t deleted = 0;
  const auto un = static_cast<uint32_t>(n);
  for (int64_t i = 0; i < n; ++i) {
    const XgbNode& node = nodes[i];
    const bool leaf = node.left == -1;
    bad |= OwnFieldsBad(node, i, un);  // the children's range below
    split_types |= node.split_type;
    // From the root.
    const bool marked = node.split_index == kXgbDeletedSplitIndex && node.default_left == 1;
    if (reached[i] == 0) {  // only a deleted leaf may be unreached
      bad |= !marked || !leaf;
      ++deleted;
      continue;
    }
    bad |= marked;
    if (leaf) {
      bad |= node.split_type != 0;
      continue;
    }
    // Children after this node and in range; each child's parent this node, so no node has two.
    const int32_t l = node.left, r = node.right;
    if (l <= i || r <= i || l >= n || r >= n) return false;
    bad |= l == r;
    bad |= (nodes[l].parent != i) | (nodes[r].parent != i);
    bad |= node.split_index >= num_feature;
    bad |= depth[i] + 1 > kMaxXgbTreeDepth;
    reached[l] = reached[r] = 1;
    depth[l] = depth[r] = depth[i] + 1;
  }
  *any_categorical = split_types != 0;
  return !bad && deleted == t.num_deleted;
}

// Whether the checks of NodesLookValid and ReachFromRoot pass for a tree whose ids are breadth
// first with no categorical split and no deleted node (the children of the k-th split are the
// next two unused ids: what xgboost's depthwise growth writes). Then every node is reached once,
// in id order, and a node's depth is its level's, so one pass needs no buffers. False does not
// mean the tree is invalid (the general checks decide and name the problem).
bool BreadthFirstTreeLooksValid(const XgbTree& t, int64_t num_feature) {
  const XgbNode* nodes = t.nodes.data();
  const int64_t n = t.num_nodes;
  if (t.num_deleted != 0) return false;
  bool bad = nodes[0].parent != kXgbRootParent && nodes[0].parent != -1;
  uint8_t split_types = 0;
  const auto un = static_cast<uint32_t>(n);
  int64_t next = 1;       // the id the next split's left child must have
  int64_t level_end = 1;  // the nodes before it are at depth `depth` or above
  int64_t depth = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (i >= next) return false;  // no split before it has it as a child
    if (i == level_end) {
      ++depth;
      level_end = next;
    }
    const XgbNode& node = nodes[i];
    bad |= OwnFieldsBad(node, i, un);
    split_types |= node.split_type;
    bad |= node.split_index == kXgbDeletedSplitIndex && node.default_left == 1;  // marked deleted
    if (node.left == -1) continue;
    if (node.left != next || node.right != next + 1 || next + 1 >= n) return false;
    bad |= (nodes[next].parent != i) | (nodes[next + 1].parent != i);
    bad |= node.split_index >= num_feature;
    bad |= depth + 1 > kMaxXgbTreeDepth;
    next += 2;
  }
  return !bad && split_types == 0;
}

Status ValidateTree(const XgbTree& t, size_t index, int64_t num_feature, int64_t* category_words) {
  char where_buf[48];
  const std::string_view where = TreeWhere(index, "", where_buf);
  const int64_t n = t.num_nodes;
  if (n < 1 || n > kMaxXgbTreeNodes)
    return Err(where, "num_nodes " + std::to_string(n) + " is not in " + Range(1, kMaxXgbTreeNodes));
  if (static_cast<int64_t>(t.nodes.size()) != n) {
    return Err(where, "has " + std::to_string(t.nodes.size()) + " nodes, num_nodes is " + std::to_string(n));
  }
  const XgbNode* nodes = t.nodes.data();

  // Every check of a node on its own (NodeErrors) and from the root (ReachFromRoot), in one
  // forward pass when the tree's ids are breadth first or its children follow their parents;
  // when neither pass vouches for the tree, the two checks in turn name the first problem.
  // `reached` is read below for categorical nodes only, which a breadth-first tree has none of.
  thread_local std::vector<uint8_t> reached_buffer;  // kept from tree to tree
  reached_buffer.resize(static_cast<size_t>(n));
  uint8_t* const reached = reached_buffer.data();
  bool any_categorical = false;
  if (!BreadthFirstTreeLooksValid(t, num_feature) &&
      !ForwardTreeLooksValid(t, num_feature, reached, &any_categorical)) {
    if (!NodesLookValid(nodes, n, &any_categorical)) {
      INFERD_RETURN_IF_ERROR(NodeErrors(nodes, n, index, num_feature));
      // The walk below indexes by the children NodesLookValid checks: never reached with them bad.
      return Status::Internal(std::string(where) + ": a node check has no message");
    }
    INFERD_RETURN_IF_ERROR(ReachFromRoot(t, index, num_feature, where, reached));
  }

  // Categorical splits.
  const size_t n_cat = t.categories_nodes.size();
  if (t.categories_segments.size() != n_cat || t.categories_sizes.size() != n_cat) {
    return Err(where, "categories_nodes, categories_segments and categories_sizes have " + std::to_string(n_cat) +
                          ", " + std::to_string(t.categories_segments.size()) + " and " +
                          std::to_string(t.categories_sizes.size()) + " entries");
  }
  const auto n_categories = static_cast<int64_t>(t.categories.size());
  for (size_t k = 0; k < t.categories.size(); ++k) {
    if (t.categories[k] < 0 || t.categories[k] >= kMaxXgbCategory) {
      return Err(where, "category " + std::to_string(t.categories[k]) + " (categories[" + std::to_string(k) +
                            "]) is not in " + Range(0, kMaxXgbCategory - 1));
    }
  }
  size_t k = 0;  // next categories_nodes entry
  for (int64_t i = n_cat == 0 && !any_categorical ? n : 0; i < n; ++i) {
    const bool categorical = nodes[i].split_type == 1;
    const bool listed = k < n_cat && t.categories_nodes[k] == i;
    if (k < n_cat && (t.categories_nodes[k] < i || t.categories_nodes[k] >= n)) {
      return Err(where, "categories_nodes[" + std::to_string(k) + "] is " + std::to_string(t.categories_nodes[k]) +
                            ": entries must be increasing node ids below " + std::to_string(n));
    }
    if (categorical && !reached[i])
      return Err(NodeWhere(index, i), "has a categorical split_type but is not in the tree");
    if (categorical != listed) {
      return Err(NodeWhere(index, i), categorical ? "has a categorical split but no categories (categories_nodes)"
                                                  : "is in categories_nodes but its split is not categorical");
    }
    if (!listed) continue;
    const int64_t begin = t.categories_segments[k];
    const int64_t size = t.categories_sizes[k];
    if (size < 1) return Err(NodeWhere(index, i), "has a categorical split with no categories");
    if (begin < 0 || begin > n_categories || size > n_categories - begin) {
      return Err(NodeWhere(index, i), "categories " + std::to_string(begin) + " + " + std::to_string(size) +
                                          " are outside the " + std::to_string(n_categories) + " categories");
    }
    int64_t max_category = 0;
    for (int64_t j = begin; j < begin + size; ++j) max_category = std::max(max_category, t.categories[j]);
    *category_words += max_category / 32 + 1;
    if (*category_words > kMaxXgbCategoryWords) {
      return Err(where, "the categorical splits need more than " + std::to_string(kMaxXgbCategoryWords) +
                            " words of category bitsets");
    }
    ++k;
  }
  if (k != n_cat) {
    return Err(where, "categories_nodes[" + std::to_string(k) + "] is " + std::to_string(t.categories_nodes[k]) +
                          ": entries must be increasing node ids below " + std::to_string(n));
  }
  return Status::Ok();
}

// What xgboost 1.7 writes as an objective's name ("reg:linear" is saved as reg:squarederror).
constexpr std::string_view kObjectives[] = {
    "binary:hinge",
    "binary:logistic",
    "binary:logitraw",
    "count:poisson",
    "multi:softmax",
    "multi:softprob",
    "rank:map",
    "rank:ndcg",
    "rank:pairwise",
    "reg:absoluteerror",
    "reg:gamma",
    "reg:logistic",
    "reg:pseudohubererror",
    "reg:squarederror",
    "reg:squaredlogerror",
    "reg:tweedie",
    "survival:aft",
    "survival:cox",
};

}  // namespace

bool IsKnownXgbObjective(std::string_view name) {
  return std::find(std::begin(kObjectives), std::end(kObjectives), name) != std::end(kObjectives);
}

int64_t XgbDocument::output_groups() const { return std::max<int64_t>({num_class, num_target, 1}); }

int64_t XgbDocument::rounds() const {
  const int64_t per_round = output_groups() * num_parallel_tree;
  return per_round > 0 ? static_cast<int64_t>(trees.size()) / per_round : 0;
}

const std::string* XgbDocument::attribute(std::string_view key) const {
  for (const auto& [k, v] : attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

Status ValidateXgbDocument(const XgbDocument& doc) {
  if (doc.num_feature < 1 || doc.num_feature > kMaxXgbFeatures) {
    return Err("learner_model_param",
               "num_feature " + std::to_string(doc.num_feature) + " is not in " + Range(1, kMaxXgbFeatures));
  }
  if (doc.num_class < 0 || doc.num_class > kMaxXgbOutputs || doc.num_target < 1 || doc.num_target > kMaxXgbOutputs) {
    return Err("learner_model_param", "num_class " + std::to_string(doc.num_class) + " / num_target " +
                                          std::to_string(doc.num_target) + " out of range");
  }
  if (doc.num_class > 1 && doc.num_target > 1) {
    return Err("learner_model_param", "num_class and num_target are both above 1");
  }
  if (!std::isfinite(doc.base_score)) return Err("learner_model_param", "base_score is not finite");
  if (!IsKnownXgbObjective(doc.objective)) return Err("objective", "unknown objective " + Quoted(doc.objective));
  if (BaseScoreIsProbability(doc.objective) && !(doc.base_score > 0.0f && doc.base_score < 1.0f)) {
    return Err("learner_model_param", "base_score is " + std::to_string(doc.base_score) + ", " + doc.objective +
                                          " needs a probability in (0, 1)");
  }
  const bool multi = doc.objective.rfind("multi:", 0) == 0;
  if (multi) {
    if (doc.num_class < 1)
      return Err("objective", doc.objective + " needs num_class >= 1, the model has " + std::to_string(doc.num_class));
    if (doc.objective_num_class && *doc.objective_num_class != doc.num_class) {
      return Err("objective", "softmax_multiclass_param.num_class is " + std::to_string(*doc.objective_num_class) +
                                  " but learner_model_param.num_class is " + std::to_string(doc.num_class));
    }
  }
  const int64_t groups = doc.output_groups();

  if (doc.booster == "gblinear") {
    const int64_t want = (doc.num_feature + 1) * groups;
    if (static_cast<int64_t>(doc.linear_weights.size()) != want) {
      return Err("gblinear", "has " + std::to_string(doc.linear_weights.size()) + " weights, (num_feature + 1) * " +
                                 std::to_string(groups) + " groups is " + std::to_string(want));
    }
    for (size_t i = 0; i < doc.linear_weights.size(); ++i) {
      if (!std::isfinite(doc.linear_weights[i]))
        return Err("gblinear", "weight " + std::to_string(i) + " is not finite");
    }
  } else if (doc.booster == "gbtree" || doc.booster == "dart") {
    const auto n_trees = static_cast<int64_t>(doc.trees.size());
    if (doc.num_trees != n_trees) {
      return Err("gbtree_model_param", "num_trees is " + std::to_string(doc.num_trees) + " but the model has " +
                                           std::to_string(n_trees) + " trees");
    }
    if (static_cast<int64_t>(doc.tree_info.size()) != n_trees) {
      return Err("model", "tree_info has " + std::to_string(doc.tree_info.size()) + " entries for " +
                              std::to_string(n_trees) + " trees");
    }
    for (size_t i = 0; i < doc.tree_info.size(); ++i) {
      if (doc.tree_info[i] < 0 || doc.tree_info[i] >= groups) {
        return Err("model", "tree_info[" + std::to_string(i) + "] is " + std::to_string(doc.tree_info[i]) +
                                ", the model has " + std::to_string(groups) + " output group" +
                                (groups == 1 ? "" : "s"));
      }
    }
    if (doc.num_parallel_tree < 1 || doc.num_parallel_tree > kMaxXgbParallelTrees) {
      return Err("gbtree_model_param", "num_parallel_tree " + std::to_string(doc.num_parallel_tree) + " is not in " +
                                           Range(1, kMaxXgbParallelTrees));
    }
    if (!doc.iteration_indptr.empty()) {
      const auto& p = doc.iteration_indptr;
      if (p.front() != 0 || p.back() != n_trees) {
        return Err("model",
                   "iteration_indptr must run from 0 to the number of trees (" + std::to_string(n_trees) + ")");
      }
      for (size_t i = 1; i < p.size(); ++i) {
        if (p[i] < p[i - 1]) return Err("model", "iteration_indptr decreases at entry " + std::to_string(i));
      }
    }
    if (doc.booster == "dart") {
      if (static_cast<int64_t>(doc.weight_drop.size()) != n_trees) {
        return Err("dart", "weight_drop has " + std::to_string(doc.weight_drop.size()) + " entries for " +
                               std::to_string(n_trees) + " trees");
      }
      for (size_t i = 0; i < doc.weight_drop.size(); ++i) {
        if (!std::isfinite(doc.weight_drop[i]))
          return Err("dart", "weight_drop[" + std::to_string(i) + "] is not finite");
      }
    }
    int64_t category_words = 0;
    for (size_t i = 0; i < doc.trees.size(); ++i) {
      INFERD_RETURN_IF_ERROR(ValidateTree(doc.trees[i], i, doc.num_feature, &category_words));
    }
  } else {
    return Err("gradient_booster", "unknown booster " + Quoted(doc.booster));
  }

  for (const auto* names : {&doc.feature_names, &doc.feature_types}) {
    if (!names->empty() && static_cast<int64_t>(names->size()) != doc.num_feature) {
      return Err("learner", std::string(names == &doc.feature_names ? "feature_names" : "feature_types") + " has " +
                                std::to_string(names->size()) + " entries for " + std::to_string(doc.num_feature) +
                                " features");
    }
  }
  if (const std::string* best = doc.attribute("best_iteration")) {
    int64_t b;
    if (!ParseDecimal(*best, &b) || b < 0)
      return Err("attributes", "best_iteration is " + Quoted(*best) + ", not a round number");
    if (doc.booster != "gblinear" && b >= doc.rounds()) {
      return Err("attributes", "best_iteration is " + std::to_string(b) + " but the model has " +
                                   std::to_string(doc.rounds()) + " boosting rounds");
    }
  }
  return Status::Ok();
}

namespace {

bool SameFloats(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  }
  return true;
}

bool SameTree(const XgbTree& a, const XgbTree& b) {
  if (a.num_nodes != b.num_nodes || a.num_deleted != b.num_deleted || a.nodes.size() != b.nodes.size() ||
      a.categories != b.categories || a.categories_nodes != b.categories_nodes ||
      a.categories_segments != b.categories_segments || a.categories_sizes != b.categories_sizes) {
    return false;
  }
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const XgbNode& x = a.nodes[i];
    const XgbNode& y = b.nodes[i];
    if (x.left != y.left || x.right != y.right || x.parent != y.parent || x.split_index != y.split_index ||
        std::bit_cast<uint32_t>(x.split_condition) != std::bit_cast<uint32_t>(y.split_condition) ||
        std::bit_cast<uint32_t>(x.sum_hessian) != std::bit_cast<uint32_t>(y.sum_hessian) ||
        x.default_left != y.default_left || x.split_type != y.split_type) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool SameXgbDocument(const XgbDocument& a, const XgbDocument& b) {
  if (!std::equal(std::begin(a.version), std::end(a.version), std::begin(b.version)) ||
      std::bit_cast<uint32_t>(a.base_score) != std::bit_cast<uint32_t>(b.base_score) ||
      a.num_feature != b.num_feature || a.num_class != b.num_class || a.num_target != b.num_target ||
      a.objective != b.objective || a.objective_num_class != b.objective_num_class || a.booster != b.booster ||
      a.num_parallel_tree != b.num_parallel_tree || a.num_trees != b.num_trees || a.trees.size() != b.trees.size() ||
      a.tree_info != b.tree_info || a.iteration_indptr != b.iteration_indptr ||
      !SameFloats(a.weight_drop, b.weight_drop) || !SameFloats(a.linear_weights, b.linear_weights) ||
      a.attributes != b.attributes || a.feature_names != b.feature_names || a.feature_types != b.feature_types) {
    return false;
  }
  for (size_t i = 0; i < a.trees.size(); ++i) {
    if (!SameTree(a.trees[i], b.trees[i])) return false;
  }
  return true;
}

size_t XgbDirectTreeObjects(std::string_view bytes) {
  TreeObjectReader reader;
  size_t n = 0;
  if (const StatusOr<XgbParsed> parsed = ParseXgbUbjson(bytes, &reader); parsed.ok()) n = reader.size();
  return n;
}

StatusOr<XgbDocument> ReadXgbDocument(std::string_view bytes, XgbDocumentForm form, XgbTreeObjects tree_objects) {
  if (bytes.empty() || bytes[0] != '{') return Err("model", "not a JSON or UBJSON document (it must start with '{')");
  // After '{', JSON has a quote, whitespace or '}'; UBJSON has a key length's integer marker.
  const char second = bytes.size() > 1 ? bytes[1] : '\0';
  const bool ubjson = second == 'i' || second == 'U' || second == 'I' || second == 'l' || second == 'L';
  TreeObjectReader tree_reader;
  TreeObjectReader* const reader = tree_objects == XgbTreeObjects::kDirect ? &tree_reader : nullptr;
  const ReadContext ctx{ubjson, reader};
  INFERD_ASSIGN_OR_RETURN(XgbParsed parsed, ubjson ? ParseXgbUbjson(bytes, reader) : ParseXgbJson(bytes));
  const XgbValue& root = parsed.root();
  const XgbValue* model = &root;
  if (form == XgbDocumentForm::kSnapshot) {
    if (root.type != Type::kObject) return Err("snapshot", "must be an object");
    INFERD_RETURN_IF_ERROR(ObjectMember(root, "Config", "snapshot").status());
    INFERD_ASSIGN_OR_RETURN(model, ObjectMember(root, "Model", "snapshot"));
  }
  XgbDocument doc;
  INFERD_RETURN_IF_ERROR(ReadModel(*model, ctx, &doc));
  INFERD_RETURN_IF_ERROR(ValidateXgbDocument(doc));
  return doc;
}

}  // namespace inferd::sklearn
