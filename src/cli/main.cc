// The inferd binary: subcommands serve, predict, inspect, probe, version.
#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/inspect_command.h"
#include "cli/predict_command.h"
#if __has_include("cli/serve_command.h")
#include "cli/serve_command.h"
#define INFERD_HAVE_SERVE 1
#endif
#if __has_include("cli/probe_command.h")
#include "cli/probe_command.h"
#define INFERD_HAVE_PROBE 1
#endif

#ifndef INFERD_VERSION
#define INFERD_VERSION "dev"
#endif

int main(int argc, char** argv) {
  CLI::App app{"inferd " INFERD_VERSION
               " - serve a scikit-learn model.pkl over HTTP, safely and fast.\n"
               "The model file is read without Python and nothing in it is executed.\n"
               "Every option can also be set from the environment variable named in its help (INFERD_*)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", INFERD_VERSION);
#ifdef INFERD_HAVE_SERVE
  inferd::cli::AddServeCommand(app);
#endif
  inferd::cli::AddPredictCommand(app);
  inferd::cli::AddInspectCommand(app);
#ifdef INFERD_HAVE_PROBE
  inferd::cli::AddProbeCommand(app);
#endif
  CLI11_PARSE(app, argc, argv);
  return 0;
}
