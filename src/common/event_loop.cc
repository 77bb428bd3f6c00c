#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include "common/event_loop.h"

#include <sys/socket.h>

#include <exception>
#include <string>

#include <boost/asio.hpp>

#include "logging/log.h"

namespace inferd {

namespace net = boost::asio;
using tcp = net::ip::tcp;

StatusOr<net::ip::address> ResolveListenAddress(const std::string& host) {
  boost::system::error_code ec;
  net::ip::address address = net::ip::make_address(host, ec);
  if (!ec) return address;
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty()) return Status::InvalidArgument("cannot resolve host '" + host + "': " + ec.message());
  return results.begin()->endpoint().address();
}

Status ListenWithReusePort(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, std::string_view purpose) {
  using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    return Status::Unavailable(std::string("cannot ") + what + " " + endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + std::string(purpose) + ": " + ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on");
  acceptor.set_option(ReusePort(true), ec);
  if (ec) return fail("set SO_REUSEPORT on");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  return Status::Ok();
}

void RunEventLoop(net::io_context& ioc, const char* loop_name, size_t index) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      LogError(loop_name).Str("error", e.what()).Int("thread", static_cast<int64_t>(index));
    }
  }
}

void LoopThreads::Start(size_t n, const std::function<void(size_t)>& run) {
  {
    std::lock_guard<std::mutex> l(mu_);
    running_ = n;
  }
  for (size_t i = 0; i < n; ++i) {
    threads_.emplace_back([this, run, i] {
      run(i);
      std::lock_guard<std::mutex> l(mu_);
      if (--running_ == 0) cv_.notify_all();
    });
  }
}

bool LoopThreads::WaitThenJoin(std::chrono::steady_clock::time_point deadline, const std::function<void()>& stop_all) {
  bool clean;
  {
    std::unique_lock<std::mutex> l(mu_);
    clean = cv_.wait_until(l, deadline, [this] { return running_ == 0; });
  }
  if (!clean) stop_all();
  Join();
  return clean;
}

void LoopThreads::Join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace inferd
