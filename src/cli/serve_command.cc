#include "cli/serve_command.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "app/serve.h"

namespace inferd::cli {

void AddServeCommand(CLI::App& app) {
  auto opts = std::make_shared<ServeConfig>();
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
                  "A started request must be fully received (headers and body) within this, else 408 and close "
                  "(gRPC: DEADLINE_EXCEEDED and the stream reset)")
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
  cmd->add_option("--grpc-port", opts->grpc_port,
                  "TCP port of the gRPC API (Open Inference Protocol, health, reflection) on the same --host; "
                  "0 turns gRPC off, -1 picks a free port (logged as \"grpc_port\" in \"listening\")")
      ->envname("INFERD_GRPC_PORT")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
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
  cmd->add_flag("--ignore-extra-columns", opts->ignore_extra_columns,
                "Rows sent by column name (named /predict rows, V1/V2/MLflow columns) may carry columns the model "
                "does not have; they are ignored instead of answered 400")
      ->envname("INFERD_IGNORE_EXTRA_COLUMNS");
  cmd->add_option("--idle-timeout-seconds", opts->idle_timeout_seconds,
                  "Close a connection idle (or stuck mid-request) this long (gRPC: without any call, GOAWAY)")
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
    std::exit(Serve(*opts));
  });
}

}  // namespace inferd::cli
