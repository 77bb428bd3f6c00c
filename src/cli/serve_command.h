// `inferd serve`: its flags and environment variables, turned into an app ServeConfig
// (app/serve.h runs the server).
#ifndef INFERD_CLI_SERVE_COMMAND_H_
#define INFERD_CLI_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>

namespace inferd::cli {

// Registers the `serve` subcommand. Its callback runs the server and exits the process:
// 0 after a graceful shutdown, 2 if the model cannot be loaded or the port cannot be opened.
void AddServeCommand(CLI::App& app);

}  // namespace inferd::cli

#endif  // INFERD_CLI_SERVE_COMMAND_H_
