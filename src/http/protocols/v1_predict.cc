#include "http/protocols/v1_predict.h"

#include "common/json_number.h"
#include "http/protocols/model_compute.h"
#include "json/tensor_codec.h"

namespace inferd::http {
namespace {

struct Scratch {
  PredictRequest request;
  ComputeScratch compute;
};
thread_local Scratch t_scratch;

std::shared_ptr<const ServedModel> Find(const ModelManager* models, const Request& r, bool versioned, Response* resp) {
  auto served = models->Get(r.params[0], versioned ? r.params[1] : std::string_view());
  if (served == nullptr) {
    resp->Error(404, "no model named '" + std::string(r.params[0]) + "'" +
                         (versioned ? " with version '" + std::string(r.params[1]) + "'" : std::string()));
  }
  return served;
}

void Predict(const ModelManager* models, size_t max_rows, const Request& r, bool versioned, Response* resp) {
  auto served = Find(models, r, versioned, resp);
  if (served == nullptr) return;
  const Model& model = *served->model;
  ModelRequestScope scope(models->StatsFor(*served), Protocol::kV1, &resp->status);
  Scratch& s = t_scratch;
  DecodeOptions decode;
  decode.n_features = model.n_features();
  decode.max_rows = max_rows;
  decode.allow_missing = model.accepts_missing();
  Status st = DecodeV1PredictRequest(r.body, decode, &s.request);
  OutputTensor t;
  if (st.ok()) {
    st = scope.TimeInference([&] {
      return ComputeOutput(model, DefaultOutput(model), s.request.x.data(), s.request.n_rows, &s.compute, &t);
    });
  }
  if (!st.ok()) return resp->Error(HttpStatusFor(st.code()), st.message());
  EncodeV1Predictions(model, t, &resp->body);
}

void Status_(const ModelManager* models, const Request& r, bool versioned, Response* resp) {
  auto served = Find(models, r, versioned, resp);
  if (served == nullptr) return;
  std::vector<std::shared_ptr<const ServedModel>> versions;
  if (versioned) {
    versions.push_back(served);
  } else {
    auto catalog = models->catalog();
    auto it = catalog->models.find(served->name);
    if (it != catalog->models.end()) versions = it->second;
  }
  resp->body = "{\"model_version_status\":[";
  for (size_t i = 0; i < versions.size(); ++i) {
    if (i) resp->body += ',';
    resp->body += "{\"version\":";
    AppendJsonString(versions[i]->version, &resp->body);
    resp->body += ",\"state\":\"AVAILABLE\",\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}}";
  }
  resp->body += "]}\n";
}

}  // namespace

void RegisterV1Routes(const ModelManager* models, size_t max_rows, Router* router) {
  for (bool versioned : {false, true}) {
    std::string base = versioned ? "/v1/models/{name}/versions/{version}" : "/v1/models/{name}";
    router->Add(Verb::get, base,
                [models, versioned](const Request& r, Response* resp) { Status_(models, r, versioned, resp); });
    router->Add(Verb::post, base + ":predict", [models, max_rows, versioned](const Request& r, Response* resp) {
      Predict(models, max_rows, r, versioned, resp);
    });
  }
}

}  // namespace inferd::http
