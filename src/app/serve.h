// The server's lifecycle as `inferd serve` runs it: load and warm every model before opening
// the port, serve, reload on the poll interval and on SIGHUP, and on SIGTERM/SIGINT report
// not-ready, drain and stop.
#ifndef INFERD_APP_SERVE_H_
#define INFERD_APP_SERVE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace inferd {

// What `inferd serve` runs with. Every field is set by the flag or environment variable named in
// its comment (cli/serve_command.cc); the defaults here are the documented defaults.
struct ServeConfig {
  std::string model;                            // --model, INFERD_MODEL (or --model-repository)
  std::string name;                             // --name, INFERD_MODEL_NAME (default: file stem)
  std::string model_repository;                 // --model-repository, INFERD_MODEL_REPOSITORY
  std::string version_policy = "latest";        // --version-policy, INFERD_VERSION_POLICY
  std::string default_model;                    // --default-model, INFERD_DEFAULT_MODEL
  double poll_seconds = 0;                      // --poll-seconds, INFERD_POLL_SECONDS
  bool enable_model_control = false;            // --enable-model-control, INFERD_ENABLE_MODEL_CONTROL
  size_t max_inflight = 0;                      // --max-inflight, INFERD_MAX_INFLIGHT (0 = unlimited)
  int64_t request_timeout_ms = 0;               // --request-timeout-ms, INFERD_REQUEST_TIMEOUT_MS
  int64_t read_timeout_seconds = 30;            // --read-timeout-seconds, INFERD_READ_TIMEOUT_SECONDS
  size_t max_connections = 0;                   // --max-connections, INFERD_MAX_CONNECTIONS
  std::string host = "0.0.0.0";                 // --host, INFERD_HOST
  uint16_t port = 8080;                         // --port, INFERD_PORT (0 picks a free port)
  int32_t grpc_port = 8081;                     // --grpc-port, INFERD_GRPC_PORT (0 = no gRPC, -1 = a free port)
  size_t threads = 0;                           // --threads, INFERD_THREADS (0 = number of cores)
  uint64_t max_body_bytes = uint64_t{8} << 20;  // --max-body-bytes, INFERD_MAX_BODY_BYTES
  size_t max_batch_rows = 10000;                // --max-batch-rows, INFERD_MAX_BATCH_ROWS
  bool ignore_extra_columns = false;            // --ignore-extra-columns, INFERD_IGNORE_EXTRA_COLUMNS
  int64_t idle_timeout_seconds = 60;            // --idle-timeout-seconds, INFERD_IDLE_TIMEOUT_SECONDS
  double drain_seconds = 0;                     // --drain-seconds, INFERD_DRAIN_SECONDS
  double shutdown_timeout_seconds = 10;         // --shutdown-timeout-seconds, INFERD_SHUTDOWN_TIMEOUT_SECONDS
  bool log_requests = false;                    // --log-requests, INFERD_LOG_REQUESTS
};

// Runs the server (blocks until a signal and the drain complete) and returns the process exit
// code: 0 after a graceful shutdown, 2 if a model cannot be loaded or a port cannot be opened.
// REQUIRES: no other threads have been started by the caller (SIGTERM/SIGINT/SIGHUP are blocked
// here so the server threads inherit the mask).
int Serve(const ServeConfig& config);

}  // namespace inferd

#endif  // INFERD_APP_SERVE_H_
