// libFuzzer target: raw bytes on a real connection to the assembled server (ServerApp: Beast
// parser, the Connection state machine, router, /predict + V1 + V2 handlers, a real
// LogisticRegression loaded from src/pickle/testdata).
//
// One in-process server on a loopback port serves every input. Per input: connect, write the
// bytes, half-close, and read until the server closes. Contract checked: the server always
// finishes the connection within kHangSeconds, every answer is a well-formed HTTP/1.1 status
// line, no 500, and the server keeps accepting (sanitizers report memory errors on the server
// threads, which share this process).
//
// A broken contract is a finding: a line starting "FINDING:", then a trap, so libFuzzer keeps
// the input. A failure of the harness itself (no model, no server, no local port) is not: a line
// starting "HARNESS ERROR:" and exit status kHarnessErrorExit, which scripts/fuzz.sh reports apart.
//
// Limits are set small (body 64 KiB, header 4 KiB) so the fuzzer reaches the 413/431 paths.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "app/server_app.h"
#include "inferd/loader.h"

namespace {

// Deadline of one whole exchange; the server's own read/idle timeouts (2 s) end any connection sooner.
constexpr int kHangSeconds = 10;
// Must match HARNESS_ERROR_EXIT in scripts/fuzz.sh; distinct from libFuzzer's own statuses.
constexpr int kHarnessErrorExit = 3;

using Clock = std::chrono::steady_clock;

[[noreturn]] void HarnessError(const char* what, int err) {
  std::fprintf(stderr, "HARNESS ERROR: %s: %s\n", what, std::strerror(err));
  std::_Exit(kHarnessErrorExit);  // not exit(): libFuzzer would report that as a finding
}

[[noreturn]] void Finding(const char* what, const std::string& answer = {}) {
  std::fprintf(stderr, "FINDING: %s\n", what);
  if (!answer.empty()) std::fprintf(stderr, "answer (%zu bytes):\n%.4096s\n", answer.size(), answer.c_str());
  __builtin_trap();
}

uint16_t g_port = 0;

void StartServerOnce() {
  static std::unique_ptr<inferd::ServerApp> app = [] {
    auto model = inferd::LoadModelFile(INFERD_FUZZ_MODEL);
    if (!model.ok()) {
      std::fprintf(stderr, "HARNESS ERROR: cannot load %s: %s\n", INFERD_FUZZ_MODEL, model.status().message().c_str());
      std::_Exit(kHarnessErrorExit);
    }
    auto served = std::make_shared<inferd::ServedModel>();
    served->model = *model;
    served->name = "logreg";
    inferd::ServerAppOptions o;
    o.http.host = "127.0.0.1";
    o.http.port = 0;
    o.http.threads = 1;
    o.http.max_body_bytes = 64 * 1024;
    o.http.max_header_bytes = 4 * 1024;
    o.http.read_timeout = std::chrono::seconds(2);
    o.http.idle_timeout = std::chrono::seconds(2);
    o.inference.max_batch_rows = 100;
    auto a = inferd::ServerApp::Create(o, served);
    if (!a.ok()) {
      std::fprintf(stderr, "HARNESS ERROR: cannot start server: %s\n", a.status().message().c_str());
      std::_Exit(kHarnessErrorExit);
    }
    (*a)->Start();
    return std::move(a).value();
  }();
  g_port = app->port();
}

// ---- A signal-safe loopback client. libFuzzer's -timeout arms a SIGALRM interval timer
// without SA_RESTART, so any blocking call here may fail with EINTR. The socket is
// non-blocking and every wait is a poll() against one deadline: a signal only restarts it.

// Waits until `fd` reports `events` (or an error/hangup, which the next call returns).
// Returns false once `deadline` has passed.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, left > 0 ? static_cast<int>(left) : 0);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) HarnessError("poll", errno);
  }
}

// Connects a new non-blocking socket to the server and returns it. Ephemeral ports running
// out (EADDRNOTAVAIL: many client sockets in TIME_WAIT) is the machine's state, so it waits.
int Connect(Clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      // The harness closes every socket it opens: running out means the server keeps them.
      if (errno == EMFILE) Finding("out of file descriptors: the server does not close its connections");
      HarnessError("socket", errno);
    }
    int err = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) err = errno;
    if (err == EINPROGRESS || err == EINTR) {
      // Either way the connection completes asynchronously: wait for it, then read its outcome.
      if (!WaitFor(fd, POLLOUT, deadline)) Finding("hang: no connection before the deadline (accepting stopped)");
      socklen_t len = sizeof err;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) HarnessError("getsockopt(SO_ERROR)", errno);
    }
    if (err == 0) return fd;
    ::close(fd);
    if (err == ECONNREFUSED) Finding("connection refused: the server stopped listening");
    if (err != EADDRNOTAVAIL) HarnessError("connect", err);
    if (Clock::now() >= deadline) HarnessError("connect: no local port became free", err);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Writes all of `data` unless the server closes first (it may answer early and close, e.g. 413).
void SendAll(int fd, const uint8_t* data, size_t size, Clock::time_point deadline) {
  size_t off = 0;
  while (off < size) {
    ssize_t n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!WaitFor(fd, POLLOUT, deadline)) Finding("hang: the server neither read the request nor closed");
    } else if (errno == EPIPE || errno == ECONNRESET) {
      return;
    } else {
      HarnessError("send", errno);
    }
  }
}

// Reads until the server closes the connection (a reset after its answer ends it too).
std::string ReadToEnd(int fd, Clock::time_point deadline) {
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno == ECONNRESET) {
      return out;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!WaitFor(fd, POLLIN, deadline)) Finding("hang: the server did not finish the connection in time", out);
    } else {
      HarnessError("recv", errno);
    }
  }
}

// Checks every "HTTP/1.1 NNN " status line in the bytes the server sent.
void CheckResponses(const std::string& out) {
  if (out.empty()) return;  // e.g. an incomplete request: closed without an answer
  if (out.compare(0, 9, "HTTP/1.1 ") != 0) Finding("the answer does not start with a status line", out);
  for (size_t pos = 0; (pos = out.find("HTTP/1.1 ", pos)) != std::string::npos; pos += 9) {
    if (pos != 0 && out.compare(pos - 2, 2, "\r\n") != 0 && out.compare(pos - 1, 1, "}") != 0 &&
        out.compare(pos - 1, 1, "\n") != 0) {
      continue;  // inside a body
    }
    if (pos + 12 > out.size()) Finding("truncated status line", out);
    int code = std::atoi(out.substr(pos + 9, 3).c_str());
    if (code < 100 || code > 599) Finding("status code out of range", out);
    if (code == 500) Finding("500 answer", out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  StartServerOnce();
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(kHangSeconds);
  int fd = Connect(deadline);
  SendAll(fd, data, size, deadline);
  ::shutdown(fd, SHUT_WR);  // the server sees the end of the stream (fails only if it reset us)
  std::string out = ReadToEnd(fd, deadline);
  ::close(fd);
  CheckResponses(out);
  return 0;
}
