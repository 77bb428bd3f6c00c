#include "http/protocols/v2_infer.h"

#include <memory>

#include "common/json_number.h"
#include "http/protocols/model_compute.h"
#include "json/tensor_codec.h"
#include "logging/log.h"

namespace inferd::http {
namespace {

struct Scratch {
  V2InferRequest request;
  ComputeScratch compute;
  std::vector<OutputTensor> outputs;
};
thread_local Scratch t_scratch;

void Fail(const Status& s, Response* response) {
  int code = HttpStatusFor(s.code());
  if (code >= 500) LogError("v2 infer failed").Str("error", s.message()).Int("status", code);
  response->Error(code, s.message());
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(std::string(s), &out);
  return out;
}

// Resolves {name}[/versions/{v}] or fills a 404.
std::shared_ptr<const ServedModel> Find(const ModelManager* models, const Request& r, bool versioned, Response* resp) {
  std::string_view name = r.params[0];
  std::string_view version = versioned ? r.params[1] : std::string_view();
  auto served = models->Get(name, version);
  if (served == nullptr) {
    if (versioned && models->Get(name, {}) != nullptr) {
      resp->Error(404, "model '" + std::string(name) + "' has no version '" + std::string(version) + "'");
    } else {
      resp->Error(404, "no model named '" + std::string(name) + "'");
    }
  }
  return served;
}

void AppendTensorMeta(const char* name, const char* datatype, int64_t width, bool two_d, std::string* out) {
  *out += "{\"name\":\"";
  *out += name;
  *out += "\",\"datatype\":\"";
  *out += datatype;
  *out += "\",\"shape\":[-1";
  if (two_d) {
    *out += ',';
    AppendInt(width, out);
  }
  *out += "]}";
}

void Infer(const ModelManager* models, const V2Options& o, const Request& r, bool versioned, Response* resp) {
  auto served = Find(models, r, versioned, resp);
  if (served == nullptr) return;
  const Model& model = *served->model;
  ModelRequestScope scope(models->StatsFor(*served), Protocol::kV2, &resp->status);
  Scratch& s = t_scratch;
  DecodeOptions decode;
  decode.n_features = model.n_features();
  decode.max_rows = o.max_batch_rows;
  decode.allow_missing = model.accepts_missing();
  Status st = DecodeV2InferRequest(r.body, decode, &s.request);
  if (!st.ok()) return Fail(st, resp);
  if (s.request.outputs.empty()) s.request.outputs.push_back(DefaultOutput(model));
  // Each output kind has its own scratch buffer, so earlier tensors stay valid.
  s.outputs.resize(s.request.outputs.size());
  for (size_t i = 0; i < s.request.outputs.size(); ++i) {
    st = scope.TimeInference([&] {
      return ComputeOutput(model, s.request.outputs[i], s.request.x.data(), s.request.n_rows, &s.compute,
                           &s.outputs[i]);
    });
    if (!st.ok()) return Fail(st, resp);
  }
  EncodeV2InferResponse(model, served->name, served->version, s.request.id, s.outputs, &resp->body);
}

void Metadata(const ModelManager* models, const Request& r, bool versioned, Response* resp) {
  auto served = Find(models, r, versioned, resp);
  if (served == nullptr) return;
  std::vector<std::string> versions;
  auto catalog = models->catalog();
  auto it = catalog->models.find(served->name);
  if (it != catalog->models.end()) {
    for (const auto& v : it->second) versions.push_back(v->version);
  }
  AppendV2ModelMetadata(*served, versions, &resp->body);
  resp->body += '\n';
}

void ModelReady(const ModelManager* models, const Request& r, bool versioned, Response* resp) {
  auto served = Find(models, r, versioned, resp);
  if (served == nullptr) return;
  resp->body = "{\"name\":" + Quote(served->name) + ",\"ready\":true}\n";
}

}  // namespace

void AppendV2ModelMetadata(const ServedModel& served, const std::vector<std::string>& versions, std::string* out) {
  const Model& m = *served.model;
  *out += "{\"name\":" + Quote(served.name) + ",\"versions\":[";
  for (size_t i = 0; i < versions.size(); ++i) {
    if (i) *out += ',';
    *out += Quote(versions[i]);
  }
  *out += "],\"platform\":\"sklearn\",\"parameters\":{\"estimator\":" + Quote(m.Describe()) +
          ",\"version\":" + Quote(served.version) + "},\"inputs\":[";
  AppendTensorMeta("input-0", "FP64", static_cast<int64_t>(m.n_features()), true, out);
  *out += "],\"outputs\":[";
  bool first = true;
  auto sep = [&] {
    if (!first) *out += ',';
    first = false;
  };
  if (m.kind() == ModelKind::kClassifier) {
    OutputTensor t;
    int32_t zero = 0;
    t.classes = &zero;
    sep();
    AppendTensorMeta("predict", V2Datatype(m, t), 1, false, out);
    if (m.has_proba()) {
      sep();
      AppendTensorMeta("predict_proba", "FP64", static_cast<int64_t>(m.classes().size()), true, out);
    }
  } else if (m.kind() == ModelKind::kRegressor) {
    sep();
    AppendTensorMeta("predict", "FP64", static_cast<int64_t>(m.n_outputs()), m.n_outputs() != 1, out);
  } else {
    sep();
    AppendTensorMeta("transform", "FP64", static_cast<int64_t>(m.n_outputs()), true, out);
  }
  if (m.decision_function_width() > 0) {
    sep();
    AppendTensorMeta("decision_function", "FP64", static_cast<int64_t>(m.decision_function_width()),
                     m.decision_function_width() != 1, out);
  }
  *out += "]";
  if (m.kind() == ModelKind::kClassifier) {
    *out += ",\"classes\":[";
    for (size_t i = 0; i < m.classes().size(); ++i) {
      if (i) *out += ',';
      *out += m.classes()[i].json;
    }
    *out += "]";
  }
  *out += "}";
}

void RegisterV2Routes(const ModelManager* models, V2Options options, Router* router) {
  auto o = std::make_shared<const V2Options>(std::move(options));
  router->Add(Verb::get, "/v2", [o](const Request&, Response* resp) {
    resp->body = "{\"name\":\"inferd\",\"version\":" + Quote(o->server_version) + ",\"extensions\":[" +
                 std::string(o->control ? "\"model_repository\"" : "") + "]}\n";
  });
  router->Add(Verb::get, "/v2/health/live", [](const Request&, Response* resp) { resp->body = "{\"live\":true}\n"; });
  router->Add(Verb::get, "/v2/health/ready", [o](const Request&, Response* resp) {
    bool ready = o->ready && o->ready();
    if (!ready) return resp->Error(400, "not ready");
    resp->body = "{\"ready\":true}\n";
  });
  for (bool versioned : {false, true}) {
    std::string base = versioned ? "/v2/models/{name}/versions/{version}" : "/v2/models/{name}";
    router->Add(Verb::get, base,
                [models, versioned](const Request& r, Response* resp) { Metadata(models, r, versioned, resp); });
    router->Add(Verb::get, base + "/ready",
                [models, versioned](const Request& r, Response* resp) { ModelReady(models, r, versioned, resp); });
    router->Add(Verb::post, base + "/infer",
                [models, o, versioned](const Request& r, Response* resp) { Infer(models, *o, r, versioned, resp); });
  }
  for (bool load : {true, false}) {
    router->Add(Verb::post, load ? "/v2/repository/models/{name}/load" : "/v2/repository/models/{name}/unload",
                [o, load](const Request& r, Response* resp) {
                  if (o->control == nullptr) {
                    return resp->Error(403, "model control is disabled (start the server with --enable-model-control)");
                  }
                  std::string name(r.params[0]);
                  Status st = load ? o->control->LoadModel(name) : o->control->UnloadModel(name);
                  if (!st.ok()) return resp->Error(HttpStatusFor(st.code()), st.message());
                  resp->body = "{\"name\":" + Quote(name) + ",\"" + (load ? "loaded" : "unloaded") + "\":true}\n";
                });
  }
}

}  // namespace inferd::http
