// Maps (method, path) to a handler. Unknown path -> 404, known path with another method ->
// 405 with an Allow header. Routes are exact paths; every route has an index used as its
// metrics label, and the index n_routes() names the catch-all "other" (404s).
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
  // Registers `handler` for `method` on `path` (the path may get several methods).
  void Add(Verb method, std::string path, Handler handler);

  // Calls the matching handler or fills a 404/405 error. Returns the route index.
  size_t Dispatch(const Request& request, Response* response) const;

  size_t n_routes() const { return routes_.size(); }
  // Route label values in index order, followed by "other".
  std::vector<std::string> MetricLabels() const;

 private:
  struct Route {
    std::string path;
    std::vector<std::pair<Verb, Handler>> methods;
    std::string allow_header;  // "Allow: GET, POST\r\n"
  };
  std::vector<Route> routes_;
};

}  // namespace inferd::http

#endif  // INFERD_HTTP_ROUTER_H_
