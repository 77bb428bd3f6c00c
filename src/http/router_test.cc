#include "http/router.h"

#include <gtest/gtest.h>

namespace inferd::http {
namespace {

Request Req(Verb m, std::string_view path, std::string_view body = "") {
  Request r;
  r.method = m;
  r.target = path;
  r.path = path;
  r.body = body;
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(Verb::post, "/predict",
                [](const Request& r, Response* resp) { resp->body = "p:" + std::string(r.body); });
    router_.Add(Verb::get, "/healthz", [](const Request&, Response* resp) { resp->body = "h"; });
    router_.Add(Verb::get, "/both", [](const Request&, Response* resp) { resp->body = "g"; });
    router_.Add(Verb::put, "/both", [](const Request&, Response* resp) { resp->status = 201; });
  }
  Router router_;
};

TEST_F(RouterTest, DispatchesByPathAndMethod) {
  Response resp;
  EXPECT_EQ(router_.Dispatch(Req(Verb::post, "/predict", "x"), &resp), 0u);
  EXPECT_EQ(resp.body, "p:x");
  resp.Reset();
  EXPECT_EQ(router_.Dispatch(Req(Verb::get, "/healthz"), &resp), 1u);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "h");
  resp.Reset();
  EXPECT_EQ(router_.Dispatch(Req(Verb::put, "/both"), &resp), 2u);
  EXPECT_EQ(resp.status, 201);
}

TEST_F(RouterTest, UnknownPathIs404OnTheOtherRoute) {
  Response resp;
  EXPECT_EQ(router_.Dispatch(Req(Verb::get, "/nope"), &resp), router_.n_routes());
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.body, "{\"error\":\"no such path: /nope\"}\n");
  resp.Reset();
  EXPECT_EQ(router_.Dispatch(Req(Verb::post, "/predict/"), &resp), router_.n_routes());
  EXPECT_EQ(resp.status, 404);
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Response resp;
  EXPECT_EQ(router_.Dispatch(Req(Verb::get, "/predict"), &resp), 0u);
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(resp.extra_headers, "Allow: POST\r\n");
  EXPECT_EQ(resp.body, "{\"error\":\"method GET is not allowed on /predict\"}\n");
  resp.Reset();
  router_.Dispatch(Req(Verb::delete_, "/both"), &resp);
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(resp.extra_headers, "Allow: GET, PUT\r\n");
}

TEST_F(RouterTest, MetricLabelsEndWithOther) {
  EXPECT_EQ(router_.MetricLabels(), (std::vector<std::string>{"/predict", "/healthz", "/both", "other"}));
}

TEST(MessageTest, SerializeResponse) {
  Response r;
  r.status = 405;
  r.body = "{}\n";
  r.extra_headers = "Allow: POST\r\n";
  std::string out;
  SerializeResponse(r, /*keep_alive=*/false, false, "Sun, 06 Nov 1994 08:49:37 GMT", &out);
  EXPECT_EQ(out,
            "HTTP/1.1 405 Method Not Allowed\r\nServer: inferd\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: application/json\r\nContent-Length: 3\r\nConnection: close\r\nAllow: POST\r\n\r\n{}\n");
  out.clear();
  r.Reset();
  SerializeResponse(r, true, /*http10=*/true, "D", &out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: inferd\r\nDate: D\r\nContent-Type: application/json\r\n"
            "Content-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(MessageTest, HttpDateAndStatusMapping) {
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 413);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
}

TEST(RouterPatternTest, CapturesSegmentsAndSuffixes) {
  Router router;
  router.Add(Verb::get, "/v2/models/{name}",
             [](const Request& r, Response* resp) { resp->body = "m:" + std::string(r.params[0]); });
  router.Add(Verb::get, "/v2/models/{name}/versions/{version}", [](const Request& r, Response* resp) {
    resp->body = std::string(r.params[0]) + "@" + std::string(r.params[1]);
  });
  router.Add(Verb::post, "/v1/models/{name}:predict",
             [](const Request& r, Response* resp) { resp->body = "p:" + std::string(r.params[0]); });
  Response resp;
  Request req = Req(Verb::get, "/v2/models/iris");
  EXPECT_EQ(router.Dispatch(&req, &resp), 0u);
  EXPECT_EQ(resp.body, "m:iris");
  resp.Reset();
  req = Req(Verb::get, "/v2/models/iris/versions/3");
  EXPECT_EQ(router.Dispatch(&req, &resp), 1u);
  EXPECT_EQ(resp.body, "iris@3");
  resp.Reset();
  req = Req(Verb::post, "/v1/models/iris:predict");
  EXPECT_EQ(router.Dispatch(&req, &resp), 2u);
  EXPECT_EQ(resp.body, "p:iris");
  resp.Reset();
  req = Req(Verb::post, "/v1/models/:predict");  // empty capture
  EXPECT_EQ(router.Dispatch(&req, &resp), router.n_routes());
  resp.Reset();
  req = Req(Verb::get, "/v2/models/iris/extra");
  EXPECT_EQ(router.Dispatch(&req, &resp), router.n_routes());
  EXPECT_EQ(resp.status, 404);
  resp.Reset();
  req = Req(Verb::get, "/v2/models/");
  EXPECT_EQ(router.Dispatch(&req, &resp), router.n_routes());
  resp.Reset();
  req = Req(Verb::delete_, "/v2/models/iris");
  EXPECT_EQ(router.Dispatch(&req, &resp), 0u);
  EXPECT_EQ(resp.status, 405);
}

}  // namespace
}  // namespace inferd::http
