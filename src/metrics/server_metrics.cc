#include "metrics/server_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace inferd {
namespace {

using prom::Family;
using prom::Labels;
using prom::MetricType;

constexpr Family kRequests{"inferd_requests_total", MetricType::kCounter,
                           "HTTP requests answered, by route and status code."};
constexpr Family kRequestDuration{"inferd_request_duration_seconds", MetricType::kHistogram,
                                  "Time from a request fully read to its response written."};
constexpr Family kInFlight{"inferd_requests_in_flight", MetricType::kGauge,
                           "Requests being processed right now (read, not yet answered)."};
constexpr Family kQueued{"inferd_requests_queued", MetricType::kGauge,
                         "Requests read and waiting for their event loop (queue depth)."};
constexpr Family kQueueWait{"inferd_queue_wait_seconds", MetricType::kHistogram,
                            "Time from a request fully read to its handler starting."};
constexpr Family kShed{"inferd_requests_shed_total", MetricType::kCounter,
                       "Requests refused with 503 by --max-inflight or --max-connections."};
constexpr Family kDeadlineExceeded{"inferd_request_deadline_exceeded_total", MetricType::kCounter,
                                   "Requests answered 504 because their deadline passed while queued."};
constexpr Family kConnections{"inferd_connections", MetricType::kGauge, "Open client connections."};
constexpr Family kResidentMemory{"process_resident_memory_bytes", MetricType::kGauge, "Resident memory size in bytes."};
constexpr Family kStartTime{"process_start_time_seconds", MetricType::kGauge,
                            "Start time of the process since unix epoch in seconds."};
constexpr Family kModelLoads{"inferd_model_loads_total", MetricType::kCounter,
                             "Successful model loads (start-up and reloads), by model."};
constexpr Family kModelLoadFailures{"inferd_model_load_failures_total", MetricType::kCounter,
                                    "Model loads or reloads that failed (the previous version kept serving)."};
constexpr Family kModelVersionsLoaded{"inferd_model_versions_loaded", MetricType::kGauge,
                                      "Model versions being served, by model."};
constexpr Family kModelLoadSeconds{"inferd_model_load_seconds", MetricType::kGauge,
                                   "Time taken to load and validate the served model."};
constexpr Family kBuildInfo{"inferd_build_info", MetricType::kGauge, "Build information; the value is always 1."};
constexpr Family kModelInfo{"inferd_model_info", MetricType::kGauge,
                            "The served model versions; the value is always 1."};

// A scrape can land between another thread's counter and gauge updates; never show < 0.
uint64_t NonNegative(int64_t v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }

}  // namespace

ServerMetrics::Shard::Shard(size_t n_routes) : routes_(new Route[n_routes]) {}

void ServerMetrics::Shard::RequestDequeued(uint64_t wait_nanos) {
  queued_.Add(-1);
  queue_wait_.Observe(wait_nanos);
}

void ServerMetrics::Shard::RequestFinished(size_t route, int code, uint64_t nanos) {
  in_flight_.Add(-1);
  Route& r = routes_[route];
  r.requests[prom::CodeSlot(code)].Add();
  r.duration.Observe(nanos);
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

ServerMetrics::ModelLoads& ServerMetrics::LoadsFor(const std::string& model) {
  for (auto& e : loads_) {
    if (e.model == model) return e;
  }
  return loads_.emplace_back(ModelLoads{model});
}

void ServerMetrics::CountModelLoad(const std::string& model, double seconds) {
  std::lock_guard<std::mutex> l(info_mu_);
  load_seconds_ = seconds;
  ++LoadsFor(model).ok;
}

void ServerMetrics::CountModelLoadFailure(const std::string& model) {
  std::lock_guard<std::mutex> l(info_mu_);
  ++LoadsFor(model).failed;
}

void ServerMetrics::Render(std::string* out) const {
  RenderRequests(out);
  if (model_stats_ != nullptr) model_stats_->Render(out);
  kResidentMemory.Header(out);
  kResidentMemory.Sample({}, ProcessResidentBytes(), out);
  kStartTime.Header(out);
  kStartTime.FloatSample({}, start_time_seconds_, out);
  RenderModelInfo(out);
}

void ServerMetrics::RenderRequests(std::string* out) const {
  const size_t nr = routes_.size();
  std::vector<std::array<uint64_t, prom::kCodeSlots>> requests(nr);
  std::vector<prom::HistogramTotal> durations(nr);
  int64_t in_flight = 0, queued = 0, connections = 0;
  uint64_t shed = 0, deadline = 0;
  prom::HistogramTotal queue_wait;
  for (const auto& s : shards_) {
    in_flight += s->in_flight_.Load();
    queued += s->queued_.Load();
    connections += s->connections_.Load();
    shed += s->shed_.Load();
    deadline += s->deadline_.Load();
    queue_wait.Add(s->queue_wait_);
    for (size_t r = 0; r < nr; ++r) {
      for (size_t c = 0; c < prom::kCodeSlots; ++c) requests[r][c] += s->routes_[r].requests[c].Load();
      durations[r].Add(s->routes_[r].duration);
    }
  }

  kRequests.Header(out);
  for (size_t r = 0; r < nr; ++r) {
    for (size_t c = 0; c < prom::kCodeSlots; ++c) {
      // Always expose the 200 series of every route but the catch-all, so rate() has a baseline from the start.
      bool baseline = c == prom::CodeSlot(200) && r + 1 < nr;
      if (requests[r][c] == 0 && !baseline) continue;
      kRequests.Sample(Labels("route", routes_[r]).With("code", prom::CodeLabel(c)), requests[r][c], out);
    }
  }
  kRequestDuration.Header(out);
  for (size_t r = 0; r < nr; ++r) durations[r].Render(kRequestDuration, Labels("route", routes_[r]), out);
  kInFlight.Header(out);
  kInFlight.Sample({}, NonNegative(in_flight), out);
  kQueued.Header(out);
  kQueued.Sample({}, NonNegative(queued), out);
  kQueueWait.Header(out);
  queue_wait.Render(kQueueWait, {}, out);
  kShed.Header(out);
  kShed.Sample({}, shed, out);
  kDeadlineExceeded.Header(out);
  kDeadlineExceeded.Sample({}, deadline, out);
  kConnections.Header(out);
  kConnections.Sample({}, NonNegative(connections), out);
}

void ServerMetrics::RenderModelInfo(std::string* out) const {
  std::lock_guard<std::mutex> l(info_mu_);
  kModelLoads.Header(out);
  for (const auto& e : loads_) kModelLoads.Sample(Labels("model", e.model), e.ok, out);
  kModelLoadFailures.Header(out);
  for (const auto& e : loads_) kModelLoadFailures.Sample(Labels("model", e.model), e.failed, out);

  kModelVersionsLoaded.Header(out);
  std::vector<std::pair<std::string, uint64_t>> versions;  // model -> versions, in first-served order
  for (const auto& m : served_) {
    auto it = std::find_if(versions.begin(), versions.end(), [&](const auto& v) { return v.first == m.name; });
    if (it == versions.end())
      versions.emplace_back(m.name, 1);
    else
      ++it->second;
  }
  for (const auto& [model, n] : versions) kModelVersionsLoaded.Sample(Labels("model", model), n, out);

  kModelLoadSeconds.Header(out);
  kModelLoadSeconds.FloatSample({}, load_seconds_, out);
  kBuildInfo.Header(out);
  kBuildInfo.Sample(Labels("version", version_), 1, out);
  if (served_.empty()) return;
  kModelInfo.Header(out);
  for (const auto& m : served_) {
    kModelInfo.Sample(Labels("name", m.name).With("estimator", m.estimator).With("version", m.version), 1, out);
  }
}

}  // namespace inferd
