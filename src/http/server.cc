#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include "http/server.h"

#include <linux/filter.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <ctime>
#include <list>
#include <optional>
#include <random>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "common/event_loop.h"
#include "logging/log.h"

namespace inferd::http {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 16 * 1024;
// How long a closing connection keeps draining client bytes after the response, so a client
// still sending (e.g. a body over the limit) reads our answer instead of a reset.
constexpr int64_t kLingerSeconds = 2;
// At shutdown a keep-alive connection waiting for a request is closed only once it has been
// idle this long, counted from the later of the shutdown start and its last answer (see
// HttpServer::Shutdown); docs/operations.md documents the value.
constexpr auto kShutdownIdleGrace = std::chrono::seconds(1);
// The sweep's period while shutting down, so the grace ends within this of its due time.
constexpr auto kShutdownTick = std::chrono::milliseconds(100);
// At shutdown the listener first stops taking new handshakes, and is closed this much later:
// time for handshakes already under way (one round trip) to complete and be accepted.
constexpr auto kListenerCloseDelay = std::chrono::milliseconds(100);

// Makes a listening socket drop new SYNs (a classic BPF socket filter; the TCP header starts
// at offset 0). Handshakes under way still complete; a client whose SYN was dropped retries
// and finds the port closed. Closing a listener instead resets the connections the kernel
// has completed but the server not yet accepted, whose clients may have sent a request.
bool StopNewHandshakes(int fd) {
  static sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),            // TCP flags
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x02, 0, 1),  // SYN?
      BPF_STMT(BPF_RET | BPF_K, 0),                      //   drop
      BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),            // else keep
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0;
}

class ServerImpl;
class Connection;

// One event loop: its own io_context, listener and connections. All members are touched only
// from the loop's thread, except through ioc_.post().
class Worker {
 public:
  Worker(ServerImpl* server, size_t index) : server_(server), index_(index) {}
  ~Worker() { destroying_ = true; }

  Status Listen(const tcp::endpoint& endpoint);
  uint16_t local_port() const { return acceptor_.local_endpoint().port(); }
  void Run();
  void PostShutdown();
  void Stop() { ioc_.stop(); }

 private:
  friend class Connection;
  void DoAccept();
  // Accepts up to `max` connections the kernel has already completed (the acceptor is
  // non-blocking).
  void AcceptBacklog(int max);
  void StartConnection(tcp::socket socket);
  void StartTick();
  void OnTick();
  void Drain();
  void CloseListener();
  // Shutting down and nothing left: the sweep stops, so run() returns.
  bool Finished() const { return draining_ && conns_.empty() && !acceptor_.is_open(); }
  void UpdateClock();

  ServerImpl* const server_;
  const size_t index_;
  // Declared before ioc_: destroying ioc_ destroys pending handlers, which destroys their
  // connections, which unregister here.
  std::list<Connection*> conns_;
  // Set by ~Worker: the connections ioc_ destroys then must not touch the members below.
  bool destroying_ = false;
  net::io_context ioc_{1};  // concurrency hint 1: one thread, no internal locking
  tcp::acceptor acceptor_{ioc_};
  net::steady_timer tick_{ioc_};
  net::steady_timer accept_retry_{ioc_};
  bool draining_ = false;
  Clock::time_point drain_start_;  // when Drain() ran; meaningful once draining_
  Clock::time_point now_;          // steady clock at the last tick
  int64_t now_sec_ = 0;            // coarse steady clock, seconds
  std::string date_;               // Date header value, refreshed every tick
  uint64_t next_id_ = 0;           // generated request ids: <process prefix>-<worker>-<counter>
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& o, const Router* r, ServerMetrics* m) : options_(o), router_(r), metrics_(m) {}
  ~ServerImpl() override {
    for (auto& w : workers_) w->Stop();
    threads_.Join();
  }

  Status Init();
  uint16_t port() const override { return port_; }
  void Start() override;
  void Shutdown() override;
  bool Wait(Clock::time_point deadline) override;

  const HttpServerOptions options_;
  const Router* const router_;
  ServerMetrics* const metrics_;
  // Server-wide admission counters (one relaxed RMW each per request / connection).
  std::atomic<int64_t> inflight_{0};
  std::atomic<int64_t> connections_{0};
  std::string id_prefix_;  // random per process, so generated ids differ across restarts

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  LoopThreads threads_;
  uint16_t port_ = 0;
  std::atomic<bool> shutdown_{false};
};

// One client connection. Lives as long as an async operation holds its shared_ptr.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker* w, tcp::socket s) : w_(w), socket_(std::move(s)) {
    w_->server_->connections_.fetch_add(1, std::memory_order_relaxed);
    metrics().ConnectionOpened();
  }
  ~Connection() {
    w_->server_->connections_.fetch_sub(1, std::memory_order_relaxed);
    metrics().ConnectionClosed();
    w_->conns_.erase(self_it_);
    if (!w_->destroying_ && w_->Finished()) w_->tick_.cancel();
  }

  void Start(bool over_limit) {
    self_it_ = w_->conns_.insert(w_->conns_.end(), this);
    last_activity_ = w_->now_sec_;
    if (over_limit) {
      // Over --max-connections: one 503 and close (after draining what the client sends).
      BeginRequest();
      request_id_.clear();
      response_.Reset();
      response_.Error(503, "too many connections; retry later");
      AppendRetryAfter();
      metrics().Shed();
      route_ = w_->server_->router_->n_routes();
      return Respond(/*keep_alive=*/false, /*http10=*/false);
    }
    StartRequest();
  }

  // Called by the worker once a second, and every kShutdownTick once it is draining.
  void OnTick() {
    int64_t now = w_->now_sec_;
    if (state_ == State::kReading) {
      if (!request_started_) {
        // Waiting for a request. At shutdown this connection stays open for the grace, so a
        // client that got a keep-alive answer can still send its next request and have it
        // answered (with "Connection: close").
        bool idle = now - last_activity_ >= options().idle_timeout.count() ||
                    (w_->draining_ && w_->now_ >= std::max(w_->drain_start_, answered_at_) + kShutdownIdleGrace);
        if (idle) CloseIdle();
        return;
      }
      if (!timed_out_ && now - request_start_sec_ >= options().read_timeout.count()) {
        // Answered 408 from OnRead once the cancelled read completes.
        timed_out_ = true;
        boost::system::error_code ignored;
        socket_.cancel(ignored);
        return;
      }
      if (now - last_activity_ >= w_->server_->options_.idle_timeout.count()) return Close();
    } else if (state_ == State::kWriting) {
      // A client that stops reading our response cannot hold the connection forever.
      if (now - last_activity_ >= w_->server_->options_.idle_timeout.count()) return Close();
    } else if (state_ == State::kLingering && now >= linger_deadline_) {
      Close();
    }
  }

 private:
  // kQueued: fully read, posted to the loop, not yet handled (no socket operation pending).
  // kClosingIdle: was kReading with no request started; its read is being cancelled (CloseIdle).
  enum class State { kReading, kQueued, kWriting, kClosingIdle, kLingering, kClosed };

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
      if (!request_started_) {
        request_started_ = true;
        request_start_sec_ = w_->now_sec_;
      }
      boost::beast::error_code ec;
      size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) break;
      if (ec) return FailRequest(ec);
      if (parser_->is_done()) return OnRequest();
      if (used == 0) break;
    }
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
    socket_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = shared_from_this()](boost::system::error_code ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    if (ec) {
      if (state_ == State::kClosed) return;
      if (timed_out_) return FailRequest(bhttp::error::partial_message);  // answered 408 below
      if (state_ == State::kClosingIdle && ec == net::error::operation_aborted) return OnIdleReadCancelled();
      return Close();  // EOF or reset
    }
    // Data, also if the read completed before CloseIdle could cancel it: served as usual.
    buffer_.commit(n);
    last_activity_ = w_->now_sec_;
    ParseBuffered();
  }

  void FailRequest(boost::beast::error_code ec) {
    BeginRequest();
    // The client's id if that header field was parsed (a 413, a late 408), else a generated
    // one: early errors are correlated in logs like any other answer. (Beast reports a
    // body over the limit before the header counts as done, but its fields are stored.)
    std::string_view given;
    if (parser_) {
      auto h = parser_->get()["X-Request-Id"];
      given = std::string_view(h.data(), h.size());
    }
    AssignRequestId(given);
    response_.Reset();
    if (timed_out_) {
      response_.Error(
          408, "the request was not received within " + std::to_string(options().read_timeout.count()) + " seconds");
    } else if (ec == bhttp::error::body_limit) {
      response_.Error(
          413, "request body is larger than the limit of " + std::to_string(options().max_body_bytes) + " bytes");
    } else if (ec == bhttp::error::header_limit) {
      response_.Error(
          431, "request header is larger than the limit of " + std::to_string(options().max_header_bytes) + " bytes");
    } else {
      response_.Error(400, "malformed HTTP request: " + ec.message());
    }
    // The rest of the stream cannot be trusted to be in sync: answer and close.
    route_ = w_->server_->router_->n_routes();
    Respond(/*keep_alive=*/false, /*http10=*/false);
  }

  // Accounting for a request that will be answered: in-flight gauges and the start time.
  // Every BeginRequest is matched by the accounting in OnWrite.
  int64_t BeginRequest() {
    started_ = Clock::now();
    metrics().RequestStarted();
    return w_->server_->inflight_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  // The request id: the client's if it is reasonable, else <prefix>-<worker>-<counter>.
  void AssignRequestId(std::string_view given) {
    request_id_.clear();
    if (!given.empty() && given.size() <= 128) {
      request_id_.assign(given.data(), given.size());
      return;
    }
    request_id_ += w_->server_->id_prefix_;
    char buf[40];
    auto* end = std::to_chars(buf, buf + sizeof buf, w_->index_, 16).ptr;
    *end++ = '-';
    end = std::to_chars(end, buf + sizeof buf, ++w_->next_id_, 16).ptr;
    request_id_.append(buf, static_cast<size_t>(end - buf));
  }

  void AppendRetryAfter() {
    response_.extra_headers += "Retry-After: ";
    response_.extra_headers += std::to_string(options().retry_after_seconds);
    response_.extra_headers += "\r\n";
  }

  void OnRequest() {
    int64_t inflight = BeginRequest();
    auto& req = parser_->get();
    response_.Reset();
    auto given = req["X-Request-Id"];
    AssignRequestId(std::string_view(given.data(), given.size()));
    size_t max_inflight = options().max_inflight;
    if (max_inflight != 0 && inflight > static_cast<int64_t>(max_inflight)) {
      // Shed at once: no model work, no queueing; the client retries elsewhere or later.
      response_.Error(
          503, "server is at its --max-inflight limit of " + std::to_string(max_inflight) + " requests; retry later");
      AppendRetryAfter();
      metrics().Shed();
      route_ = w_->server_->router_->n_routes();
      if (options().log_requests) NoteForLog(req.method(), req.target());
      return Respond(req.keep_alive() && !w_->draining_, req.version() == 10);
    }
    state_ = State::kQueued;
    metrics().RequestQueued();
    net::post(w_->ioc_, [self = shared_from_this()] { self->Process(); });
  }

  void NoteForLog(Verb method, boost::beast::string_view target) {
    method_ = std::string(bhttp::to_string(method));
    std::string_view t(target.data(), target.size());
    path_ = std::string(t.substr(0, t.find('?')));
  }

  // Runs a queued request: checks its deadline, then the handler.
  void Process() {
    if (state_ != State::kQueued) return;  // cannot happen: nothing closes a queued connection
    auto& req = parser_->get();
    Clock::time_point now = Clock::now();
    metrics().RequestDequeued(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - started_).count()));
    Request r;
    r.method = req.method();
    r.target = std::string_view(req.target().data(), req.target().size());
    r.path = r.target.substr(0, r.target.find('?'));
    r.body = req.body();
    auto content_type = req[bhttp::field::content_type];
    r.content_type = std::string_view(content_type.data(), content_type.size());
    r.request_id = request_id_;
    auto timeout = options().request_timeout;
    bool has_deadline = timeout.count() > 0;
    auto header = req["X-Request-Timeout-Ms"];
    if (!header.empty()) {
      int64_t ms = 0;
      auto res = std::from_chars(header.data(), header.data() + header.size(), ms);
      if (res.ec == std::errc() && ms >= 0 && (!has_deadline || ms < timeout.count())) {
        timeout = std::chrono::milliseconds(ms);
        has_deadline = true;
      }
    }
    if (has_deadline) r.deadline = started_ + timeout;
    if (now >= r.deadline) {
      response_.Error(
          504, "the request's deadline passed before it could run (waited " +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - started_).count()) +
                   " ms)");
      metrics().DeadlineExceeded();
      route_ = w_->server_->router_->n_routes();
    } else {
      route_ = w_->server_->router_->Dispatch(&r, &response_);
    }
    if (options().log_requests) NoteForLog(req.method(), req.target());
    Respond(req.keep_alive() && !w_->draining_, req.version() == 10);
  }

  void Respond(bool keep_alive, bool http10) {
    state_ = State::kWriting;
    keep_alive_ = keep_alive;
    last_activity_ = w_->now_sec_;
    if (!request_id_.empty()) {
      response_.extra_headers += "X-Request-Id: ";
      response_.extra_headers += request_id_;
      response_.extra_headers += "\r\n";
    }
    out_.clear();
    SerializeResponse(response_, keep_alive, http10, w_->date_, &out_);
    net::async_write(socket_, net::buffer(out_),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(boost::system::error_code ec) {
    Clock::time_point done = Clock::now();
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(done - started_).count();
    metrics().RequestFinished(route_, response_.status, static_cast<uint64_t>(nanos));
    w_->server_->inflight_.fetch_sub(1, std::memory_order_relaxed);
    if (options().log_requests) {
      LogInfo("request")
          .Str("method", method_)
          .Str("path", path_)
          .Int("status", response_.status)
          .Double("duration_seconds", static_cast<double>(nanos) / 1e9)
          .Str("request_id", request_id_);
    }
    if (ec) return Close();
    last_activity_ = w_->now_sec_;
    if (!keep_alive_) return Linger();
    // A keep-alive answer, even one serialised just before the shutdown started: the client
    // may send its next request, which is read and answered (with "Connection: close").
    if (w_->draining_) answered_at_ = done;
    StartRequest();
  }

  // Closes a connection that is waiting for a request, without losing one that has arrived:
  // the pending read is cancelled first; if it completes with data instead, that request is
  // served as usual (OnRead).
  void CloseIdle() {
    state_ = State::kClosingIdle;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }

  void OnIdleReadCancelled() {
    boost::system::error_code ec;
    if (socket_.available(ec) > 0 && !ec) return DoRead();  // a request arrived meanwhile
    // Nothing unread: send FIN and discard what still comes (a request crossing the FIN is
    // HTTP/1.1's keep-alive race; the client sees a clean close, not a reset).
    Linger();
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
  bool timed_out_ = false;  // the read timeout fired; answer 408
  bool sent_continue_ = false;
  bool keep_alive_ = true;
  size_t route_ = 0;
  int64_t last_activity_ = 0;
  int64_t linger_deadline_ = 0;
  int64_t request_start_sec_ = 0;  // coarse time the current request's first byte arrived
  Clock::time_point answered_at_;  // last keep-alive answer written while draining
  Clock::time_point started_;
  std::string request_id_;
  std::string method_, path_;  // only with log_requests
};

Status Worker::Listen(const tcp::endpoint& endpoint) {
  INFERD_RETURN_IF_ERROR(ListenWithReusePort(acceptor_, endpoint));
  boost::system::error_code ec;
  acceptor_.non_blocking(true, ec);  // for the backlog-draining accepts in DoAccept
  if (ec) {
    return Status::Unavailable("cannot set non-blocking mode on " + endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + ec.message());
  }
  UpdateClock();
  return Status::Ok();
}

void Worker::UpdateClock() {
  now_ = Clock::now();
  now_sec_ = std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count();
  date_ = HttpDate(static_cast<long>(std::time(nullptr)));
}

void Worker::Run() {
  DoAccept();
  StartTick();
  RunEventLoop(ioc_, "event loop error", index_);
}

void Worker::DoAccept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!acceptor_.is_open()) {
      // Accepted just before CloseListener(): the client may have sent a request.
      if (!ec) {
        StartConnection(std::move(socket));
        StartTick();  // the sweep may have stopped, having seen no connection
      }
      return;
    }
    if (ec) {
      // E.g. EMFILE: back off briefly instead of spinning.
      LogWarn("accept failed").Str("error", ec.message());
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](boost::system::error_code e) {
        if (!e && acceptor_.is_open()) DoAccept();
      });
      return;
    }
    StartConnection(std::move(socket));
    // Take the connections already waiting in the backlog now, so a burst of new connections
    // is read in one round and counted as queued/in flight together, instead of trickling in
    // one accept per loop round behind the running requests.
    AcceptBacklog(64);
    DoAccept();
  });
}

void Worker::AcceptBacklog(int max) {
  for (int i = 0; i < max; ++i) {
    tcp::socket more(ioc_);
    boost::system::error_code ec;
    acceptor_.accept(more, ec);  // non-blocking: stops at the first empty backlog
    if (ec) return;
    StartConnection(std::move(more));
  }
}

void Worker::StartConnection(tcp::socket socket) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  size_t max_conns = server_->options_.max_connections;
  bool over =
      max_conns != 0 && server_->connections_.load(std::memory_order_relaxed) >= static_cast<int64_t>(max_conns);
  std::make_shared<Connection>(this, std::move(socket))->Start(over);
}

void Worker::StartTick() {
  if (draining_) {
    tick_.expires_after(kShutdownTick);
  } else {
    tick_.expires_after(std::chrono::seconds(1));
  }
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    OnTick();
  });
}

void Worker::OnTick() {
  UpdateClock();
  if (draining_ && acceptor_.is_open() && now_ >= drain_start_ + kListenerCloseDelay) CloseListener();
  // OnTick may close sockets but never destroys a connection synchronously (closing only
  // completes pending operations later), so iterating the list here is safe.
  for (Connection* c : conns_) c->OnTick();
  if (Finished()) return;  // let run() return
  StartTick();
}

void Worker::PostShutdown() {
  net::post(ioc_, [this] { Drain(); });
}

void Worker::Drain() {
  if (draining_) return;
  draining_ = true;
  UpdateClock();
  drain_start_ = now_;
  // The listener closes kListenerCloseDelay later (OnTick); at once if the filter is refused.
  if (!StopNewHandshakes(acceptor_.native_handle())) CloseListener();
  // Idle connections close after kShutdownIdleGrace (OnTick); the others once answered.
  if (Finished()) {
    tick_.cancel();
  } else {
    StartTick();  // replaces the pending once-a-second wait
  }
}

void Worker::CloseListener() {
  // Take what the kernel has completed first: closing resets the connections still in the
  // backlog. (Bounded, so a flood of new connections cannot hold the shutdown.)
  AcceptBacklog(4096);
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
}

Status ServerImpl::Init() {
  {
    std::random_device rd;
    char buf[16];
    auto* end = std::to_chars(buf, buf + sizeof buf, rd(), 16).ptr;
    id_prefix_.assign(buf, static_cast<size_t>(end - buf));
    id_prefix_ += '-';
  }
  INFERD_ASSIGN_OR_RETURN(const net::ip::address address, ResolveListenAddress(options_.host));
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
  threads_.Start(workers_.size(), [this](size_t i) { workers_[i]->Run(); });
}

void ServerImpl::Shutdown() {
  if (shutdown_.exchange(true)) return;
  for (auto& w : workers_) w->PostShutdown();
}

bool ServerImpl::Wait(Clock::time_point deadline) {
  return threads_.WaitThenJoin(deadline, [this] {
    for (auto& w : workers_) w->Stop();
  });
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options, const Router* router,
                                                         ServerMetrics* metrics) {
  auto server = std::make_unique<ServerImpl>(options, router, metrics);
  INFERD_RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace inferd::http
