#include "http/router.h"

namespace inferd::http {

void Router::Add(Verb method, std::string path, Handler handler) {
  Route* route = nullptr;
  for (Route& r : routes_) {
    if (r.path == path) route = &r;
  }
  if (route == nullptr) {
    routes_.push_back(Route{std::move(path), {}, {}});
    route = &routes_.back();
  }
  route->methods.emplace_back(method, std::move(handler));
  route->allow_header = "Allow: ";
  for (size_t i = 0; i < route->methods.size(); ++i) {
    if (i) route->allow_header += ", ";
    auto name = boost::beast::http::to_string(route->methods[i].first);
    route->allow_header.append(name.data(), name.size());
  }
  route->allow_header += "\r\n";
}

size_t Router::Dispatch(const Request& request, Response* response) const {
  // A handful of routes: a linear scan of short strings beats hashing the path.
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (r.path != request.path) continue;
    for (const auto& [method, handler] : r.methods) {
      if (method == request.method) {
        handler(request, response);
        return i;
      }
    }
    auto m = boost::beast::http::to_string(request.method);
    response->Error(405, "method " + std::string(m.data(), m.size()) + " is not allowed on " + r.path);
    response->extra_headers += r.allow_header;
    return i;
  }
  response->Error(404, "no such path: " + std::string(request.path));
  return routes_.size();
}

std::vector<std::string> Router::MetricLabels() const {
  std::vector<std::string> labels;
  for (const Route& r : routes_) labels.push_back(r.path);
  labels.push_back("other");
  return labels;
}

}  // namespace inferd::http
