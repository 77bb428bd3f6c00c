// `inferd probe URL`: a health check for shell-less container images (HEALTHCHECK).
#ifndef INFERD_CLI_PROBE_COMMAND_H_
#define INFERD_CLI_PROBE_COMMAND_H_

#include <string>

#include <CLI/CLI.hpp>

namespace inferd::cli {

// Registers the `probe` subcommand: GET the URL, exit 0 on a 2xx answer, 1 otherwise
// (including connection errors and timeouts).
void AddProbeCommand(CLI::App& app);

// GETs `url` (http://host[:port][/path], plain HTTP only) with an overall timeout.
// Returns the process exit code; writes a one-line reason to stderr on failure.
int RunProbe(const std::string& url, double timeout_seconds);

}  // namespace inferd::cli

#endif  // INFERD_CLI_PROBE_COMMAND_H_
