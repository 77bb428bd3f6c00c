#include "metrics/model_metrics.h"

#include "common/json_number.h"
#include "metrics/server_metrics.h"

namespace inferd {
namespace {

static_assert(ServerMetrics::kCodes.size() + 5 == 15, "ModelStats::kCodeSlots out of date");
static_assert(ServerMetrics::kBuckets.size() + 1 == 17, "ModelStats::kBucketSlots out of date");

size_t BucketFor(uint64_t nanos) {
  size_t b = 0;
  while (b < ServerMetrics::kBuckets.size() && static_cast<double>(nanos) > ServerMetrics::kBuckets[b] * 1e9) ++b;
  return b;
}

// Each thread sticks to one shard; threads are spread round-robin as they first record.
size_t ThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % ModelStats::kShards;
  return shard;
}

void Add(std::atomic<uint64_t>& a, uint64_t d) { a.fetch_add(d, std::memory_order_relaxed); }

}  // namespace

const char* ProtocolLabel(Protocol p) {
  switch (p) {
    case Protocol::kReference: return "reference";
    case Protocol::kTransform: return "transform";
    case Protocol::kV1: return "v1";
    case Protocol::kV2: return "v2";
  }
  return "other";
}

void ModelStats::RecordRequest(Protocol p, int code, uint64_t nanos, int64_t inference_nanos) {
  Shard& s = shards_[ThreadShard()];
  Add(s.counts[static_cast<size_t>(p) * kCodeSlots + MetricsCodeSlot(code)], 1);
  Add(s.req_buckets[BucketFor(nanos)], 1);
  Add(s.req_sum_ns, nanos);
  if (inference_nanos >= 0) {
    Add(s.inf_buckets[BucketFor(static_cast<uint64_t>(inference_nanos))], 1);
    Add(s.inf_sum_ns, static_cast<uint64_t>(inference_nanos));
  }
}

void ModelStats::Render(const std::string& model, int which, std::string* out) const {
  auto load = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  if (which == 0) {
    for (size_t p = 0; p < kNumProtocols; ++p) {
      for (size_t c = 0; c < kCodeSlots; ++c) {
        uint64_t v = 0;
        for (const Shard& s : shards_) v += load(s.counts[p * kCodeSlots + c]);
        if (v == 0) continue;
        *out += "inferd_model_requests_total{model=\"" + model + "\",protocol=\"" +
                ProtocolLabel(static_cast<Protocol>(p)) + "\",code=\"" + MetricsCodeLabel(c) + "\"} " +
                std::to_string(v) + "\n";
      }
    }
    return;
  }
  const char* name = which == 1 ? "inferd_model_request_duration_seconds" : "inferd_inference_duration_seconds";
  uint64_t cum = 0, sum = 0;
  for (const Shard& s : shards_) sum += load(which == 1 ? s.req_sum_ns : s.inf_sum_ns);
  for (size_t b = 0; b < kBucketSlots; ++b) {
    for (const Shard& s : shards_) cum += load(which == 1 ? s.req_buckets[b] : s.inf_buckets[b]);
    *out += std::string(name) + "_bucket{model=\"" + model + "\",le=\"";
    if (b < ServerMetrics::kBuckets.size())
      AppendPythonFloat(ServerMetrics::kBuckets[b], out);
    else
      *out += "+Inf";
    *out += "\"} " + std::to_string(cum) + "\n";
  }
  *out += std::string(name) + "_sum{model=\"" + model + "\"} ";
  AppendPythonFloat(static_cast<double>(sum) / 1e9, out);
  *out += "\n" + std::string(name) + "_count{model=\"" + model + "\"} " + std::to_string(cum) + "\n";
}

ModelStats* ModelStatsRegistry::For(const std::string& model) {
  std::lock_guard<std::mutex> l(mu_);
  auto& p = stats_[model];
  if (p == nullptr) p = std::make_unique<ModelStats>();
  return p.get();
}

void ModelStatsRegistry::Render(std::string* out) const {
  static const char* const kHeaders[3] = {
      "# HELP inferd_model_requests_total Inference requests answered, by model, protocol and status code.\n"
      "# TYPE inferd_model_requests_total counter\n",
      "# HELP inferd_model_request_duration_seconds Time in the inference handler (decode, model, encode), by model.\n"
      "# TYPE inferd_model_request_duration_seconds histogram\n",
      "# HELP inferd_inference_duration_seconds Time inside the model's predict/transform calls only, by model.\n"
      "# TYPE inferd_inference_duration_seconds histogram\n"};
  std::lock_guard<std::mutex> l(mu_);
  for (int which = 0; which < 3; ++which) {
    *out += kHeaders[which];
    for (const auto& [name, stats] : stats_) stats->Render(EscapeLabelValue(name), which, out);
  }
}

ModelRequestScope::~ModelRequestScope() {
  if (stats_ == nullptr) return;
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count();
  stats_->RecordRequest(protocol_, *status_, static_cast<uint64_t>(nanos < 0 ? 0 : nanos), inference_ns_);
}

}  // namespace inferd
