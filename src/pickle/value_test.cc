#include "pickle/value.h"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>

namespace inferd::pickle {
namespace {

std::shared_ptr<Dtype> Simple(char kind, size_t itemsize, char order = '<') {
  auto d = std::make_shared<Dtype>();
  d->kind = kind;
  d->itemsize = itemsize;
  d->byteorder = order;
  return d;
}

template <typename T>
NdArray Make(char kind, std::vector<T> vals, std::vector<size_t> shape) {
  NdArray a;
  a.dtype = Simple(kind, sizeof(T));
  a.shape = std::move(shape);
  a.data.resize(vals.size() * sizeof(T));
  std::memcpy(a.data.data(), vals.data(), a.data.size());
  return a;
}

// Test nodes live as long as the process (see ValuePtr: a tree's arena owns its nodes).
ValuePtr Node(Kind k) {
  static std::deque<Value> pool;
  Value& v = pool.emplace_back();
  v.kind = k;
  return ValuePtr(&v);
}
ValuePtr Int(int64_t i) {
  ValuePtr v = Node(Kind::kInt);
  v->i = i;
  return v;
}
ValuePtr Str(const std::string& s) {
  ValuePtr v = Node(Kind::kStr);
  v->s = s;
  return v;
}

TEST(NdArrayTest, NumericConversions) {
  NdArray a = Make<int32_t>('i', {-3, 0, 7, 9, 10, 11}, {2, 3});
  EXPECT_EQ(a.size(), 6u);
  EXPECT_EQ(a.ndim(), 2u);
  auto d = a.ToDoubles();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, (std::vector<double>{-3, 0, 7, 9, 10, 11}));
  NdArray f = Make<float>('f', {1.5f, 2.0f}, {2});
  EXPECT_FALSE(f.ToInt64s().ok());
  NdArray g = Make<double>('f', {1.0, -2.0}, {2});
  auto gi = g.ToInt64s();
  ASSERT_TRUE(gi.ok());
  EXPECT_EQ(*gi, (std::vector<int64_t>{1, -2}));
  NdArray u = Make<uint64_t>('u', {~uint64_t{0}}, {1});
  EXPECT_FALSE(u.ToInt64s().ok());
  EXPECT_EQ((*u.ToDoubles())[0], 18446744073709551615.0);
  NdArray b = Make<uint8_t>('b', {1, 0}, {2});
  EXPECT_EQ(*b.ToInt64s(), (std::vector<int64_t>{1, 0}));
  NdArray h = Make<uint16_t>('f', {0x3c00, 0xc000}, {2});  // half 1.0, -2.0
  EXPECT_EQ(*h.ToDoubles(), (std::vector<double>{1.0, -2.0}));
  NdArray s = Make<char>('S', {'a', 'b'}, {2});
  s.dtype->byteorder = '|';
  auto bad = s.ToDoubles();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("|S1"), std::string::npos) << bad.status().message();
}

TEST(NdArrayTest, Strings) {
  NdArray u;
  u.dtype = Simple('U', 8);
  u.shape = {2};
  std::vector<uint32_t> cps = {'h', 0x20AC, 'x', 0};
  u.data.resize(16);
  std::memcpy(u.data.data(), cps.data(), 16);
  auto s = u.ToStrings();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<std::string>{"h\xe2\x82\xac", "x"}));
  cps[1] = 0xD800;  // lone surrogate
  std::memcpy(u.data.data(), cps.data(), 16);
  EXPECT_FALSE(u.ToStrings().ok());
  NdArray o;
  o.dtype = Simple('O', 8, '|');
  o.shape = {2};
  o.objects = {Str("a"), Int(3)};
  EXPECT_FALSE(o.ToStrings().ok());
  o.objects[1] = Str("b");
  EXPECT_EQ(*o.ToStrings(), (std::vector<std::string>{"a", "b"}));
  o.objects = {Int(2), Int(5)};
  EXPECT_EQ(*o.ToDoubles(), (std::vector<double>{2, 5}));
}

TEST(NdArrayTest, StructuredFields) {
  auto rec = Simple('V', 16, '|');
  rec->fields.push_back({"left", Simple('i', 8), 0});
  rec->fields.push_back({"thr", Simple('f', 8), 8});
  NdArray a;
  a.dtype = rec;
  a.shape = {2};
  a.data.resize(32);
  int64_t l0 = 5, l1 = -1;
  double t0 = 0.25, t1 = 9.5;
  std::memcpy(&a.data[0], &l0, 8);
  std::memcpy(&a.data[8], &t0, 8);
  std::memcpy(&a.data[16], &l1, 8);
  std::memcpy(&a.data[24], &t1, 8);
  EXPECT_EQ(*a.FieldInt64(1, "left"), -1);
  EXPECT_EQ(*a.FieldDouble(0, "thr"), 0.25);
  EXPECT_EQ(*a.FieldDoubles("thr"), (std::vector<double>{0.25, 9.5}));
  EXPECT_EQ(*a.FieldInt64s("left"), (std::vector<int64_t>{5, -1}));
  EXPECT_FALSE(a.FieldInt64s("thr").ok());
  EXPECT_FALSE(a.FieldDouble(0, "nope").ok());
  EXPECT_EQ(rec->ToString(), "|V16{left:<i8@0,thr:<f8@8}");
  EXPECT_EQ(rec->FindField("thr")->offset, 8u);
  EXPECT_EQ(rec->FindField("x"), nullptr);
}

TEST(ValueTest, ScalarsAndAttrs) {
  ValuePtr state = Node(Kind::kDict);
  state->entries.emplace_back(Str("n"), Int(3));
  state->entries.emplace_back(Str("name"), Str("lbfgs"));
  state->entries.emplace_back(Str("n"), Int(4));  // repeated key: last wins
  Value obj;
  obj.kind = Kind::kObject;
  obj.cls = "sklearn.linear_model._logistic.LogisticRegression";
  obj.state = state;
  EXPECT_EQ(*obj.Attr("n")->AsInt(), 4);
  EXPECT_EQ(*obj.Attr("name")->AsString(), "lbfgs");
  EXPECT_FALSE(obj.Attr("name")->AsDouble().ok());
  auto missing = RequireAttr(obj, "coef_");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "LogisticRegression: missing attribute 'coef_'");
  auto not_array = RequireArray(obj, "n");
  ASSERT_FALSE(not_array.ok());
  EXPECT_EQ(not_array.status().message(), "LogisticRegression: attribute 'n' is int 4, expected an ndarray");

  Value scalar;
  scalar.kind = Kind::kArray;
  scalar.array = std::make_shared<NdArray>(Make<double>('f', {2.5}, {}));
  EXPECT_EQ(*scalar.AsDouble(), 2.5);
  EXPECT_FALSE(scalar.AsInt().ok());
  EXPECT_EQ(scalar.Describe(), "numpy scalar <f8");
  Value f;
  f.kind = Kind::kFloat;
  f.f = 3.0;
  EXPECT_EQ(*f.AsInt(), 3);
  f.f = 3.5;
  EXPECT_FALSE(f.AsInt().ok());
  EXPECT_STREQ(KindName(Kind::kSlice), "slice");
}

}  // namespace
}  // namespace inferd::pickle
