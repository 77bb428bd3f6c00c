#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include "http/server.h"

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "logging/log.h"

namespace inferd::http {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

constexpr size_t kReadChunk = 16 * 1024;
// How long a closing connection keeps draining client bytes after the response, so a client
// still sending (e.g. a body over the limit) reads our answer instead of a reset.
constexpr int64_t kLingerSeconds = 2;

class ServerImpl;
class Connection;

// One event loop: its own io_context, listener and connections. All members are touched only
// from the loop's thread, except through ioc_.post().
class Worker {
 public:
  Worker(ServerImpl* server, size_t index) : server_(server), index_(index) {}

  Status Listen(const tcp::endpoint& endpoint);
  uint16_t local_port() const { return acceptor_.local_endpoint().port(); }
  void Run();
  void PostShutdown();
  void Stop() { ioc_.stop(); }

 private:
  friend class Connection;
  void DoAccept();
  void StartTick();
  void OnTick();
  void Drain();
  void UpdateClock();

  ServerImpl* const server_;
  const size_t index_;
  // Declared before ioc_: destroying ioc_ destroys pending handlers, which destroys their
  // connections, which unregister here.
  std::list<Connection*> conns_;
  net::io_context ioc_{1};  // concurrency hint 1: one thread, no internal locking
  tcp::acceptor acceptor_{ioc_};
  net::steady_timer tick_{ioc_};
  net::steady_timer accept_retry_{ioc_};
  bool draining_ = false;
  int64_t now_sec_ = 0;  // coarse steady clock, seconds
  std::string date_;     // Date header value, refreshed every tick
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& o, const Router* r, ServerMetrics* m) : options_(o), router_(r), metrics_(m) {}
  ~ServerImpl() override {
    for (auto& w : workers_) w->Stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  Status Init();
  uint16_t port() const override { return port_; }
  void Start() override;
  void Shutdown() override;
  bool Wait(Clock::time_point deadline) override;

  const HttpServerOptions options_;
  const Router* const router_;
  ServerMetrics* const metrics_;

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> shutdown_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  size_t running_ = 0;  // guarded by mu_
};

// One client connection. Lives as long as an async operation holds its shared_ptr.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker* w, tcp::socket s) : w_(w), socket_(std::move(s)) {}
  ~Connection() {
    w_->conns_.erase(self_it_);
    if (w_->draining_ && w_->conns_.empty()) w_->tick_.cancel();
  }

  void Start() {
    self_it_ = w_->conns_.insert(w_->conns_.end(), this);
    last_activity_ = w_->now_sec_;
    StartRequest();
  }

  // Called by the worker once a second and on shutdown.
  void OnTick(bool shutting_down) {
    int64_t now = w_->now_sec_;
    if (state_ == State::kReading) {
      if (!request_started_ && shutting_down) return Close();
      if (now - last_activity_ >= w_->server_->options_.idle_timeout.count()) return Close();
    } else if (state_ == State::kWriting) {
      // A client that stops reading our response cannot hold the connection forever.
      if (now - last_activity_ >= w_->server_->options_.idle_timeout.count()) return Close();
    } else if (state_ == State::kLingering && now >= linger_deadline_) {
      Close();
    }
  }

 private:
  enum class State { kReading, kWriting, kLingering, kClosed };

  const HttpServerOptions& options() const { return w_->server_->options_; }

  void StartRequest() {
    parser_.emplace();
    parser_->body_limit(options().max_body_bytes);
    parser_->header_limit(options().max_header_bytes);
    parser_->eager(true);
    request_started_ = false;
    sent_continue_ = false;
    ParseBuffered();
  }

  // Feeds buffered bytes to the parser; answers when a request is complete, else reads more.
  void ParseBuffered() {
    while (buffer_.size() > 0) {
      request_started_ = true;
      boost::beast::error_code ec;
      size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) break;
      if (ec) return FailRequest(ec);
      if (parser_->is_done()) return OnRequest();
      if (used == 0) break;
    }
    if (w_->draining_ && !request_started_) return Close();
    if (parser_->is_header_done() && !sent_continue_) {
      sent_continue_ = true;
      auto expect = parser_->get()[bhttp::field::expect];
      if (boost::beast::iequals(expect, "100-continue")) {
        static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        state_ = State::kWriting;
        net::async_write(socket_, net::buffer(kContinue, sizeof kContinue - 1),
                         [self = shared_from_this()](boost::system::error_code ec, size_t) {
                           if (ec) return self->Close();
                           self->DoRead();
                         });
        return;
      }
    }
    DoRead();
  }

  void DoRead() {
    state_ = State::kReading;
    socket_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              self->OnRead(ec, n);
                            });
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    if (ec) return Close();  // EOF, reset, or closed by the idle sweep / shutdown
    buffer_.commit(n);
    last_activity_ = w_->now_sec_;
    ParseBuffered();
  }

  void FailRequest(boost::beast::error_code ec) {
    response_.Reset();
    if (ec == bhttp::error::body_limit) {
      response_.Error(413, "request body is larger than the limit of " +
                               std::to_string(options().max_body_bytes) + " bytes");
    } else if (ec == bhttp::error::header_limit) {
      response_.Error(431, "request header is larger than the limit of " +
                               std::to_string(options().max_header_bytes) + " bytes");
    } else {
      response_.Error(400, "malformed HTTP request: " + ec.message());
    }
    // The rest of the stream cannot be trusted to be in sync: answer and close.
    route_ = w_->server_->router_->n_routes();
    Respond(/*keep_alive=*/false, /*http10=*/false);
  }

  void OnRequest() {
    auto& req = parser_->get();
    Request r;
    r.method = req.method();
    r.target = std::string_view(req.target().data(), req.target().size());
    r.path = r.target.substr(0, r.target.find('?'));
    r.body = req.body();
    response_.Reset();
    route_ = w_->server_->router_->Dispatch(r, &response_);
    if (options().log_requests) {
      method_ = std::string(bhttp::to_string(r.method));
      path_ = std::string(r.path);
    }
    Respond(req.keep_alive() && !w_->draining_, req.version() == 10);
  }

  void Respond(bool keep_alive, bool http10) {
    state_ = State::kWriting;
    keep_alive_ = keep_alive;
    last_activity_ = w_->now_sec_;
    metrics().RequestStarted();
    started_ = Clock::now();
    out_.clear();
    SerializeResponse(response_, keep_alive, http10, w_->date_, &out_);
    net::async_write(socket_, net::buffer(out_),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(boost::system::error_code ec) {
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started_).count();
    metrics().RequestFinished(route_, response_.status, static_cast<uint64_t>(nanos));
    if (options().log_requests) {
      LogInfo("request").Str("method", method_).Str("path", path_).Int("status", response_.status)
          .Double("duration_seconds", static_cast<double>(nanos) / 1e9);
    }
    if (ec) return Close();
    last_activity_ = w_->now_sec_;
    if (!keep_alive_ || w_->draining_) return Linger();
    StartRequest();
  }

  // Half-closes and discards input until the client closes or kLingerSeconds pass.
  void Linger() {
    state_ = State::kLingering;
    linger_deadline_ = w_->now_sec_ + kLingerSeconds;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    DiscardInput();
  }

  void DiscardInput() {
    buffer_.clear();
    socket_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](boost::system::error_code ec, size_t) {
                              if (ec || self->state_ == State::kClosed) return self->Close();
                              self->DiscardInput();
                            });
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  ServerMetrics::Shard& metrics() { return w_->server_->metrics_->shard(w_->index_); }

  Worker* const w_;
  tcp::socket socket_;
  std::list<Connection*>::iterator self_it_;
  boost::beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Response response_;
  std::string out_;
  State state_ = State::kReading;
  bool request_started_ = false;
  bool sent_continue_ = false;
  bool keep_alive_ = true;
  size_t route_ = 0;
  int64_t last_activity_ = 0;
  int64_t linger_deadline_ = 0;
  Clock::time_point started_;
  std::string method_, path_;  // only with log_requests
};

Status Worker::Listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    return Status::Unavailable(std::string("cannot ") + what + " " + endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on");
  acceptor_.set_option(ReusePort(true), ec);
  if (ec) return fail("set SO_REUSEPORT on");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  UpdateClock();
  return Status::Ok();
}

void Worker::UpdateClock() {
  now_sec_ = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  date_ = HttpDate(static_cast<long>(std::time(nullptr)));
}

void Worker::Run() {
  DoAccept();
  StartTick();
  for (;;) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {  // e.g. bad_alloc inside a handler; keep serving
      LogError("event loop error").Str("error", e.what()).Int("thread", static_cast<int64_t>(index_));
    }
  }
}

void Worker::DoAccept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // E.g. EMFILE: back off briefly instead of spinning.
      LogWarn("accept failed").Str("error", ec.message());
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](boost::system::error_code e) {
        if (!e && acceptor_.is_open()) DoAccept();
      });
      return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Connection>(this, std::move(socket))->Start();
    DoAccept();
  });
}

void Worker::StartTick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    OnTick();
  });
}

void Worker::OnTick() {
  UpdateClock();
  // OnTick may close sockets but never destroys a connection synchronously (closing only
  // completes pending operations later), so iterating the list here is safe.
  for (Connection* c : conns_) c->OnTick(draining_);
  if (draining_ && conns_.empty()) return;  // let run() return
  StartTick();
}

void Worker::PostShutdown() {
  net::post(ioc_, [this] { Drain(); });
}

void Worker::Drain() {
  if (draining_) return;
  draining_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  for (Connection* c : conns_) c->OnTick(/*shutting_down=*/true);
  if (conns_.empty()) tick_.cancel();
}

Status ServerImpl::Init() {
  boost::system::error_code ec;
  net::ip::address address = net::ip::make_address(options_.host, ec);
  if (ec) {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(options_.host, "", ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("cannot resolve host '" + options_.host + "': " + ec.message());
    }
    address = results.begin()->endpoint().address();
  }
  size_t n = options_.threads == 0 ? 1 : options_.threads;
  uint16_t port = options_.port;
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>(this, i);
    INFERD_RETURN_IF_ERROR(w->Listen(tcp::endpoint(address, port)));
    // With port 0 the first listener picks the port; the others join it via SO_REUSEPORT.
    if (i == 0) port = w->local_port();
    workers_.push_back(std::move(w));
  }
  port_ = port;
  return Status::Ok();
}

void ServerImpl::Start() {
  {
    std::lock_guard<std::mutex> l(mu_);
    running_ = workers_.size();
  }
  for (auto& w : workers_) {
    Worker* wp = w.get();
    threads_.emplace_back([this, wp] {
      wp->Run();
      std::lock_guard<std::mutex> l(mu_);
      if (--running_ == 0) cv_.notify_all();
    });
  }
}

void ServerImpl::Shutdown() {
  if (shutdown_.exchange(true)) return;
  for (auto& w : workers_) w->PostShutdown();
}

bool ServerImpl::Wait(Clock::time_point deadline) {
  bool clean;
  {
    std::unique_lock<std::mutex> l(mu_);
    clean = cv_.wait_until(l, deadline, [this] { return running_ == 0; });
  }
  if (!clean) {
    for (auto& w : workers_) w->Stop();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  return clean;
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options, const Router* router,
                                                         ServerMetrics* metrics) {
  auto server = std::make_unique<ServerImpl>(options, router, metrics);
  INFERD_RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace inferd::http
