// The request a handler sees and the response it fills: plain views and buffers, no Beast
// types beyond the method enum, so handlers (protocol adapters) stay independent of the
// connection machinery.
#ifndef INFERD_HTTP_MESSAGE_H_
#define INFERD_HTTP_MESSAGE_H_

#include <chrono>
#include <cstddef>
#include <ostream>  // Boost 1.74's string_view printing needs the complete ostream type
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

#include "inferd/status.h"

namespace inferd::http {

using Verb = boost::beast::http::verb;

// Views into the connection's parser; valid only during the handler call.
struct Request {
  static constexpr size_t kMaxParams = 4;

  Verb method = Verb::unknown;
  std::string_view target;  // as sent, e.g. "/predict?x=1"
  std::string_view path;    // target without the query string
  std::string_view body;
  // The Content-Type header as sent (empty when absent).
  std::string_view content_type;
  // The request id (X-Request-Id as sent, or one the server generated); echoed in the answer.
  std::string_view request_id;
  // When the answer stops being useful (from --request-timeout or X-Request-Timeout-Ms);
  // time_point::max() when there is none. The server answers 504 without calling the handler
  // once it has passed; handlers with long work may check it again.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Path parameters captured by a pattern route ("/v2/models/{name}" -> params[0] = name),
  // in pattern order.
  std::string_view params[kMaxParams];
  size_t n_params = 0;
};

// Owned by the connection and reused between its requests (Reset keeps buffer capacity).
struct Response {
  int status = 200;
  std::string_view content_type = "application/json";  // must point to static storage
  std::string body;
  // Extra header lines, each "Name: value\r\n" (e.g. Allow, Retry-After).
  std::string extra_headers;

  void Reset() {
    status = 200;
    content_type = "application/json";
    body.clear();
    extra_headers.clear();
  }
  // Sets status and a {"error": message} body.
  void Error(int status_code, std::string_view message);
};

// Answers `status` (not OK) as {"error": message} with HttpStatusFor's code; 5xx answers are
// also logged (they are the server's fault, not the client's).
void ReplyError(const Status& status, Response* response);

// The HTTP status for a Status error code (InvalidArgument -> 400, ResourceExhausted -> 413 ...).
int HttpStatusFor(StatusCode code);

// Appends the status line and headers (Server, Date, Content-Type, Content-Length, Connection
// when needed, extra headers) and the body: the complete bytes of `r` on the wire.
// `http10` selects an explicit "Connection: keep-alive" for HTTP/1.0 clients that asked for it.
void SerializeResponse(const Response& r, bool keep_alive, bool http10, std::string_view date, std::string* out);

// Formats `now` as an IMF-fixdate for the Date header ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string HttpDate(long unix_seconds);

}  // namespace inferd::http

#endif  // INFERD_HTTP_MESSAGE_H_
