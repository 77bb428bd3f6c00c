#include "http/protocols/reference_predict.h"

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
  Response Call(std::string_view body) {
    Request r;
    r.method = Verb::post;
    r.path = r.target = "/predict";
    r.body = body;
    Response resp;
    handler_.Handle(r, &resp);
    return resp;
  }
  ModelManager models_;
  ReferencePredictHandler handler_{&models_, ReferencePredictOptions{3}};
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
}

}  // namespace
}  // namespace inferd::http
