// What the HTTP and gRPC transports share about their event loops: each loop has its own
// listening socket on the one port (SO_REUSEPORT, the kernel spreads the connections), and
// each runs until stopped, surviving an exception that escapes a handler.
#ifndef INFERD_COMMON_EVENT_LOOP_H_
#define INFERD_COMMON_EVENT_LOOP_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "inferd/status.h"

namespace inferd {

// `host` as an address, or else the first address it resolves to.
StatusOr<boost::asio::ip::address> ResolveListenAddress(const std::string& host);

// Opens, sets SO_REUSEADDR and SO_REUSEPORT, binds and listens. An error names the step and
// the address, then `purpose` (e.g. " for gRPC"), then the system's reason.
Status ListenWithReusePort(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
                           std::string_view purpose = {});

// Runs `ioc` until it runs out of work or is stopped. An exception escaping a handler (e.g.
// bad_alloc) is logged with `loop_name` and `index`, and the loop goes on.
void RunEventLoop(boost::asio::io_context& ioc, const char* loop_name, size_t index);

// The threads of a transport's event loops. Start once; then WaitThenJoin from one thread.
class LoopThreads {
 public:
  LoopThreads() = default;
  LoopThreads(const LoopThreads&) = delete;
  LoopThreads& operator=(const LoopThreads&) = delete;
  ~LoopThreads() { Join(); }

  // Runs run(0) .. run(n - 1), each on its own thread.
  void Start(size_t n, const std::function<void(size_t)>& run);
  // Waits until every run has returned or `deadline` passes; after the deadline calls
  // `stop_all` (which must make the runs return). Then joins. True if none was stopped.
  bool WaitThenJoin(std::chrono::steady_clock::time_point deadline, const std::function<void()>& stop_all);
  void Join();

 private:
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t running_ = 0;  // guarded by mu_
};

}  // namespace inferd

#endif  // INFERD_COMMON_EVENT_LOOP_H_
