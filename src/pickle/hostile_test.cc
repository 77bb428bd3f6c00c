// Crafted and damaged inputs: every one must fail with a clear one-line error (or load),
// never crash, hang or allocate without bound.
#include <bzlib.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pickle/reader.h"
#include "pickle/test_util.h"

namespace inferd::pickle {
namespace {

using testing::PickleBuilder;
using testing::ReadFixture;

Status Load(const std::string& bytes, const ReadLimits& limits = {}) {
  auto v = ReadPickle(bytes, limits);
  return v.ok() ? Status::Ok() : v.status();
}

void ExpectError(const std::string& bytes, const std::string& fragment, const ReadLimits& limits = {}) {
  Status s = Load(bytes, limits);
  ASSERT_FALSE(s.ok()) << "expected an error containing: " << fragment;
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
}

struct Dangerous {
  const char* module;
  const char* name;
};
const Dangerous kDangerous[] = {
    {"os", "system"},           {"posix", "system"},
    {"nt", "system"},           {"builtins", "eval"},
    {"builtins", "exec"},       {"builtins", "getattr"},
    {"builtins", "__import__"}, {"__builtin__", "eval"},
    {"subprocess", "Popen"},    {"importlib", "import_module"},
    {"os.path", "join"},        {"builtins", "open"},
    {"sys", "modules"},         {"socket", "socket"},
    {"shutil", "rmtree"},       {"runpy", "run_path"},
};

TEST(HostileTest, ForbiddenGlobalsViaGlobal) {
  for (const auto& d : kDangerous) {
    PickleBuilder p(2);
    p.Global(d.module, d.name).Op('(').Str("echo pwned").Op('t').Op('R');
    ExpectError(p.Stop(), std::string("forbidden global '") + d.module + "." + d.name + "' at byte 2");
  }
}

TEST(HostileTest, ForbiddenGlobalsViaStackGlobal) {
  for (const auto& d : kDangerous) {
    PickleBuilder p(4);
    p.Str(d.module).Str(d.name);
    size_t at = p.size();
    p.Op('\x93').Op('(').Str("echo pwned").Op('t').Op('R');
    ExpectError(p.Stop(),
                std::string("forbidden global '") + d.module + "." + d.name + "' at byte " + std::to_string(at));
  }
}

TEST(HostileTest, StackGlobalFromMemoisedStrings) {
  PickleBuilder p(4);
  p.Str("posix").Op('\x94').Str("system").Op('\x94').Op('0').Op('0').Op('h').Raw(std::string(1, '\0'));
  p.Op('h').Raw("\x01");
  size_t at = p.size();
  p.Op('\x93');
  ExpectError(p.Stop(), "forbidden global 'posix.system' at byte " + std::to_string(at));
}

TEST(HostileTest, UnknownAndMalformedGlobals) {
  ExpectError(PickleBuilder(2).Global("foo", "bar").Stop(), "unknown global 'foo.bar' at byte 2");
  ExpectError(PickleBuilder(2).Global("collections", "deque").Stop(), "unknown global 'collections.deque'");
  ExpectError(PickleBuilder(2).Global("__main__", "pick").Stop(),
              "unknown global '__main__.pick' at byte 2 (defined in the training script; inferd loads no code)");
  ExpectError(PickleBuilder(2).Global("copyreg", "_reconstructor").Stop(), "forbidden global 'copyreg._reconstructor'");
  ExpectError(PickleBuilder(2).Global("os system", "x").Stop(), "malformed global name");
  ExpectError(PickleBuilder(4).Int(1).Str("x").Op('\x93').Stop(), "STACK_GLOBAL needs two str");
  // Allowed names pass as tokens.
  EXPECT_TRUE(Load(PickleBuilder(2).Global("sklearn.tree._tree", "Tree").Stop()).ok());
  EXPECT_TRUE(Load(PickleBuilder(2).Global("numpy", "float64").Stop()).ok());
}

TEST(HostileTest, DefaultDictIsAnInertRecordWithItsItems) {
  // A LightGBM Booster's best_score: defaultdict(OrderedDict) reduced, then filled by SETITEMS.
  // The factory is only named; nothing is called.
  PickleBuilder p(4);
  p.StackGlobal("collections", "defaultdict").StackGlobal("collections", "OrderedDict").Op('\x85').Op('R');
  p.Op('(').Str("valid_0").Op('}').Op('u');
  auto v = ReadPickle(p.Stop());
  ASSERT_TRUE(v.ok()) << v.status().message();
  ASSERT_EQ((*v)->kind, Kind::kObject);
  EXPECT_EQ((*v)->cls, "collections.defaultdict");
  ASSERT_EQ((*v)->entries.size(), 1u);
  EXPECT_EQ((*v)->entries[0].first->s, "valid_0");
  // LightGBM's classes are records like sklearn's; other collections stay unknown.
  PickleBuilder lgb(4);
  lgb.StackGlobal("lightgbm.sklearn", "LGBMClassifier").Op(')').Op('\x81').Op('}').Op('b');
  auto r = ReadPickle(lgb.Stop());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->cls, "lightgbm.sklearn.LGBMClassifier");
  ExpectError(PickleBuilder(2).Global("collections", "Counter").Stop(), "unknown global 'collections.Counter'");
}

TEST(HostileTest, TypeReferencesAreValuesNeverCalled) {
  // make_column_selector(dtype_include=object / np.number, ...) stores these types as values.
  const std::pair<const char*, const char*> kTypes[] = {
      {"builtins", "object"},  {"builtins", "str"},        {"builtins", "int"}, {"builtins", "float"},
      {"builtins", "bool"},    {"__builtin__", "str"},     {"numpy", "number"}, {"numpy", "integer"},
      {"numpy", "floating"},   {"numpy", "object_"},       {"numpy", "bool_"},  {"numpy", "float64"},
      {"__builtin__", "long"}, {"__builtin__", "unicode"},
  };
  for (const auto& [module, name] : kTypes) {
    const std::string full = std::string(module) + "." + name;
    PickleBuilder value(4);
    value.Op(']').Op('(').StackGlobal(module, name).Str("category").Op('e');  // [type, 'category']
    auto v = ReadPickle(value.Stop());
    ASSERT_TRUE(v.ok()) << full << ": " << v.status().message();
    ASSERT_EQ((*v)->kind, Kind::kList);
    EXPECT_EQ((*v)->items[0]->kind, Kind::kGlobal);
    EXPECT_EQ((*v)->items[0]->s, full);

    PickleBuilder call(2);
    call.Global(module, name).Op('(').Str("x").Op('t');
    const size_t reduce_at = call.size();
    call.Op('R');
    ExpectError(call.Stop(), "calling type '" + full +
                                 "' is not supported (a type is only accepted as a value) at byte " +
                                 std::to_string(reduce_at));
    PickleBuilder newobj(2);
    newobj.Global(module, name).Op(')');
    const size_t newobj_at = newobj.size();
    newobj.Op('\x81');
    ExpectError(newobj.Stop(), "calling type '" + full +
                                   "' is not supported (a type is only accepted as a value) at byte " +
                                   std::to_string(newobj_at));
  }
  // Other builtins stay unknown.
  ExpectError(PickleBuilder(2).Global("builtins", "type").Stop(), "unknown global 'builtins.type'");
  ExpectError(PickleBuilder(2).Global("builtins", "list").Stop(), "unknown global 'builtins.list'");
  ExpectError(PickleBuilder(2).Global("builtins", "long").Stop(), "unknown global 'builtins.long'");
}

TEST(HostileTest, CodecsEncodeOnlyLatin1) {
  PickleBuilder ok(2);
  ok.Global("_codecs", "encode").Op('(').Str("a\xc3\xbf").Str("latin1").Op('t').Op('R');
  auto v = ReadPickle(ok.Stop());
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ((*v)->kind, Kind::kBytes);
  EXPECT_EQ((*v)->s, "a\xff");
  PickleBuilder bad(2);
  bad.Global("_codecs", "encode").Op('(').Str("abc").Str("rot13").Op('t').Op('R');
  ExpectError(bad.Stop(), "_codecs.encode is only accepted as encode(str, 'latin1')");
  PickleBuilder wide(2);
  wide.Global("_codecs", "encode").Op('(').Str("\xe2\x82\xac").Str("latin1").Op('t').Op('R');
  ExpectError(wide.Stop(), "above U+00FF");
}

// Reference semantics for the two string paths, written as plainly as possible: decodes
// UTF-8 (encoded surrogates pass, like Python's 'surrogatepass') into code points, or
// returns false.
bool ReferenceDecodeUtf8(const std::string& s, std::vector<uint32_t>* out) {
  out->clear();
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xC0 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF8 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
    for (size_t k = 1; k < len; ++k) {
      const uint8_t d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    const uint32_t min = len == 1 ? 0 : len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF) return false;
    out->push_back(cp);
    i += len;
  }
  return true;
}

// Random strings over an alphabet rich in UTF-8 edge bytes, long enough to cross the
// validator's 16-byte blocks at every alignment: BINUNICODE must load exactly when the
// reference accepts, and _codecs.encode(s, 'latin1') must give the reference bytes or
// refuse code points above U+00FF.
TEST(HostileTest, Utf8AndLatin1AgreeWithReference) {
  const uint8_t alphabet[] = {'a',  0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xDF,
                              0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x82, 0xAC, 0xA0};
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  auto next = [&rng]() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  int accepted = 0, latin1 = 0;
  for (int round = 0; round < 4000; ++round) {
    const size_t len = next() % 48;
    std::string s;
    // Mostly well-formed latin-1 range text (the fast path) with rare damage.
    for (size_t i = 0; i < len; ++i) {
      const uint64_t r = next();
      if (r % 32 == 0) {
        s.push_back(static_cast<char>(alphabet[(r >> 8) % sizeof(alphabet)]));
      } else if (r % 32 < 16) {
        s.push_back(static_cast<char>(0xC2 + ((r >> 8) & 1)));
        s.push_back(static_cast<char>(0x80 + ((r >> 9) & 0x3F)));
      } else {
        s.push_back(static_cast<char>(0x20 + ((r >> 8) % 0x5F)));
      }
    }
    if (round % 3 == 0 && !s.empty()) s[next() % s.size()] = static_cast<char>(alphabet[next() % sizeof(alphabet)]);
    std::vector<uint32_t> cps;
    const bool valid = ReferenceDecodeUtf8(s, &cps);
    auto str = ReadPickle(PickleBuilder(2).Str(s).Stop());
    ASSERT_EQ(str.ok(), valid) << ::testing::PrintToString(s) << " " << (str.ok() ? "" : str.status().message());
    if (!valid) {
      EXPECT_NE(str.status().message().find("invalid UTF-8 in BINUNICODE"), std::string::npos);
      continue;
    }
    ++accepted;
    EXPECT_EQ((*str)->s, s);
    PickleBuilder enc(2);
    enc.Global("_codecs", "encode").Op('(').Str(s).Str("latin1").Op('t').Op('R');
    auto bytes = ReadPickle(enc.Stop());
    bool all_latin1 = true;
    std::string expect;
    for (uint32_t cp : cps) {
      all_latin1 = all_latin1 && cp <= 0xFF;
      expect.push_back(static_cast<char>(cp));
    }
    ASSERT_EQ(bytes.ok(), all_latin1) << ::testing::PrintToString(s);
    if (all_latin1) {
      ++latin1;
      EXPECT_EQ((*bytes)->s, expect) << ::testing::PrintToString(s);
    } else {
      EXPECT_NE(bytes.status().message().find("above U+00FF"), std::string::npos);
    }
  }
  // The generator exercises every outcome.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(latin1, 1000);
  EXPECT_LT(latin1, 4000);
}

TEST(HostileTest, LegacyJoblibRefused) {
  PickleBuilder p(2);
  p.Global("joblib.numpy_pickle", "NDArrayWrapper").Op(')').Op('\x81');
  ExpectError(p.Stop(), "legacy joblib array format 'joblib.numpy_pickle.NDArrayWrapper' at byte 2");
  ExpectError(PickleBuilder(2).Global("joblib.numpy_pickle", "ZNDArrayWrapper").Stop(), "ZNDArrayWrapper");
  ExpectError(std::string("ZF0x00000010") + "x\x9c", "legacy joblib 'ZF'");
}

// A joblib NumpyArrayWrapper for `shape` of f8 with no alignment key, followed by `tail`.
std::string Wrapper(const std::vector<int64_t>& shape, const std::string& tail, const std::string& order = "C") {
  PickleBuilder p(2);
  p.Global("joblib.numpy_pickle", "NumpyArrayWrapper").Op(')').Op('\x81').Op('}').Op('(');
  p.Str("subclass").Global("numpy", "ndarray");
  p.Str("shape").Op('(');
  for (int64_t d : shape) p.Long1(d);
  p.Op('t');
  p.Str("order").Str(order).Str("dtype").Dtype("f8").Str("allow_mmap").Op('\x88').Op('u').Op('b');
  return p.str() + tail;
}

TEST(HostileTest, HugeDeclaredArray) {
  std::string bytes = Wrapper({1000000000000}, std::string(300, '\0') + ".");
  size_t data_at = bytes.size() - 301;
  ExpectError(bytes, "array of 1e12 elements (8000000000000 bytes) exceeds the 301 bytes left in the file at byte " +
                         std::to_string(data_at));
  ExpectError(Wrapper({int64_t{1} << 40, int64_t{1} << 40}, "."), "array size overflows");
  ExpectError(Wrapper({-1}, "."), "negative array dimension");
  // A well-formed one loads.
  std::string data(16, '\0');
  data[7] = '\x3f';
  data[6] = '\xf0';  // 1.0 little-endian
  auto v = ReadPickle(Wrapper({2}, data + "."));
  ASSERT_TRUE(v.ok()) << v.status().message();
  auto d = (*v)->array->ToDoubles();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, (std::vector<double>{1.0, 0.0}));
}

// Wrapper for 2 x f8 with numpy_array_alignment_bytes = `align` (Int) or None (align < 0).
std::string AlignedWrapper(int align, const std::string& tail) {
  PickleBuilder p(2);
  p.Global("joblib.numpy_pickle", "NumpyArrayWrapper").Op(')').Op('\x81').Op('}').Op('(');
  p.Str("shape").Op('(').Int(2).Op('t').Str("order").Str("C").Str("dtype").Dtype("f8");
  p.Str("numpy_array_alignment_bytes");
  if (align < 0)
    p.Op('N');
  else
    p.Int(align);
  p.Op('u').Op('b');
  return p.str() + tail;
}

TEST(HostileTest, AlignmentPadding) {
  const std::string data(16, '\0');
  for (int pad : {0, 1, 7, 16}) {
    auto v =
        ReadPickle(AlignedWrapper(16, std::string(1, static_cast<char>(pad)) + std::string(pad, '\xff') + data + "."));
    ASSERT_TRUE(v.ok()) << pad << ": " << v.status().message();
    EXPECT_EQ((*v)->array->size(), 2u);
  }
  ExpectError(AlignedWrapper(16, std::string(1, 17) + std::string(17, '\xff') + data + "."),
              "alignment padding of 17 bytes");
  // None: no padding byte at all.
  auto v = ReadPickle(AlignedWrapper(-1, data + "."));
  ASSERT_TRUE(v.ok()) << v.status().message();
  // Absent key (joblib <= 1.1): no padding byte either (see Wrapper()).
  ExpectError(AlignedWrapper(16, std::string(1, 5)), "truncated file: expected 5 bytes of array alignment padding");
}

TEST(HostileTest, ReconstructSizeMismatch) {
  PickleBuilder p(3);
  p.Global("numpy.core.multiarray", "_reconstruct")
      .Op('(')
      .Global("numpy", "ndarray")
      .Op('(')
      .Int(0)
      .Op('t')
      .Bytes("b")
      .Op('t')
      .Op('R');
  p.Op('(').Int(1).Op('(').Long1(int64_t{1} << 50).Op('t').Dtype("f8").Op('\x89').Bytes("12345678").Op('t').Op('b');
  ExpectError(p.Stop(), "ndarray data has 8 bytes");
}

TEST(HostileTest, DeepNestingRefused) {
  constexpr int kDepth = 100000;
  PickleBuilder lists(2);
  for (int i = 0; i < kDepth; ++i) lists.Op(']');
  for (int i = 0; i < kDepth - 1; ++i) lists.Op('a');
  ExpectError(lists.Stop(), "nested deeper than 256");

  PickleBuilder marks(2);
  for (int i = 0; i < kDepth; ++i) marks.Op('(');
  ExpectError(marks.Stop(), "MARK nesting deeper than 256");

  PickleBuilder tuples(2);
  tuples.Op(')');
  for (int i = 0; i < kDepth; ++i) tuples.Op('\x85');  // ((((),),),)...
  ExpectError(tuples.Stop(), "nested deeper than 256");

  // A deep chain that is NOT reachable from the result must still be torn down safely.
  PickleBuilder garbage(4);
  garbage.Op(']').Op('\x94');  // memo 0 = L0
  for (int i = 1; i < kDepth; ++i) {
    garbage.Op('j').U32(static_cast<uint32_t>(i - 1)).Op(']').Op('\x94').Op('a').Op('0');  // L(i-1).append(Li)
  }
  garbage.Op('N');
  auto v = ReadPickle(garbage.Stop());
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_TRUE((*v)->is_none());
}

TEST(HostileTest, CyclesRefused) {
  PickleBuilder p(2);
  p.Op(']').Op('q').Raw(std::string(1, '\0')).Op('h').Raw(std::string(1, '\0')).Op('a');
  ExpectError(p.Stop(), "reference cycle");
  // Unreachable cycle: loads (result None), and must not leak (checked under ASan).
  PickleBuilder q(2);
  q.Op(']').Op('q').Raw(std::string(1, '\0')).Op('h').Raw(std::string(1, '\0')).Op('a').Op('0').Op('N');
  EXPECT_TRUE(Load(q.Stop()).ok());
}

TEST(HostileTest, MemoErrors) {
  ExpectError(PickleBuilder(2).Op('h').Raw("\x05").Stop(),
              "memo index 5 is not defined (memo holds 0 entries) at byte 2");
  ExpectError(PickleBuilder(2).Op('j').U32(0xffffffffu).Stop(), "memo index 4294967295 is not defined");
  ExpectError(PickleBuilder(2).Op('q').Raw("\x01").Stop(), "memo store with an empty stack");
  // Sparse LONG_BINPUT works without allocating 4G slots.
  PickleBuilder sparse(2);
  sparse.Op('N').Op('r').U32(0xfffffff0u).Op('0').Op('j').U32(0xfffffff0u);
  EXPECT_TRUE(Load(sparse.Stop()).ok());
  ReadLimits small;
  small.max_memo = 10;
  PickleBuilder many(2);
  for (int i = 0; i < 11; ++i) many.Op('N').Op('q').Raw(std::string(1, static_cast<char>(i))).Op('0');
  ExpectError(many.Op('N').Stop(), "pickle memo exceeds 10 entries", small);
}

// Every node lives until the whole tree dies, garbage included, so a stream that makes
// values and drops them at once (EMPTY_TUPLE, POP: 2 bytes per ~250-byte node) is refused
// once its nodes pass the budget for its size (64 MiB + 8 bytes per stream byte), with a
// clear error rather than memory growing with the stream.
TEST(HostileTest, GarbageBeyondTheArenaBudgetIsRefused) {
  std::string body;
  for (int i = 0; i < 400'000; ++i) body += ")0";
  auto r = ReadPickle(PickleBuilder(2).Raw(body).Op('N').Stop());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().message();
  EXPECT_NE(r.status().message().find("makes more values than a stream of"), std::string::npos) << r.status().message();
  // The same stream, shorter, is a valid pickle (its result is None).
  std::string small_body;
  for (int i = 0; i < 100'000; ++i) small_body += ")0";
  auto ok = ReadPickle(PickleBuilder(2).Raw(small_body).Op('N').Stop());
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE((*ok)->is_none());
}

// Opcodes that copy a memoised value's contents (here _codecs.encode of one 64 KiB str,
// repeated and dropped: 9 bytes per 64 KiB copy) count what they copy against the same
// budget, so a small stream cannot make the load hold gigabytes.
TEST(HostileTest, RepeatedCopiesOfAMemoisedValueAreBounded) {
  const std::string big(64 << 10, 'a');
  const std::string q0("q\x00", 2), q1("q\x01", 2), q2("q\x02", 2);
  auto stream = [&](int copies) {
    PickleBuilder b(2);
    b.Raw("c_codecs\nencode\n").Raw(q0).Str(big).Raw(q1).Str("latin1").Raw(q2);
    for (int i = 0; i < copies; ++i) b.Raw(std::string("h\x00h\x01h\x02\x86R0", 9));
    return b.Op('N').Stop();
  };
  auto r = ReadPickle(stream(20'000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().message();
  EXPECT_NE(r.status().message().find("makes more values than a stream of"), std::string::npos) << r.status().message();
  // A few such copies are fine.
  auto ok = ReadPickle(stream(10));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
}

// BINGET, BINPUT, LONG_BINPUT, BININT1, NONE and NEWTRUE/NEWFALSE have a fast path in the run
// loop that handles only the valid case; every edge must still reach the checked path.
TEST(HostileTest, FastPathOpcodesKeepTheirErrors) {
  const std::string head("\x80\x02", 2);
  ExpectError(head + "K", "truncated file: expected 1 bytes for BININT1 at byte 2");
  ExpectError(head + "N\x94h", "truncated file: expected 1 bytes for BINGET at byte 4");
  ExpectError(head + "Nq", "truncated file: expected 1 bytes for BINPUT at byte 3");
  ExpectError(head + "Nr\x01\x00", "truncated file: expected 4 bytes for LONG_BINPUT at byte 3");
  // A MARK hides what is below it from BINPUT, as from every other opcode.
  ExpectError(PickleBuilder(2).Op('N').Op('(').Op('q').Raw(std::string(1, '\0')).Stop(),
              "memo store with an empty stack");
  ExpectError(PickleBuilder(2).Op('N').Op('(').Op('r').U32(0).Stop(), "memo store with an empty stack");
  // The stack limit holds for each fast-path push.
  ReadLimits small;
  small.max_stack = 100;
  for (const std::string& push :
       {std::string("K\x01"), std::string("N"), std::string("\x88"), std::string("\x89"), std::string("h\x00", 2)}) {
    PickleBuilder p(2);
    p.Op('N').Op('q').Raw(std::string(1, '\0')).Op('0');  // memo 0 = None, stack empty again
    for (int i = 0; i < 101; ++i) p.Raw(push);
    ExpectError(p.Stop(), "pickle stack exceeds 100 entries", small);
  }
  // Re-storing an index does not count twice against the memo limit; a new one does.
  ReadLimits tiny;
  tiny.max_memo = 2;
  PickleBuilder again(2);
  for (int i = 0; i < 5; ++i) again.Op('N').Op('q').Raw(std::string(1, '\0')).Op('0');
  EXPECT_TRUE(Load(again.Op('N').Stop(), tiny).ok());
  PickleBuilder third(2);
  third.Op('N').Op('q').Raw(std::string(1, '\0')).Op('q').Raw("\x01").Op('q').Raw("\x02");
  ExpectError(third.Stop(), "pickle memo exceeds 2 entries", tiny);
}

TEST(HostileTest, StackLimits) {
  ReadLimits small;
  small.max_stack = 100;
  PickleBuilder p(2);
  for (int i = 0; i < 101; ++i) p.Op('N');
  ExpectError(p.Stop(), "pickle stack exceeds 100 entries", small);
  ExpectError(PickleBuilder(2).Op('a').Stop(), "stack underflow in APPEND");
  ExpectError(PickleBuilder(2).Op('0').Stop(), "stack underflow in POP");
  ExpectError(PickleBuilder(2).Stop(), "stack underflow in STOP");
  ExpectError(PickleBuilder(2).Op('N').Op('(').Stop(), "stack underflow in STOP");  // below the MARK
  ExpectError(PickleBuilder(2).Op('N').Op('e').Stop(), "APPENDS without a MARK");
  ExpectError(PickleBuilder(2).Op('}').Op('(').Op('N').Op('u').Stop(), "odd number");
}

TEST(HostileTest, BadOpcodesAndProtocols) {
  ExpectError(PickleBuilder(2).Op('\xff').Stop(), "bad opcode 0xff at byte 2");
  ExpectError(std::string("(lp0\n."), "protocol 0/1");
  ExpectError(std::string("\x80\x01]."), "unsupported pickle protocol 1");
  ExpectError(std::string("\x80\x06N."), "unsupported pickle protocol 6");
  ExpectError(PickleBuilder(5).Op('\x97').Stop(), "out-of-band");
  ExpectError(PickleBuilder(2).Op('P').Stop(), "persistent IDs");
  ExpectError(PickleBuilder(2).Op('\x82').Raw("\x01").Stop(), "extension registry");
  ExpectError(PickleBuilder(2).Op('i').Stop(), "INST/OBJ");
  ExpectError(PickleBuilder(2).Op('I').Raw("1\n").Stop(), "protocol 0/1 text opcode 'I'");
  ExpectError(PickleBuilder(2).Op('\x8a').Raw("\x09").Raw(std::string(9, '\x01')).Stop(), "does not fit in int64");
  ExpectError(PickleBuilder(2).Op('N').str(), "without a STOP opcode");
  ExpectError(std::string(""), "empty file");
  ExpectError(PickleBuilder(2).Op('X').U32(2).Raw("\xff\xfe").Stop(), "invalid UTF-8 in BINUNICODE at byte 2");
}

TEST(HostileTest, TruncatedStringMessage) {
  PickleBuilder p(2);
  p.Op('N').Op('0').Op('X').U32(120).Raw(std::string(50, 'a'));
  ExpectError(p.str(), "truncated file: expected 120 bytes for BINUNICODE at byte 4, only 50 left");
  ExpectError(PickleBuilder(4).Op('\x8e').Raw("\xff\xff\xff\xff\xff\xff\xff\x7f").Stop(),
              "truncated file: expected 9223372036854775807 bytes for BINBYTES8");
}

TEST(HostileTest, DtypeAbuse) {
  // Field that does not fit in the record.
  PickleBuilder f(2);
  f.Global("numpy", "dtype").Op('(').Str("V16").Op('\x89').Op('\x88').Op('t').Op('R').Op('q').Raw(std::string(1, '\0'));
  f.Op('(').Int(3).Str("|").Op('N').Op('(').Str("a").Op('t').Op('}').Str("a").Op('(').Dtype("f8").Int(12).Op('t').Op(
      's');
  f.Int(16).Int(1).Int(16).Op('t').Op('b');
  ExpectError(f.Stop(), "field 'a' (<f8 at offset 12) does not fit in the 16-byte record");
  // Self-referencing structured dtype (would be a cycle).
  PickleBuilder c(2);
  c.Global("numpy", "dtype").Op('(').Str("V8").Op('\x89').Op('\x88').Op('t').Op('R').Op('q').Raw(std::string(1, '\0'));
  c.Op('(')
      .Int(3)
      .Str("|")
      .Op('N')
      .Op('(')
      .Str("a")
      .Op('t')
      .Op('}')
      .Str("a")
      .Op('(')
      .Op('h')
      .Raw(std::string(1, '\0'))
      .Int(0)
      .Op('t')
      .Op('s');
  c.Int(8).Int(1).Int(16).Op('t').Op('b');
  ExpectError(c.Stop(), "unfinished dtype");
  // BUILD twice on one dtype.
  PickleBuilder twice(2);
  twice.Dtype("f8").Op('(').Int(3).Str(">").Op('N').Op('N').Op('N').Int(-1).Int(-1).Int(0).Op('t').Op('b');
  ExpectError(twice.Stop(), "BUILD applied twice to the same dtype");
  ExpectError(PickleBuilder(2).Global("numpy", "dtype").Op('(').Str("Q99").Op('t').Op('R').Stop(),
              "unsupported numpy dtype 'Q99'");
}

TEST(HostileTest, WrapperInNestedPickleRefused) {
  // Object-dtype wrapper whose nested pickle contains another wrapper.
  PickleBuilder p(2);
  p.Global("joblib.numpy_pickle", "NumpyArrayWrapper").Op(')').Op('\x81').Op('}').Op('(');
  p.Str("shape").Op('(').Int(1).Op('t').Str("order").Str("C").Str("dtype").Dtype("O8", '|').Op('u').Op('b');
  std::string inner = Wrapper({1}, std::string(8, '\0') + ".");
  ExpectError(p.str() + inner + ".", "NumpyArrayWrapper inside a nested object-array pickle");
}

void ExpectCleanFailureOnEveryPrefix(const std::string& name) {
  std::string bytes = ReadFixture(name);
  ASSERT_GT(bytes.size(), 100u);
  ASSERT_TRUE(ReadPickle(bytes).ok()) << name;
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto v = ReadPickle(std::string_view(bytes.data(), n));
    ASSERT_FALSE(v.ok()) << name << " truncated to " << n << " bytes loaded";
    ASSERT_FALSE(v.status().message().empty());
    ASSERT_EQ(v.status().message().find('\n'), std::string::npos) << v.status().message();
  }
}

TEST(HostileTest, TruncationAtEveryOffset) {
  for (const char* name : {"values.joblib", "values_p2.pkl", "values_p5.pkl", "dtc.joblib", "dtc_objlabels.joblib",
                           "values.joblib.gz", "values.joblib.xz"}) {
    SCOPED_TRACE(name);
    ExpectCleanFailureOnEveryPrefix(name);
  }
}

TEST(HostileTest, ByteFlipsNeverCrash) {
  size_t loaded = 0, failed = 0;
  for (const char* name : {"values_p4.pkl", "values_p2.joblib", "dtc.joblib"}) {
    std::string bytes = ReadFixture(name);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (unsigned char x : {0x00, 0xff, 0x80, 0x7f}) {
        std::string m = bytes;
        m[i] = static_cast<char>(x);
        auto v = ReadPickle(m);
        if (v.ok()) {
          ++loaded;
        } else {
          ++failed;
          ASSERT_EQ(v.status().message().find('\n'), std::string::npos) << v.status().message();
        }
      }
    }
  }
  EXPECT_GT(failed, 0u);
  EXPECT_GT(loaded, 0u);  // flips inside raw array data still load
}

TEST(HostileTest, CompressionBombs) {
  // 64 MiB of a valid-looking stream compressed with bz2 is tiny; the ratio limit stops it.
  std::string big(size_t{64} << 20, 'N');
  big[0] = '\x80';
  big[1] = '\x02';
  std::string out(1 << 20, '\0');
  unsigned out_len = static_cast<unsigned>(out.size());
  ASSERT_EQ(BZ2_bzBuffToBuffCompress(out.data(), &out_len, big.data(), static_cast<unsigned>(big.size()), 9, 0, 0),
            BZ_OK);
  out.resize(out_len);
  ExpectError(out, "bz2 data decompresses to more than");

  // zlib: explicit absolute cap.
  uLongf zlen = compressBound(big.size());
  std::string z(zlen, '\0');
  ASSERT_EQ(
      compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(big.data()), big.size(), 9),
      Z_OK);
  z.resize(zlen);
  ReadLimits limits;
  limits.max_decompressed_bytes = 8 << 20;
  ExpectError(z, "zlib data decompresses to more than 8388608 bytes", limits);
}

}  // namespace
}  // namespace inferd::pickle
