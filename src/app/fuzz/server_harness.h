// What the server fuzz targets share: the server under test, the harness's two ways to fail (a
// finding, which libFuzzer keeps, or an error of the harness itself, which scripts/fuzz.sh
// reports apart) and a signal-safe loopback client. libFuzzer's -timeout arms a SIGALRM interval timer without
// SA_RESTART, so any blocking call may fail with EINTR: the client's socket is non-blocking and
// every wait is a poll() against one deadline, which a signal only restarts.
#ifndef INFERD_APP_FUZZ_SERVER_HARNESS_H_
#define INFERD_APP_FUZZ_SERVER_HARNESS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/server_app.h"

namespace inferd::fuzz {

using Clock = std::chrono::steady_clock;

// Must match HARNESS_ERROR_EXIT in scripts/fuzz.sh; distinct from libFuzzer's own statuses.
constexpr int kHarnessErrorExit = 3;

// "HARNESS ERROR: what: strerror(err)", then exit status kHarnessErrorExit.
[[noreturn]] void HarnessError(const char* what, int err);
// "FINDING: what" (and the server's answer, if any), then a trap so libFuzzer keeps the input.
[[noreturn]] void Finding(const char* what, const std::string& answer = {});

// The one server of the process, started on first use: `model_path` served as `model_name`,
// HTTP (and gRPC when `grpc`) on free loopback ports, limits set small (body and message
// 64 KiB, header 4 KiB, read and idle timeouts 2 s, 100 rows) so the fuzzer reaches the
// paths beyond them. A server that cannot start is a harness error.
ServerApp& FuzzServer(const char* model_path, const char* model_name, bool grpc);

// A new non-blocking socket connected to 127.0.0.1:port. Ephemeral ports running out
// (EADDRNOTAVAIL: many client sockets in TIME_WAIT) is the machine's state, so it waits.
int Connect(uint16_t port, Clock::time_point deadline);
// Writes all of `data` unless the server closes first (it may answer early and close).
void SendAll(int fd, const uint8_t* data, size_t size, Clock::time_point deadline);
// Reads until the server closes the connection (a reset after its answer ends it too).
std::string ReadToEnd(int fd, Clock::time_point deadline);

}  // namespace inferd::fuzz

#endif  // INFERD_APP_FUZZ_SERVER_HARNESS_H_
