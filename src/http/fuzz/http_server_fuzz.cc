// libFuzzer target: raw bytes on a real connection to the assembled server (ServingApp: Beast
// parser, the Connection state machine, router, /predict + V1 + V2 handlers, a real
// LogisticRegression loaded from src/pickle/testdata).
//
// One in-process server on a loopback port serves every input. Per input: connect, write the
// bytes, half-close, and read until the server closes. Contract checked: the server always
// finishes the connection (a read that waits longer than kHangSeconds is reported as a hang),
// every answer is a well-formed HTTP/1.1 status line, no 500, and the server stays alive
// (sanitizers report memory errors on the server threads, which share this process).
//
// Limits are set small (body 64 KiB, header 4 KiB) so the fuzzer reaches the 413/431 paths.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "inferd/loader.h"
#include "serving/serving_app.h"

namespace {

constexpr int kHangSeconds = 10;

uint16_t g_port = 0;

void StartServerOnce() {
  static std::unique_ptr<inferd::ServingApp> app = [] {
    auto model = inferd::LoadModelFile(INFERD_FUZZ_MODEL);
    if (!model.ok()) {
      std::fprintf(stderr, "cannot load %s: %s\n", INFERD_FUZZ_MODEL, model.status().message().c_str());
      std::abort();
    }
    auto served = std::make_shared<inferd::ServedModel>();
    served->model = *model;
    served->name = "logreg";
    inferd::ServingAppOptions o;
    o.http.host = "127.0.0.1";
    o.http.port = 0;
    o.http.threads = 1;
    o.http.max_body_bytes = 64 * 1024;
    o.http.max_header_bytes = 4 * 1024;
    o.http.read_timeout = std::chrono::seconds(2);
    o.http.idle_timeout = std::chrono::seconds(2);
    o.predict.max_batch_rows = 100;
    auto a = inferd::ServingApp::Create(o, served);
    if (!a.ok()) {
      std::fprintf(stderr, "cannot start server: %s\n", a.status().message().c_str());
      std::abort();
    }
    (*a)->Start();
    return std::move(a).value();
  }();
  g_port = app->port();
}

// Checks every "HTTP/1.1 NNN " status line in the bytes the server sent.
void CheckResponses(const std::string& out) {
  if (out.empty()) return;  // e.g. an incomplete request: closed without an answer
  if (out.compare(0, 9, "HTTP/1.1 ") != 0) __builtin_trap();
  for (size_t pos = 0; (pos = out.find("HTTP/1.1 ", pos)) != std::string::npos; pos += 9) {
    if (pos != 0 && out.compare(pos - 2, 2, "\r\n") != 0 && out.compare(pos - 1, 1, "}") != 0 &&
        out.compare(pos - 1, 1, "\n") != 0) {
      continue;  // inside a body
    }
    if (pos + 12 > out.size()) __builtin_trap();
    int code = std::atoi(out.substr(pos + 9, 3).c_str());
    if (code < 100 || code > 599) __builtin_trap();
    if (code == 500) {
      std::fprintf(stderr, "500 answer:\n%s\n", out.c_str());
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  StartServerOnce();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("connect");
    std::abort();  // the server must keep accepting
  }
  // Write everything (the server may answer and close early: EPIPE/ECONNRESET are fine),
  // then half-close so the server sees the end of the stream.
  size_t off = 0;
  while (off < size) {
    ssize_t n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, kHangSeconds * 1000);
    if (r == 0) {
      std::fprintf(stderr, "server did not finish the connection within %d s\n", kHangSeconds);
      __builtin_trap();
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  CheckResponses(out);
  return 0;
}
