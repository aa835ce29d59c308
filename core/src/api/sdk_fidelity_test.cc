// SDK fidelity: documents the shipped SDK reads, read through sessionrig's
// PUBLIC C API exactly as the SDK's getters report them. Each test serves
// one document's bytes from a scripted loopback server, reads it with
// XblMultiplayerGetSessionAsync/Result and checks the getters. The rules are
// in docs/protocol.md "Reading a session"; where sessionrig deliberately
// differs from the SDK, the test says so.
#include <XAsync.h>
#include <gtest/gtest.h>
#include <sessionrig/sessionrig_c.h>
#include <xsapi-c/multiplayer_c.h>

#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing/scripted_server.h"

namespace {

using sessionrig::testing::HttpResponseBytes;
using sessionrig::testing::Script;
using sessionrig::testing::ScriptedServer;

constexpr uint64_t kXuid = 2533274790412345;
constexpr char kScid[] = "00000000-0000-0000-0000-00000000abcd";

// Serves `body` (200, strong ETag) and reads it through the public API.
class Fidelity : public ::testing::Test {
 protected:
  // The handle the SDK-shaped GET returns for `body`, or null with *hr set.
  XblMultiplayerSessionHandle Get(const std::string& body, HRESULT* hr = nullptr) {
    server_ = std::make_unique<ScriptedServer>(
        std::vector<Script>{Script().ReadRequest().Send(HttpResponseBytes(
            200, body,
            {{"Content-Type", "application/json; charset=utf-8"}, {"ETag", "\"golden-1\""}}))});
    EXPECT_TRUE(server_->ok());
    endpoint_ = server_->Url("");
    SrContextArgs args{};
    args.Xuid = kXuid;
    args.Endpoint = endpoint_.c_str();
    args.Authorization = "XBL3.0 x=2533274790412345;tok";
    args.TimeoutMs = 10000;
    XblContextHandle ctx = nullptr;
    EXPECT_EQ(SrContextCreate(&args, &ctx), S_OK);
    const XblMultiplayerSessionReference ref =
        XblMultiplayerSessionReferenceCreate(kScid, "lobby", "golden");
    XAsyncBlock block{};
    EXPECT_EQ(XblMultiplayerGetSessionAsync(ctx, &ref, &block), S_OK);
    EXPECT_NE(XAsyncGetStatus(&block, true), E_PENDING);
    XblMultiplayerSessionHandle handle = nullptr;
    const HRESULT result = XblMultiplayerGetSessionResult(&block, &handle);
    if (hr != nullptr) *hr = result;
    XblContextCloseHandle(ctx);
    if (handle != nullptr) handles_.push_back(handle);
    return handle;
  }

  void TearDown() override {
    for (XblMultiplayerSessionHandle h : handles_) XblMultiplayerSessionCloseHandle(h);
  }

  // The members of `h`.
  std::vector<XblMultiplayerSessionMember> Members(XblMultiplayerSessionHandle h) {
    const XblMultiplayerSessionMember* members = nullptr;
    size_t count = 0;
    EXPECT_EQ(XblMultiplayerSessionMembers(h, &members, &count), S_OK);
    return std::vector<XblMultiplayerSessionMember>(members, members + count);
  }

 private:
  std::unique_ptr<ScriptedServer> server_;
  std::string endpoint_;
  std::vector<XblMultiplayerSessionHandle> handles_;
};

// One member, index 0, the caller; `member_extra` is spliced into the
// member's object, `system_extra` into constants.system.
std::string OneMember(const std::string& member_extra = "", const std::string& system_extra = "") {
  return R"({"contractVersion":107,"changeNumber":1,)"
         R"("constants":{"system":{"maxMembersCount":8)" +
         system_extra +
         R"(},"custom":{"mode":"ctf"}},)"
         R"("membersInfo":{"first":0,"next":1,"count":1,"accepted":1,"active":1},)"
         R"("members":{"0":{"constants":{"system":{"index":0,"xuid":"2533274790412345"}},)"
         R"("properties":{"system":{"active":true}},"next":1)" +
         member_extra + "}}}";
}

// Rule 1: constants.system.metrics fills EnableMetrics*.
TEST_F(Fidelity, MetricsConstantsFillEnableMetrics) {
  XblMultiplayerSessionHandle h = Get(OneMember(
      "", R"(,"metrics":{"latency":true,"bandwidthDown":true,"bandwidthUp":false,"custom":true})"));
  ASSERT_NE(h, nullptr);
  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(h);
  EXPECT_TRUE(c->EnableMetricsLatency);
  EXPECT_TRUE(c->EnableMetricsBandwidthDown);
  EXPECT_FALSE(c->EnableMetricsBandwidthUp);
  EXPECT_TRUE(c->EnableMetricsCustom);

  XblMultiplayerSessionHandle none = Get(OneMember());
  ASSERT_NE(none, nullptr);
  const XblMultiplayerSessionConstants* n = XblMultiplayerSessionSessionConstants(none);
  EXPECT_FALSE(n->EnableMetricsLatency || n->EnableMetricsBandwidthDown ||
               n->EnableMetricsBandwidthUp || n->EnableMetricsCustom);
}

// Rule 2: timeouts report what the document says; absent ones are 0, not
// the service's defaults.
TEST_F(Fidelity, TimeoutsAreWhatTheDocumentSays) {
  XblMultiplayerSessionHandle absent = Get(OneMember());
  ASSERT_NE(absent, nullptr);
  const XblMultiplayerSessionConstants* a = XblMultiplayerSessionSessionConstants(absent);
  EXPECT_EQ(a->MemberReservedTimeout, 0u);
  EXPECT_EQ(a->MemberInactiveTimeout, 0u);
  EXPECT_EQ(a->MemberReadyTimeout, 0u);
  EXPECT_EQ(a->SessionEmptyTimeout, 0u);

  XblMultiplayerSessionHandle set =
      Get(OneMember("", R"(,"reservedRemovalTimeout":30000,"inactiveRemovalTimeout":5000,)"
                        R"("readyRemovalTimeout":180000,"sessionEmptyTimeout":60000)"));
  ASSERT_NE(set, nullptr);
  const XblMultiplayerSessionConstants* s = XblMultiplayerSessionSessionConstants(set);
  EXPECT_EQ(s->MemberReservedTimeout, 30000u);
  EXPECT_EQ(s->MemberInactiveTimeout, 5000u);
  EXPECT_EQ(s->MemberReadyTimeout, 180000u);
  EXPECT_EQ(s->SessionEmptyTimeout, 60000u);
}

// Rule 3: IsTurnAvailable is the member's own "turn", not properties.system.turn.
TEST_F(Fidelity, TurnIsTheMembersOwnFlag) {
  // properties.system.turn names member 0, but the member says nothing: false.
  std::string body = OneMember();
  body.replace(body.find(R"("membersInfo")"), 0, R"("properties":{"system":{"turn":[0]}},)");
  XblMultiplayerSessionHandle listed = Get(body);
  ASSERT_NE(listed, nullptr);
  EXPECT_FALSE(Members(listed).at(0).IsTurnAvailable);
  const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(listed);
  ASSERT_EQ(p->TurnCollectionCount, 1u);
  EXPECT_EQ(p->TurnCollection[0], 0u);

  XblMultiplayerSessionHandle own = Get(OneMember(R"(,"turn":true)"));
  ASSERT_NE(own, nullptr);
  EXPECT_TRUE(Members(own).at(0).IsTurnAvailable);
}

// Rule 4: InitialTeam comes from the member's
// constants.custom.matchmakingResult.initialTeam; TeamId from constants.system.team.
TEST_F(Fidelity, InitialTeamComesFromTheMatchmakingResult) {
  std::string body = OneMember();
  body.replace(body.find(R"("index":0,)"), 0, R"("team":"blue",)");
  body.replace(body.find(R"(}},"properties":{"system":{"active")"), 0,
               R"(},"custom":{"matchmakingResult":{"initialTeam":"red"})");
  XblMultiplayerSessionHandle h = Get(body);
  ASSERT_NE(h, nullptr);
  const XblMultiplayerSessionMember m = Members(h).at(0);
  ASSERT_NE(m.InitialTeam, nullptr);
  EXPECT_STREQ(m.InitialTeam, "red");
  ASSERT_NE(m.TeamId, nullptr);
  EXPECT_STREQ(m.TeamId, "blue");
  EXPECT_EQ(nlohmann::json::parse(m.CustomConstantsJson),
            nlohmann::json::parse(R"({"matchmakingResult":{"initialTeam":"red"}})"));
}

// Rule 5: absent optional strings are null; absent cloud compute package and
// matchmaking target constants are "".
TEST_F(Fidelity, AbsentOptionalStringsAreNullOrEmpty) {
  XblMultiplayerSessionHandle h = Get(OneMember());
  ASSERT_NE(h, nullptr);
  const XblMultiplayerSessionMember m = Members(h).at(0);
  EXPECT_EQ(m.TeamId, nullptr);
  EXPECT_EQ(m.InitialTeam, nullptr);
  EXPECT_EQ(m.SecureDeviceBaseAddress64, nullptr);
  EXPECT_STREQ(XblMultiplayerSessionSessionConstants(h)->SessionCloudComputePackageConstantsJson,
               "");
  EXPECT_STREQ(XblMultiplayerSessionSessionProperties(h)->MatchmakingTargetSessionConstantsJson,
               "");

  std::string present = OneMember();
  present.replace(present.find(R"("active":true)"), 0, R"("secureDeviceAddress":"AQID",)");
  present.replace(present.find(R"("maxMembersCount")"), 0,
                  R"("cloudComputePackage":{"crossPlay":true},)");
  present.replace(present.find(R"("membersInfo")"), 0,
                  R"("properties":{"system":{"matchmaking":{"targetSessionConstants":{"a":1}}}},)");
  XblMultiplayerSessionHandle p = Get(present);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(Members(p).at(0).SecureDeviceBaseAddress64, nullptr);
  EXPECT_STREQ(Members(p).at(0).SecureDeviceBaseAddress64, "AQID");
  EXPECT_STREQ(XblMultiplayerSessionSessionConstants(p)->SessionCloudComputePackageConstantsJson,
               R"({"crossPlay":true})");
  EXPECT_STREQ(XblMultiplayerSessionSessionProperties(p)->MatchmakingTargetSessionConstantsJson,
               R"({"a":1})");
}

// Rule 6: a large session lists only the caller, as "me": one member, the
// current user, with the index its constants give.
TEST_F(Fidelity, LargeSessionsListOnlyTheCallerAsMe) {
  const std::string body =
      R"({"contractVersion":107,"changeNumber":9,)"
      R"("constants":{"system":{"maxMembersCount":1000,"capabilities":{"large":true}}},)"
      R"("membersInfo":{"first":0,"next":640,"count":512,"accepted":512,"active":500},)"
      R"("members":{"me":{"constants":{"system":{"index":417,"xuid":"2533274790412345"}},)"
      R"("properties":{"system":{"active":true}},"gamertag":"Me"}}})";
  XblMultiplayerSessionHandle h = Get(body);
  ASSERT_NE(h, nullptr);
  const std::vector<XblMultiplayerSessionMember> members = Members(h);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].MemberId, 417u);
  EXPECT_EQ(members[0].Xuid, kXuid);
  EXPECT_TRUE(members[0].IsCurrentUser);
  EXPECT_STREQ(members[0].Gamertag, "Me");
  const XblMultiplayerSessionMember* me = XblMultiplayerSessionCurrentUser(h);
  ASSERT_NE(me, nullptr);
  EXPECT_EQ(me->MemberId, 417u);
  EXPECT_TRUE(XblMultiplayerSessionSessionConstants(h)->SessionCapabilities.Large);

  // "me" next to indexed members is not a listing the service makes.
  HRESULT hr = S_OK;
  std::string mixed = body;
  mixed.replace(mixed.find(R"("me":)"), 0, R"("0":{"next":1},)");
  EXPECT_EQ(Get(mixed, &hr), nullptr);
  EXPECT_EQ(hr, WEB_E_INVALID_JSON_STRING);
}

// Rule 7 (client side): a null number reads as absent and its siblings are
// read as usual. A deliberate difference: the SDK fails its number read and
// drops the rest of `constants`, custom included.
TEST_F(Fidelity, NullNumbersReadAsAbsentWithoutDroppingSiblings) {
  XblMultiplayerSessionHandle h = Get(OneMember(
      "", R"(,"inactiveRemovalTimeout":null,"readyRemovalTimeout":7000,"visibility":"open")"));
  ASSERT_NE(h, nullptr);
  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(h);
  EXPECT_EQ(c->MemberInactiveTimeout, 0u);
  EXPECT_EQ(c->MemberReadyTimeout, 7000u);
  EXPECT_EQ(c->MaxMembersInSession, 8u);
  EXPECT_EQ(c->Visibility, XblMultiplayerSessionVisibility::Open);
  EXPECT_EQ(nlohmann::json::parse(c->CustomJson), nlohmann::json({{"mode", "ctf"}}));
}

// Borderline case 1: a gamertag longer than the SDK's 15-byte buffer is cut
// at a UTF-8 boundary, as the SDK cuts it (which keeps the write's result),
// and counted.
TEST_F(Fidelity, OverlongGamertagsAreCutAtAUtf8BoundaryAndCounted) {
  SrCoreCounters before{};
  ASSERT_EQ(SrGetCoreCounters(&before), S_OK);
  // 13 ASCII bytes then a 3-byte euro sign: 16 bytes; the cut must not split the sign.
  XblMultiplayerSessionHandle h = Get(OneMember(R"(,"gamertag":"ABCDEFGHIJKLM\u20ac")"));
  ASSERT_NE(h, nullptr);
  EXPECT_STREQ(Members(h).at(0).Gamertag, "ABCDEFGHIJKLM");
  SrCoreCounters after{};
  ASSERT_EQ(SrGetCoreCounters(&after), S_OK);
  EXPECT_EQ(after.GamertagsTruncated, before.GamertagsTruncated + 1);

  XblMultiplayerSessionHandle fits = Get(OneMember(R"(,"gamertag":"ABCDEFGHIJKL\u20ac")"));
  ASSERT_NE(fits, nullptr);
  EXPECT_STREQ(Members(fits).at(0).Gamertag, "ABCDEFGHIJKL\xe2\x82\xac");  // 15 bytes: whole
}

// Borderline case 2: membersInfo.count that disagrees with the members listed
// (2 with no `members` key) is refused as inconsistent (the SDK hangs on it).
TEST_F(Fidelity, MemberCountWithoutMembersIsRefused) {
  HRESULT hr = S_OK;
  EXPECT_EQ(Get(R"({"contractVersion":107,"membersInfo":{"first":0,"next":2,"count":2}})", &hr),
            nullptr);
  EXPECT_EQ(hr, WEB_E_INVALID_JSON_STRING);
  EXPECT_NE(Get(R"({"contractVersion":107,"membersInfo":{"first":0,"next":0,"count":0}})"),
            nullptr);
}

}  // namespace
