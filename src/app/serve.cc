#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include "app/serve.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>

#include "app/reload_loop.h"
#include "app/server_app.h"
#include "logging/log.h"
#include "serving/model_repository.h"

#ifndef INFERD_VERSION
#define INFERD_VERSION "dev"
#endif

namespace inferd {
namespace {

// Waits up to `seconds` for one of the signals in `set`; returns early if one arrives.
void SleepUnlessSignalled(const sigset_t& set, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds(0)) return;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return;  // a second signal cuts the drain period short
  }
}

}  // namespace

int Serve(const ServeConfig& o) {
  // Block the signals before any thread exists; this thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);

  // Load, validate and warm every model before opening the port: a bad file never gets traffic.
  RepositoryOptions ro;
  ro.model_file = o.model;
  ro.name = o.name;
  ro.repository_dir = o.model_repository;
  ro.version_policy = o.version_policy;
  auto models = std::make_shared<ModelManager>();
  ModelRepository repo(ro, models.get());
  Status st = repo.Init();
  if (st.ok()) st = repo.LoadAll();
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 2;
  }
  if (!o.default_model.empty()) {
    if (models->Get(o.default_model, {}) == nullptr) {
      std::fprintf(stderr, "--default-model %s: no such model\n", o.default_model.c_str());
      return 2;
    }
    models->SetDefaultName(o.default_model);
  }
  for (const auto& [name, versions] : models->catalog()->models) {
    const ServedModel& served = *versions.back();
    const Model& m = *served.model;
    std::string classes = "[";
    for (size_t i = 0; i < m.classes().size(); ++i) {
      if (i) classes += ',';
      classes += m.classes()[i].json;
    }
    classes += ']';
    std::string vlist = "[";
    for (size_t i = 0; i < versions.size(); ++i) {
      if (i) vlist += ',';
      vlist += "\"" + versions[i]->version + "\"";
    }
    vlist += ']';
    LogInfo("model loaded")
        .Str("model", name)
        .Raw("versions", vlist)
        .Str("path", served.path)
        .Str("estimator", m.Describe())
        .Str("kind", ModelKindName(m.kind()))
        .Int("n_features", static_cast<int64_t>(m.n_features()))
        .Int("n_outputs", static_cast<int64_t>(m.n_outputs()))
        .Raw("classes", classes)
        .Bool("proba", m.has_proba())
        .Double("load_seconds", served.load_seconds);
  }

  ServerAppOptions app_options;
  app_options.version = INFERD_VERSION;
  app_options.http.host = o.host;
  app_options.http.port = o.port;
  size_t cores = std::thread::hardware_concurrency();
  app_options.http.threads = o.threads > 0 ? o.threads : (cores > 0 ? cores : 1);
  app_options.http.max_body_bytes = o.max_body_bytes;
  app_options.http.idle_timeout = std::chrono::seconds(o.idle_timeout_seconds > 0 ? o.idle_timeout_seconds : 1);
  app_options.http.read_timeout = std::chrono::seconds(o.read_timeout_seconds > 0 ? o.read_timeout_seconds : 1);
  app_options.http.max_inflight = o.max_inflight;
  app_options.http.max_connections = o.max_connections;
  app_options.http.request_timeout = std::chrono::milliseconds(o.request_timeout_ms);
  app_options.http.log_requests = o.log_requests;
  app_options.inference.max_batch_rows = o.max_batch_rows > 0 ? o.max_batch_rows : 1;
  app_options.inference.ignore_extra_columns = o.ignore_extra_columns;
  if (o.enable_model_control) app_options.control = &repo;
  app_options.grpc_enabled = o.grpc_port != 0;
  app_options.grpc.host = o.host;
  app_options.grpc.port = o.grpc_port < 0 ? 0 : static_cast<uint16_t>(o.grpc_port);

  auto app_or = ServerApp::Create(app_options, models);
  if (!app_or.ok()) {
    std::fprintf(stderr, "%s\n", app_or.status().message().c_str());
    return 2;
  }
  std::unique_ptr<ServerApp> app = std::move(app_or).value();
  repo.SetMetrics(&app->metrics());
  app->Start();
  ReloadLoop reload(&repo, o.poll_seconds);
  reload.Start();
  LogInfo("listening")
      .Str("host", o.host)
      .Int("port", app->port())
      .Int("grpc_port", app->grpc_port())
      .Int("threads", static_cast<int64_t>(app_options.http.threads))
      .Str("version", INFERD_VERSION);

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    int changed = repo.Rescan();
    LogInfo("SIGHUP: models rescanned").Int("changed", changed);
  }
  LogInfo("shutting down")
      .Str("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT")
      .Double("drain_seconds", o.drain_seconds)
      .Double("shutdown_timeout_seconds", o.shutdown_timeout_seconds);
  app->SetDraining();  // readiness false at once; keep serving while load balancers catch up
  reload.Stop();
  if (o.drain_seconds > 0) SleepUnlessSignalled(stop_signals, o.drain_seconds);
  app->Shutdown();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                         std::chrono::duration<double>(o.shutdown_timeout_seconds));
  bool clean = app->Wait(deadline);
  if (clean) {
    LogInfo("stopped");
  } else {
    LogWarn("stopped; connections still open at the shutdown deadline were dropped");
  }
  return 0;
}

}  // namespace inferd
