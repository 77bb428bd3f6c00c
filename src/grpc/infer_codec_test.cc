#include "grpc/infer_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "serving/testing/fake_model.h"

namespace inferd::grpc_api {
namespace {

using Request = inference::ModelInferRequest;
using Tensor = inference::ModelInferRequest::InferInputTensor;

InputSchema TitanicSchema() {
  std::vector<InputColumn> cols(2);
  cols[0].name = "age";
  cols[1].name = "sex";
  cols[1].type = InputColumn::Type::kString;
  cols[1].categories = {"female", "male"};
  cols[1].unknown_is_error = true;
  return InputSchema(std::move(cols), true);
}

InputSchema Unnamed(size_t n) {
  std::vector<InputColumn> cols(n);
  for (size_t i = 0; i < n; ++i) cols[i].name = "x" + std::to_string(i);
  return InputSchema(std::move(cols), false);
}

struct Fixture {
  InputSchema schema;
  InputSpec spec;
  explicit Fixture(size_t n_features) : schema(Unnamed(n_features)) {
    spec.n_features = n_features;
    spec.schema = &schema;
  }
  explicit Fixture(InputSchema s) : schema(std::move(s)) {
    spec.n_features = schema.size();
    spec.schema = &schema;
  }
  Status Decode(const Request& r, InferenceRequest* out, bool* raw = nullptr) {
    bool unused;
    out->Clear();
    return DecodeModelInferRequest(r, spec, out, raw != nullptr ? raw : &unused);
  }
};

Tensor* AddInput(Request* r, const std::string& name, const std::string& datatype, std::vector<int64_t> shape) {
  Tensor* t = r->add_inputs();
  t->set_name(name);
  t->set_datatype(datatype);
  for (int64_t d : shape) t->add_shape(d);
  return t;
}

template <typename T>
std::string Raw(std::vector<T> values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), values.data(), s.size());
  return s;
}

std::string RawStrings(std::vector<std::string> values) {
  std::string s;
  for (const std::string& v : values) {
    auto n = static_cast<uint32_t>(v.size());
    s.append(reinterpret_cast<const char*>(&n), 4);
    s += v;
  }
  return s;
}

TEST(InferCodec, MatrixOfTypedFp64) {
  Fixture f(3);
  Request r;
  r.set_id("req-1");
  Tensor* t = AddInput(&r, "input-0", "FP64", {2, 3});
  for (double v : {1.0, 2.0, 3.0, 4.0, 5.0, 6.5}) t->mutable_contents()->add_fp64_contents(v);
  r.add_outputs()->set_name("predict_proba");
  InferenceRequest out;
  bool raw = true;
  ASSERT_TRUE(f.Decode(r, &out, &raw).ok());
  EXPECT_FALSE(raw);
  EXPECT_EQ(out.n_rows, 2u);
  EXPECT_EQ(out.x, (std::vector<double>{1, 2, 3, 4, 5, 6.5}));
  EXPECT_EQ(out.id, "req-1");
  ASSERT_EQ(out.outputs.size(), 1u);
  EXPECT_EQ(out.outputs[0], OutputKind::kPredictProba);
}

TEST(InferCodec, RawFp32AndIntegerTypes) {
  Fixture f(2);
  Request r;
  AddInput(&r, "x", "FP32", {2, 2});
  r.add_raw_input_contents(Raw<float>({0.1f, 2.0f, -3.5f, 4.0f}));
  InferenceRequest out;
  bool raw = false;
  ASSERT_TRUE(f.Decode(r, &out, &raw).ok());
  EXPECT_TRUE(raw);
  EXPECT_EQ(out.x[0], static_cast<double>(0.1f));
  EXPECT_EQ(out.x[2], -3.5);

  for (auto [dt, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"INT8", Raw<int8_t>({-7, 1, 2, 3})},
           {"UINT16", Raw<uint16_t>({65535, 1, 2, 3})},
           {"INT64", Raw<int64_t>({-1, 1, 2, 3})},
           {"FP16", Raw<uint16_t>({0x3c00, 0xc000, 0x3800, 0x0000})},  // 1, -2, 0.5, 0
           {"BOOL", Raw<uint8_t>({1, 0, 1, 1})}}) {
    Request q;
    AddInput(&q, "x", dt, {2, 2});
    q.add_raw_input_contents(bytes);
    ASSERT_TRUE(f.Decode(q, &out).ok()) << dt;
    EXPECT_EQ(out.n_rows, 2u);
  }
  Request q;
  AddInput(&q, "x", "FP16", {2, 2});
  q.add_raw_input_contents(Raw<uint16_t>({0x3c00, 0xc000, 0x3800, 0x0001}));
  ASSERT_TRUE(f.Decode(q, &out).ok());
  EXPECT_EQ(out.x, (std::vector<double>{1.0, -2.0, 0.5, std::ldexp(1.0, -24)}));
}

TEST(InferCodec, NamedColumnsWithStrings) {
  Fixture f(TitanicSchema());
  for (bool raw : {false, true}) {
    Request r;
    // Columns in another order than the model's; matched by name.
    Tensor* sex = AddInput(&r, "sex", "BYTES", {3});
    Tensor* age = AddInput(&r, "age", "FP64", {3, 1});
    if (raw) {
      r.add_raw_input_contents(RawStrings({"male", "female", "male"}));
      r.add_raw_input_contents(Raw<double>({22, std::nan(""), 40}));
    } else {
      for (const char* s : {"male", "female", "male"}) sex->mutable_contents()->add_bytes_contents(s);
      for (double v : {22.0, std::nan(""), 40.0}) age->mutable_contents()->add_fp64_contents(v);
    }
    f.spec.allow_missing = true;
    InferenceRequest out;
    ASSERT_TRUE(f.Decode(r, &out).ok());
    ASSERT_EQ(out.n_rows, 3u);
    EXPECT_EQ(out.x[0], 22);
    EXPECT_EQ(out.x[1], f.schema.EncodeString(1, "male"));
    EXPECT_TRUE(std::isnan(out.x[2]));
    EXPECT_EQ(out.x[3], f.schema.EncodeString(1, "female"));
  }
}

TEST(InferCodec, CellErrorsNameTheInputAndColumn) {
  Fixture f(TitanicSchema());
  Request r;
  AddInput(&r, "age", "FP64", {1})->mutable_contents()->add_fp64_contents(30);
  AddInput(&r, "sex", "BYTES", {1})->mutable_contents()->add_bytes_contents("other");
  InferenceRequest out;
  Status st = f.Decode(r, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("input 'sex' element 0"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("unknown category"), std::string::npos) << st.message();

  Request missing;
  AddInput(&missing, "age", "FP64", {1})->mutable_contents()->add_fp64_contents(30);
  st = f.Decode(missing, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("sex"), std::string::npos) << st.message();

  Request number_in_string_column;
  AddInput(&number_in_string_column, "age", "FP64", {1})->mutable_contents()->add_fp64_contents(30);
  AddInput(&number_in_string_column, "sex", "FP64", {1})->mutable_contents()->add_fp64_contents(1);
  EXPECT_FALSE(f.Decode(number_in_string_column, &out).ok());
}

TEST(InferCodec, RefusesMalformedTensors) {
  Fixture f(2);
  InferenceRequest out;
  auto expect_error = [&](const Request& r, const std::string& part, StatusCode code = StatusCode::kInvalidArgument) {
    Status st = f.Decode(r, &out);
    ASSERT_FALSE(st.ok()) << part;
    EXPECT_EQ(st.code(), code) << st.message();
    EXPECT_NE(st.message().find(part), std::string::npos) << st.message();
  };
  Request none;
  expect_error(none, "no inputs");
  Request unknown;
  AddInput(&unknown, "x", "FP8", {1, 2});
  expect_error(unknown, "unknown datatype 'FP8'");
  Request negative;
  AddInput(&negative, "x", "FP64", {-1, 2});
  expect_error(negative, "non-negative");
  Request huge;
  AddInput(&huge, "x", "FP64", {int64_t{1} << 40, int64_t{1} << 40});
  expect_error(huge, "too large", StatusCode::kResourceExhausted);
  Request rows;
  f.spec.max_rows = 2;
  AddInput(&rows, "x", "FP64", {3, 2});
  expect_error(rows, "--max-batch-rows", StatusCode::kResourceExhausted);
  f.spec.max_rows = 100;
  Request count;
  AddInput(&count, "x", "FP64", {2, 2})->mutable_contents()->add_fp64_contents(1);
  expect_error(count, "fp64_contents has 1 elements but shape [2,2] needs 4");
  Request wrong_field;
  Tensor* t = AddInput(&wrong_field, "x", "FP32", {1, 2});
  t->mutable_contents()->add_fp64_contents(1);
  t->mutable_contents()->add_fp64_contents(2);
  expect_error(wrong_field, "FP32 takes its elements in fp32_contents only");
  Request fp16;
  AddInput(&fp16, "x", "FP16", {1, 2});
  expect_error(fp16, "send it in raw_input_contents");
  Request raw_size;
  AddInput(&raw_size, "x", "FP64", {1, 2});
  raw_size.add_raw_input_contents(std::string(15, '\0'));
  expect_error(raw_size, "raw_input_contents has 15 bytes but shape [1,2] of FP64 needs 16");
  Request raw_count;
  AddInput(&raw_count, "x", "FP64", {1, 2});
  AddInput(&raw_count, "y", "FP64", {1, 2});
  raw_count.add_raw_input_contents(std::string(16, '\0'));
  expect_error(raw_count, "raw_input_contents has 1 entries for 2 inputs");
  Request both;
  AddInput(&both, "x", "FP64", {1, 2})->mutable_contents()->add_fp64_contents(1);
  both.add_raw_input_contents(std::string(16, '\0'));
  expect_error(both, "use one form");
  Request int8;
  Tensor* i8 = AddInput(&int8, "x", "INT8", {1, 2});
  i8->mutable_contents()->add_int_contents(1);
  i8->mutable_contents()->add_int_contents(300);
  expect_error(int8, "element 1 is out of range for INT8");
  Request shape;
  Tensor* st = AddInput(&shape, "x", "FP64", {2, 3});
  for (int i = 0; i < 6; ++i) st->mutable_contents()->add_fp64_contents(i);
  expect_error(shape, "expected [N,2]");
  Request inf;
  Tensor* it = AddInput(&inf, "x", "FP64", {1, 2});
  it->mutable_contents()->add_fp64_contents(1);
  it->mutable_contents()->add_fp64_contents(INFINITY);
  expect_error(inf, "Infinity");
  Request nan;
  Tensor* nt = AddInput(&nan, "x", "FP64", {1, 2});
  nt->mutable_contents()->add_fp64_contents(1);
  nt->mutable_contents()->add_fp64_contents(NAN);
  expect_error(nan, "x1");  // the model takes no missing values
  Request bytes_len;
  AddInput(&bytes_len, "x", "BYTES", {1, 2});
  bytes_len.add_raw_input_contents(
      std::string("\x10\x00\x00\x00"
                  "ab",
                  6));
  expect_error(bytes_len, "longer than the bytes left");
  Request output;
  Tensor* ot = AddInput(&output, "x", "FP64", {1, 2});
  ot->mutable_contents()->add_fp64_contents(1);
  ot->mutable_contents()->add_fp64_contents(2);
  output.add_outputs()->set_name("shap");
  expect_error(output, "unknown output 'shap'");
}

TEST(InferCodec, EncodesTypedAndRawOutputs) {
  auto model =
      std::make_shared<testing::FakeClassifier>(2, std::vector<Label>{Label::String("no"), Label::String("yes")});
  ServedModel served;
  served.model = model;
  served.name = "m";
  served.version = "3";
  InferenceRequest request;
  request.id = "abc";
  int32_t classes[2] = {1, 0};
  double proba[4] = {0.25, 0.75, 0.5, 0.5};
  InferenceResult result;
  result.served = &served;
  result.request = &request;
  OutputTensor label;
  label.n_rows = 2;
  label.classes = classes;
  OutputTensor p;
  p.kind = OutputKind::kPredictProba;
  p.n_rows = 2;
  p.width = 2;
  p.two_d = true;
  p.values = proba;
  result.outputs = {label, p};

  inference::ModelInferResponse typed;
  EncodeModelInferResponse(result, false, &typed);
  EXPECT_EQ(typed.model_name(), "m");
  EXPECT_EQ(typed.model_version(), "3");
  EXPECT_EQ(typed.id(), "abc");
  ASSERT_EQ(typed.outputs_size(), 2);
  EXPECT_EQ(typed.outputs(0).datatype(), "BYTES");
  EXPECT_EQ(typed.outputs(0).contents().bytes_contents(0), "yes");
  EXPECT_EQ(typed.outputs(1).name(), "predict_proba");
  EXPECT_EQ(typed.outputs(1).shape_size(), 2);
  EXPECT_EQ(typed.outputs(1).contents().fp64_contents(1), 0.75);
  EXPECT_EQ(typed.raw_output_contents_size(), 0);

  inference::ModelInferResponse raw;
  EncodeModelInferResponse(result, true, &raw);
  ASSERT_EQ(raw.raw_output_contents_size(), 2);
  EXPECT_EQ(raw.raw_output_contents(0), RawStrings({"yes", "no"}));
  EXPECT_EQ(raw.raw_output_contents(1), Raw<double>({0.25, 0.75, 0.5, 0.5}));
  EXPECT_FALSE(raw.outputs(0).has_contents());
}

}  // namespace
}  // namespace inferd::grpc_api
