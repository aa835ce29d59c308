// sessiond over real sockets on 127.0.0.1: semantics, limits, timeouts,
// graceful stop, metrics. The client (mini_client.h) shares no code with
// the server's HTTP stack.
#include "sessiond/server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sessiond/handler.h"
#include "sessiond/merge.h"
#include "sessiond/metrics.h"
#include "sessiond/mini_client.h"
#include "sessionrig/json_codec.h"

namespace sessionrig::sessiond {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kUrl[] = "/serviceconfigs/scid/sessionTemplates/lobby/sessions/s1";
constexpr char kJoin[] = R"({"members":{"me":{"properties":{"system":{"active":true}}}}})";

ServerOptions TestOptions() {
  ServerOptions o;
  o.threads = 2;
  o.limits.shutdown_grace = milliseconds(3000);
  return o;
}

std::unique_ptr<Server> StartServer(ServerOptions o = TestOptions()) {
  auto s = Server::Start(std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

HttpConnection Connect(const Server& s) {
  auto c = HttpConnection::Connect("127.0.0.1", s.port(), milliseconds(5000));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

HeaderList As(const Server& s, const std::string& xuid, HeaderList extra = {}) {
  HeaderList h = {{"Authorization", s.AuthorizationFor(xuid)}, {"x-xbl-contract-version", "107"}};
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

ClientResponse MustRequest(HttpConnection& c, std::string_view method, std::string_view target,
                           const HeaderList& headers, std::string_view body = {}) {
  auto r = c.Request(method, target, headers, body);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : ClientResponse{};
}

// Raw bytes in, the first response (or the transport error) out.
StatusOr<ClientResponse> Raw(const Server& s, std::string_view bytes) {
  auto c = HttpConnection::Connect("127.0.0.1", s.port(), milliseconds(5000));
  if (!c.ok()) return c.status();
  if (Status st = c->SendRaw(bytes); !st.ok()) return st;
  return c->ReadResponse();
}

// The server still answers an ordinary request on a new connection.
void ExpectServing(const Server& s) {
  auto c = HttpConnection::Connect("127.0.0.1", s.port(), milliseconds(5000));
  ASSERT_TRUE(c.ok());
  auto r = c->Request("GET", "/healthz", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200u);
}

TEST(SessiondServer, SessionSemanticsOverKeepAlive) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  EXPECT_NE(s->port(), 0);
  EXPECT_EQ(s->base_url(), "http://127.0.0.1:" + std::to_string(s->port()));
  HttpConnection c = Connect(*s);
  EXPECT_EQ(MustRequest(c, "GET", kUrl, As(*s, "1")).status, 204u);
  auto created = MustRequest(c, "PUT", kUrl, As(*s, "1", {{"If-None-Match", "*"}}), kJoin);
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string e1 = created.Header("etag");
  auto doc = ParseJsonStrict(created.body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["membersInfo"]["count"], 1);
  EXPECT_TRUE(ValidateDocument(*doc).ok());

  auto joined = MustRequest(c, "PUT", kUrl, As(*s, "2", {{"If-Match", e1}}), kJoin);
  ASSERT_EQ(joined.status, 200u);
  auto stale = MustRequest(c, "PUT", kUrl, As(*s, "3", {{"If-Match", e1}}), kJoin);
  EXPECT_EQ(stale.status, 412u);
  EXPECT_EQ(stale.Header("etag"), joined.Header("etag"));
  EXPECT_EQ(stale.body, joined.body);
  EXPECT_EQ(
      MustRequest(c, "GET", kUrl, As(*s, "1", {{"If-None-Match", joined.Header("etag")}})).status,
      304u);
  EXPECT_EQ(MustRequest(c, "PUT", kUrl, As(*s, "1"), R"({"members":{"me":null}})").status, 200u);
  EXPECT_EQ(MustRequest(c, "PUT", kUrl, As(*s, "2"), R"({"members":{"me":null}})").status, 204u);
  EXPECT_EQ(MustRequest(c, "GET", kUrl, As(*s, "1")).status, 204u);
  EXPECT_TRUE(c.is_open());
}

TEST(SessiondServer, PipelinedRequestsAreAnsweredInOrder) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  HttpConnection c = Connect(*s);
  const std::string auth = s->AuthorizationFor("1");
  std::string two;
  for (int i = 0; i < 2; ++i) {
    two += std::string("PUT ") + kUrl +
           " HTTP/1.1\r\nHost: x\r\nx-xbl-contract-version: 107\r\nAuthorization: " + auth +
           "\r\nContent-Length: " + std::to_string(std::string(kJoin).size()) + "\r\n\r\n" + kJoin;
  }
  ASSERT_TRUE(c.SendRaw(two).ok());
  auto first = c.ReadResponse();
  auto second = c.ReadResponse();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->status, 201u);
  EXPECT_EQ(second->status, 200u);  // a no-op update, still a new version
  EXPECT_NE(first->Header("etag"), second->Header("etag"));
}

TEST(SessiondServer, LimitsAnswerWithClearStatuses) {
  ServerOptions o = TestOptions();
  o.limits.max_body_bytes = 1024;
  o.limits.max_header_bytes = 4096;
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  const std::string auth =
      "Authorization: " + s->AuthorizationFor("1") + "\r\nx-xbl-contract-version: 107\r\n";

  // 413: declared body too large; refused before reading it.
  auto big = Raw(*s, std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\n" + auth +
                         "Content-Length: 5000\r\n\r\n" + std::string(5000, ' '));
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->status, 413u);
  EXPECT_NE(big->body.find("1024"), std::string::npos);
  // 431: headers too large.
  auto fat =
      Raw(*s, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(5000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(fat.ok()) << fat.status().ToString();
  EXPECT_EQ(fat->status, 431u);
  // 414: a request line longer than the header limit, or a URL over max_url_bytes.
  auto longer = Raw(*s, "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(longer.ok()) << longer.status().ToString();
  EXPECT_EQ(longer->status, 414u);
  auto url = Raw(*s, "GET /" + std::string(3000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->status, 414u);
  // 400: nesting too deep (the JSON limits), and garbage that is not HTTP.
  HttpConnection c = Connect(*s);
  auto deep = MustRequest(c, "PUT", kUrl, As(*s, "1"), std::string(40, '[') + std::string(40, ']'));
  EXPECT_EQ(deep.status, 400u);
  EXPECT_NE(deep.body.find("kJsonDepthLimit"), std::string::npos);
  auto garbage = Raw(*s, "\x01\x02 not http at all\r\n\r\n");
  ASSERT_TRUE(garbage.ok());
  EXPECT_EQ(garbage->status, 400u);
  auto bad_length = Raw(*s, "PUT /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
  ASSERT_TRUE(bad_length.ok());
  EXPECT_EQ(bad_length->status, 400u);
  auto unknown_method = Raw(*s, std::string("BREW ") + kUrl + " HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(unknown_method.ok());
  EXPECT_EQ(unknown_method->status, 405u);
  // Nothing above created anything, and the server keeps serving.
  EXPECT_EQ(s->handler().store().session_count(), 0u);
  ExpectServing(*s);
}

TEST(SessiondServer, SlowAndIdleClientsAreCutOff) {
  ServerOptions o = TestOptions();
  o.limits.header_timeout = milliseconds(300);
  o.limits.idle_timeout = milliseconds(300);
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  // Slowloris: a header that never ends gets 408 and a close.
  HttpConnection slow = Connect(*s);
  const auto t0 = Clock::now();
  ASSERT_TRUE(slow.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n").ok());
  std::this_thread::sleep_for(milliseconds(100));
  ASSERT_TRUE(slow.SendRaw("X-Slow: 1\r\n").ok());  // trickling does not extend the deadline
  auto timed_out = slow.ReadResponse();
  ASSERT_TRUE(timed_out.ok()) << timed_out.status().ToString();
  EXPECT_EQ(timed_out->status, 408u);
  EXPECT_LT(Clock::now() - t0, milliseconds(3000));
  EXPECT_TRUE(timed_out->closed);
  bool reset = false;
  // Idle keep-alive connections are closed without a response.
  HttpConnection idle = Connect(*s);
  EXPECT_EQ(MustRequest(idle, "GET", "/healthz", {}).status, 200u);
  auto closed = idle.ReadUntilClose(1024, &reset);
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ(*closed, "");
  ExpectServing(*s);
}

TEST(SessiondServer, ConnectionLimitAnswers503) {
  ServerOptions o = TestOptions();
  o.limits.max_connections = 2;
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  HttpConnection a = Connect(*s);
  HttpConnection b = Connect(*s);
  EXPECT_EQ(MustRequest(a, "GET", "/healthz", {}).status, 200u);
  EXPECT_EQ(MustRequest(b, "GET", "/healthz", {}).status, 200u);
  HttpConnection c = Connect(*s);
  auto refused = c.ReadResponse();
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status, 503u);
  EXPECT_EQ(refused->Header("retry-after"), "1");
  a.Close();
  // Once a slot is free again, new connections are served.
  for (int i = 0; i < 100 && s->connection_count() > 1; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  HttpConnection d = Connect(*s);
  EXPECT_EQ(MustRequest(d, "GET", "/healthz", {}).status, 200u);
}

TEST(SessiondServer, StopFinishesInFlightRequests) {
  ServerOptions o = TestOptions();
  o.inject = {"latency=fixed:400ms"};
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  HttpConnection idle = Connect(*s);
  ClientResponse in_flight;
  std::thread client([&] {
    HttpConnection c = Connect(*s);
    in_flight = MustRequest(c, "PUT", kUrl, As(*s, "1"), kJoin);
  });
  std::this_thread::sleep_for(milliseconds(150));
  const auto t0 = Clock::now();
  s->Stop();
  client.join();
  EXPECT_EQ(in_flight.status, 201u);
  EXPECT_TRUE(in_flight.closed);  // Connection: close during shutdown
  EXPECT_LT(Clock::now() - t0, milliseconds(2500));
  bool reset = false;
  auto rest = idle.ReadUntilClose(1024, &reset);
  EXPECT_TRUE(rest.ok());
  EXPECT_FALSE(HttpConnection::Connect("127.0.0.1", s->port(), milliseconds(1000)).ok());
  s->Stop();  // idempotent
}

TEST(SessiondServer, ExposesPrometheusMetrics) {
  ServerOptions o = TestOptions();
  o.metrics_addr = "127.0.0.1:0";
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  ASSERT_NE(s->metrics_port(), 0);
  HttpConnection c = Connect(*s);
  ASSERT_EQ(MustRequest(c, "PUT", kUrl, As(*s, "1"), kJoin).status, 201u);
  ASSERT_EQ(MustRequest(c, "PUT", kUrl, As(*s, "2", {{"If-Match", "\"stale\""}}), kJoin).status,
            412u);
  // Durations are recorded once a response is fully written, which may be
  // just after the client has it: scrape until they show up.
  const char* const kLast = "sessiond_request_duration_seconds_count{method=\"PUT\"} 2";
  std::string scraped;
  for (int attempt = 0; attempt < 50 && scraped.find(kLast) == std::string::npos; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(milliseconds(20));
    auto m = HttpConnection::Connect("127.0.0.1", s->metrics_port(), milliseconds(5000));
    ASSERT_TRUE(m.ok());
    auto r = m->Request("GET", "/metrics", {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    scraped = r->body;
  }
  for (const char* line :
       {"sessiond_requests_total{code=\"201\",method=\"PUT\"} 1",
        "sessiond_requests_total{code=\"412\",method=\"PUT\"} 1",
        "sessiond_precondition_failed_total 1", "sessiond_sessions 1", "sessiond_members 1", kLast,
        "sessiond_faults_injected_total{kind=\"latency\"} 0"}) {
    EXPECT_NE(scraped.find(line), std::string::npos) << line << "\n" << scraped;
  }
}

TEST(SessiondServer, StartErrorsAreStatuses) {
  ServerOptions bad_host = TestOptions();
  bad_host.listen_host = "not-an-ip";
  EXPECT_EQ(Server::Start(bad_host).status().code(), StatusCode::kInvalidArgument);
  ServerOptions bad_fault = TestOptions();
  bad_fault.inject = {"latency=sometimes"};
  EXPECT_EQ(Server::Start(bad_fault).status().code(), StatusCode::kInvalidArgument);
  ServerOptions short_secret = TestOptions();
  short_secret.secret = "short";
  EXPECT_EQ(Server::Start(short_secret).status().code(), StatusCode::kInvalidArgument);
  auto first = StartServer();
  ASSERT_TRUE(first);
  ServerOptions taken = TestOptions();
  taken.listen_port = first->port();
  EXPECT_EQ(Server::Start(taken).status().code(), StatusCode::kUnavailable);
}

TEST(SessiondServer, AuthNoneIdentifiesMeByBody) {
  ServerOptions o = TestOptions();
  o.auth = AuthMode::kNone;
  auto s = StartServer(o);
  ASSERT_TRUE(s);
  HttpConnection c = Connect(*s);
  const HeaderList h = {{"x-xbl-contract-version", "107"}};
  EXPECT_EQ(MustRequest(c, "PUT", kUrl, h, kJoin).status, 400u);  // who is "me"?
  auto r = MustRequest(c, "PUT", kUrl, h,
                       R"({"members":{"me":{"constants":{"system":{"xuid":"42"}}}}})");
  ASSERT_EQ(r.status, 201u);
  EXPECT_NE(r.body.find("\"xuid\":\"42\""), std::string::npos);
}

}  // namespace
}  // namespace sessionrig::sessiond
