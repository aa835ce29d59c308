#include "sessionrig/session_document.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/session_examples.h"

namespace sessionrig {
namespace {

using nlohmann::json;

using testing::kExampleSession;

// A fuller document: every typed field, nulls for "never", and fields the
// model does not type (servers, roleTypes, unknown member keys).
constexpr char kFullDocument[] = R"({
 "contractVersion":107,"branch":"b5a8c1f4-0000-4000-8000-000000000001","changeNumber":42,
 "correlationId":"06365b64-3067-8039-ecee-3608af3d02fc","searchHandle":"sh-1",
 "startTime":"2024-05-01T12:00:00.1234567Z","nextTimer":"2024-05-01T12:05:00+02:00",
 "constants":{"system":{"version":1,"maxMembersCount":16,"visibility":"private",
   "initiators":["2533274790412345"],
   "capabilities":{"connectivity":true,"large":false,"crossPlay":true,"team":true},
   "reservedRemovalTimeout":30000,"inactiveRemovalTimeout":null,
   "readyRemovalTimeout":180000,"sessionEmptyTimeout":0,
   "metrics":{"latency":true}},
   "custom":{"mode":"ctf","nested":{"a":[1,2.5,"x",null,true]}},"cloudCompute":{}},
 "properties":{"system":{"keywords":["ctf","ranked"],"turn":[1],"joinRestriction":"local",
   "readRestriction":"none","closed":true,"locked":false,"host":"device-token",
   "owners":[0],"matchmaking":{"targetSessionConstants":{}},"initializationSucceeded":true},
   "custom":{"map":"dunes","score":-3}},
 "membersInfo":{"first":3,"next":9,"count":2,"accepted":1,"active":1,"future":1},
 "members":{
  "3":{"constants":{"system":{"index":3,"xuid":"2533274790412345","initialize":true,"team":"red"},
         "custom":{"role":"flag"}},
       "properties":{"system":{"active":true,"ready":false,"secureDeviceAddress":"AQID",
         "connection":"abc"},"custom":{"k":1}},
       "gamertag":"PlayerOne","activeTitleId":"1234567","joinTime":"2024-05-01T12:00:01Z",
       "roles":{"lfg":"confirmed"},"next":7,"deviceToken":"t"},
  "7":{"constants":{"system":{"index":7,"xuid":"18446744073709551615"}},
       "reserved":true,"next":9}},
 "servers":{"game":{"constants":{"system":{}}}},
 "roleTypes":{"lfg":{"roles":{"confirmed":{"target":2}}}}})";

StatusCode CodeOf(std::string_view text, const SessionLimits& limits = {}) {
  return ParseSessionDocument(text, JsonLimits{}, limits).status().code();
}

StatusCode JsonCodeOf(const json& doc, const SessionLimits& limits = {}) {
  return ParseSessionDocument(doc, limits).status().code();
}

// A valid document with `n` members 0..n-1 chained in order.
json ChainOf(uint32_t n) {
  json doc = {{"membersInfo", {{"first", 0}, {"next", n}, {"count", n}}}};
  json members = json::object();
  for (uint32_t i = 0; i < n; ++i) {
    members[std::to_string(i)] = {
        {"constants", {{"system", {{"index", i}, {"xuid", std::to_string(1000 + i)}}}}},
        {"next", i + 1}};
  }
  doc["members"] = std::move(members);
  return doc;
}

TEST(SessionDocument, ParsesTheExample) {
  auto doc = ParseSessionDocument(std::string_view(kExampleSession));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->contract_version, 107u);
  EXPECT_EQ(doc->change_number, 3u);
  EXPECT_EQ(doc->correlation_id, "06365b64-3067-8039-ecee-3608af3d02fc");
  EXPECT_EQ(doc->constants.system.version, 1u);
  EXPECT_EQ(doc->constants.system.max_members_count, 8u);
  EXPECT_EQ(doc->constants.system.visibility, SessionVisibility::kOpen);
  EXPECT_EQ(doc->constants.system.session_empty_timeout, 0u);
  EXPECT_FALSE(doc->constants.system.reserved_removal_timeout.has_value());
  EXPECT_EQ(doc->constants.custom.value(), json({{"mode", "ctf"}}));
  EXPECT_EQ(doc->properties.system.join_restriction, SessionRestriction::kFollowed);
  EXPECT_EQ(doc->properties.system.closed, false);
  EXPECT_EQ(doc->properties.custom.value(), json({{"map", "dunes"}}));
  EXPECT_EQ(doc->members_info.first, 0u);
  EXPECT_EQ(doc->members_info.next, 2u);
  EXPECT_EQ(doc->members_info.active, 1u);
  ASSERT_EQ(doc->members.size(), 2u);
  EXPECT_EQ(doc->members[0].index, 0u);
  EXPECT_EQ(doc->members[0].xuid, 2533274790412345u);
  EXPECT_EQ(doc->members[0].gamertag, "PlayerOne");
  EXPECT_EQ(doc->members[0].active, true);
  EXPECT_EQ(doc->members[0].properties_custom.value(), json({{"color", "red"}, {"rank", 3}}));
  EXPECT_EQ(doc->members[0].next, 1u);
  EXPECT_EQ(doc->members[1].index, 1u);
  EXPECT_EQ(doc->members[1].xuid, 2533274790498765u);
  EXPECT_EQ(doc->members[1].reserved, true);
  EXPECT_FALSE(doc->members[1].active.has_value());
}

TEST(SessionDocument, RoundTripsTheExample) {
  auto doc = ParseSessionDocument(std::string_view(kExampleSession));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const std::string text = SerializeSessionDocument(*doc);
  auto again = ParseSessionDocument(std::string_view(text));
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
  EXPECT_EQ(*again, *doc);
  // Serialisation is deterministic.
  EXPECT_EQ(SerializeSessionDocument(*again), text);
}

TEST(SessionDocument, RoundTripsEveryFieldAndKeepsUnknownOnes) {
  auto doc = ParseSessionDocument(std::string_view(kFullDocument));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  // A null number reads as absent, and its siblings are read as usual.
  EXPECT_FALSE(doc->constants.system.inactive_removal_timeout.has_value());
  EXPECT_EQ(doc->constants.system.ready_removal_timeout, 180000u);
  EXPECT_EQ(doc->constants.system.capabilities->at("crossPlay"), true);
  ASSERT_TRUE(doc->constants.system.metrics.has_value());
  EXPECT_EQ(doc->constants.system.metrics->latency, true);
  EXPECT_FALSE(doc->constants.system.metrics->custom.has_value());
  EXPECT_TRUE(doc->constants.system.extra.empty());
  EXPECT_EQ(doc->properties.system.keywords, (std::vector<std::string>{"ctf", "ranked"}));
  EXPECT_EQ(doc->extra.value().size(), 2u);  // servers, roleTypes
  ASSERT_EQ(doc->members.size(), 2u);
  EXPECT_EQ(doc->members[0].index, 3u);
  EXPECT_EQ(doc->members[0].active_title_id, 1234567u);
  EXPECT_EQ(doc->members[0].extra.value(), json({{"deviceToken", "t"}}));
  EXPECT_EQ(doc->members[0].constants_system_extra.value(), json({{"team", "red"}}));
  EXPECT_EQ(doc->members[1].xuid, 18446744073709551615u);

  const std::string text = SerializeSessionDocument(*doc);
  auto again = ParseSessionDocument(std::string_view(text));
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
  EXPECT_EQ(*again, *doc);
  // The untyped parts survive byte for byte.
  EXPECT_EQ(json::parse(text)["roleTypes"], json::parse(kFullDocument)["roleTypes"]);
  EXPECT_FALSE(json::parse(text)["constants"]["system"].contains("inactiveRemovalTimeout"));
}

TEST(SessionDocument, EmptyAndMemberlessDocumentsAreValid) {
  auto empty = ParseSessionDocument(std::string_view("{}"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->members.empty());
  EXPECT_EQ(SerializeSessionDocument(*empty), "{}");
  auto no_members = ParseSessionDocument(std::string_view(R"({"members":{}})"));
  ASSERT_TRUE(no_members.ok());
  EXPECT_TRUE(no_members->members.empty());
  EXPECT_TRUE(
      ParseSessionDocument(
          std::string_view(R"({"membersInfo":{"first":0,"next":0,"count":0},"members":{}})"))
          .ok());
}

TEST(SessionDocument, RefusesWrongJsonTypes) {
  EXPECT_EQ(CodeOf(R"([])"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"("session")"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"(42)"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"(null)"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"changeNumber":"3"})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"changeNumber":-1})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"changeNumber":1.0})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"contractVersion":4294967296})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"members":[]})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"members":"0"})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"constants":[]})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"constants":{"custom":[]}})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"constants":{"system":{"visibility":"secret"}}})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"constants":{"system":{"maxMembersCount":0}}})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"constants":{"system":{"capabilities":{"large":1}}}})"),
            StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"constants":{"system":{"sessionEmptyTimeout":"0"}}})"),
            StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"properties":{"system":{"closed":"no"}}})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"properties":{"system":{"keywords":["a",1]}}})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"properties":{"system":{"joinRestriction":"anyone"}}})"),
            StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"membersInfo":{"first":"0"}})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"startTime":"yesterday"})"), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(R"({"startTime":1714564800})"), StatusCode::kWrongType);
}

TEST(SessionDocument, RefusesBadMemberFields) {
  auto with_member = [](const std::string& member) {
    return R"({"membersInfo":{"first":0,"next":1},"members":{"0":)" + member + "}}";
  };
  EXPECT_EQ(CodeOf(with_member(R"({"next":1})")), StatusCode::kOk);
  EXPECT_EQ(CodeOf(with_member("null")), StatusCode::kNullMember);
  EXPECT_EQ(CodeOf(with_member("[]")), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"next":"1"})")), StatusCode::kWrongType);
  // xuid: a decimal uint64 string, nothing else.
  EXPECT_EQ(CodeOf(with_member(R"({"constants":{"system":{"xuid":2533274790412345}}})")),
            StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"constants":{"system":{"xuid":"25332747x"}}})")),
            StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"constants":{"system":{"xuid":""}}})")), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"constants":{"system":{"xuid":"-1"}}})")),
            StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"constants":{"system":{"xuid":"18446744073709551616"}}})")),
            StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"activeTitleId":"12ab"})")), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"activeTitleId":"4294967296"})")), StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"properties":{"system":{"active":"yes"}}})")),
            StatusCode::kWrongType);
  EXPECT_EQ(CodeOf(with_member(R"({"roles":[]})")), StatusCode::kWrongType);
  // Gamertag: kept whole up to the string limit (the C view cuts it to its
  // 15-byte buffer, as the SDK does); past the string limit it is refused.
  EXPECT_EQ(CodeOf(with_member(R"({"gamertag":"ABCDEFGHIJKLMNOP","next":1})")), StatusCode::kOk);
  EXPECT_EQ(CodeOf(with_member(R"({"gamertag":")" + std::string(4097, 'g') + R"("})")),
            StatusCode::kStringTooLong);
  EXPECT_EQ(CodeOf(with_member(R"({"gamertag":7})")), StatusCode::kWrongType);
}

TEST(SessionDocument, EnforcesStringLimits) {
  SessionLimits limits;
  limits.max_string_bytes = 8;
  EXPECT_EQ(CodeOf(R"({"branch":"12345678"})", limits), StatusCode::kOk);
  EXPECT_EQ(CodeOf(R"({"branch":"123456789"})", limits), StatusCode::kStringTooLong);
  EXPECT_EQ(CodeOf(R"({"properties":{"system":{"keywords":["123456789"]}}})", limits),
            StatusCode::kStringTooLong);
  limits = SessionLimits{};
  limits.max_list_items = 2;
  EXPECT_EQ(CodeOf(R"({"properties":{"system":{"turn":[0,1,2]}}})", limits),
            StatusCode::kTooManyMembers);
}

TEST(SessionDocument, MemberKeysMustBeCanonicalDecimalIndices) {
  for (const char* key : {"a", "01", "-1", "+1", " 1", "1.0", "4294967296", ""}) {
    json doc = {{"membersInfo", {{"first", 1}}}, {"members", {{key, json::object()}}}};
    EXPECT_EQ(JsonCodeOf(doc), StatusCode::kWrongType) << "key \"" << key << "\"";
  }
  json ok = {{"membersInfo", {{"first", 4294967295u}}},
             {"members", {{"4294967295", json::object()}}}};
  EXPECT_EQ(JsonCodeOf(ok), StatusCode::kOk);
}

TEST(SessionDocument, MemberIndexMustMatchItsKey) {
  json doc = ChainOf(2);
  doc["members"]["1"]["constants"]["system"]["index"] = 0;
  EXPECT_EQ(JsonCodeOf(doc), StatusCode::kMemberChain);
}

TEST(SessionDocument, DuplicateMemberKeysAreRefusedByTheJsonParser) {
  EXPECT_EQ(CodeOf(R"({"membersInfo":{"first":0},"members":{"0":{},"0":{}}})"),
            StatusCode::kJsonSyntax);
}

TEST(SessionDocument, ChainIsFollowedFromFirst) {
  // Members listed 0,1,2 but chained 2 -> 0 -> 1.
  json doc = ChainOf(3);
  doc["membersInfo"]["first"] = 2;
  doc["membersInfo"]["next"] = 3;
  doc["members"]["2"]["next"] = 0;
  doc["members"]["0"]["next"] = 1;
  doc["members"]["1"]["next"] = 3;
  auto parsed = ParseSessionDocument(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->members.size(), 3u);
  EXPECT_EQ(parsed->members[0].index, 2u);
  EXPECT_EQ(parsed->members[1].index, 0u);
  EXPECT_EQ(parsed->members[2].index, 1u);
  auto again = ParseSessionDocument(std::string_view(SerializeSessionDocument(*parsed)));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *parsed);
}

TEST(SessionDocument, ChainLoopsAreRefused) {
  json two = ChainOf(2);
  two["members"]["1"]["next"] = 0;  // 0 -> 1 -> 0
  auto parsed = ParseSessionDocument(two);
  EXPECT_EQ(parsed.status().code(), StatusCode::kMemberChain) << parsed.status().ToString();

  json three = ChainOf(3);
  three["members"]["1"]["next"] = 0;  // 0 -> 1 -> 0, member 2 unreached
  EXPECT_EQ(JsonCodeOf(three), StatusCode::kMemberChain);

  json self = ChainOf(1);
  self["members"]["0"]["next"] = 0;
  EXPECT_EQ(JsonCodeOf(self), StatusCode::kMemberChain);
}

TEST(SessionDocument, ChainToMissingIndexOrSkippingIsRefused) {
  json dangling = ChainOf(2);
  dangling["members"]["0"]["next"] = 5;
  EXPECT_EQ(JsonCodeOf(dangling), StatusCode::kMemberChain);

  json skip = ChainOf(3);  // 0 -> 2 -> 3 (end), member 1 skipped
  skip["members"]["0"]["next"] = 2;
  EXPECT_EQ(JsonCodeOf(skip), StatusCode::kMemberChain);

  json early_end = ChainOf(2);
  early_end["members"]["0"].erase("next");
  EXPECT_EQ(JsonCodeOf(early_end), StatusCode::kMemberChain);

  json bad_first = ChainOf(2);
  bad_first["membersInfo"]["first"] = 7;
  EXPECT_EQ(JsonCodeOf(bad_first), StatusCode::kMemberChain);

  json no_first = ChainOf(2);
  no_first["membersInfo"].erase("first");
  EXPECT_EQ(JsonCodeOf(no_first), StatusCode::kMissingField);

  json mismatch = ChainOf(2);
  mismatch["membersInfo"]["next"] = 9;  // last member's next is 2
  EXPECT_EQ(JsonCodeOf(mismatch), StatusCode::kMemberChain);

  json next_is_member = ChainOf(2);
  next_is_member["membersInfo"]["next"] = 1;
  EXPECT_EQ(JsonCodeOf(next_is_member), StatusCode::kMemberChain);

  json last_without_next = ChainOf(2);
  last_without_next["members"]["1"].erase("next");
  EXPECT_EQ(JsonCodeOf(last_without_next), StatusCode::kOk);
}

TEST(SessionDocument, MemberCountLimit) {
  EXPECT_EQ(JsonCodeOf(ChainOf(1000)), StatusCode::kOk);
  EXPECT_EQ(JsonCodeOf(ChainOf(1001)), StatusCode::kTooManyMembers);
  SessionLimits small;
  small.max_members = 2;
  EXPECT_EQ(JsonCodeOf(ChainOf(3), small), StatusCode::kTooManyMembers);
}

TEST(SessionDocument, LongReverseChainIsOrdered) {
  // 1000 members chained 999 -> 998 -> ... -> 0.
  const uint32_t n = 1000;
  json doc = {{"membersInfo", {{"first", n - 1}, {"next", n}}}};
  json members = json::object();
  for (uint32_t i = 0; i < n; ++i) {
    json m = json::object();
    if (i > 0) m["next"] = i - 1;
    members[std::to_string(i)] = std::move(m);
  }
  doc["members"] = std::move(members);
  auto parsed = ParseSessionDocument(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->members.size(), n);
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(parsed->members[i].index, n - 1 - i);
}

TEST(SessionDocument, TextOverloadAppliesJsonLimits) {
  const std::string deep(200000, '[');
  EXPECT_EQ(ParseSessionDocument(std::string_view(deep)).status().code(),
            StatusCode::kJsonDepthLimit);
  EXPECT_EQ(CodeOf("{"), StatusCode::kJsonSyntax);
  EXPECT_EQ(CodeOf(""), StatusCode::kJsonSyntax);
}

TEST(Rfc3339, ParsesAndRefuses) {
  int64_t t = -1;
  ASSERT_TRUE(ParseRfc3339("1970-01-01T00:00:00Z", &t));
  EXPECT_EQ(t, 0);
  ASSERT_TRUE(ParseRfc3339("2024-05-01T12:00:00.1234567Z", &t));
  EXPECT_EQ(t, 1714564800);
  ASSERT_TRUE(ParseRfc3339("2024-05-01T14:00:00+02:00", &t));
  EXPECT_EQ(t, 1714564800);
  ASSERT_TRUE(ParseRfc3339("2024-02-29t00:00:00z", &t));
  EXPECT_EQ(t, 1709164800);
  t = 5;
  EXPECT_FALSE(ParseRfc3339("2023-02-29T00:00:00Z", &t));
  EXPECT_FALSE(ParseRfc3339("2024-05-01 12:00:00Z", &t));
  EXPECT_FALSE(ParseRfc3339("2024-05-01T12:00:00", &t));
  EXPECT_FALSE(ParseRfc3339("2024-05-01T24:00:00Z", &t));
  EXPECT_FALSE(ParseRfc3339("2024-05-01T12:00:00.Z", &t));
  EXPECT_FALSE(ParseRfc3339("2024-05-01T12:00:00Zjunk", &t));
  EXPECT_FALSE(ParseRfc3339("", &t));
  EXPECT_EQ(t, 5);
}

}  // namespace
}  // namespace sessionrig
