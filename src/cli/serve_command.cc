#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include "cli/serve_command.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "inferd/loader.h"
#include "logging/log.h"
#include "serving/serving_app.h"

#ifndef INFERD_VERSION
#define INFERD_VERSION "dev"
#endif

namespace inferd::cli {
namespace {

const char* KindName(ModelKind k) {
  switch (k) {
    case ModelKind::kClassifier: return "classifier";
    case ModelKind::kRegressor: return "regressor";
    case ModelKind::kTransformer: return "transformer";
  }
  return "unknown";
}

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

int RunServe(const ServeOptions& o) {
  // Block the shutdown signals before any thread exists; this thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Load (and validate) the model before opening the port: a bad file never gets traffic.
  auto t0 = std::chrono::steady_clock::now();
  StatusOr<std::shared_ptr<const Model>> loaded = LoadModelFile(o.model);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 2;
  }
  double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto served = std::make_shared<ServedModel>();
  served->model = std::move(loaded).value();
  served->name = ModelNameFromPath(o.model);
  served->path = o.model;
  served->load_seconds = load_seconds;

  const Model& m = *served->model;
  std::string classes = "[";
  for (size_t i = 0; i < m.classes().size(); ++i) {
    if (i) classes += ',';
    classes += m.classes()[i].json;
  }
  classes += ']';
  LogInfo("model loaded")
      .Str("model", served->name)
      .Str("path", o.model)
      .Str("estimator", m.Describe())
      .Str("kind", KindName(m.kind()))
      .Int("n_features", static_cast<int64_t>(m.n_features()))
      .Int("n_outputs", static_cast<int64_t>(m.n_outputs()))
      .Raw("classes", classes)
      .Bool("proba", m.has_proba())
      .Double("load_seconds", load_seconds);

  ServingAppOptions app_options;
  app_options.version = INFERD_VERSION;
  app_options.http.host = o.host;
  app_options.http.port = o.port;
  size_t cores = std::thread::hardware_concurrency();
  app_options.http.threads = o.threads > 0 ? o.threads : (cores > 0 ? cores : 1);
  app_options.http.max_body_bytes = o.max_body_bytes;
  app_options.http.idle_timeout = std::chrono::seconds(o.idle_timeout_seconds > 0 ? o.idle_timeout_seconds : 1);
  app_options.http.log_requests = o.log_requests;
  app_options.predict.max_batch_rows = o.max_batch_rows > 0 ? o.max_batch_rows : 1;

  auto app_or = ServingApp::Create(app_options, served);
  if (!app_or.ok()) {
    std::fprintf(stderr, "%s\n", app_or.status().message().c_str());
    return 2;
  }
  std::unique_ptr<ServingApp> app = std::move(app_or).value();
  app->Start();
  LogInfo("listening")
      .Str("host", o.host)
      .Int("port", app->port())
      .Int("threads", static_cast<int64_t>(app_options.http.threads))
      .Str("version", INFERD_VERSION);

  int sig = 0;
  sigwait(&signals, &sig);
  LogInfo("shutting down")
      .Str("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT")
      .Double("drain_seconds", o.drain_seconds)
      .Double("shutdown_timeout_seconds", o.shutdown_timeout_seconds);
  app->SetDraining();  // readiness false at once; keep serving while load balancers catch up
  if (o.drain_seconds > 0) SleepUnlessSignalled(signals, o.drain_seconds);
  app->Shutdown();
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(o.shutdown_timeout_seconds));
  bool clean = app->Wait(deadline);
  if (clean) {
    LogInfo("stopped");
  } else {
    LogWarn("stopped; connections still open at the shutdown deadline were dropped");
  }
  return 0;
}

void AddServeCommand(CLI::App& app) {
  auto opts = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model.pkl over HTTP (POST /predict, /healthz, /readyz, /metrics).");
  cmd->add_option("--model", opts->model, "Path of the model file (joblib.dump or pickle.dump of a scikit-learn estimator)")
      ->required()
      ->envname("INFERD_MODEL");
  cmd->add_option("--host", opts->host, "Address to listen on")->envname("INFERD_HOST")->capture_default_str();
  cmd->add_option("--port", opts->port, "TCP port to listen on; 0 picks a free port (logged as \"listening\")")
      ->envname("INFERD_PORT")
      ->capture_default_str();
  cmd->add_option("--threads", opts->threads, "Event-loop threads (default: number of CPU cores)")
      ->envname("INFERD_THREADS")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--max-body-bytes", opts->max_body_bytes, "Largest request body accepted; larger ones get 413")
      ->envname("INFERD_MAX_BODY_BYTES")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-batch-rows", opts->max_batch_rows, "Most rows accepted in one {\"instances\": [...]} request; more get 413")
      ->envname("INFERD_MAX_BATCH_ROWS")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--idle-timeout-seconds", opts->idle_timeout_seconds,
                  "Close a connection idle (or stuck mid-request) this long")
      ->envname("INFERD_IDLE_TIMEOUT_SECONDS")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--drain-seconds", opts->drain_seconds,
                  "On SIGTERM/SIGINT, report not-ready but keep serving this long before closing the listener")
      ->envname("INFERD_DRAIN_SECONDS")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--shutdown-timeout-seconds", opts->shutdown_timeout_seconds,
                  "After the drain period, how long in-flight requests may take before connections are dropped")
      ->envname("INFERD_SHUTDOWN_TIMEOUT_SECONDS")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--log-requests", opts->log_requests, "Log one JSON line per request (off by default)")
      ->envname("INFERD_LOG_REQUESTS");
  cmd->callback([opts]() { std::exit(RunServe(*opts)); });
}

}  // namespace inferd::cli
