#include "http/message.h"

#include <ctime>

#include <boost/beast/http/status.hpp>

#include "json/predict_codec.h"
#include "logging/log.h"

namespace inferd::http {

void Response::Error(int status_code, std::string_view message) {
  status = status_code;
  content_type = "application/json";
  body.clear();
  EncodeError(message, &body);
}

void ReplyError(const Status& status, Response* response) {
  int code = HttpStatusFor(status.code());
  if (code >= 500) LogError("request failed").Str("error", status.message()).Int("status", code);
  response->Error(code, status.message());
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kFailedPrecondition: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kResourceExhausted: return 413;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

void SerializeResponse(const Response& r, bool keep_alive, bool http10, std::string_view date, std::string* out) {
  *out += "HTTP/1.1 ";
  *out += std::to_string(r.status);
  *out += ' ';
  boost::beast::string_view reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(r.status));
  out->append(reason.data(), reason.size());
  *out += "\r\nServer: inferd\r\nDate: ";
  *out += date;
  *out += "\r\nContent-Type: ";
  *out += r.content_type;
  *out += "\r\nContent-Length: ";
  *out += std::to_string(r.body.size());
  *out += "\r\n";
  if (!keep_alive) {
    *out += "Connection: close\r\n";
  } else if (http10) {
    *out += "Connection: keep-alive\r\n";
  }
  *out += r.extra_headers;
  *out += "\r\n";
  *out += r.body;
}

std::string HttpDate(long unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

}  // namespace inferd::http
