#include "grpc/grpc_server.h"

#include <google/protobuf/arena.h>

#include <atomic>
#include <cstdio>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grpc/grpc_transport.h"
#include "grpc/infer_codec.h"
#include "grpc/reflection_service.h"
#include "health.pb.h"
#include "inference.pb.h"
#include "json/tensor_codec.h"

namespace inferd::grpc_api {
namespace {

using Clock = std::chrono::steady_clock;
namespace health = grpc::health::v1;

constexpr std::string_view kInferenceServiceName = "inference.GRPCInferenceService";
constexpr std::string_view kLivenessServiceName = "liveness";

GrpcCode ToGrpcCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return GrpcCode::kOk;
    case StatusCode::kInvalidArgument: return GrpcCode::kInvalidArgument;
    case StatusCode::kNotFound: return GrpcCode::kNotFound;
    case StatusCode::kUnimplemented: return GrpcCode::kUnimplemented;
    case StatusCode::kFailedPrecondition: return GrpcCode::kFailedPrecondition;
    case StatusCode::kResourceExhausted: return GrpcCode::kResourceExhausted;
    case StatusCode::kUnavailable: return GrpcCode::kUnavailable;
    case StatusCode::kInternal: return GrpcCode::kInternal;
  }
  return GrpcCode::kInternal;
}

GrpcStatus ToGrpc(const Status& st) {
  if (st.ok()) return {};
  return GrpcStatus{ToGrpcCode(st.code()), st.message()};
}

// The `code` label of the per-model metrics: the HTTP status the REST protocols would answer.
int MetricsCode(GrpcCode code) {
  switch (code) {
    case GrpcCode::kOk: return 200;
    case GrpcCode::kInvalidArgument:
    case GrpcCode::kFailedPrecondition:
    case GrpcCode::kOutOfRange: return 400;
    case GrpcCode::kPermissionDenied: return 403;
    case GrpcCode::kNotFound: return 404;
    case GrpcCode::kResourceExhausted: return 413;
    case GrpcCode::kUnimplemented: return 501;
    case GrpcCode::kUnavailable: return 503;
    case GrpcCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

// ModelInfer's two halves around the request path. A result computed after `deadline` (the
// server's --request-timeout-ms) is answered DEADLINE_EXCEEDED instead, as gRPC answers a call
// that outlives the client's deadline.
class GrpcInferCodec final : public ProtocolCodec {
 public:
  GrpcInferCodec(const inference::ModelInferRequest* request, inference::ModelInferResponse* response,
                 Clock::time_point deadline)
      : request_(request), response_(response), deadline_(deadline) {}
  Status Decode(const InputSpec& spec, InferenceRequest* r) override {
    return DecodeModelInferRequest(*request_, spec, r, &raw_outputs_);
  }
  void Encode(const InferenceResult& result) override {
    if (deadline_ != Clock::time_point::max() && Clock::now() > deadline_) {
      status_ = GrpcStatus{GrpcCode::kDeadlineExceeded, "the call ran past the server's --request-timeout-ms"};
      return;
    }
    EncodeModelInferResponse(result, raw_outputs_, response_);
  }
  void Fail(const Status& status) override {
    response_->Clear();
    status_ = ToGrpc(status);
  }
  int metrics_code() const override { return MetricsCode(status_.code); }
  GrpcStatus& status() { return status_; }

 private:
  const inference::ModelInferRequest* const request_;
  inference::ModelInferResponse* const response_;
  const Clock::time_point deadline_;
  bool raw_outputs_ = false;
  GrpcStatus status_;
};

void SetParameter(google::protobuf::Map<std::string, inference::InferParameter>* params, const std::string& key,
                  std::string value) {
  (*params)[key].set_string_param(std::move(value));
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out + "]";
}

void FillModelMetadata(const InferenceService& inference, const ServedModel& served,
                       inference::ModelMetadataResponse* resp) {
  const Model& m = *served.model;
  resp->set_name(served.name);
  auto catalog = inference.models().catalog();
  if (auto it = catalog->models.find(served.name); it != catalog->models.end()) {
    for (const auto& v : it->second) resp->add_versions(v->version);
  }
  resp->set_platform("sklearn");
  SetParameter(resp->mutable_parameters(), "estimator", m.Describe());
  SetParameter(resp->mutable_parameters(), "version", served.version);
  using Tensor = inference::ModelMetadataResponse::TensorMetadata;
  auto add = [](google::protobuf::RepeatedPtrField<Tensor>* list, std::string name, const char* datatype,
                std::initializer_list<int64_t> shape) {
    Tensor* t = list->Add();
    t->set_name(std::move(name));
    t->set_datatype(datatype);
    for (int64_t d : shape) t->add_shape(d);
    return t;
  };
  const InputSchema& schema = m.input_schema();
  if (schema.named() || schema.has_strings()) {
    // One tensor per column, as for the REST metadata; string columns are BYTES.
    for (const InputColumn& col : schema.columns()) {
      const bool str = col.type == InputColumn::Type::kString;
      Tensor* t = add(resp->mutable_inputs(), col.name, str ? "BYTES" : "FP64", {-1});
      if (str && !col.categories.empty())
        SetParameter(t->mutable_parameters(), "categories", JsonStringArray(col.categories));
    }
  } else {
    add(resp->mutable_inputs(), "input-0", "FP64", {-1, static_cast<int64_t>(m.n_features())});
  }
  auto width = [](size_t w) { return static_cast<int64_t>(w); };
  if (m.kind() == ModelKind::kClassifier) {
    OutputTensor label;
    int32_t zero = 0;
    label.classes = &zero;
    add(resp->mutable_outputs(), "predict", V2Datatype(m, label), {-1});
    if (m.has_proba()) add(resp->mutable_outputs(), "predict_proba", "FP64", {-1, width(m.classes().size())});
  } else if (m.kind() == ModelKind::kRegressor) {
    if (m.n_outputs() == 1) {
      add(resp->mutable_outputs(), "predict", "FP64", {-1});
    } else {
      add(resp->mutable_outputs(), "predict", "FP64", {-1, width(m.n_outputs())});
    }
  } else {
    add(resp->mutable_outputs(), "transform", "FP64", {-1, width(m.n_outputs())});
  }
  if (const size_t w = m.decision_function_width(); w > 0) {
    if (w == 1) {
      add(resp->mutable_outputs(), "decision_function", "FP64", {-1});
    } else {
      add(resp->mutable_outputs(), "decision_function", "FP64", {-1, width(w)});
    }
  }
  if (const size_t w = m.raw_score_width(); w > 0) {
    if (w == 1) {
      add(resp->mutable_outputs(), "raw_score", "FP64", {-1});
    } else {
      add(resp->mutable_outputs(), "raw_score", "FP64", {-1, width(w)});
    }
  }
  // The default form's features (REST V2's metadata): input columns, or the transformed
  // features of a pipeline whose steps mix columns; the bias last.
  const size_t features = m.contribution_form() == ContributionForm::kTransformedFeatures
                              ? m.transformed_feature_names().size()
                              : m.n_features();
  if (const size_t groups = m.contribution_groups(); groups > 1) {
    add(resp->mutable_outputs(), "contributions", "FP64", {-1, width(groups), width(features + 1)});
  } else if (groups == 1) {
    add(resp->mutable_outputs(), "contributions", "FP64", {-1, width(features + 1)});
  }
}

enum class Method {
  kServerLive,
  kServerReady,
  kModelReady,
  kServerMetadata,
  kModelMetadata,
  kModelInfer,
  kRepositoryIndex,
  kRepositoryModelLoad,
  kRepositoryModelUnload,
  kHealthCheck,
  kHealthWatch,
  kReflection,
};

const std::unordered_map<std::string_view, Method>& Methods() {
  static const auto* methods = new std::unordered_map<std::string_view, Method>{
      {"/inference.GRPCInferenceService/ServerLive", Method::kServerLive},
      {"/inference.GRPCInferenceService/ServerReady", Method::kServerReady},
      {"/inference.GRPCInferenceService/ModelReady", Method::kModelReady},
      {"/inference.GRPCInferenceService/ServerMetadata", Method::kServerMetadata},
      {"/inference.GRPCInferenceService/ModelMetadata", Method::kModelMetadata},
      {"/inference.GRPCInferenceService/ModelInfer", Method::kModelInfer},
      {"/inference.GRPCInferenceService/RepositoryIndex", Method::kRepositoryIndex},
      {"/inference.GRPCInferenceService/RepositoryModelLoad", Method::kRepositoryModelLoad},
      {"/inference.GRPCInferenceService/RepositoryModelUnload", Method::kRepositoryModelUnload},
      {"/grpc.health.v1.Health/Check", Method::kHealthCheck},
      {"/grpc.health.v1.Health/Watch", Method::kHealthWatch},
      {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", Method::kReflection},
  };
  return *methods;
}

// ModelInfer's first arena block (on the event loop's stack); larger calls add heap blocks.
constexpr size_t kInferArenaBlock = 8 * 1024;

template <typename Message>
bool Parse(std::string_view bytes, Message* m) {
  return m->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

GrpcStatus Unparsable(const char* type) {
  return GrpcStatus{GrpcCode::kInvalidArgument, std::string("the request is not a valid ") + type + " message"};
}

// A health Watch call's state: the service watched and the status last sent.
struct WatchState {
  std::string service;
  int sent = -1;
};

}  // namespace

// The services behind the transport: GRPCInferenceService, Health and ServerReflection.
struct GrpcServer::Impl final : public GrpcHandler {
  GrpcServerOptions options;
  const InferenceService* inference = nullptr;
  std::unique_ptr<ReflectionService> reflection;
  std::atomic<bool> stopping{false};
  std::unique_ptr<GrpcTransport> transport;  // last: destroyed (its threads joined) first

  bool Ready() const { return !stopping.load(std::memory_order_acquire) && options.ready && options.ready(); }

  // The health status of `service`, or SERVICE_UNKNOWN.
  health::HealthCheckResponse::ServingStatus HealthOf(std::string_view service) const {
    using R = health::HealthCheckResponse;
    if (service.empty() || service == kInferenceServiceName) return Ready() ? R::SERVING : R::NOT_SERVING;
    if (service == kLivenessServiceName) return stopping.load() ? R::NOT_SERVING : R::SERVING;
    return R::SERVICE_UNKNOWN;
  }

  MethodKind Kind(std::string_view method) const override {
    auto it = Methods().find(method);
    if (it == Methods().end()) return MethodKind::kUnknown;
    switch (it->second) {
      case Method::kModelInfer: return MethodKind::kUnaryCounted;
      case Method::kHealthWatch:
      case Method::kReflection: return MethodKind::kStreaming;
      default: return MethodKind::kUnary;
    }
  }

  GrpcStatus Unary(GrpcCall& call, std::string_view request, std::string* response) override {
    switch (Methods().at(call.method())) {
      case Method::kServerLive: {
        inference::ServerLiveResponse resp;
        resp.set_live(true);
        return Serialize(resp, response);
      }
      case Method::kServerReady: {
        inference::ServerReadyResponse resp;
        resp.set_ready(Ready());
        return Serialize(resp, response);
      }
      case Method::kModelReady: {
        inference::ModelReadyRequest req;
        if (!Parse(request, &req)) return Unparsable("inference.ModelReadyRequest");
        call.SetLogModel(req.name());
        StatusOr<ModelHandle> found = inference->Find(ModelSelector{req.name(), req.version()});
        if (!found.ok()) return ToGrpc(found.status());
        inference::ModelReadyResponse resp;
        resp.set_ready(true);
        return Serialize(resp, response);
      }
      case Method::kServerMetadata: {
        inference::ServerMetadataResponse resp;
        resp.set_name("inferd");
        resp.set_version(options.server_version);
        if (options.control != nullptr) resp.add_extensions("model_repository");
        return Serialize(resp, response);
      }
      case Method::kModelMetadata: {
        inference::ModelMetadataRequest req;
        if (!Parse(request, &req)) return Unparsable("inference.ModelMetadataRequest");
        call.SetLogModel(req.name());
        StatusOr<ModelHandle> found = inference->Find(ModelSelector{req.name(), req.version()});
        if (!found.ok()) return ToGrpc(found.status());
        inference::ModelMetadataResponse resp;
        FillModelMetadata(*inference, *found->served, &resp);
        return Serialize(resp, response);
      }
      case Method::kModelInfer: return ModelInfer(call, request, response);
      case Method::kRepositoryIndex: {
        inference::RepositoryIndexRequest req;
        if (!Parse(request, &req)) return Unparsable("inference.RepositoryIndexRequest");
        if (GrpcStatus st = ControlAllowed(req.repository_name()); !st.ok()) return st;
        inference::RepositoryIndexResponse resp;
        for (const ModelIndexEntry& e : options.control->Index()) {
          if (req.ready() && e.state != "READY") continue;
          auto* m = resp.add_models();
          m->set_name(e.name);
          m->set_version(e.version);
          m->set_state(e.state);
          m->set_reason(e.reason);
        }
        return Serialize(resp, response);
      }
      case Method::kRepositoryModelLoad: {
        inference::RepositoryModelLoadRequest req;
        if (!Parse(request, &req)) return Unparsable("inference.RepositoryModelLoadRequest");
        call.SetLogModel(req.model_name());
        if (GrpcStatus st = ControlAllowed(req.repository_name()); !st.ok()) return st;
        if (!req.parameters().empty()) {
          return GrpcStatus{GrpcCode::kInvalidArgument,
                            "load parameters (a model given inline, config overrides) are not supported"};
        }
        if (GrpcStatus st = ToGrpc(options.control->LoadModel(req.model_name())); !st.ok()) return st;
        return Serialize(inference::RepositoryModelLoadResponse(), response);
      }
      case Method::kRepositoryModelUnload: {
        inference::RepositoryModelUnloadRequest req;
        if (!Parse(request, &req)) return Unparsable("inference.RepositoryModelUnloadRequest");
        call.SetLogModel(req.model_name());
        if (GrpcStatus st = ControlAllowed(req.repository_name()); !st.ok()) return st;
        if (GrpcStatus st = ToGrpc(options.control->UnloadModel(req.model_name())); !st.ok()) return st;
        return Serialize(inference::RepositoryModelUnloadResponse(), response);
      }
      case Method::kHealthCheck: {
        health::HealthCheckRequest req;
        if (!Parse(request, &req)) return Unparsable("grpc.health.v1.HealthCheckRequest");
        health::HealthCheckResponse resp;
        resp.set_status(HealthOf(req.service()));
        if (resp.status() == health::HealthCheckResponse::SERVICE_UNKNOWN) {
          return GrpcStatus{GrpcCode::kNotFound, "unknown service '" + req.service() + "'"};
        }
        return Serialize(resp, response);
      }
      case Method::kHealthWatch:
      case Method::kReflection: break;
    }
    return GrpcStatus{GrpcCode::kInternal, "a streaming method was called as unary"};
  }

  GrpcStatus ModelInfer(GrpcCall& call, std::string_view request, std::string* response) {
    // The request and the response live on one arena whose first block is on the stack, so a
    // small call neither allocates nor frees per message field.
    alignas(16) char first_block[kInferArenaBlock];
    google::protobuf::ArenaOptions arena_options;
    arena_options.initial_block = first_block;
    arena_options.initial_block_size = sizeof first_block;
    google::protobuf::Arena arena(arena_options);
    auto* req = google::protobuf::Arena::CreateMessage<inference::ModelInferRequest>(&arena);
    if (!Parse(request, req)) return Unparsable("inference.ModelInferRequest");
    call.SetLogModel(req->model_name());
    const Clock::time_point own_deadline =
        options.request_timeout.count() > 0 ? call.start() + options.request_timeout : Clock::time_point::max();
    auto* resp = google::protobuf::Arena::CreateMessage<inference::ModelInferResponse>(&arena);
    GrpcInferCodec codec(req, resp, own_deadline);
    inference->Infer(Protocol::kGrpc, ModelSelector{req->model_name(), req->model_version()}, codec);
    if (!codec.status().ok()) return std::move(codec.status());
    return Serialize(*resp, response);
  }

  static GrpcStatus Serialize(const google::protobuf::MessageLite& m, std::string* out) {
    if (!m.AppendToString(out)) return GrpcStatus{GrpcCode::kInternal, "the answer could not be serialized"};
    return {};
  }

  GrpcStatus ControlAllowed(const std::string& repository) const {
    if (options.control == nullptr) {
      return GrpcStatus{GrpcCode::kPermissionDenied,
                        "model control is disabled (start the server with --enable-model-control)"};
    }
    if (!repository.empty()) {
      return GrpcStatus{GrpcCode::kNotFound,
                        "no repository named '" + repository + "' (inferd has one; leave repository_name empty)"};
    }
    return {};
  }

  // --- streaming: health Watch and server reflection ---

  void OnMessage(GrpcCall& call, std::string_view message) override {
    if (Methods().at(call.method()) == Method::kReflection) {
      grpc::reflection::v1alpha::ServerReflectionRequest req;
      if (!Parse(message, &req)) return call.Finish(Unparsable("grpc.reflection.v1alpha.ServerReflectionRequest"));
      grpc::reflection::v1alpha::ServerReflectionResponse resp;
      reflection->Answer(req, &resp);
      return call.Write(resp.SerializeAsString());
    }
    if (call.state() != nullptr) {
      return call.Finish(GrpcStatus{GrpcCode::kInvalidArgument, "Watch takes one request message"});
    }
    health::HealthCheckRequest req;
    if (!Parse(message, &req)) return call.Finish(Unparsable("grpc.health.v1.HealthCheckRequest"));
    auto state = std::make_shared<WatchState>();
    state->service = req.service();
    call.SetState(state);
    OnTick(call);
  }

  void OnHalfClose(GrpcCall& call) override {
    if (Methods().at(call.method()) == Method::kReflection) return call.Finish(GrpcStatus{});
    if (call.state() == nullptr) {
      call.Finish(GrpcStatus{GrpcCode::kInvalidArgument, "Watch takes one request message"});
    }
  }

  // Sends a watched service's status when it has changed.
  void OnTick(GrpcCall& call) override {
    auto* state = static_cast<WatchState*>(call.state());
    if (state == nullptr || Methods().at(call.method()) != Method::kHealthWatch) return;
    const int now = HealthOf(state->service);
    if (now == state->sent) return;
    state->sent = now;
    health::HealthCheckResponse resp;
    resp.set_status(static_cast<health::HealthCheckResponse::ServingStatus>(now));
    call.Write(resp.SerializeAsString());
  }

  void OnClosed(GrpcCall&) override {}
};

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Create(const GrpcServerOptions& options,
                                                         const InferenceService* inference) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->inference = inference;
  impl->reflection = std::make_unique<ReflectionService>(std::vector<std::string>{
      std::string(kInferenceServiceName), "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"});
  GrpcTransportOptions t;
  t.host = options.host;
  t.port = options.port;
  t.threads = options.threads;
  t.max_message_bytes = options.max_message_bytes;
  t.max_inflight = options.max_inflight;
  t.retry_after_seconds = options.retry_after_seconds;
  t.read_timeout = options.read_timeout;
  t.idle_timeout = options.idle_timeout;
  t.log_requests = options.log_requests;
  INFERD_ASSIGN_OR_RETURN(impl->transport, GrpcTransport::Create(t, impl.get()));
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

GrpcServer::~GrpcServer() { Shutdown(Clock::now()); }

uint16_t GrpcServer::port() const { return impl_->transport->port(); }

void GrpcServer::UpdateHealth() { impl_->transport->TickStreams(); }

bool GrpcServer::Shutdown(Clock::time_point deadline) {
  impl_->stopping.store(true, std::memory_order_release);  // health answers NOT_SERVING from here on
  return impl_->transport->Shutdown(deadline);
}

}  // namespace inferd::grpc_api
