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
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "app/fuzz/server_harness.h"

namespace {

using inferd::fuzz::Clock;
using inferd::fuzz::Finding;

// Deadline of one whole exchange; the server's own read/idle timeouts (2 s) end any connection sooner.
constexpr int kHangSeconds = 10;

uint16_t g_port = 0;

void StartServerOnce() { g_port = inferd::fuzz::FuzzServer(INFERD_FUZZ_MODEL, "logreg", false).port(); }

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
  int fd = inferd::fuzz::Connect(g_port, deadline);
  inferd::fuzz::SendAll(fd, data, size, deadline);
  ::shutdown(fd, SHUT_WR);  // the server sees the end of the stream (fails only if it reset us)
  std::string out = inferd::fuzz::ReadToEnd(fd, deadline);
  ::close(fd);
  CheckResponses(out);
  return 0;
}
