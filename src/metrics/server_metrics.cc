#include "metrics/server_metrics.h"

#include "common/json_number.h"

namespace inferd {
namespace {

size_t CodeSlot(int code) {
  for (size_t i = 0; i < ServerMetrics::kCodes.size(); ++i) {
    if (ServerMetrics::kCodes[i] == code) return i;
  }
  int cls = code / 100;
  if (cls < 1 || cls > 5) cls = 5;
  return ServerMetrics::kCodes.size() + static_cast<size_t>(cls - 1);
}

std::string CodeLabel(size_t slot) {
  if (slot < ServerMetrics::kCodes.size()) return std::to_string(ServerMetrics::kCodes[slot]);
  return std::to_string(slot - ServerMetrics::kCodes.size() + 1) + "xx";
}

// Bucket bounds in nanoseconds, so the hot path compares integers.
constexpr uint64_t BucketNanos(size_t i) {
  return static_cast<uint64_t>(ServerMetrics::kBuckets[i] * 1e9 + 0.5);
}

void AppendSeconds(double v, std::string* out) { AppendPythonFloat(v, out); }

}  // namespace

ServerMetrics::Shard::Shard(size_t n_routes)
    : n_routes_(n_routes),
      counts_(new std::atomic<uint64_t>[n_routes * kCodeSlots]),
      buckets_(new std::atomic<uint64_t>[n_routes * kBucketSlots]),
      sum_ns_(new std::atomic<uint64_t>[n_routes]) {
  for (size_t i = 0; i < n_routes * kCodeSlots; ++i) counts_[i].store(0, std::memory_order_relaxed);
  for (size_t i = 0; i < n_routes * kBucketSlots; ++i) buckets_[i].store(0, std::memory_order_relaxed);
  for (size_t i = 0; i < n_routes; ++i) sum_ns_[i].store(0, std::memory_order_relaxed);
}

void ServerMetrics::Shard::RequestFinished(size_t route, int code, uint64_t nanos) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  // Single writer per shard: load+store is enough and avoids locked instructions.
  auto bump = [](std::atomic<uint64_t>& a, uint64_t d) {
    a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  };
  bump(counts_[route * kCodeSlots + CodeSlot(code)], 1);
  size_t b = 0;
  while (b < kBuckets.size() && nanos > BucketNanos(b)) ++b;
  bump(buckets_[route * kBucketSlots + b], 1);
  bump(sum_ns_[route], nanos);
}

ServerMetrics::ServerMetrics(std::vector<std::string> routes, size_t n_shards) : routes_(std::move(routes)) {
  if (n_shards == 0) n_shards = 1;
  for (size_t i = 0; i < n_shards; ++i) shards_.push_back(std::make_unique<Shard>(routes_.size()));
}

void ServerMetrics::SetBuildInfo(std::string version) {
  std::lock_guard<std::mutex> l(info_mu_);
  version_ = std::move(version);
}

void ServerMetrics::SetModelInfo(std::string name, std::string estimator, double load_seconds) {
  std::lock_guard<std::mutex> l(info_mu_);
  model_name_ = std::move(name);
  estimator_ = std::move(estimator);
  load_seconds_ = load_seconds;
  have_model_ = true;
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void ServerMetrics::Render(std::string* out) const {
  const size_t nr = routes_.size();
  const size_t ncs = Shard::kCodeSlots, nbs = Shard::kBucketSlots;
  std::vector<uint64_t> counts(nr * ncs, 0), buckets(nr * nbs, 0), sums(nr, 0);
  int64_t in_flight = 0;
  for (const auto& s : shards_) {
    in_flight += s->in_flight_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < nr * ncs; ++i) counts[i] += s->counts_[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < nr * nbs; ++i) buckets[i] += s->buckets_[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < nr; ++i) sums[i] += s->sum_ns_[i].load(std::memory_order_relaxed);
  }
  // A scrape can land between another thread's counter and gauge updates; never show < 0.
  if (in_flight < 0) in_flight = 0;

  *out += "# HELP inferd_requests_total HTTP requests answered, by route and status code.\n";
  *out += "# TYPE inferd_requests_total counter\n";
  for (size_t r = 0; r < nr; ++r) {
    std::string route = EscapeLabelValue(routes_[r]);
    for (size_t c = 0; c < ncs; ++c) {
      uint64_t v = counts[r * ncs + c];
      // Always expose the 200 series of every route so rate() has a baseline from the start.
      if (v == 0 && !(c == 0 && r + 1 < nr)) continue;
      *out += "inferd_requests_total{route=\"" + route + "\",code=\"" + CodeLabel(c) + "\"} ";
      *out += std::to_string(v);
      *out += '\n';
    }
  }

  *out += "# HELP inferd_request_duration_seconds Time from a request fully read to its response written.\n";
  *out += "# TYPE inferd_request_duration_seconds histogram\n";
  for (size_t r = 0; r < nr; ++r) {
    std::string route = EscapeLabelValue(routes_[r]);
    uint64_t cum = 0;
    for (size_t b = 0; b < nbs; ++b) {
      cum += buckets[r * nbs + b];
      *out += "inferd_request_duration_seconds_bucket{route=\"" + route + "\",le=\"";
      if (b < kBuckets.size()) AppendSeconds(kBuckets[b], out);
      else *out += "+Inf";
      *out += "\"} " + std::to_string(cum) + "\n";
    }
    *out += "inferd_request_duration_seconds_sum{route=\"" + route + "\"} ";
    AppendSeconds(static_cast<double>(sums[r]) / 1e9, out);
    *out += "\ninferd_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(cum) + "\n";
  }

  *out += "# HELP inferd_requests_in_flight Requests being processed right now (read, not yet answered).\n";
  *out += "# TYPE inferd_requests_in_flight gauge\n";
  *out += "inferd_requests_in_flight " + std::to_string(in_flight) + "\n";

  std::lock_guard<std::mutex> l(info_mu_);
  *out += "# HELP inferd_model_load_seconds Time taken to load and validate the served model.\n";
  *out += "# TYPE inferd_model_load_seconds gauge\n";
  *out += "inferd_model_load_seconds ";
  AppendSeconds(load_seconds_, out);
  *out += '\n';
  *out += "# HELP inferd_build_info Build information; the value is always 1.\n";
  *out += "# TYPE inferd_build_info gauge\n";
  *out += "inferd_build_info{version=\"" + EscapeLabelValue(version_) + "\"} 1\n";
  if (have_model_) {
    *out += "# HELP inferd_model_info The served model; the value is always 1.\n";
    *out += "# TYPE inferd_model_info gauge\n";
    *out += "inferd_model_info{name=\"" + EscapeLabelValue(model_name_) + "\",estimator=\"" +
            EscapeLabelValue(estimator_) + "\"} 1\n";
  }
}

}  // namespace inferd
