// `inferd probe URL`: a health check for shell-less container images (HEALTHCHECK).
#ifndef INFERD_CLI_PROBE_COMMAND_H_
#define INFERD_CLI_PROBE_COMMAND_H_

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace inferd::cli {

// Registers the `probe` subcommand: GET (or with --post-json POST) the URL, exit 0 on a 2xx
// answer (containing --expect-substring if given), 1 otherwise (including connection errors
// and timeouts).
void AddProbeCommand(CLI::App& app);

struct ProbeOptions {
  // POST this body as application/json instead of a GET.
  std::optional<std::string> post_json;
  // Non-empty: the answer's body must contain it.
  std::string expect_substring;
};

// GETs (or POSTs) `url` (http://host[:port][/path], plain HTTP only) with an overall timeout.
// Returns the process exit code; writes a one-line reason to stderr on failure.
int RunProbe(const std::string& url, double timeout_seconds, const ProbeOptions& options = {});

}  // namespace inferd::cli

#endif  // INFERD_CLI_PROBE_COMMAND_H_
