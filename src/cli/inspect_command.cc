#include "cli/inspect_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include "common/json_number.h"
#include "inferd/loader.h"
#if __has_include("pickle/dump.h")
#include "pickle/dump.h"
#include "pickle/reader.h"
#define INFERD_HAVE_DUMP 1
#endif

namespace inferd::cli {
namespace {

struct InspectOptions {
  std::string model;
  bool tree = false;
  size_t depth = 6;
};

int RunInspect(const InspectOptions& o) {
#ifdef INFERD_HAVE_DUMP
  if (o.tree) {
    auto v = pickle::ReadPickleFile(o.model);
    if (!v.ok()) {
      std::fprintf(stderr, "inferd: %s: %s\n", o.model.c_str(), v.status().message().c_str());
      return 2;
    }
    std::string s = pickle::DumpValue(**v, o.depth);
    std::printf("%s\n", s.c_str());
    return 0;
  }
#endif
  auto loaded = LoadModelFile(o.model);
  if (!loaded.ok()) {
    std::fprintf(stderr, "inferd: %s\n", loaded.status().message().c_str());
    return 2;
  }
  const Model& m = **loaded;
  std::string out = "{\"model\": ";
  AppendJsonString(m.Describe(), &out);
  out += ", \"kind\": \"";
  out += ModelKindName(m.kind());
  out += "\", \"n_features\": " + std::to_string(m.n_features());
  out += ", \"n_outputs\": " + std::to_string(m.n_outputs());
  out += std::string(", \"has_proba\": ") + (m.has_proba() ? "true" : "false");
  if (m.kind() == ModelKind::kClassifier) {
    out += ", \"classes\": [";
    for (size_t i = 0; i < m.classes().size(); ++i) {
      if (i) out += ", ";
      out += m.classes()[i].json;
    }
    out += "]";
  }
  out += "}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddInspectCommand(CLI::App& app) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* cmd =
      app.add_subcommand("inspect", "Load a model file and describe it as JSON (exit 2 if it cannot be loaded)");
  cmd->add_option("model", opts->model, "Path of the model file")->required();
  cmd->add_flag("--tree", opts->tree, "Dump the safe value tree read from the pickle instead (debugging)");
  cmd->add_option("--depth", opts->depth, "Maximum depth of the --tree dump")->capture_default_str();
  cmd->callback([opts]() { std::exit(RunInspect(*opts)); });
}

}  // namespace inferd::cli
