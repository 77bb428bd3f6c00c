// Reads the real fixtures written by testdata/make_fixtures.py (pickle protocols 2-5,
// joblib raw and every compressor) and compares them with testdata/manifest.json.
#include "pickle/reader.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "pickle/dump.h"
#include "pickle/test_util.h"

namespace inferd::pickle {
namespace {

using simdjson::dom::element;
using testing::ReadFixture;
using testing::TestdataPath;

std::string S(simdjson::simdjson_result<std::string_view> r) { return std::string(r.value()); }

std::string HexOf(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

void ExpectValue(const Value& v, element e, const std::string& path);

void ExpectArray(const Value& v, element e, const std::string& path) {
  ASSERT_EQ(v.kind, Kind::kArray) << path << ": " << v.Describe();
  const NdArray& a = *v.array;
  ASSERT_TRUE(a.dtype) << path;
  element dt = e["dtype"];
  std::string_view str = dt["str"].get_string();
  EXPECT_EQ(std::string(1, a.dtype->kind), S(dt["kind"].get_string())) << path;
  EXPECT_EQ(a.dtype->itemsize, static_cast<size_t>(int64_t(dt["itemsize"]))) << path;
  EXPECT_EQ(a.dtype->byteorder, str[0]) << path;
  std::vector<size_t> shape;
  for (element d : e["shape"].get_array()) shape.push_back(static_cast<size_t>(int64_t(d)));
  EXPECT_EQ(a.shape, shape) << path;
  element fields;
  if (dt["fields"].get(fields) == simdjson::SUCCESS) {
    size_t i = 0;
    for (element f : fields.get_array()) {
      ASSERT_LT(i, a.dtype->fields.size()) << path;
      const auto& mine = a.dtype->fields[i++];
      EXPECT_EQ(mine.name, S(f["name"].get_string())) << path;
      EXPECT_EQ(mine.offset, static_cast<size_t>(int64_t(f["offset"]))) << path << "." << mine.name;
      EXPECT_EQ(std::string(1, mine.dtype->byteorder) + mine.dtype->kind + std::to_string(mine.dtype->itemsize),
                S(f["dtype"].get_string()))
          << path << "." << mine.name;
    }
    EXPECT_EQ(i, a.dtype->fields.size()) << path;
    for (auto [name, vals] : e["fields"].get_object()) {
      auto col = a.FieldDoubles(name);
      ASSERT_TRUE(col.ok()) << path << ": " << col.status().message();
      size_t k = 0;
      for (element x : vals.get_array()) EXPECT_EQ((*col)[k++], double(x)) << path << "." << name << "[" << k << "]";
      EXPECT_EQ(k, col->size());
    }
    return;
  }
  element vals;
  if (e["values"].get(vals) == simdjson::SUCCESS) {
    auto d = a.ToDoubles();
    ASSERT_TRUE(d.ok()) << path << ": " << d.status().message();
    size_t k = 0;
    for (element x : vals.get_array()) {
      ASSERT_LT(k, d->size()) << path;
      EXPECT_EQ((*d)[k], double(x)) << path << "[" << k << "]";
      ++k;
    }
    EXPECT_EQ(k, d->size()) << path;
  }
  if (e["strings"].get(vals) == simdjson::SUCCESS) {
    auto s = a.ToStrings();
    ASSERT_TRUE(s.ok()) << path << ": " << s.status().message();
    size_t k = 0;
    for (element x : vals.get_array()) {
      ASSERT_LT(k, s->size()) << path;
      EXPECT_EQ((*s)[k++], S(x.get_string())) << path;
    }
    EXPECT_EQ(k, s->size()) << path;
  }
  if (e["objects"].get(vals) == simdjson::SUCCESS) {
    size_t k = 0;
    for (element x : vals.get_array()) {
      ASSERT_LT(k, a.objects.size()) << path;
      ExpectValue(*a.objects[k], x, path + "[" + std::to_string(k) + "]");
      ++k;
    }
    EXPECT_EQ(k, a.objects.size()) << path;
  }
}

void ExpectValue(const Value& v, element e, const std::string& path) {
  std::string_view type = e["type"].get_string();
  if (type == "none") {
    EXPECT_EQ(v.kind, Kind::kNone) << path;
  } else if (type == "bool") {
    ASSERT_EQ(v.kind, Kind::kBool) << path;
    EXPECT_EQ(v.b, bool(e["value"])) << path;
  } else if (type == "int") {
    ASSERT_EQ(v.kind, Kind::kInt) << path;
    EXPECT_EQ(v.i, int64_t(e["value"])) << path;
  } else if (type == "float") {
    ASSERT_EQ(v.kind, Kind::kFloat) << path;
    EXPECT_EQ(v.f, double(e["value"])) << path;
  } else if (type == "str") {
    ASSERT_EQ(v.kind, Kind::kStr) << path;
    EXPECT_EQ(v.s, S(e["value"].get_string())) << path;
  } else if (type == "bytes") {
    ASSERT_EQ(v.kind, Kind::kBytes) << path;
    EXPECT_EQ(HexOf(v.s), S(e["hex"].get_string())) << path;
  } else if (type == "tuple" || type == "list") {
    ASSERT_EQ(v.kind, type == "tuple" ? Kind::kTuple : Kind::kList) << path << ": " << v.Describe();
    size_t k = 0;
    for (element x : e["items"].get_array()) {
      ASSERT_LT(k, v.items.size()) << path;
      ExpectValue(*v.items[k], x, path + "[" + std::to_string(k) + "]");
      ++k;
    }
    EXPECT_EQ(k, v.items.size()) << path;
  } else if (type == "dict") {
    ASSERT_EQ(v.kind, Kind::kDict) << path;
    size_t n = 0;
    for (auto [key, x] : e["entries"].get_object()) {
      const Value* child = v.Get(key);
      ASSERT_NE(child, nullptr) << path << "." << key;
      ExpectValue(*child, x, path + "." + std::string(key));
      ++n;
    }
    EXPECT_EQ(n, v.entries.size()) << path;
  } else if (type == "slice") {
    ASSERT_EQ(v.kind, Kind::kSlice) << path;
    ASSERT_EQ(v.items.size(), 3u);
    EXPECT_EQ(v.items[0]->i, 1);
    EXPECT_EQ(v.items[1]->i, 5);
    EXPECT_TRUE(v.items[2]->is_none());
  } else if (type == "set") {
    ASSERT_EQ(v.kind, Kind::kSet) << path;
    EXPECT_EQ(static_cast<int64_t>(v.items.size()), int64_t(e["count"])) << path;
  } else if (type == "global") {
    ASSERT_EQ(v.kind, Kind::kGlobal) << path;
    EXPECT_EQ(v.s, S(e["name"].get_string())) << path;
  } else if (type == "dtype") {
    ASSERT_EQ(v.kind, Kind::kDtype) << path;
    EXPECT_EQ(v.dtype->ToString(), S(e["dtype"]["str"].get_string())) << path;
  } else if (type == "ndarray") {
    ExpectArray(v, e, path);
  } else if (type == "object") {
    ASSERT_EQ(v.kind, Kind::kObject) << path;
    EXPECT_EQ(v.cls, S(e["cls"].get_string())) << path;
  } else {
    ADD_FAILURE() << path << ": manifest type " << type;
  }
}

class ReaderFixtureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { manifest_ = new element(parser_.load(TestdataPath("manifest.json"))); }
  static simdjson::dom::parser parser_;
  static element* manifest_;
};
simdjson::dom::parser ReaderFixtureTest::parser_;
element* ReaderFixtureTest::manifest_ = nullptr;

TEST_F(ReaderFixtureTest, AllValueFilesMatchManifest) {
  size_t files = 0;
  for (element name : (*manifest_)["values_files"].get_array()) {
    std::string file = S(name.get_string());
    SCOPED_TRACE(file);
    auto v = ReadPickleFile(TestdataPath(file));
    ASSERT_TRUE(v.ok()) << v.status().message();
    ExpectValue(**v, (*manifest_)["values"], file);
    ++files;
  }
  EXPECT_EQ(files, 11u);
}

TEST_F(ReaderFixtureTest, SharedArrayIsTheSameNodeInPickles) {
  // pickle memoises the array, so both list items are one node (memo aliasing).
  auto v = ReadPickleFile(TestdataPath("values_p4.pkl"));
  ASSERT_TRUE(v.ok()) << v.status().message();
  const Value* shared = (*v)->Get("shared");
  ASSERT_NE(shared, nullptr);
  ASSERT_EQ(shared->items.size(), 2u);
  EXPECT_EQ(shared->items[0].get(), shared->items[1].get());
}

// Protocol 2 carries array bytes as latin-1 text decoded into a bytes value; a C-order native
// array views that value's buffer (no second copy), while a Fortran-order one is converted
// into bytes of its own.
// Protocol-2 array bytes live in a node of the tree's arena, so an array copies them
// rather than viewing them: an array copied out of the tree must stay valid without it.
TEST_F(ReaderFixtureTest, Protocol2ArraysOwnTheirBytesAndOutliveTheTree) {
  NdArray copy;
  {
    auto v = ReadPickleFile(TestdataPath("values_p2.pkl"));
    ASSERT_TRUE(v.ok()) << v.status().message();
    const Value* arrays = (*v)->Get("arrays");
    ASSERT_NE(arrays, nullptr);
    const Value* f8 = arrays->Get("f8");
    ASSERT_TRUE(f8 != nullptr && f8->array != nullptr);
    EXPECT_FALSE(f8->array->data.is_view());
    copy = *f8->array;
  }  // the tree and its arena are gone
  auto d = copy.ToDoubles();
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 12u);
  auto again = ReadPickleFile(TestdataPath("values_p2.pkl"));
  ASSERT_TRUE(again.ok());
  auto expected = (*again)->Get("arrays")->Get("f8")->array->ToDoubles();
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(*d, *expected);
}

// A node taken from a tree stays valid for as long as a TreePtr of that tree lives, even
// when the TreePtr is a copy and the first one is gone.
TEST_F(ReaderFixtureTest, TreeLivesWhileAnyRootHandleDoes) {
  TreePtr keep;
  const Value* arrays = nullptr;
  {
    auto v = ReadPickleFile(TestdataPath("values_p2.pkl"));
    ASSERT_TRUE(v.ok()) << v.status().message();
    keep = *v;
    arrays = (*v)->Get("arrays");
  }
  ASSERT_NE(arrays, nullptr);
  const Value* f8 = arrays->Get("f8");  // under ASan, a use after free if the tree had died
  ASSERT_TRUE(f8 != nullptr && f8->array != nullptr);
  EXPECT_EQ(f8->array->size(), 12u);
}

TEST_F(ReaderFixtureTest, Lz4FrameOfJoblibFile) {
  // The Debian python has no lz4 module, so build the .lz4 container here with liblz4.
  std::string raw = ReadFixture("values.joblib");
  std::string out(LZ4F_compressFrameBound(raw.size(), nullptr), '\0');
  size_t n = LZ4F_compressFrame(out.data(), out.size(), raw.data(), raw.size(), nullptr);
  ASSERT_FALSE(LZ4F_isError(n));
  out.resize(n);
  auto v = ReadPickle(out);
  ASSERT_TRUE(v.ok()) << v.status().message();
  ExpectValue(**v, (*manifest_)["values"], "lz4");
}

TEST_F(ReaderFixtureTest, EstimatorsMatchManifest) {
  size_t count = 0;
  for (auto [file_sv, m] : (*manifest_)["estimators"].get_object()) {
    std::string file(file_sv);
    SCOPED_TRACE(file);
    auto root = ReadPickleFile(TestdataPath(file));
    ASSERT_TRUE(root.ok()) << root.status().message();
    const Value& est = **root;
    ASSERT_EQ(est.kind, Kind::kObject);
    EXPECT_EQ(est.cls, S(m["cls"].get_string()));
    auto version = RequireAttr(est, "_sklearn_version");
    ASSERT_TRUE(version.ok());
    EXPECT_EQ((*version)->s, S(m["sklearn_version"].get_string()));
    auto classes = RequireAttr(est, "classes_");
    ASSERT_TRUE(classes.ok());
    ExpectValue(**classes, m["classes"], file + ".classes_");
    element nodes;
    if (m["nodes"].get(nodes) == simdjson::SUCCESS) {
      const Value* tree = est.Attr("tree_");
      ASSERT_NE(tree, nullptr);
      EXPECT_EQ(tree->cls, "sklearn.tree._tree.Tree");
      ASSERT_TRUE(tree->args && tree->args->items.size() == 3);
      ExpectValue(*tree->args->items[1], m["n_classes"], "Tree.n_classes");
      auto node_count = tree->Attr("node_count")->AsInt();
      ASSERT_TRUE(node_count.ok());
      EXPECT_EQ(*node_count, int64_t(m["node_count"]));
      ExpectValue(*tree->Attr("nodes"), nodes, "Tree.nodes");
      ExpectValue(*tree->Attr("values"), m["values"], "Tree.values");
      auto thr = tree->Attr("nodes")->array->FieldDoubles("threshold");
      ASSERT_TRUE(thr.ok());
      EXPECT_EQ(thr->size(), static_cast<size_t>(*node_count));
    } else {
      auto coef = RequireArray(est, "coef_");
      ASSERT_TRUE(coef.ok()) << coef.status().message();
      ExpectValue(*est.Attr("coef_"), m["coef"], "coef_");
      ExpectValue(*est.Attr("intercept_"), m["intercept"], "intercept_");
    }
    ++count;
  }
  EXPECT_EQ(count, 6u);
}

TEST_F(ReaderFixtureTest, Numpy2ModuleNames) {
  // numpy >= 2 writes numpy._core.*; relabel a protocol-2 file (GLOBAL text lines).
  std::string bytes = ReadFixture("values_p2.pkl");
  const std::string from = "numpy.core.multiarray\n", to = "numpy._core.multiarray\n";
  size_t n = 0;
  for (size_t p = bytes.find(from); p != std::string::npos; p = bytes.find(from, p + to.size()), ++n) {
    bytes.replace(p, from.size(), to);
  }
  ASSERT_GT(n, 0u);
  auto v = ReadPickle(bytes);
  ASSERT_TRUE(v.ok()) << v.status().message();
  ExpectValue(**v, (*manifest_)["values"], "numpy2");
}

TEST_F(ReaderFixtureTest, DumpShowsStructure) {
  auto root = ReadPickleFile(TestdataPath("dtc.joblib"));
  ASSERT_TRUE(root.ok()) << root.status().message();
  std::string dump = DumpValue(**root, 4);
  EXPECT_NE(dump.find("<sklearn.tree._classes.DecisionTreeClassifier>"), std::string::npos) << dump;
  EXPECT_NE(dump.find("<sklearn.tree._tree.Tree>"), std::string::npos) << dump;
  EXPECT_NE(dump.find("_sklearn_version = '1.2.1'"), std::string::npos) << dump;
  EXPECT_NE(dump.find("|V56{left_child:<i8@0"), std::string::npos) << dump;
  std::string shallow = DumpValue(**root, 0);
  EXPECT_EQ(shallow, "<sklearn.tree._classes.DecisionTreeClassifier> ...\n");
}

TEST(ReaderTest, MissingFile) {
  auto v = ReadPickleFile(TestdataPath("no-such-file.pkl"));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
}

TEST(ReaderTest, LoadTimeOfLargestFixture) {
  std::string bytes = ReadFixture("dtc.joblib");
  auto start = std::chrono::steady_clock::now();
  constexpr int kRuns = 200;
  for (int i = 0; i < kRuns; ++i) ASSERT_TRUE(ReadPickle(bytes).ok());
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / kRuns;
  std::printf("dtc.joblib (%zu bytes): %.1f us per load\n", bytes.size(), us);
}

}  // namespace
}  // namespace inferd::pickle

namespace inferd::pickle {
namespace {

// Timing of an arbitrary large file (e.g. a 100-tree random forest); skipped unless
// INFERD_PICKLE_BENCH_FILE names one. Asserts only that it loads.
TEST(ReaderTest, LoadTimeOfBenchFile) {
  const char* path = std::getenv("INFERD_PICKLE_BENCH_FILE");
  if (!path) GTEST_SKIP() << "set INFERD_PICKLE_BENCH_FILE to time a large model file";
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  ASSERT_TRUE(ReadPickle(bytes).ok()) << ReadPickle(bytes).status().message();
  constexpr int kRuns = 20;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) ASSERT_TRUE(ReadPickle(bytes).ok());
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / kRuns;
  std::printf("%s (%zu bytes): %.2f ms per load\n", path, bytes.size(), ms);
}

}  // namespace
}  // namespace inferd::pickle
