#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first.

#include "app/server_app.h"

#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "serving/testing/fake_model.h"

namespace inferd {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

// One request on a fresh connection; returns {status, body}.
std::pair<int, std::string> Fetch(uint16_t port, bhttp::verb method, const std::string& target,
                                  const std::string& body = "") {
  net::io_context ioc;
  net::ip::tcp::socket s(ioc);
  s.connect({net::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "x");
  req.body() = body;
  req.prepare_payload();
  bhttp::write(s, req);
  boost::beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> resp;
  bhttp::read(s, buf, resp);
  return {resp.result_int(), resp.body()};
}

TEST(ServerAppTest, RoutesReadinessAndMetrics) {
  ServerAppOptions o;
  o.http.host = "127.0.0.1";
  o.http.port = 0;
  o.http.threads = 2;
  o.version = "1.2.3";
  auto served = std::make_shared<ServedModel>();
  served->model = std::make_shared<testing::FakeClassifier>(2, std::vector<Label>{Label::Int(0), Label::Int(1)});
  served->name = "fake";
  served->load_seconds = 0.5;
  auto app_or = ServerApp::Create(o, served);
  ASSERT_TRUE(app_or.ok()) << app_or.status().message();
  auto app = std::move(app_or).value();
  app->Start();
  uint16_t port = app->port();

  EXPECT_EQ(Fetch(port, bhttp::verb::post, "/predict", R"({"features":[1,0]})"),
            std::make_pair(200, std::string("{\"prediction\":1}\n")));
  EXPECT_EQ(Fetch(port, bhttp::verb::get, "/healthz").first, 200);
  EXPECT_EQ(Fetch(port, bhttp::verb::get, "/readyz"), std::make_pair(200, std::string("{\"status\":\"ready\"}\n")));
  auto m = Fetch(port, bhttp::verb::get, "/metrics");
  EXPECT_EQ(m.first, 200);
  EXPECT_NE(m.second.find("inferd_requests_total{route=\"/predict\",code=\"200\"} 1\n"), std::string::npos) << m.second;
  EXPECT_NE(m.second.find("inferd_build_info{version=\"1.2.3\"} 1\n"), std::string::npos);
  EXPECT_NE(m.second.find("inferd_model_info{name=\"fake\",estimator=\"FakeClassifier\",version=\"1\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.second.find("inferd_model_load_seconds 0.5\n"), std::string::npos);

  app->SetDraining();
  EXPECT_FALSE(app->ready());
  EXPECT_EQ(Fetch(port, bhttp::verb::get, "/readyz"), std::make_pair(503, std::string("{\"error\":\"draining\"}\n")));
  EXPECT_EQ(Fetch(port, bhttp::verb::get, "/healthz").first, 200);  // alive while draining
  EXPECT_EQ(Fetch(port, bhttp::verb::post, "/predict", R"({"features":[0,0]})").first, 200);

  app->Shutdown();
  EXPECT_TRUE(app->Wait(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
}

}  // namespace
}  // namespace inferd
