#include "grpc/grpc_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "grpc/grpc_wire.h"
#include "grpc/testing/grpc_test_client.h"
#include "health.pb.h"
#include "inference.pb.h"
#include "reflection.pb.h"
#include "serving/testing/fake_model.h"

namespace inferd::grpc_api {
namespace {

using grpc_api::testing::GrpcTestClient;
using grpc_api::testing::TestAnswer;
using grpc_api::testing::TestCall;
namespace health = ::grpc::health::v1;

constexpr int kOk = 0, kInvalidArgument = 3, kDeadlineExceeded = 4, kNotFound = 5, kPermissionDenied = 7,
              kResourceExhausted = 8, kUnimplemented = 12, kInternal = 13;

std::shared_ptr<ModelManager> Models() {
  auto models = std::make_shared<ModelManager>();
  auto s = std::make_shared<ServedModel>();
  s->model = std::make_shared<inferd::testing::FakeClassifier>(2, std::vector<Label>{Label::Int(0), Label::Int(7)});
  s->name = "clf";
  models->Swap(std::move(s));
  return models;
}

struct Server {
  std::shared_ptr<ModelManager> models = Models();
  InferenceService inference{models.get(), InferenceOptions{}};
  std::atomic<bool> ready{true};
  std::unique_ptr<GrpcServer> server;

  explicit Server(GrpcServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.ready = [this] { return ready.load(); };
    auto created = GrpcServer::Create(options, &inference);
    EXPECT_TRUE(created.ok()) << created.status().message();
    server = std::move(created).value();
  }
  uint16_t port() const { return server->port(); }
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

TestCall Infer(const inference::ModelInferRequest& r) {
  return TestCall{"/inference.GRPCInferenceService/ModelInfer", {r.SerializeAsString()}, {}, {}};
}

template <typename Response>
Response Decode(const TestAnswer& a) {
  Response r;
  EXPECT_EQ(a.messages.size(), 1u);
  if (!a.messages.empty()) {
    EXPECT_TRUE(r.ParseFromString(a.messages[0]));
  }
  return r;
}

TEST(GrpcServer, InfersThroughTheRequestPath) {
  Server s;
  GrpcTestClient client(s.port());
  TestCall call = Infer(Rows("clf", {0, 0, 1, 5}));
  call.metadata = {{"x-request-id", "rid-1"}};
  TestAnswer a = client.Call(call);
  ASSERT_EQ(a.code, kOk) << a.message;
  EXPECT_EQ(a.http_status, 200);
  auto resp = Decode<inference::ModelInferResponse>(a);
  ASSERT_EQ(resp.outputs_size(), 1);
  EXPECT_EQ(resp.outputs(0).name(), "predict");
  EXPECT_EQ(resp.outputs(0).datatype(), "INT64");
  ASSERT_EQ(resp.outputs(0).contents().int64_contents_size(), 2);
  EXPECT_EQ(resp.outputs(0).contents().int64_contents(0), 0);
  EXPECT_EQ(resp.outputs(0).contents().int64_contents(1), 7);
  EXPECT_EQ(a.headers["x-request-id"], "rid-1");
  EXPECT_EQ(a.headers["content-type"], "application/grpc");
  // A generated id when the client sends none.
  TestAnswer b = client.Call(Infer(Rows("clf", {0, 0})));
  EXPECT_EQ(b.code, kOk);
  EXPECT_FALSE(b.headers["x-request-id"].empty());
  EXPECT_NE(b.headers["x-request-id"], "rid-1");
  // Counted in the model's metrics under protocol="grpc".
  auto catalog = s.models->catalog();
  ModelStats::Totals totals = catalog->stats.at("clf")->Sum();
  EXPECT_EQ(totals.requests[static_cast<size_t>(Protocol::kGrpc)][prom::CodeSlot(200)], 2u);
}

TEST(GrpcServer, ErrorsAreGrpcStatuses) {
  Server s;
  GrpcTestClient client(s.port());
  TestAnswer a = client.Call(Infer(Rows("nope", {0, 0})));
  EXPECT_EQ(a.code, kNotFound);
  EXPECT_EQ(a.message, "no model named 'nope'");
  EXPECT_TRUE(a.messages.empty());
  EXPECT_EQ(a.trailers["grpc-status"], "5");  // a Trailers-Only answer

  inference::ModelInferRequest r = Rows("clf", {0, 0});
  r.mutable_inputs(0)->set_shape(1, 3);
  EXPECT_EQ(client.Call(Infer(r)).code, kInvalidArgument);

  TestCall index{"/inference.GRPCInferenceService/RepositoryIndex", {""}, {}, {}};
  EXPECT_EQ(client.Call(index).code, kPermissionDenied);

  TestAnswer unknown = client.Call(TestCall{"/inference.GRPCInferenceService/ModelStatistics", {""}, {}, {}});
  EXPECT_EQ(unknown.code, kUnimplemented);

  TestAnswer garbage = client.Call(TestCall{"/inference.GRPCInferenceService/ModelInfer", {"\xff\xff\xff"}, {}, {}});
  EXPECT_EQ(garbage.code, kInvalidArgument);
  EXPECT_NE(garbage.message.find("inference.ModelInferRequest"), std::string::npos);

  TestAnswer none = client.Call(TestCall{"/inference.GRPCInferenceService/ServerLive", {}, {}, {}});
  EXPECT_EQ(none.code, kInvalidArgument);
  TestAnswer two = client.Call(TestCall{"/inference.GRPCInferenceService/ServerLive", {"", ""}, {}, {}});
  EXPECT_EQ(two.code, kInvalidArgument);
  // A prefix announcing 100 bytes and 3 of them, then the end of the request.
  TestAnswer cut =
      client.Call(TestCall{"/inference.GRPCInferenceService/ServerLive", {}, {}, std::string("\0\0\0\0\x64xyz", 8)});
  EXPECT_EQ(cut.code, kInternal);
  // A compressed message (flag 1): no codec is announced.
  TestAnswer zipped =
      client.Call(TestCall{"/inference.GRPCInferenceService/ServerLive", {}, {}, std::string("\x01\0\0\0\x01x", 6)});
  EXPECT_EQ(zipped.code, kUnimplemented);
  // The connection still serves after all that.
  EXPECT_EQ(client.Call(Infer(Rows("clf", {0, 0}))).code, kOk);
}

TEST(GrpcServer, ShedsBeyondMaxInflight) {
  GrpcServerOptions o;
  o.max_inflight = 1;
  o.retry_after_seconds = 2;
  Server s(o);
  GrpcTestClient client(s.port());
  // Three calls in one write: read in one round, counted before the first runs.
  TestCall call = Infer(Rows("clf", {0, 0}));
  std::vector<TestAnswer> answers = client.CallAll({call, call, call});
  EXPECT_EQ(answers[0].code, kOk) << answers[0].message;
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(answers[i].code, kResourceExhausted);
    EXPECT_NE(answers[i].message.find("--max-inflight limit of 1"), std::string::npos) << answers[i].message;
    EXPECT_EQ(answers[i].trailers["grpc-retry-pushback-ms"], "2000");
  }
  // Health checks are not counted against the limit.
  health::HealthCheckRequest h;
  TestCall check{"/grpc.health.v1.Health/Check", {h.SerializeAsString()}, {}, {}};
  answers = client.CallAll({call, check, check});
  EXPECT_EQ(answers[0].code, kOk);
  EXPECT_EQ(answers[1].code, kOk);
  EXPECT_EQ(answers[2].code, kOk);
  // The slots are free again.
  EXPECT_EQ(client.Call(call).code, kOk);
}

TEST(GrpcServer, DeadlinePassedBeforeTheCallRuns) {
  Server s;
  GrpcTestClient client(s.port());
  TestCall call = Infer(Rows("clf", {0, 0}));
  call.metadata = {{"grpc-timeout", "0n"}};
  TestAnswer a = client.Call(call);
  EXPECT_EQ(a.code, kDeadlineExceeded);
  call.metadata = {{"grpc-timeout", "10S"}};
  EXPECT_EQ(client.Call(call).code, kOk);
}

TEST(GrpcServer, ReadinessHealthAndMetadata) {
  Server s;
  GrpcTestClient client(s.port());
  TestCall ready{"/inference.GRPCInferenceService/ServerReady", {""}, {}, {}};
  EXPECT_TRUE(Decode<inference::ServerReadyResponse>(client.Call(ready)).ready());
  health::HealthCheckRequest h;
  TestCall check{"/grpc.health.v1.Health/Check", {h.SerializeAsString()}, {}, {}};
  EXPECT_EQ(Decode<health::HealthCheckResponse>(client.Call(check)).status(), health::HealthCheckResponse::SERVING);
  s.ready = false;
  EXPECT_FALSE(Decode<inference::ServerReadyResponse>(client.Call(ready)).ready());
  EXPECT_EQ(Decode<health::HealthCheckResponse>(client.Call(check)).status(), health::HealthCheckResponse::NOT_SERVING);
  h.set_service("liveness");
  check.messages = {h.SerializeAsString()};
  EXPECT_EQ(Decode<health::HealthCheckResponse>(client.Call(check)).status(), health::HealthCheckResponse::SERVING);
  h.set_service("no.such.Service");
  check.messages = {h.SerializeAsString()};
  EXPECT_EQ(client.Call(check).code, kNotFound);

  inference::ModelMetadataRequest req;
  req.set_name("clf");
  auto resp = Decode<inference::ModelMetadataResponse>(
      client.Call(TestCall{"/inference.GRPCInferenceService/ModelMetadata", {req.SerializeAsString()}, {}, {}}));
  EXPECT_EQ(resp.name(), "clf");
  ASSERT_EQ(resp.inputs_size(), 1);
  EXPECT_EQ(resp.inputs(0).shape(1), 2);
  ASSERT_GE(resp.outputs_size(), 2);
  EXPECT_EQ(resp.outputs(1).name(), "predict_proba");
}

TEST(GrpcServer, StreamingCallAnswersEveryMessageThenEnds) {
  Server s;
  GrpcTestClient client(s.port());
  namespace reflection = ::grpc::reflection::v1alpha;
  reflection::ServerReflectionRequest list, missing;
  list.set_list_services("");
  missing.set_file_containing_symbol("no.such.Thing");
  TestAnswer a = client.Call(TestCall{"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                      {list.SerializeAsString(), missing.SerializeAsString(), list.SerializeAsString()},
                                      {},
                                      {}});
  EXPECT_EQ(a.code, kOk) << a.message;
  ASSERT_EQ(a.messages.size(), 3u);
  reflection::ServerReflectionResponse r;
  ASSERT_TRUE(r.ParseFromString(a.messages[0]));
  EXPECT_EQ(r.list_services_response().service_size(), 3);
  ASSERT_TRUE(r.ParseFromString(a.messages[1]));
  EXPECT_EQ(r.error_response().error_code(), kNotFound);
  ASSERT_TRUE(r.ParseFromString(a.messages[2]));
  EXPECT_EQ(r.list_services_response().service_size(), 3);
}

TEST(GrpcServer, RefusesOversizedMessages) {
  GrpcServerOptions o;
  o.max_message_bytes = 1024;
  Server s(o);
  GrpcTestClient client(s.port());
  inference::ModelInferRequest r = Rows("clf", {0, 0});
  r.set_id(std::string(64 * 1024, 'x'));
  TestAnswer a = client.Call(Infer(r));
  EXPECT_EQ(a.code, kResourceExhausted);
  EXPECT_NE(a.message.find("vs. 1024"), std::string::npos) << a.message;
  EXPECT_EQ(client.Call(Infer(Rows("clf", {0, 0}))).code, kOk);
}

TEST(GrpcServer, StalledRequestEndsAfterTheReadTimeout) {
  GrpcServerOptions o;
  o.read_timeout = std::chrono::seconds(1);
  Server s(o);
  GrpcTestClient client(s.port());
  // Half a framed message, and the stream left open: the server must not wait for the rest.
  TestCall stalled = Infer(Rows("clf", {0, 0}));
  const std::string framed = FrameMessage(stalled.messages[0]);
  stalled.raw_body = framed.substr(0, framed.size() / 2);
  stalled.end_stream = false;
  const auto start = std::chrono::steady_clock::now();
  TestAnswer a = client.Call(stalled);
  EXPECT_EQ(a.code, kDeadlineExceeded);
  EXPECT_NE(a.message.find("not received within 1 s"), std::string::npos) << a.message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(client.Call(Infer(Rows("clf", {0, 0}))).code, kOk);  // the connection serves on
}

// Unary requests hold the connection's window until answered: partial requests that fill it,
// none able to complete, would stall every call on the connection until the read timeout.
TEST(GrpcServer, PartialRequestsFillingTheWindowAreRefused) {
  Server s(GrpcServerOptions{});  // 8 MB messages: a 16 MB window; read timeout 30 s
  GrpcTestClient client(s.port());
  // 20 requests each announcing a 2 MB message and sending 1 MB of it, the streams left open.
  std::string partial(kMessagePrefixBytes + (size_t{1} << 20), 'x');
  SetMessagePrefix(size_t{2} << 20, partial.data());
  std::vector<TestCall> calls;
  for (int i = 0; i < 20; ++i) {
    TestCall c = Infer(Rows("clf", {0, 0}));
    c.raw_body = partial;
    c.end_stream = false;
    calls.push_back(c);
  }
  int refused = 0;
  for (const TestAnswer& a : client.CallAll(calls)) {
    if (a.code == kResourceExhausted) {
      ++refused;
      EXPECT_NE(a.message.find("flow-control window (16778240 bytes) is full"), std::string::npos) << a.message;
    } else {
      EXPECT_EQ(a.code, -1) << a.message;  // still waiting for the rest of its message
    }
  }
  // The window holds at most 16 of the 20 bodies: the server must refuse some to let the rest in.
  EXPECT_GE(refused, 5);
  GrpcTestClient again(s.port());
  EXPECT_EQ(again.Call(Infer(Rows("clf", {0, 0}))).code, kOk);
}

TEST(GrpcServer, IdleConnectionIsClosed) {
  GrpcServerOptions o;
  o.idle_timeout = std::chrono::seconds(1);
  Server s(o);
  GrpcTestClient client(s.port());
  EXPECT_EQ(client.Call(Infer(Rows("clf", {0, 0}))).code, kOk);
  std::this_thread::sleep_for(std::chrono::seconds(3));         // 1 s idle + ticks, with room for a loaded machine
  EXPECT_EQ(client.Call(Infer(Rows("clf", {0, 0}))).code, -1);  // closed: no answer
  GrpcTestClient again(s.port());
  EXPECT_EQ(again.Call(Infer(Rows("clf", {0, 0}))).code, kOk);
}

TEST(GrpcServer, ShutdownRefusesNewConnections) {
  Server s;
  const uint16_t port = s.port();
  {
    GrpcTestClient client(port);
    EXPECT_EQ(client.Call(Infer(Rows("clf", {0, 0}))).code, kOk);
  }
  EXPECT_TRUE(s.server->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  EXPECT_THROW(GrpcTestClient client(port), std::runtime_error);
}

}  // namespace
}  // namespace inferd::grpc_api
