// `inferd inspect`: load a model file and describe it (estimator, features, classes), or
// with --tree dump the safe value tree the pickle reader produced. For debugging files.
#ifndef INFERD_CLI_INSPECT_COMMAND_H_
#define INFERD_CLI_INSPECT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace inferd::cli {

void AddInspectCommand(CLI::App& app);

}  // namespace inferd::cli

#endif  // INFERD_CLI_INSPECT_COMMAND_H_
