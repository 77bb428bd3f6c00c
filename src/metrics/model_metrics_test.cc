#include "metrics/model_metrics.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/server_metrics.h"

namespace inferd {
namespace {

bool Contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

TEST(ModelMetricsTest, ExactExposition) {
  ModelStatsRegistry reg;
  reg.For("b\"m")->RecordRequest(Protocol::kV1, 503, 400'000, 30'000);
  reg.For("b\"m")->RecordRequest(Protocol::kReference, 302, 1'000, -1);  // no model call
  reg.For("a")->RecordRequest(Protocol::kV2, 200, 7'000'000'000, 6'000'000'000);
  std::string t;
  reg.Render(&t);
  auto buckets = [](const std::string& family, const std::string& model, const std::vector<int>& cumulative) {
    static const char* const kLe[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
                                      "0.01",   "0.025",   "0.05",   "0.1",   "0.25",   "0.5",
                                      "1.0",    "2.5",     "5.0",    "10.0",  "+Inf"};
    std::string out;
    for (size_t i = 0; i < cumulative.size(); ++i) {
      out += family + "_bucket{model=\"" + model + "\",le=\"" + kLe[i] + "\"} " + std::to_string(cumulative[i]) + "\n";
    }
    return out;
  };
  std::vector<int> slow(17, 0), fast(17, 0), fast_inference(17, 0);
  for (size_t i = 15; i < 17; ++i) slow[i] = 1;             // 7 s, 6 s: le="10.0"
  for (size_t i = 0; i < 17; ++i) fast[i] = i < 2 ? 1 : 2;  // 1 us, 400 us
  for (size_t i = 0; i < 17; ++i) fast_inference[i] = 1;    // 30 us
  EXPECT_EQ(t,
            "# HELP inferd_model_requests_total Inference requests answered, by model, protocol and status code.\n"
            "# TYPE inferd_model_requests_total counter\n"
            "inferd_model_requests_total{model=\"a\",protocol=\"v2\",code=\"200\"} 1\n"
            "inferd_model_requests_total{model=\"b\\\"m\",protocol=\"reference\",code=\"3xx\"} 1\n"
            "inferd_model_requests_total{model=\"b\\\"m\",protocol=\"v1\",code=\"503\"} 1\n"
            "# HELP inferd_model_request_duration_seconds Time in the inference handler (decode, model, encode), by "
            "model.\n"
            "# TYPE inferd_model_request_duration_seconds histogram\n" +
                buckets("inferd_model_request_duration_seconds", "a", slow) +
                "inferd_model_request_duration_seconds_sum{model=\"a\"} 7.0\n"
                "inferd_model_request_duration_seconds_count{model=\"a\"} 1\n" +
                buckets("inferd_model_request_duration_seconds", "b\\\"m", fast) +
                "inferd_model_request_duration_seconds_sum{model=\"b\\\"m\"} 0.000401\n"
                "inferd_model_request_duration_seconds_count{model=\"b\\\"m\"} 2\n"
                "# HELP inferd_inference_duration_seconds Time inside the model's predict/transform calls only, by "
                "model.\n"
                "# TYPE inferd_inference_duration_seconds histogram\n" +
                buckets("inferd_inference_duration_seconds", "a", slow) +
                "inferd_inference_duration_seconds_sum{model=\"a\"} 6.0\n"
                "inferd_inference_duration_seconds_count{model=\"a\"} 1\n" +
                buckets("inferd_inference_duration_seconds", "b\\\"m", fast_inference) +
                "inferd_inference_duration_seconds_sum{model=\"b\\\"m\"} 3e-05\n"
                "inferd_inference_duration_seconds_count{model=\"b\\\"m\"} 1\n");
}

TEST(ModelMetricsTest, CountsByModelProtocolAndCode) {
  ModelStatsRegistry reg;
  ModelStats* iris = reg.For("iris");
  EXPECT_EQ(iris, reg.For("iris"));  // stable: cached by model handles
  iris->RecordRequest(Protocol::kReference, 200, 50'000, 20'000);
  iris->RecordRequest(Protocol::kReference, 200, 2'000'000, 1'000'000);
  iris->RecordRequest(Protocol::kV2, 400, 10'000, -1);  // failed before any model call
  reg.For("wine")->RecordRequest(Protocol::kV1, 418, 10'000, 5'000);
  std::string t;
  reg.Render(&t);
  EXPECT_TRUE(Contains(t, "# TYPE inferd_model_requests_total counter\n")) << t;
  EXPECT_TRUE(Contains(t, "inferd_model_requests_total{model=\"iris\",protocol=\"reference\",code=\"200\"} 2\n")) << t;
  EXPECT_TRUE(Contains(t, "inferd_model_requests_total{model=\"iris\",protocol=\"v2\",code=\"400\"} 1\n"));
  EXPECT_TRUE(Contains(t, "inferd_model_requests_total{model=\"wine\",protocol=\"v1\",code=\"4xx\"} 1\n"));
  EXPECT_TRUE(Contains(t, "inferd_model_request_duration_seconds_bucket{model=\"iris\",le=\"0.0001\"} 2\n"));
  EXPECT_TRUE(Contains(t, "inferd_model_request_duration_seconds_bucket{model=\"iris\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Contains(t, "inferd_model_request_duration_seconds_count{model=\"iris\"} 3\n"));
  // Inference is only recorded for the two requests that reached the model.
  EXPECT_TRUE(Contains(t, "inferd_inference_duration_seconds_bucket{model=\"iris\",le=\"0.0001\"} 1\n"));
  EXPECT_TRUE(Contains(t, "inferd_inference_duration_seconds_bucket{model=\"iris\",le=\"0.001\"} 2\n"));
  EXPECT_TRUE(Contains(t, "inferd_inference_duration_seconds_count{model=\"iris\"} 2\n"));
  EXPECT_TRUE(Contains(t, "inferd_inference_duration_seconds_sum{model=\"iris\"} 0.00102\n")) << t;
}

TEST(ModelMetricsTest, ConcurrentThreadsSumExactly) {
  ModelStatsRegistry reg;
  ModelStats* s = reg.For("m");
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([s] {
      for (int j = 0; j < 10000; ++j) s->RecordRequest(Protocol::kV2, 200, 1000, 500);
    });
  }
  for (auto& t : threads) t.join();
  std::string t;
  reg.Render(&t);
  EXPECT_TRUE(Contains(t, "inferd_model_requests_total{model=\"m\",protocol=\"v2\",code=\"200\"} 120000\n")) << t;
}

TEST(ModelMetricsTest, ServerMetricsRendersProcessAndModelFamilies) {
  ModelStatsRegistry models;
  ServerMetrics m({"/predict", "other"}, 1, &models);
  models.For("iris")->RecordRequest(Protocol::kReference, 200, 1000, 500);
  std::string t;
  m.Render(&t);
  EXPECT_TRUE(Contains(t, "inferd_model_requests_total{model=\"iris\",protocol=\"reference\",code=\"200\"} 1\n"));
  size_t at = t.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(at, std::string::npos) << t;
  EXPECT_GT(std::stoull(t.substr(at + 31)), 1024u * 1024u);  // a running test binary uses > 1 MiB
  EXPECT_GT(ProcessResidentBytes(), 0u);
  at = t.find("\nprocess_start_time_seconds ");
  ASSERT_NE(at, std::string::npos);
  double start = std::stod(t.substr(at + 28));
  double now = static_cast<double>(time(nullptr));
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 3600);  // this test process started within the hour
}

}  // namespace
}  // namespace inferd
