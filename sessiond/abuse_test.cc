// sessiond under abuse, over real sockets on 127.0.0.1 (and 127.0.0.2, a
// second loopback address Linux routes without configuration):
//  - lingering close: a client that writes its whole request before reading
//    (as Python's http.client does) reads the status of every response that
//    ends the connection, whatever it still had to send;
//  - slow clients: the header and the body have their own deadlines;
//  - one peer address cannot take every connection slot.
// The client is mini_client.h (POSIX sockets, no code shared with the
// server's HTTP stack). No assertion depends on the machine's speed: the
// only waits are for the server's own deadlines, with generous margins.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sessiond/handler.h"
#include "sessiond/metrics.h"
#include "sessiond/mini_client.h"
#include "sessiond/server.h"

namespace sessionrig::sessiond {
namespace {

using std::chrono::milliseconds;

constexpr char kUrl[] = "/serviceconfigs/scid/sessionTemplates/lobby/sessions/s1";
// More than the kernel buffers on both ends hold (loopback autotuning
// reaches a few MiB), so a server that closed without reading it all would
// reset the connection under the client's feet.
constexpr std::size_t kFlood = std::size_t{8} << 20;

ServerOptions TestOptions() {
  ServerOptions o;
  o.threads = 2;
  o.limits.shutdown_grace = milliseconds(3000);
  return o;
}

std::unique_ptr<Server> StartServer(ServerOptions o) {
  auto s = Server::Start(std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

StatusOr<HttpConnection> ConnectFrom(const Server& s, const std::string& source) {
  return HttpConnection::Connect("127.0.0.1", s.port(), milliseconds(20000), source);
}

// Writes all of `request` before reading anything, then reads the response.
StatusOr<ClientResponse> WriteAllThenRead(HttpConnection& c, const std::string& request) {
  if (Status st = c.SendRaw(request); !st.ok()) return st;
  return c.ReadResponse();
}

std::string Auth(const Server& s) {
  return "Authorization: " + s.AuthorizationFor("1") + "\r\nx-xbl-contract-version: 107\r\n";
}

TEST(SessiondAbuse, WriteFirstClientsReadEveryClosingStatus) {
  auto s = StartServer(TestOptions());  // default limits: 1 MiB body, 16 KiB header
  ASSERT_TRUE(s);
  const std::string flood(kFlood, 'x');
  struct Case {
    const char* what;
    std::string request;
    unsigned status;
  };
  const std::vector<Case> cases = {
      {"413 body too large",
       std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\n" + Auth(*s) +
           "Content-Length: " + std::to_string(kFlood) + "\r\n\r\n" + flood,
       413},
      {"431 header too large",
       std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(64 << 10, 'a') +
           "\r\nContent-Length: " + std::to_string(kFlood) + "\r\n\r\n" + flood,
       431},
      {"414 request line too long",
       "PUT /" + std::string(64 << 10, 'a') +
           " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kFlood) + "\r\n\r\n" + flood,
       414},
      {"400 malformed request",
       std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n" + flood,
       400},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto conn = ConnectFrom(*s, "");
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto r = WriteAllThenRead(*conn, c.request);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, c.status) << r->body;
    EXPECT_TRUE(r->closed);
  }
  // The server discarded the floods and keeps serving.
  auto ok = ConnectFrom(*s, "");
  ASSERT_TRUE(ok.ok());
  auto health = ok->Request("GET", "/healthz", {});
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200u);
  EXPECT_EQ(s->handler().store().session_count(), 0u);
}

TEST(SessiondAbuse, WriteFirstClientsRead408And503) {
  ServerOptions o = TestOptions();
  o.limits.max_connections = 2;
  o.limits.header_timeout = milliseconds(200);
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  const std::string flood(kFlood, 'x');

  // 408: the header stalls past its deadline; the client, unaware, goes on
  // to write the rest of a large request, and only then reads.
  {
    auto slow = ConnectFrom(*s, "");
    ASSERT_TRUE(slow.ok());
    ASSERT_TRUE(slow->SendRaw(std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\n").ok());
    ASSERT_TRUE(slow->WaitReadable().ok());  // the 408 is on its way
    auto r =
        WriteAllThenRead(*slow, "Content-Length: " + std::to_string(kFlood) + "\r\n\r\n" + flood);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 408u);
    EXPECT_EQ(r->body, "request header not complete within 200 ms\n");
  }

  // 503 at the connection cap: refused at once, while the client writes a
  // large request. (First the 408's connection must be gone: its client
  // closed it, and the server closes its end when it reads that.)
  for (int i = 0; i < 500 && s->connection_count() > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(s->connection_count(), 0u);
  auto a = ConnectFrom(*s, "");
  auto b = ConnectFrom(*s, "127.0.0.2");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Request("GET", "/healthz", {})->status, 200u);
  EXPECT_EQ(b->Request("GET", "/healthz", {})->status, 200u);
  auto refused = ConnectFrom(*s, "127.0.0.3");
  ASSERT_TRUE(refused.ok());
  auto r = WriteAllThenRead(*refused, std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\n" +
                                          Auth(*s) + "Content-Length: " + std::to_string(kFlood) +
                                          "\r\n\r\n" + flood);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503u);
  EXPECT_EQ(r->Header("retry-after"), "1");
  EXPECT_EQ(s->metrics().connections_rejected(ConnectionRejectReason::kMaxConnections), 1);
  EXPECT_EQ(s->metrics().connections_rejected(ConnectionRejectReason::kHeaderTimeout), 1);
}

TEST(SessiondAbuse, OneAddressCannotTakeEverySlot) {
  ServerOptions o = TestOptions();
  o.limits.max_connections = 64;                  // default share: 64 - 64 / 64 = 63 per address
  o.limits.header_timeout = milliseconds(60000);  // the slow ones hold on for the whole test
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  // Slowloris from 127.0.0.1: half a request header on every connection.
  std::vector<HttpConnection> slow;
  for (int i = 0; i < 63; ++i) {
    auto c = ConnectFrom(*s, "127.0.0.1");
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->SendRaw(std::string("GET ") + kUrl + " HTTP/1.1\r\nHost: x\r\n").ok());
    slow.push_back(std::move(c).value());
  }
  // Both ends of a connect() return before the server accepts; wait until
  // all of them are admitted so the next one meets the share.
  for (int i = 0; i < 500 && s->connection_count() < 63; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(s->connection_count(), 63u);
  // One more from the same address is refused, with a reason.
  auto greedy = ConnectFrom(*s, "127.0.0.1");
  ASSERT_TRUE(greedy.ok());
  auto refused = greedy->ReadResponse();
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status, 503u);
  EXPECT_EQ(refused->body, "too many connections from 127.0.0.1 (at most 63 per address)\n");
  EXPECT_EQ(s->metrics().connections_rejected(ConnectionRejectReason::kPeerShare), 1);
  // Another address still gets served.
  auto other = ConnectFrom(*s, "127.0.0.2");
  ASSERT_TRUE(other.ok());
  auto served = other->Request("GET", "/healthz", {});
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ(served->status, 200u);
  EXPECT_EQ(s->metrics().connections_rejected(ConnectionRejectReason::kMaxConnections), 0);
}

TEST(SessiondAbuse, AnExplicitShareRefusesTheSurplus) {
  ServerOptions o = TestOptions();
  o.limits.max_connections_per_peer = 3;
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  std::vector<HttpConnection> held;
  for (int i = 0; i < 3; ++i) {
    auto c = ConnectFrom(*s, "127.0.0.1");
    ASSERT_TRUE(c.ok());
    auto r = c->Request("GET", "/healthz", {});  // admitted and served: holds a slot
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200u);
    held.push_back(std::move(c).value());
  }
  for (int i = 0; i < 2; ++i) {
    auto c = ConnectFrom(*s, "127.0.0.1");
    ASSERT_TRUE(c.ok());
    auto r = c->ReadResponse();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 503u);
  }
  EXPECT_EQ(s->metrics().connections_rejected(ConnectionRejectReason::kPeerShare), 2);
  auto other = ConnectFrom(*s, "127.0.0.2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->Request("GET", "/healthz", {})->status, 200u);
  // A freed slot is the address's again.
  held.pop_back();
  for (int i = 0; i < 500 && s->connection_count() > 3; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto again = ConnectFrom(*s, "127.0.0.1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Request("GET", "/healthz", {})->status, 200u);
}

TEST(SessiondAbuse, TheBodyHasItsOwnLongerDeadline) {
  ServerOptions o = TestOptions();
  o.limits.header_timeout = milliseconds(200);
  o.limits.body_timeout = milliseconds(4000);
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  const std::string body = R"({"members":{"me":{}}})";
  const std::string header = std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\n" + Auth(*s) +
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  // The body may arrive well after the header deadline would have passed.
  {
    auto c = ConnectFrom(*s, "");
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->SendRaw(header).ok());
    std::this_thread::sleep_for(milliseconds(600));  // 3x the header timeout
    auto r = WriteAllThenRead(*c, body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 201u) << r->body;
  }
  // A body that never completes gets a 408 that says so.
  {
    auto c = ConnectFrom(*s, "");
    ASSERT_TRUE(c.ok());
    auto r = WriteAllThenRead(*c, header + body.substr(0, 5));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 408u);
    EXPECT_EQ(r->body, "request body not complete within 4000 ms\n");
    EXPECT_TRUE(r->closed);
  }
  EXPECT_EQ(s->metrics().connections_rejected(ConnectionRejectReason::kBodyTimeout), 1);
  EXPECT_EQ(s->metrics().connections_rejected(ConnectionRejectReason::kHeaderTimeout), 0);
}

TEST(SessiondAbuse, LingeringIsBounded) {
  ServerOptions o = TestOptions();
  o.limits.max_body_bytes = 1024;
  o.limits.linger_max_bytes = 64 << 10;
  o.limits.linger_idle_timeout = milliseconds(300);
  o.limits.linger_time = milliseconds(1000);
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  const std::string too_big =
      std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n";
  auto wait_for_no_connections = [&] {
    for (int i = 0; i < 1000 && s->connection_count() > 0; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    return s->connection_count();
  };
  // Bytes: a client that never stops sending is cut off after
  // linger_max_bytes (its further writes fail: reset or broken pipe).
  {
    auto endless = ConnectFrom(*s, "");
    ASSERT_TRUE(endless.ok());
    const std::string flood(kFlood, 'x');
    EXPECT_FALSE(endless->SendRaw(too_big + flood + flood + flood + flood).ok());
    EXPECT_EQ(wait_for_no_connections(), 0u);
  }
  // Idle: a client that stops sending but keeps the connection open is
  // closed after linger_idle_timeout; the 413 still waits in its buffer.
  {
    auto quiet = ConnectFrom(*s, "");
    ASSERT_TRUE(quiet.ok());
    ASSERT_TRUE(quiet->SendRaw(too_big + std::string(2000, 'x')).ok());
    EXPECT_EQ(wait_for_no_connections(), 0u);
    auto r = quiet->ReadResponse();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 413u);
  }
  // Time: a client that trickles bytes forever is closed after linger_time.
  {
    auto trickle = ConnectFrom(*s, "");
    ASSERT_TRUE(trickle.ok());
    ASSERT_TRUE(trickle->SendRaw(too_big).ok());
    bool cut_off = false;
    for (int i = 0; i < 400 && !cut_off; ++i) {  // at most 20 s; the bound is 1 s
      std::this_thread::sleep_for(milliseconds(50));
      cut_off = !trickle->SendRaw("x").ok();
    }
    EXPECT_TRUE(cut_off);
    EXPECT_EQ(wait_for_no_connections(), 0u);
  }
}

}  // namespace
}  // namespace sessionrig::sessiond
