#include "inferd/model.h"

#include <gtest/gtest.h>

namespace inferd {
namespace {

TEST(Label, RendersJsonForms) {
  EXPECT_EQ(Label::Int(-3).json, "-3");
  EXPECT_EQ(Label::Int(-3).json_key, "\"-3\"");
  EXPECT_EQ(Label::Float(2.0).json, "2.0");
  EXPECT_EQ(Label::Bool(true).json, "true");
  EXPECT_EQ(Label::String("setosa").json, "\"setosa\"");
  EXPECT_EQ(Label::String("setosa").json_key, "\"setosa\"");
}

TEST(ModelKind, Names) {
  EXPECT_STREQ(ModelKindName(ModelKind::kClassifier), "classifier");
  EXPECT_STREQ(ModelKindName(ModelKind::kRegressor), "regressor");
  EXPECT_STREQ(ModelKindName(ModelKind::kTransformer), "transformer");
}

}  // namespace
}  // namespace inferd
