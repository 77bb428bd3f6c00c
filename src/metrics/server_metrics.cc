#include "metrics/server_metrics.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/json_number.h"

namespace inferd {

size_t MetricsCodeSlot(int code) {
  for (size_t i = 0; i < ServerMetrics::kCodes.size(); ++i) {
    if (ServerMetrics::kCodes[i] == code) return i;
  }
  int cls = code / 100;
  if (cls < 1 || cls > 5) cls = 5;
  return ServerMetrics::kCodes.size() + static_cast<size_t>(cls - 1);
}

std::string MetricsCodeLabel(size_t slot) {
  if (slot < ServerMetrics::kCodes.size()) return std::to_string(ServerMetrics::kCodes[slot]);
  return std::to_string(slot - ServerMetrics::kCodes.size() + 1) + "xx";
}

namespace {

// Bucket bounds in nanoseconds, so the hot path compares integers.
constexpr uint64_t BucketNanos(size_t i) { return static_cast<uint64_t>(ServerMetrics::kBuckets[i] * 1e9 + 0.5); }

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

void ServerMetrics::Shard::RequestDequeued(uint64_t nanos) {
  Bump(queued_, int64_t{-1});
  size_t b = 0;
  while (b < kBuckets.size() && nanos > BucketNanos(b)) ++b;
  Bump(wait_buckets_[b], uint64_t{1});
  Bump(wait_sum_ns_, nanos);
}

void ServerMetrics::Shard::RequestFinished(size_t route, int code, uint64_t nanos) {
  Bump(in_flight_, int64_t{-1});
  auto bump = [](std::atomic<uint64_t>& a, uint64_t d) { Bump(a, d); };
  bump(counts_[route * kCodeSlots + MetricsCodeSlot(code)], 1);
  size_t b = 0;
  while (b < kBuckets.size() && nanos > BucketNanos(b)) ++b;
  bump(buckets_[route * kBucketSlots + b], 1);
  bump(sum_ns_[route], nanos);
}

uint64_t ProcessResidentBytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return 0;
  long page = sysconf(_SC_PAGESIZE);
  return resident * static_cast<uint64_t>(page > 0 ? page : 4096);
}

double ProcessStartTimeSeconds(double fallback) {
  // /proc/self/stat field 22 is the start time in clock ticks after boot; /proc/stat's btime is
  // the boot time in Unix seconds. Field 2 (comm) may contain spaces, so parse after its ')'.
  std::ifstream sf("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(sf)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return fallback;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  unsigned long long start_ticks = 0;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) start_ticks = std::strtoull(field.c_str(), nullptr, 10);
  }
  std::ifstream bf("/proc/stat");
  std::string line;
  double btime = -1;
  while (std::getline(bf, line)) {
    if (line.rfind("btime ", 0) == 0) btime = std::strtod(line.c_str() + 6, nullptr);
  }
  long hz = sysconf(_SC_CLK_TCK);
  if (btime < 0 || start_ticks == 0 || hz <= 0) return fallback;
  return btime + static_cast<double>(start_ticks) / static_cast<double>(hz);
}

ServerMetrics::ServerMetrics(std::vector<std::string> routes, size_t n_shards, const ModelStatsRegistry* model_stats)
    : routes_(std::move(routes)),
      model_stats_(model_stats),
      start_time_seconds_(ProcessStartTimeSeconds(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count())) {
  if (n_shards == 0) n_shards = 1;
  for (size_t i = 0; i < n_shards; ++i) shards_.push_back(std::make_unique<Shard>(routes_.size()));
}

void ServerMetrics::SetBuildInfo(std::string version) {
  std::lock_guard<std::mutex> l(info_mu_);
  version_ = std::move(version);
}

void ServerMetrics::SetModelInfo(std::string name, std::string estimator, double load_seconds) {
  SetServedModels({ModelVersionInfo{name, "1", std::move(estimator)}});
  CountModelLoad(name, load_seconds);
}

void ServerMetrics::SetServedModels(std::vector<ModelVersionInfo> models) {
  std::lock_guard<std::mutex> l(info_mu_);
  served_ = std::move(models);
}

void ServerMetrics::CountModelLoad(const std::string& model, double seconds) {
  std::lock_guard<std::mutex> l(info_mu_);
  load_seconds_ = seconds;
  for (auto& e : loads_) {
    if (e.first == model) return void(++e.second.first);
  }
  loads_.push_back({model, {1, 0}});
}

void ServerMetrics::CountModelLoadFailure(const std::string& model) {
  std::lock_guard<std::mutex> l(info_mu_);
  for (auto& e : loads_) {
    if (e.first == model) return void(++e.second.second);
  }
  loads_.push_back({model, {0, 1}});
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void ServerMetrics::Render(std::string* out) const {
  const size_t nr = routes_.size();
  const size_t ncs = Shard::kCodeSlots, nbs = Shard::kBucketSlots;
  std::vector<uint64_t> counts(nr * ncs, 0), buckets(nr * nbs, 0), sums(nr, 0);
  int64_t in_flight = 0, queued = 0, conns = 0, shed = 0, deadline = 0;
  std::vector<uint64_t> wait(nbs, 0);
  uint64_t wait_sum = 0;
  for (const auto& s : shards_) {
    in_flight += s->in_flight_.load(std::memory_order_relaxed);
    queued += s->queued_.load(std::memory_order_relaxed);
    conns += s->connections_.load(std::memory_order_relaxed);
    shed += s->shed_.load(std::memory_order_relaxed);
    deadline += s->deadline_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < nbs; ++i) wait[i] += s->wait_buckets_[i].load(std::memory_order_relaxed);
    wait_sum += s->wait_sum_ns_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < nr * ncs; ++i) counts[i] += s->counts_[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < nr * nbs; ++i) buckets[i] += s->buckets_[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < nr; ++i) sums[i] += s->sum_ns_[i].load(std::memory_order_relaxed);
  }
  // A scrape can land between another thread's counter and gauge updates; never show < 0.
  if (in_flight < 0) in_flight = 0;
  if (queued < 0) queued = 0;

  *out += "# HELP inferd_requests_total HTTP requests answered, by route and status code.\n";
  *out += "# TYPE inferd_requests_total counter\n";
  for (size_t r = 0; r < nr; ++r) {
    std::string route = EscapeLabelValue(routes_[r]);
    for (size_t c = 0; c < ncs; ++c) {
      uint64_t v = counts[r * ncs + c];
      // Always expose the 200 series of every route so rate() has a baseline from the start.
      if (v == 0 && !(c == 0 && r + 1 < nr)) continue;
      *out += "inferd_requests_total{route=\"" + route + "\",code=\"" + MetricsCodeLabel(c) + "\"} ";
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
      if (b < kBuckets.size())
        AppendSeconds(kBuckets[b], out);
      else
        *out += "+Inf";
      *out += "\"} " + std::to_string(cum) + "\n";
    }
    *out += "inferd_request_duration_seconds_sum{route=\"" + route + "\"} ";
    AppendSeconds(static_cast<double>(sums[r]) / 1e9, out);
    *out += "\ninferd_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(cum) + "\n";
  }

  *out += "# HELP inferd_requests_in_flight Requests being processed right now (read, not yet answered).\n";
  *out += "# TYPE inferd_requests_in_flight gauge\n";
  *out += "inferd_requests_in_flight " + std::to_string(in_flight) + "\n";
  *out += "# HELP inferd_requests_queued Requests read and waiting for their event loop (queue depth).\n";
  *out += "# TYPE inferd_requests_queued gauge\n";
  *out += "inferd_requests_queued " + std::to_string(queued) + "\n";
  *out += "# HELP inferd_queue_wait_seconds Time from a request fully read to its handler starting.\n";
  *out += "# TYPE inferd_queue_wait_seconds histogram\n";
  {
    uint64_t cum = 0;
    for (size_t b = 0; b < nbs; ++b) {
      cum += wait[b];
      *out += "inferd_queue_wait_seconds_bucket{le=\"";
      if (b < kBuckets.size())
        AppendSeconds(kBuckets[b], out);
      else
        *out += "+Inf";
      *out += "\"} " + std::to_string(cum) + "\n";
    }
    *out += "inferd_queue_wait_seconds_sum ";
    AppendSeconds(static_cast<double>(wait_sum) / 1e9, out);
    *out += "\ninferd_queue_wait_seconds_count " + std::to_string(cum) + "\n";
  }
  *out += "# HELP inferd_requests_shed_total Requests refused with 503 by --max-inflight or --max-connections.\n";
  *out += "# TYPE inferd_requests_shed_total counter\n";
  *out += "inferd_requests_shed_total " + std::to_string(shed) + "\n";
  *out +=
      "# HELP inferd_request_deadline_exceeded_total Requests answered 504 because their deadline passed while "
      "queued.\n";
  *out += "# TYPE inferd_request_deadline_exceeded_total counter\n";
  *out += "inferd_request_deadline_exceeded_total " + std::to_string(deadline) + "\n";
  *out += "# HELP inferd_connections Open client connections.\n";
  *out += "# TYPE inferd_connections gauge\n";
  *out += "inferd_connections " + std::to_string(conns < 0 ? 0 : conns) + "\n";

  if (model_stats_ != nullptr) model_stats_->Render(out);

  *out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n";
  *out += "# TYPE process_resident_memory_bytes gauge\n";
  *out += "process_resident_memory_bytes " + std::to_string(ProcessResidentBytes()) + "\n";
  *out += "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n";
  *out += "# TYPE process_start_time_seconds gauge\n";
  *out += "process_start_time_seconds ";
  AppendPythonFloat(start_time_seconds_, out);
  *out += '\n';

  std::lock_guard<std::mutex> l(info_mu_);
  *out += "# HELP inferd_model_loads_total Successful model loads (start-up and reloads), by model.\n";
  *out += "# TYPE inferd_model_loads_total counter\n";
  for (const auto& e : loads_) {
    *out += "inferd_model_loads_total{model=\"" + EscapeLabelValue(e.first) + "\"} " + std::to_string(e.second.first) +
            "\n";
  }
  *out +=
      "# HELP inferd_model_load_failures_total Model loads or reloads that failed (the previous version kept "
      "serving).\n";
  *out += "# TYPE inferd_model_load_failures_total counter\n";
  for (const auto& e : loads_) {
    *out += "inferd_model_load_failures_total{model=\"" + EscapeLabelValue(e.first) + "\"} " +
            std::to_string(e.second.second) + "\n";
  }
  *out += "# HELP inferd_model_versions_loaded Model versions being served, by model.\n";
  *out += "# TYPE inferd_model_versions_loaded gauge\n";
  {
    std::vector<std::pair<std::string, int>> per;
    for (const auto& m : served_) {
      bool found = false;
      for (auto& p : per) {
        if (p.first == m.name) {
          ++p.second;
          found = true;
        }
      }
      if (!found) per.push_back({m.name, 1});
    }
    for (const auto& p : per) {
      *out += "inferd_model_versions_loaded{model=\"" + EscapeLabelValue(p.first) + "\"} " + std::to_string(p.second) +
              "\n";
    }
  }
  *out += "# HELP inferd_model_load_seconds Time taken to load and validate the served model.\n";
  *out += "# TYPE inferd_model_load_seconds gauge\n";
  *out += "inferd_model_load_seconds ";
  AppendSeconds(load_seconds_, out);
  *out += '\n';
  *out += "# HELP inferd_build_info Build information; the value is always 1.\n";
  *out += "# TYPE inferd_build_info gauge\n";
  *out += "inferd_build_info{version=\"" + EscapeLabelValue(version_) + "\"} 1\n";
  if (!served_.empty()) {
    *out += "# HELP inferd_model_info The served model versions; the value is always 1.\n";
    *out += "# TYPE inferd_model_info gauge\n";
    for (const auto& m : served_) {
      *out += "inferd_model_info{name=\"" + EscapeLabelValue(m.name) + "\",estimator=\"" +
              EscapeLabelValue(m.estimator) + "\",version=\"" + EscapeLabelValue(m.version) + "\"} 1\n";
    }
  }
}

}  // namespace inferd
