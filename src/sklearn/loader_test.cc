// LoadModelBytes / LoadModelFile end to end on small hand-made pickles (the parity tests
// cover real sklearn files).
#include "inferd/loader.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace inferd {
namespace {

// pickle.dumps of objects whose classes claim sklearn module paths (generated once with
// Python; see the parity tests for real estimators).
// An estimator inferd does not implement (OneClassSVM), pickled with protocol 2.
const std::string kUnsupportedPickle(
    "\x80\x02\x63\x73\x6b\x6c\x65\x61\x72\x6e\x2e\x73\x76\x6d\x2e\x5f\x63\x6c\x61\x73\x73\x65\x73\x0a\x4f\x6e\x65\x43"
    "\x6c\x61\x73\x73\x53\x56\x4d\x0a\x71\x00\x29\x81\x71\x01\x7d\x71\x02\x58\x01\x00\x00\x00\x43\x71\x03\x47\x3f\xf0"
    "\x00\x00\x00\x00\x00\x00\x73\x62\x2e",
    65);
const std::string kLogregNoCoef(
    "\x80\x04\x95\x51\x00\x00\x00\x00\x00\x00\x00\x8c\x1e\x73\x6b\x6c\x65\x61\x72\x6e\x2e\x6c\x69\x6e\x65\x61\x72\x5f"
    "\x6d\x6f\x64\x65\x6c\x2e\x5f\x6c\x6f\x67\x69\x73\x74\x69\x63\x94\x8c\x12\x4c\x6f\x67\x69\x73\x74\x69\x63\x52\x65"
    "\x67\x72\x65\x73\x73\x69\x6f\x6e\x94\x93\x94\x29\x81\x94\x7d\x94\x8c\x06\x73\x6f\x6c\x76\x65\x72\x94\x8c\x05\x6c"
    "\x62\x66\x67\x73\x94\x73\x62\x2e",
    92);
const std::string kDictPickle("\x80\x03\x7d\x71\x00\x58\x01\x00\x00\x00\x61\x71\x01\x4b\x01\x73\x2e", 17);

TEST(Loader, UnsupportedEstimator) {
  auto m = LoadModelBytes(kUnsupportedPickle, "model.pkl");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(m.status().message(), "model.pkl: unsupported estimator 'sklearn.svm._classes.OneClassSVM'");
}

TEST(Loader, MissingAttribute) {
  auto m = LoadModelBytes(kLogregNoCoef, "model.pkl");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "model.pkl: LogisticRegression: missing attribute 'classes_'");
}

TEST(Loader, NotAnEstimatorAndGarbage) {
  auto d = LoadModelBytes(kDictPickle, "m.pkl");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message().rfind("m.pkl: not a scikit-learn estimator", 0), 0u) << d.status().message();
  auto g = LoadModelBytes("hello", "m.pkl");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message().rfind("m.pkl: ", 0), 0u);
  EXPECT_EQ(g.status().message().find('\n'), std::string::npos);
  LoadOptions small;
  small.max_file_bytes = 10;
  EXPECT_EQ(LoadModelBytes(kUnsupportedPickle, "m.pkl", small).status().code(), StatusCode::kResourceExhausted);
}

TEST(Loader, FilePathIsThePrefix) {
  const std::string path = ::testing::TempDir() + "/unsupported_model.pkl";
  {
    std::ofstream f(path, std::ios::binary);
    f << kUnsupportedPickle;
  }
  auto m = LoadModelFile(path);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), path + ": unsupported estimator 'sklearn.svm._classes.OneClassSVM'");
  std::remove(path.c_str());
  auto missing = LoadModelFile("/nonexistent/model.pkl");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message().rfind("/nonexistent/model.pkl: ", 0), 0u);
}

}  // namespace
}  // namespace inferd
