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

}  // namespace inferd
