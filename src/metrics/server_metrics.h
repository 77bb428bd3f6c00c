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
//   inferd_model_info{name,estimator,version}   gauge, always 1, one per served version
//   process_resident_memory_bytes               gauge (read from /proc/self/statm at scrape time)
//   process_start_time_seconds                  gauge (Unix time the process started)
//   plus the per-model families of metrics/model_metrics.h (the registry given to the constructor).
//
// Hot path: each server thread owns a Shard (cache-line aligned, single-writer cells, see
// metrics/prometheus.h); Render() sums the shards, without any lock or fence on the request path.
//
// Thread safety: Shard methods from the owning thread only; Set*(), Count*() and Render() from
// any thread.
#ifndef INFERD_METRICS_SERVER_METRICS_H_
#define INFERD_METRICS_SERVER_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/model_metrics.h"
#include "metrics/prometheus.h"

namespace inferd {

class ServerMetrics {
 public:
  class alignas(64) Shard {
   public:
    explicit Shard(size_t n_routes);
    void RequestStarted() { in_flight_.Add(1); }
    void RequestQueued() { queued_.Add(1); }
    // `wait_nanos`: from the request fully read to its handler starting.
    void RequestDequeued(uint64_t wait_nanos);
    void Shed() { shed_.Add(); }
    void DeadlineExceeded() { deadline_.Add(); }
    void ConnectionOpened() { connections_.Add(1); }
    void ConnectionClosed() { connections_.Add(-1); }
    // REQUIRES: route < number of routes given to ServerMetrics (the "other" route included).
    void RequestFinished(size_t route, int code, uint64_t nanos);

   private:
    friend class ServerMetrics;
    using W = prom::SingleWriter;  // only the owning thread writes
    struct alignas(64) Route {
      prom::Counter<W> requests[prom::kCodeSlots];  // by prom::CodeSlot
      prom::Histogram<W> duration;
    };
    prom::Gauge<W> in_flight_, queued_, connections_;
    prom::Counter<W> shed_, deadline_;
    prom::Histogram<W> queue_wait_;
    std::unique_ptr<Route[]> routes_;
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
  // Single-model form for callers that serve one model: one version "1".
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
  struct ModelLoads {
    std::string model;
    uint64_t ok = 0, failed = 0;
  };
  ModelLoads& LoadsFor(const std::string& model);  // REQUIRES: info_mu_ held

  void RenderRequests(std::string* out) const;
  void RenderModelInfo(std::string* out) const;

  const std::vector<std::string> routes_;
  std::vector<std::unique_ptr<Shard>> shards_;
  const ModelStatsRegistry* const model_stats_;
  const double start_time_seconds_;  // process start (Unix seconds)

  mutable std::mutex info_mu_;
  std::string version_;                   // guarded by info_mu_
  std::vector<ModelVersionInfo> served_;  // guarded by info_mu_
  std::vector<ModelLoads> loads_;         // guarded by info_mu_, in first-seen order
  double load_seconds_ = 0;               // guarded by info_mu_
};

// Process metrics read from /proc: resident set size in bytes (0 if unreadable), and the
// process start as Unix seconds (`fallback` if unreadable).
uint64_t ProcessResidentBytes();
double ProcessStartTimeSeconds(double fallback);

}  // namespace inferd

#endif  // INFERD_METRICS_SERVER_METRICS_H_
