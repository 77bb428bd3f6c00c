#include "http/protocols/mlflow_protocol.h"

#include <gtest/gtest.h>

#include "serving/testing/fake_model.h"

namespace inferd::http {
namespace {

class MlflowProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MlflowOptions options;
    options.server_version = "1.2.3";
    options.ready = [this] { return ready_; };
    RegisterMlflowRoutes(&service_, std::move(options), &router_);
  }
  void Serve() {
    auto s = std::make_shared<ServedModel>();
    s->model = std::make_shared<testing::FakeClassifier>(
        2, std::vector<Label>{Label::String("a"), Label::String("b"), Label::String("c")});
    s->name = "fake";
    models_.Swap(s);
  }
  Response Call(Verb method, std::string_view path, std::string_view body = {},
                std::string_view content_type = "application/json") {
    Request r;
    r.method = method;
    r.path = r.target = path;
    r.body = body;
    r.content_type = content_type;
    Response resp;
    router_.Dispatch(&r, &resp);
    return resp;
  }
  std::string Metrics() const {
    std::string out;
    models_.stats().Render(&out);
    return out;
  }

  bool ready_ = true;
  ModelManager models_;
  InferenceService service_{&models_, InferenceOptions{3}};
  Router router_;
};

TEST_F(MlflowProtocolTest, PingFollowsReadinessAndTheDefaultModel) {
  Response r = Call(Verb::get, "/ping");
  EXPECT_EQ(r.status, 503);  // no model
  EXPECT_EQ(r.body, "\n");
  EXPECT_EQ(Call(Verb::post, "/invocations", R"({"instances": [[0, 0]]})").status, 503);
  Serve();
  r = Call(Verb::get, "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "\n");
  ready_ = false;  // draining
  EXPECT_EQ(Call(Verb::get, "/ping").status, 503);
  r = Call(Verb::get, "/version");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "1.2.3");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
}

TEST_F(MlflowProtocolTest, InvocationsJsonCsvAndMediaTypes) {
  Serve();
  Response r =
      Call(Verb::post, "/invocations", R"({"dataframe_split": {"columns": ["x1", "x0"], "data": [[0, 0], [0, 4]]}})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"predictions\":[\"a\",\"b\"]}\n");
  r = Call(Verb::post, "/invocations", "x0,x1\r\n0,0\r\n", "text/csv; charset=utf-8");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"predictions\":[\"a\"]}\n");
  r = Call(Verb::post, "/invocations", R"({"instances": [[0, 0]], "params": {"predict_method": "predict_proba"}})");
  EXPECT_EQ(r.body, "{\"predictions\":[[0.5,0.25,0.25]]}\n");
  r = Call(Verb::post, "/invocations", R"({"instances": [[0, 0]]})", "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.body,
            "{\"error\":\"This predictor only supports the following content types: ['text/csv', "
            "'application/json']. Got 'text/plain'.\"}\n");
  r = Call(Verb::post, "/invocations", R"({"instances": [[0, 0]], "inputs": [[0, 0]]})");
  EXPECT_EQ(r.status, 400);
  r = Call(Verb::post, "/invocations", R"({"instances": [[0, 0], [0, 0], [0, 0], [0, 0]]})");
  EXPECT_EQ(r.status, 413);
  const std::string metrics = Metrics();
  EXPECT_NE(metrics.find("protocol=\"mlflow\",code=\"4xx\""), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("protocol=\"mlflow\",code=\"200\""), std::string::npos) << metrics;
}

}  // namespace
}  // namespace inferd::http
