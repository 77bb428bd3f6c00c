#include "sklearn/state.h"

#include <gtest/gtest.h>

#include "sklearn/registry.h"
#include "sklearn/test_values.h"

namespace inferd::sklearn {
namespace {

using namespace testing;  // NOLINT

TEST(State, VersionParsing) {
  EXPECT_TRUE(SklearnVersion(*Obj("a.B", {{"_sklearn_version", Str("1.4.0")}})).AtLeast(1, 4));
  EXPECT_FALSE(SklearnVersion(*Obj("a.B", {{"_sklearn_version", Str("1.3.2")}})).AtLeast(1, 4));
  EXPECT_TRUE(SklearnVersion(*Obj("a.B", {{"_sklearn_version", Str("1.10.dev0")}})).AtLeast(1, 4));
  EXPECT_FALSE(SklearnVersion(*Obj("a.B", {})).AtLeast(1, 0));
  EXPECT_FALSE(SklearnVersion(*Obj("a.B", {{"_sklearn_version", Int(3)}})).AtLeast(1, 0));
}

TEST(State, ClassesKeepTheirType) {
  auto ints = GetClasses(*Obj("x.C", {{"classes_", I64({2}, {-1, 5})}}));
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ((*ints)[0].type, Label::Type::kInt);
  EXPECT_EQ((*ints)[0].json, "-1");
  auto strs = GetClasses(*Obj("x.C", {{"classes_", UArray({"setosa", "virginica"})}}));
  ASSERT_TRUE(strs.ok());
  EXPECT_EQ((*strs)[1].s, "virginica");
  auto np_scalars = GetClasses(*Obj("x.C", {{"classes_", ObjArray({2}, {I64({}, {4}), Str("b")})}}));
  ASSERT_TRUE(np_scalars.ok());
  EXPECT_EQ((*np_scalars)[0].json, "4");
  EXPECT_EQ((*np_scalars)[1].json, "\"b\"");
  EXPECT_FALSE(GetClasses(*Obj("x.C", {{"classes_", I64({0}, {})}})).ok());
  EXPECT_FALSE(GetClasses(*Obj("x.C", {{"classes_", I64({1, 2}, {1, 2})}})).ok());
  EXPECT_FALSE(GetClasses(*Obj("x.C", {{"classes_", ObjArray({1}, {List({})})}})).ok());
  auto missing = GetClasses(*Obj("x.Clf", {}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "Clf: missing attribute 'classes_'");
}

TEST(Registry, UnsupportedAndNonObjects) {
  auto svc = BuildEstimator(*Obj("sklearn.svm._classes.OneClassSVM", {}));
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(svc.status().message(), "unsupported estimator 'sklearn.svm._classes.OneClassSVM'");
  EXPECT_FALSE(BuildEstimator(*List({})).ok());
  EXPECT_GE(RegisteredClassNames().size(), 17u);
}

}  // namespace
}  // namespace inferd::sklearn
