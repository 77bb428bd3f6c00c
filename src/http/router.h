// Maps (method, path) to a handler. Unknown path -> 404, known path with another method ->
// 405 with an Allow header. Every route has an index used as its metrics label (the path or
// the pattern, so label values stay bounded), and the index n_routes() names the catch-all
// "other" (404s).
//
// Two kinds of route:
//  - exact paths ("/predict"), checked first with plain string compares (the hot path);
//  - patterns ("/v2/models/{name}/versions/{version}/infer", "/v1/models/{name}:predict"):
//    a segment "{x}" or "{x}<literal suffix>" captures a non-empty segment (without the
//    suffix) into Request::params, in order; other segments must match exactly.
//
// Thread safety: Add() before serving only; Dispatch() is const and safe from any thread.
// Handlers are called concurrently from all server threads and must be thread-safe.
#ifndef INFERD_HTTP_ROUTER_H_
#define INFERD_HTTP_ROUTER_H_

#include <functional>
#include <string>
#include <vector>

#include "http/message.h"

namespace inferd::http {

using Handler = std::function<void(const Request&, Response*)>;

class Router {
 public:
  // Registers `handler` for `method` on `path` (the path may get several methods). A path
  // containing '{' is a pattern (at most Request::kMaxParams captures).
  void Add(Verb method, std::string path, Handler handler);

  // Calls the matching handler or fills a 404/405 error. Returns the route index. Pattern
  // captures are written into request->params before the handler runs.
  size_t Dispatch(Request* request, Response* response) const;
  // Same for a request that need not be modified (params land in a copy).
  size_t Dispatch(const Request& request, Response* response) const {
    Request copy = request;
    return Dispatch(&copy, response);
  }

  size_t n_routes() const { return routes_.size(); }
  // Route label values in index order, followed by "other".
  std::vector<std::string> MetricLabels() const;
  // Every registered route as "METHOD path" (for docs and tests).
  std::vector<std::string> Describe() const;

 private:
  struct Segment {
    bool capture = false;
    std::string literal;  // the whole segment, or the suffix after "{x}"
  };
  struct Route {
    std::string path;
    bool pattern = false;
    std::vector<Segment> segments;  // patterns only
    std::vector<std::pair<Verb, Handler>> methods;
    std::string allow_header;  // "Allow: GET, POST\r\n"
  };
  static bool Match(const Route& route, std::string_view path, Request* request);
  std::vector<Route> routes_;
};

}  // namespace inferd::http

#endif  // INFERD_HTTP_ROUTER_H_
