// `inferd predict`: offline predictions for a file of rows — the check a CI pipeline runs
// before it deploys a model.
#ifndef INFERD_CLI_PREDICT_COMMAND_H_
#define INFERD_CLI_PREDICT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace inferd::cli {

// Registers the `predict` subcommand on `app`. The subcommand's callback runs the
// prediction and exits the process with its status.
void AddPredictCommand(CLI::App& app);

}  // namespace inferd::cli

#endif  // INFERD_CLI_PREDICT_COMMAND_H_
