#include "app/fuzz/server_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "inferd/loader.h"

namespace inferd::fuzz {
namespace {

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

}  // namespace

[[noreturn]] void HarnessError(const char* what, int err) {
  std::fprintf(stderr, "HARNESS ERROR: %s: %s\n", what, std::strerror(err));
  std::_Exit(kHarnessErrorExit);  // not exit(): libFuzzer would report that as a finding
}

[[noreturn]] void Finding(const char* what, const std::string& answer) {
  std::fprintf(stderr, "FINDING: %s\n", what);
  if (!answer.empty()) std::fprintf(stderr, "answer (%zu bytes):\n%.4096s\n", answer.size(), answer.c_str());
  __builtin_trap();
}

ServerApp& FuzzServer(const char* model_path, const char* model_name, bool grpc) {
  static std::unique_ptr<ServerApp> app = [&] {
    auto model = LoadModelFile(model_path);
    if (!model.ok()) {
      std::fprintf(stderr, "HARNESS ERROR: cannot load %s: %s\n", model_path, model.status().message().c_str());
      std::_Exit(kHarnessErrorExit);
    }
    auto served = std::make_shared<ServedModel>();
    served->model = *model;
    served->name = model_name;
    ServerAppOptions o;
    o.http.host = "127.0.0.1";
    o.http.port = 0;
    o.http.threads = 1;
    o.http.max_body_bytes = 64 * 1024;
    o.http.max_header_bytes = 4 * 1024;
    o.http.read_timeout = std::chrono::seconds(2);
    o.http.idle_timeout = std::chrono::seconds(2);
    o.inference.max_batch_rows = 100;
    o.grpc_enabled = grpc;
    o.grpc.host = "127.0.0.1";
    o.grpc.port = 0;
    auto a = ServerApp::Create(o, served);
    if (!a.ok()) {
      std::fprintf(stderr, "HARNESS ERROR: cannot start server: %s\n", a.status().message().c_str());
      std::_Exit(kHarnessErrorExit);
    }
    (*a)->Start();
    return std::move(a).value();
  }();
  return *app;
}

int Connect(uint16_t port, Clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
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

}  // namespace inferd::fuzz
