#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include "cli/serve_command.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "app/server_app.h"
#include "inferd/loader.h"
#include "logging/log.h"
#include "serving/model_repository.h"

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
  ro.poll_seconds = o.poll_seconds;
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
        .Str("kind", KindName(m.kind()))
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
  if (o.enable_model_control) app_options.control = &repo;

  auto app_or = ServerApp::Create(app_options, models);
  if (!app_or.ok()) {
    std::fprintf(stderr, "%s\n", app_or.status().message().c_str());
    return 2;
  }
  std::unique_ptr<ServerApp> app = std::move(app_or).value();
  repo.SetMetrics(&app->metrics());
  app->Start();
  repo.StartPolling();
  LogInfo("listening")
      .Str("host", o.host)
      .Int("port", app->port())
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
  repo.StopPolling();
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

void AddServeCommand(CLI::App& app) {
  auto opts = std::make_shared<ServeOptions>();
  CLI::App* cmd =
      app.add_subcommand("serve", "Serve a model.pkl over HTTP (POST /predict, /healthz, /readyz, /metrics).");
  auto* model_opt = cmd->add_option("--model", opts->model,
                                    "Path of the model file (joblib.dump or pickle.dump of a scikit-learn estimator)")
                        ->envname("INFERD_MODEL");
  cmd->add_option("--name", opts->name, "Name of the --model model (default: the file's stem, e.g. iris for iris.pkl)")
      ->envname("INFERD_MODEL_NAME");
  auto* repo_opt = cmd->add_option("--model-repository", opts->model_repository,
                                   "Serve every model in DIR: DIR/<name>/<version>/model.pkl")
                       ->envname("INFERD_MODEL_REPOSITORY");
  model_opt->excludes(repo_opt);
  repo_opt->excludes(model_opt);
  cmd->add_option("--version-policy", opts->version_policy,
                  "Versions served from the repository: latest, latest:N or specific:V1,V2")
      ->envname("INFERD_VERSION_POLICY")
      ->capture_default_str();
  cmd->add_option("--default-model", opts->default_model,
                  "Model answered on /predict and /transform (default: the first by name)")
      ->envname("INFERD_DEFAULT_MODEL");
  cmd->add_option("--poll-seconds", opts->poll_seconds,
                  "Check model files for changes (mtime, size, inode) this often and hot-reload them; 0 = off (SIGHUP "
                  "still reloads)")
      ->envname("INFERD_POLL_SECONDS")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--enable-model-control", opts->enable_model_control,
                "Serve POST /v2/repository/models/{name}/load|unload")
      ->envname("INFERD_ENABLE_MODEL_CONTROL");
  cmd->add_option(
         "--max-inflight", opts->max_inflight,
         "Requests read and not yet answered, server-wide; beyond it answer 503 + Retry-After at once (0 = unlimited)")
      ->envname("INFERD_MAX_INFLIGHT")
      ->capture_default_str();
  cmd->add_option("--request-timeout-ms", opts->request_timeout_ms,
                  "Deadline per request from when it is fully read; still queued at its deadline -> 504 (0 = none; "
                  "clients may shorten it with X-Request-Timeout-Ms)")
      ->envname("INFERD_REQUEST_TIMEOUT_MS")
      ->capture_default_str();
  cmd->add_option("--read-timeout-seconds", opts->read_timeout_seconds,
                  "A started request must be fully received (headers and body) within this, else 408 and close")
      ->envname("INFERD_READ_TIMEOUT_SECONDS")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-connections", opts->max_connections,
                  "Open connections, server-wide; more get one 503 and are closed (0 = unlimited)")
      ->envname("INFERD_MAX_CONNECTIONS")
      ->capture_default_str();
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
  cmd->add_option("--max-batch-rows", opts->max_batch_rows,
                  "Most rows accepted in one {\"instances\": [...]} request; more get 413")
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
  cmd->callback([opts]() {
    if (opts->model.empty() && opts->model_repository.empty()) {
      std::fprintf(stderr, "serve: give --model FILE or --model-repository DIR\n");
      std::exit(2);
    }
    std::exit(RunServe(*opts));
  });
}

}  // namespace inferd::cli
