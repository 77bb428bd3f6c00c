#include "metrics/model_metrics.h"

#include <atomic>
#include <utility>
#include <vector>

namespace inferd {
namespace {

using prom::Family;
using prom::Labels;
using prom::MetricType;

constexpr Family kModelRequests{"inferd_model_requests_total", MetricType::kCounter,
                                "Inference requests answered, by model, protocol and status code."};
constexpr Family kModelRequestDuration{"inferd_model_request_duration_seconds", MetricType::kHistogram,
                                       "Time in the inference handler (decode, model, encode), by model."};
constexpr Family kInferenceDuration{"inferd_inference_duration_seconds", MetricType::kHistogram,
                                    "Time inside the model's predict/transform calls only, by model."};

// Each thread sticks to one shard; threads are spread round-robin as they first record.
size_t ThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % ModelStats::kShards;
  return shard;
}

}  // namespace

const char* ProtocolLabel(Protocol p) {
  switch (p) {
    case Protocol::kReference: return "reference";
    case Protocol::kTransform: return "transform";
    case Protocol::kV1: return "v1";
    case Protocol::kV2: return "v2";
    case Protocol::kMlflow: return "mlflow";
    case Protocol::kGrpc: return "grpc";
  }
  return "other";
}

void ModelStats::RecordRequest(Protocol p, int code, uint64_t nanos, int64_t inference_nanos) {
  Shard& s = shards_[ThreadShard()];
  s.requests[static_cast<size_t>(p)][prom::CodeSlot(code)].Add();
  s.request_duration.Observe(nanos);
  if (inference_nanos >= 0) s.inference_duration.Observe(static_cast<uint64_t>(inference_nanos));
}

ModelStats::Totals ModelStats::Sum() const {
  Totals t;
  for (const Shard& s : shards_) {
    for (size_t p = 0; p < kNumProtocols; ++p) {
      for (size_t c = 0; c < prom::kCodeSlots; ++c) t.requests[p][c] += s.requests[p][c].Load();
    }
    t.request_duration.Add(s.request_duration);
    t.inference_duration.Add(s.inference_duration);
  }
  return t;
}

ModelStats* ModelStatsRegistry::For(const std::string& model) {
  std::lock_guard<std::mutex> l(mu_);
  auto& p = stats_[model];
  if (p == nullptr) p = std::make_unique<ModelStats>();
  return p.get();
}

void ModelStatsRegistry::Render(std::string* out) const {
  std::vector<std::pair<Labels, ModelStats::Totals>> models;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, stats] : stats_) models.emplace_back(Labels("model", name), stats->Sum());
  }
  kModelRequests.Header(out);
  for (const auto& [model, t] : models) {
    for (size_t p = 0; p < kNumProtocols; ++p) {
      for (size_t c = 0; c < prom::kCodeSlots; ++c) {
        if (t.requests[p][c] == 0) continue;
        Labels labels =
            model.With("protocol", ProtocolLabel(static_cast<Protocol>(p))).With("code", prom::CodeLabel(c));
        kModelRequests.Sample(labels, t.requests[p][c], out);
      }
    }
  }
  kModelRequestDuration.Header(out);
  for (const auto& [model, t] : models) t.request_duration.Render(kModelRequestDuration, model, out);
  kInferenceDuration.Header(out);
  for (const auto& [model, t] : models) t.inference_duration.Render(kInferenceDuration, model, out);
}

}  // namespace inferd
