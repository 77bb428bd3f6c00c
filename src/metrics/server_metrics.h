// The server's Prometheus metrics and their text exposition (format 0.0.4).
//
//   inferd_requests_total{route,code}           counter
//   inferd_request_duration_seconds{route}      histogram (request fully read -> response written)
//   inferd_requests_in_flight                   gauge (the autoscaling load signal)
//   inferd_requests_queued                      gauge (read, waiting for the event loop)
//   inferd_queue_wait_seconds                   histogram (request read -> handler starts)
//   inferd_requests_shed_total                  counter (503 from --max-inflight / --max-connections)
//   inferd_request_deadline_exceeded_total      counter (504)
//   inferd_connections                          gauge (open connections)
//   inferd_model_load_seconds                   gauge (the most recent successful load)
//   inferd_model_loads_total{model}             counter (successful loads, reloads included)
//   inferd_model_load_failures_total{model}     counter
//   inferd_model_versions_loaded{model}         gauge
//   inferd_build_info{version}                  gauge, always 1
//   inferd_model_info{name,version,estimator}   gauge, always 1, one per served version
//   process_resident_memory_bytes               gauge (read from /proc/self/statm at scrape time)
//   process_start_time_seconds                  gauge (Unix time the process started)
//   plus the per-model families of metrics/model_metrics.h (model_stats()).
//
// Hot path: each server thread owns a Shard (cache-line aligned, relaxed atomics written only
// by that thread); Render() sums the shards. Relaxed atomics make concurrent scrapes well
// defined without any lock or fence on the request path.
//
// Thread safety: Shard methods from the owning thread only; Set*() and Render() from any thread.
#ifndef INFERD_METRICS_SERVER_METRICS_H_
#define INFERD_METRICS_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/model_metrics.h"

namespace inferd {

class ServerMetrics {
 public:
  // Status codes counted individually; anything else is counted as "other" by class (e.g. "5xx").
  static constexpr std::array<int, 10> kCodes = {200, 400, 404, 405, 408, 413, 431, 500, 501, 503};
  // Histogram upper bounds in seconds (+Inf is implicit).
  static constexpr std::array<double, 16> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

  class alignas(64) Shard {
   public:
    Shard(size_t n_routes);
    void RequestStarted() { Bump(in_flight_, 1); }
    void RequestQueued() { Bump(queued_, 1); }
    // `wait_nanos`: from the request fully read to its handler starting.
    void RequestDequeued(uint64_t wait_nanos);
    void Shed() { Bump(shed_, 1); }
    void DeadlineExceeded() { Bump(deadline_, 1); }
    void ConnectionOpened() { Bump(connections_, 1); }
    void ConnectionClosed() { Bump(connections_, -1); }
    // REQUIRES: route < number of routes given to ServerMetrics (the "other" route included).
    void RequestFinished(size_t route, int code, uint64_t nanos);

   private:
    friend class ServerMetrics;
    static constexpr size_t kCodeSlots = kCodes.size() + 5;  // + 1xx..5xx fallbacks
    static constexpr size_t kBucketSlots = kBuckets.size() + 1;
    // Single writer per shard: load+store is enough and avoids locked instructions.
    template <typename T, typename D>
    static void Bump(std::atomic<T>& a, D d) {
      a.store(a.load(std::memory_order_relaxed) + static_cast<T>(d), std::memory_order_relaxed);
    }
    size_t n_routes_;
    std::atomic<int64_t> in_flight_{0};
    std::atomic<int64_t> queued_{0};
    std::atomic<int64_t> connections_{0};
    std::atomic<int64_t> shed_{0};
    std::atomic<int64_t> deadline_{0};
    std::atomic<uint64_t> wait_buckets_[kBucketSlots] = {};
    std::atomic<uint64_t> wait_sum_ns_{0};
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;   // [route][code slot]
    std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // [route][bucket] (non-cumulative)
    std::unique_ptr<std::atomic<uint64_t>[]> sum_ns_;   // [route]
  };

  // `routes` are the label values for route (e.g. "/predict"); the last one should be the
  // catch-all for unmatched paths. One shard per server thread.
  // `model_stats` (may be null; must outlive this object) holds the per-model families, rendered
  // with the rest.
  ServerMetrics(std::vector<std::string> routes, size_t n_shards, const ModelStatsRegistry* model_stats = nullptr);
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // REQUIRES: i < n_shards.
  Shard& shard(size_t i) { return *shards_[i]; }
  size_t n_routes() const { return routes_.size(); }

  void SetBuildInfo(std::string version);
  // Single-model form (kept for callers that serve one model): one version "1".
  void SetModelInfo(std::string name, std::string estimator, double load_seconds);
  struct ModelVersionInfo {
    std::string name, version, estimator;
  };
  // Replaces the list of served model versions (inferd_model_info, inferd_model_versions_loaded).
  void SetServedModels(std::vector<ModelVersionInfo> models);
  // A load (or reload) of `model` succeeded in `seconds` / failed.
  void CountModelLoad(const std::string& model, double seconds);
  void CountModelLoadFailure(const std::string& model);

  // Appends the exposition text to *out.
  void Render(std::string* out) const;

 private:
  const std::vector<std::string> routes_;
  std::vector<std::unique_ptr<Shard>> shards_;
  const ModelStatsRegistry* const model_stats_;
  const double start_time_seconds_;  // process start (Unix seconds)

  mutable std::mutex info_mu_;
  std::string version_;                                                       // guarded by info_mu_
  std::vector<ModelVersionInfo> served_;                                      // guarded by info_mu_
  std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> loads_;  // model -> (ok, failed); guarded
  double load_seconds_ = 0;                                                   // guarded by info_mu_
};

// The status-code slot for a code (ServerMetrics::kCodes index, else 1xx..5xx after them) and
// its `code` label value. Shared with metrics/model_metrics.cc.
size_t MetricsCodeSlot(int code);
std::string MetricsCodeLabel(size_t slot);

// Process metrics read from /proc: resident set size in bytes (0 if unreadable), and the
// process start as Unix seconds (`fallback` if unreadable).
uint64_t ProcessResidentBytes();
double ProcessStartTimeSeconds(double fallback);

// Escapes a label value for the text format (backslash, double quote, newline).
std::string EscapeLabelValue(const std::string& v);

}  // namespace inferd

#endif  // INFERD_METRICS_SERVER_METRICS_H_
