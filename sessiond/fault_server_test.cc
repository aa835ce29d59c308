// Every fault injection kind, observed from a client over a real socket.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "sessiond/handler.h"
#include "sessiond/metrics.h"
#include "sessiond/mini_client.h"
#include "sessiond/server.h"
#include "sessionrig/json_codec.h"

namespace sessionrig::sessiond {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kUrl[] = "/serviceconfigs/scid/sessionTemplates/lobby/sessions/faulty";
constexpr char kJoin[] = R"({"members":{"me":{"properties":{"system":{"active":true}}}}})";

class SessiondFaultServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.threads = 2;
    auto s = Server::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }

  HttpConnection Connect() {
    auto c = HttpConnection::Connect("127.0.0.1", server_->port(), milliseconds(5000));
    EXPECT_TRUE(c.ok());
    return std::move(c).value();
  }

  HeaderList As(const std::string& xuid) {
    return {{"Authorization", server_->AuthorizationFor(xuid)}, {"x-xbl-contract-version", "107"}};
  }

  // Sets the plan through the admin endpoint, as an operator would.
  void SetFaultsOverHttp(const std::string& json) {
    HttpConnection c = Connect();
    auto r = c.Request("PUT", "/admin/faults", {{"Content-Type", "application/json"}}, json);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200u) << r->body;
  }

  double Injected(FaultKind kind) { return server_->metrics().faults_injected(kind); }

  std::unique_ptr<Server> server_;
};

TEST_F(SessiondFaultServerTest, AddedLatency) {
  SetFaultsOverHttp(R"({"inject":["latency=fixed:150ms"]})");
  HttpConnection c = Connect();
  const auto t0 = Clock::now();
  auto r = c.Request("GET", kUrl, As("1"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 204u);
  EXPECT_GE(Clock::now() - t0, milliseconds(150));
  EXPECT_EQ(Injected(FaultKind::kLatency), 1);
}

TEST_F(SessiondFaultServerTest, ErrorStatusesWithRetryAfter) {
  HttpConnection c = Connect();
  for (unsigned status : {429u, 500u, 503u}) {
    ASSERT_TRUE(server_->SetFaults({"error=" + std::to_string(status) + ":1,retry_after=2s"}).ok());
    auto r = c.Request("PUT", kUrl, As("1"), kJoin);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, status);
    if (status != 500) {
      EXPECT_EQ(r->Header("retry-after"), "2");
    }
  }
  EXPECT_EQ(Injected(FaultKind::kError429), 1);
  EXPECT_EQ(Injected(FaultKind::kError500), 1);
  EXPECT_EQ(Injected(FaultKind::kError503), 1);
  EXPECT_EQ(server_->handler().store().session_count(), 0u);  // nothing was served
}

// What a stall guarantees, whatever the machine's speed: a request that
// arrives inside the window is answered no earlier than the window's end; one
// sent after it is not held. (How promptly unheld requests are answered is
// the machine's business, so there is no upper bound here.)
TEST_F(SessiondFaultServerTest, StallHoldsEveryRequestUntilItEnds) {
  constexpr auto kAt = milliseconds(300);
  constexpr auto kFor = milliseconds(2000);
  SetFaultsOverHttp(R"(["stall=at:300ms,for:2s"])");
  const auto installed = Clock::now();
  const auto window_end = installed + kAt + kFor;
  HttpConnection c = Connect();
  auto before = c.Request("GET", kUrl, As("1"));
  ASSERT_TRUE(before.ok());
  // Answered before the window opened: it was not held.
  if (Clock::now() < installed + kAt) {
    EXPECT_EQ(Injected(FaultKind::kStall), 0);
  }
  std::this_thread::sleep_until(installed + kAt + milliseconds(20));
  // Two clients inside the window both wait for its end.
  std::atomic<int> sent_inside{0};
  std::thread other([&] {
    HttpConnection c2 = Connect();
    const bool inside = Clock::now() < window_end;
    auto r = c2.Request("PUT", kUrl, As("2"), kJoin);
    ASSERT_TRUE(r.ok());
    if (inside) {
      ++sent_inside;
      EXPECT_GE(Clock::now(), window_end - milliseconds(10));
    }
  });
  const bool inside = Clock::now() < window_end;
  auto during = c.Request("GET", kUrl, As("1"));
  ASSERT_TRUE(during.ok());
  if (inside) {
    ++sent_inside;
    EXPECT_GE(Clock::now(), window_end - milliseconds(10));
  }
  other.join();
  EXPECT_EQ(Injected(FaultKind::kStall), sent_inside.load());
  // After the window: served, and not held.
  std::this_thread::sleep_until(window_end + milliseconds(20));
  auto after = c.Request("GET", kUrl, As("1"));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200u);
  EXPECT_EQ(Injected(FaultKind::kStall), sent_inside.load());
}

TEST_F(SessiondFaultServerTest, TruncatedBody) {
  ASSERT_TRUE(server_->SetFaults({"malformed=truncated:1"}).ok());
  HttpConnection c = Connect();
  auto r = c.Request("PUT", kUrl, As("1"), kJoin);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("connection closed after"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Injected(FaultKind::kTruncated), 1);
  // The write itself happened; only its response was damaged.
  ASSERT_TRUE(server_->SetFaults({}).ok());
  HttpConnection c2 = Connect();
  auto get = c2.Request("GET", kUrl, As("1"));
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->status, 200u);
}

TEST_F(SessiondFaultServerTest, WrongContentLength) {
  ASSERT_TRUE(server_->SetFaults({"malformed=wrong_length:1"}).ok());
  HttpConnection c = Connect();
  auto r = c.Request("PUT", kUrl, As("1"), kJoin);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201u);
  EXPECT_FALSE(ParseJsonStrict(r->body).ok());  // half a document
  bool reset = false;
  auto rest = c.ReadUntilClose(1 << 20, &reset);  // the other half, then close
  ASSERT_TRUE(rest.ok());
  const std::string full = r->body + *rest;  // what was really sent
  EXPECT_TRUE(ParseJsonStrict(full).ok());
  EXPECT_EQ(r->body.size(), full.size() / 2);
  EXPECT_EQ(Injected(FaultKind::kWrongLength), 1);
}

TEST_F(SessiondFaultServerTest, InvalidJsonBody) {
  ASSERT_TRUE(server_->SetFaults({"malformed=invalid_json:1"}).ok());
  HttpConnection c = Connect();
  auto r = c.Request("PUT", kUrl, As("1"), kJoin);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201u);
  EXPECT_FALSE(r->Header("etag").empty());
  EXPECT_EQ(ParseJsonStrict(r->body).status().code(), StatusCode::kJsonSyntax);
  // Valid HTTP: the connection stays usable.
  auto again = c.Request("GET", kUrl, As("1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200u);
  EXPECT_EQ(Injected(FaultKind::kInvalidJson), 2);
}

TEST_F(SessiondFaultServerTest, BadEtag) {
  ASSERT_TRUE(server_->SetFaults({"malformed=bad_etag:1"}).ok());
  HttpConnection c = Connect();
  auto r = c.Request("PUT", kUrl, As("1"), kJoin);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201u);
  const std::string etag = r->Header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.find('"'), std::string::npos);  // not a quoted entity-tag
  EXPECT_TRUE(ParseJsonStrict(r->body).ok());
  EXPECT_EQ(Injected(FaultKind::kBadEtag), 1);
}

TEST_F(SessiondFaultServerTest, ConnectionResetMidBody) {
  ASSERT_TRUE(server_->SetFaults({"malformed=reset:1"}).ok());
  HttpConnection c = Connect();
  const std::string put =
      std::string("PUT ") + kUrl + " HTTP/1.1\r\nHost: x\r\nx-xbl-contract-version: 107\r\n" +
      "Authorization: " + server_->AuthorizationFor("1") +
      "\r\nContent-Length: " + std::to_string(std::string(kJoin).size()) + "\r\n\r\n" + kJoin;
  ASSERT_TRUE(c.SendRaw(put).ok());
  bool reset = false;
  auto bytes = c.ReadUntilClose(1 << 20, &reset);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_TRUE(reset);
  EXPECT_EQ(Injected(FaultKind::kReset), 1);
}

TEST_F(SessiondFaultServerTest, RatesApplyPerRequest) {
  ASSERT_TRUE(server_->SetFaults({"error=503:0.3"}).ok());
  HttpConnection c = Connect();
  int errors = 0;
  constexpr int kRequests = 300;
  for (int i = 0; i < kRequests; ++i) {
    auto r = c.Request("GET", kUrl, As("1"));
    ASSERT_TRUE(r.ok());
    errors += r->status == 503 ? 1 : 0;
  }
  EXPECT_GT(errors, kRequests * 15 / 100);
  EXPECT_LT(errors, kRequests * 45 / 100);
  EXPECT_EQ(Injected(FaultKind::kError503), errors);
}

}  // namespace
}  // namespace sessionrig::sessiond
