#include "http/protocols/v2_protocol.h"

#include <memory>

#include "common/json_number.h"
#include "http/protocols/http_codec.h"
#include "json/tensor_codec.h"

namespace inferd::http {
namespace {

class V2InferCodec final : public HttpCodec {
 public:
  using HttpCodec::HttpCodec;
  Status Decode(const InputSpec& spec, InferenceRequest* r) override {
    return DecodeV2InferRequest(request_.body, spec, r);
  }
  void Encode(const InferenceResult& result) override { EncodeV2InferResponse(result, &response_->body); }
};

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(std::string(s), &out);
  return out;
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

void Metadata(const InferenceService& service, const Request& r, bool versioned, Response* resp) {
  StatusOr<ModelHandle> found = service.Find(SelectorFromPath(r, versioned));
  if (!found.ok()) return ReplyError(found.status(), resp);
  const std::shared_ptr<const ServedModel>& served = found->served;
  std::vector<std::string> versions;
  auto catalog = service.models().catalog();
  auto it = catalog->models.find(served->name);
  if (it != catalog->models.end()) {
    for (const auto& v : it->second) versions.push_back(v->version);
  }
  AppendV2ModelMetadata(*served, versions, &resp->body);
  resp->body += '\n';
}

void ModelReady(const InferenceService& service, const Request& r, bool versioned, Response* resp) {
  StatusOr<ModelHandle> found = service.Find(SelectorFromPath(r, versioned));
  if (!found.ok()) return ReplyError(found.status(), resp);
  resp->body = "{\"name\":" + Quote(found->served->name) + ",\"ready\":true}\n";
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
  const InputSchema& schema = m.input_schema();
  if (schema.named() || schema.has_strings()) {
    // A model fitted on a DataFrame takes one tensor per column, as MLServer's pandas codec
    // sends them; string columns are BYTES.
    for (size_t c = 0; c < schema.size(); ++c) {
      const InputColumn& col = schema.columns()[c];
      if (c) *out += ',';
      *out += "{\"name\":" + Quote(col.name) + ",\"datatype\":\"" +
              (col.type == InputColumn::Type::kString ? "BYTES" : "FP64") + "\",\"shape\":[-1]";
      if (col.type == InputColumn::Type::kString && !col.categories.empty()) {
        *out += ",\"parameters\":{\"categories\":[";
        for (size_t k = 0; k < col.categories.size(); ++k) {
          if (k) *out += ',';
          *out += Quote(col.categories[k]);
        }
        *out += "]}";
      }
      *out += "}";
    }
  } else {
    AppendTensorMeta("input-0", "FP64", static_cast<int64_t>(m.n_features()), true, out);
  }
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
  if (m.raw_score_width() > 0) {
    sep();
    AppendTensorMeta("raw_score", "FP64", static_cast<int64_t>(m.raw_score_width()), m.raw_score_width() != 1, out);
  }
  if (const size_t groups = m.contribution_groups(); groups > 0) {
    // [-1, F + 1] or, per class, [-1, K, F + 1]; the bias last.
    sep();
    *out += "{\"name\":\"contributions\",\"datatype\":\"FP64\",\"shape\":[-1,";
    if (groups > 1) {
      AppendInt(static_cast<int64_t>(groups), out);
      *out += ',';
    }
    const bool transformed = m.contribution_form() == ContributionForm::kTransformedFeatures;
    AppendInt(static_cast<int64_t>((transformed ? m.transformed_feature_names().size() : m.n_features()) + 1), out);
    *out += "]}";
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

void RegisterV2Routes(const InferenceService* service, V2Options options, Router* router) {
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
                [service, versioned](const Request& r, Response* resp) { Metadata(*service, r, versioned, resp); });
    router->Add(Verb::get, base + "/ready",
                [service, versioned](const Request& r, Response* resp) { ModelReady(*service, r, versioned, resp); });
    router->Add(Verb::post, base + "/infer", [service, versioned](const Request& r, Response* resp) {
      V2InferCodec codec(r, resp);
      service->Infer(Protocol::kV2, SelectorFromPath(r, versioned), codec);
    });
  }
  for (bool load : {true, false}) {
    router->Add(Verb::post, load ? "/v2/repository/models/{name}/load" : "/v2/repository/models/{name}/unload",
                [o, load](const Request& r, Response* resp) {
                  if (o->control == nullptr) {
                    return resp->Error(403, "model control is disabled (start the server with --enable-model-control)");
                  }
                  std::string name(r.params[0]);
                  Status st = load ? o->control->LoadModel(name) : o->control->UnloadModel(name);
                  if (!st.ok()) return ReplyError(st, resp);
                  resp->body = "{\"name\":" + Quote(name) + ",\"" + (load ? "loaded" : "unloaded") + "\":true}\n";
                });
  }
}

}  // namespace inferd::http
