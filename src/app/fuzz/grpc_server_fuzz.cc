// libFuzzer target: what a gRPC client sends on a real connection to the assembled server's gRPC
// port (GrpcTransport: nghttp2's HTTP/2 framing and HPACK, the transport's callbacks and message
// framing, the services behind it, ModelInfer's decoder and a real LogisticRegression from
// src/pickle/testdata, served as "m", the model name of the seed corpus).
//
// One in-process server serves every input. Per input: connect, write HTTP/2's client
// connection preface, then the input (frames: the seeds are whole calls, see
// make_grpc_corpus.py), half-close, and read until the server closes. Contract checked: the
// server finishes the connection within kHangSeconds, whatever it sends starts with its SETTINGS
// frame, and it keeps accepting (sanitizers report memory errors on the server threads, which
// share this process). Findings and harness errors as in server_harness.h.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "app/fuzz/server_harness.h"

namespace {

using inferd::fuzz::Clock;
using inferd::fuzz::Finding;

// Deadline of one whole exchange; the server's read and idle timeouts (2 s) end a connection sooner.
constexpr int kHangSeconds = 10;
constexpr char kClientPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr uint8_t kSettingsFrameType = 0x4;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint16_t port = inferd::fuzz::FuzzServer(INFERD_FUZZ_MODEL, "m", true).grpc_port();
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(kHangSeconds);
  int fd = inferd::fuzz::Connect(port, deadline);
  inferd::fuzz::SendAll(fd, reinterpret_cast<const uint8_t*>(kClientPreface), sizeof kClientPreface - 1, deadline);
  inferd::fuzz::SendAll(fd, data, size, deadline);
  ::shutdown(fd, SHUT_WR);  // the server sees the end of the stream (fails only if it reset us)
  std::string out = inferd::fuzz::ReadToEnd(fd, deadline);
  ::close(fd);
  // A server frame: 3-byte length, 1-byte type, ...; the first one must be its SETTINGS.
  if (!out.empty() && (out.size() < 9 || static_cast<uint8_t>(out[3]) != kSettingsFrameType)) {
    Finding("the server's first frame is not SETTINGS", out);
  }
  return 0;
}
