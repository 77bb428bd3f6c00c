#include "grpc/testing/grpc_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "grpc/grpc_wire.h"

namespace inferd::grpc_api::testing {
namespace {

struct Pending {
  std::string body;
  size_t pos = 0;
  bool end_stream = true;
  TestAnswer* answer = nullptr;
  std::string data;  // response DATA, unframed at the end
  bool closed = false;
  bool got_headers = false;
};

nghttp2_nv Nv(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

struct GrpcTestClient::Session {
  nghttp2_session* h2 = nullptr;
  std::map<int32_t, Pending*> streams;
};

GrpcTestClient::GrpcTestClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  session_ = new Session;
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(
      cb,
      [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value,
         size_t valuelen, uint8_t, void* user) -> int {
        auto* s = static_cast<Session*>(user);
        auto it = s->streams.find(frame->hd.stream_id);
        if (it == s->streams.end()) return 0;
        Pending* p = it->second;
        std::string n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
        const bool trailers = p->got_headers || (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        if (n == ":status") {
          p->answer->http_status = std::stoi(v);
        } else if (n == "grpc-status") {
          p->answer->code = std::stoi(v);
        } else if (n == "grpc-message") {
          p->answer->message = v;  // tests use ASCII messages
        }
        (trailers ? p->answer->trailers : p->answer->headers)[n] = v;
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, void* user) -> int {
        auto* s = static_cast<Session*>(user);
        auto it = s->streams.find(frame->hd.stream_id);
        if (it != s->streams.end() && frame->hd.type == NGHTTP2_HEADERS) it->second->got_headers = true;
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cb, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) -> int {
        auto* s = static_cast<Session*>(user);
        auto it = s->streams.find(id);
        if (it != s->streams.end()) it->second->data.append(reinterpret_cast<const char*>(data), len);
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(cb,
                                                         [](nghttp2_session*, int32_t id, uint32_t, void* user) -> int {
                                                           auto* s = static_cast<Session*>(user);
                                                           auto it = s->streams.find(id);
                                                           if (it != s->streams.end()) it->second->closed = true;
                                                           return 0;
                                                         });
  nghttp2_session_client_new(&session_->h2, cb, session_);
  nghttp2_session_callbacks_del(cb);
  nghttp2_submit_settings(session_->h2, NGHTTP2_FLAG_NONE, nullptr, 0);
}

GrpcTestClient::~GrpcTestClient() {
  if (session_ != nullptr) {
    nghttp2_session_del(session_->h2);
    delete session_;
  }
  if (fd_ >= 0) ::close(fd_);
}

std::vector<TestAnswer> GrpcTestClient::CallAll(const std::vector<TestCall>& calls) {
  std::vector<TestAnswer> answers(calls.size());
  std::vector<Pending> pending(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    const TestCall& c = calls[i];
    Pending& p = pending[i];
    p.answer = &answers[i];
    p.end_stream = c.end_stream;
    if (!c.raw_body.empty()) {
      p.body = c.raw_body;
    } else {
      for (const std::string& m : c.messages) p.body += FrameMessage(m);
    }
    const std::string method = ":method", post = "POST", scheme = ":scheme", http = "http", path = ":path",
                      authority = ":authority", host = "localhost", ct = "content-type", grpc = "application/grpc",
                      te = "te", trailers = "trailers";
    std::vector<nghttp2_nv> nv = {Nv(method, post),    Nv(scheme, http), Nv(path, c.method),
                                  Nv(authority, host), Nv(ct, grpc),     Nv(te, trailers)};
    for (const auto& [k, v] : c.metadata) nv.push_back(Nv(k, v));
    nghttp2_data_provider provider;
    provider.source.ptr = &p;
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                                nghttp2_data_source* source, void*) -> ssize_t {
      auto* q = static_cast<Pending*>(source->ptr);
      const size_t n = std::min(length, q->body.size() - q->pos);
      std::memcpy(buf, q->body.data() + q->pos, n);
      q->pos += n;
      if (q->pos == q->body.size()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!q->end_stream) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
      return static_cast<ssize_t>(n);
    };
    const int32_t id = nghttp2_submit_request(session_->h2, nullptr, nv.data(), nv.size(), &provider, nullptr);
    session_->streams[id] = &p;
  }
  // Everything queued leaves in one write (as far as flow control allows).
  auto flush = [this] {
    std::string out;
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_->h2, &data);
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    size_t sent = 0;
    while (sent < out.size()) {
      const ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  };
  auto all_closed = [&] {
    for (const Pending& p : pending) {
      if (!p.closed) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool ok = flush();
  while (ok && !all_closed() && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    uint8_t buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    if (nghttp2_session_mem_recv(session_->h2, buf, static_cast<size_t>(n)) < 0) break;
    ok = flush();
  }
  for (Pending& p : pending) {
    std::string_view data = p.data;
    while (data.size() >= 5) {
      const auto* b = reinterpret_cast<const unsigned char*>(data.data());
      const size_t len = (size_t{b[1]} << 24) | (size_t{b[2]} << 16) | (size_t{b[3]} << 8) | b[4];
      if (data.size() < 5 + len) break;
      p.answer->messages.emplace_back(data.substr(5, len));
      data.remove_prefix(5 + len);
    }
  }
  session_->streams.clear();  // `pending` ends here; late frames of an unanswered call are ignored
  return answers;
}

}  // namespace inferd::grpc_api::testing
