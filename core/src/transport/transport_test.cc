// Transport tests against real loopback sockets (ScriptedServer). All traffic
// goes to 127.0.0.1, except one DNS lookup of a name under .invalid, which
// is guaranteed not to resolve.
#include "sessionrig/transport.h"

#include <curl/curl.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sessionrig/sessionrig_c.h"
#include "testing/scripted_server.h"
#include "transport/curl_transport.h"
#include "transport/transport_handle.h"

namespace sessionrig {
namespace {

using std::chrono::milliseconds;
using testing::HttpResponseBytes;
using testing::Script;
using testing::ScriptedServer;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kWaitLimit{15000};  // upper bound for anything expected to finish

std::unique_ptr<OwnerDrivenTransport> MakeTransport(TransportOptions options = {}) {
  auto t = OwnerDrivenTransport::Create(options);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

HttpRequest Get(const std::string& url) {
  HttpRequest req;
  req.method = "GET";
  req.url = url;
  return req;
}

// Collects completions of an owner-driven transport.
struct Completions {
  std::vector<HttpResponse> responses;
  CompletionFn Add() {
    return [this](HttpResponse&& r) { responses.push_back(std::move(r)); };
  }
};

// Polls until `n` completions arrived (bounded).
bool PollUntil(OwnerDrivenTransport& t, const Completions& c, size_t n) {
  auto deadline = Clock::now() + kWaitLimit;
  while (c.responses.size() < n && Clock::now() < deadline) t.Poll(50);
  return c.responses.size() >= n;
}

HttpResponse RunOne(OwnerDrivenTransport& t, HttpRequest req) {
  Completions c;
  t.Start(std::move(req), c.Add());
  EXPECT_TRUE(PollUntil(t, c, 1));
  return c.responses.empty() ? HttpResponse() : std::move(c.responses[0]);
}

std::string Name(HRESULT hr) { return SrHResultToString(hr); }

// Headers and body of a response whose body will be cut short.
std::string TruncatedHead() {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
         "{\"partial\":";
}

TEST(TransportTest, OkResponseWithBodyAndHeaders) {
  std::string body = R"({"hello":"world"})";
  ScriptedServer server({Script().ReadRequest().Send(HttpResponseBytes(
      200, body, {{"ETag", "\"abc\""}, {"Content-Type", "application/json"}, {"X-Empty", ""}}))});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  ASSERT_NE(t, nullptr);
  HttpRequest req;
  req.method = "PUT";
  req.url = server.Url("/sessions/one");
  req.headers = {{"If-Match", "*"}, {"Content-Type", "application/json"}, {"X-Empty-Out", ""}};
  req.body = R"({"members":{}})";
  HttpResponse r = RunOne(*t, std::move(req));
  ASSERT_EQ(r.transport_result, S_OK) << Name(r.transport_result) << " " << r.error_detail;
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, body);
  ASSERT_EQ(r.headers.size(), 4u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>("ETag", "\"abc\"")));
  EXPECT_EQ(r.headers[1].first, "Content-Type");
  EXPECT_EQ(r.headers[2], (std::pair<std::string, std::string>("X-Empty", "")));
  EXPECT_EQ(r.headers[3].first, "Content-Length");
  EXPECT_GE(r.total_us, 0);

  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& sent = requests[0];
  EXPECT_EQ(sent.rfind("PUT /sessions/one HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("If-Match: *\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("Content-Type: application/json\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("X-Empty-Out:"), std::string::npos) << sent;
  EXPECT_NE(sent.find("Content-Length: 14\r\n"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("Expect:"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("x-www-form-urlencoded"), std::string::npos) << sent;
  EXPECT_EQ(sent.substr(sent.size() - 14), R"({"members":{}})");
}

TEST(TransportTest, KeepAliveReusesOneConnection) {
  ScriptedServer server({Script()
                             .ReadRequest()
                             .Send(HttpResponseBytes(200, "first"))
                             .ReadRequest()
                             .Send(HttpResponseBytes(201, "second"))});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse a = RunOne(*t, Get(server.Url("/a")));
  HttpResponse b = RunOne(*t, Get(server.Url("/b")));
  ASSERT_EQ(a.transport_result, S_OK) << a.error_detail;
  ASSERT_EQ(b.transport_result, S_OK) << b.error_detail;
  EXPECT_EQ(a.body, "first");
  EXPECT_EQ(b.status, 201u);
  EXPECT_EQ(b.body, "second");
  EXPECT_EQ(server.accepted_connections(), 1);
  EXPECT_EQ(b.connect_us, 0);  // nothing to connect on a reused connection
}

TEST(TransportTest, ChunkedResponse) {
  ScriptedServer server(
      {Script().ReadRequest().Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse r = RunOne(*t, Get(server.Url()));
  ASSERT_EQ(r.transport_result, S_OK) << r.error_detail;
  EXPECT_EQ(r.body, "hello world");
}

TEST(TransportTest, SlowlySlicedResponse) {
  std::string body(300, 'x');
  ScriptedServer server(
      {Script().ReadRequest().SendSlowly(HttpResponseBytes(200, body, {{"ETag", "\"s\""}}), 7, 2)});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse r = RunOne(*t, Get(server.Url()));
  ASSERT_EQ(r.transport_result, S_OK) << r.error_detail;
  EXPECT_EQ(r.body, body);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].second, "\"s\"");
}

TEST(TransportTest, InterimResponseHeadersAreDropped) {
  ScriptedServer server(
      {Script().ReadRequest().Send("HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n" +
                                   HttpResponseBytes(200, "ok", {{"X-Final", "1"}}))});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse r = RunOne(*t, Get(server.Url()));
  ASSERT_EQ(r.transport_result, S_OK) << r.error_detail;
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].first, "X-Final");
  EXPECT_EQ(r.body, "ok");
}

TEST(TransportTest, TruncatedBodyIsConnectionReset) {
  ScriptedServer server({Script().ReadRequest().Send(TruncatedHead()).CloseNow()});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse r = RunOne(*t, Get(server.Url()));
  EXPECT_EQ(r.transport_result, SR_E_CONNECTION_RESET)
      << Name(r.transport_result) << " " << r.error_detail;
}

TEST(TransportTest, ResetMidBodyIsConnectionReset) {
  ScriptedServer server({Script().ReadRequest().Send(TruncatedHead()).Delay(50).Reset()});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse r = RunOne(*t, Get(server.Url()));
  EXPECT_EQ(r.transport_result, SR_E_CONNECTION_RESET)
      << Name(r.transport_result) << " " << r.error_detail;
}

TEST(TransportTest, ClosedWithoutResponseIsConnectionReset) {
  ScriptedServer server({Script().ReadRequest().CloseNow()});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse r = RunOne(*t, Get(server.Url()));
  EXPECT_EQ(r.transport_result, SR_E_CONNECTION_RESET)
      << Name(r.transport_result) << " " << r.error_detail;
}

TEST(TransportTest, MalformedStatusLineIsProtocolError) {
  for (const char* reply : {"HTPT/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                            "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", "garbage\r\n\r\n"}) {
    ScriptedServer server({Script().ReadRequest().Send(reply).CloseNow()});
    ASSERT_TRUE(server.ok());
    auto t = MakeTransport();
    HttpResponse r = RunOne(*t, Get(server.Url()));
    EXPECT_EQ(r.transport_result, SR_E_PROTOCOL)
        << reply << ": " << Name(r.transport_result) << " " << r.error_detail;
  }
}

TEST(TransportTest, WrongContentLengthIsDetected) {
  // More bytes than announced on a keep-alive connection: the response ends
  // at Content-Length; the surplus poisons the connection, which libcurl
  // must not reuse for the next request.
  ScriptedServer server(
      {Script().ReadRequest().Send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"),
       Script().ReadRequest().Send(HttpResponseBytes(200, "fresh"))});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse a = RunOne(*t, Get(server.Url()));
  ASSERT_EQ(a.transport_result, S_OK) << a.error_detail;
  EXPECT_EQ(a.body, "ok");
  HttpResponse b = RunOne(*t, Get(server.Url()));
  ASSERT_EQ(b.transport_result, S_OK) << Name(b.transport_result) << " " << b.error_detail;
  EXPECT_EQ(b.body, "fresh");
}

TEST(TransportTest, TimeoutWhenServerNeverAnswers) {
  ScriptedServer server({Script().ReadRequest()});  // then holds the connection silently
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpRequest req = Get(server.Url());
  req.timeout = milliseconds(200);
  auto start = Clock::now();
  HttpResponse r = RunOne(*t, std::move(req));
  EXPECT_EQ(r.transport_result, SR_E_TIMEOUT) << Name(r.transport_result) << " " << r.error_detail;
  EXPECT_GE(Clock::now() - start, milliseconds(200));
}

TEST(TransportTest, ConnectionRefused) {
  uint16_t port = testing::UnusedLoopbackPort();
  ASSERT_NE(port, 0);
  auto t = MakeTransport();
  HttpResponse r = RunOne(*t, Get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(r.transport_result, SR_E_CONNECTION_REFUSED)
      << Name(r.transport_result) << " " << r.error_detail;
}

TEST(TransportTest, UnknownHost) {
  auto t = MakeTransport();
  HttpRequest req = Get("http://nonexistent.invalid/");
  req.timeout = milliseconds(10000);
  HttpResponse r = RunOne(*t, std::move(req));
  EXPECT_EQ(r.transport_result, SR_E_HOST_NOT_FOUND)
      << Name(r.transport_result) << " " << r.error_detail;
}

TEST(TransportTest, ResponseTooLarge) {
  std::string big(4096, 'b');
  ScriptedServer with_length({Script().ReadRequest().Send(HttpResponseBytes(200, big))});
  ScriptedServer chunked({Script().ReadRequest().Send(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" + big + "\r\n0\r\n\r\n")});
  ASSERT_TRUE(with_length.ok());
  ASSERT_TRUE(chunked.ok());
  TransportOptions options;
  options.max_response_bytes = 1024;
  auto t = MakeTransport(options);
  for (ScriptedServer* s : {&with_length, &chunked}) {
    HttpResponse r = RunOne(*t, Get(s->Url()));
    EXPECT_EQ(r.transport_result, SR_E_RESPONSE_TOO_LARGE)
        << Name(r.transport_result) << " " << r.error_detail;
    EXPECT_LE(r.body.size(), 1024u);
  }
  // Exactly at the cap is fine.
  ScriptedServer exact({Script().ReadRequest().Send(HttpResponseBytes(200, big.substr(0, 1024)))});
  HttpResponse r = RunOne(*t, Get(exact.Url()));
  EXPECT_EQ(r.transport_result, S_OK) << r.error_detail;
}

TEST(TransportTest, AdmissionCapFailsExcessOnNextPoll) {
  ScriptedServer server(
      {Script().ReadRequest().Delay(300).Send(HttpResponseBytes(200, "slow")).CloseNow()});
  ASSERT_TRUE(server.ok());
  TransportOptions options;
  options.max_in_flight = 2;
  auto t = MakeTransport(options);
  Completions c;
  std::vector<TransferId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(t->Start(Get(server.Url()), c.Add()));
  EXPECT_TRUE(c.responses.empty());  // never inline inside Start
  for (TransferId id : ids) EXPECT_NE(id, 0u);
  EXPECT_EQ(t->InFlight(), 5u);
  t->Poll(0);
  ASSERT_EQ(c.responses.size(), 3u);
  for (const HttpResponse& r : c.responses) {
    EXPECT_EQ(r.transport_result, SR_E_TOO_MANY_IN_FLIGHT) << Name(r.transport_result);
  }
  ASSERT_TRUE(PollUntil(*t, c, 5));
  for (size_t i = 3; i < 5; ++i) {
    EXPECT_EQ(c.responses[i].transport_result, S_OK) << c.responses[i].error_detail;
    EXPECT_EQ(c.responses[i].body, "slow");
  }
  EXPECT_EQ(server.accepted_connections(), 2);
  EXPECT_EQ(t->InFlight(), 0u);
}

TEST(TransportTest, CancelCompletesWithAbortOnNextPoll) {
  ScriptedServer server({Script().ReadRequest()});  // never answers
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  Completions c;
  TransferId id = t->Start(Get(server.Url()), c.Add());
  // Owner-driven: the request only goes out while the owner polls.
  auto deadline = Clock::now() + kWaitLimit;
  while (server.requests().empty() && Clock::now() < deadline) t->Poll(10);
  ASSERT_EQ(server.requests().size(), 1u);
  t->Cancel(id);
  EXPECT_TRUE(c.responses.empty());
  t->Poll(0);
  ASSERT_EQ(c.responses.size(), 1u);
  EXPECT_EQ(c.responses[0].transport_result, E_ABORT);
  t->Cancel(id);      // already completed: ignored
  t->Cancel(987654);  // unknown: ignored
  t->Poll(0);
  EXPECT_EQ(c.responses.size(), 1u);
  EXPECT_EQ(t->InFlight(), 0u);
}

TEST(TransportTest, DestructorAbortsTransfersInFlight) {
  ScriptedServer server({Script().ReadRequest()});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  Completions c;
  t->Start(Get(server.Url()), c.Add());
  t->Poll(20);
  t.reset();
  ASSERT_EQ(c.responses.size(), 1u);
  EXPECT_EQ(c.responses[0].transport_result, E_ABORT);
}

TEST(TransportTest, WaitFdBecomesReadableWithWork) {
  auto t = MakeTransport();
  Completions c;
  uint16_t port = testing::UnusedLoopbackPort();
  t->Start(Get("http://127.0.0.1:" + std::to_string(port) + "/"), c.Add());
  pollfd p{t->wait_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, static_cast<int>(kWaitLimit.count())), 1);
  ASSERT_TRUE(PollUntil(*t, c, 1));
}

TEST(TransportTest, MalformedRequestHeaderIsRejected) {
  auto t = MakeTransport();
  HttpRequest req = Get("http://127.0.0.1:1/");
  req.headers = {{"X-Bad", "a\r\nInjected: yes"}};
  HttpResponse r = RunOne(*t, std::move(req));
  EXPECT_EQ(r.transport_result, E_INVALIDARG);
}

TEST(TransportTest, ManySequentialRequestsReuseTheConnection) {
  ScriptedServer server({Script().ReadRequest().Send(HttpResponseBytes(200, "again")).Repeat()});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  for (int i = 0; i < 50; ++i) {
    HttpResponse r = RunOne(*t, Get(server.Url()));
    ASSERT_EQ(r.transport_result, S_OK) << r.error_detail;
    ASSERT_EQ(r.body, "again");
  }
  EXPECT_EQ(server.accepted_connections(), 1);
}

// Easy handles are reused without a reset: each request must still go out
// with its own method, headers and body, nothing left from the one before.
TEST(TransportTest, ReusedHandlesSendEachRequestsOwnMethodHeadersAndBody) {
  ScriptedServer server({Script().ReadRequest().Send(HttpResponseBytes(200, "")).Repeat()});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpRequest put = Get(server.Url("/p"));
  put.method = "PUT";
  put.headers = {{"X-Only-Put", "1"}};
  put.body = "{}";
  HttpRequest head = Get(server.Url("/h"));
  head.method = "HEAD";
  HttpRequest del = Get(server.Url("/d"));
  del.method = "DELETE";
  HttpRequest post = Get(server.Url("/o"));
  post.method = "POST";
  post.body = "x";
  for (HttpRequest& req : {std::ref(put), std::ref(head), std::ref(del), std::ref(post)}) {
    HttpResponse r = RunOne(*t, req);
    ASSERT_EQ(r.transport_result, S_OK) << req.method << ": " << r.error_detail;
  }
  HttpResponse get = RunOne(*t, Get(server.Url("/g")));
  ASSERT_EQ(get.transport_result, S_OK) << get.error_detail;

  std::vector<std::string> sent = server.requests();
  ASSERT_EQ(sent.size(), 5u);
  const char* lines[] = {"PUT /p HTTP/1.1\r\n", "HEAD /h HTTP/1.1\r\n", "DELETE /d HTTP/1.1\r\n",
                         "POST /o HTTP/1.1\r\n", "GET /g HTTP/1.1\r\n"};
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].rfind(lines[i], 0), 0u) << sent[i];
    EXPECT_EQ(sent[i].find("X-Only-Put") != std::string::npos, i == 0) << sent[i];
  }
  EXPECT_EQ(sent[0].substr(sent[0].size() - 2), "{}");
  EXPECT_EQ(sent[3].substr(sent[3].size() - 1), "x");
  for (size_t i : {size_t{1}, size_t{2}, size_t{4}}) {
    EXPECT_EQ(sent[i].find("Content-Length"), std::string::npos) << sent[i];
    EXPECT_EQ(sent[i].substr(sent[i].size() - 4), "\r\n\r\n") << sent[i];
  }
  EXPECT_EQ(server.accepted_connections(), 1);
}

// A keep-alive connection the server closes while it is idle: the next
// request gets a new connection, and the closed one does not keep Poll busy.
TEST(TransportTest, IdleConnectionClosedByServerIsReplaced) {
  ScriptedServer server({Script().ReadRequest().Send(HttpResponseBytes(200, "one")).CloseNow(),
                         Script().ReadRequest().Send(HttpResponseBytes(200, "two")).Repeat()});
  ASSERT_TRUE(server.ok());
  auto t = MakeTransport();
  HttpResponse first = RunOne(*t, Get(server.Url()));
  ASSERT_EQ(first.transport_result, S_OK) << first.error_detail;
  // Let the close arrive while nothing is in flight.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(t->Poll(20), 0u);
  HttpResponse second = RunOne(*t, Get(server.Url()));
  ASSERT_EQ(second.transport_result, S_OK) << second.error_detail;
  EXPECT_EQ(second.body, "two");
  EXPECT_EQ(server.accepted_connections(), 2);
}

// With a high admission cap HTTP/1.1 connections are spread over several
// libcurl multi handles; a second round of as many concurrent requests
// reuses every connection the first round opened.
TEST(TransportTest, ConcurrentTransfersOverShardsReuseTheirConnections) {
  ScriptedServer server({Script().ReadRequest().Send(HttpResponseBytes(200, "s")).Repeat()});
  ASSERT_TRUE(server.ok());
  TransportOptions options;
  options.max_in_flight = 1024;
  auto created = CurlTransport::Create(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  CurlTransport& t = **created;
  EXPECT_GT(t.shard_count(), 1u);
  constexpr size_t kConcurrent = 100;
  for (int round = 0; round < 2; ++round) {
    Completions c;
    for (size_t i = 0; i < kConcurrent; ++i) t.Start(Get(server.Url()), c.Add());
    ASSERT_TRUE(PollUntil(t, c, kConcurrent));
    for (const HttpResponse& r : c.responses) {
      ASSERT_EQ(r.transport_result, S_OK) << r.error_detail;
      EXPECT_EQ(r.body, "s");
    }
  }
  EXPECT_EQ(server.accepted_connections(), static_cast<int>(kConcurrent));
}

TEST(ThreadedTransportTest, StartFromSeveralThreads) {
  ScriptedServer server({Script().ReadRequest().Send(HttpResponseBytes(200, "threaded")).Repeat()});
  ASSERT_TRUE(server.ok());
  auto created = CreateThreadedTransport(TransportOptions());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<Transport> t = std::move(created).value();
  EXPECT_FALSE(t->owner_driven());

  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;                // Guarded by mu.
  int ok = 0;                  // Guarded by mu.
  bool foreign_thread = true;  // completions never run on a caller. Guarded by mu.
  std::vector<std::thread::id> caller_ids(kThreads);
  std::vector<std::thread> callers;
  for (int i = 0; i < kThreads; ++i) {
    callers.emplace_back([&, i] {
      caller_ids[static_cast<size_t>(i)] = std::this_thread::get_id();
      for (int j = 0; j < kPerThread; ++j) {
        std::thread::id caller = std::this_thread::get_id();
        t->Start(Get(server.Url("/" + std::to_string(i) + "/" + std::to_string(j))),
                 [&, caller](HttpResponse&& r) {
                   std::lock_guard<std::mutex> lock(mu);
                   ++done;
                   if (r.transport_result == S_OK && r.body == "threaded") ++ok;
                   if (std::this_thread::get_id() == caller) foreign_thread = false;
                   cv.notify_all();
                 });
      }
    });
  }
  for (std::thread& c : callers) c.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kWaitLimit, [&] { return done == kThreads * kPerThread; }));
    EXPECT_EQ(ok, kThreads * kPerThread);
    EXPECT_TRUE(foreign_thread);
  }
  auto deadline = Clock::now() + kWaitLimit;
  while (t->InFlight() != 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  EXPECT_EQ(t->InFlight(), 0u);
}

TEST(ThreadedTransportTest, CancelAndShutdownAbort) {
  ScriptedServer server({Script().ReadRequest()});  // never answers
  ASSERT_TRUE(server.ok());
  auto created = CreateThreadedTransport(TransportOptions());
  ASSERT_TRUE(created.ok());
  std::unique_ptr<Transport> t = std::move(created).value();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<HRESULT> results;  // Guarded by mu.
  auto record = [&](HttpResponse&& r) {
    std::lock_guard<std::mutex> lock(mu);
    results.push_back(r.transport_result);
    cv.notify_all();
  };
  TransferId canceled = t->Start(Get(server.Url("/canceled")), record);
  t->Start(Get(server.Url("/shutdown")), record);
  ASSERT_TRUE(server.WaitForRequests(2, kWaitLimit));
  t->Cancel(canceled);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kWaitLimit, [&] { return results.size() == 1; }));
    EXPECT_EQ(results[0], E_ABORT);
  }
  t.reset();  // the other transfer is aborted by the shutdown
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1], E_ABORT);
}

TEST(ThreadedTransportTest, LastReferenceDroppedFromOwnCompletion) {
  ScriptedServer server({Script().ReadRequest().Send(HttpResponseBytes(200, "bye"))});
  ASSERT_TRUE(server.ok());
  auto created = CreateThreadedTransport(TransportOptions());
  ASSERT_TRUE(created.ok());
  std::shared_ptr<Transport> t(std::move(created).value());
  std::mutex mu;
  std::condition_variable cv;
  bool destroyed = false;  // Guarded by mu.
  // The completion holds the only other reference and drops it.
  auto holder = std::make_shared<std::shared_ptr<Transport>>(t);
  t->Start(Get(server.Url()), [&, holder](HttpResponse&&) {
    holder->reset();
    std::lock_guard<std::mutex> lock(mu);
    destroyed = true;
    cv.notify_all();
  });
  t.reset();
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, kWaitLimit, [&] { return destroyed; }));
}

TEST(TransportCApiTest, CreatePollCloseAndHandles) {
  ScriptedServer server({Script().ReadRequest().Send(HttpResponseBytes(200, "c"))});
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(SrTransportCreate(nullptr, nullptr), E_INVALIDARG);
  SrTransportArgs args{};
  args.OwnerDriven = true;
  args.HttpVersion = SrHttpVersion::Http1_1;
  SrTransportHandle h = nullptr;
  ASSERT_EQ(SrTransportCreate(&args, &h), S_OK);
  Transport* t = TransportFromHandle(h);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->owner_driven());
  bool done = false;
  t->Start(Get(server.Url()), [&](HttpResponse&& r) {
    EXPECT_EQ(r.body, "c");
    done = true;
  });
  EXPECT_EQ(SrTransportInFlight(h), 1u);
  auto deadline = Clock::now() + kWaitLimit;
  while (!done && Clock::now() < deadline) SrTransportPoll(h, 50);
  EXPECT_TRUE(done);
  EXPECT_EQ(SrTransportInFlight(h), 0u);
  SrTransportAddRef(h);
  SrTransportCloseHandle(h);
  SrTransportCloseHandle(h);

  SrTransportHandle d1 = DefaultTransportHandle();
  SrTransportHandle d2 = DefaultTransportHandle();
  ASSERT_NE(d1, nullptr);
  EXPECT_EQ(d1, d2);
  EXPECT_FALSE(TransportFromHandle(d1)->owner_driven());
  EXPECT_EQ(SrTransportPoll(d1, 10), 0u);  // threaded: returns at once
  SrTransportCloseHandle(d1);
  SrTransportCloseHandle(d2);
}

TEST(TransportMappingTest, CurlCodesMapToNamedHResults) {
  EXPECT_EQ(HResultFromCurlCode(CURLE_OK), S_OK);
  EXPECT_EQ(HResultFromCurlCode(CURLE_OPERATION_TIMEDOUT), SR_E_TIMEOUT);
  EXPECT_EQ(HResultFromCurlCode(CURLE_COULDNT_CONNECT), SR_E_CONNECTION_REFUSED);
  EXPECT_EQ(HResultFromCurlCode(CURLE_RECV_ERROR), SR_E_CONNECTION_RESET);
  EXPECT_EQ(HResultFromCurlCode(CURLE_SEND_ERROR), SR_E_CONNECTION_RESET);
  EXPECT_EQ(HResultFromCurlCode(CURLE_GOT_NOTHING), SR_E_CONNECTION_RESET);
  EXPECT_EQ(HResultFromCurlCode(CURLE_PARTIAL_FILE), SR_E_CONNECTION_RESET);
  EXPECT_EQ(HResultFromCurlCode(CURLE_COULDNT_RESOLVE_HOST), SR_E_HOST_NOT_FOUND);
  EXPECT_EQ(HResultFromCurlCode(CURLE_SSL_CONNECT_ERROR), SR_E_TLS);
  EXPECT_EQ(HResultFromCurlCode(CURLE_PEER_FAILED_VERIFICATION), SR_E_TLS);
  EXPECT_EQ(HResultFromCurlCode(CURLE_WEIRD_SERVER_REPLY), SR_E_PROTOCOL);
  EXPECT_EQ(HResultFromCurlCode(CURLE_HTTP2), SR_E_PROTOCOL);
  EXPECT_EQ(HResultFromCurlCode(CURLE_HTTP2_STREAM), SR_E_PROTOCOL);
  EXPECT_EQ(HResultFromCurlCode(CURLE_BAD_CONTENT_ENCODING), SR_E_PROTOCOL);
  EXPECT_EQ(HResultFromCurlCode(CURLE_ABORTED_BY_CALLBACK), E_ABORT);
  EXPECT_EQ(HResultFromCurlCode(CURLE_FAILED_INIT), SR_E_NETWORK);
}

}  // namespace
}  // namespace sessionrig
