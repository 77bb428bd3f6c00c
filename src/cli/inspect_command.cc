#include "cli/inspect_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include "common/json_number.h"
#include "inferd/input_schema.h"
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
  size_t max_categories = 20;
};

// "input": {"named": ..., "columns": [{"name", "type", for strings "categories" (the first
// max_categories, sorted), "n_categories" and "unknown_is_error"}]}.
void AppendInputSchema(const InputSchema& schema, size_t max_categories, std::string* out) {
  *out += std::string(", \"input\": {\"named\": ") + (schema.named() ? "true" : "false") + ", \"columns\": [";
  for (size_t c = 0; c < schema.size(); ++c) {
    const InputColumn& col = schema.columns()[c];
    if (c) *out += ", ";
    *out += "{\"name\": ";
    AppendJsonString(col.name, out);
    *out += ", \"type\": \"";
    *out += InputTypeName(col.type);
    *out += "\"";
    if (col.type == InputColumn::Type::kString) {
      *out += ", \"categories\": [";
      for (size_t k = 0; k < col.categories.size() && k < max_categories; ++k) {
        if (k) *out += ", ";
        AppendJsonString(col.categories[k], out);
      }
      *out += "], \"n_categories\": " + std::to_string(col.categories.size());
      *out += std::string(", \"unknown_is_error\": ") + (col.unknown_is_error ? "true" : "false");
    }
    *out += "}";
  }
  *out += "]}";
}

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
  AppendInputSchema(m.input_schema(), o.max_categories, &out);
  out += "}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddInspectCommand(CLI::App& app) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* cmd =
      app.add_subcommand("inspect",
                         "Load a model file and describe it as JSON: kind, outputs, classes and the input columns "
                         "(name, number/string, a string column's known categories); exit 2 if it cannot be loaded");
  cmd->add_option("model,--model,-m", opts->model, "Path of the model file")->required();
  cmd->add_flag("--tree", opts->tree, "Dump the safe value tree read from the pickle instead (debugging)");
  cmd->add_option("--depth", opts->depth, "Maximum depth of the --tree dump")->capture_default_str();
  cmd->add_option("--max-categories", opts->max_categories,
                  "Categories listed per string input column (n_categories gives the full count)")
      ->capture_default_str();
  cmd->callback([opts]() { std::exit(RunInspect(*opts)); });
}

}  // namespace inferd::cli
