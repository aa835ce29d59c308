#include "session/session_request.h"

#include <gtest/gtest.h>

#include <string>

#include "session/handle_test_util.h"

namespace sessionrig::testing {
namespace {

using nlohmann::json;

TEST(SessionRequest, UrlAndEnvelope) {
  Handle h(FromService());
  HttpRequest req;
  ASSERT_EQ(
      BuildWriteRequest({"http://127.0.0.1:1/x", "XBL3.0 x=1;t", std::chrono::milliseconds(5)},
                        *h.get(), XblMultiplayerSessionWriteMode::SynchronizedUpdate, &req),
      S_OK);
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.url,
            "http://127.0.0.1:1/x/serviceconfigs/00000000-0000-0000-0000-000076029b4d/"
            "sessionTemplates/lobby/sessions/session-1");
  EXPECT_EQ(req.timeout, std::chrono::milliseconds(5));
  const HeaderList want = {{"x-xbl-contract-version", "107"},
                           {"Accept", "application/json"},
                           {"Authorization", "XBL3.0 x=1;t"},
                           {"If-Match", kEtag},
                           {"Content-Type", "application/json; charset=utf-8"}};
  EXPECT_EQ(req.headers, want);
  EXPECT_EQ(req.body, "{}");

  const HttpRequest get = BuildGetRequest({"http://h", "", std::chrono::milliseconds(7)}, Ref());
  EXPECT_EQ(get.method, "GET");
  EXPECT_TRUE(get.body.empty());
  const HeaderList get_want = {{"x-xbl-contract-version", "107"}, {"Accept", "application/json"}};
  EXPECT_EQ(get.headers, get_want);  // no Authorization when there is none
}

TEST(SessionRequest, ConditionalHeaderOfEachWriteMode) {
  Handle local(Local());
  Handle written(FromService());
  struct Case {
    XblMultiplayerSessionWriteMode mode;
    const Handle& handle;
    const char* name;  // "" when no conditional header is sent
    const char* value;
  } cases[] = {
      {XblMultiplayerSessionWriteMode::CreateNew, written, "If-None-Match", "*"},
      {XblMultiplayerSessionWriteMode::UpdateOrCreateNew, written, "", ""},
      {XblMultiplayerSessionWriteMode::UpdateExisting, written, "If-Match", "*"},
      {XblMultiplayerSessionWriteMode::SynchronizedUpdate, written, "If-Match", kEtag},
      // A handle created locally has no ETag yet: the write must create.
      {XblMultiplayerSessionWriteMode::SynchronizedUpdate, local, "If-None-Match", "*"},
  };
  for (const Case& c : cases) {
    HttpRequest req;
    ASSERT_EQ(BuildWriteRequest({"http://h", "", std::chrono::milliseconds(1)}, *c.handle.get(),
                                c.mode, &req),
              S_OK);
    int conditional = 0;
    for (const auto& [name, value] : req.headers) {
      if (name == "If-Match" || name == "If-None-Match") {
        ++conditional;
        EXPECT_EQ(name, c.name);
        EXPECT_EQ(value, c.value);
      }
    }
    EXPECT_EQ(conditional, c.name[0] == '\0' ? 0 : 1) << static_cast<int>(c.mode);
  }
  HttpRequest req;
  EXPECT_EQ(BuildWriteRequest({"http://h", "", std::chrono::milliseconds(1)}, *written.get(),
                              static_cast<XblMultiplayerSessionWriteMode>(7), &req),
            E_INVALIDARG);
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

}  // namespace
}  // namespace sessionrig::testing
