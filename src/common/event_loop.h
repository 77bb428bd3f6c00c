// What the HTTP and gRPC transports share about their event loops: each loop has its own
// listening socket on the one port (SO_REUSEPORT, the kernel spreads the connections), and
// each runs until stopped, surviving an exception that escapes a handler.
#ifndef INFERD_COMMON_EVENT_LOOP_H_
#define INFERD_COMMON_EVENT_LOOP_H_

#include <cstddef>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "inferd/status.h"

namespace inferd {

// Opens, sets SO_REUSEADDR and SO_REUSEPORT, binds and listens. An error names the step and
// the address, then `purpose` (e.g. " for gRPC"), then the system's reason.
Status ListenWithReusePort(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
                           std::string_view purpose = {});

// Runs `ioc` until it runs out of work or is stopped. An exception escaping a handler (e.g.
// bad_alloc) is logged with `loop_name` and `index`, and the loop goes on.
void RunEventLoop(boost::asio::io_context& ioc, const char* loop_name, size_t index);

}  // namespace inferd

#endif  // INFERD_COMMON_EVENT_LOOP_H_
