// MLflow model directories: the MLmodel reader (hostile files included), the signature check
// and LoadModelFile on a directory, with the real LogisticRegression fixture (4 unnamed
// columns) from src/pickle/testdata.
#include "sklearn/mlflow_model.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "inferd/loader.h"
#include "sklearn/input_schema_builder.h"

namespace inferd::sklearn {
namespace {

namespace fs = std::filesystem;

const char* const kSignature =
    "signature:\n"
    "  inputs: '[{\"name\": \"a\", \"type\": \"double\"}, {\"name\": \"b\", \"type\": \"double\"}, "
    "{\"name\": \"c\", \"type\": \"long\"}, {\"name\": \"d\", \"type\": \"float\"}]'\n"
    "  outputs: '[{\"type\": \"long\"}]'\n";

class MlflowDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "inferd_mlflow_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::copy_file(std::string(INFERD_PICKLE_TESTDATA) + "/logreg_p4.pkl", dir_ + "/model.pkl");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }
  // An MLmodel as mlflow.sklearn.save_model writes it, plus `extra`.
  void WriteMlmodel(const std::string& pickled_model = "model.pkl", const std::string& extra = "") {
    Write("MLmodel",
          "artifact_path: model\n"
          "flavors:\n"
          "  python_function:\n"
          "    env:\n"
          "      conda: conda.yaml\n"
          "    loader_module: mlflow.sklearn\n"
          "    model_path: " +
              pickled_model +
              "\n"
              "    predict_fn: predict\n"
              "    python_version: 3.11.4\n"
              "  sklearn:\n"
              "    code: null\n"
              "    pickled_model: " +
              pickled_model +
              "\n"
              "    serialization_format: cloudpickle\n"
              "    sklearn_version: 1.2.1\n"
              "mlflow_version: 2.9.2\n"
              "model_uuid: 0f4c\n" +
              extra);
  }
  std::string Error() {
    StatusOr<std::shared_ptr<const Model>> m = LoadModelFile(dir_);
    EXPECT_FALSE(m.ok());
    if (m.ok()) return "";
    EXPECT_EQ(m.status().message().find('\n'), std::string::npos) << m.status().message();
    EXPECT_EQ(m.status().message().rfind(dir_ + "/MLmodel: ", 0), 0u) << m.status().message();
    return m.status().message().substr(dir_.size() + 10);
  }

  std::string dir_;
};

TEST_F(MlflowDir, LoadsTheSklearnFlavor) {
  WriteMlmodel();
  StatusOr<MlflowModelInfo> info = ReadMlmodel(dir_ + "/");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->pickle_path, dir_ + "/model.pkl");
  EXPECT_EQ(info->serialization_format, "cloudpickle");
  EXPECT_TRUE(info->inputs.empty());
  StatusOr<std::shared_ptr<const Model>> m = LoadModelFile(dir_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->n_features(), 4u);
  EXPECT_FALSE((*m)->input_schema().named());
  EXPECT_EQ((*m)->input_schema().columns()[0].name, "x0");
}

TEST_F(MlflowDir, SignatureNamesAModelFittedWithoutNames) {
  WriteMlmodel("model.pkl", kSignature);
  StatusOr<std::shared_ptr<const Model>> m = LoadModelFile(dir_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const InputSchema& schema = (*m)->input_schema();
  EXPECT_TRUE(schema.named());
  EXPECT_EQ(schema.Find("a"), 0);
  EXPECT_EQ(schema.Find("d"), 3);
  EXPECT_EQ((*m)->kind(), ModelKind::kClassifier);
}

TEST_F(MlflowDir, PythonFunctionFlavorAlone) {
  Write("MLmodel", "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n");
  ASSERT_TRUE(LoadModelFile(dir_).ok());
}

TEST_F(MlflowDir, TensorSignatureIsNotChecked) {
  WriteMlmodel("model.pkl",
               "signature:\n  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", "
               "\"shape\": [-1, 4]}}]'\n");
  ASSERT_TRUE(LoadModelFile(dir_).ok());
}

TEST_F(MlflowDir, HostileAndBrokenFiles) {
  EXPECT_EQ(Error(), "no such file (a directory given as a model must be an MLflow model directory)");

  Write("MLmodel", "flavors: [unclosed\n");
  EXPECT_EQ(Error().rfind("invalid YAML: ", 0), 0u);

  Write("MLmodel", "just a string\n");
  EXPECT_EQ(Error(), "not a YAML mapping (an MLmodel file has flavors:)");

  Write("MLmodel", "artifact_path: model\n");
  EXPECT_EQ(Error(), "no flavors mapping");

  Write("MLmodel",
        "flavors:\n  xgboost:\n    data: model.xgb\n  python_function:\n    loader_module: mlflow.xgboost\n");
  EXPECT_EQ(Error(),
            "no sklearn flavor (flavors: xgboost, python_function); inferd serves scikit-learn models saved with "
            "mlflow.sklearn");

  WriteMlmodel("../model.pkl");
  EXPECT_EQ(Error(), "flavors.sklearn.pickled_model '../model.pkl' leaves the model directory (absolute or '..')");
  WriteMlmodel("sub/../../x.pkl");
  EXPECT_EQ(Error(), "flavors.sklearn.pickled_model 'sub/../../x.pkl' leaves the model directory (absolute or '..')");
  WriteMlmodel("/etc/passwd");
  EXPECT_EQ(Error(), "flavors.sklearn.pickled_model '/etc/passwd' leaves the model directory (absolute or '..')");

  // A symlink inside the directory that leads out of it.
  fs::create_symlink(std::string(INFERD_PICKLE_TESTDATA) + "/logreg_p4.pkl", dir_ + "/link.pkl");
  WriteMlmodel("link.pkl");
  EXPECT_EQ(Error(), "flavors.sklearn.pickled_model 'link.pkl' resolves outside the model directory");

  WriteMlmodel("missing.pkl");
  EXPECT_EQ(Error(), "flavors.sklearn.pickled_model 'missing.pkl' is not a file in the model directory");

  Write("MLmodel", "flavors:\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: skops\n");
  EXPECT_EQ(Error(), "serialization_format 'skops' is not supported (pickle and cloudpickle are)");

  Write("MLmodel", "flavors:\n  sklearn:\n    pickled_model: [a, b]\n");
  EXPECT_EQ(Error(), "flavors.sklearn.pickled_model must be a string");

  Write("MLmodel", "flavors:\n  sklearn:\n    serialization_format: pickle\n");
  EXPECT_EQ(Error(), "flavors.sklearn.pickled_model is missing");

  // Over 1 MiB: refused before it is parsed.
  Write("MLmodel",
        "flavors:\n  sklearn:\n    pickled_model: model.pkl\n# " + std::string(kMaxMlmodelBytes, 'x') + "\n");
  StatusOr<std::shared_ptr<const Model>> big = LoadModelFile(dir_);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);

  // Deep nesting: yaml-cpp's depth guard, not a stack overflow.
  Write("MLmodel", "flavors: " + std::string(100000, '[') + "\n");
  EXPECT_EQ(Error().rfind("invalid YAML: ", 0), 0u);

  // Control characters from the file do not break the one-line message.
  Write("MLmodel", "flavors:\n  sklearn:\n    pickled_model: \"a\\nb.pkl\"\n");
  EXPECT_EQ(Error(), "flavors.sklearn.pickled_model 'a b.pkl' is not a file in the model directory");

  // MLmodel is a directory.
  fs::remove(dir_ + "/MLmodel");
  fs::create_directory(dir_ + "/MLmodel");
  EXPECT_EQ(Error(), "not a regular file");
}

TEST_F(MlflowDir, SignatureDisagreeingWithTheModel) {
  WriteMlmodel("model.pkl", "signature:\n  inputs: '[{\"name\": \"a\", \"type\": \"double\"}]'\n");
  EXPECT_EQ(Error(), "the signature has 1 input columns but the model reads 4");

  WriteMlmodel("model.pkl",
               "signature:\n  inputs: '[{\"name\": \"a\", \"type\": \"double\"}, {\"name\": \"b\", \"type\": "
               "\"string\"}, {\"name\": \"c\", \"type\": \"double\"}, {\"name\": \"d\", \"type\": \"double\"}]'\n");
  EXPECT_EQ(Error(), "the signature's column 'b' is a string but the model reads numbers there");

  WriteMlmodel("model.pkl",
               "signature:\n  inputs: '[{\"name\": \"a\", \"type\": \"double\"}, {\"name\": \"a\", \"type\": "
               "\"double\"}, {\"name\": \"c\", \"type\": \"double\"}, {\"name\": \"d\", \"type\": \"double\"}]'\n");
  EXPECT_EQ(Error(), "the signature names column 'a' twice");

  WriteMlmodel("model.pkl",
               "signature:\n  inputs: '[{\"name\": \"a\", \"type\": \"datetime\"}, {\"name\": \"b\", \"type\": "
               "\"double\"}, {\"name\": \"c\", \"type\": \"double\"}, {\"name\": \"d\", \"type\": \"double\"}]'\n");
  EXPECT_EQ(Error(),
            "the signature's column 'a' has type 'datetime', which inferd cannot read (double, float, long, integer, "
            "boolean, string, binary)");

  WriteMlmodel("model.pkl", "signature:\n  inputs: '{\"name\": \"a\"}'\n");
  EXPECT_EQ(Error(), "signature.inputs must be a JSON list of column specs");

  WriteMlmodel("model.pkl", "signature:\n  inputs: '[{\"name\": \"a\", '\n");
  EXPECT_EQ(Error().rfind("invalid YAML: ", 0), 0u);
}

// A model with named columns (age: number, sex: string), standing in for one fitted on a
// DataFrame.
class NamedModel final : public Model {
 public:
  NamedModel() {
    std::vector<InputColumn> cols(2);
    cols[0].name = "age";
    cols[1].name = "sex";
    cols[1].type = InputColumn::Type::kString;
    cols[1].categories = {"female", "male"};
    schema_ = InputSchema(std::move(cols), true);
  }
  ModelKind kind() const override { return ModelKind::kRegressor; }
  size_t n_features() const override { return 2; }
  size_t n_outputs() const override { return 1; }
  const std::vector<Label>& classes() const override { return classes_; }
  const InputSchema& input_schema() const override { return schema_; }
  std::string Describe() const override { return "Named"; }

 private:
  InputSchema schema_;
  std::vector<Label> classes_;
};

MlflowModelInfo Info(std::vector<MlflowColumn> inputs) {
  MlflowModelInfo info;
  info.inputs = std::move(inputs);
  return info;
}

TEST(MlflowSignature, NamesMustBeTheModels) {
  // Same names in another order, and the right kinds: accepted, the model's own order kept.
  StatusOr<ModelPtr> m =
      ApplyMlflowSignature("d/MLmodel", Info({{"sex", "string"}, {"age", "long"}}), std::make_unique<NamedModel>());
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->input_schema().columns()[0].name, "age");

  m = ApplyMlflowSignature("d/MLmodel", Info({{"age", "double"}, {"fare", "double"}}), std::make_unique<NamedModel>());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "d/MLmodel: the signature's column 'fare' is not one of the model's columns (age, ..., sex)");

  m = ApplyMlflowSignature("d/MLmodel", Info({{"age", "string"}, {"sex", "string"}}), std::make_unique<NamedModel>());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "d/MLmodel: the signature's column 'age' is a string but the model reads numbers there");

  m = ApplyMlflowSignature("d/MLmodel", Info({{"age", "double"}, {"sex", "double"}}), std::make_unique<NamedModel>());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "d/MLmodel: the signature's column 'sex' is a double but the model reads strings there");
}

}  // namespace
}  // namespace inferd::sklearn
