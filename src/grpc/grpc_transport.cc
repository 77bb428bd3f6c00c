#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first (http-performance.md).

#include "grpc/grpc_transport.h"

#include <nghttp2/nghttp2.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <list>
#include <mutex>
#include <random>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/container/small_vector.hpp>

#include "common/event_loop.h"
#include "grpc/grpc_wire.h"
#include "logging/log.h"

namespace inferd::grpc_api {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 16 * 1024;
constexpr auto kTick = std::chrono::milliseconds(100);
// Request headers beyond this reset the stream (the HTTP side's header limit).
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr uint32_t kMaxConcurrentStreams = 256;
// Flow control: a stream's window reopens as its bytes arrive; the connection's only once the
// bytes are used (a unary request once answered), so the connection window bounds what one
// connection can make the server hold. Large enough that a message of a few MB does not wait
// for a window update per 64 kB.
constexpr int32_t kStreamWindow = 1 << 20;
constexpr size_t kMinConnectionWindow = 16 << 20;
// Closed calls' buffers a connection keeps for its next calls, and the largest it keeps.
constexpr size_t kSpareBuffers = 16;
constexpr size_t kMaxRecycledBytes = 64 * 1024;

class TransportImpl;
class Worker;
class Connection;

// Storage for one pending operation of a connection (its read, its write, a queued call):
// Asio allocates the operation there instead of on the heap, or on the heap while it is in
// use. Touched only on the connection's thread.
class HandlerMemory {
 public:
  void* Allocate(size_t size) {
    if (!in_use_ && size <= sizeof storage_) {
      in_use_ = true;
      return storage_;
    }
    return ::operator new(size);
  }
  void Deallocate(void* p) {
    if (p == storage_) {
      in_use_ = false;
    } else {
      ::operator delete(p);
    }
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[512];
  bool in_use_ = false;
};

template <typename T>
class HandlerAllocator {
 public:
  using value_type = T;
  explicit HandlerAllocator(HandlerMemory& memory) : memory_(&memory) {}
  template <typename U>
  HandlerAllocator(const HandlerAllocator<U>& other) noexcept : memory_(other.memory_) {}
  T* allocate(size_t n) { return static_cast<T*>(memory_->Allocate(sizeof(T) * n)); }
  void deallocate(T* p, size_t) { memory_->Deallocate(p); }
  bool operator==(const HandlerAllocator& other) const noexcept { return memory_ == other.memory_; }

 private:
  template <typename U>
  friend class HandlerAllocator;
  HandlerMemory* memory_;
};

// A completion handler whose operation Asio allocates in `memory` (its associated allocator).
// The handler must keep the memory's owner alive (Asio frees the memory before calling it).
template <typename Handler>
class InMemory {
 public:
  using allocator_type = HandlerAllocator<Handler>;
  InMemory(HandlerMemory& memory, Handler handler) : memory_(&memory), handler_(std::move(handler)) {}
  allocator_type get_allocator() const noexcept { return allocator_type(*memory_); }
  template <typename... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  HandlerMemory* memory_;
  Handler handler_;
};

// `flags`: NGHTTP2_NV_FLAG_NO_INDEX for a value unique to one call (x-request-id): indexed, each
// would take a place in the connection's HPACK table and lengthen every later lookup in it.
nghttp2_nv Header(std::string_view name, std::string_view value, uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(), flags};
}

// The heap buffers of one call. A closed call hands them back to its connection and the next
// call there reuses them (cleared, capacity kept), so a steady stream of small calls allocates
// none of them.
struct StreamBuffers {
  std::string path;
  std::string content_type;
  std::string request_id;
  std::string message;  // a unary call's request
  std::string out;      // framed messages not yet taken by nghttp2
  MessageReader reader;

  size_t capacity() const {
    return path.capacity() + content_type.capacity() + request_id.capacity() + message.capacity() + out.capacity() +
           reader.capacity();
  }
  void Clear() {
    path.clear();
    content_type.clear();
    request_id.clear();
    message.clear();
    out.clear();
    reader.Clear();
  }
};

class Stream final : public GrpcCall {
 public:
  Stream(Connection* conn, int32_t id, StreamBuffers buffers) : conn_(conn), id_(id), b_(std::move(buffers)) {}
  ~Stream() override;

  std::string_view method() const override { return b_.path; }
  std::string_view request_id() const override { return b_.request_id; }
  Clock::time_point start() const override { return start_; }
  void AddTrailer(std::string name, std::string value) override {
    trailers_.emplace_back(std::move(name), std::move(value));
  }
  void SetLogModel(std::string_view model) override;
  void Write(std::string message) override;
  void Finish(const GrpcStatus& status) override;
  void SetState(std::shared_ptr<void> state) override { state_ = std::move(state); }
  void* state() const override { return state_.get(); }

 private:
  friend class Connection;
  static ssize_t ReadData(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* data_flags, nghttp2_data_source* source, void* user_data);
  // Submits the response headers (with a data source), or a Trailers-Only answer.
  void SubmitHeaders();
  void SubmitTrailersOnly();
  using HeaderList = boost::container::small_vector<nghttp2_nv, 8>;
  // grpc-status, grpc-message and the trailers added; the strings must outlive the list.
  void AppendStatusHeaders(std::string* code_buf, std::string* message_buf, HeaderList* nv);
  void Log();

  Connection* const conn_;
  const int32_t id_;
  Clock::time_point start_;
  StreamBuffers b_;
  Stream* prev_ = nullptr;  // the connection's open calls
  Stream* next_ = nullptr;
  bool has_timeout_ = false;
  Clock::time_point deadline_;  // the client's (grpc-timeout), from when its header arrived
  size_t header_bytes_ = 0;
  MethodKind kind_ = MethodKind::kUnknown;
  uint64_t born_tick_ = 0;      // the worker's tick count when its headers began
  bool request_ended_ = false;  // the client's END_STREAM arrived
  uint64_t timed_out_at_ = 0;   // tick of its read timeout's answer; 0 = none
  bool reset_sent_ = false;
  int messages_ = 0;
  bool responded_ = false;  // headers or a Trailers-Only answer submitted
  bool finished_ = false;   // the status is decided (sent after the data)
  bool admitted_ = false;   // counted in the transport's in-flight calls
  bool deferred_ = false;   // the data source is waiting for Write/Finish
  bool handler_open_ = false;
  size_t unreleased_ = 0;  // received bytes not yet returned to the connection's window
  size_t out_pos_ = 0;
  GrpcStatus status_;
  std::vector<std::pair<std::string, std::string>> trailers_;
  std::string log_model_;
  std::shared_ptr<void> state_;
};

class Worker {
 public:
  Worker(TransportImpl* t, size_t index) : t_(t), index_(index) {}
  Status Listen(const tcp::endpoint& endpoint);
  uint16_t local_port() const { return acceptor_.local_endpoint().port(); }
  void Run();
  void Post(std::function<void()> fn) { net::post(ioc_, std::move(fn)); }
  void Stop() { ioc_.stop(); }
  void Drain();
  void TickStreams();

 private:
  friend class Connection;
  friend class Stream;
  void DoAccept();
  void StartTick();
  bool Finished() const { return draining_ && conns_.empty() && !acceptor_.is_open(); }

  TransportImpl* const t_;
  const size_t index_;
  std::list<Connection*> conns_;  // before ioc_: see http/server.cc
  net::io_context ioc_{1};
  tcp::acceptor acceptor_{ioc_};
  net::steady_timer tick_{ioc_};
  net::steady_timer accept_retry_{ioc_};
  bool draining_ = false;
  uint64_t next_id_ = 0;
  uint64_t ticks_ = 0;       // kTick periods since the loop started: the coarse clock of timeouts
  size_t queued_calls_ = 0;  // calls of this loop's connections posted to run and not yet run
  // Connections that completed a request in this tick / in the tick before.
  size_t calling_now_ = 0;
  size_t calling_before_ = 0;
};

class TransportImpl final : public GrpcTransport {
 public:
  TransportImpl(const GrpcTransportOptions& o, GrpcHandler* h) : options_(o), handler_(h) {}
  ~TransportImpl() override { Shutdown(Clock::now()); }
  Status Init();
  void Start();
  uint16_t port() const override { return port_; }
  void TickStreams() override {
    for (auto& w : workers_) {
      Worker* wp = w.get();
      wp->Post([wp] { wp->TickStreams(); });
    }
  }
  bool Shutdown(Clock::time_point deadline) override;

  const GrpcTransportOptions options_;
  GrpcHandler* const handler_;
  std::atomic<int64_t> inflight_{0};
  std::string id_prefix_;

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  LoopThreads threads_;
  uint16_t port_ = 0;
  std::mutex mu_;
  bool shut_down_ = false;  // guarded by mu_
  bool clean_ = true;       // guarded by mu_
};

// One client connection: an nghttp2 server session over the socket. Lives as long as an async
// operation holds its shared_ptr; touched only on its worker's thread.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker* w, tcp::socket s) : w_(w), socket_(std::move(s)) {}
  ~Connection() {
    while (streams_ != nullptr) {
      Stream* s = streams_;
      if (s->handler_open_) handler().OnClosed(*s);
      Unlink(s);
      delete s;
    }
    if (session_ != nullptr) nghttp2_session_del(session_);
    w_->conns_.erase(self_it_);
  }

  void Start() {
    self_it_ = w_->conns_.insert(w_->conns_.end(), this);
    idle_since_ = w_->ticks_;
    static nghttp2_option* const kOption = [] {
      nghttp2_option* o = nullptr;
      nghttp2_option_new(&o);
      nghttp2_option_set_no_auto_window_update(o, 1);
      // No RFC 7540 priority tree (gRPC clients do not use it): closed streams are not kept
      // for it, and the scheduler is the simpler RFC 9218 one.
      nghttp2_option_set_no_closed_streams(o, 1);
      return o;
    }();
    nghttp2_session_server_new2(&session_, Callbacks(), this, kOption);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(kMaxHeaderBytes)},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, static_cast<int32_t>(ConnectionWindow()));
    if (w_->draining_) Goaway();
    Flush();
    DoRead();
  }

  // Every kTick: the streaming calls' tick; a unary request still incomplete after the read
  // timeout is answered DEADLINE_EXCEEDED and its stream reset (a slow or stalled client must
  // not hold its buffers); a connection without calls for the idle timeout is closed (GOAWAY).
  void Tick() {
    bool any = false;
    const uint64_t now = w_->ticks_;
    for (Stream* s = streams_; s != nullptr; s = s->next_) {
      if (s->handler_open_ && !s->finished_) {
        handler().OnTick(*s);
        any = true;
      } else if (s->kind_ != MethodKind::kStreaming && !s->request_ended_ && !s->reset_sent_ &&
                 now - s->born_tick_ > TicksOf(options().read_timeout)) {
        if (s->timed_out_at_ == 0) {
          Fail(s, GrpcCode::kDeadlineExceeded,
               "the request was not received within " + std::to_string(options().read_timeout.count()) +
                   " s (--read-timeout-seconds)");
          s->timed_out_at_ = now;
        } else if (now > s->timed_out_at_ + 1) {
          // A tick later, when the answer has left: a RST_STREAM queued with it would cancel it.
          s->reset_sent_ = true;
          nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id_, NGHTTP2_NO_ERROR);
        }
        any = true;
      }
    }
    RefuseIfStalled();  // a backstop: the checks on arrival and answer should have caught it
    if (streams_ == nullptr && !closing_ && now - idle_since_ > TicksOf(options().idle_timeout)) {
      Goaway();
      CloseAfterWrite();
      return;
    }
    if (any) ScheduleFlush();
  }

  static uint64_t TicksOf(std::chrono::seconds d) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d) / kTick);
  }

  // Refuses new streams and ends the streaming calls; the connection closes when the calls
  // in flight are answered.
  void Drain() {
    Goaway();
    for (Stream* s = streams_; s != nullptr; s = s->next_) {
      if (s->handler_open_ && !s->finished_) {
        handler().OnTick(*s);  // a last change (NOT_SERVING) before the end
        s->Finish(GrpcStatus{GrpcCode::kUnavailable, "the server is shutting down"});
      }
    }
    ScheduleFlush();
  }

  void ScheduleFlush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    net::post(w_->ioc_, [self = shared_from_this()] {
      self->flush_scheduled_ = false;
      self->Flush();
      if (self->read_after_flush_) {
        self->read_after_flush_ = false;
        self->PostRead();
      }
    });
  }

  GrpcHandler& handler() { return *w_->t_->handler_; }
  const GrpcTransportOptions& options() const { return w_->t_->options_; }
  nghttp2_session* session() { return session_; }

 private:
  friend class Stream;

  static const nghttp2_session_callbacks* Callbacks() {
    static nghttp2_session_callbacks* callbacks = [] {
      nghttp2_session_callbacks* cb = nullptr;
      nghttp2_session_callbacks_new(&cb);
      nghttp2_session_callbacks_set_on_begin_headers_callback(cb, OnBeginHeaders);
      nghttp2_session_callbacks_set_on_header_callback(cb, OnHeader);
      nghttp2_session_callbacks_set_on_frame_recv_callback(cb, OnFrameRecv);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, OnDataChunk);
      nghttp2_session_callbacks_set_on_stream_close_callback(cb, OnStreamClose);
      return cb;
    }();
    return callbacks;
  }

  static Stream* Find(nghttp2_session* session, int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto* c = static_cast<Connection*>(user);
    StreamBuffers buffers;
    if (!c->spare_.empty()) {
      buffers = std::move(c->spare_.back());
      c->spare_.pop_back();
    }
    auto* s = new Stream(c, frame->hd.stream_id, std::move(buffers));
    s->born_tick_ = c->w_->ticks_;
    s->next_ = c->streams_;
    if (c->streams_ != nullptr) c->streams_->prev_ = s;
    c->streams_ = s;
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s);
    return 0;
  }

  void Unlink(Stream* s) {
    if (s->prev_ != nullptr) s->prev_->next_ = s->next_;
    if (s->next_ != nullptr) s->next_->prev_ = s->prev_;
    if (streams_ == s) streams_ = s->next_;
    s->prev_ = s->next_ = nullptr;
  }

  // Keeps a closed call's buffers for the next call, unless they grew large (one big message
  // must not keep its memory for the connection's life).
  void Recycle(StreamBuffers&& b) {
    if (spare_.size() >= kSpareBuffers || b.capacity() > kMaxRecycledBytes) return;
    b.Clear();
    spare_.push_back(std::move(b));
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    Stream* s = Find(session, frame->hd.stream_id);
    if (s == nullptr) return 0;
    s->header_bytes_ += namelen + valuelen + 32;
    if (s->header_bytes_ > kMaxHeaderBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":path") {
      s->b_.path = v;
    } else if (n == "content-type") {
      s->b_.content_type = v;
    } else if (n == "grpc-timeout") {
      if (auto t = ParseGrpcTimeout(v)) {
        s->has_timeout_ = true;
        s->deadline_ = Clock::now() + *t;
      }
    } else if (n == "x-request-id") {
      if (!v.empty() && v.size() <= 128) s->b_.request_id = v;
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto* c = static_cast<Connection*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Stream* s = Find(session, frame->hd.stream_id);
    if (s == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) c->OnHeadersDone(s);
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) c->OnRequestEnd(s);
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    nghttp2_session_consume_stream(session, id, len);
    Stream* s = Find(session, id);
    auto* c = static_cast<Connection*>(user);
    if (s == nullptr) {  // a call already answered and closed: its late bytes go back at once
      nghttp2_session_consume_connection(session, len);
      c->RefuseIfStalled();
      return 0;
    }
    s->unreleased_ += len;
    c->held_ += len;
    c->OnData(s, std::string_view(reinterpret_cast<const char*>(data), len));
    // Only a unary request waiting for its answer keeps its bytes counted.
    if (s->kind_ != MethodKind::kUnary && s->kind_ != MethodKind::kUnaryCounted)
      c->Release(s);
    else if (s->responded_)
      c->Release(s);
    c->RefuseIfStalled();
    return 0;
  }

  // The bytes still needed to complete a unary call's request (0 once its message is whole).
  static size_t RequestBytesNeeded(const Stream& s) {
    if (s.messages_ > 0) return 0;
    const MessageReader& r = s.b_.reader;
    const size_t have = r.buffered();
    if (have < kMessagePrefixBytes) return kMessagePrefixBytes - have;
    return kMessagePrefixBytes + r.pending_length() - have;
  }

  // Unary requests' bytes return to the connection's window only once answered, so partial
  // requests can fill it with none able to complete (a client interleaving more large messages
  // than the window holds): then nothing moves until the read timeout. When no answer is coming
  // and the client's room is smaller than what any request still needs, the requests holding
  // the most are refused (RESOURCE_EXHAUSTED) and their bytes returned at once.
  void RefuseIfStalled() {
    while (held_ > 0 && queued_ == 0 && ready_.empty()) {
      const int32_t room = nghttp2_session_get_local_window_size(session_);
      // No request needs more than a whole message (larger ones are refused as they start).
      if (room >= 0 && static_cast<size_t>(room) >= options().max_message_bytes + kMessagePrefixBytes) return;
      // The request nearest completion is kept; the others holding the most make room for it.
      Stream* nearest = nullptr;
      size_t least_needed = SIZE_MAX;
      for (Stream* s = streams_; s != nullptr; s = s->next_) {
        if (s->responded_ || s->unreleased_ == 0) continue;
        if (s->kind_ != MethodKind::kUnary && s->kind_ != MethodKind::kUnaryCounted) continue;
        if (const size_t need = RequestBytesNeeded(*s); need < least_needed) {
          least_needed = need;
          nearest = s;
        }
      }
      if (nearest == nullptr || room < 0 || static_cast<size_t>(room) >= least_needed) return;
      Stream* largest = nullptr;
      for (Stream* s = streams_; s != nullptr; s = s->next_) {
        if (s == nearest || s->responded_ || s->unreleased_ == 0) continue;
        if (s->kind_ != MethodKind::kUnary && s->kind_ != MethodKind::kUnaryCounted) continue;
        if (largest == nullptr || s->unreleased_ > largest->unreleased_) largest = s;
      }
      if (largest == nullptr) return;  // one request larger than the window: its size limit applies
      const size_t window = ConnectionWindow();
      Fail(largest, GrpcCode::kResourceExhausted,
           "the connection's flow-control window (" + std::to_string(window) +
               " bytes) is full of incomplete requests; send fewer large messages at once on one connection");
      Release(largest);
      // consume_connection returns bytes only in halves of the window: return every byte not
      // held now (received, not yet returned, minus held = consumed).
      const int64_t unheld =
          int64_t{nghttp2_session_get_effective_recv_data_length(session_)} - static_cast<int64_t>(held_);
      if (unheld > 0) nghttp2_submit_window_update(session_, NGHTTP2_FLAG_NONE, 0, static_cast<int32_t>(unheld));
    }
  }

  size_t ConnectionWindow() const {
    return std::min<size_t>(std::max(kMinConnectionWindow, 2 * options().max_message_bytes + 1024),
                            (size_t{1} << 31) - 1);
  }

  static int OnStreamClose(nghttp2_session* session, int32_t id, uint32_t, void* user) {
    auto* c = static_cast<Connection*>(user);
    Stream* s = Find(session, id);
    if (s == nullptr) return 0;
    nghttp2_session_set_stream_user_data(session, id, nullptr);
    if (s->handler_open_) {
      s->handler_open_ = false;
      c->handler().OnClosed(*s);
    }
    c->Unlink(s);
    delete s;
    if (c->streams_ == nullptr) c->idle_since_ = c->w_->ticks_;
    return 0;
  }

  void OnHeadersDone(Stream* s) {
    if (s->b_.request_id.empty()) {
      s->b_.request_id = w_->t_->id_prefix_;
      char buf[40];
      auto* end = std::to_chars(buf, buf + sizeof buf, w_->index_, 16).ptr;
      *end++ = '-';
      end = std::to_chars(end, buf + sizeof buf, ++w_->next_id_, 16).ptr;
      s->b_.request_id.append(buf, static_cast<size_t>(end - buf));
    }
    if (s->b_.content_type.rfind("application/grpc", 0) != 0) {
      return Fail(s, GrpcCode::kInvalidArgument, "content-type '" + s->b_.content_type + "' is not application/grpc");
    }
    s->kind_ = handler().Kind(s->b_.path);
    if (s->kind_ == MethodKind::kUnknown) return Fail(s, GrpcCode::kUnimplemented, "unknown method " + s->b_.path);
    if (s->kind_ == MethodKind::kStreaming) {
      s->start_ = Clock::now();
      s->handler_open_ = true;
    }
  }

  void Release(Stream* s) {
    if (s->unreleased_ == 0) return;
    nghttp2_session_consume_connection(session_, s->unreleased_);
    held_ -= s->unreleased_;
    s->unreleased_ = 0;
  }

  void OnData(Stream* s, std::string_view data) {
    if (s->finished_ || s->kind_ == MethodKind::kUnknown) return;  // answered already: discard
    s->b_.reader.Append(data);
    for (;;) {
      std::string_view message;
      MessageReader::Result r = s->b_.reader.Next(options().max_message_bytes, &message);
      if (r == MessageReader::Result::kNeedMore) return;
      if (r == MessageReader::Result::kTooLarge) {
        return Fail(s, GrpcCode::kResourceExhausted,
                    "received message larger than max (" + std::to_string(s->b_.reader.pending_length()) + " vs. " +
                        std::to_string(options().max_message_bytes) + ")");
      }
      if (r == MessageReader::Result::kCompressed) {
        return Fail(s, GrpcCode::kUnimplemented,
                    "compressed messages are not supported (grpc-accept-encoding: identity)");
      }
      ++s->messages_;
      if (s->kind_ == MethodKind::kStreaming) {
        handler().OnMessage(*s, message);
        if (s->finished_) return;
      } else if (s->messages_ == 1) {
        s->b_.message.assign(message);
      } else {
        return Fail(s, GrpcCode::kInvalidArgument, "a unary call sent more than one message");
      }
    }
  }

  void OnRequestEnd(Stream* s) {
    s->request_ended_ = true;
    // A streaming call may have sent messages already and still be open.
    if (s->finished_ || s->kind_ == MethodKind::kUnknown) return;
    if (s->b_.reader.buffered() > 0) return Fail(s, GrpcCode::kInternal, "the request ended inside a message");
    if (s->kind_ == MethodKind::kStreaming) {
      handler().OnHalfClose(*s);
      return;
    }
    if (s->messages_ != 1) return Fail(s, GrpcCode::kInvalidArgument, "a unary call sent no message");
    s->start_ = Clock::now();
    if (s->kind_ == MethodKind::kUnaryCounted) {
      s->admitted_ = true;
      const int64_t now_inflight = w_->t_->inflight_.fetch_add(1, std::memory_order_relaxed) + 1;
      const size_t max = options().max_inflight;
      if (max != 0 && now_inflight > static_cast<int64_t>(max)) {
        // Shed at once: no model work, the client retries later.
        s->AddTrailer("grpc-retry-pushback-ms", std::to_string(options().retry_after_seconds * 1000));
        return Fail(s, GrpcCode::kResourceExhausted,
                    "server is at its --max-inflight limit of " + std::to_string(max) + " requests; retry later");
      }
    }
    if (last_call_tick_ != w_->ticks_ + 1) {
      last_call_tick_ = w_->ticks_ + 1;
      ++w_->calling_now_;
    }
    ++queued_;
    ready_.push_back(s->id_);  // run or queued when the read that completed it is parsed (OnRead)
  }

  void Process(int32_t id) {
    --queued_;
    Stream* s = Find(session_, id);
    if (s == nullptr || s->responded_) {  // reset by the client meanwhile
      if (queued_ == 0) Flush();
      return;
    }
    if (s->has_timeout_ && Clock::now() >= s->deadline_) {
      return Fail(s, GrpcCode::kDeadlineExceeded, "the request's deadline passed before it could run");
    }
    // The answer is framed in place: a prefix, then the handler appends the message.
    std::string& out = s->b_.out;
    out.assign(kMessagePrefixBytes, '\0');
    GrpcStatus st = handler().Unary(*s, s->b_.message, &out);
    s->b_.message.clear();
    Release(s);
    if (!st.ok()) {
      out.clear();
      return Fail(s, st.code, std::move(st.message));
    }
    SetMessagePrefix(out.size() - kMessagePrefixBytes, out.data());
    s->finished_ = true;
    s->SubmitHeaders();
    s->Log();
    // The last queued call of this connection sends its answers; earlier ones leave with it.
    // While other connections are calling too, the send waits behind the loop's queued work, so
    // that answers leave together and a waiting client is woken once for several of them; a
    // lone caller's answer leaves at once (its latency).
    if (queued_ == 0) RefuseIfStalled();  // this answer's bytes may not have reopened the window
    if (queued_ == 0 && std::max(w_->calling_now_, w_->calling_before_) <= 1) {
      Flush();
    } else {
      ScheduleFlush();
    }
  }

  void Fail(Stream* s, GrpcCode code, std::string message) { s->Finish(GrpcStatus{code, std::move(message)}); }

  void Goaway() {
    if (goaway_) return;
    goaway_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
  }

  void DoRead() {
    socket_.async_read_some(net::buffer(in_, sizeof in_),
                            InMemory(read_memory_, [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              self->OnRead(ec, n);
                            }));
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    if (ec) return Close();
    const ssize_t used = nghttp2_session_mem_recv(session_, in_, n);
    if (used < 0) {
      Flush();  // a GOAWAY nghttp2 queued for a protocol error, if it can still leave
      return CloseAfterWrite();
    }
    if (ready_.empty() && queued_ == 0) {
      Flush();  // frames nghttp2 owes (SETTINGS ack, PING, WINDOW_UPDATE, an error's answer)
      if (!closing_) DoRead();
      return;
    }
    if (!ready_.empty() && w_->queued_calls_ == 0) {
      // No call of this loop is waiting: the calls just read run now, in order (their answers
      // and what nghttp2 owes leave with the last one's flush), then the next read.
      for (size_t i = 0; i < ready_.size(); ++i) Process(ready_[i]);
      ready_.clear();
      PostRead();
      return;
    }
    // Calls of this loop are waiting: these queue behind them, and so does the next read (which
    // usually finds nothing yet), so the answers leave first.
    for (int32_t id : ready_) {
      ++w_->queued_calls_;
      net::post(w_->ioc_, InMemory(process_memory_, [self = shared_from_this(), id] {
                  --self->w_->queued_calls_;
                  self->Process(id);
                }));
    }
    ready_.clear();
    PostRead();
  }

  // The next read, behind the handlers already queued (and behind the answers' send when that
  // waits in the queue too): a read tried right after an answer left finds nothing yet from a
  // client that waits for it (asio tries each read at once, and a failed try costs a system
  // call); behind the loop's other work it usually finds the next request.
  void PostRead() {
    if (flush_scheduled_) {
      read_after_flush_ = true;
      return;
    }
    net::post(w_->ioc_, InMemory(read_memory_, [self = shared_from_this()] {
                if (!self->closing_ && !self->closed_) self->DoRead();
              }));
  }

  void Flush() {
    if (writing_ || closed_) return;
    out_.clear();
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return Close();
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (out_.empty()) {
      if (closing_ || (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0)) {
        Close();
      }
      return;
    }
    writing_ = true;
    net::async_write(socket_, net::buffer(out_),
                     InMemory(write_memory_, [self = shared_from_this()](boost::system::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->Close();
                       self->Flush();
                     }));
  }

  void CloseAfterWrite() {
    closing_ = true;
    if (!writing_) Flush();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Worker* const w_;
  tcp::socket socket_;
  std::list<Connection*>::iterator self_it_;
  nghttp2_session* session_ = nullptr;
  Stream* streams_ = nullptr;  // open calls, owned; linked through Stream::next_
  std::vector<StreamBuffers> spare_;
  uint8_t in_[kReadChunk];
  std::string out_;
  HandlerMemory read_memory_;
  HandlerMemory write_memory_;
  HandlerMemory process_memory_;  // the first queued call's Process (others use the heap)
  size_t queued_ = 0;             // calls read completely and not yet run
  std::vector<int32_t> ready_;    // calls completed by the read being parsed
  uint64_t idle_since_ = 0;       // worker tick when the last call closed (or the connection opened)
  uint64_t last_call_tick_ = 0;   // 1 + the worker tick in which a request last completed
  size_t held_ = 0;               // its streams' unreleased_ bytes
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool read_after_flush_ = false;  // PostRead once the scheduled flush has run
  bool goaway_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

Stream::~Stream() {
  if (admitted_) conn_->w_->t_->inflight_.fetch_sub(1, std::memory_order_relaxed);
  conn_->Release(this);
  conn_->Recycle(std::move(b_));
}

void Stream::SetLogModel(std::string_view model) {
  if (conn_->options().log_requests) log_model_ = model;
}

void Stream::AppendStatusHeaders(std::string* code_buf, std::string* message_buf, HeaderList* nv) {
  *code_buf = std::to_string(static_cast<int>(status_.code));
  nv->push_back(Header("grpc-status", *code_buf));
  if (!status_.message.empty()) {
    *message_buf = PercentEncode(status_.message);
    nv->push_back(Header("grpc-message", *message_buf));
  }
  for (const auto& [name, value] : trailers_) nv->push_back(Header(name, value));
}

void Stream::SubmitHeaders() {
  responded_ = true;
  const nghttp2_nv nv[] = {Header(":status", "200"), Header("content-type", "application/grpc"),
                           Header("grpc-accept-encoding", "identity"),
                           Header("x-request-id", b_.request_id, NGHTTP2_NV_FLAG_NO_INDEX)};
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = ReadData;
  nghttp2_submit_response(conn_->session_, id_, nv, std::size(nv), &provider);
}

void Stream::SubmitTrailersOnly() {
  responded_ = true;
  std::string code, message;
  HeaderList nv = {Header(":status", "200"), Header("content-type", "application/grpc"),
                   Header("x-request-id", b_.request_id, NGHTTP2_NV_FLAG_NO_INDEX)};
  AppendStatusHeaders(&code, &message, &nv);
  nghttp2_submit_response(conn_->session_, id_, nv.data(), nv.size(), nullptr);
}

ssize_t Stream::ReadData(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags,
                         nghttp2_data_source* source, void*) {
  auto* s = static_cast<Stream*>(source->ptr);
  std::string& out = s->b_.out;
  const size_t n = std::min(length, out.size() - s->out_pos_);
  std::memcpy(buf, out.data() + s->out_pos_, n);
  s->out_pos_ += n;
  if (s->out_pos_ < out.size()) return static_cast<ssize_t>(n);
  out.clear();
  s->out_pos_ = 0;
  if (s->finished_) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    std::string code, message;
    HeaderList nv;
    s->AppendStatusHeaders(&code, &message, &nv);
    nghttp2_submit_trailer(session, stream_id, nv.data(), nv.size());
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    s->deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

void Stream::Write(std::string message) {
  if (finished_) return;
  const size_t at = b_.out.size();
  b_.out.resize(at + kMessagePrefixBytes);
  SetMessagePrefix(message.size(), b_.out.data() + at);
  b_.out += message;
  if (!responded_) {
    SubmitHeaders();
  } else if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(conn_->session_, id_);
  }
  conn_->ScheduleFlush();
}

void Stream::Finish(const GrpcStatus& status) {
  if (finished_) return;
  finished_ = true;
  status_ = status;
  if (!responded_) {
    SubmitTrailersOnly();
  } else if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(conn_->session_, id_);
  }
  Log();
  conn_->ScheduleFlush();
}

void Stream::Log() {
  if (!conn_->options().log_requests) return;
  std::string_view method = b_.path;
  if (auto slash = method.rfind('/'); slash != std::string_view::npos) method.remove_prefix(slash + 1);
  LogInfo("request")
      .Str("protocol", "grpc")
      .Str("method", method)
      .Str("model", log_model_)
      .Str("status", GrpcCodeName(status_.code))
      .Double("duration_seconds",  // 0 for a call refused before its request was complete
              start_ == Clock::time_point() ? 0.0 : std::chrono::duration<double>(Clock::now() - start_).count())
      .Str("request_id", b_.request_id);
}

Status Worker::Listen(const tcp::endpoint& endpoint) { return ListenWithReusePort(acceptor_, endpoint, " for gRPC"); }

void Worker::Run() {
  DoAccept();
  StartTick();
  RunEventLoop(ioc_, "gRPC event loop error", index_);
}

void Worker::DoAccept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      LogWarn("gRPC accept failed").Str("error", ec.message());
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
  tick_.expires_after(kTick);
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    ++ticks_;
    calling_before_ = calling_now_;
    calling_now_ = 0;
    TickStreams();
    if (Finished()) return;  // let run() return
    StartTick();
  });
}

void Worker::TickStreams() {
  for (Connection* c : conns_) c->Tick();
}

void Worker::Drain() {
  if (draining_) return;
  draining_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  for (Connection* c : conns_) c->Drain();
  if (Finished()) tick_.cancel();
}

Status TransportImpl::Init() {
  std::random_device rd;
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%08x-g", rd());
  id_prefix_ = prefix;
  INFERD_ASSIGN_OR_RETURN(const net::ip::address address, ResolveListenAddress(options_.host));
  const size_t n = std::max<size_t>(options_.threads, 1);
  uint16_t port = options_.port;
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>(this, i);
    INFERD_RETURN_IF_ERROR(w->Listen(tcp::endpoint(address, port)));
    if (i == 0) port = w->local_port();  // with port 0 the others join the first's via SO_REUSEPORT
    workers_.push_back(std::move(w));
  }
  port_ = port;
  return Status::Ok();
}

void TransportImpl::Start() {
  threads_.Start(workers_.size(), [this](size_t i) { workers_[i]->Run(); });
}

bool TransportImpl::Shutdown(Clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (shut_down_) return clean_;
    shut_down_ = true;
  }
  for (auto& w : workers_) {
    Worker* wp = w.get();
    wp->Post([wp] { wp->Drain(); });
  }
  const bool clean = threads_.WaitThenJoin(deadline, [this] {
    for (auto& w : workers_) w->Stop();
  });
  std::lock_guard<std::mutex> l(mu_);
  clean_ = clean;
  return clean;
}

}  // namespace

const char* GrpcCodeName(GrpcCode code) {
  switch (code) {
    case GrpcCode::kOk: return "OK";
    case GrpcCode::kCancelled: return "CANCELLED";
    case GrpcCode::kUnknown: return "UNKNOWN";
    case GrpcCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case GrpcCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case GrpcCode::kNotFound: return "NOT_FOUND";
    case GrpcCode::kPermissionDenied: return "PERMISSION_DENIED";
    case GrpcCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case GrpcCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case GrpcCode::kOutOfRange: return "OUT_OF_RANGE";
    case GrpcCode::kUnimplemented: return "UNIMPLEMENTED";
    case GrpcCode::kInternal: return "INTERNAL";
    case GrpcCode::kUnavailable: return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

StatusOr<std::unique_ptr<GrpcTransport>> GrpcTransport::Create(const GrpcTransportOptions& options,
                                                               GrpcHandler* handler) {
  auto t = std::make_unique<TransportImpl>(options, handler);
  INFERD_RETURN_IF_ERROR(t->Init());
  t->Start();
  return std::unique_ptr<GrpcTransport>(std::move(t));
}

}  // namespace inferd::grpc_api
