#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include "cli/probe_command.h"

#include <chrono>
#include <cstdio>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace inferd::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

struct Url {
  std::string host, port = "80", target = "/";
};

bool ParseUrl(const std::string& url, Url* out, std::string* error) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    *error = "only http:// URLs are supported";
    return false;
  }
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out->target = rest.substr(slash);
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8080
    size_t close = authority.find(']');
    if (close == std::string::npos) {
      *error = "bad IPv6 address in URL";
      return false;
    }
    out->host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') out->port = authority.substr(close + 2);
  } else {
    size_t colon = authority.rfind(':');
    out->host = authority.substr(0, colon);
    if (colon != std::string::npos) out->port = authority.substr(colon + 1);
  }
  if (out->host.empty() || out->port.empty()) {
    *error = "URL has no host or port";
    return false;
  }
  return true;
}

}  // namespace

int RunProbe(const std::string& url, double timeout_seconds, const ProbeOptions& options) {
  Url u;
  std::string error;
  if (!ParseUrl(url, &u, &error)) {
    std::fprintf(stderr, "probe: %s: %s\n", url.c_str(), error.c_str());
    return 1;
  }
  // Async operations under one io_context run with a deadline: a probe never hangs.
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  bool post = options.post_json.has_value();
  bhttp::request<bhttp::string_body> req{post ? bhttp::verb::post : bhttp::verb::get, u.target, 11};
  req.set(bhttp::field::host, u.host);
  req.set(bhttp::field::user_agent, "inferd-probe");
  req.set(bhttp::field::connection, "close");
  if (post) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = *options.post_json;
  }
  req.prepare_payload();
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1 << 20);
  beast::error_code result = net::error::timed_out;
  auto timeout =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout_seconds));
  stream.expires_after(timeout);

  resolver.async_resolve(u.host, u.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      result = ec;
      return;
    }
    stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        result = ec;
        return;
      }
      bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
        if (ec) {
          result = ec;
          return;
        }
        bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) { result = ec; });
      });
    });
  });
  ioc.run_for(timeout + std::chrono::milliseconds(100));
  if (result) {
    std::fprintf(stderr, "probe: %s: %s\n", url.c_str(), result.message().c_str());
    return 1;
  }
  unsigned status = parser.get().result_int();
  if (status < 200 || status > 299) {
    std::fprintf(stderr, "probe: %s: HTTP %u\n", url.c_str(), status);
    return 1;
  }
  if (!options.expect_substring.empty() && parser.get().body().find(options.expect_substring) == std::string::npos) {
    std::fprintf(stderr, "probe: %s: the answer does not contain '%s'\n", url.c_str(),
                 options.expect_substring.c_str());
    return 1;
  }
  return 0;
}

void AddProbeCommand(CLI::App& app) {
  auto url = std::make_shared<std::string>();
  auto timeout = std::make_shared<double>(2.0);
  auto opts = std::make_shared<ProbeOptions>();
  auto body = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "probe", "GET (or POST) a URL and exit 0 on a 2xx answer, else 1 (container health check, helm test).");
  auto* post_opt =
      cmd->add_option("--post-json", *body, "POST this JSON body (Content-Type: application/json) instead of a GET");
  cmd->add_option("--expect-substring", opts->expect_substring,
                  "Also exit 1 unless the answer's body contains this text");
  cmd->add_option("url", *url, "URL to check, e.g. http://127.0.0.1:8080/healthz")->required();
  cmd->add_option("--timeout", *timeout, "Overall time limit in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([url, timeout, opts, body, post_opt]() {
    if (post_opt->count() > 0) opts->post_json = *body;
    std::exit(RunProbe(*url, *timeout, *opts));
  });
}

}  // namespace inferd::cli
