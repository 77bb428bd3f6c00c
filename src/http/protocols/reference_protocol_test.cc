#include "http/protocols/reference_protocol.h"

#include <gtest/gtest.h>

#include "serving/testing/fake_model.h"

namespace inferd::http {
namespace {

class ReferencePredictTest : public ::testing::Test {
 protected:
  void Serve(std::shared_ptr<const Model> m) {
    auto s = std::make_shared<ServedModel>();
    s->model = std::move(m);
    s->name = "fake";
    models_.Swap(s);
  }
  Response Call(std::string_view body, std::string_view path = "/predict") {
    Request r;
    r.method = Verb::post;
    r.path = r.target = path;
    r.body = body;
    Response resp;
    router_.Dispatch(&r, &resp);
    return resp;
  }
  // The per-model metrics text for the served model.
  std::string Metrics() const {
    std::string out;
    models_.stats().Render(&out);
    return out;
  }
  void SetUp() override { RegisterReferenceRoutes(&service_, &router_); }

  ModelManager models_;
  InferenceService service_{&models_, InferenceOptions{3}};
  Router router_;
};

TEST_F(ReferencePredictTest, NoModelIs503) {
  Response r = Call(R"({"features":[1]})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "{\"error\":\"no model is loaded\"}\n");
}

TEST_F(ReferencePredictTest, ClassifierOneRowBatchAndProba) {
  Serve(std::make_shared<testing::FakeClassifier>(
      2, std::vector<Label>{Label::String("a"), Label::String("b"), Label::String("c")}));
  Response r = Call(R"({"features":[2, 0.5]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"prediction\":\"c\"}\n");
  r = Call(R"({"features":[1, 0], "proba": true})");
  EXPECT_EQ(r.body, "{\"prediction\":\"b\",\"probabilities\":{\"a\":0.25,\"b\":0.5,\"c\":0.25}}\n");
  r = Call(R"({"instances":[[0,0],[4,0]]})");
  EXPECT_EQ(r.body, "{\"predictions\":[\"a\",\"b\"]}\n");
  r = Call(R"({"instances":[[0,0]],"proba":true})");
  EXPECT_EQ(r.body, "{\"predictions\":[\"a\"],\"probabilities\":[{\"a\":0.5,\"b\":0.25,\"c\":0.25}]}\n");
}

TEST_F(ReferencePredictTest, RegressorSingleAndMultiTarget) {
  Serve(std::make_shared<testing::FakeRegressor>(3, 1));
  EXPECT_EQ(Call(R"({"features":[1,2,3.5]})").body, "{\"prediction\":6.5}\n");
  Serve(std::make_shared<testing::FakeRegressor>(2, 2));  // a hot swap between requests
  EXPECT_EQ(Call(R"({"features":[1,2]})").body, "{\"prediction\":[3.0,6.0]}\n");
  EXPECT_EQ(Call(R"({"instances":[[1,2],[0,0]]})").body, "{\"predictions\":[[3.0,6.0],[0.0,0.0]]}\n");
}

TEST_F(ReferencePredictTest, ErrorsMapToStatusCodes) {
  Serve(std::make_shared<testing::FakeClassifier>(2, std::vector<Label>{Label::Int(0), Label::Int(1)}, false));
  Response r = Call(R"({"features":[1]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"error\":\"expected 2 features, got 1\"}\n");
  r = Call(R"({"features":[1,2],"proba":true})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"error\":\"the model (FakeClassifier) has no predict_proba\"}\n");
  r = Call(R"({"instances":[[1,2],[1,2],[1,2],[1,2]]})");
  EXPECT_EQ(r.status, 413);
  r = Call("{");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.rfind("{\"error\":\"malformed JSON: ", 0), 0u);
  Serve(std::make_shared<testing::FakeRegressor>(2, 1));
  r = Call(R"({"features":[1,2],"proba":true})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"error\":\"the model (FakeRegressor) has no predict_proba\"}\n");
  r = Call(R"({"features":[1,2]})", "/transform");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"error\":\"the model (FakeRegressor) has no transform (it is not a transformer; use predict)\"}\n");
}

TEST_F(ReferencePredictTest, RequestsAreCountedPerModelWithTheirStatus) {
  Serve(std::make_shared<testing::FakeRegressor>(2, 1));
  EXPECT_EQ(Call(R"({"features":[1,2]})").status, 200);
  EXPECT_EQ(Call(R"({"features":[1]})").status, 400);
  EXPECT_EQ(Call(R"({"features":[1,2]})", "/transform").status, 400);
  std::string m = Metrics();
  EXPECT_NE(m.find("inferd_model_requests_total{model=\"fake\",protocol=\"reference\",code=\"200\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("inferd_model_requests_total{model=\"fake\",protocol=\"reference\",code=\"400\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("inferd_model_requests_total{model=\"fake\",protocol=\"transform\",code=\"400\"} 1\n"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace inferd::http
