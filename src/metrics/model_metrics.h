// Per-model request metrics: which model answered how many requests over which protocol with
// which status, how long the handler took, and how long the Model call itself took.
//
//   inferd_model_requests_total{model,protocol,code}   counter
//   inferd_model_request_duration_seconds{model}       histogram (handler entry -> response built)
//   inferd_inference_duration_seconds{model}           histogram (time inside the Model calls only)
//
// Hot path: a request gets its ModelStats* with its model handle (ModelManager::Find resolves
// it once per catalog publish) and then only does relaxed fetch_adds (prom::SharedWriter) on one of
// kShards cache-line aligned shards chosen per thread, so server threads do not share cache lines.
//
// Thread safety: every method is safe from any thread. ModelStats objects are owned by their
// ModelStatsRegistry, never freed before it, and keep counting across reloads of their model.
#ifndef INFERD_METRICS_MODEL_METRICS_H_
#define INFERD_METRICS_MODEL_METRICS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "metrics/prometheus.h"

namespace inferd {

// The protocol a request came in over; the `protocol` label value.
enum class Protocol : uint8_t { kReference = 0, kTransform, kV1, kV2, kMlflow, kGrpc };
inline constexpr size_t kNumProtocols = 6;
const char* ProtocolLabel(Protocol p);

class ModelStats {
 public:
  static constexpr size_t kShards = 8;
  // `nanos`: handler time; `inference_nanos`: time in Model calls, or -1 if none ran (e.g. the
  // request failed to decode).
  void RecordRequest(Protocol p, int code, uint64_t nanos, int64_t inference_nanos);

  // The shards summed, for one scrape.
  struct Totals {
    std::array<std::array<uint64_t, prom::kCodeSlots>, kNumProtocols> requests{};  // [protocol][prom::CodeSlot]
    prom::HistogramTotal request_duration, inference_duration;
  };
  Totals Sum() const;

 private:
  using W = prom::SharedWriter;  // any thread may land on any shard
  struct alignas(64) Shard {
    prom::Counter<W> requests[kNumProtocols][prom::kCodeSlots];
    prom::Histogram<W> request_duration, inference_duration;
  };
  std::array<Shard, kShards> shards_;
};

// Owns one ModelStats per model name (created on first use, never removed).
class ModelStatsRegistry {
 public:
  // Takes a mutex: call once per model version (ServedModel caches the result), not per request.
  ModelStats* For(const std::string& model);
  // Appends the three families above, with HELP and TYPE lines, models in name order.
  void Render(std::string* out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<ModelStats>> stats_;  // guarded by mu_
};

}  // namespace inferd

#endif  // INFERD_METRICS_MODEL_METRICS_H_
