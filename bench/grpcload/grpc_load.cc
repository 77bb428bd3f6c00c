// inferd_grpc_load: a closed-loop load generator for one gRPC unary method, as lean per call as wrk.
//
//   inferd_grpc_load --port P --body FILE [--host 127.0.0.1] [--path /pkg.Service/Method]
//                    [--connections C] [--streams S] (--calls N | --duration SECONDS)
//                    [--log-file F] [--timeout SECONDS]
//
// --log-file gets one latency in µs per line, in completion order; --timeout (default 30) ends
// the run when no frame arrives for that long while calls are in flight.
//
// FILE is one framed gRPC message (the 5-byte prefix, then the serialized request), sent as is in
// every call. Each of C connections keeps S calls in flight; one thread, non-blocking sockets,
// epoll. HTTP/2 is done by hand: the request's header block is HPACK-encoded once, as gRPC's own
// clients send it (a connection's first call adds its headers to the server's dynamic table,
// every later call names them by index), and each call is a HEADERS frame plus the body's DATA,
// queued into the connection's output buffer and written with one send() per batch. Responses
// are parsed in place; every header block is decoded in order (the connection's HPACK state) to
// read :status and grpc-status. A call is ok when :status is 200, grpc-status 0 and its response
// message bytes equal those of the first ok call (the same request must get the same answer).
//
// Prints one JSON object on stdout. Exit status: 0 after a complete run (calls may have failed:
// see "failed"), 1 on a transport error or GOAWAY (the JSON is still printed, with the calls lost
// counted in "errors"), 2 on a usage error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// HTTP/2 frame types and flags (RFC 9113 section 6).
constexpr uint8_t kData = 0x0;
constexpr uint8_t kHeaders = 0x1;
constexpr uint8_t kRstStream = 0x3;
constexpr uint8_t kSettings = 0x4;
constexpr uint8_t kPushPromise = 0x5;
constexpr uint8_t kPing = 0x6;
constexpr uint8_t kGoaway = 0x7;
constexpr uint8_t kWindowUpdate = 0x8;
constexpr uint8_t kContinuation = 0x9;
constexpr uint8_t kFlagEndStream = 0x1;
constexpr uint8_t kFlagAck = 0x1;
constexpr uint8_t kFlagEndHeaders = 0x4;
constexpr uint8_t kFlagPadded = 0x8;
constexpr uint8_t kFlagPriority = 0x20;
constexpr uint16_t kSettingsHeaderTableSize = 0x1;
constexpr uint16_t kSettingsEnablePush = 0x2;
constexpr uint16_t kSettingsMaxConcurrentStreams = 0x3;
constexpr uint16_t kSettingsInitialWindowSize = 0x4;
constexpr uint16_t kSettingsMaxFrameSize = 0x5;
constexpr uint16_t kSettingsNoRfc7540Priorities = 0x9;
constexpr uint32_t kErrorCancel = 0x8;

constexpr size_t kFrameHeader = 9;
constexpr int64_t kMaxWindow = 0x7fffffff;
constexpr int64_t kDefaultWindow = 65535;
constexpr uint32_t kDefaultTableSize = 4096;  // HPACK's dynamic table (RFC 7541 section 6.5.2)
// The client never raises SETTINGS_MAX_FRAME_SIZE, so no frame it receives may be larger.
constexpr uint32_t kOwnMaxFrame = 16384;
// Received bytes after which a receive window is topped up again (both start at 2^31-1).
constexpr int64_t kWindowRefill = int64_t{1} << 30;
constexpr uint32_t kMaxStreamId = 0x7fffffff;
constexpr size_t kReadBuffer = 64 * 1024;
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void PutBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

void PutFrameHeader(std::vector<uint8_t>& out, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream) {
  const size_t at = out.size();
  out.resize(at + kFrameHeader);
  uint8_t* h = out.data() + at;
  h[0] = static_cast<uint8_t>(len >> 16);
  h[1] = static_cast<uint8_t>(len >> 8);
  h[2] = static_cast<uint8_t>(len);
  h[3] = type;
  h[4] = flags;
  PutBe32(h + 5, stream);
}

void PutBe32(std::vector<uint8_t>& out, uint32_t v) {
  out.resize(out.size() + 4);
  PutBe32(out.data() + out.size() - 4, v);
}

void PutWindowUpdate(std::vector<uint8_t>& out, uint32_t stream, uint32_t increment) {
  PutFrameHeader(out, 4, kWindowUpdate, 0, stream);
  PutBe32(out, increment);
}

// libnghttp2 1.61 replaced the ssize_t HPACK functions by nghttp2_ssize ones and deprecated the old.
int64_t InflateHd(nghttp2_hd_inflater* inflater, nghttp2_nv* nv, int* flags, const uint8_t* in, size_t len,
                  bool final) {
#if NGHTTP2_VERSION_NUM >= 0x013d00
  return nghttp2_hd_inflate_hd3(inflater, nv, flags, in, len, final ? 1 : 0);
#else
  return nghttp2_hd_inflate_hd2(inflater, nv, flags, in, len, final ? 1 : 0);
#endif
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/inference.GRPCInferenceService/ModelInfer";
  std::string body_file;
  int connections = 1;
  int streams = 1;
  uint64_t calls = 0;
  double duration = 0;
  double timeout = 30;
  std::string log_file;
};

// One call slot of a connection: a call in flight (stream_id != 0) or free.
// A call's header blocks, for a server keeping HPACK's default dynamic table. `first` adds the
// headers to the table (literals with incremental indexing, as gRPC's own clients send them);
// `repeat` names them by index, valid on a connection once `first` was sent there.
struct RequestHeaders {
  std::vector<uint8_t> first;
  std::vector<uint8_t> repeat;
};

struct Call {
  uint32_t stream_id = 0;
  int64_t start_ns = 0;
  size_t body_sent = 0;
  int64_t send_window = 0;    // the server's window for this stream
  int64_t recv_consumed = 0;  // bytes received on this stream since its window was last topped up
  int http_status = 0;
  int grpc_status = -1;         // -1: none received, -2: not a number
  bool reset = false;           // RST_STREAM received
  bool blocked = false;         // in its connection's `waiting` queue
  std::vector<uint8_t> answer;  // the response's DATA payload
};

struct Conn {
  int index = 0;
  int fd = -1;
  nghttp2_hd_inflater* inflater = nullptr;
  std::vector<uint8_t> out;
  size_t out_off = 0;
  bool want_write = false;  // EPOLLOUT registered
  std::vector<uint8_t> in;
  size_t in_len = 0;
  bool ready = false;  // the server's first SETTINGS arrived
  uint32_t next_stream = 1;
  int64_t send_window = kDefaultWindow;
  int64_t peer_initial_window = kDefaultWindow;
  uint32_t peer_max_frame = 16384;
  uint32_t peer_max_streams = UINT32_MAX;
  bool headers_indexed = false;  // the first call's header block (RequestHeaders::first) is queued
  int64_t recv_consumed = 0;
  int active = 0;
  // Calls whose body waits for flow-control window, oldest first. Bodies go out one after the
  // other: a connection window spread over many half-sent bodies could stall them all, since a
  // server may reopen it only as it answers complete requests.
  std::vector<Call*> waiting;
  std::vector<Call> calls;
  std::vector<int> free_slots;
  // The header block being received: CONTINUATION frames are expected while hb_stream != 0.
  uint32_t hb_stream = 0;
  bool hb_end_stream = false;
  Call* hb_call = nullptr;
};

class Load {
 public:
  Load(const Options& o, std::vector<uint8_t> body, RequestHeaders headers)
      : o_(o), body_(std::move(body)), headers_(std::move(headers)) {}

  ~Load() {
    for (Conn& c : conns_) {
      if (c.fd >= 0) close(c.fd);
      if (c.inflater != nullptr) nghttp2_hd_inflate_del(c.inflater);
    }
    if (epoll_ >= 0) close(epoll_);
  }

  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  int Run() {
    latencies_.reserve(o_.calls > 0 ? o_.calls : size_t{1} << 20);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      Fatal("epoll_create1: %s", strerror(errno));
      return Finish();
    }
    conns_.resize(o_.connections);
    for (int i = 0; i < o_.connections; ++i) {
      if (!Connect(conns_[i], i)) return Finish();
    }
    const int64_t timeout_ns = static_cast<int64_t>(o_.timeout * 1e9);
    last_progress_ns_ = NowNs();
    std::vector<epoll_event> events(conns_.size());
    while (error_.empty()) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      if (n < 0 && errno != EINTR) {
        Fatal("epoll_wait: %s", strerror(errno));
        break;
      }
      for (int i = 0; i < n && error_.empty(); ++i) {
        Conn& c = conns_[events[i].data.u32];
        if ((events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
          OnReadable(c);
        } else if ((events[i].events & EPOLLOUT) != 0) {
          Flush(c);
        }
      }
      if (!error_.empty() || Finished()) break;
      // Bounded: a server that stops answering ends the run after --timeout seconds.
      if (n <= 0 && (active_ > 0 || started_ == 0) && NowNs() - last_progress_ns_ > timeout_ns) {
        if (started_ == 0) {
          Fatal("no call started for %g s (no SETTINGS from the server, or its MAX_CONCURRENT_STREAMS is 0)",
                o_.timeout);
        } else {
          Fatal("no frame from the server for %g s with %d calls in flight", o_.timeout, active_);
        }
      }
    }
    return Finish();
  }

 private:
  bool Finished() const {
    if (o_.calls > 0) return done_ == o_.calls;
    return started_ > 0 && active_ == 0 && NowNs() >= end_ns_;
  }

  // Records the first fatal error: the run stops, and the calls in flight count as errors.
  // Always returns false.
  bool Fatal(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (!error_.empty()) return false;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    error_ = buf;
    return false;
  }

  bool Connect(Conn& c, int index) {
    c.index = index;
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return Fatal("socket: %s", strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o_.port));
    inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return Fatal("cannot connect to %s:%d: %s", o_.host.c_str(), o_.port, strerror(errno));
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    if (nghttp2_hd_inflate_new(&c.inflater) != 0) return Fatal("out of memory");
    c.calls.resize(o_.streams);
    c.waiting.reserve(o_.streams);
    for (int i = o_.streams - 1; i >= 0; --i) c.free_slots.push_back(i);
    c.in.resize(kReadBuffer);
    c.out.reserve(std::min<size_t>(o_.streams * (2 * kFrameHeader + headers_.first.size() + body_.size()) + 256,
                                   size_t{4} << 20));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(index);
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) return Fatal("epoll_ctl: %s", strerror(errno));
    // Preface, SETTINGS, and the connection's receive window opened to the maximum.
    c.out.insert(c.out.end(), kPreface.begin(), kPreface.end());
    const std::pair<uint16_t, uint32_t> settings[] = {
        {kSettingsEnablePush, 0}, {kSettingsInitialWindowSize, kMaxWindow}, {kSettingsNoRfc7540Priorities, 1}};
    PutFrameHeader(c.out, 6 * std::size(settings), kSettings, 0, 0);
    for (const auto& [id, value] : settings) {
      c.out.push_back(static_cast<uint8_t>(id >> 8));
      c.out.push_back(static_cast<uint8_t>(id));
      PutBe32(c.out, value);
    }
    PutWindowUpdate(c.out, 0, kMaxWindow - kDefaultWindow);
    return Flush(c);
  }

  bool Flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      const ssize_t w = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (w > 0) {
        c.out_off += static_cast<size_t>(w);
      } else if (w < 0 && errno == EINTR) {
        continue;
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return Watch(c, true);
      } else {
        return Fatal("send on connection %d: %s", c.index, strerror(errno));
      }
    }
    c.out.clear();
    c.out_off = 0;
    return Watch(c, false);
  }

  bool Watch(Conn& c, bool write) {
    if (c.want_write == write) return true;
    epoll_event ev{};
    ev.events = write ? EPOLLIN | EPOLLOUT : EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(c.index);
    if (epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev) != 0) return Fatal("epoll_ctl: %s", strerror(errno));
    c.want_write = write;
    return true;
  }

  void OnReadable(Conn& c) {
    for (;;) {
      const size_t room = c.in.size() - c.in_len;
      const ssize_t r = recv(c.fd, c.in.data() + c.in_len, room, 0);
      if (r > 0) {
        c.in_len += static_cast<size_t>(r);
        const int64_t now = NowNs();
        last_progress_ns_ = now;
        if (!Parse(c, now)) return;
        if (static_cast<size_t>(r) < room) break;  // drained: level-triggered epoll reports more
      } else if (r == 0) {
        Fatal("connection %d closed by the server", c.index);
        return;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else if (errno != EINTR) {
        Fatal("recv on connection %d: %s", c.index, strerror(errno));
        return;
      }
    }
    if (Fill(c)) Flush(c);
  }

  bool Parse(Conn& c, int64_t now) {
    size_t pos = 0;
    while (c.in_len - pos >= kFrameHeader) {
      const uint8_t* h = c.in.data() + pos;
      const uint32_t len = (uint32_t{h[0]} << 16) | (uint32_t{h[1]} << 8) | h[2];
      if (len > kOwnMaxFrame) {
        return Fatal("connection %d: frame of %u bytes, above the %u the client allows", c.index, len, kOwnMaxFrame);
      }
      if (c.in_len - pos < kFrameHeader + len) break;
      if (!OnFrame(c, h[3], h[4], Be32(h + 5) & kMaxStreamId, h + kFrameHeader, len, now)) return false;
      pos += kFrameHeader + len;
    }
    if (pos > 0) {
      std::memmove(c.in.data(), c.in.data() + pos, c.in_len - pos);
      c.in_len -= pos;
    }
    return true;
  }

  Call* Find(Conn& c, uint32_t stream) {
    if (stream == 0) return nullptr;
    for (Call& call : c.calls) {
      if (call.stream_id == stream) return &call;
    }
    return nullptr;  // a stream already finished, or never opened: its frames are ignored
  }

  // Strips the pad length byte and the padding of a PADDED frame; false if malformed.
  bool Unpad(uint8_t flags, const uint8_t*& p, uint32_t& len) {
    if ((flags & kFlagPadded) == 0) return true;
    if (len < 1 || p[0] >= len) return false;
    len -= 1 + p[0];
    p += 1;
    return true;
  }

  bool OnFrame(Conn& c, uint8_t type, uint8_t flags, uint32_t stream, const uint8_t* p, uint32_t len, int64_t now) {
    if (c.hb_stream != 0 && (type != kContinuation || stream != c.hb_stream)) {
      return Fatal("connection %d: frame type %u inside the header block of stream %u", c.index, type, c.hb_stream);
    }
    switch (type) {
      case kData: {
        c.recv_consumed += len;
        if (c.recv_consumed >= kWindowRefill) {
          PutWindowUpdate(c.out, 0, static_cast<uint32_t>(c.recv_consumed));
          c.recv_consumed = 0;
        }
        Call* call = Find(c, stream);
        if (call != nullptr) {
          call->recv_consumed += len;
          if (call->recv_consumed >= kWindowRefill) {
            PutWindowUpdate(c.out, stream, static_cast<uint32_t>(call->recv_consumed));
            call->recv_consumed = 0;
          }
        }
        if (!Unpad(flags, p, len)) return Fatal("connection %d: DATA with bad padding", c.index);
        if (call == nullptr) return true;
        call->answer.insert(call->answer.end(), p, p + len);
        if ((flags & kFlagEndStream) != 0) Complete(c, *call, now);
        return true;
      }
      case kHeaders: {
        if (!Unpad(flags, p, len)) return Fatal("connection %d: HEADERS with bad padding", c.index);
        if ((flags & kFlagPriority) != 0) {
          if (len < 5) return Fatal("connection %d: HEADERS too short for its priority", c.index);
          p += 5;
          len -= 5;
        }
        c.hb_call = Find(c, stream);
        c.hb_end_stream = (flags & kFlagEndStream) != 0;
        const bool end = (flags & kFlagEndHeaders) != 0;
        if (!end) c.hb_stream = stream;
        return OnHeaderFragment(c, p, len, end, now);
      }
      case kContinuation: {
        if (c.hb_stream == 0) return Fatal("connection %d: CONTINUATION outside a header block", c.index);
        const bool end = (flags & kFlagEndHeaders) != 0;
        if (end) c.hb_stream = 0;
        return OnHeaderFragment(c, p, len, end, now);
      }
      case kRstStream: {
        if (len != 4) return Fatal("connection %d: RST_STREAM of %u bytes", c.index, len);
        Call* call = Find(c, stream);
        if (call != nullptr) {
          call->reset = true;
          Complete(c, *call, now);
        }
        return true;
      }
      case kSettings: return OnSettings(c, flags, stream, p, len);
      case kPing:
        if (len != 8 || stream != 0) return Fatal("connection %d: malformed PING", c.index);
        if ((flags & kFlagAck) == 0) {
          PutFrameHeader(c.out, 8, kPing, kFlagAck, 0);
          c.out.insert(c.out.end(), p, p + 8);
        }
        return true;
      case kGoaway: {
        if (len < 8) return Fatal("connection %d: malformed GOAWAY", c.index);
        const uint32_t code = Be32(p + 4);
        const std::string debug(reinterpret_cast<const char*>(p + 8), std::min<size_t>(len - 8, 200));
        return Fatal("GOAWAY from the server on connection %d: %s (last stream %u)%s%s", c.index,
                     nghttp2_http2_strerror(code), Be32(p) & kMaxStreamId, debug.empty() ? "" : ": ", debug.c_str());
      }
      case kWindowUpdate: {
        if (len != 4) return Fatal("connection %d: WINDOW_UPDATE of %u bytes", c.index, len);
        const int64_t inc = Be32(p) & kMaxStreamId;
        if (stream == 0) {
          c.send_window += inc;
          if (c.send_window > kMaxWindow) return Fatal("connection %d: send window above 2^31-1", c.index);
        } else if (Call* call = Find(c, stream); call != nullptr) {
          call->send_window += inc;
        }
        RetryBlocked(c);
        return true;
      }
      case kPushPromise: return Fatal("connection %d: PUSH_PROMISE although SETTINGS_ENABLE_PUSH is 0", c.index);
      default: return true;  // PRIORITY and unknown types are ignored (RFC 9113 section 4.1)
    }
  }

  bool OnSettings(Conn& c, uint8_t flags, uint32_t stream, const uint8_t* p, uint32_t len) {
    if (stream != 0 || len % 6 != 0) return Fatal("connection %d: malformed SETTINGS", c.index);
    if ((flags & kFlagAck) != 0) return true;
    for (uint32_t i = 0; i < len; i += 6) {
      const uint16_t id = static_cast<uint16_t>((p[i] << 8) | p[i + 1]);
      const uint32_t value = Be32(p + i + 2);
      if (id == kSettingsHeaderTableSize) {
        // The header blocks are encoded for HPACK's default table (RequestHeaders).
        if (value < kDefaultTableSize) {
          return Fatal("connection %d: SETTINGS_HEADER_TABLE_SIZE %u is below the %u the tool's headers need", c.index,
                       value, kDefaultTableSize);
        }
      } else if (id == kSettingsMaxConcurrentStreams) {
        c.peer_max_streams = value;
      } else if (id == kSettingsInitialWindowSize) {
        if (value > kMaxWindow) return Fatal("connection %d: SETTINGS_INITIAL_WINDOW_SIZE %u", c.index, value);
        const int64_t delta = int64_t{value} - c.peer_initial_window;
        for (Call& call : c.calls) {
          if (call.stream_id != 0) call.send_window += delta;
        }
        c.peer_initial_window = value;
      } else if (id == kSettingsMaxFrameSize) {
        if (value < 16384 || value > 16777215) {
          return Fatal("connection %d: SETTINGS_MAX_FRAME_SIZE %u", c.index, value);
        }
        c.peer_max_frame = value;
      }
    }
    PutFrameHeader(c.out, 0, kSettings, kFlagAck, 0);
    c.ready = true;
    RetryBlocked(c);
    return true;
  }

  // Feeds one fragment of a header block to the connection's HPACK decoder. Blocks of streams
  // this client no longer knows are decoded too: the decoder's table is shared by all streams.
  bool OnHeaderFragment(Conn& c, const uint8_t* p, size_t len, bool end, int64_t now) {
    Call* call = c.hb_call;
    for (;;) {
      nghttp2_nv nv;
      int fl = 0;
      const int64_t rv = InflateHd(c.inflater, &nv, &fl, p, len, end);
      if (rv < 0) {
        return Fatal("connection %d: HPACK decoding failed: %s", c.index, nghttp2_strerror(static_cast<int>(rv)));
      }
      p += rv;
      len -= static_cast<size_t>(rv);
      if ((fl & NGHTTP2_HD_INFLATE_EMIT) != 0 && call != nullptr) {
        const std::string_view name(reinterpret_cast<const char*>(nv.name), nv.namelen);
        const std::string_view value(reinterpret_cast<const char*>(nv.value), nv.valuelen);
        if (name == ":status") {
          call->http_status = ParseStatus(value);
        } else if (name == "grpc-status") {
          call->grpc_status = ParseStatus(value);
        }
      }
      if ((fl & NGHTTP2_HD_INFLATE_FINAL) != 0) {
        nghttp2_hd_inflate_end_headers(c.inflater);
        break;
      }
      if ((fl & NGHTTP2_HD_INFLATE_EMIT) == 0 && len == 0) break;
    }
    if (end) {
      if (call != nullptr && c.hb_end_stream) Complete(c, *call, now);
      c.hb_call = nullptr;
    }
    return true;
  }

  static int ParseStatus(std::string_view v) {
    if (v.empty() || v.size() > 9) return -2;
    int n = 0;
    for (const char ch : v) {
      if (ch < '0' || ch > '9') return -2;
      n = n * 10 + (ch - '0');
    }
    return n;
  }

  void Complete(Conn& c, Call& call, int64_t now) {
    bool ok = !call.reset && call.http_status == 200 && call.grpc_status == 0;
    if (ok) {
      if (!have_reference_) {
        reference_ = call.answer;
        have_reference_ = true;
      } else if (call.answer.size() != reference_.size() ||
                 std::memcmp(call.answer.data(), reference_.data(), reference_.size()) != 0) {
        ok = false;
      }
    }
    // The server ended the stream before the whole body was sent: close the client's side too.
    if (!call.reset && call.body_sent < body_.size()) {
      PutFrameHeader(c.out, 4, kRstStream, 0, call.stream_id);
      PutBe32(c.out, kErrorCancel);
    }
    if (call.blocked) c.waiting.erase(std::find(c.waiting.begin(), c.waiting.end(), &call));
    latencies_.push_back(now - call.start_ns);
    last_done_ns_ = now;
    ++done_;
    ++(ok ? ok_ : failed_);
    call.stream_id = 0;
    call.blocked = false;
    call.answer.clear();
    c.free_slots.push_back(static_cast<int>(&call - c.calls.data()));
    --c.active;
    --active_;
  }

  // Starts calls in the connection's free slots, within the server's stream limit, until the
  // run's calls are all started or its duration is over.
  bool Fill(Conn& c) {
    if (!c.ready || !error_.empty()) return error_.empty();
    const int64_t now = NowNs();
    if (started_ == 0) {
      start_ns_ = now;
      end_ns_ = now + static_cast<int64_t>(o_.duration * 1e9);
    }
    const uint32_t limit = std::min<uint32_t>(static_cast<uint32_t>(o_.streams), c.peer_max_streams);
    while (static_cast<uint32_t>(c.active) < limit && !c.free_slots.empty()) {
      if (o_.calls > 0 ? started_ >= o_.calls : now >= end_ns_) break;
      if (c.next_stream > kMaxStreamId) return Fatal("connection %d: stream ids exhausted", c.index);
      Call& call = c.calls[c.free_slots.back()];
      c.free_slots.pop_back();
      call.stream_id = c.next_stream;
      c.next_stream += 2;
      call.start_ns = now;
      call.body_sent = 0;
      call.send_window = c.peer_initial_window;
      call.recv_consumed = 0;
      call.http_status = 0;
      call.grpc_status = -1;
      call.reset = false;
      call.blocked = false;
      const std::vector<uint8_t>& block = c.headers_indexed ? headers_.repeat : headers_.first;
      c.headers_indexed = true;
      PutFrameHeader(c.out, static_cast<uint32_t>(block.size()), kHeaders, kFlagEndHeaders, call.stream_id);
      c.out.insert(c.out.end(), block.begin(), block.end());
      if (!c.waiting.empty() || !SendBody(c, call)) {
        call.blocked = true;
        c.waiting.push_back(&call);
      }
      ++c.active;
      ++active_;
      ++started_;
    }
    return true;
  }

  // Queues as much of the call's body as the flow-control windows and the frame size allow;
  // true once all of it is queued.
  bool SendBody(Conn& c, Call& call) {
    size_t left = body_.size() - call.body_sent;
    while (left > 0) {
      const int64_t n =
          std::min({static_cast<int64_t>(left), int64_t{c.peer_max_frame}, c.send_window, call.send_window});
      if (n <= 0) return false;
      const auto un = static_cast<size_t>(n);
      PutFrameHeader(c.out, static_cast<uint32_t>(n), kData, un == left ? kFlagEndStream : 0, call.stream_id);
      c.out.insert(c.out.end(), body_.data() + call.body_sent, body_.data() + call.body_sent + un);
      call.body_sent += un;
      c.send_window -= n;
      call.send_window -= n;
      left -= un;
    }
    return true;
  }

  void RetryBlocked(Conn& c) {
    size_t sent = 0;
    while (sent < c.waiting.size() && SendBody(c, *c.waiting[sent])) c.waiting[sent++]->blocked = false;
    c.waiting.erase(c.waiting.begin(), c.waiting.begin() + static_cast<std::ptrdiff_t>(sent));
  }

  static double Pct(const std::vector<int64_t>& sorted, double p) {
    const auto i = std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size())));
    return static_cast<double>(sorted[i]) / 1000.0;
  }

  int Finish() {
    uint64_t errors = 0;
    if (!error_.empty()) errors = static_cast<uint64_t>(active_);
    if (!o_.log_file.empty()) {
      FILE* f = fopen(o_.log_file.c_str(), "w");
      if (f == nullptr) {
        if (error_.empty()) Fatal("cannot write %s: %s", o_.log_file.c_str(), strerror(errno));
      } else {
        for (const int64_t ns : latencies_) fprintf(f, "%.1f\n", static_cast<double>(ns) / 1000.0);
        if (fclose(f) != 0 && error_.empty()) Fatal("cannot write %s: %s", o_.log_file.c_str(), strerror(errno));
      }
    }
    std::vector<int64_t> sorted = latencies_;
    std::sort(sorted.begin(), sorted.end());
    const double seconds = done_ > 0 ? static_cast<double>(last_done_ns_ - start_ns_) / 1e9 : 0.0;
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const auto tv = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    printf("{\"connections\": %d, \"streams\": %d, \"done\": %" PRIu64 ", \"ok\": %" PRIu64 ", \"failed\": %" PRIu64
           ", \"errors\": %" PRIu64 ", \"seconds\": %.6f, \"rps\": %.1f",
           o_.connections, o_.streams, done_, ok_, failed_, errors, seconds,
           seconds > 0 ? static_cast<double>(done_) / seconds : 0.0);
    if (sorted.empty()) {
      printf(", \"p50_us\": null, \"p90_us\": null, \"p99_us\": null, \"p999_us\": null, \"mean_us\": null");
    } else {
      double sum = 0;
      for (const int64_t ns : sorted) sum += static_cast<double>(ns);
      printf(", \"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"mean_us\": %.1f",
             Pct(sorted, 50), Pct(sorted, 90), Pct(sorted, 99), Pct(sorted, 99.9),
             sum / static_cast<double>(sorted.size()) / 1000.0);
    }
    printf(", \"cpu_user_s\": %.3f, \"cpu_sys_s\": %.3f}\n", tv(ru.ru_utime), tv(ru.ru_stime));
    fflush(stdout);
    if (!error_.empty()) {
      fprintf(stderr, "inferd_grpc_load: %s\n", error_.c_str());
      return 1;
    }
    return 0;
  }

  const Options& o_;
  const std::vector<uint8_t> body_;
  const RequestHeaders headers_;
  int epoll_ = -1;
  std::vector<Conn> conns_;
  std::string error_;
  uint64_t started_ = 0;
  uint64_t done_ = 0;
  uint64_t ok_ = 0;
  uint64_t failed_ = 0;
  int active_ = 0;
  int64_t start_ns_ = 0;
  int64_t end_ns_ = 0;
  int64_t last_done_ns_ = 0;
  int64_t last_progress_ns_ = 0;
  bool have_reference_ = false;
  std::vector<uint8_t> reference_;
  std::vector<int64_t> latencies_;
};

constexpr const char* kUsage =
    "usage: inferd_grpc_load --port P --body FILE [--host 127.0.0.1] [--path /pkg.Service/Method] "
    "[--connections C] [--streams S] (--calls N | --duration SECONDS) [--log-file F] [--timeout SECONDS]";

[[noreturn]] void Usage(const std::string& msg) {
  fprintf(stderr, "inferd_grpc_load: %s\n%s\n", msg.c_str(), kUsage);
  exit(2);
}

long long ParseInt(const std::string& flag, const std::string& v, long long lo, long long hi) {
  char* end = nullptr;
  errno = 0;
  const long long n = strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || n < lo || n > hi) {
    Usage(flag + " wants an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], not '" + v + "'");
  }
  return n;
}

double ParseSeconds(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double d = strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(d) || d <= 0 || d > 86400) {
    Usage(flag + " wants a number of seconds in (0, 86400], not '" + v + "'");
  }
  return d;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      printf("%s\n", kUsage);
      exit(0);
    }
    std::string value;
    if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      Usage(arg + " needs a value");
    }
    if (arg == "--port") {
      o.port = static_cast<int>(ParseInt(arg, value, 1, 65535));
      have_port = true;
    } else if (arg == "--host") {
      in_addr a{};
      if (inet_pton(AF_INET, value.c_str(), &a) != 1) Usage("--host wants an IPv4 address, not '" + value + "'");
      o.host = value;
    } else if (arg == "--path") {
      if (value.empty() || value[0] != '/') Usage("--path must start with '/'");
      o.path = value;
    } else if (arg == "--body") {
      o.body_file = value;
    } else if (arg == "--connections") {
      o.connections = static_cast<int>(ParseInt(arg, value, 1, 10000));
    } else if (arg == "--streams") {
      o.streams = static_cast<int>(ParseInt(arg, value, 1, 10000));
    } else if (arg == "--calls") {
      o.calls = static_cast<uint64_t>(ParseInt(arg, value, 1, int64_t{1} << 40));
    } else if (arg == "--duration") {
      o.duration = ParseSeconds(arg, value);
    } else if (arg == "--timeout") {
      o.timeout = ParseSeconds(arg, value);
    } else if (arg == "--log-file") {
      o.log_file = value;
    } else {
      Usage("unknown option " + arg);
    }
  }
  if (!have_port) Usage("--port is required");
  if (o.body_file.empty()) Usage("--body is required");
  if ((o.calls > 0) == (o.duration > 0)) Usage("give exactly one of --calls and --duration");
  return o;
}

// The body file's bytes; exits unless it is exactly one framed gRPC message.
std::vector<uint8_t> ReadBody(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) {
    fprintf(stderr, "inferd_grpc_load: cannot read %s: %s\n", path.c_str(), strerror(errno));
    exit(2);
  }
  std::vector<uint8_t> body;
  uint8_t buf[65536];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) body.insert(body.end(), buf, buf + n);
  const bool failed = ferror(f) != 0;
  fclose(f);
  if (failed || body.size() < 5 || body[0] > 1 || Be32(body.data() + 1) != body.size() - 5) {
    fprintf(stderr, "inferd_grpc_load: %s is not one framed gRPC message (5-byte prefix, then the message)\n",
            path.c_str());
    exit(2);
  }
  return body;
}

// HPACK (RFC 7541 section 5.1): `value` as an integer with an N-bit prefix, the byte's other
// bits `first`.
void PutHpackInt(std::vector<uint8_t>& out, uint8_t first, int prefix_bits, size_t value) {
  const size_t max = (size_t{1} << prefix_bits) - 1;
  if (value < max) {
    out.push_back(static_cast<uint8_t>(first | value));
    return;
  }
  out.push_back(static_cast<uint8_t>(first | max));
  for (value -= max; value >= 128; value >>= 7) out.push_back(static_cast<uint8_t>(0x80 | (value & 0x7f)));
  out.push_back(static_cast<uint8_t>(value));
}

// A string literal, not Huffman-coded (section 5.2).
void PutHpackString(std::vector<uint8_t>& out, std::string_view s) {
  PutHpackInt(out, 0x00, 7, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

// The request's headers encoded by hand, so that every one is indexed as gRPC's clients do
// (libnghttp2's encoder never indexes :path). `first`: :method POST and :scheme http from the
// static table (indices 3 and 6), then :path, :authority, content-type (static names 4, 1, 31)
// and te as literals with incremental indexing (section 6.2.1). The dynamic table then holds,
// newest first at index 62: te, content-type, :authority, :path.
RequestHeaders EncodeRequestHeaders(const Options& o) {
  const std::string authority = o.host + ":" + std::to_string(o.port);
  RequestHeaders r;
  r.first = {0x80 | 3, 0x80 | 6};
  PutHpackInt(r.first, 0x40, 6, 4);
  PutHpackString(r.first, o.path);
  PutHpackInt(r.first, 0x40, 6, 1);
  PutHpackString(r.first, authority);
  PutHpackInt(r.first, 0x40, 6, 31);
  PutHpackString(r.first, "application/grpc");
  r.first.push_back(0x40);  // a new name
  PutHpackString(r.first, "te");
  PutHpackString(r.first, "trailers");
  // The four entries take 32 bytes each beyond their name and value (section 4.1).
  const size_t table_bytes = (5 + o.path.size()) + (10 + authority.size()) + (12 + 16) + (2 + 8) + 4 * 32;
  if (table_bytes > kDefaultTableSize || r.first.size() > kOwnMaxFrame) {
    fprintf(stderr, "inferd_grpc_load: the request headers do not fit HPACK's table or one frame (path too long?)\n");
    exit(2);
  }
  r.repeat = {0x80 | 3, 0x80 | 6, 0x80 | 65, 0x80 | 64, 0x80 | 63, 0x80 | 62};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  Load load(o, ReadBody(o.body_file), EncodeRequestHeaders(o));
  return load.Run();
}
