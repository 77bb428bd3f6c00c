#include "metrics/prometheus.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace inferd::prom {
namespace {

constexpr Family kHits{"test_hits_total", MetricType::kCounter, "Hits, by path."};
constexpr Family kLatency{"test_latency_seconds", MetricType::kHistogram, "Latency."};

TEST(PrometheusTest, CodeSlotsCountKnownCodesAndClassesOfOthers) {
  EXPECT_EQ(CodeLabel(CodeSlot(200)), "200");
  EXPECT_EQ(CodeLabel(CodeSlot(503)), "503");
  EXPECT_EQ(CodeLabel(CodeSlot(101)), "1xx");
  EXPECT_EQ(CodeLabel(CodeSlot(204)), "2xx");
  EXPECT_EQ(CodeLabel(CodeSlot(302)), "3xx");
  EXPECT_EQ(CodeLabel(CodeSlot(418)), "4xx");
  EXPECT_EQ(CodeLabel(CodeSlot(599)), "5xx");
  EXPECT_EQ(CodeLabel(CodeSlot(0)), "5xx");  // out of range: counted as a server error
  EXPECT_EQ(CodeLabel(CodeSlot(600)), "5xx");
  EXPECT_EQ(CodeSlot(599), kCodeSlots - 1);
}

TEST(PrometheusTest, BucketBoundsAreInclusive) {
  EXPECT_EQ(BucketSlot(0), 0u);
  EXPECT_EQ(BucketSlot(100'000), 0u);  // le="0.0001"
  EXPECT_EQ(BucketSlot(100'001), 1u);
  EXPECT_EQ(BucketSlot(250'000), 1u);
  EXPECT_EQ(BucketSlot(10'000'000'000), kBucketSlots - 2);  // le="10"
  EXPECT_EQ(BucketSlot(10'000'000'001), kBucketSlots - 1);  // +Inf
}

TEST(PrometheusTest, LabelsAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  Labels l("path", "/x\"y");
  EXPECT_EQ(l.With("code", "2xx").text(), "path=\"/x\\\"y\",code=\"2xx\"");
  EXPECT_EQ(l.text(), "path=\"/x\\\"y\"");  // With() leaves the original alone
}

TEST(PrometheusTest, FamilyRendersHeaderAndSamples) {
  std::string t;
  kHits.Header(&t);
  kHits.Sample(Labels("path", "/a").With("code", CodeLabel(CodeSlot(404))), 3, &t);
  kHits.Sample({}, 0, &t);
  constexpr Family kRatio{"test_ratio", MetricType::kGauge, "A ratio."};
  kRatio.Header(&t);
  kRatio.FloatSample({}, 0.25, &t);
  kRatio.FloatSample(Labels("k", "v"), 2, &t);
  EXPECT_EQ(t,
            "# HELP test_hits_total Hits, by path.\n"
            "# TYPE test_hits_total counter\n"
            "test_hits_total{path=\"/a\",code=\"404\"} 3\n"
            "test_hits_total 0\n"
            "# HELP test_ratio A ratio.\n"
            "# TYPE test_ratio gauge\n"
            "test_ratio 0.25\n"
            "test_ratio{k=\"v\"} 2.0\n");
}

TEST(PrometheusTest, HistogramRendersCumulativeBucketsSumAndCount) {
  Histogram<SingleWriter> a;
  Histogram<SharedWriter> b;
  a.Observe(50'000);          // 0.0001
  a.Observe(2'000'000);       // 0.0025
  b.Observe(300'000);         // 0.0005
  b.Observe(20'000'000'000);  // +Inf
  HistogramTotal total;
  total.Add(a);
  total.Add(b);
  EXPECT_EQ(total.count(), 4u);
  EXPECT_EQ(total.sum_nanos(), 20'002'350'000u);
  std::string t;
  kLatency.Header(&t);
  total.Render(kLatency, Labels("path", "/a"), &t);
  HistogramTotal().Render(kLatency, {}, &t);
  EXPECT_EQ(t,
            "# HELP test_latency_seconds Latency.\n"
            "# TYPE test_latency_seconds histogram\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.0001\"} 1\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.00025\"} 1\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.0005\"} 2\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.001\"} 2\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.0025\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.005\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.01\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.025\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.05\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.1\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.25\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"0.5\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"1.0\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"2.5\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"5.0\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"10.0\"} 3\n"
            "test_latency_seconds_bucket{path=\"/a\",le=\"+Inf\"} 4\n"
            "test_latency_seconds_sum{path=\"/a\"} 20.00235\n"
            "test_latency_seconds_count{path=\"/a\"} 4\n"
            "test_latency_seconds_bucket{le=\"0.0001\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.00025\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.0005\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.001\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.0025\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.005\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.01\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.025\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.05\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.1\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.25\"} 0\n"
            "test_latency_seconds_bucket{le=\"0.5\"} 0\n"
            "test_latency_seconds_bucket{le=\"1.0\"} 0\n"
            "test_latency_seconds_bucket{le=\"2.5\"} 0\n"
            "test_latency_seconds_bucket{le=\"5.0\"} 0\n"
            "test_latency_seconds_bucket{le=\"10.0\"} 0\n"
            "test_latency_seconds_bucket{le=\"+Inf\"} 0\n"
            "test_latency_seconds_sum 0.0\n"
            "test_latency_seconds_count 0\n");
}

TEST(PrometheusTest, GaugeGoesBothWays) {
  Gauge<SingleWriter> g;
  g.Add(2);
  g.Add(-3);
  EXPECT_EQ(g.Load(), -1);
}

// Several threads on one SharedWriter cell; one SingleWriter shard per thread, summed while written.
TEST(PrometheusTest, ConcurrentWritersSumExactly) {
  constexpr int kThreads = 4, kPerThread = 50'000;
  Counter<SharedWriter> shared_count;
  Histogram<SharedWriter> shared_hist;
  std::vector<Histogram<SingleWriter>> own(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) {
        shared_count.Add();
        shared_hist.Observe(1000);
        own[i].Observe(2000);
      }
    });
  }
  for (int k = 0; k < 20; ++k) {  // scrapes while writing never see more than was written
    HistogramTotal t;
    for (const auto& h : own) t.Add(h);
    EXPECT_LE(t.count(), uint64_t{kThreads} * kPerThread);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared_count.Load(), uint64_t{kThreads} * kPerThread);
  HistogramTotal shared_total, own_total;
  shared_total.Add(shared_hist);
  for (const auto& h : own) own_total.Add(h);
  EXPECT_EQ(shared_total.count(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(shared_total.sum_nanos(), uint64_t{kThreads} * kPerThread * 1000);
  EXPECT_EQ(own_total.count(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(own_total.sum_nanos(), uint64_t{kThreads} * kPerThread * 2000);
}

}  // namespace
}  // namespace inferd::prom
