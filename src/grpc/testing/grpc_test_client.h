// A small blocking gRPC client for the transport's unit tests, on libnghttp2's client session:
// it sends a batch of calls in one write (so the server reads them in one round, which the
// shedding test needs) and reads until every call is answered or 10 s pass.
#ifndef INFERD_GRPC_TESTING_GRPC_TEST_CLIENT_H_
#define INFERD_GRPC_TESTING_GRPC_TEST_CLIENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace inferd::grpc_api::testing {

struct TestCall {
  std::string method;                 // "/package.Service/Method"
  std::vector<std::string> messages;  // request messages (framed by the client)
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string raw_body;    // if set, sent as the DATA instead of framed messages
  bool end_stream = true;  // false: the request stays open after its DATA (a stalled client)
};

struct TestAnswer {
  int http_status = 0;
  int code = -1;  // grpc-status; -1 if the call got none (reset or timed out)
  std::string message;
  std::vector<std::string> messages;
  std::map<std::string, std::string> headers;   // initial metadata
  std::map<std::string, std::string> trailers;  // trailing metadata (or Trailers-Only headers)
};

class GrpcTestClient {
 public:
  explicit GrpcTestClient(uint16_t port);
  ~GrpcTestClient();
  GrpcTestClient(const GrpcTestClient&) = delete;
  GrpcTestClient& operator=(const GrpcTestClient&) = delete;

  std::vector<TestAnswer> CallAll(const std::vector<TestCall>& calls);
  TestAnswer Call(const TestCall& call) { return CallAll({call}).at(0); }

 private:
  int fd_ = -1;
  struct Session;
  Session* session_ = nullptr;
};

}  // namespace inferd::grpc_api::testing

#endif  // INFERD_GRPC_TESTING_GRPC_TEST_CLIENT_H_
