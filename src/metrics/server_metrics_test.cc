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

// One family's lines: from its HELP line up to the next family's (or the end).
std::string Block(const std::string& t, const std::string& family) {
  size_t a = t.find("# HELP " + family + " ");
  if (a == std::string::npos) return "";
  size_t b = t.find("# HELP ", a + 1);
  return t.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

TEST(ServerMetricsTest, ExactExposition) {
  ServerMetrics m({"/p", "/q\"", "other"}, 2);
  m.shard(0).RequestStarted();
  m.shard(0).RequestFinished(0, 200, 50'000);
  m.shard(1).RequestStarted();
  m.shard(1).RequestFinished(0, 599, 3'000'000);
  m.shard(1).RequestStarted();
  m.shard(1).RequestFinished(2, 404, 1000);
  m.shard(0).RequestStarted();  // still in flight
  m.shard(0).RequestQueued();
  m.shard(0).RequestDequeued(200'000);
  m.shard(1).RequestQueued();
  m.shard(1).RequestDequeued(20'000'000'000);
  m.shard(1).RequestQueued();  // still queued
  m.shard(0).Shed();
  m.shard(1).Shed();
  m.shard(1).DeadlineExceeded();
  m.shard(0).ConnectionOpened();
  m.shard(1).ConnectionOpened();
  m.shard(0).ConnectionClosed();
  std::string t;
  m.Render(&t);
  // The 200 series of every route but the catch-all is always there; other codes when counted.
  EXPECT_EQ(Block(t, "inferd_requests_total"),
            "# HELP inferd_requests_total HTTP requests answered, by route and status code.\n"
            "# TYPE inferd_requests_total counter\n"
            "inferd_requests_total{route=\"/p\",code=\"200\"} 1\n"
            "inferd_requests_total{route=\"/p\",code=\"5xx\"} 1\n"
            "inferd_requests_total{route=\"/q\\\"\",code=\"200\"} 0\n"
            "inferd_requests_total{route=\"other\",code=\"404\"} 1\n");
  std::string duration = Block(t, "inferd_request_duration_seconds");
  EXPECT_TRUE(duration.starts_with(
      "# HELP inferd_request_duration_seconds Time from a request fully read to its response written.\n"
      "# TYPE inferd_request_duration_seconds histogram\n"
      "inferd_request_duration_seconds_bucket{route=\"/p\",le=\"0.0001\"} 1\n"))
      << duration;
  EXPECT_TRUE(Contains(duration,
                       "inferd_request_duration_seconds_bucket{route=\"/p\",le=\"10.0\"} 2\n"
                       "inferd_request_duration_seconds_bucket{route=\"/p\",le=\"+Inf\"} 2\n"
                       "inferd_request_duration_seconds_sum{route=\"/p\"} 0.00305\n"
                       "inferd_request_duration_seconds_count{route=\"/p\"} 2\n"
                       "inferd_request_duration_seconds_bucket{route=\"/q\\\"\",le=\"0.0001\"} 0\n"));
  EXPECT_TRUE(
      duration.ends_with("inferd_request_duration_seconds_sum{route=\"other\"} 1e-06\n"
                         "inferd_request_duration_seconds_count{route=\"other\"} 1\n"));
  EXPECT_EQ(Block(t, "inferd_requests_in_flight") + Block(t, "inferd_requests_queued"),
            "# HELP inferd_requests_in_flight Requests being processed right now (read, not yet answered).\n"
            "# TYPE inferd_requests_in_flight gauge\n"
            "inferd_requests_in_flight 1\n"
            "# HELP inferd_requests_queued Requests read and waiting for their event loop (queue depth).\n"
            "# TYPE inferd_requests_queued gauge\n"
            "inferd_requests_queued 1\n");
  EXPECT_EQ(Block(t, "inferd_queue_wait_seconds"),
            "# HELP inferd_queue_wait_seconds Time from a request fully read to its handler starting.\n"
            "# TYPE inferd_queue_wait_seconds histogram\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.0001\"} 0\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.00025\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.0005\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.001\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.0025\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.005\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.01\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.025\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.05\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.1\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.25\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"0.5\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"1.0\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"2.5\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"5.0\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"10.0\"} 1\n"
            "inferd_queue_wait_seconds_bucket{le=\"+Inf\"} 2\n"
            "inferd_queue_wait_seconds_sum 20.0002\n"
            "inferd_queue_wait_seconds_count 2\n");
  EXPECT_EQ(Block(t, "inferd_requests_shed_total") + Block(t, "inferd_request_deadline_exceeded_total") +
                Block(t, "inferd_connections"),
            "# HELP inferd_requests_shed_total Requests refused with 503 by --max-inflight or --max-connections.\n"
            "# TYPE inferd_requests_shed_total counter\n"
            "inferd_requests_shed_total 2\n"
            "# HELP inferd_request_deadline_exceeded_total Requests answered 504 because their deadline passed "
            "while queued.\n"
            "# TYPE inferd_request_deadline_exceeded_total counter\n"
            "inferd_request_deadline_exceeded_total 1\n"
            "# HELP inferd_connections Open client connections.\n"
            "# TYPE inferd_connections gauge\n"
            "inferd_connections 1\n");
}

TEST(ServerMetricsTest, ExactModelLoadAndInfoFamilies) {
  ServerMetrics m({"/p", "other"}, 1);
  m.SetBuildInfo("0.1.0");
  m.SetServedModels({{"iris", "1", "LR"}, {"iris", "2", "Pipeline(\"a\"\\b)"}, {"wine", "1", "RF"}});
  m.CountModelLoad("iris", 0.5);
  m.CountModelLoad("wine", 0.25);
  m.CountModelLoadFailure("wine");
  std::string t;
  m.Render(&t);
  size_t at = t.find("# HELP inferd_model_loads_total ");
  ASSERT_NE(at, std::string::npos) << t;
  EXPECT_EQ(t.substr(at),
            "# HELP inferd_model_loads_total Successful model loads (start-up and reloads), by model.\n"
            "# TYPE inferd_model_loads_total counter\n"
            "inferd_model_loads_total{model=\"iris\"} 1\n"
            "inferd_model_loads_total{model=\"wine\"} 1\n"
            "# HELP inferd_model_load_failures_total Model loads or reloads that failed (the previous version kept "
            "serving).\n"
            "# TYPE inferd_model_load_failures_total counter\n"
            "inferd_model_load_failures_total{model=\"iris\"} 0\n"
            "inferd_model_load_failures_total{model=\"wine\"} 1\n"
            "# HELP inferd_model_versions_loaded Model versions being served, by model.\n"
            "# TYPE inferd_model_versions_loaded gauge\n"
            "inferd_model_versions_loaded{model=\"iris\"} 2\n"
            "inferd_model_versions_loaded{model=\"wine\"} 1\n"
            "# HELP inferd_model_load_seconds Time taken to load and validate the served model.\n"
            "# TYPE inferd_model_load_seconds gauge\n"
            "inferd_model_load_seconds 0.25\n"
            "# HELP inferd_build_info Build information; the value is always 1.\n"
            "# TYPE inferd_build_info gauge\n"
            "inferd_build_info{version=\"0.1.0\"} 1\n"
            "# HELP inferd_model_info The served model versions; the value is always 1.\n"
            "# TYPE inferd_model_info gauge\n"
            "inferd_model_info{name=\"iris\",estimator=\"LR\",version=\"1\"} 1\n"
            "inferd_model_info{name=\"iris\",estimator=\"Pipeline(\\\"a\\\"\\\\b)\",version=\"2\"} 1\n"
            "inferd_model_info{name=\"wine\",estimator=\"RF\",version=\"1\"} 1\n");
}

// The families in exposition order (what dashboards and the integration tests read).
TEST(ServerMetricsTest, FamilyOrder) {
  ModelStatsRegistry models;  // the per-model families render between the server's and process_*
  ServerMetrics m({"other"}, 1, &models);
  m.SetModelInfo("iris", "LR", 0.1);
  std::string t, types;
  m.Render(&t);
  for (size_t at = t.find("# TYPE "); at != std::string::npos; at = t.find("# TYPE ", at + 1)) {
    types += t.substr(at + 7, t.find(' ', at + 7) - at - 7) + "\n";
  }
  EXPECT_EQ(types,
            "inferd_requests_total\ninferd_request_duration_seconds\ninferd_requests_in_flight\n"
            "inferd_requests_queued\ninferd_queue_wait_seconds\ninferd_requests_shed_total\n"
            "inferd_request_deadline_exceeded_total\ninferd_connections\ninferd_model_requests_total\n"
            "inferd_model_request_duration_seconds\ninferd_inference_duration_seconds\n"
            "process_resident_memory_bytes\nprocess_start_time_seconds\ninferd_model_loads_total\n"
            "inferd_model_load_failures_total\ninferd_model_versions_loaded\ninferd_model_load_seconds\n"
            "inferd_build_info\ninferd_model_info\n");
}

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
