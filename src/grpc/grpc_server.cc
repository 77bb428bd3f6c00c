#include "grpc/grpc_server.h"

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "grpc/infer_codec.h"
#include "grpc/reflection_service.h"
#include "inference.grpc.pb.h"
#include "json/tensor_codec.h"
#include "logging/log.h"

namespace inferd::grpc_api {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kInferenceServiceName = "inference.GRPCInferenceService";
constexpr const char* kLivenessServiceName = "liveness";

grpc::StatusCode GrpcCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kUnimplemented: return grpc::StatusCode::UNIMPLEMENTED;
    case StatusCode::kFailedPrecondition: return grpc::StatusCode::FAILED_PRECONDITION;
    case StatusCode::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

// The `code` label of the per-model metrics: the HTTP status the REST protocols would answer.
int MetricsCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE: return 400;
    case grpc::StatusCode::PERMISSION_DENIED: return 403;
    case grpc::StatusCode::NOT_FOUND: return 404;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return 413;
    case grpc::StatusCode::UNIMPLEMENTED: return 501;
    case grpc::StatusCode::UNAVAILABLE: return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return 504;
    default: return 500;
  }
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    default: return "UNKNOWN";
  }
}

grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  return grpc::Status(GrpcCode(st.code()), st.message());
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
    if (Clock::now() > deadline_) {
      status_ =
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the call ran past the server's --request-timeout-ms");
      return;
    }
    EncodeModelInferResponse(result, raw_outputs_, response_);
  }
  void Fail(const Status& status) override {
    response_->Clear();
    status_ = ToGrpc(status);
  }
  int metrics_code() const override { return MetricsCode(status_.error_code()); }
  const grpc::Status& status() const { return status_; }

 private:
  const inference::ModelInferRequest* const request_;
  inference::ModelInferResponse* const response_;
  const Clock::time_point deadline_;
  bool raw_outputs_ = false;
  grpc::Status status_;
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

}  // namespace

struct GrpcServer::Impl final : public inference::GRPCInferenceService::CallbackService {
  GrpcServerOptions options;
  const InferenceService* inference = nullptr;
  std::unique_ptr<ReflectionService> reflection;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::string id_prefix;
  std::atomic<uint64_t> next_id{0};
  std::atomic<int64_t> inflight{0};

  std::mutex mu;  // guards the fields below and the health statuses' changes
  std::condition_variable cv;
  bool stopping = false;
  int last_ready = -1;  // -1: not set yet
  std::thread health_thread;

  // Per call: the request id, timing and the access log line.
  class Call {
   public:
    Call(Impl* impl, grpc::CallbackServerContext* ctx, const char* method)
        : impl_(impl), ctx_(ctx), method_(method), start_(Clock::now()) {
      auto it = ctx->client_metadata().find("x-request-id");
      if (it != ctx->client_metadata().end() && !it->second.empty() && it->second.size() <= 128) {
        id_.assign(it->second.data(), it->second.size());
      } else {
        id_ = impl->id_prefix;
        char buf[24];
        auto* end =
            std::to_chars(buf, buf + sizeof buf, impl->next_id.fetch_add(1, std::memory_order_relaxed) + 1, 16).ptr;
        id_.append(buf, static_cast<size_t>(end - buf));
      }
      ctx->AddInitialMetadata("x-request-id", id_);
    }
    // Finishes the call with `status` and logs it.
    grpc::ServerUnaryReactor* Finish(const grpc::Status& status, std::string_view model = {}) {
      if (impl_->options.log_requests) {
        LogInfo("request")
            .Str("protocol", "grpc")
            .Str("method", method_)
            .Str("model", model)
            .Str("status", CodeName(status.error_code()))
            .Double("duration_seconds", std::chrono::duration<double>(Clock::now() - start_).count())
            .Str("request_id", id_);
      }
      grpc::ServerUnaryReactor* reactor = ctx_->DefaultReactor();
      reactor->Finish(status);
      return reactor;
    }
    Clock::time_point start() const { return start_; }

   private:
    Impl* const impl_;
    grpc::CallbackServerContext* const ctx_;
    const char* const method_;
    const Clock::time_point start_;
    std::string id_;
  };

  bool Ready() const { return options.ready && options.ready(); }

  void UpdateHealthLocked() {
    const int ready = Ready() ? 1 : 0;
    if (ready == last_ready || server == nullptr) return;
    last_ready = ready;
    grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
    if (health == nullptr) return;
    health->SetServingStatus("", ready == 1);
    health->SetServingStatus(kInferenceServiceName, ready == 1);
  }

  StatusOr<ModelHandle> Find(const std::string& name, const std::string& version) const {
    return inference->Find(ModelSelector{name, version});
  }

  // --- inference.GRPCInferenceService ---

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* ctx, const inference::ServerLiveRequest*,
                                       inference::ServerLiveResponse* resp) override {
    Call call(this, ctx, "ServerLive");
    resp->set_live(true);
    return call.Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* ctx, const inference::ServerReadyRequest*,
                                        inference::ServerReadyResponse* resp) override {
    Call call(this, ctx, "ServerReady");
    resp->set_ready(Ready());
    return call.Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* ctx, const inference::ModelReadyRequest* req,
                                       inference::ModelReadyResponse* resp) override {
    Call call(this, ctx, "ModelReady");
    StatusOr<ModelHandle> found = Find(req->name(), req->version());
    if (!found.ok()) return call.Finish(ToGrpc(found.status()), req->name());
    resp->set_ready(true);
    return call.Finish(grpc::Status::OK, req->name());
  }

  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* ctx, const inference::ServerMetadataRequest*,
                                           inference::ServerMetadataResponse* resp) override {
    Call call(this, ctx, "ServerMetadata");
    resp->set_name("inferd");
    resp->set_version(options.server_version);
    if (options.control != nullptr) resp->add_extensions("model_repository");
    return call.Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* ctx, const inference::ModelMetadataRequest* req,
                                          inference::ModelMetadataResponse* resp) override {
    Call call(this, ctx, "ModelMetadata");
    StatusOr<ModelHandle> found = Find(req->name(), req->version());
    if (!found.ok()) return call.Finish(ToGrpc(found.status()), req->name());
    const ServedModel& served = *found->served;
    FillModelMetadata(served, resp);
    return call.Finish(grpc::Status::OK, served.name);
  }

  void FillModelMetadata(const ServedModel& served, inference::ModelMetadataResponse* resp) const {
    const Model& m = *served.model;
    resp->set_name(served.name);
    auto catalog = inference->models().catalog();
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

  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* ctx, const inference::ModelInferRequest* req,
                                       inference::ModelInferResponse* resp) override {
    Call call(this, ctx, "ModelInfer");
    const int64_t now_inflight = inflight.fetch_add(1, std::memory_order_relaxed) + 1;
    struct Release {
      std::atomic<int64_t>* n;
      ~Release() { n->fetch_sub(1, std::memory_order_relaxed); }
    } release{&inflight};
    if (options.max_inflight != 0 && now_inflight > static_cast<int64_t>(options.max_inflight)) {
      // Shed at once, as the REST side does: no model work, the client retries later.
      ctx->AddTrailingMetadata("grpc-retry-pushback-ms", std::to_string(options.retry_after_seconds * 1000));
      return call.Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                      "server is at its --max-inflight limit of " +
                                          std::to_string(options.max_inflight) + " requests; retry later"),
                         req->model_name());
    }
    // The client's deadline may have passed while the call waited for a gRPC thread; gRPC
    // itself answers a call that outlives it. The server's own runs from here.
    if (ctx->IsCancelled() || std::chrono::system_clock::now() >= ctx->deadline()) {
      return call.Finish(
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the request's deadline passed before it could run"),
          req->model_name());
    }
    const Clock::time_point own_deadline =
        options.request_timeout.count() > 0 ? call.start() + options.request_timeout : Clock::time_point::max();
    GrpcInferCodec codec(req, resp, own_deadline);
    inference->Infer(Protocol::kGrpc, ModelSelector{req->model_name(), req->model_version()}, codec);
    return call.Finish(codec.status(), req->model_name());
  }

  grpc::ServerUnaryReactor* RepositoryIndex(grpc::CallbackServerContext* ctx,
                                            const inference::RepositoryIndexRequest* req,
                                            inference::RepositoryIndexResponse* resp) override {
    Call call(this, ctx, "RepositoryIndex");
    if (grpc::Status st = ControlAllowed(req->repository_name()); !st.ok()) return call.Finish(st);
    for (const ModelIndexEntry& e : options.control->Index()) {
      if (req->ready() && e.state != "READY") continue;
      auto* m = resp->add_models();
      m->set_name(e.name);
      m->set_version(e.version);
      m->set_state(e.state);
      m->set_reason(e.reason);
    }
    return call.Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* RepositoryModelLoad(grpc::CallbackServerContext* ctx,
                                                const inference::RepositoryModelLoadRequest* req,
                                                inference::RepositoryModelLoadResponse*) override {
    Call call(this, ctx, "RepositoryModelLoad");
    if (grpc::Status st = ControlAllowed(req->repository_name()); !st.ok()) return call.Finish(st, req->model_name());
    if (!req->parameters().empty()) {
      return call.Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                      "load parameters (a model given inline, config overrides) are not supported"),
                         req->model_name());
    }
    return call.Finish(ToGrpc(options.control->LoadModel(req->model_name())), req->model_name());
  }

  grpc::ServerUnaryReactor* RepositoryModelUnload(grpc::CallbackServerContext* ctx,
                                                  const inference::RepositoryModelUnloadRequest* req,
                                                  inference::RepositoryModelUnloadResponse*) override {
    Call call(this, ctx, "RepositoryModelUnload");
    if (grpc::Status st = ControlAllowed(req->repository_name()); !st.ok()) return call.Finish(st, req->model_name());
    return call.Finish(ToGrpc(options.control->UnloadModel(req->model_name())), req->model_name());
  }

  grpc::Status ControlAllowed(const std::string& repository) const {
    if (options.control == nullptr) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "model control is disabled (start the server with --enable-model-control)");
    }
    if (!repository.empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "no repository named '" + repository + "' (inferd has one; leave repository_name empty)");
    }
    return grpc::Status::OK;
  }
};

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Create(const GrpcServerOptions& options,
                                                         const InferenceService* inference) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->inference = inference;
  std::random_device rd;
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%08x-g-", rd());
  impl->id_prefix = prefix;
  impl->reflection = std::make_unique<ReflectionService>(std::vector<std::string>{
      kInferenceServiceName, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"});

  // Debian's abseil checks every Mutex acquisition for lock-order cycles (a debugging aid);
  // gRPC's core takes several per call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  std::string host = options.host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  builder.AddListeningPort(host + ":" + std::to_string(options.port), grpc::InsecureServerCredentials(), &impl->port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(options.max_message_bytes, INT32_MAX)));
  builder.SetMaxSendMessageSize(INT32_MAX);
  // The server answers pings of idle clients (gRPC's keepalive defaults refuse them as abuse).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.RegisterService(impl.get());
  builder.RegisterService(impl->reflection.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    return Status::Unavailable("cannot listen for gRPC on " + host + ":" + std::to_string(options.port) +
                               " (is the port in use?)");
  }
  if (grpc::HealthCheckServiceInterface* health = impl->server->GetHealthCheckService()) {
    health->SetServingStatus(kLivenessServiceName, true);
  }
  {
    std::lock_guard<std::mutex> l(impl->mu);
    impl->UpdateHealthLocked();
  }
  // Readiness changes with the models (loads, unloads, reloads): re-read it on a short period.
  Impl* raw = impl.get();
  impl->health_thread = std::thread([raw] {
    std::unique_lock<std::mutex> l(raw->mu);
    while (!raw->stopping) {
      raw->cv.wait_for(l, std::chrono::milliseconds(100));
      if (!raw->stopping) raw->UpdateHealthLocked();
    }
  });
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

GrpcServer::~GrpcServer() { Shutdown(Clock::now()); }

uint16_t GrpcServer::port() const { return static_cast<uint16_t>(impl_->port); }

void GrpcServer::UpdateHealth() {
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->UpdateHealthLocked();
}

bool GrpcServer::Shutdown(Clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    if (impl_->stopping) return true;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->health_thread.joinable()) impl_->health_thread.join();
  const auto system_deadline = std::chrono::system_clock::now() +
                               std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - Clock::now());
  impl_->server->Shutdown(system_deadline);  // health answers NOT_SERVING from here on
  const bool clean = Clock::now() < deadline || impl_->inflight.load() == 0;
  impl_->server->Wait();
  return clean;
}

}  // namespace inferd::grpc_api
