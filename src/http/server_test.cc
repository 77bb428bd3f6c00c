#include <utility>  // Boost 1.74 asio with g++ 12 in C++20 needs this first.

#include "http/server.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio.hpp>

namespace inferd::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// A blocking raw-socket client, so tests control the exact bytes on the wire.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  void Send(const std::string& bytes) { net::write(socket_, net::buffer(bytes)); }
  // Reads one response (headers + Content-Length body). Returns "" on EOF.
  std::string ReadResponse() {
    boost::system::error_code ec;
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadSome(ec)) return "";
    }
    size_t cl_pos = buf_.find("Content-Length: ");
    size_t len = 0;
    if (cl_pos != std::string::npos && cl_pos < header_end) len = std::stoul(buf_.substr(cl_pos + 16));
    while (buf_.size() < header_end + 4 + len) {
      if (!ReadSome(ec)) return "";
    }
    std::string resp = buf_.substr(0, header_end + 4 + len);
    buf_.erase(0, resp.size());
    return resp;
  }
  // True if the server closed the connection (EOF or reset) within the wait.
  bool ClosedByPeer() {
    boost::system::error_code ec;
    char c;
    socket_.read_some(net::buffer(&c, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }
  // True if the server closed the connection cleanly (FIN, not a reset) and sent nothing more.
  bool ReadsEof() {
    boost::system::error_code ec;
    char c;
    socket_.read_some(net::buffer(&c, 1), ec);
    return ec == net::error::eof;
  }

 private:
  bool ReadSome(boost::system::error_code& ec) {
    char tmp[4096];
    size_t n = socket_.read_some(net::buffer(tmp), ec);
    if (ec) return false;
    buf_.append(tmp, n);
    return true;
  }
  net::io_context ioc_;
  tcp::socket socket_;
  std::string buf_;
};

std::string Post(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

int StatusOf(const std::string& resp) { return resp.size() > 12 ? std::stoi(resp.substr(9, 3)) : 0; }
std::string BodyOf(const std::string& resp) { return resp.substr(resp.find("\r\n\r\n") + 4); }

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions o) {
    router_.Add(Verb::post, "/echo", [this](const Request& r, Response* resp) {
      ++handled_;
      resp->content_type = "text/plain";
      resp->body = std::string(r.path) + ":" + std::string(r.body);
    });
    metrics_ = std::make_unique<ServerMetrics>(router_.MetricLabels(), o.threads);
    o.host = "127.0.0.1";
    o.port = 0;
    auto s = HttpServer::Create(o, &router_, metrics_.get());
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
    ASSERT_NE(server_->port(), 0);
    server_->Start();
  }
  void TearDown() override {
    if (server_) {
      server_->Shutdown();
      EXPECT_TRUE(server_->Wait(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
    }
  }
  HttpServerOptions Opts(size_t threads = 2) {
    HttpServerOptions o;
    o.threads = threads;
    o.max_body_bytes = 100;
    o.max_header_bytes = 1024;
    return o;
  }
  std::string Metrics() {
    std::string t;
    metrics_->Render(&t);
    return t;
  }
  // The metrics rendering once it contains `needle`, or the last rendering after 5 s.
  // A request is counted when its response write *completes* on the server thread, which can
  // be after the client has already read the bytes (the kernel delivers them first); reading
  // the counters right after the response raced with that completion handler on a loaded
  // machine (the KeepAliveAndPipelining flake under parallel ctest).
  std::string MetricsOnceContains(const std::string& needle) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::string t = Metrics();
    while (t.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      t = Metrics();
    }
    return t;
  }

  Router router_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> handled_{0};
};

TEST_F(ServerTest, KeepAliveAndPipelining) {
  StartServer(Opts());
  Client c(server_->port());
  c.Send(Post("/echo?q=1", "a"));
  std::string r1 = c.ReadResponse();
  EXPECT_EQ(StatusOf(r1), 200) << r1;
  EXPECT_EQ(BodyOf(r1), "/echo:a");
  EXPECT_NE(r1.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_EQ(r1.find("Connection: close"), std::string::npos);
  // Two requests in one write: both answered, in order, on the same connection.
  c.Send(Post("/echo", "b") + Post("/echo", "cc"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "/echo:b");
  EXPECT_EQ(BodyOf(c.ReadResponse()), "/echo:cc");
  // A request split across writes.
  std::string req = Post("/echo", "split-body");
  c.Send(req.substr(0, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.Send(req.substr(10));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "/echo:split-body");
  EXPECT_EQ(handled_.load(), 4);
  const std::string four = "inferd_requests_total{route=\"/echo\",code=\"200\"} 4\n";
  EXPECT_NE(MetricsOnceContains(four).find(four), std::string::npos);
}

TEST_F(ServerTest, ErrorsAnsweredAndServerKeepsServing) {
  StartServer(Opts());
  {
    Client c(server_->port());
    c.Send(Post("/nope", ""));
    EXPECT_EQ(StatusOf(c.ReadResponse()), 404);
    c.Send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string r = c.ReadResponse();
    EXPECT_EQ(StatusOf(r), 405);
    EXPECT_NE(r.find("Allow: POST\r\n"), std::string::npos);
  }
  {
    Client c(server_->port());
    c.Send(Post("/echo", std::string(101, 'x')));
    std::string r = c.ReadResponse();
    EXPECT_EQ(StatusOf(r), 413) << r;
    EXPECT_EQ(BodyOf(r), "{\"error\":\"request body is larger than the limit of 100 bytes\"}\n");
    EXPECT_NE(r.find("Connection: close"), std::string::npos);
    EXPECT_TRUE(c.ClosedByPeer());
  }
  {
    Client c(server_->port());
    c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
    EXPECT_EQ(StatusOf(c.ReadResponse()), 431);
  }
  {
    Client c(server_->port());
    c.Send("NOT HTTP AT ALL\r\n\r\n");
    std::string r = c.ReadResponse();
    EXPECT_EQ(StatusOf(r), 400) << r;
    EXPECT_NE(BodyOf(r).find("malformed HTTP request"), std::string::npos);
  }
  Client c(server_->port());
  c.Send(Post("/echo", "still"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "/echo:still");
  // Counted once each write completed (see MetricsOnceContains); the connections ran on
  // either thread, so wait for each line.
  for (const char* line : {"inferd_requests_total{route=\"other\",code=\"404\"} 1\n",
                           "inferd_requests_total{route=\"other\",code=\"413\"} 1\n",
                           "inferd_requests_total{route=\"/echo\",code=\"405\"} 1\n",
                           "inferd_requests_total{route=\"/echo\",code=\"200\"} 1\n"}) {
    std::string m = MetricsOnceContains(line);
    EXPECT_NE(m.find(line), std::string::npos) << m;
  }
}

TEST_F(ServerTest, ExpectContinue) {
  StartServer(Opts());
  Client c(server_->port());
  c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  std::string interim = c.ReadResponse();
  EXPECT_EQ(StatusOf(interim), 100) << interim;
  c.Send("abc");
  EXPECT_EQ(BodyOf(c.ReadResponse()), "/echo:abc");
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAliveAsked) {
  StartServer(Opts(1));
  Client c(server_->port());
  c.Send("POST /echo HTTP/1.0\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nk");
  std::string r = c.ReadResponse();
  EXPECT_NE(r.find("Connection: keep-alive\r\n"), std::string::npos) << r;
  c.Send("POST /echo HTTP/1.0\r\nContent-Length: 1\r\n\r\nz");
  r = c.ReadResponse();
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
  HttpServerOptions o = Opts(1);
  o.idle_timeout = std::chrono::seconds(1);
  StartServer(o);
  Client idle(server_->port());
  Client partial(server_->port());
  partial.Send("POST /echo HTTP/1.1\r\nHost");  // a stuck, half-sent request
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_TRUE(partial.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
}

TEST_F(ServerTest, ShutdownFinishesInFlightRequestAndClosesIdle) {
  StartServer(Opts());
  Client idle(server_->port());
  Client busy(server_->port());
  std::string req = Post("/echo", "0123456789");
  busy.Send(req.substr(0, req.size() - 4));  // request in flight: body partly sent
  idle.Send(Post("/echo", "x"));
  EXPECT_EQ(StatusOf(idle.ReadResponse()), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server_->Shutdown();
  EXPECT_TRUE(idle.ClosedByPeer());  // idle keep-alive connection closed after the grace
  // No new connections once shut down.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_THROW(Client refused(server_->port()), boost::system::system_error);
  busy.Send(req.substr(req.size() - 4));
  std::string r = busy.ReadResponse();
  EXPECT_EQ(StatusOf(r), 200);
  EXPECT_EQ(BodyOf(r), "/echo:0123456789");
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(busy.ClosedByPeer());
  EXPECT_TRUE(server_->Wait(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  server_.reset();
}

// A handler that holds its event loop until released: what the loop does next is then fixed
// by its queue (a Shutdown() made meanwhile runs before any read that completes meanwhile).
class Blocker {
 public:
  void Install(Router* router) {
    router->Add(Verb::post, "/block", [this](const Request&, Response* resp) {
      entered_ = true;
      auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!released_ && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      resp->body = "blocked";
    });
  }
  void WaitEntered() {
    while (!entered_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void Release() { released_ = true; }

 private:
  std::atomic<bool> entered_{false}, released_{false};
};

TEST_F(ServerTest, ShutdownAnswersTheNextRequestOnAnIdleKeepAliveConnection) {
  Blocker blocker;
  blocker.Install(&router_);
  StartServer(Opts(1));
  Client c(server_->port());
  c.Send(Post("/echo", "before"));
  std::string r = c.ReadResponse();
  EXPECT_EQ(r.find("Connection: close"), std::string::npos) << r;
  Client other(server_->port());
  other.Send(Post("/block", ""));
  blocker.WaitEntered();
  server_->Shutdown();
  // Read after the shutdown started: the client may still use the connection it was told
  // to keep, and is answered.
  c.Send(Post("/echo", "after"));
  blocker.Release();
  EXPECT_EQ(StatusOf(other.ReadResponse()), 200);
  r = c.ReadResponse();
  EXPECT_EQ(BodyOf(r), "/echo:after") << r;
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(ServerTest, ShutdownClosesAnIdleConnectionCleanlyAfterTheGrace) {
  StartServer(Opts(1));
  {
    Client idle(server_->port());
    idle.Send(Post("/echo", "x"));
    EXPECT_EQ(StatusOf(idle.ReadResponse()), 200);
    auto t0 = std::chrono::steady_clock::now();
    server_->Shutdown();
    EXPECT_TRUE(idle.ReadsEof());  // FIN, not a reset
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  }
  EXPECT_TRUE(server_->Wait(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  server_.reset();
}

// A keep-alive answer serialised just before the shutdown starts: the request the client
// pipelined behind it is answered, with "Connection: close".
TEST_F(ServerTest, ShutdownAnswersTheRequestAfterAKeepAliveAnswerInFlight) {
  Blocker blocker;
  blocker.Install(&router_);
  StartServer(Opts(1));
  Client c(server_->port());
  c.Send(Post("/block", "") + Post("/echo", "next"));
  blocker.WaitEntered();
  // The answer is serialised when the handler returns; the shutdown runs before its write
  // completes.
  server_->Shutdown();
  blocker.Release();
  std::string r = c.ReadResponse();
  EXPECT_EQ(BodyOf(r), "blocked") << r;
  EXPECT_EQ(r.find("Connection: close"), std::string::npos) << r;
  r = c.ReadResponse();
  EXPECT_EQ(BodyOf(r), "/echo:next") << r;
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
  EXPECT_TRUE(c.ReadsEof());
}

// Connections the kernel completed before the shutdown, not yet accepted by the server, are
// served (closing the listener would reset them).
TEST_F(ServerTest, ShutdownServesConnectionsNotYetAccepted) {
  Blocker blocker;
  blocker.Install(&router_);
  StartServer(Opts(1));
  Client busy(server_->port());
  busy.Send(Post("/block", ""));
  blocker.WaitEntered();
  // The loop is held: these connections wait in the listener's backlog, requests sent.
  std::vector<std::unique_ptr<Client>> waiting;
  for (int i = 0; i < 4; ++i) {
    waiting.push_back(std::make_unique<Client>(server_->port()));
    waiting.back()->Send(Post("/echo", std::to_string(i)));
  }
  server_->Shutdown();
  blocker.Release();
  EXPECT_EQ(StatusOf(busy.ReadResponse()), 200);
  for (int i = 0; i < 4; ++i) {
    std::string r = waiting[i]->ReadResponse();
    EXPECT_EQ(BodyOf(r), "/echo:" + std::to_string(i)) << r;
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
  }
}

TEST_F(ServerTest, WaitDropsConnectionsAtDeadline) {
  StartServer(Opts(1));
  Client stuck(server_->port());
  stuck.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server_->Shutdown();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(server_->Wait(t0 + std::chrono::milliseconds(300)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  server_.reset();
}

TEST_F(ServerTest, ManyConcurrentClients) {
  StartServer(Opts(2));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Client c(server_->port());
      for (int i = 0; i < 200; ++i) {
        std::string body = std::to_string(t) + "-" + std::to_string(i);
        c.Send(Post("/echo", body));
        if (BodyOf(c.ReadResponse()) == "/echo:" + body) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1600);
}

TEST(ServerCreateTest, PortInUseIsAnError) {
  Router router;
  ServerMetrics metrics(router.MetricLabels(), 1);
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  auto a = HttpServer::Create(o, &router, &metrics);
  ASSERT_TRUE(a.ok());
  // Without SO_REUSEPORT on the other side the bind must fail: hold the port with a plain socket.
  net::io_context ioc;
  tcp::acceptor plain(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  o.port = plain.local_endpoint().port();
  auto b = HttpServer::Create(o, &router, &metrics);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("cannot bind 127.0.0.1:"), std::string::npos) << b.status().message();
  o.host = "no-such-host.invalid";
  o.port = 0;
  EXPECT_FALSE(HttpServer::Create(o, &router, &metrics).ok());
}

}  // namespace
}  // namespace inferd::http
