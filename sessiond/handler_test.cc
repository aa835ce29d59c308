// In-process tests of the HTTP semantics: no sockets (handler.h).
#include "sessiond/handler.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sessiond/metrics.h"
#include "sessionrig/response_parser.h"

namespace sessionrig::sessiond {
namespace {

namespace http = boost::beast::http;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kSecret[] = "handler-test-secret-0123456789";
constexpr char kUrl[] =
    "/serviceconfigs/00000000-0000-0000-0000-000000000001/sessionTemplates/lobby/sessions/s1";

HandlerOptions Options() {
  HandlerOptions o;
  o.secret = kSecret;
  return o;
}

class SessiondHandlerTest : public ::testing::Test {
 protected:
  explicit SessiondHandlerTest(HandlerOptions options = Options())
      : handler_(std::move(options), &metrics_) {}

  HttpResponse Send(http::verb verb, const std::string& target, const Headers& headers,
                    std::string body = "", bool loopback = true) {
    return Call(verb, target, headers, std::move(body), loopback).response;
  }

  HandlerResult Call(http::verb verb, const std::string& target, const Headers& headers,
                     std::string body = "", bool loopback = true) {
    HttpRequest req{verb, target, 11};
    for (const auto& [k, v] : headers) req.insert(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    return handler_.HandleRequest(req, RequestInfo{loopback, {}});
  }

  // Authenticated, versioned headers for `xuid`, plus `extra`.
  static Headers As(const std::string& xuid, Headers extra = {}) {
    Headers h = {{"Authorization", DevAuthorizationHeader(kSecret, xuid)},
                 {"x-xbl-contract-version", "107"}};
    for (auto& e : extra) h.push_back(std::move(e));
    return h;
  }

  HttpResponse Put(const std::string& xuid, std::string body, Headers extra = {}) {
    return Send(http::verb::put, kUrl, As(xuid, std::move(extra)), std::move(body));
  }
  HttpResponse Get(Headers extra = {}) {
    return Send(http::verb::get, kUrl, As("1", std::move(extra)));
  }

  static std::string Etag(const HttpResponse& r) {
    auto it = r.find(http::field::etag);
    return it == r.end() ? "" : std::string(it->value());
  }
  static Json Doc(const HttpResponse& r) { return Json::parse(r.body()); }

  Metrics metrics_;
  Handler handler_;
};

// "0,0,...,0" with `n` items.
std::string ZeroList(int n) {
  std::string out = "0";
  for (int i = 1; i < n; ++i) out += ",0";
  return out;
}

constexpr char kJoin[] = R"({"members":{"me":{"properties":{"system":{"active":true}}}}})";
constexpr char kLeave[] = R"({"members":{"me":null}})";

TEST_F(SessiondHandlerTest, ConditionalWritesAndReads) {
  EXPECT_EQ(Get().result_int(), 204u);
  auto created = Put("1", kJoin, {{"If-None-Match", "*"}});
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const std::string e1 = Etag(created);
  ASSERT_FALSE(e1.empty());
  EXPECT_EQ(e1.front(), '"');
  EXPECT_EQ(Doc(created)["membersInfo"]["count"], 1);
  EXPECT_EQ(created[http::field::content_type], "application/json; charset=utf-8");

  auto again = Put("2", kJoin, {{"If-None-Match", "*"}});
  EXPECT_EQ(again.result_int(), 412u);
  EXPECT_EQ(Etag(again), e1);
  EXPECT_EQ(Doc(again)["membersInfo"]["count"], 1);

  auto updated = Put("2", kJoin, {{"If-Match", e1}});
  ASSERT_EQ(updated.result_int(), 200u) << updated.body();
  const std::string e2 = Etag(updated);
  EXPECT_NE(e2, e1);
  EXPECT_EQ(Doc(updated)["changeNumber"], 2);

  auto stale = Put("3", kJoin, {{"If-Match", e1}});
  EXPECT_EQ(stale.result_int(), 412u);
  EXPECT_EQ(Etag(stale), e2);
  EXPECT_EQ(Doc(stale)["membersInfo"]["count"], 2);
  EXPECT_EQ(Put("3", kJoin, {{"If-Match", "W/" + e2}}).result_int(), 412u);  // weak never matches
  EXPECT_EQ(Put("3", kJoin, {{"If-Match", "\"nope\", " + e2}}).result_int(), 200u);

  const std::string e3 = Etag(Get());
  EXPECT_EQ(Get({{"If-None-Match", e3}}).result_int(), 304u);
  EXPECT_EQ(Etag(Get({{"If-None-Match", e3}})), e3);
  EXPECT_EQ(Get({{"If-None-Match", "*"}}).result_int(), 304u);
  EXPECT_EQ(Get({{"If-None-Match", e1}}).result_int(), 200u);

  // If-Match: * updates an existing session. Even a delta that changes
  // nothing is a new version, so a second writer on e3 must lose.
  auto noop = Put("3", kJoin, {{"If-Match", e3}});
  EXPECT_EQ(noop.result_int(), 200u);
  EXPECT_NE(Etag(noop), e3);
  EXPECT_EQ(Put("3", kJoin, {{"If-Match", e3}}).result_int(), 412u);
  EXPECT_EQ(Put("3", kJoin, {{"If-Match", "*"}}).result_int(), 200u);

  // The last member leaving a sessionEmptyTimeout-0 session deletes it.
  EXPECT_EQ(Put("1", kLeave).result_int(), 200u);
  EXPECT_EQ(Put("2", kLeave).result_int(), 200u);
  EXPECT_EQ(Put("3", kLeave).result_int(), 204u);
  EXPECT_EQ(Get().result_int(), 204u);
  EXPECT_EQ(handler_.store().session_count(), 0u);
  // Preconditions on a missing session.
  auto missing = Put("1", kJoin, {{"If-Match", e3}});
  EXPECT_EQ(missing.result_int(), 412u);
  EXPECT_EQ(Etag(missing), "");
  EXPECT_EQ(Put("1", kJoin, {{"If-Match", "*"}}).result_int(), 412u);
  EXPECT_EQ(Get().result_int(), 204u);
  // ETags are never reused, even for a new session under the same name.
  auto recreated = Put("1", kJoin);
  EXPECT_EQ(recreated.result_int(), 201u);
  for (const std::string& old : {e1, e2, e3}) {
    EXPECT_NE(Etag(recreated), old);
  }
  EXPECT_EQ(metrics_.sessions(), 1);
  EXPECT_EQ(metrics_.members(), 1);
}

TEST_F(SessiondHandlerTest, ContractVersionIsRequired) {
  Headers h = {{"Authorization", DevAuthorizationHeader(kSecret, "1")}};
  auto missing = Send(http::verb::get, kUrl, h);
  EXPECT_EQ(missing.result_int(), 400u);
  EXPECT_NE(missing.body().find("x-xbl-contract-version"), std::string::npos);
  for (const char* v : {"106", "1070", "", "abc"}) {
    Headers bad = h;
    bad.emplace_back("x-xbl-contract-version", v);
    EXPECT_EQ(Send(http::verb::get, kUrl, bad).result_int(), 400u) << v;
  }
  for (const char* v : {"104", "105", "107"}) {
    Headers good = h;
    good.emplace_back("x-xbl-contract-version", v);
    EXPECT_EQ(Send(http::verb::get, kUrl, good).result_int(), 204u) << v;
  }
}

TEST_F(SessiondHandlerTest, AuthenticationAndMemberProtection) {
  auto none = Send(http::verb::put, kUrl, {{"x-xbl-contract-version", "107"}}, kJoin);
  EXPECT_EQ(none.result_int(), 401u);
  EXPECT_EQ(none[http::field::www_authenticate], "XBL3.0");
  auto forged = Send(http::verb::put, kUrl,
                     {{"x-xbl-contract-version", "107"},
                      {"Authorization", "XBL3.0 x=2;" + MintDevToken(kSecret, "1")}},
                     kJoin);
  EXPECT_EQ(forged.result_int(), 401u);
  // A token whose MAC is right for an xuid sessiond would not store (it was
  // a 500 from the store's validation).
  for (const char* xuid : {"01", "18446744073709551616"}) {
    auto refused = Put(xuid, kJoin);
    EXPECT_EQ(refused.result_int(), 401u) << xuid;
    EXPECT_EQ(refused.body(), "Authorization xuid is not a decimal uint64 without leading zeros\n");
  }
  EXPECT_EQ(metrics_.sessions(), 0);
  ASSERT_EQ(Put("1", kJoin).result_int(), 201u);
  const std::string etag = Etag(Get());
  // Touching another member's entry, or naming another xuid as "me".
  EXPECT_EQ(Put("2", R"({"members":{"0":null}})").result_int(), 403u);
  EXPECT_EQ(
      Put("2", R"({"members":{"0":{"properties":{"system":{"active":false}}}}})").result_int(),
      403u);
  EXPECT_EQ(Put("2", R"({"members":{"me":{"constants":{"system":{"xuid":"1"}}}}})").result_int(),
            403u);
  EXPECT_EQ(Etag(Get()), etag);
}

TEST_F(SessiondHandlerTest, AnExpiredTokenIs401SayingItExpired) {
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  auto expired = Send(http::verb::put, kUrl,
                      {{"x-xbl-contract-version", "107"},
                       {"Authorization", DevAuthorizationHeader(kSecret, "1", now_s - 10)}},
                      kJoin);
  EXPECT_EQ(expired.result_int(), 401u);
  EXPECT_EQ(expired[http::field::www_authenticate], "XBL3.0");
  EXPECT_NE(expired.body().find("token for xuid 1 expired at "), std::string::npos)
      << expired.body();
  EXPECT_EQ(metrics_.sessions(), 0);
  // The same user with a fresh token is served.
  auto fresh = Send(http::verb::put, kUrl,
                    {{"x-xbl-contract-version", "107"},
                     {"Authorization", DevAuthorizationHeader(kSecret, "1", now_s + 60)}},
                    kJoin);
  EXPECT_EQ(fresh.result_int(), 201u);
}

TEST_F(SessiondHandlerTest, RoutesMethodsAndUrls) {
  EXPECT_EQ(Send(http::verb::get, "/nope", As("1")).result_int(), 404u);
  EXPECT_EQ(
      Send(http::verb::get, "/serviceconfigs/a/sessionTemplates/b/sessions", As("1")).result_int(),
      404u);
  EXPECT_EQ(Send(http::verb::get, "/serviceconfigs/a/sessionTemplates/b/sessions/c/d", As("1"))
                .result_int(),
            404u);
  EXPECT_EQ(Send(http::verb::get, "/serviceconfigs/a/sessionTemplates/b/sessions/c%20d", As("1"))
                .result_int(),
            404u);
  EXPECT_EQ(
      Send(http::verb::get, "/serviceconfigs//sessionTemplates/b/sessions/c", As("1")).result_int(),
      404u);
  auto del = Send(http::verb::delete_, kUrl, As("1"));
  EXPECT_EQ(del.result_int(), 405u);
  EXPECT_EQ(del[http::field::allow], "GET, PUT");
  EXPECT_EQ(Send(http::verb::post, kUrl, As("1"), kJoin).result_int(), 405u);
  EXPECT_EQ(Send(http::verb::get, std::string(kUrl) + "?x=" + std::string(3000, 'a'), As("1"))
                .result_int(),
            414u);
  EXPECT_EQ(Send(http::verb::get, "/healthz", {}).result_int(), 200u);
  // Names are case-insensitive.
  ASSERT_EQ(Put("1", kJoin).result_int(), 201u);
  std::string upper = kUrl;
  upper.replace(upper.rfind("s1"), 2, "S1");
  EXPECT_EQ(Send(http::verb::get, upper, As("1")).result_int(), 200u);
}

TEST_F(SessiondHandlerTest, BadInputChangesNothing) {
  ASSERT_EQ(Put("1", kJoin).result_int(), 201u);
  const std::string etag = Etag(Get());
  struct Case {
    const char* name;
    std::string body;
    Headers extra;
    unsigned status;
  };
  const std::vector<Case> cases = {
      {"empty body", "", {}, 400},
      {"malformed", "{\"members\":", {}, 400},
      {"trailing bytes", "{} {}", {}, 400},
      {"duplicate keys", R"({"properties":{},"properties":{}})", {}, 400},
      {"invalid utf-8", "{\"properties\":{\"custom\":{\"a\":\"\xff\"}}}", {}, 400},
      {"not an object", "[1,2,3]", {}, 400},
      {"wrong type", R"({"properties":{"system":{"closed":"yes"}}})", {}, 400},
      {"unknown field", R"({"surprise":1})", {}, 400},
      {"deep nesting", std::string(100, '[') + std::string(100, ']'), {}, 400},
      {"huge container", R"({"properties":{"custom":{"l":[)" + ZeroList(5000) + "]}}}", {}, 400},
      {"huge string",
       R"({"properties":{"custom":{"s":")" + std::string(70000, 'x') + "\"}}}",
       {},
       400},
      {"constants change", R"({"constants":{"system":{"maxMembersCount":5}}})", {}, 409},
      {"bad If-Match", kJoin, {{"If-Match", "abc"}}, 400},
      {"bad If-None-Match", kJoin, {{"If-None-Match", "\"a\", b"}}, 400},
      {"content type", kJoin, {{"Content-Type", "text/plain"}}, 400},
      {"content type prefix", kJoin, {{"Content-Type", "application/jsonx"}}, 400},
      {"duplicate header", kJoin, {{"If-Match", "*"}, {"If-Match", "*"}}, 400},
  };
  for (const Case& c : cases) {
    auto r = Put("2", c.body, c.extra);
    EXPECT_EQ(r.result_int(), c.status) << c.name << ": " << r.body();
    EXPECT_FALSE(r.body().empty()) << c.name;
    EXPECT_EQ(Etag(Get()), etag) << c.name;
  }
  // A 4096-item array is fine, one more is not.
  const std::string ok_list = R"({"properties":{"custom":{"l":[)" + ZeroList(4096);
  EXPECT_EQ(Put("2", ok_list + "]}}}", {{"Content-Type", "Application/JSON ; charset=utf-8"}})
                .result_int(),
            200u);
  EXPECT_EQ(Put("2", ok_list + ",0]}}}").result_int(), 400u);
}

// What a client makes of a GET answer: S_OK and a session, or why not.
std::string ClientReads(const HttpResponse& r) {
  HeaderList headers;
  for (const auto& f : r)
    headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  ParsedResponse parsed = ParseGetResponse(r.result_int(), headers, r.body());
  if (parsed.hr == S_OK && parsed.session != nullptr) return "ok";
  return "hr " + std::to_string(parsed.hr) + ": " + parsed.detail.ToString();
}

bool Names(const HttpResponse& r, const std::string& field) {
  return r.body().find("refused by clients") != std::string::npos &&
         r.body().find(field) != std::string::npos;
}

// `n` JSON strings "<prefix>0", "<prefix>1", ... as a comma-separated list.
std::string Strings(int n, const std::string& prefix = "k") {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i == 0 ? "\"" : ",\"") + prefix + std::to_string(i) + "\"";
  return out;
}

// Object members "c<from>":1 .. "c<to - 1>":1, comma-separated.
std::string Keys(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out += (i == from ? "\"c" : ",\"c") + std::to_string(i) + "\":1";
  return out;
}

// Writes whose merged document the core's client parser would refuse (values
// sessiond's own type checks let through): each is refused with a message
// naming the field, and the stored session (ETag and bytes) is unchanged
// and still readable by clients.
TEST_F(SessiondHandlerTest, UpdatesClientsCouldNotReadAreRefused) {
  ASSERT_EQ(Put("1", kJoin).result_int(), 201u);
  const std::string k5000(5000, 'k');
  struct Case {
    const char* name;
    std::string caller;
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"turn over 2^32-1", "1", R"({"properties":{"system":{"turn":[4294967296]}}})",
       "properties.system.turn[0]"},
      {"owners over 2^32-1", "1", R"({"properties":{"system":{"owners":[0,4294967296]}}})",
       "properties.system.owners[1]"},
      {"keyword of 5000 bytes", "1",
       R"({"properties":{"system":{"keywords":["a",")" + k5000 + "\"]}}}",
       "properties.system.keywords[1]"},
      {"1001 keywords", "1", R"({"properties":{"system":{"keywords":[)" + Strings(1001) + "]}}}",
       "properties.system.keywords has 1001 items"},
      {"host of 5000 bytes", "1", R"({"properties":{"system":{"host":")" + k5000 + "\"}}}",
       "properties.system.host"},
      {"secureDeviceAddress of 5000 bytes", "1",
       R"({"members":{"me":{"properties":{"system":{"secureDeviceAddress":")" + k5000 + "\"}}}}}",
       "members.0.properties.system.secureDeviceAddress"},
  };
  for (const Case& c : cases) {
    auto before = Get();
    ASSERT_EQ(before.result_int(), 200u);
    auto r = Put(c.caller, c.body);
    EXPECT_EQ(r.result_int(), 400u) << c.name << ": " << r.body();
    EXPECT_TRUE(Names(r, c.field)) << c.name << ": " << r.body();
    EXPECT_TRUE(r.keep_alive()) << c.name;
    auto after = Get();
    EXPECT_EQ(Etag(after), Etag(before)) << c.name;
    EXPECT_EQ(after.body(), before.body()) << c.name;
    EXPECT_EQ(ClientReads(after), "ok") << c.name;
  }
  // The same fields within the client's limits are fine.
  EXPECT_EQ(Put("1", R"({"properties":{"system":{"turn":[4294967295],"host":")" +
                         std::string(4096, 'h') + R"(","keywords":[)" + Strings(1000) + "]}}}")
                .result_int(),
            200u);
  EXPECT_EQ(Put("18446744073709551615", R"({"members":{"me":{}}})").result_int(), 200u);
  EXPECT_EQ(ClientReads(Get()), "ok");
}

// Constants are written only at creation: a creation clients could not read
// creates nothing.
TEST_F(SessiondHandlerTest, CreationsClientsCouldNotReadAreRefused) {
  const std::string base = "/serviceconfigs/a/sessionTemplates/b/sessions/";
  struct Case {
    const char* name;
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"initiators not xuids", R"({"constants":{"system":{"initiators":["abc"]}}})",
       "constants.system.initiators[0]"},
      {"version -1", R"({"constants":{"system":{"version":-1}}})", "constants.system.version"},
      {"version over 2^32-1", R"({"constants":{"system":{"version":4294967296}}})",
       "constants.system.version"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string url = base + "c" + std::to_string(n++);
    auto r = Send(http::verb::put, url, As("1", {{"If-None-Match", "*"}}), c.body);
    EXPECT_EQ(r.result_int(), 400u) << c.name << ": " << r.body();
    EXPECT_TRUE(Names(r, c.field)) << c.name << ": " << r.body();
    EXPECT_EQ(Send(http::verb::get, url, As("1")).result_int(), 204u) << c.name;
  }
  EXPECT_EQ(handler_.store().session_count(), 0u);
  EXPECT_EQ(metrics_.sessions(), 0);
  auto ok = Send(http::verb::put, base + "ok", As("1"),
                 R"({"constants":{"system":{"version":4294967295,"initiators":["1"]}}})");
  EXPECT_EQ(ok.result_int(), 201u) << ok.body();
}

// Each write is within every request limit, but the session grows past what
// a client reads: more than 4096 keys in one object.
TEST_F(SessiondHandlerTest, ObjectsCannotOutgrowClientsOverSeveralWrites) {
  ASSERT_EQ(Put("1", R"({"properties":{"custom":{)" + Keys(0, 4000) + "}}}").result_int(), 201u);
  ASSERT_EQ(Put("1", R"({"properties":{"custom":{)" + Keys(4000, 4096) + "}}}").result_int(), 200u);
  auto before = Get();
  auto r = Put("1", R"({"properties":{"custom":{"one_more":1}}})");
  EXPECT_EQ(r.result_int(), 400u) << r.body();
  EXPECT_TRUE(Names(r, "properties.custom has 4097 items")) << r.body();
  auto after = Get();
  EXPECT_EQ(Etag(after), Etag(before));
  EXPECT_EQ(after.body(), before.body());
  EXPECT_EQ(ClientReads(after), "ok");
  // Replacing a key (null deletes) keeps the count, and is fine.
  EXPECT_EQ(Put("1", R"({"properties":{"custom":{"c0":null,"one_more":1}}})").result_int(), 200u);
  // So are servers, merged the same way.
  ASSERT_EQ(Put("1", R"({"servers":{)" + Keys(0, 4096) + "}}").result_int(), 200u);
  auto servers = Put("1", R"({"servers":{"one_more":{}}})");
  EXPECT_EQ(servers.result_int(), 400u);
  EXPECT_TRUE(Names(servers, "servers has 4097 items")) << servers.body();
}

// Each write is far below the body limit, but the document grows past the
// 1 MiB a client reads: 413, and nothing stored.
TEST_F(SessiondHandlerTest, DocumentCannotOutgrowClientsOverSeveralWrites) {
  const std::string chunk(60000, 'x');
  ASSERT_EQ(Put("1", kJoin).result_int(), 201u);
  HttpResponse r;
  int written = 0;
  for (; written < 40; ++written) {
    r = Put("1", R"({"properties":{"custom":{"s)" + std::to_string(written) + R"(":")" + chunk +
                     "\"}}}");
    if (r.result_int() != 200u) break;
  }
  EXPECT_EQ(written, 17);  // 17 * 60000 bytes fit in 1 MiB, 18 do not
  EXPECT_EQ(r.result_int(), 413u) << r.body();
  EXPECT_TRUE(Names(r, "bytes, over the limit of 1048576")) << r.body();
  EXPECT_TRUE(r.keep_alive());
  auto after = Get();
  EXPECT_LE(after.body().size(), std::size_t{1} << 20);
  EXPECT_EQ(Doc(after)["properties"]["custom"].size(), 17u);
  EXPECT_EQ(ClientReads(after), "ok");
  // A write that shrinks it is fine.
  EXPECT_EQ(Put("1", R"({"properties":{"custom":{"s0":null}}})").result_int(), 200u);
}

TEST_F(SessiondHandlerTest, AdminEndpointIsLoopbackOnly) {
  EXPECT_EQ(Send(http::verb::get, "/admin/faults", {}, "", /*loopback=*/false).result_int(), 403u);
  EXPECT_EQ(Send(http::verb::put, "/admin/faults", {}, R"(["error=503:1"])", false).result_int(),
            403u);
  EXPECT_TRUE(handler_.faults().empty());
  auto set = Send(http::verb::put, "/admin/faults", {},
                  R"({"inject":["error=503:1","latency=fixed:1ms"]})");
  ASSERT_EQ(set.result_int(), 200u) << set.body();
  EXPECT_EQ(Doc(set)["inject"], Json::parse(R"(["error=503:1","latency=fixed:1ms"])"));
  auto bad = Send(http::verb::put, "/admin/faults", {}, R"(["error=404:1"])");
  EXPECT_EQ(bad.result_int(), 400u);
  EXPECT_NE(bad.body().find("error=404:1"), std::string::npos);
  EXPECT_EQ(handler_.faults().size(), 2u);  // unchanged
  EXPECT_EQ(Send(http::verb::put, "/admin/faults", {}, R"({"inject":"x"})").result_int(), 400u);
  EXPECT_EQ(Send(http::verb::post, "/admin/faults", {}, "").result_int(), 405u);
  EXPECT_EQ(Send(http::verb::get, "/admin/other", {}).result_int(), 404u);
  EXPECT_EQ(Doc(Send(http::verb::delete_, "/admin/faults", {}))["inject"], Json::array());
  EXPECT_TRUE(handler_.faults().empty());
}

TEST_F(SessiondHandlerTest, InjectedErrorsServeNothing) {
  ASSERT_TRUE(handler_.SetFaults({"error=503:1,retry_after=7s", "latency=fixed:4ms"}).ok());
  auto r = Call(http::verb::put, kUrl, As("1"), kJoin);
  EXPECT_EQ(r.response.result_int(), 503u);
  EXPECT_EQ(r.response[http::field::retry_after], "7");
  EXPECT_EQ(r.delay, Micros(4000));
  EXPECT_EQ(handler_.store().session_count(), 0u);
  EXPECT_EQ(metrics_.faults_injected(FaultKind::kError503), 1);
  EXPECT_EQ(metrics_.faults_injected(FaultKind::kLatency), 1);
  ASSERT_TRUE(handler_.SetFaults({"error=429:1"}).ok());
  auto throttled = Put("1", kJoin);
  EXPECT_EQ(throttled.result_int(), 429u);
  EXPECT_EQ(Doc(throttled)["code"], 429);
  ASSERT_TRUE(handler_.SetFaults({"error=500:1"}).ok());
  EXPECT_EQ(Put("1", kJoin).result_int(), 500u);
  // Admin and health routes are never faulted.
  EXPECT_EQ(Send(http::verb::get, "/healthz", {}).result_int(), 200u);
  EXPECT_EQ(Send(http::verb::get, "/admin/faults", {}).result_int(), 200u);
}

TEST_F(SessiondHandlerTest, WireFaultsAreDecidedAndRendered) {
  ASSERT_TRUE(handler_.SetFaults({"malformed=truncated:1"}).ok());
  HandlerResult r = Call(http::verb::put, kUrl, As("1"), kJoin);
  EXPECT_EQ(r.wire_fault, WireFault::kTruncated);
  EXPECT_EQ(r.response.result_int(), 201u);  // the write happened; only the bytes are damaged
  EXPECT_EQ(metrics_.faults_injected(FaultKind::kTruncated), 1);
  const std::string& body = r.response.body();
  const std::string etag = Etag(r.response);

  auto split = [](const std::string& bytes) {
    const std::size_t end = bytes.find("\r\n\r\n");
    return std::make_pair(bytes.substr(0, end), bytes.substr(end + 4));
  };
  auto truncated = RenderWire(r.response, WireFault::kTruncated);
  EXPECT_EQ(truncated.after, WireBytes::After::kClose);
  EXPECT_NE(split(truncated.bytes).first.find("Content-Length: " + std::to_string(body.size())),
            std::string::npos);
  EXPECT_EQ(split(truncated.bytes).second, body.substr(0, body.size() / 2));
  EXPECT_EQ(truncated.bytes.rfind("HTTP/1.1 201 Created\r\n", 0), 0u);

  auto wrong = RenderWire(r.response, WireFault::kWrongLength);
  EXPECT_NE(split(wrong.bytes).first.find("Content-Length: " + std::to_string(body.size() / 2)),
            std::string::npos);
  EXPECT_EQ(split(wrong.bytes).second, body);

  auto invalid = RenderWire(r.response, WireFault::kInvalidJson);
  EXPECT_EQ(invalid.after, WireBytes::After::kKeepAlive);
  EXPECT_FALSE(ParseJsonStrict(split(invalid.bytes).second).ok());

  auto bad_etag = RenderWire(r.response, WireFault::kBadEtag);
  std::string unquoted = etag.substr(1, etag.size() - 2);
  EXPECT_NE(bad_etag.bytes.find("ETag: " + unquoted + "\r\n"), std::string::npos);
  EXPECT_EQ(split(bad_etag.bytes).second, body);

  auto reset = RenderWire(r.response, WireFault::kReset);
  EXPECT_EQ(reset.after, WireBytes::After::kReset);
  EXPECT_EQ(split(reset.bytes).second.size(), body.size() / 2);
}

class SessiondIgnoreIfMatchTest : public SessiondHandlerTest {
 protected:
  static HandlerOptions Broken() {
    HandlerOptions o = Options();
    o.store.testing_ignore_if_match = true;
    return o;
  }
  SessiondIgnoreIfMatchTest() : SessiondHandlerTest(Broken()) {}
};

TEST_F(SessiondIgnoreIfMatchTest, StaleWritesAreAppliedOnPurpose) {
  auto created = Put("1", R"({"properties":{"custom":{"list":["a"]}}})");
  ASSERT_EQ(created.result_int(), 201u);
  const std::string e1 = Etag(created);
  ASSERT_EQ(
      Put("1", R"({"properties":{"custom":{"list":["a","b"]}}})", {{"If-Match", e1}}).result_int(),
      200u);
  // Stale: a correct server answers 412; this one loses "b".
  auto lost = Put("1", R"({"properties":{"custom":{"list":["a","c"]}}})", {{"If-Match", e1}});
  EXPECT_EQ(lost.result_int(), 200u);
  EXPECT_EQ(Doc(Get())["properties"]["custom"]["list"], Json::parse(R"(["a","c"])"));
  // If-None-Match: * is still honoured.
  EXPECT_EQ(Put("1", "{}", {{"If-None-Match", "*"}}).result_int(), 412u);
}

class SessiondLimitedStoreTest : public SessiondHandlerTest {
 protected:
  static HandlerOptions Limited() {
    HandlerOptions o = Options();
    o.store.max_sessions = 2;
    o.retry_after = std::chrono::seconds(3);
    return o;
  }
  SessiondLimitedStoreTest() : SessiondHandlerTest(Limited()) {}
};

TEST_F(SessiondLimitedStoreTest, SessionLimitAnswers503WithRetryAfter) {
  const std::string base = "/serviceconfigs/a/sessionTemplates/b/sessions/";
  EXPECT_EQ(Send(http::verb::put, base + "1", As("1"), kJoin).result_int(), 201u);
  EXPECT_EQ(Send(http::verb::put, base + "2", As("1"), kJoin).result_int(), 201u);
  auto full = Send(http::verb::put, base + "3", As("1"), kJoin);
  EXPECT_EQ(full.result_int(), 503u);
  EXPECT_EQ(full[http::field::retry_after], "3");
  EXPECT_EQ(Send(http::verb::get, base + "3", As("1")).result_int(), 204u);
  // Updates still work, and a deletion frees a slot.
  EXPECT_EQ(Send(http::verb::put, base + "1", As("2"), kJoin).result_int(), 200u);
  EXPECT_EQ(Send(http::verb::put, base + "2", As("1"), kLeave).result_int(), 204u);
  EXPECT_EQ(Send(http::verb::put, base + "3", As("1"), kJoin).result_int(), 201u);
}

TEST_F(SessiondHandlerTest, TimeoutsRemoveEmptySessionsAndStaleReservations) {
  ASSERT_EQ(
      Put("1", R"({"constants":{"system":{"sessionEmptyTimeout":50,"reservedRemovalTimeout":30}},
      "members":{"me":{},"reserve_0":{"constants":{"system":{"xuid":"9"}}}}})")
          .result_int(),
      201u);
  auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(handler_.store().Sweep(now), 0u);
  EXPECT_EQ(Doc(Get())["membersInfo"]["count"], 2);
  // The reservation expires after 30 ms.
  EXPECT_EQ(handler_.store().Sweep(now + std::chrono::milliseconds(40)), 0u);
  Json doc = Doc(Get());
  EXPECT_EQ(doc["membersInfo"]["count"], 1);
  EXPECT_EQ(doc["changeNumber"], 2);
  // The last member leaves: the session stays until sessionEmptyTimeout.
  EXPECT_EQ(Put("1", kLeave).result_int(), 200u);
  EXPECT_EQ(handler_.store().Sweep(std::chrono::steady_clock::now()), 0u);
  EXPECT_EQ(Get().result_int(), 200u);
  EXPECT_EQ(
      handler_.store().Sweep(std::chrono::steady_clock::now() + std::chrono::milliseconds(60)), 1u);
  EXPECT_EQ(Get().result_int(), 204u);
  EXPECT_EQ(metrics_.sessions(), 0);
  EXPECT_EQ(metrics_.members(), 0);
}

TEST_F(SessiondHandlerTest, ConcurrentInProcessWritersNeverShareAnEtag) {
  ASSERT_EQ(Put("1", R"({"properties":{"custom":{"n":0}}})").result_int(), 201u);
  constexpr int kThreads = 4;
  constexpr int kWrites = 200;
  std::vector<std::vector<std::string>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites;) {
        auto cur = Get();
        const int n = Doc(cur)["properties"]["custom"]["n"].get<int>();
        auto r = Put(std::to_string(t + 1),
                     R"({"properties":{"custom":{"n":)" + std::to_string(n + 1) + "}}}",
                     {{"If-Match", Etag(cur)}});
        if (r.result_int() == 200u) {
          seen[static_cast<std::size_t>(t)].push_back(Etag(r));
          ++i;
        } else {
          ASSERT_EQ(r.result_int(), 412u);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Doc(Get())["properties"]["custom"]["n"], kThreads * kWrites);
  std::set<std::string> all;
  for (const auto& v : seen) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kWrites));
}

}  // namespace
}  // namespace sessionrig::sessiond

namespace sessionrig::sessiond {
namespace {

// A large session is served to each caller as "me" alone, in every answer
// that carries the document (200, 201, 412, GET), under one ETag.
TEST_F(SessiondHandlerTest, LargeSessionsListOnlyTheCallerAsMe) {
  HttpResponse created =
      Put("1",
          R"({"constants":{"system":{"maxMembersCount":1000,"capabilities":{"large":true}}},)"
          R"("members":{"me":{"properties":{"system":{"active":true}}}}})",
          {{"If-None-Match", "*"}});
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  EXPECT_EQ(Doc(created)["members"]["me"]["constants"]["system"]["xuid"], "1");
  HttpResponse second = Put("2", kJoin);
  ASSERT_EQ(second.result_int(), 200u) << second.body();
  const Json doc = Doc(second);
  ASSERT_EQ(doc["members"].size(), 1u);
  EXPECT_EQ(doc["members"]["me"]["constants"]["system"]["xuid"], "2");
  EXPECT_EQ(doc["membersInfo"]["count"], 2);

  HttpResponse read = Get();  // as "1"
  EXPECT_EQ(Doc(read)["members"]["me"]["constants"]["system"]["index"], 0);
  HttpResponse stale = Put("2", kJoin, {{"If-Match", Etag(created)}});
  ASSERT_EQ(stale.result_int(), 412u);
  EXPECT_EQ(Doc(stale)["members"]["me"]["constants"]["system"]["xuid"], "2");
  EXPECT_EQ(Etag(stale), Etag(read));
  // What clients parse: one member, the caller.
  ParsedResponse parsed = ParseGetResponse(
      200, {{"Content-Type", "application/json"}, {"ETag", Etag(read)}}, read.body());
  ASSERT_EQ(parsed.hr, S_OK) << parsed.detail.ToString();
  EXPECT_TRUE(parsed.session->members_as_me);
  ASSERT_EQ(parsed.session->members.size(), 1u);
}

// The transport writes AppendResponseHead's bytes and the body instead of
// running Beast's serializer: the same bytes, for every kind of response.
TEST_F(SessiondHandlerTest, ResponseHeadIsWhatBeastsSerializerWrites) {
  auto expect_same = [](const HttpResponse& r) {
    std::ostringstream beast;
    beast << r;
    std::string ours;
    AppendResponseHead(r, &ours);
    ours += r.body();
    EXPECT_EQ(ours, beast.str());
  };
  const HttpResponse created = Put("1", kJoin);
  ASSERT_EQ(created.result_int(), 201u);
  expect_same(created);
  expect_same(Put("2", kJoin));                                                          // 200
  expect_same(Get());                                                                    // 200
  expect_same(Get({{"If-None-Match", Etag(Get())}}));                                    // 304
  expect_same(Put("2", kJoin, {{"If-Match", Etag(created)}}));                           // 412
  expect_same(Put("2", "{"));                                                            // 400
  expect_same(Send(http::verb::put, kUrl, {{"x-xbl-contract-version", "107"}}, kJoin));  // 401
  expect_same(Send(http::verb::delete_, kUrl, As("1")));  // 405 with Allow
  expect_same(Send(http::verb::get, "/nowhere", {}));     // 404
  expect_same(Put("1", kLeave));                          // 200
  // HTTP/1.0 with keep-alive, a closing HTTP/1.1 request, a custom reason.
  HttpRequest old{http::verb::get, kUrl, 10};
  for (const auto& [k, v] : As("1", {{"Connection", "keep-alive"}})) old.insert(k, v);
  expect_same(handler_.HandleRequest(old, RequestInfo{}).response);
  HttpRequest closing{http::verb::get, "/healthz", 11};
  closing.keep_alive(false);
  expect_same(handler_.HandleRequest(closing, RequestInfo{}).response);
  HttpResponse custom{http::status::ok, 11};
  custom.reason("Fine");
  custom.set(http::field::server, "sessiond");
  custom.body() = "x";
  custom.prepare_payload();
  expect_same(custom);
}

// With share_document (the transport's setting) a session document is the
// store's cached bytes, not a copy: the same bytes on the wire, and the
// same buffer for every response of one version.
TEST_F(SessiondHandlerTest, DocumentsAreTheStoresCachedBytes) {
  auto call = [&](http::verb verb, const Headers& headers, const std::string& body) {
    HttpRequest req{verb, kUrl, 11};
    for (const auto& [k, v] : headers) req.insert(k, v);
    req.body() = body;
    req.prepare_payload();
    RequestInfo info;
    info.share_document = true;
    return handler_.HandleRequest(req, info);
  };
  // The bytes a connection writes, against Beast's serializer of the same
  // response with the document as its body.
  auto expect_wire = [](const HandlerResult& r) {
    ASSERT_NE(r.document, nullptr);
    EXPECT_TRUE(r.response.body().empty());
    HttpResponse copy = r.response;
    copy.body() = *r.document;
    copy.prepare_payload();
    std::ostringstream beast;
    beast << copy;
    std::string ours;
    AppendResponseHead(r.response, &ours);
    ours += *r.document;
    EXPECT_EQ(ours, beast.str());
  };
  const HandlerResult created = call(http::verb::put, As("1"), kJoin);
  ASSERT_EQ(created.response.result_int(), 201u);
  expect_wire(created);
  const HandlerResult read = call(http::verb::get, As("2"), "");
  ASSERT_EQ(read.response.result_int(), 200u);
  expect_wire(read);
  EXPECT_EQ(read.document.get(), created.document.get());  // serialized once
  EXPECT_EQ(*read.document, Get().body());                 // the copy without sharing
  const HandlerResult stale =
      call(http::verb::put, As("2", {{"If-Match", "\"not-the-etag\""}}), kJoin);
  ASSERT_EQ(stale.response.result_int(), 412u);
  expect_wire(stale);
  EXPECT_EQ(stale.document.get(), created.document.get());
  // Everything else keeps its body.
  const HandlerResult missing = call(http::verb::put, As("2"), "{");
  EXPECT_EQ(missing.response.result_int(), 400u);
  EXPECT_EQ(missing.document, nullptr);
  EXPECT_FALSE(missing.response.body().empty());
}

// A connection's requests share a VerifiedToken: a repeated header is not
// verified again, and a different one on the same connection is its own
// caller (or refused), never the cached one.
TEST_F(SessiondHandlerTest, AConnectionsTokenCacheKeepsCallersApart) {
  VerifiedToken cache;
  auto call = [&](const Headers& headers, const std::string& body) {
    HttpRequest req{http::verb::put, kUrl, 11};
    for (const auto& [k, v] : headers) req.insert(k, v);
    req.body() = body;
    req.prepare_payload();
    RequestInfo info;
    info.verified = &cache;
    return handler_.HandleRequest(req, info).response;
  };
  EXPECT_EQ(call(As("1"), kJoin).result_int(), 201u);
  EXPECT_EQ(cache.xuid, "1");
  EXPECT_EQ(call(As("1"), kJoin).result_int(), 200u);
  EXPECT_EQ(call(As("2"), kJoin).result_int(), 200u);
  EXPECT_EQ(cache.xuid, "2");
  Headers forged = As("1");
  forged[0].second.back() = forged[0].second.back() == '0' ? '1' : '0';
  const HttpResponse refused = call(forged, kJoin);
  EXPECT_EQ(refused.result_int(), 401u);
  EXPECT_EQ(refused.body(), "invalid token for xuid 1\n");
  EXPECT_EQ(cache.xuid, "2");
  const Json doc = Doc(Get());
  EXPECT_EQ(doc["membersInfo"]["count"], 2);
}

// A null constant would make the shipped SDK drop every constant: refused,
// naming the field, and nothing is created.
TEST_F(SessiondHandlerTest, NullConstantsAreRefused) {
  HttpResponse r = Put("1", R"({"constants":{"system":{"inactiveRemovalTimeout":null}}})");
  EXPECT_EQ(r.result_int(), 400u);
  EXPECT_NE(r.body().find("constants.system.inactiveRemovalTimeout is null"), std::string::npos)
      << r.body();
  EXPECT_EQ(Get().result_int(), 204u);
}

}  // namespace
}  // namespace sessionrig::sessiond
