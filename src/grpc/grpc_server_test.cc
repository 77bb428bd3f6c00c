#include "grpc/grpc_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "inference.grpc.pb.h"
#include "serving/testing/fake_model.h"

namespace inferd::grpc_api {
namespace {

std::shared_ptr<ModelManager> Models() {
  auto models = std::make_shared<ModelManager>();
  auto s = std::make_shared<ServedModel>();
  s->model = std::make_shared<testing::FakeClassifier>(2, std::vector<Label>{Label::Int(0), Label::Int(7)});
  s->name = "clf";
  models->Swap(std::move(s));
  return models;
}

struct Server {
  std::shared_ptr<ModelManager> models = Models();
  InferenceService inference{models.get(), InferenceOptions{}};
  std::atomic<bool> ready{true};
  std::unique_ptr<GrpcServer> server;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub;

  explicit Server(GrpcServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.ready = [this] { return ready.load(); };
    auto created = GrpcServer::Create(options, &inference);
    EXPECT_TRUE(created.ok()) << created.status().message();
    server = std::move(created).value();
    auto channel =
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials());
    stub = inference::GRPCInferenceService::NewStub(channel);
  }
};

inference::ModelInferRequest Rows(const std::string& model, std::initializer_list<double> values) {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  auto* t = r.add_inputs();
  t->set_name("input-0");
  t->set_datatype("FP64");
  t->add_shape(static_cast<int64_t>(values.size() / 2));
  t->add_shape(2);
  for (double v : values) t->mutable_contents()->add_fp64_contents(v);
  return r;
}

TEST(GrpcServer, InfersThroughTheRequestPath) {
  Server s;
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-request-id", "rid-1");
  inference::ModelInferResponse resp;
  grpc::Status st = s.stub->ModelInfer(&ctx, Rows("clf", {0, 0, 1, 5}), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(resp.outputs_size(), 1);
  EXPECT_EQ(resp.outputs(0).name(), "predict");
  EXPECT_EQ(resp.outputs(0).datatype(), "INT64");
  ASSERT_EQ(resp.outputs(0).contents().int64_contents_size(), 2);
  EXPECT_EQ(resp.outputs(0).contents().int64_contents(0), 0);
  EXPECT_EQ(resp.outputs(0).contents().int64_contents(1), 7);
  auto id = ctx.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(id, ctx.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(id->second.data(), id->second.size()), "rid-1");
  // Counted in the model's metrics under protocol="grpc".
  auto catalog = s.models->catalog();
  ModelStats::Totals totals = catalog->stats.at("clf")->Sum();
  EXPECT_EQ(totals.requests[static_cast<size_t>(Protocol::kGrpc)][prom::CodeSlot(200)], 1u);
}

TEST(GrpcServer, ErrorsAreGrpcStatuses) {
  Server s;
  {
    grpc::ClientContext ctx;
    inference::ModelInferResponse resp;
    grpc::Status st = s.stub->ModelInfer(&ctx, Rows("nope", {0, 0}), &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(st.error_message(), "no model named 'nope'");
  }
  {
    grpc::ClientContext ctx;
    inference::ModelInferResponse resp;
    inference::ModelInferRequest r = Rows("clf", {0, 0});
    r.mutable_inputs(0)->set_shape(1, 3);
    grpc::Status st = s.stub->ModelInfer(&ctx, r, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    inference::RepositoryIndexResponse resp;
    grpc::Status st = s.stub->RepositoryIndex(&ctx, inference::RepositoryIndexRequest(), &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
}

// A classifier whose predictions wait until the test releases them.
class BlockingClassifier : public testing::FakeClassifier {
 public:
  BlockingClassifier() : FakeClassifier(2, {Label::Int(0), Label::Int(1)}) {}
  Status PredictClass(const double* x, size_t n, int32_t* out) const override {
    entered.set_value();
    release.wait();
    return FakeClassifier::PredictClass(x, n, out);
  }
  mutable std::promise<void> entered;
  std::shared_future<void> release;
};

TEST(GrpcServer, ShedsBeyondMaxInflight) {
  GrpcServerOptions o;
  o.max_inflight = 1;
  o.retry_after_seconds = 2;
  Server s(o);
  auto blocking = std::make_shared<BlockingClassifier>();
  std::promise<void> release;
  blocking->release = release.get_future().share();
  auto served = std::make_shared<ServedModel>();
  served->model = blocking;
  served->name = "slow";
  s.models->Swap(std::move(served));
  std::future<void> entered = blocking->entered.get_future();

  grpc::Status first;
  std::thread t([&] {
    grpc::ClientContext ctx;
    inference::ModelInferResponse resp;
    first = s.stub->ModelInfer(&ctx, Rows("slow", {0, 0}), &resp);
  });
  entered.wait();  // the first call holds the only slot
  grpc::ClientContext ctx;
  inference::ModelInferResponse resp;
  grpc::Status second = s.stub->ModelInfer(&ctx, Rows("clf", {0, 0}), &resp);
  release.set_value();
  t.join();
  EXPECT_TRUE(first.ok()) << first.error_message();
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(second.error_message().find("--max-inflight limit of 1"), std::string::npos);
  auto pushback = ctx.GetServerTrailingMetadata().find("grpc-retry-pushback-ms");
  ASSERT_NE(pushback, ctx.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(pushback->second.data(), pushback->second.size()), "2000");
  // The slot is free again.
  grpc::ClientContext again;
  EXPECT_TRUE(s.stub->ModelInfer(&again, Rows("clf", {0, 0}), &resp).ok());
}

TEST(GrpcServer, ReadinessAndMetadata) {
  Server s;
  {
    grpc::ClientContext ctx;
    inference::ServerReadyResponse resp;
    ASSERT_TRUE(s.stub->ServerReady(&ctx, inference::ServerReadyRequest(), &resp).ok());
    EXPECT_TRUE(resp.ready());
  }
  s.ready = false;
  {
    grpc::ClientContext ctx;
    inference::ServerReadyResponse resp;
    ASSERT_TRUE(s.stub->ServerReady(&ctx, inference::ServerReadyRequest(), &resp).ok());
    EXPECT_FALSE(resp.ready());
  }
  grpc::ClientContext ctx;
  inference::ModelMetadataRequest req;
  req.set_name("clf");
  inference::ModelMetadataResponse resp;
  ASSERT_TRUE(s.stub->ModelMetadata(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.name(), "clf");
  ASSERT_EQ(resp.inputs_size(), 1);
  EXPECT_EQ(resp.inputs(0).shape(1), 2);
  ASSERT_GE(resp.outputs_size(), 2);
  EXPECT_EQ(resp.outputs(1).name(), "predict_proba");
}

TEST(GrpcServer, RefusesOversizedMessages) {
  GrpcServerOptions o;
  o.max_message_bytes = 1024;
  Server s(o);
  inference::ModelInferRequest r = Rows("clf", {0, 0});
  r.set_id(std::string(4096, 'x'));
  grpc::ClientContext ctx;
  inference::ModelInferResponse resp;
  EXPECT_EQ(s.stub->ModelInfer(&ctx, r, &resp).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace inferd::grpc_api
