// The session-write C API end to end through the real async machinery and
// the real libcurl transport, against a scripted loopback server that plays
// exact bytes (including malformed, truncated and reset responses).
#include <XAsync.h>
#include <gtest/gtest.h>
#include <sessionrig/sessionrig_c.h>
#include <xsapi-c/multiplayer_c.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "testing/scripted_server.h"

namespace {

using sessionrig::testing::HttpResponseBytes;
using sessionrig::testing::Script;
using sessionrig::testing::ScriptedServer;
using sessionrig::testing::UnusedLoopbackPort;

constexpr uint64_t kXuid = 2533274790412345;
constexpr char kScid[] = "00000000-0000-0000-0000-00000000abcd";

// A valid session document with the caller as its only member.
const std::string kSessionBody =
    R"({"contractVersion":107,"changeNumber":3,"correlationId":"06365b64-3067-8039-ecee-3608af3d02fc",)"
    R"("constants":{"system":{"version":1,"maxMembersCount":8,"visibility":"open","sessionEmptyTimeout":0},"custom":{}},)"
    R"("properties":{"system":{"joinRestriction":"none","closed":false},"custom":{"map":"dunes"}},)"
    R"("membersInfo":{"first":0,"next":1,"count":1,"accepted":1,"active":1},)"
    R"("members":{"0":{"constants":{"system":{"index":0,"xuid":"2533274790412345"},"custom":{}},)"
    R"("properties":{"system":{"active":true},"custom":{}},"gamertag":"PlayerOne","next":1}}})";

std::string JsonResponse(int status, const std::string& body, const std::string& etag) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json; charset=utf-8"}};
  if (!etag.empty()) headers.emplace_back("ETag", etag);
  return HttpResponseBytes(status, body, headers);
}

Script Respond(std::string bytes) { return Script().ReadRequest().Send(std::move(bytes)); }

class SessionCallsTest : public ::testing::Test {
 protected:
  XblContextHandle MakeContext(const ScriptedServer& server, uint32_t timeout_ms = 5000) {
    endpoint_ = server.Url("");
    SrContextArgs args{};
    args.Xuid = kXuid;
    args.Endpoint = endpoint_.c_str();
    args.Authorization = "XBL3.0 x=2533274790412345;tok";
    args.TimeoutMs = timeout_ms;
    XblContextHandle ctx = nullptr;
    EXPECT_EQ(SrContextCreate(&args, &ctx), S_OK);
    return ctx;
  }

  XblMultiplayerSessionHandle NewSession(const char* name = "lobby-1") {
    auto ref = XblMultiplayerSessionReferenceCreate(kScid, "lobby", name);
    return XblMultiplayerSessionCreateHandle(kXuid, &ref, nullptr);
  }

  // Writes `session` and waits; returns the Result HRESULT and the new handle.
  HRESULT WriteAndWait(XblContextHandle ctx, XblMultiplayerSessionHandle session,
                       XblMultiplayerSessionWriteMode mode, XblMultiplayerSessionHandle* out) {
    XAsyncBlock block{};
    HRESULT hr = XblMultiplayerWriteSessionAsync(ctx, session, mode, &block);
    if (FAILED(hr)) return hr;
    EXPECT_NE(XAsyncGetStatus(&block, true), E_PENDING);
    return XblMultiplayerWriteSessionResult(&block, out);
  }

  std::string endpoint_;
};

// The request a write sends: method, URL, contract headers, the write mode's
// conditional header, and the delta body.
struct ModeCase {
  XblMultiplayerSessionWriteMode mode;
  bool with_etag;
  const char* expected_header;  // "" for none
};

class WriteModeTest : public SessionCallsTest, public ::testing::WithParamInterface<ModeCase> {};

TEST_P(WriteModeTest, SendsTheModesConditionalHeaderAndTheDelta) {
  const ModeCase& c = GetParam();
  // The first response gives the handle its ETag for the with_etag cases.
  ScriptedServer server({Respond(JsonResponse(200, kSessionBody, "\"e-1\"")).Repeat()});
  ASSERT_TRUE(server.ok());
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  if (c.with_etag) {
    XblMultiplayerSessionHandle fetched = nullptr;
    ASSERT_EQ(
        WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &fetched),
        S_OK);
    XblMultiplayerSessionCloseHandle(session);
    session = fetched;
  }
  ASSERT_EQ(XblMultiplayerSessionSetCustomPropertyJson(session, "map", "\"canyon\""), S_OK);
  XblMultiplayerSessionHandle result = nullptr;
  ASSERT_EQ(WriteAndWait(ctx, session, c.mode, &result), S_OK);
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(result), XblWriteSessionStatus::Updated);
  EXPECT_STREQ(XblMultiplayerSessionEtag(result), "\"e-1\"");

  auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  const std::string& req = requests.back();
  EXPECT_EQ(req.rfind("PUT /serviceconfigs/" + std::string(kScid) +
                          "/sessionTemplates/lobby/sessions/lobby-1 HTTP/1.1\r\n",
                      0),
            0u)
      << req;
  EXPECT_NE(req.find("\r\nx-xbl-contract-version: 107\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("\r\nContent-Type: application/json; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nAuthorization: XBL3.0 x=2533274790412345;tok\r\n"), std::string::npos);
  const bool has_if_match = req.find("\r\nIf-Match:") != std::string::npos;
  const bool has_if_none_match = req.find("\r\nIf-None-Match:") != std::string::npos;
  if (std::string(c.expected_header).empty()) {
    EXPECT_FALSE(has_if_match || has_if_none_match) << req;
  } else {
    EXPECT_NE(req.find(std::string("\r\n") + c.expected_header + "\r\n"), std::string::npos) << req;
    EXPECT_NE(has_if_match, has_if_none_match) << "exactly one conditional header: " << req;
  }
  const std::string body = req.substr(req.find("\r\n\r\n") + 4);
  EXPECT_NE(body.find(R"("custom":{"map":"canyon"})"), std::string::npos) << body;

  XblMultiplayerSessionCloseHandle(result);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, WriteModeTest,
    ::testing::Values(
        ModeCase{XblMultiplayerSessionWriteMode::CreateNew, false, "If-None-Match: *"},
        ModeCase{XblMultiplayerSessionWriteMode::UpdateOrCreateNew, false, ""},
        ModeCase{XblMultiplayerSessionWriteMode::UpdateExisting, false, "If-Match: *"},
        ModeCase{XblMultiplayerSessionWriteMode::SynchronizedUpdate, false, "If-None-Match: *"},
        ModeCase{XblMultiplayerSessionWriteMode::SynchronizedUpdate, true, "If-Match: \"e-1\""}));

TEST_F(SessionCallsTest, UnmodifiedSessionSendsAnEmptyObject) {
  ScriptedServer server({Respond(JsonResponse(200, kSessionBody, "\"e-1\""))});
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  ASSERT_EQ(WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, nullptr),
            S_OK);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].substr(requests[0].find("\r\n\r\n") + 4), "{}");
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, InvalidWriteModeCompletesWithInvalidArgAndSendsNothing) {
  ScriptedServer server({Respond(JsonResponse(200, kSessionBody, "\"e-1\""))});
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  XAsyncBlock block{};
  ASSERT_EQ(XblMultiplayerWriteSessionAsync(ctx, session,
                                            static_cast<XblMultiplayerSessionWriteMode>(7), &block),
            S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, true), E_INVALIDARG);
  XblMultiplayerSessionHandle out = nullptr;
  EXPECT_EQ(XblMultiplayerWriteSessionResult(&block, &out), E_INVALIDARG);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(server.accepted_connections(), 0);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, PreconditionFailedWithSessionSucceedsAsOutOfSync) {
  ScriptedServer server({Respond(JsonResponse(412, kSessionBody, "\"winner-7\""))});
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  XblMultiplayerSessionJoin(session, nullptr, false, true);
  XblMultiplayerSessionHandle latest = nullptr;
  ASSERT_EQ(WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::SynchronizedUpdate, &latest),
            S_OK);
  ASSERT_NE(latest, nullptr);
  EXPECT_NE(latest, session) << "Result returns a NEW handle";
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(latest), XblWriteSessionStatus::OutOfSync);
  EXPECT_STREQ(XblMultiplayerSessionEtag(latest), "\"winner-7\"");
  EXPECT_EQ(XblMultiplayerSessionGetInfo(latest)->ChangeNumber, 3u);
  const XblMultiplayerSessionMember* members = nullptr;
  size_t count = 0;
  ASSERT_EQ(XblMultiplayerSessionMembers(latest, &members, &count), S_OK);
  EXPECT_EQ(count, 1u);
  // The input handle is unchanged.
  EXPECT_STREQ(XblMultiplayerSessionEtag(session), "");
  XblMultiplayerSessionCloseHandle(latest);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, LastMemberLeavingGivesSessionDeleted) {
  ScriptedServer server({Respond(HttpResponseBytes(204, ""))});
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  XblMultiplayerSessionLeave(session);
  XblMultiplayerSessionHandle result = nullptr;
  ASSERT_EQ(WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::UpdateExisting, &result),
            S_OK);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(result), XblWriteSessionStatus::SessionDeleted);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find(R"({"members":{"me":null}})"), std::string::npos) << requests[0];
  XblMultiplayerSessionCloseHandle(result);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

// Every malformed-response class fails the call with a failure HRESULT and no
// handle (docs/protocol.md, "Handles and setters": never S_OK with a null or
// half-filled handle).
struct MalformedCase {
  const char* name;
  Script script;
  HRESULT expected;
};

std::vector<MalformedCase> MalformedCases() {
  const std::string loop_body =
      R"({"contractVersion":107,"membersInfo":{"first":0,"next":2,"count":2},"members":{)"
      R"("0":{"constants":{"system":{"index":0,"xuid":"1"}},"next":1},)"
      R"("1":{"constants":{"system":{"index":1,"xuid":"2"}},"next":0}}})";
  return {
      {"EmptyBody200", Respond(JsonResponse(200, "", "\"e\"")), WEB_E_INVALID_JSON_STRING},
      {"NotJson200", Respond(JsonResponse(200, "<html>oops</html>", "\"e\"")),
       WEB_E_INVALID_JSON_STRING},
      {"WrongContentType200",
       Respond(HttpResponseBytes(200, kSessionBody,
                                 {{"Content-Type", "text/html"}, {"ETag", "\"e\""}})),
       WEB_E_INVALID_JSON_STRING},
      {"MissingEtag200", Respond(JsonResponse(200, kSessionBody, "")), WEB_E_INVALID_JSON_STRING},
      {"WeakEtag200", Respond(JsonResponse(200, kSessionBody, "W/\"e\"")),
       WEB_E_INVALID_JSON_STRING},
      {"ArrayBody201", Respond(JsonResponse(201, "[1,2,3]", "\"e\"")), WEB_E_INVALID_JSON_STRING},
      {"DeepNesting200", Respond(JsonResponse(200, std::string(200000, '['), "\"e\"")),
       WEB_E_INVALID_JSON_STRING},
      {"MemberChainLoop200", Respond(JsonResponse(200, loop_body, "\"e\"")),
       WEB_E_INVALID_JSON_STRING},
      {"PreconditionFailedWithoutBody", Respond(HttpResponseBytes(412, "")),
       HTTP_E_STATUS_PRECOND_FAILED},
      {"PreconditionFailedWithGarbage", Respond(JsonResponse(412, "{\"members\":[", "\"e\"")),
       HTTP_E_STATUS_PRECOND_FAILED},
      {"Throttled429", Respond(HttpResponseBytes(429, "{\"message\":\"slow down\"}")),
       HTTP_E_STATUS_429},
      {"Unavailable503", Respond(HttpResponseBytes(503, "", {{"Retry-After", "1"}})),
       HTTP_E_STATUS_SERVICE_UNAVAIL},
      {"UnknownStatus599", Respond(HttpResponseBytes(599, "")), HTTP_E_STATUS_UNEXPECTED},
      {"TruncatedBody",
       Script()
           .ReadRequest()
           .Send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"e\"\r\n"
                 "Content-Length: 500\r\n\r\n{\"contractVersion\":107")
           .CloseNow(),
       SR_E_CONNECTION_RESET},
      {"ResetMidBody",
       Script()
           .ReadRequest()
           .Send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"e\"\r\n"
                 "Content-Length: 500\r\n\r\n{\"contractVersion\":107")
           .Delay(50)
           .Reset(),
       SR_E_CONNECTION_RESET},
      {"MalformedStatusLine", Respond("HTTQ/9.9 two hundred\r\n\r\n"), SR_E_PROTOCOL},
      {"ClosedBeforeAnyByte", Script().ReadRequest().CloseNow(), SR_E_CONNECTION_RESET},
  };
}

class MalformedResponseTest : public SessionCallsTest,
                              public ::testing::WithParamInterface<size_t> {};

TEST_P(MalformedResponseTest, FailsWithTypedHresultAndNoHandle) {
  MalformedCase c = MalformedCases()[GetParam()];
  SCOPED_TRACE(c.name);
  ScriptedServer server({c.script});
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  XblMultiplayerSessionHandle out = nullptr;
  HRESULT hr = WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &out);
  EXPECT_EQ(hr, c.expected) << c.name << ": got " << SrHResultToString(hr);
  EXPECT_TRUE(FAILED(hr));
  EXPECT_EQ(out, nullptr);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

INSTANTIATE_TEST_SUITE_P(EveryClass, MalformedResponseTest,
                         ::testing::Range<size_t>(0, MalformedCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& param_info) {
                           return std::string(MalformedCases()[param_info.param].name);
                         });

TEST_F(SessionCallsTest, ResultReadTwiceIsAnIllegalMethodCall) {
  ScriptedServer server({Respond(JsonResponse(200, kSessionBody, "\"e-1\""))});
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  XAsyncBlock block{};
  ASSERT_EQ(XblMultiplayerWriteSessionAsync(
                ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &block),
            S_OK);
  ASSERT_EQ(XAsyncGetStatus(&block, true), S_OK);
  XblMultiplayerSessionHandle first = nullptr;
  ASSERT_EQ(XblMultiplayerWriteSessionResult(&block, &first), S_OK);
  XblMultiplayerSessionHandle second = nullptr;
  EXPECT_EQ(XblMultiplayerWriteSessionResult(&block, &second), E_ILLEGAL_METHOD_CALL);
  EXPECT_EQ(second, nullptr);
  XblMultiplayerSessionCloseHandle(first);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

// Spec section 1 says so without exception: after a FAILED call too.
TEST_F(SessionCallsTest, FailedResultReadTwiceIsAnIllegalMethodCall) {
  ScriptedServer server({Respond(JsonResponse(409, R"({"message":"full"})", "\"e-1\""))});
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  XAsyncBlock block{};
  ASSERT_EQ(XblMultiplayerWriteSessionAsync(
                ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &block),
            S_OK);
  const HRESULT status = XAsyncGetStatus(&block, true);
  ASSERT_TRUE(FAILED(status));
  XblMultiplayerSessionHandle first = nullptr;
  EXPECT_EQ(XblMultiplayerWriteSessionResult(&block, &first), status);
  EXPECT_EQ(first, nullptr);
  XblMultiplayerSessionHandle second = nullptr;
  EXPECT_EQ(XblMultiplayerWriteSessionResult(&block, &second), E_ILLEGAL_METHOD_CALL);
  EXPECT_EQ(second, nullptr);
  EXPECT_EQ(XAsyncGetStatus(&block, false), status);  // the status stays readable
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, InFlightBlockCannotBeReused) {
  ScriptedServer server(
      {Script().ReadRequest().Delay(300).Send(JsonResponse(200, kSessionBody, "\"e-1\""))});
  XblContextHandle ctx = MakeContext(server);
  XblMultiplayerSessionHandle session = NewSession();
  XAsyncBlock block{};
  ASSERT_EQ(XblMultiplayerWriteSessionAsync(
                ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &block),
            S_OK);
  EXPECT_EQ(XblMultiplayerWriteSessionAsync(
                ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &block),
            E_INVALIDARG);
  EXPECT_EQ(XAsyncGetStatus(&block, true), S_OK);
  EXPECT_EQ(XblMultiplayerWriteSessionResult(&block, nullptr), S_OK);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, CancelAbortsTheTransferAndCompletesWithAbort) {
  // The server would answer only after 20 s; cancel must not wait for it.
  ScriptedServer server(
      {Script().ReadRequest().Delay(20000).Send(JsonResponse(200, kSessionBody, "\"e-1\""))});
  XblContextHandle ctx = MakeContext(server, 30000);
  XblMultiplayerSessionHandle session = NewSession();
  XAsyncBlock block{};
  ASSERT_EQ(XblMultiplayerWriteSessionAsync(
                ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &block),
            S_OK);
  ASSERT_TRUE(server.WaitForRequests(1, std::chrono::seconds(10)));
  auto start = std::chrono::steady_clock::now();
  XAsyncCancel(&block);
  EXPECT_EQ(XAsyncGetStatus(&block, true), E_ABORT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(XblMultiplayerWriteSessionResult(&block, nullptr), E_ABORT);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, PerCallTimeoutGivesTimeoutHresult) {
  ScriptedServer server({Script().ReadRequest().Delay(5000)});
  XblContextHandle ctx = MakeContext(server, 200);
  XblMultiplayerSessionHandle session = NewSession();
  EXPECT_EQ(WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, nullptr),
            SR_E_TIMEOUT);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, RefusedConnectionGivesConnectionRefused) {
  std::string endpoint = "http://127.0.0.1:" + std::to_string(UnusedLoopbackPort());
  SrContextArgs args{};
  args.Xuid = kXuid;
  args.Endpoint = endpoint.c_str();
  XblContextHandle ctx = nullptr;
  ASSERT_EQ(SrContextCreate(&args, &ctx), S_OK);
  XblMultiplayerSessionHandle session = NewSession();
  EXPECT_EQ(WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, nullptr),
            SR_E_CONNECTION_REFUSED);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, TokenProviderSuppliesAuthorizationAndItsFailureFailsTheCall) {
  ScriptedServer server({Respond(JsonResponse(200, kSessionBody, "\"e-1\""))});
  endpoint_ = server.Url("");
  static std::atomic<int> calls{0};
  SrContextArgs args{};
  args.Xuid = kXuid;
  args.Endpoint = endpoint_.c_str();
  args.TokenProvider = [](void*, uint64_t xuid, char* buffer, size_t size) -> HRESULT {
    ++calls;
    snprintf(buffer, size, "XBL3.0 x=%llu;minted", static_cast<unsigned long long>(xuid));
    return S_OK;
  };
  XblContextHandle ctx = nullptr;
  ASSERT_EQ(SrContextCreate(&args, &ctx), S_OK);
  XblMultiplayerSessionHandle session = NewSession();
  ASSERT_EQ(WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, nullptr),
            S_OK);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(server.requests()[0].find("\r\nAuthorization: XBL3.0 x=2533274790412345;minted\r\n"),
            std::string::npos);
  XblContextCloseHandle(ctx);

  args.TokenProvider = [](void*, uint64_t, char*, size_t) -> HRESULT { return E_FAIL; };
  ASSERT_EQ(SrContextCreate(&args, &ctx), S_OK);
  EXPECT_EQ(WriteAndWait(ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, nullptr),
            E_FAIL);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, BadArgumentsAreRefusedAtOnce) {
  SrContextArgs args{};
  XblContextHandle ctx = nullptr;
  EXPECT_EQ(SrContextCreate(&args, &ctx), E_INVALIDARG) << "xuid 0";
  args.Xuid = kXuid;
  args.Endpoint = "ftp://example";
  EXPECT_EQ(SrContextCreate(&args, &ctx), E_INVALIDARG) << "not http(s)";
  args.Endpoint = "http://127.0.0.1:1";
  ASSERT_EQ(SrContextCreate(&args, &ctx), S_OK);
  XAsyncBlock block{};
  XblMultiplayerSessionHandle session = NewSession();
  EXPECT_EQ(XblMultiplayerWriteSessionAsync(nullptr, session,
                                            XblMultiplayerSessionWriteMode::CreateNew, &block),
            E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerWriteSessionAsync(ctx, nullptr, XblMultiplayerSessionWriteMode::CreateNew,
                                            &block),
            E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerWriteSessionAsync(ctx, session, XblMultiplayerSessionWriteMode::CreateNew,
                                            nullptr),
            E_INVALIDARG);
  auto bad_ref = XblMultiplayerSessionReferenceCreate(kScid, "lobby", "has/slash");
  XblMultiplayerSessionHandle bad = XblMultiplayerSessionCreateHandle(kXuid, &bad_ref, nullptr);
  EXPECT_EQ(
      XblMultiplayerWriteSessionAsync(ctx, bad, XblMultiplayerSessionWriteMode::CreateNew, &block),
      E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerGetSessionAsync(ctx, &bad_ref, &block), E_INVALIDARG);
  XblMultiplayerSessionCloseHandle(bad);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
}

TEST_F(SessionCallsTest, GetReturnsTheSessionOrNullWhenMissing) {
  // Both answers on one connection: the transport reuses it.
  ScriptedServer server({Script()
                             .ReadRequest()
                             .Send(JsonResponse(200, kSessionBody, "\"e-9\""))
                             .ReadRequest()
                             .Send(HttpResponseBytes(204, ""))});
  XblContextHandle ctx = MakeContext(server);
  auto ref = XblMultiplayerSessionReferenceCreate(kScid, "lobby", "lobby-1");
  for (int i = 0; i < 2; ++i) {
    XAsyncBlock block{};
    ASSERT_EQ(XblMultiplayerGetSessionAsync(ctx, &ref, &block), S_OK);
    ASSERT_EQ(XAsyncGetStatus(&block, true), S_OK);
    XblMultiplayerSessionHandle got = nullptr;
    ASSERT_EQ(XblMultiplayerGetSessionResult(&block, &got), S_OK);
    if (i == 0) {
      ASSERT_NE(got, nullptr);
      EXPECT_STREQ(XblMultiplayerSessionEtag(got), "\"e-9\"");
      ASSERT_NE(XblMultiplayerSessionCurrentUser(got), nullptr);
      EXPECT_EQ(XblMultiplayerSessionCurrentUser(got)->Xuid, kXuid);
    } else {
      EXPECT_EQ(got, nullptr) << "204: no such session";
    }
    XblMultiplayerSessionCloseHandle(got);
  }
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].rfind("GET /serviceconfigs/", 0), 0u);
  XblContextCloseHandle(ctx);
}

// The loadgen shape: one thread owns a Manual queue and an owner-driven
// transport and pumps both; every step of many concurrent writes, callbacks
// included, runs on that thread.
TEST_F(SessionCallsTest, WholeWritePathRunsOnOneThreadWithManualQueueAndOwnTransport) {
  constexpr int kWrites = 40;
  ScriptedServer server({Respond(JsonResponse(200, kSessionBody, "\"e-1\"")).Repeat()});
  SrTransportArgs targs{};
  targs.OwnerDriven = true;
  SrTransportHandle transport = nullptr;
  ASSERT_EQ(SrTransportCreate(&targs, &transport), S_OK);
  XTaskQueueHandle queue = nullptr;
  ASSERT_EQ(
      XTaskQueueCreate(XTaskQueueDispatchMode::Manual, XTaskQueueDispatchMode::Manual, &queue),
      S_OK);
  endpoint_ = server.Url("");
  SrContextArgs args{};
  args.Xuid = kXuid;
  args.Endpoint = endpoint_.c_str();
  args.Transport = transport;
  XblContextHandle ctx = nullptr;
  ASSERT_EQ(SrContextCreate(&args, &ctx), S_OK);

  struct Call {
    XAsyncBlock block{};
    std::thread::id callback_thread;
    HRESULT result = E_PENDING;
    XblWriteSessionStatus status = XblWriteSessionStatus::Unknown;
  };
  std::vector<Call> calls(kWrites);
  XblMultiplayerSessionHandle session = NewSession();
  for (Call& c : calls) {
    c.block.queue = queue;
    c.block.context = &c;
    c.block.callback = [](XAsyncBlock* b) {
      auto* call = static_cast<Call*>(b->context);
      call->callback_thread = std::this_thread::get_id();
      XblMultiplayerSessionHandle h = nullptr;
      call->result = XblMultiplayerWriteSessionResult(b, &h);
      if (h != nullptr) call->status = XblMultiplayerSessionWriteStatus(h);
      XblMultiplayerSessionCloseHandle(h);
    };
    ASSERT_EQ(XblMultiplayerWriteSessionAsync(
                  ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &c.block),
              S_OK);
  }
  int done = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (done < kWrites && std::chrono::steady_clock::now() < deadline) {
    SrTransportPoll(transport, 5);
    while (XTaskQueueDispatch(queue, XTaskQueuePort::Work, 0)) {
    }
    while (XTaskQueueDispatch(queue, XTaskQueuePort::Completion, 0)) {
    }
    done = 0;
    for (const Call& c : calls) done += c.result != E_PENDING;
  }
  ASSERT_EQ(done, kWrites);
  for (const Call& c : calls) {
    EXPECT_EQ(c.result, S_OK);
    EXPECT_EQ(c.status, XblWriteSessionStatus::Updated);
    EXPECT_EQ(c.callback_thread, std::this_thread::get_id());
  }
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
  SrTransportCloseHandle(transport);
  XTaskQueueCloseHandle(queue);
}

// Completion callbacks run on the queue's Completion port in each dispatch mode.
class DispatchModeTest : public SessionCallsTest,
                         public ::testing::WithParamInterface<XTaskQueueDispatchMode> {};

TEST_P(DispatchModeTest, CallbackRunsAndResultIsReadable) {
  ScriptedServer server({Respond(JsonResponse(200, kSessionBody, "\"e-1\""))});
  XblContextHandle ctx = MakeContext(server);
  XTaskQueueHandle queue = nullptr;
  ASSERT_EQ(XTaskQueueCreate(XTaskQueueDispatchMode::ThreadPool, GetParam(), &queue), S_OK);
  struct State {
    std::atomic<bool> ran{false};
    HRESULT hr = E_PENDING;
  } state;
  XAsyncBlock block{};
  block.queue = queue;
  block.context = &state;
  block.callback = [](XAsyncBlock* b) {
    auto* s = static_cast<State*>(b->context);
    s->hr = XblMultiplayerWriteSessionResult(b, nullptr);
    s->ran = true;
  };
  XblMultiplayerSessionHandle session = NewSession();
  ASSERT_EQ(XblMultiplayerWriteSessionAsync(
                ctx, session, XblMultiplayerSessionWriteMode::UpdateOrCreateNew, &block),
            S_OK);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!state.ran && std::chrono::steady_clock::now() < deadline) {
    if (GetParam() == XTaskQueueDispatchMode::Manual) {
      XTaskQueueDispatch(queue, XTaskQueuePort::Completion, 10);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  ASSERT_TRUE(state.ran);
  EXPECT_EQ(state.hr, S_OK);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
  XTaskQueueCloseHandle(queue);
}

INSTANTIATE_TEST_SUITE_P(AllModes, DispatchModeTest,
                         ::testing::Values(XTaskQueueDispatchMode::ThreadPool,
                                           XTaskQueueDispatchMode::SerializedThreadPool,
                                           XTaskQueueDispatchMode::Manual,
                                           XTaskQueueDispatchMode::Immediate));

}  // namespace
