#include "session/session_handle.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace sessionrig {
namespace {

using nlohmann::json;

constexpr uint64_t kMe = 2533274790412345;
constexpr uint64_t kOther = 2533274790498765;

constexpr char kSpecExample[] = R"({"contractVersion":107,"changeNumber":3,
 "correlationId":"06365b64-3067-8039-ecee-3608af3d02fc",
 "constants":{"system":{"version":1,"maxMembersCount":8,"visibility":"open",
   "sessionEmptyTimeout":0},"custom":{"mode":"ctf"}},
 "properties":{"system":{"joinRestriction":"followed","closed":false},
   "custom":{"map":"dunes"}},
 "membersInfo":{"first":0,"next":2,"count":2,"accepted":2,"active":1},
 "members":{
  "0":{"constants":{"system":{"index":0,"xuid":"2533274790412345"},"custom":{}},
       "properties":{"system":{"active":true},"custom":{"color":"red","rank":3}},
       "gamertag":"PlayerOne","next":1},
  "1":{"constants":{"system":{"index":1,"xuid":"2533274790498765"},"custom":{}},
       "properties":{"system":{},"custom":{}},"reserved":true,"next":2}}})";

constexpr char kEtag[] = "\"etag-1\"";

XblMultiplayerSessionReference Ref() {
  return XblMultiplayerSessionReferenceCreate("00000000-0000-0000-0000-000076029b4d", "lobby",
                                              "session-1");
}

// Owns a handle for the duration of a test.
class Handle {
 public:
  explicit Handle(XblMultiplayerSessionHandle h) : h_(h) {}
  ~Handle() { XblMultiplayerSessionCloseHandle(h_); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  XblMultiplayerSessionHandle get() const { return h_; }
  json Body() const { return json::parse(BuildWriteRequestBody(*h_)); }

 private:
  XblMultiplayerSessionHandle h_;
};

XblMultiplayerSessionHandle Local(uint64_t xuid = kMe) {
  XblMultiplayerSessionReference ref = Ref();
  return XblMultiplayerSessionCreateHandle(xuid, &ref, nullptr);
}

// A handle as a write returning the spec example (200, with ETag) gives it.
XblMultiplayerSessionHandle FromService(uint64_t xuid = kMe) {
  ParsedResponse r = ParseWriteResponse(
      200, {{"Content-Type", "application/json"}, {"ETag", kEtag}}, kSpecExample);
  EXPECT_EQ(r.hr, S_OK) << r.detail.ToString();
  return MakeSessionFromResponse(xuid, Ref(), r);
}

// ---- Delta: unmodified sessions --------------------------------------------------

TEST(WriteRequestBody, UnmodifiedSessionsSerialiseToEmptyObject) {
  Handle local(Local());
  ASSERT_NE(local.get(), nullptr);
  EXPECT_EQ(BuildWriteRequestBody(*local.get()), "{}");
  Handle remote(FromService());
  ASSERT_NE(remote.get(), nullptr);
  EXPECT_EQ(BuildWriteRequestBody(*remote.get()), "{}");
}

// ---- Delta: constants -------------------------------------------------------------

TEST(WriteRequestBody, CreateHandleInitArgsBecomeConstants) {
  const uint64_t initiators[] = {kMe, kOther};
  XblMultiplayerSessionInitArgs args{};
  args.MaxMembersInSession = 8;
  args.Visibility = XblMultiplayerSessionVisibility::Open;
  args.InitiatorXuids = initiators;
  args.InitiatorXuidsCount = 2;
  args.CustomJson = R"({"mode":"ctf"})";
  XblMultiplayerSessionReference ref = Ref();
  Handle h(XblMultiplayerSessionCreateHandle(kMe, &ref, &args));
  ASSERT_NE(h.get(), nullptr);
  EXPECT_EQ(h.Body(), json::parse(R"({"constants":{
      "system":{"maxMembersCount":8,"visibility":"open",
                "initiators":["2533274790412345","2533274790498765"]},
      "custom":{"mode":"ctf"}}})"));
  // The getters show what was set.
  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(h.get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->MaxMembersInSession, 8u);
  EXPECT_EQ(c->Visibility, XblMultiplayerSessionVisibility::Open);
  ASSERT_EQ(c->InitiatorXuidsCount, 2u);
  EXPECT_EQ(c->InitiatorXuids[1], kOther);
  EXPECT_EQ(json::parse(c->CustomJson), json({{"mode", "ctf"}}));
  EXPECT_STREQ(XblMultiplayerSessionEtag(h.get()), "");
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(h.get()), XblWriteSessionStatus::Unknown);
  EXPECT_EQ(std::memcmp(XblMultiplayerSessionSessionReference(h.get()), &ref, sizeof(ref)), 0);
}

TEST(WriteRequestBody, CreateHandleRefusesBadInitArgs) {
  XblMultiplayerSessionReference ref = Ref();
  XblMultiplayerSessionInitArgs args{};
  args.CustomJson = "[1,2]";
  EXPECT_EQ(XblMultiplayerSessionCreateHandle(kMe, &ref, &args), nullptr);
  args.CustomJson = "{not json";
  EXPECT_EQ(XblMultiplayerSessionCreateHandle(kMe, &ref, &args), nullptr);
  args = XblMultiplayerSessionInitArgs{};
  args.InitiatorXuidsCount = 1;
  EXPECT_EQ(XblMultiplayerSessionCreateHandle(kMe, &ref, &args), nullptr);
  args = XblMultiplayerSessionInitArgs{};
  args.MaxMembersInSession = 1001;
  EXPECT_EQ(XblMultiplayerSessionCreateHandle(kMe, &ref, &args), nullptr);
  args = XblMultiplayerSessionInitArgs{};
  args.Visibility = static_cast<XblMultiplayerSessionVisibility>(99);
  EXPECT_EQ(XblMultiplayerSessionCreateHandle(kMe, &ref, &args), nullptr);
  // Unknown visibility and 0 members mean "service default": nothing sent.
  args = XblMultiplayerSessionInitArgs{};
  Handle h(XblMultiplayerSessionCreateHandle(kMe, &ref, &args));
  ASSERT_NE(h.get(), nullptr);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), "{}");
}

TEST(WriteRequestBody, ConstantSetters) {
  Handle h(Local());
  EXPECT_EQ(XblMultiplayerSessionConstantsSetMaxMembersInSession(h.get(), 4), S_OK);
  EXPECT_EQ(h.Body(), json::parse(R"({"constants":{"system":{"maxMembersCount":4}}})"));
  EXPECT_EQ(XblMultiplayerSessionConstantsSetVisibility(
                h.get(), XblMultiplayerSessionVisibility::PrivateSession),
            S_OK);
  EXPECT_EQ(
      h.Body(),
      json::parse(R"({"constants":{"system":{"maxMembersCount":4,"visibility":"private"}}})"));

  Handle t(Local());
  EXPECT_EQ(XblMultiplayerSessionConstantsSetTimeouts(t.get(), 1000, 2000, 3000, 0), S_OK);
  EXPECT_EQ(t.Body(), json::parse(R"({"constants":{"system":{
      "reservedRemovalTimeout":1000,"inactiveRemovalTimeout":2000,
      "readyRemovalTimeout":3000,"sessionEmptyTimeout":0}}})"));
  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(t.get());
  EXPECT_EQ(c->MemberReservedTimeout, 1000u);
  EXPECT_EQ(c->MemberReadyTimeout, 3000u);
  EXPECT_EQ(c->SessionEmptyTimeout, 0u);

  Handle caps(Local());
  XblMultiplayerSessionCapabilities capabilities{};
  capabilities.Connectivity = true;
  capabilities.Crossplay = true;
  EXPECT_EQ(XblMultiplayerSessionConstantsSetCapabilities(caps.get(), capabilities), S_OK);
  EXPECT_EQ(caps.Body(), json::parse(R"({"constants":{"system":{"capabilities":{
      "connectivity":true,"suppressPresenceActivityCheck":false,"gameplay":false,
      "large":false,"connectionRequiredForActiveMembers":false,
      "userAuthorizationStyle":false,"crossPlay":true,"searchable":false,
      "hasOwners":false}}}})"));
  c = XblMultiplayerSessionSessionConstants(caps.get());
  EXPECT_TRUE(c->SessionCapabilities.Connectivity);
  EXPECT_TRUE(c->SessionCapabilities.Crossplay);
  EXPECT_FALSE(c->SessionCapabilities.Large);
}

TEST(WriteRequestBody, ConstantSettersRefuseBadValues) {
  Handle h(Local());
  EXPECT_EQ(XblMultiplayerSessionConstantsSetMaxMembersInSession(h.get(), 0), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionConstantsSetMaxMembersInSession(h.get(), 1001), E_INVALIDARG);
  EXPECT_EQ(
      XblMultiplayerSessionConstantsSetVisibility(h.get(), XblMultiplayerSessionVisibility::Any),
      E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionConstantsSetVisibility(h.get(),
                                                        XblMultiplayerSessionVisibility::Unknown),
            E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionConstantsSetMaxMembersInSession(nullptr, 4), E_INVALIDARG);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), "{}");
}

TEST(WriteRequestBody, ConstantSettersAfterEtagAreUnexpectedAndRecordNothing) {
  Handle h(FromService());
  XblMultiplayerSessionCapabilities capabilities{};
  EXPECT_EQ(XblMultiplayerSessionConstantsSetMaxMembersInSession(h.get(), 4), E_UNEXPECTED);
  EXPECT_EQ(
      XblMultiplayerSessionConstantsSetVisibility(h.get(), XblMultiplayerSessionVisibility::Full),
      E_UNEXPECTED);
  EXPECT_EQ(XblMultiplayerSessionConstantsSetTimeouts(h.get(), 1, 2, 3, 4), E_UNEXPECTED);
  EXPECT_EQ(XblMultiplayerSessionConstantsSetCapabilities(h.get(), capabilities), E_UNEXPECTED);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), "{}");
  EXPECT_EQ(XblMultiplayerSessionSessionConstants(h.get())->MaxMembersInSession, 8u);
}

// ---- Delta: properties ------------------------------------------------------------

TEST(WriteRequestBody, PropertySystemSetters) {
  Handle h(FromService());
  XblMultiplayerSessionPropertiesSetJoinRestriction(h.get(),
                                                    XblMultiplayerSessionRestriction::Local);
  EXPECT_EQ(h.Body(), json::parse(R"({"properties":{"system":{"joinRestriction":"local"}}})"));
  XblMultiplayerSessionPropertiesSetReadRestriction(h.get(),
                                                    XblMultiplayerSessionRestriction::None);
  XblMultiplayerSessionPropertiesSetClosed(h.get(), true);
  XblMultiplayerSessionPropertiesSetLocked(h.get(), false);
  const char* keywords[] = {"ctf", "ranked"};
  EXPECT_EQ(XblMultiplayerSessionPropertiesSetKeywords(h.get(), keywords, 2), S_OK);
  EXPECT_EQ(h.Body(), json::parse(R"({"properties":{"system":{"joinRestriction":"local",
      "readRestriction":"none","closed":true,"locked":false,"keywords":["ctf","ranked"]}}})"));

  const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(h.get());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->JoinRestriction, XblMultiplayerSessionRestriction::Local);
  EXPECT_EQ(p->ReadRestriction, XblMultiplayerSessionRestriction::None);
  EXPECT_TRUE(p->Closed);
  ASSERT_EQ(p->KeywordCount, 2u);
  EXPECT_STREQ(p->Keywords[1], "ranked");
}

TEST(WriteRequestBody, PropertySettersIgnoreOrRefuseBadValues) {
  Handle h(Local());
  XblMultiplayerSessionPropertiesSetJoinRestriction(h.get(),
                                                    XblMultiplayerSessionRestriction::Unknown);
  XblMultiplayerSessionPropertiesSetReadRestriction(
      h.get(), static_cast<XblMultiplayerSessionRestriction>(42));
  EXPECT_EQ(XblMultiplayerSessionPropertiesSetKeywords(h.get(), nullptr, 1), E_INVALIDARG);
  const char* bad[] = {"ok", nullptr};
  EXPECT_EQ(XblMultiplayerSessionPropertiesSetKeywords(h.get(), bad, 2), E_INVALIDARG);
  const char* not_utf8[] = {"\xff\xfe"};
  EXPECT_EQ(XblMultiplayerSessionPropertiesSetKeywords(h.get(), not_utf8, 1), E_INVALIDARG);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), "{}");
  EXPECT_EQ(XblMultiplayerSessionPropertiesSetKeywords(h.get(), nullptr, 0), S_OK);
  EXPECT_EQ(h.Body(), json::parse(R"({"properties":{"system":{"keywords":[]}}})"));
}

TEST(WriteRequestBody, CustomPropertiesSendTheWholeObjectWithDeletionsAsNull) {
  Handle h(FromService());  // properties.custom is {"map":"dunes"}
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "score", "[1,{\"a\":2}]"), S_OK);
  EXPECT_EQ(h.Body(),
            json::parse(R"({"properties":{"custom":{"map":"dunes","score":[1,{"a":2}]}}})"));
  EXPECT_EQ(XblMultiplayerSessionDeleteCustomPropertyJson(h.get(), "map"), S_OK);
  EXPECT_EQ(h.Body(), json::parse(R"({"properties":{"custom":{"map":null,"score":[1,{"a":2}]}}})"));
  // Setting a deleted key again un-deletes it.
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "map", "\"canyon\""), S_OK);
  EXPECT_EQ(h.Body(),
            json::parse(R"({"properties":{"custom":{"map":"canyon","score":[1,{"a":2}]}}})"));
  const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(h.get());
  EXPECT_EQ(json::parse(p->SessionCustomPropertiesJson),
            json::parse(R"({"map":"canyon","score":[1,{"a":2}]})"));
}

TEST(WriteRequestBody, InvalidCustomPropertyJsonRecordsNothing) {
  Handle h(FromService());
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "k", "{oops"), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "k", ""), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "k", "1 2"), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "k", nullptr), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), nullptr, "1"), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "", "1"), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "\xc0\x80", "1"), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionDeleteCustomPropertyJson(h.get(), nullptr), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionCurrentUserSetCustomPropertyJson(h.get(), "k", "[1,"),
            E_INVALIDARG);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), "{}");
  EXPECT_EQ(
      json::parse(XblMultiplayerSessionSessionProperties(h.get())->SessionCustomPropertiesJson),
      json({{"map", "dunes"}}));
}

// ---- Delta: members -----------------------------------------------------------------

TEST(WriteRequestBody, JoinAddsMeWithXuidInitializeAndActive) {
  Handle h(Local());
  EXPECT_EQ(XblMultiplayerSessionJoin(h.get(), nullptr, true, true), S_OK);
  EXPECT_EQ(h.Body(), json::parse(R"({"members":{"me":{
      "constants":{"system":{"xuid":"2533274790412345","initialize":true}},
      "properties":{"system":{"active":true}}}}})"));

  Handle inactive(Local());
  EXPECT_EQ(XblMultiplayerSessionJoin(inactive.get(), R"({"class":"medic"})", false, false), S_OK);
  EXPECT_EQ(inactive.Body(), json::parse(R"({"members":{"me":{
      "constants":{"system":{"xuid":"2533274790412345","initialize":false},
                   "custom":{"class":"medic"}},
      "properties":{"system":{"active":false}}}}})"));
}

TEST(WriteRequestBody, JoinRefusesBadArguments) {
  Handle h(Local());
  EXPECT_EQ(XblMultiplayerSessionJoin(h.get(), "[1]", false, true), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionJoin(h.get(), "{", false, true), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionJoin(nullptr, nullptr, false, true), E_INVALIDARG);
  Handle anonymous(Local(0));
  EXPECT_EQ(XblMultiplayerSessionJoin(anonymous.get(), nullptr, false, true), E_UNEXPECTED);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), "{}");
  EXPECT_EQ(BuildWriteRequestBody(*anonymous.get()), "{}");
}

TEST(WriteRequestBody, LeaveSendsMeNullAndWinsOverEarlierChanges) {
  Handle h(FromService());
  EXPECT_EQ(XblMultiplayerSessionCurrentUserSetStatus(h.get(),
                                                      XblMultiplayerSessionMemberStatus::Inactive),
            S_OK);
  EXPECT_EQ(XblMultiplayerSessionLeave(h.get()), S_OK);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), R"({"members":{"me":null}})");
  // A later change starts a new "me" update.
  EXPECT_EQ(XblMultiplayerSessionJoin(h.get(), nullptr, false, true), S_OK);
  EXPECT_EQ(h.Body(), json::parse(R"({"members":{"me":{
      "constants":{"system":{"xuid":"2533274790412345","initialize":false}},
      "properties":{"system":{"active":true}}}}})"));
}

TEST(WriteRequestBody, CurrentUserSetStatus) {
  Handle h(FromService());
  EXPECT_EQ(XblMultiplayerSessionCurrentUserSetStatus(h.get(),
                                                      XblMultiplayerSessionMemberStatus::Inactive),
            S_OK);
  EXPECT_EQ(h.Body(),
            json::parse(R"({"members":{"me":{"properties":{"system":{"active":false}}}}})"));
  EXPECT_EQ(XblMultiplayerSessionCurrentUser(h.get())->Status,
            XblMultiplayerSessionMemberStatus::Inactive);
  EXPECT_EQ(
      XblMultiplayerSessionCurrentUserSetStatus(h.get(), XblMultiplayerSessionMemberStatus::Active),
      S_OK);
  EXPECT_EQ(h.Body(),
            json::parse(R"({"members":{"me":{"properties":{"system":{"active":true}}}}})"));

  Handle other(FromService());
  EXPECT_EQ(XblMultiplayerSessionCurrentUserSetStatus(other.get(),
                                                      XblMultiplayerSessionMemberStatus::Ready),
            E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionCurrentUserSetStatus(other.get(),
                                                      XblMultiplayerSessionMemberStatus::Reserved),
            E_INVALIDARG);
  EXPECT_EQ(BuildWriteRequestBody(*other.get()), "{}");
}

TEST(WriteRequestBody, MemberCustomPropertiesGoUnderMe) {
  Handle h(FromService());  // my custom is {"color":"red","rank":3}
  EXPECT_EQ(XblMultiplayerSessionCurrentUserSetCustomPropertyJson(h.get(), "rank", "4"), S_OK);
  EXPECT_EQ(XblMultiplayerSessionCurrentUserDeleteCustomPropertyJson(h.get(), "color"), S_OK);
  EXPECT_EQ(h.Body(),
            json::parse(R"({"members":{"me":{"properties":{"custom":{"color":null,"rank":4}}}}})"));
  EXPECT_EQ(json::parse(XblMultiplayerSessionCurrentUser(h.get())->CustomPropertiesJson),
            json({{"rank", 4}}));

  // Not yet a member: the object starts empty.
  Handle local(Local());
  EXPECT_EQ(XblMultiplayerSessionCurrentUserSetCustomPropertyJson(local.get(), "ready", "true"),
            S_OK);
  EXPECT_EQ(local.Body(),
            json::parse(R"({"members":{"me":{"properties":{"custom":{"ready":true}}}}})"));
}

TEST(WriteRequestBody, ReservationsUseReserveKeys) {
  Handle h(FromService());
  EXPECT_EQ(XblMultiplayerSessionAddMemberReservation(h.get(), kOther, nullptr, true), S_OK);
  EXPECT_EQ(XblMultiplayerSessionAddMemberReservation(h.get(), 42, R"({"team":"blue"})", false),
            S_OK);
  EXPECT_EQ(h.Body(), json::parse(R"({"members":{
      "reserve_0":{"constants":{"system":{"xuid":"2533274790498765","initialize":true}}},
      "reserve_1":{"constants":{"system":{"xuid":"42","initialize":false},
                                "custom":{"team":"blue"}}}}})"));
  // Re-reserving an xuid replaces its reservation.
  EXPECT_EQ(XblMultiplayerSessionAddMemberReservation(h.get(), kOther, nullptr, false), S_OK);
  EXPECT_EQ(h.Body()["members"]["reserve_0"]["constants"]["system"]["initialize"], false);
  EXPECT_EQ(h.Body()["members"].size(), 2u);

  EXPECT_EQ(XblMultiplayerSessionAddMemberReservation(h.get(), 0, nullptr, false), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionAddMemberReservation(h.get(), 7, "[]", false), E_INVALIDARG);
  EXPECT_EQ(h.Body()["members"].size(), 2u);
}

TEST(WriteRequestBody, EverythingTogether) {
  Handle h(FromService());
  XblMultiplayerSessionPropertiesSetClosed(h.get(), true);
  ASSERT_EQ(XblMultiplayerSessionSetCustomPropertyJson(h.get(), "round", "2"), S_OK);
  ASSERT_EQ(
      XblMultiplayerSessionCurrentUserSetStatus(h.get(), XblMultiplayerSessionMemberStatus::Active),
      S_OK);
  ASSERT_EQ(XblMultiplayerSessionAddMemberReservation(h.get(), kOther, nullptr, false), S_OK);
  EXPECT_EQ(h.Body(), json::parse(R"({
      "properties":{"system":{"closed":true},"custom":{"map":"dunes","round":2}},
      "members":{"me":{"properties":{"system":{"active":true}}},
                 "reserve_0":{"constants":{"system":{"xuid":"2533274790498765",
                                                     "initialize":false}}}}})"));
  // Deterministic text.
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), BuildWriteRequestBody(*h.get()));
}

// ---- Handles from responses and getters -------------------------------------------

TEST(SessionHandle, GettersReflectTheResponse) {
  Handle h(FromService());
  ASSERT_NE(h.get(), nullptr);
  EXPECT_STREQ(XblMultiplayerSessionEtag(h.get()), kEtag);
  EXPECT_EQ(SessionEtag(*h.get()), kEtag);
  EXPECT_EQ(SessionXuid(*h.get()), kMe);
  EXPECT_STREQ(SessionRef(*h.get()).SessionName, "session-1");
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(h.get()), XblWriteSessionStatus::Updated);

  const XblMultiplayerSessionInfo* info = XblMultiplayerSessionGetInfo(h.get());
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->ContractVersion, 107u);
  EXPECT_EQ(info->ChangeNumber, 3u);
  EXPECT_STREQ(info->CorrelationId, "06365b64-3067-8039-ecee-3608af3d02fc");
  EXPECT_STREQ(info->Branch, "");

  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(h.get());
  EXPECT_EQ(c->MaxMembersInSession, 8u);
  EXPECT_EQ(c->Visibility, XblMultiplayerSessionVisibility::Open);
  EXPECT_EQ(c->SessionEmptyTimeout, 0u);
  EXPECT_EQ(c->MemberReservedTimeout, 30000u);  // absent: service default
  EXPECT_EQ(json::parse(c->CustomJson), json({{"mode", "ctf"}}));

  const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(h.get());
  EXPECT_EQ(p->JoinRestriction, XblMultiplayerSessionRestriction::Followed);
  EXPECT_FALSE(p->Closed);
  EXPECT_EQ(p->KeywordCount, 0u);

  const XblMultiplayerSessionMember* members = nullptr;
  size_t count = 0;
  ASSERT_EQ(XblMultiplayerSessionMembers(h.get(), &members, &count), S_OK);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(members[0].MemberId, 0u);
  EXPECT_EQ(members[0].Xuid, kMe);
  EXPECT_STREQ(members[0].Gamertag, "PlayerOne");
  EXPECT_EQ(members[0].Status, XblMultiplayerSessionMemberStatus::Active);
  EXPECT_TRUE(members[0].IsCurrentUser);
  EXPECT_EQ(members[1].Xuid, kOther);
  EXPECT_EQ(members[1].Status, XblMultiplayerSessionMemberStatus::Reserved);
  EXPECT_FALSE(members[1].IsCurrentUser);
  EXPECT_STREQ(members[1].CustomPropertiesJson, "{}");
  EXPECT_EQ(XblMultiplayerSessionCurrentUser(h.get()), &members[0]);
  EXPECT_EQ(XblMultiplayerSessionMembers(h.get(), nullptr, &count), E_INVALIDARG);
}

TEST(SessionHandle, ChangesShowInGetters) {
  Handle h(FromService());
  XblMultiplayerSessionPropertiesSetClosed(h.get(), true);
  EXPECT_TRUE(XblMultiplayerSessionSessionProperties(h.get())->Closed);
}

TEST(SessionHandle, DeletedSessionFromA204) {
  ParsedResponse r = ParseWriteResponse(204, {}, "");
  ASSERT_EQ(r.hr, S_OK);
  Handle h(MakeSessionFromResponse(kMe, Ref(), r));
  ASSERT_NE(h.get(), nullptr);
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(h.get()), XblWriteSessionStatus::SessionDeleted);
  EXPECT_STREQ(XblMultiplayerSessionEtag(h.get()), "");
  const XblMultiplayerSessionMember* members = nullptr;
  size_t count = 7;
  ASSERT_EQ(XblMultiplayerSessionMembers(h.get(), &members, &count), S_OK);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(XblMultiplayerSessionCurrentUser(h.get()), nullptr);
  EXPECT_EQ(BuildWriteRequestBody(*h.get()), "{}");
}

TEST(SessionHandle, OutOfSyncHandleKeepsTheLatestState) {
  ParsedResponse r = ParseWriteResponse(
      412, {{"Content-Type", "application/json"}, {"ETag", "\"etag-2\""}}, kSpecExample);
  ASSERT_EQ(r.hr, S_OK);
  Handle h(MakeSessionFromResponse(kMe, Ref(), r));
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(h.get()), XblWriteSessionStatus::OutOfSync);
  EXPECT_STREQ(XblMultiplayerSessionEtag(h.get()), "\"etag-2\"");
  EXPECT_EQ(XblMultiplayerSessionGetInfo(h.get())->ChangeNumber, 3u);
}

TEST(SessionHandle, DuplicateAndCloseCountReferences) {
  XblMultiplayerSessionHandle h = Local();
  XblMultiplayerSessionHandle dup = nullptr;
  ASSERT_EQ(XblMultiplayerSessionDuplicateHandle(h, &dup), S_OK);
  EXPECT_EQ(dup, h);
  EXPECT_EQ(XblMultiplayerSessionDuplicateHandle(h, nullptr), E_INVALIDARG);
  EXPECT_EQ(XblMultiplayerSessionDuplicateHandle(nullptr, &dup), E_INVALIDARG);
  XblMultiplayerSessionCloseHandle(h);
  // Still alive through the duplicate (ASan would report a use after free).
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(dup), XblWriteSessionStatus::Unknown);
  XblMultiplayerSessionCloseHandle(dup);
  XblMultiplayerSessionCloseHandle(nullptr);
}

TEST(SessionHandle, NullHandleGetters) {
  EXPECT_EQ(XblMultiplayerSessionSessionConstants(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionSessionProperties(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionGetInfo(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionEtag(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionCurrentUser(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionSessionReference(nullptr), nullptr);
  EXPECT_EQ(XblMultiplayerSessionWriteStatus(nullptr), XblWriteSessionStatus::Unknown);
  EXPECT_EQ(XblMultiplayerSessionLeave(nullptr), E_INVALIDARG);
}

TEST(SessionHandle, ConcurrentReadersSeeTheSameViews) {
  Handle h(FromService());
  std::vector<const XblMultiplayerSessionMember*> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&h, &seen, i] {
      const XblMultiplayerSessionMember* members = nullptr;
      size_t count = 0;
      if (XblMultiplayerSessionMembers(h.get(), &members, &count) == S_OK && count == 2) {
        seen[i] = members;
      }
      (void)BuildWriteRequestBody(*h.get());
    });
  }
  for (std::thread& t : threads) t.join();
  for (const XblMultiplayerSessionMember* m : seen) EXPECT_EQ(m, seen[0]);
  EXPECT_NE(seen[0], nullptr);
}

// ---- Session references --------------------------------------------------------------

TEST(SessionReference, CreateCutsToFitAndIsValidChecksSegments) {
  XblMultiplayerSessionReference ref = Ref();
  EXPECT_TRUE(XblMultiplayerSessionReferenceIsValid(&ref));
  EXPECT_STREQ(ref.SessionTemplateName, "lobby");

  const std::string long_name(300, 'n');
  XblMultiplayerSessionReference cut =
      XblMultiplayerSessionReferenceCreate("scid", "lobby", long_name.c_str());
  EXPECT_EQ(std::strlen(cut.SessionName), sizeof(cut.SessionName) - 1);
  EXPECT_TRUE(XblMultiplayerSessionReferenceIsValid(&cut));

  for (const char* name : {"", "a/b", "a?b", "a#b", "a%2F", "a b", "a\tb", "a\x7f"}) {
    XblMultiplayerSessionReference bad = XblMultiplayerSessionReferenceCreate("scid", "t", name);
    EXPECT_FALSE(XblMultiplayerSessionReferenceIsValid(&bad)) << name;
  }
  XblMultiplayerSessionReference nulls =
      XblMultiplayerSessionReferenceCreate(nullptr, nullptr, nullptr);
  EXPECT_FALSE(XblMultiplayerSessionReferenceIsValid(&nulls));
  EXPECT_FALSE(XblMultiplayerSessionReferenceIsValid(nullptr));
  XblMultiplayerSessionReference unterminated{};
  std::memset(&unterminated, 'x', sizeof(unterminated));
  EXPECT_FALSE(XblMultiplayerSessionReferenceIsValid(&unterminated));
}

}  // namespace
}  // namespace sessionrig
