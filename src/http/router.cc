#include "http/router.h"

namespace inferd::http {

void Router::Add(Verb method, std::string path, Handler handler) {
  Route* route = nullptr;
  for (Route& r : routes_) {
    if (r.path == path) route = &r;
  }
  if (route == nullptr) {
    Route r;
    r.path = path;
    r.pattern = path.find('{') != std::string::npos;
    if (r.pattern) {
      size_t start = 1;  // patterns start with '/'
      while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string seg = path.substr(start, end - start);
        Segment s;
        if (!seg.empty() && seg[0] == '{') {
          s.capture = true;
          s.literal = seg.substr(seg.find('}') + 1);
        } else {
          s.literal = seg;
        }
        r.segments.push_back(std::move(s));
        start = end + 1;
      }
    }
    routes_.push_back(std::move(r));
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

bool Router::Match(const Route& route, std::string_view path, Request* request) {
  if (path.empty() || path[0] != '/') return false;
  size_t start = 1, n = 0;
  for (size_t i = 0; i < route.segments.size(); ++i) {
    if (start > path.size()) return false;
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    const Segment& s = route.segments[i];
    if (s.capture) {
      if (seg.size() <= s.literal.size() || seg.substr(seg.size() - s.literal.size()) != s.literal) return false;
      if (n >= Request::kMaxParams) return false;
      request->params[n++] = seg.substr(0, seg.size() - s.literal.size());
    } else if (seg != s.literal) {
      return false;
    }
    start = end + 1;
  }
  if (start <= path.size()) return false;  // more segments than the pattern has
  request->n_params = n;
  return true;
}

size_t Router::Dispatch(Request* request, Response* response) const {
  // A handful of exact routes: a linear scan of short strings beats hashing the path.
  const Route* found = nullptr;
  size_t found_index = 0;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (r.pattern || r.path != request->path) continue;
    found = &r;
    found_index = i;
    break;
  }
  if (found == nullptr) {
    // Patterns: the first one that matches and has the method wins; a path that matches only
    // patterns without the method is a 405 for the first of them.
    for (size_t i = 0; i < routes_.size(); ++i) {
      const Route& r = routes_[i];
      if (!r.pattern || !Match(r, request->path, request)) continue;
      for (const auto& entry : r.methods) {
        if (entry.first == request->method) {
          entry.second(*request, response);
          return i;
        }
      }
      if (found == nullptr) {
        found = &r;
        found_index = i;
      }
    }
  } else {
    for (const auto& [method, handler] : found->methods) {
      if (method == request->method) {
        handler(*request, response);
        return found_index;
      }
    }
  }
  if (found != nullptr) {
    auto m = boost::beast::http::to_string(request->method);
    response->Error(405,
                    "method " + std::string(m.data(), m.size()) + " is not allowed on " + std::string(request->path));
    response->extra_headers += found->allow_header;
    return found_index;
  }
  response->Error(404, "no such path: " + std::string(request->path));
  return routes_.size();
}

std::vector<std::string> Router::MetricLabels() const {
  std::vector<std::string> labels;
  for (const Route& r : routes_) labels.push_back(r.path);
  labels.push_back("other");
  return labels;
}

std::vector<std::string> Router::Describe() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) {
    for (const auto& m : r.methods) {
      auto name = boost::beast::http::to_string(m.first);
      out.push_back(std::string(name.data(), name.size()) + " " + r.path);
    }
  }
  return out;
}

}  // namespace inferd::http
