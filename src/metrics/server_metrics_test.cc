#include "metrics/server_metrics.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace inferd {
namespace {

bool Contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

TEST(ServerMetricsTest, CountsSummedAcrossShards) {
  ServerMetrics m({"/predict", "/healthz", "other"}, 2);
  m.shard(0).RequestStarted();
  m.shard(0).RequestFinished(0, 200, 50'000);  // 50 us
  m.shard(1).RequestStarted();
  m.shard(1).RequestFinished(0, 200, 2'000'000);  // 2 ms
  m.shard(1).RequestStarted();
  m.shard(1).RequestFinished(0, 400, 300'000);
  m.shard(0).RequestStarted();
  m.shard(0).RequestFinished(2, 404, 1000);
  m.shard(0).RequestStarted();  // still in flight
  m.shard(1).RequestStarted();
  m.shard(1).RequestFinished(1, 418, 1000);
  std::string t;
  m.Render(&t);
  EXPECT_TRUE(Contains(t, "inferd_requests_total{route=\"/predict\",code=\"200\"} 2\n")) << t;
  EXPECT_TRUE(Contains(t, "inferd_requests_total{route=\"/predict\",code=\"400\"} 1\n"));
  EXPECT_TRUE(Contains(t, "inferd_requests_total{route=\"other\",code=\"404\"} 1\n"));
  EXPECT_TRUE(Contains(t, "inferd_requests_total{route=\"/healthz\",code=\"4xx\"} 1\n"));
  EXPECT_TRUE(Contains(t, "inferd_requests_total{route=\"/healthz\",code=\"200\"} 0\n"));
  EXPECT_FALSE(Contains(t, "code=\"500\""));
  EXPECT_TRUE(Contains(t, "inferd_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0001\"} 1\n"));
  EXPECT_TRUE(Contains(t, "inferd_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0005\"} 2\n"));
  EXPECT_TRUE(Contains(t, "inferd_request_duration_seconds_bucket{route=\"/predict\",le=\"0.001\"} 2\n"));
  EXPECT_TRUE(Contains(t, "inferd_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0025\"} 3\n"));
  EXPECT_TRUE(Contains(t, "inferd_request_duration_seconds_bucket{route=\"/predict\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Contains(t, "inferd_request_duration_seconds_sum{route=\"/predict\"} 0.00235\n"));
  EXPECT_TRUE(Contains(t, "inferd_request_duration_seconds_count{route=\"/predict\"} 3\n"));
  EXPECT_TRUE(Contains(t, "inferd_requests_in_flight 1\n"));
}

TEST(ServerMetricsTest, InfoMetricsEscaped) {
  ServerMetrics m({"/predict", "other"}, 1);
  m.SetBuildInfo("0.1.0");
  m.SetModelInfo("iris", "Pipeline(\"a\"\\b)", 0.25);
  std::string t;
  m.Render(&t);
  EXPECT_TRUE(Contains(t, "inferd_build_info{version=\"0.1.0\"} 1\n"));
  EXPECT_TRUE(Contains(t, "inferd_model_info{name=\"iris\",estimator=\"Pipeline(\\\"a\\\"\\\\b)\",version=\"1\"} 1\n"))
      << t;
  EXPECT_TRUE(Contains(t, "inferd_model_load_seconds 0.25\n"));
}

TEST(ServerMetricsTest, ConcurrentWritersAndScrapes) {
  ServerMetrics m({"/predict", "other"}, 2);
  auto work = [&](size_t s) {
    for (int i = 0; i < 100000; ++i) {
      m.shard(s).RequestStarted();
      m.shard(s).RequestFinished(0, 200, 1000);
    }
  };
  std::thread a(work, 0), b(work, 1);
  for (int i = 0; i < 50; ++i) {
    std::string t;
    m.Render(&t);
  }
  a.join();
  b.join();
  std::string t;
  m.Render(&t);
  EXPECT_TRUE(Contains(t, "inferd_requests_total{route=\"/predict\",code=\"200\"} 200000\n"));
  EXPECT_TRUE(Contains(t, "inferd_requests_in_flight 0\n"));
}

// The exposition must satisfy the real Prometheus linter (skipped if promtool is missing).
TEST(ServerMetricsTest, PromtoolAcceptsOutput) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool not installed";
  ServerMetrics m({"/predict", "/metrics", "other"}, 2);
  m.SetBuildInfo("0.1.0");
  m.SetModelInfo("iris", "LogisticRegression", 0.01);
  m.shard(1).RequestStarted();
  m.shard(1).RequestFinished(0, 413, 123456);
  std::string t;
  m.Render(&t);
  std::string path = ::testing::TempDir() + "metrics.txt";
  std::ofstream(path) << t;
  std::string cmd = "promtool check metrics < " + path + " > " + path + ".out 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(path + ".out");
  std::string report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << report << "\n" << t;
  EXPECT_EQ(report, "") << t;
}

}  // namespace
}  // namespace inferd
