#include "sessiond/merge.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sessionrig/session_document.h"

namespace sessionrig::sessiond {
namespace {

MergeContext Ctx(std::string xuid = "100") {
  MergeContext c;
  c.caller_xuid = std::move(xuid);
  c.now_iso = "2024-01-02T03:04:05.678Z";
  c.correlation_id = "corr";
  c.branch = "branch";
  return c;
}

Json Join(bool active = true) {
  return Json::parse(R"({"members":{"me":{"properties":{"system":{"active":)" +
                     std::string(active ? "true" : "false") + "}}}}}");
}

// Applies `delta` and requires success and a valid result.
Json Apply(const Json* current, const Json& delta, const MergeContext& ctx) {
  auto r = MergeDelta(current, delta, ctx);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " delta=" << delta.dump();
  if (!r.ok()) return current ? *current : Json();
  EXPECT_TRUE(ValidateDocument(r->document, current).ok())
      << ValidateDocument(r->document, current).ToString();
  return r->document;
}

TEST(SessiondMerge, CreationFillsDefaultsAndKeepsConstants) {
  auto r = MergeDelta(nullptr, Json::parse(R"({"constants":{"system":{"maxMembersCount":8,
      "visibility":"open"},"custom":{"mode":"ctf"}},"properties":{"custom":{"map":"dunes"}}})"),
                      Ctx());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->created);
  EXPECT_TRUE(r->changed);
  EXPECT_FALSE(r->deleted);
  const Json& d = r->document;
  EXPECT_EQ(d["changeNumber"], 1);
  EXPECT_EQ(d["constants"]["system"]["maxMembersCount"], 8);
  EXPECT_EQ(d["constants"]["system"]["reservedRemovalTimeout"], 30000);
  EXPECT_EQ(d["constants"]["system"]["sessionEmptyTimeout"], 0);
  EXPECT_EQ(d["constants"]["custom"]["mode"], "ctf");
  EXPECT_EQ(d["properties"]["custom"]["map"], "dunes");
  EXPECT_EQ(d["correlationId"], "corr");
  EXPECT_EQ(d["membersInfo"],
            Json::parse(R"({"first":0,"next":0,"count":0,"accepted":0,"active":0})"));
  EXPECT_TRUE(ValidateDocument(d).ok());
}

TEST(SessiondMerge, ConstantsCannotChangeAfterCreation) {
  Json doc =
      Apply(nullptr, Json::parse(R"({"constants":{"system":{"maxMembersCount":8}}})"), Ctx());
  // Resending the same value is fine and changes nothing.
  auto same =
      MergeDelta(&doc, Json::parse(R"({"constants":{"system":{"maxMembersCount":8}}})"), Ctx());
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  auto changed =
      MergeDelta(&doc, Json::parse(R"({"constants":{"system":{"maxMembersCount":9}}})"), Ctx());
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.status().code(), StatusCode::kConflict);
  auto added = MergeDelta(&doc, Json::parse(R"({"constants":{"custom":{"new":1}}})"), Ctx());
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), StatusCode::kConflict);
}

TEST(SessiondMerge, PropertiesSystemSetAndCustomMergeWithNullDeleting) {
  Json doc =
      Apply(nullptr, Json::parse(R"({"properties":{"custom":{"a":1,"b":{"x":1,"y":2}}}})"), Ctx());
  doc =
      Apply(&doc, Json::parse(R"({"properties":{"system":{"closed":true,"joinRestriction":"local"},
      "custom":{"a":null,"b":{"y":null,"z":3},"c":"new"}}})"),
            Ctx());
  EXPECT_EQ(doc["properties"]["system"]["closed"], true);
  EXPECT_EQ(doc["properties"]["system"]["joinRestriction"], "local");
  EXPECT_EQ(doc["properties"]["custom"], Json::parse(R"({"b":{"x":1,"z":3},"c":"new"})"));
  EXPECT_EQ(doc["changeNumber"], 2);
  doc = Apply(&doc, Json::parse(R"({"properties":{"system":{"closed":null}}})"), Ctx());
  EXPECT_FALSE(doc["properties"]["system"].contains("closed"));
}

TEST(SessiondMerge, WrongTypesAreRefused) {
  Json doc = Apply(nullptr, Json::object(), Ctx());
  for (const char* bad :
       {R"([])", R"({"constants":[]})", R"({"properties":{"system":{"closed":"yes"}}})",
        R"({"properties":{"system":{"joinRestriction":"everyone"}}})",
        R"({"properties":{"custom":[]}})",
        R"({"members":{"me":{"properties":{"system":{"active":1}}}}})",
        R"({"members":{"me":{"constants":{"system":{"index":3}}}}})", R"({"members":{"bob":{}}})",
        R"({"members":{"reserve_0":null}})", R"({"members":{"reserve_0":{}}})",
        R"({"members":{"reserve_x":{"constants":{"system":{"xuid":"5"}}}}})",
        R"({"changeNumber":5})",
        R"({"members":{"reserve_0":{"constants":{"system":{"xuid":"abc"}}}}})"}) {
    auto r = MergeDelta(&doc, Json::parse(bad), Ctx());
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().code(), StatusCode::kConflict) << bad;
  }
  for (const char* bad : {R"({"constants":{"system":{"maxMembersCount":0}}})",
                          R"({"constants":{"system":{"maxMembersCount":101}}})",
                          R"({"constants":{"system":{"maxMembersCount":2.5}}})",
                          R"({"constants":{"system":{"sessionEmptyTimeout":-1}}})",
                          R"({"constants":{"system":{"visibility":"secret"}}})"}) {
    EXPECT_FALSE(MergeDelta(nullptr, Json::parse(bad), Ctx()).ok()) << bad;
  }
  // Large sessions may go to 1000.
  EXPECT_TRUE(MergeDelta(nullptr, Json::parse(R"({"constants":{"system":{"maxMembersCount":1000,
      "capabilities":{"large":true}}}})"),
                         Ctx())
                  .ok());
}

TEST(SessiondMerge, JoinUpdateLeaveWithMonotonicIndicesAndChain) {
  Json doc = Apply(nullptr,
                   Json::parse(R"({"constants":{"system":{"sessionEmptyTimeout":60000}}})"), Ctx());
  doc = Apply(&doc, Join(), Ctx("100"));
  doc = Apply(&doc, Join(false), Ctx("200"));
  doc = Apply(&doc, Join(), Ctx("300"));
  EXPECT_EQ(doc["membersInfo"],
            Json::parse(R"({"first":0,"next":3,"count":3,"accepted":3,"active":2})"));
  EXPECT_EQ(doc["members"]["0"]["next"], 1);
  EXPECT_EQ(doc["members"]["2"]["next"], 3);
  EXPECT_EQ(doc["members"]["1"]["constants"]["system"]["xuid"], "200");
  EXPECT_EQ(doc["members"]["1"]["joinTime"], "2024-01-02T03:04:05.678Z");

  // Update: same index, properties merged.
  doc = Apply(&doc, Json::parse(R"({"members":{"me":{"properties":{"system":{"active":true},
      "custom":{"skill":5}}}}})"),
              Ctx("200"));
  EXPECT_EQ(doc["members"]["1"]["properties"]["custom"]["skill"], 5);
  EXPECT_EQ(doc["membersInfo"]["active"], 3);

  // The middle member leaves: the chain skips it, its index is never reused.
  doc = Apply(&doc, Json::parse(R"({"members":{"me":null}})"), Ctx("200"));
  EXPECT_EQ(doc["members"]["0"]["next"], 2);
  EXPECT_EQ(doc["membersInfo"]["count"], 2);
  doc = Apply(&doc, Join(), Ctx("200"));
  EXPECT_TRUE(doc["members"].contains("3"));
  EXPECT_FALSE(doc["members"].contains("1"));
  EXPECT_EQ(doc["members"]["2"]["next"], 3);
  EXPECT_EQ(doc["membersInfo"]["next"], 4);

  // Leaving when not a member changes nothing.
  auto noop = MergeDelta(&doc, Json::parse(R"({"members":{"me":null}})"), Ctx("999"));
  ASSERT_TRUE(noop.ok());
  EXPECT_FALSE(noop->changed);
  EXPECT_EQ(noop->document["members"], doc["members"]);
  EXPECT_EQ(noop->document["changeNumber"],
            doc["changeNumber"].get<int>() + 1);  // still a new version

  // Everyone leaves; with a non-zero empty timeout the session stays.
  for (const char* x : {"100", "300", "200"}) {
    auto r = MergeDelta(&doc, Json::parse(R"({"members":{"me":null}})"), Ctx(x));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->deleted);
    doc = r->document;
  }
  EXPECT_EQ(doc["membersInfo"],
            Json::parse(R"({"first":4,"next":4,"count":0,"accepted":0,"active":0})"));
  EXPECT_TRUE(ValidateDocument(doc).ok());
}

TEST(SessiondMerge, LastMemberLeavingWithZeroTimeoutDeletes) {
  Json doc = Apply(nullptr, Json::object(), Ctx());  // created empty: not deleted
  doc = Apply(&doc, Join(), Ctx("1"));
  doc = Apply(&doc, Join(), Ctx("2"));
  auto r = MergeDelta(&doc, Json::parse(R"({"members":{"me":null}})"), Ctx("1"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->deleted);
  r = MergeDelta(&r->document, Json::parse(R"({"members":{"me":null}})"), Ctx("2"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->deleted);
}

TEST(SessiondMerge, CapacityIsAllOrNothing) {
  Json doc =
      Apply(nullptr, Json::parse(R"({"constants":{"system":{"maxMembersCount":2}}})"), Ctx());
  doc = Apply(&doc, Join(), Ctx("1"));
  // Joining plus two reservations needs three seats: refused, nothing applied.
  auto r = MergeDelta(&doc, Json::parse(R"({"members":{"me":{},
      "reserve_0":{"constants":{"system":{"xuid":"7"}}},"reserve_1":{"constants":{"system":{"xuid":"8"}}}}})"),
                      Ctx("2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_NE(r.status().message().find("session full"), std::string::npos);
  doc = Apply(&doc, Join(), Ctx("2"));
  auto full = MergeDelta(&doc, Join(), Ctx("3"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kConflict);
  // An existing member may still update.
  EXPECT_TRUE(MergeDelta(&doc, Join(false), Ctx("2")).ok());
}

TEST(SessiondMerge, ReservationsThenJoin) {
  Json doc = Apply(nullptr, Json::object(), Ctx());
  doc = Apply(&doc, Json::parse(R"({"members":{"me":{},
      "reserve_10":{"constants":{"system":{"xuid":"11"}}},"reserve_2":{"constants":{"system":{"xuid":"22"}}}}})"),
              Ctx("1"));
  // Reservations are allocated in numeric order of N.
  EXPECT_EQ(doc["members"]["1"]["constants"]["system"]["xuid"], "22");
  EXPECT_EQ(doc["members"]["2"]["constants"]["system"]["xuid"], "11");
  EXPECT_EQ(doc["members"]["1"]["reserved"], true);
  EXPECT_EQ(doc["membersInfo"]["accepted"], 1);
  // The reserved user joins into the reserved seat.
  doc = Apply(&doc, Join(), Ctx("22"));
  EXPECT_FALSE(doc["members"]["1"].contains("reserved"));
  EXPECT_EQ(doc["membersInfo"]["accepted"], 2);
  EXPECT_EQ(doc["membersInfo"]["next"], 3);
  // Reserving someone already there changes nothing.
  auto again = MergeDelta(
      &doc, Json::parse(R"({"members":{"reserve_0":{"constants":{"system":{"xuid":"22"}}}}})"),
      Ctx("1"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  // Expiring the remaining reservation.
  EXPECT_TRUE(RemoveMembers(&doc, {2}));
  EXPECT_TRUE(ValidateDocument(doc).ok());
  EXPECT_EQ(doc["membersInfo"]["count"], 2);
  EXPECT_FALSE(RemoveMembers(&doc, {2}));
}

// Removing members relinks the rest without inventing fields: a document
// with no properties must not come back with "properties":{"system":null},
// which every client refuses (found by session_merge_fuzzer).
TEST(SessiondMerge, RemovingMembersAddsNoNullProperties) {
  Json doc = Apply(nullptr, Join(), Ctx("1"));
  doc = Apply(&doc, Join(), Ctx("2"));
  doc.erase("properties");
  for (auto& [key, member] : doc["members"].items()) member.erase("properties");
  ASSERT_TRUE(RemoveMembers(&doc, {1}));
  EXPECT_FALSE(doc.contains("properties")) << doc.dump();
  for (const auto& [key, member] : doc["members"].items()) {
    EXPECT_FALSE(member.contains("properties")) << doc.dump();
  }
  EXPECT_EQ(doc["membersInfo"]["count"], 1);
}

TEST(SessiondMerge, MemberConstantsAreFixedButMeIsIdentifiedByToken) {
  Json doc = Apply(nullptr, Json::object(), Ctx());
  doc =
      Apply(&doc,
            Json::parse(
                R"({"members":{"me":{"constants":{"system":{"xuid":"100","initialize":true}}}}})"),
            Ctx("100"));
  EXPECT_EQ(doc["members"]["0"]["constants"]["system"]["initialize"], true);
  auto same = MergeDelta(
      &doc, Json::parse(R"({"members":{"me":{"constants":{"system":{"initialize":true}}}}})"),
      Ctx("100"));
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  auto changed = MergeDelta(
      &doc, Json::parse(R"({"members":{"me":{"constants":{"system":{"initialize":false}}}}})"),
      Ctx("100"));
  EXPECT_EQ(changed.status().code(), StatusCode::kConflict);
  // Without an authenticated caller "me" needs a xuid in the body.
  auto anonymous = MergeDelta(&doc, Join(), Ctx(""));
  EXPECT_EQ(anonymous.status().code(), StatusCode::kMissingField);
  auto by_body = MergeDelta(
      &doc, Json::parse(R"({"members":{"me":{"constants":{"system":{"xuid":"555"}}}}})"), Ctx(""));
  ASSERT_TRUE(by_body.ok());
  EXPECT_EQ(by_body->document["members"]["1"]["constants"]["system"]["xuid"], "555");
}

TEST(SessiondMemberAccess, OnlyMeForTheCaller) {
  EXPECT_TRUE(CheckMemberAccess(Join(), "100").ok());
  EXPECT_TRUE(CheckMemberAccess(Json::parse(R"({"members":{"reserve_0":{}}})"), "100").ok());
  EXPECT_TRUE(CheckMemberAccess(Json::parse(R"([1,2])"), "100").ok());
  EXPECT_FALSE(CheckMemberAccess(Json::parse(R"({"members":{"0":{}}})"), "100").ok());
  EXPECT_FALSE(CheckMemberAccess(Json::parse(R"({"members":{"3":null}})"), "100").ok());
  EXPECT_FALSE(
      CheckMemberAccess(
          Json::parse(R"({"members":{"me":{"constants":{"system":{"xuid":"200"}}}}})"), "100")
          .ok());
  EXPECT_TRUE(CheckMemberAccess(
                  Json::parse(R"({"members":{"me":{"constants":{"system":{"xuid":"200"}}}}})"), "")
                  .ok());
}

// A valid three-member document to corrupt.
Json ValidDoc() {
  Json doc =
      Apply(nullptr, Json::parse(R"({"constants":{"system":{"maxMembersCount":3}}})"), Ctx());
  for (const char* x : {"1", "2", "3"}) doc = Apply(&doc, Join(), Ctx(x));
  EXPECT_TRUE(ValidateDocument(doc).ok());
  return doc;
}

TEST(SessiondValidate, CatchesBrokenInvariants) {
  // Each corruption is caught by the check meant for it: its own code and a
  // message naming what is wrong.
  struct Case {
    const char* name;
    void (*corrupt)(Json&);
    StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {"loop", [](Json& d) { d["members"]["1"]["next"] = 0; }, StatusCode::kMemberChain,
       "members.1.next does not ascend"},
      {"self loop", [](Json& d) { d["members"]["1"]["next"] = 1; }, StatusCode::kMemberChain,
       "members.1.next does not ascend"},
      {"skip", [](Json& d) { d["members"]["0"]["next"] = 2; }, StatusCode::kMemberChain,
       "members.0.next skips member 1"},
      {"chain end", [](Json& d) { d["members"]["2"]["next"] = 7; }, StatusCode::kMemberChain,
       "members.2.next skips member 3"},
      {"first", [](Json& d) { d["membersInfo"]["first"] = 1; }, StatusCode::kMemberChain,
       "misses members"},
      {"index mismatch", [](Json& d) { d["members"]["1"]["constants"]["system"]["index"] = 5; },
       StatusCode::kMemberChain, "members.1.constants.system.index differs from the key"},
      {"duplicate xuid", [](Json& d) { d["members"]["1"]["constants"]["system"]["xuid"] = "1"; },
       StatusCode::kMemberChain, "xuid is already a member"},
      {"count", [](Json& d) { d["membersInfo"]["count"] = 2; }, StatusCode::kMemberChain,
       "count/accepted/active disagree"},
      {"active", [](Json& d) { d["membersInfo"]["active"] = 0; }, StatusCode::kMemberChain,
       "count/accepted/active disagree"},
      {"null member", [](Json& d) { d["members"]["1"] = nullptr; }, StatusCode::kNullMember,
       "members.1 is null"},
      {"index beyond next", [](Json& d) { d["membersInfo"]["next"] = 2; }, StatusCode::kMemberChain,
       "index not below membersInfo.next"},
      {"capacity", [](Json& d) { d["constants"]["system"]["maxMembersCount"] = 2; },
       StatusCode::kTooManyMembers, "exceed maxMembersCount 2"},
      {"wrong type", [](Json& d) { d["membersInfo"]["count"] = "3"; }, StatusCode::kWrongType,
       "membersInfo.count"},
      {"missing members", [](Json& d) { d.erase("members"); }, StatusCode::kMissingField,
       "members"},
      {"bad key", [](Json& d) { d["members"]["x"] = d["members"]["0"]; }, StatusCode::kMemberChain,
       "members.x: key is not an index"},
  };
  for (const Case& c : cases) {
    Json doc = ValidDoc();
    c.corrupt(doc);
    const Status s = ValidateDocument(doc);
    EXPECT_EQ(s.code(), c.code) << c.name << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.name << ": " << s.ToString();
  }
}

TEST(SessiondValidate, ChecksAgainstThePreviousDocument) {
  const Json prev = ValidDoc();
  Json constants_changed = prev;
  constants_changed["constants"]["custom"]["x"] = 1;
  constants_changed["changeNumber"] = prev["changeNumber"].get<int>() + 1;
  EXPECT_EQ(ValidateDocument(constants_changed, &prev).code(), StatusCode::kConflict);

  Json unchanged_number = prev;
  unchanged_number["properties"]["custom"]["x"] = 1;
  EXPECT_FALSE(ValidateDocument(unchanged_number, &prev).ok());
  unchanged_number["changeNumber"] = prev["changeNumber"].get<int>() + 1;
  EXPECT_TRUE(ValidateDocument(unchanged_number, &prev).ok());
  EXPECT_FALSE(ValidateDocument(prev, &prev).ok());  // a write is always a new version

  // Index 1 leaves, then a "new" member reappears at index 1: reuse.
  Json left = Apply(&prev, Json::parse(R"({"members":{"me":null}})"), Ctx("2"));
  Json reused = prev;
  reused["members"]["1"]["constants"]["system"]["xuid"] = "9";
  reused["changeNumber"] = left["changeNumber"].get<int>() + 1;
  EXPECT_EQ(ValidateDocument(reused, &left).code(), StatusCode::kMemberChain);
}

// Random deltas from a small vocabulary: every accepted merge yields a
// document that validates against its predecessor, and refusals leave the
// input alone (MergeDelta takes it const).
TEST(SessiondMerge, RandomDeltasKeepInvariants) {
  std::mt19937 rng(12345);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  Json doc = Apply(nullptr, Json::parse(R"({"constants":{"system":{"maxMembersCount":5,
      "sessionEmptyTimeout":1000}}})"),
                   Ctx());
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string xuid = std::to_string(1 + pick(8));
    Json delta = Json::object();
    switch (pick(6)) {
      case 0:
        delta = Join(pick(2) == 0);
        break;
      case 1:
        delta["members"]["me"] = nullptr;
        break;
      case 2:
        delta["members"]["reserve_" + std::to_string(pick(3))]["constants"]["system"]["xuid"] =
            std::to_string(1 + pick(8));
        break;
      case 3:
        delta["properties"]["custom"]["k" + std::to_string(pick(4))] = pick(2) ? Json(i) : Json();
        break;
      case 4:
        delta["properties"]["system"]["closed"] = pick(2) == 0;
        break;
      default:
        delta["members"]["me"]["properties"]["custom"]["n"] = i;
        break;
    }
    auto r = MergeDelta(&doc, delta, Ctx(xuid));
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kConflict) << r.status().ToString();
      continue;
    }
    ++accepted;
    ASSERT_TRUE(ValidateDocument(r->document, &doc).ok())
        << ValidateDocument(r->document, &doc).ToString();
    ASSERT_FALSE(r->deleted);  // non-zero empty timeout
    if (pick(10) == 0 && r->document["membersInfo"]["count"].get<int>() > 0) {
      std::vector<std::int64_t> some = {pick(40)};
      Json expired = r->document;
      if (RemoveMembers(&expired, some)) {
        ASSERT_TRUE(ValidateDocument(expired, &r->document).ok());
        r->document = expired;
      } else {
        ASSERT_EQ(expired, r->document);
      }
    }
    doc = r->document;
  }
  EXPECT_GT(accepted, 1000);
}

// Values within sessiond's type checks but outside the client's: the merge
// refuses them with the client parser's code and a message naming the field,
// and a successful merge's text is its document, readable by the client.
TEST(SessiondMerge, ResultsClientsCouldNotReadAreRefused) {
  Json doc = Apply(nullptr, Join(), Ctx());
  struct Case {
    const char* delta;
    StatusCode code;
    const char* field;
  };
  const Case cases[] = {
      {R"({"properties":{"system":{"turn":[4294967296]}}})", StatusCode::kWrongType,
       "properties.system.turn[0]"},
      {R"({"properties":{"system":{"owners":[4294967296]}}})", StatusCode::kWrongType,
       "properties.system.owners[0]"},
      {R"({"constants":{"system":{"version":-1}}})", StatusCode::kWrongType,
       "constants.system.version"},
      {R"({"constants":{"system":{"initiators":["abc"]}}})", StatusCode::kWrongType,
       "constants.system.initiators[0]"},
  };
  for (const Case& c : cases) {
    const Json delta = Json::parse(c.delta);
    // Constants are only written on creation.
    const bool creating = delta.contains("constants");
    auto r = MergeDelta(creating ? nullptr : &doc, delta, Ctx());
    ASSERT_FALSE(r.ok()) << c.delta;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_NE(r.status().message().find("refused by clients: "), std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status().ToString();
  }
  auto r = MergeDelta(&doc, Join(), Ctx("18446744073709551615"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, r->document.dump());
  EXPECT_TRUE(ParseSessionDocument(r->text).ok());
}

// One spelling per user (IsXuid): the caller's xuid and every xuid a delta
// carries are decimal uint64s without leading zeros, refused before any
// merge otherwise.
TEST(SessiondMerge, XuidsAreCanonicalDecimalUint64s) {
  for (const char* xuid : {"0", "7", "100", "10000000000000000000", "18446744073709551615"}) {
    EXPECT_TRUE(IsXuid(xuid)) << xuid;
  }
  for (const char* xuid : {"", "00", "0123", "18446744073709551616", "99999999999999999999",
                           "123456789012345678901", "+1", "-1", "1 ", "1e3"}) {
    EXPECT_FALSE(IsXuid(xuid)) << xuid;
  }
  const Json doc = Apply(nullptr, Join(), Ctx());
  for (const char* xuid : {"99999999999999999999", "0123"}) {
    auto r = MergeDelta(&doc, Join(), Ctx(xuid));
    ASSERT_FALSE(r.ok()) << xuid;
    EXPECT_EQ(r.status().ToString(),
              "kInvalidArgument: the caller's xuid is not a decimal uint64 without leading zeros");
  }
  for (const char* member : {"me", "reserve_1"}) {
    const Json delta = {
        {"members", {{member, {{"constants", {{"system", {{"xuid", "18446744073709551616"}}}}}}}}}};
    auto r = MergeDelta(&doc, delta, Ctx(""));
    ASSERT_FALSE(r.ok()) << member;
    EXPECT_EQ(r.status().ToString(), std::string("kWrongType: members.") + member +
                                         ".constants.system.xuid must be a decimal xuid string");
  }
  auto r = MergeDelta(&doc, Join(), Ctx("18446744073709551615"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(ParseSessionDocument(r->text).ok());
}

// An update is checked only where it changed the session
// (client_readability.h), with the verdict and spelling of the client parser
// on the whole served text.
TEST(SessiondMerge, UpdatesAreCheckedWhereTheyChangedTheSession) {
  const Json doc = Apply(nullptr, Join(), Ctx());
  Json custom = Json::object();
  for (int i = 0; i < 4096; ++i) custom["k" + std::to_string(i)] = i;
  const Json full = Apply(&doc, Json{{"properties", {{"custom", custom}}}}, Ctx());
  Json deep = Json::object();
  for (int i = 0; i < 27; ++i) deep = Json{{"n", std::move(deep)}};  // 6 + 27 > 32 deep
  struct Case {
    const Json* current;
    Json delta;
    std::string caller;
    StatusCode code;
    const char* what;
  };
  const Case cases[] = {
      {&full, Json::parse(R"({"properties":{"custom":{"one":"more"}}})"), "100",
       StatusCode::kTooManyMembers, "properties.custom has 4097 items, over the limit of 4096"},
      {&doc, Json{{"properties", {{"system", {{"keywords", {std::string(4097, 'k')}}}}}}}, "100",
       StatusCode::kStringTooLong, "properties.system.keywords[0] is 4097 bytes"},
      {&doc, Json{{"servers", {{"a", Json::array({1, std::string(65537, 'x')})}}}}, "100",
       StatusCode::kStringTooLong, "servers.a[1] is 65537 bytes"},
      {&doc, Json{{"servers", {{std::string(65537, 'k'), 1}}}}, "100", StatusCode::kStringTooLong,
       "a key of servers is 65537 bytes"},
      {&doc, Json{{"members", {{"me", {{"properties", {{"custom", {{"deep", deep}}}}}}}}}}, "100",
       StatusCode::kJsonDepthLimit, "members.0.properties.custom.deep"},
      {&doc,
       Json{
           {"members",
            {{"me",
              {{"properties", {{"system", {{"secureDeviceAddress", std::string(4097, 'a')}}}}}}}}}},
       "200", StatusCode::kStringTooLong, "members.1.properties.system.secureDeviceAddress"},
  };
  for (const Case& c : cases) {
    const std::string what = c.what;
    auto r = MergeDelta(c.current, c.delta, Ctx(c.caller));
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_EQ(r.status().message().rfind("the merged session would be refused by clients: ", 0), 0u)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().ToString();
    // The client parser refuses the text that would have been stored.
    auto unchecked = MergeDeltaUnchecked(c.current, c.delta, Ctx(c.caller));
    ASSERT_TRUE(unchecked.ok()) << unchecked.status().ToString();
    EXPECT_FALSE(ParseSessionDocument(unchecked->text).ok()) << what;
  }
  // The writes one short of each limit are stored, and clients read them.
  Json fits = Json::object();
  for (int i = 0; i < 26; ++i) fits = Json{{"n", std::move(fits)}};
  for (const Json& delta :
       {Json{{"properties", {{"system", {{"keywords", {std::string(4096, 'k')}}}}}}},
        Json{{"members", {{"me", {{"properties", {{"custom", {{"deep", fits}}}}}}}}}},
        Json::parse(R"({"properties":{"custom":{"k0":null,"one":"more"}}})")}) {
    const Json* current =
        delta.contains("properties") && delta["properties"].contains("custom") ? &full : &doc;
    auto r = MergeDelta(current, delta, Ctx());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(ParseSessionDocument(r->text).ok());
  }
}

// With the current text and its parts (as the store passes them), a merge
// re-serializes only what it changed: the text is still DumpJson of the
// result byte for byte, and `changed` still compares whole documents.
TEST(SessiondMerge, PartsOfTheCurrentTextAreReusedWhereUnchanged) {
  auto first = MergeDelta(nullptr, Join(), Ctx());
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->parts.complete);
  Json doc = first->document;
  std::string text = first->text;
  DocumentParts parts = first->parts;
  struct Step {
    const char* caller;
    const char* delta;
    bool changed;
  };
  const Step steps[] = {
      {"200", R"({"members":{"me":{"properties":{"custom":{"skill":1}}}}})", true},  // join
      {"300", R"({"members":{"me":{}}})", true},                                     // join
      {"200", R"({"members":{"me":{"properties":{"custom":{"skill":2}}}}})", true},
      {"200", R"({"members":{"me":{"properties":{"custom":{"skill":2}}}}})", false},  // no-op
      {"100", R"({"properties":{"custom":{"map":"dunes"}}})", true},
      {"100", R"({"properties":{"custom":{"map":"dunes"}}})", false},
      {"100", R"({"properties":{"system":{"turn":[1]}}})", true},  // member 1's turn
      {"100", R"({"properties":{"system":{"turn":[1]}}})", false},
      {"100", R"({"servers":{"relay":{"constants":{"a":1}}}})", true},
      {"100", R"({"members":{"reserve_1":{"constants":{"system":{"xuid":"400"}}}}})", true},
      {"200", R"({"members":{"me":null}})", true},  // leave: `next` of member 0
      {"300", R"({"members":{"me":{"properties":{"system":{"active":true}}}}})", true},
  };
  for (const Step& step : steps) {
    MergeContext ctx = Ctx(step.caller);
    ctx.current_text = &text;
    ctx.current_parts = &parts;
    const Json delta = Json::parse(step.delta);
    auto r = MergeDelta(&doc, delta, ctx);
    ASSERT_TRUE(r.ok()) << step.delta << ": " << r.status().ToString();
    EXPECT_EQ(r->text, r->document.dump()) << step.delta;
    EXPECT_EQ(r->changed, step.changed) << step.delta;
    auto whole = MergeDelta(&doc, delta, Ctx(step.caller));  // no parts: serialized whole
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(whole->text, r->text);
    EXPECT_EQ(whole->changed, r->changed);
    // Each part is where the parts say.
    for (const auto& [key, span] : r->parts.members) {
      EXPECT_EQ(r->text.substr(span.offset, span.size), r->document["members"][key].dump());
    }
    EXPECT_EQ(r->text.substr(r->parts.properties.offset, r->parts.properties.size),
              r->document["properties"].dump());
    doc = r->document;
    text = r->text;
    parts = r->parts;
  }
}

// The store's merge, on its own document: the same outcome as MergeDelta on
// a copy; a refused write leaves the document exactly as it was, and
// UndoMerge takes an accepted one back.
TEST(SessiondMerge, InPlaceMergeIsMergeDeltaAndRefusalsChangeNothing) {
  auto first = MergeDelta(nullptr, Join(), Ctx());
  ASSERT_TRUE(first.ok());
  Json doc = first->document;
  std::string text = first->text;
  DocumentParts parts = first->parts;
  struct Step {
    const char* caller;
    std::string delta;
    bool accepted;
  };
  const Step steps[] = {
      {"200", R"({"members":{"me":{"properties":{"custom":{"skill":1}}}}})", true},  // join
      {"100", R"({"members":{"reserve_1":{"constants":{"system":{"xuid":"400"}}}},
                  "properties":{"system":{"turn":[0]},"custom":{"a":1}},"servers":{"s":{}}})",
       true},
      {"200", R"({"members":{"me":{"properties":{"system":{"ready":"no"}}}}})", false},
      {"200", R"({"properties":{"custom":{"b":2}},"members":{"me":{"roles":5}}})", false},
      {"100", R"({"constants":{"system":{"maxMembersCount":7}}})", false},
      {"99999999999999999999", R"({"members":{"me":{}}})", false},  // xuid over 2^64-1
      {"200",
       R"({"members":{"me":{"properties":{"system":{"secureDeviceAddress":")" +
           std::string(5000, 'a') + R"("}}}}})",
       false},  // over the client's 4096 bytes
      {"400", R"({"members":{"me":{"properties":{"system":{"active":true}}}}})", true},  // joins
      {"200", R"({"members":{"me":null}})", true},                                       // leaves
      {"100", R"({"members":{"me":{"properties":{"custom":{"skill":3}}}}})", true},
  };
  for (const Step& step : steps) {
    MergeContext ctx = Ctx(step.caller);
    ctx.current_text = &text;
    ctx.current_parts = &parts;
    const Json delta = Json::parse(step.delta);
    const Json before = doc;
    auto copied = MergeDelta(&doc, delta, ctx);
    auto in_place = MergeDeltaInPlace(&doc, delta, ctx);
    ASSERT_EQ(in_place.ok(), copied.ok()) << step.delta;
    EXPECT_EQ(in_place.ok(), step.accepted) << step.delta << ": " << in_place.status().ToString();
    if (!in_place.ok()) {
      EXPECT_EQ(in_place.status(), copied.status());
      EXPECT_EQ(doc, before) << step.delta;
      EXPECT_EQ(doc.dump(), before.dump()) << step.delta;
      continue;
    }
    EXPECT_TRUE(in_place->document.is_null());
    EXPECT_EQ(doc, copied->document) << step.delta;
    EXPECT_EQ(in_place->text, copied->text) << step.delta;
    EXPECT_EQ(in_place->text, doc.dump()) << step.delta;
    EXPECT_EQ(in_place->changed, copied->changed) << step.delta;
    EXPECT_TRUE(ValidateDocument(doc, in_place->undo).ok());
    EXPECT_TRUE(ValidateDocument(doc, &before).ok());
    Json undone = doc;
    UndoMerge(&undone, in_place->undo);
    EXPECT_EQ(undone.dump(), before.dump()) << step.delta;
    text = in_place->text;
    parts = in_place->parts;
  }
  EXPECT_EQ(doc["members"].size(), 2U);  // 100 and 400
}

// The JSON text limits, checked on the value with the field named; the
// size is that of the text.
TEST(SessiondReadable, JsonLimitsOfTheClient) {
  Json doc = Apply(nullptr, Join(), Ctx());
  EXPECT_TRUE(CheckReadableByClients(doc, doc.dump().size()).ok());
  auto expect = [](const Json& d, StatusCode code, const std::string& what) {
    Status s = CheckReadableByClients(d, d.dump().size());
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(what), std::string::npos) << s.ToString();
    // The client's own parser agrees on the text.
    EXPECT_FALSE(ParseSessionDocument(d.dump()).ok()) << what;
  };

  Status size = CheckReadableByClients(doc, (std::size_t{1} << 20) + 1);
  EXPECT_EQ(size.code(), StatusCode::kSizeLimit);
  EXPECT_NE(size.message().find("1048577 bytes, over the limit of 1048576"), std::string::npos)
      << size.ToString();
  EXPECT_TRUE(CheckReadableByClients(doc, std::size_t{1} << 20).ok());

  // Depth: the root is 1; properties.custom is 3, so 29 more fit and 30 do not.
  auto nested = [&](int levels) {
    Json d = doc;
    Json v = Json::object();
    for (int i = 1; i < levels; ++i) v = Json{{"n", std::move(v)}};
    d["properties"]["custom"]["deep"] = std::move(v);
    return d;
  };
  Json ok_depth = nested(29);
  EXPECT_TRUE(CheckReadableByClients(ok_depth, ok_depth.dump().size()).ok());
  EXPECT_TRUE(ParseSessionDocument(ok_depth.dump()).ok());
  expect(nested(30), StatusCode::kJsonDepthLimit, "properties.custom.deep.n.n");

  Json long_string = doc;
  long_string["members"]["0"]["properties"]["custom"]["s"] = std::string(65537, 'x');
  expect(long_string, StatusCode::kStringTooLong, "members.0.properties.custom.s is 65537 bytes");
  Json long_key = doc;
  long_key["properties"]["custom"][std::string(65537, 'k')] = 1;
  expect(long_key, StatusCode::kStringTooLong, "a key of properties.custom is 65537 bytes");
  Json items = doc;
  items["properties"]["custom"]["list"] = Json::array();
  for (int i = 0; i < 4097; ++i) items["properties"]["custom"]["list"].push_back(i);
  expect(items, StatusCode::kTooManyMembers, "properties.custom.list has 4097 items");
  Json in_array = doc;
  in_array["servers"]["a"] = Json::array({1, std::string(65537, 'x')});
  expect(in_array, StatusCode::kStringTooLong, "servers.a[1] is 65537 bytes");
}

}  // namespace
}  // namespace sessionrig::sessiond

// ---- What clients read the same way the shipped SDK does (docs/protocol.md) ----

namespace sessionrig::sessiond {
namespace {

TEST(SessiondMerge, NullConstantsAreRefusedNamingTheField) {
  for (const char* field : {"inactiveRemovalTimeout", "sessionEmptyTimeout", "version",
                            "maxMembersCount", "visibility"}) {
    const Json delta = {{"constants", {{"system", {{field, nullptr}}}}}};
    auto r = MergeDelta(nullptr, delta, Ctx());
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(r.status().message().find(std::string("constants.system.") + field + " is null"),
              std::string::npos)
        << r.status().message();
  }
}

TEST(SessiondMerge, MetricsConstantsAreTypedAndKept) {
  Json doc = Apply(nullptr, Json::parse(R"({"constants":{"system":{"metrics":
      {"latency":true,"bandwidthUp":false}}}})"),
                   Ctx());
  EXPECT_EQ(doc["constants"]["system"]["metrics"],
            Json::parse(R"({"latency":true,"bandwidthUp":false})"));
  auto bad = MergeDelta(
      nullptr, Json::parse(R"({"constants":{"system":{"metrics":{"latency":1}}}})"), Ctx());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("constants.system.metrics.latency"), std::string::npos);
  EXPECT_FALSE(
      MergeDelta(nullptr, Json::parse(R"({"constants":{"system":{"metrics":[]}}})"), Ctx()).ok());
}

TEST(SessiondMerge, MembersCarryTheirTurnFromPropertiesSystemTurn) {
  Json doc = Apply(nullptr, Json::object(), Ctx());
  doc = Apply(&doc, Join(), Ctx("100"));
  doc = Apply(&doc, Join(), Ctx("200"));
  EXPECT_FALSE(doc["members"]["0"].contains("turn"));
  doc = Apply(&doc, Json::parse(R"({"properties":{"system":{"turn":[1]}}})"), Ctx("100"));
  EXPECT_FALSE(doc["members"]["0"].contains("turn"));
  EXPECT_EQ(doc["members"]["1"]["turn"], true);
  doc = Apply(&doc, Json::parse(R"({"properties":{"system":{"turn":[0]}}})"), Ctx("100"));
  EXPECT_EQ(doc["members"]["0"]["turn"], true);
  EXPECT_FALSE(doc["members"]["1"].contains("turn"));
  // Clients read IsTurnAvailable from it.
  auto parsed = ParseSessionDocument(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->members[0].turn, true);
  EXPECT_FALSE(parsed->members[1].turn.has_value());
}

TEST(SessiondMerge, LargeSessionsAreServedToEachCallerAsMe) {
  Json doc = Apply(nullptr, Json::parse(R"({"constants":{"system":{"maxMembersCount":1000,
      "capabilities":{"large":true}}}})"),
                   Ctx());
  ASSERT_TRUE(IsLargeSession(doc));
  for (const char* xuid : {"100", "200", "300"}) doc = Apply(&doc, Join(), Ctx(xuid));
  const Json shown = Json::parse(RenderForCaller(doc, "200"));
  ASSERT_EQ(shown["members"].size(), 1u);
  EXPECT_EQ(shown["members"]["me"]["constants"]["system"]["index"], 1);
  EXPECT_EQ(shown["members"]["me"]["constants"]["system"]["xuid"], "200");
  EXPECT_EQ(shown["membersInfo"]["count"], 3);
  auto parsed = ParseSessionDocument(shown);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->members_as_me);
  EXPECT_EQ(parsed->members.at(0).index, 1u);
  // Someone who is not a member sees no one, and can still read it.
  const Json stranger = Json::parse(RenderForCaller(doc, "999"));
  EXPECT_TRUE(stranger["members"].empty());
  EXPECT_TRUE(ParseSessionDocument(stranger).ok());
  // Nobody writes other members of a large session.
  auto reserve = MergeDelta(
      &doc, Json::parse(R"({"members":{"reserve_0":{"constants":{"system":{"xuid":"400"}}}}})"),
      Ctx("100"));
  ASSERT_FALSE(reserve.ok());
  EXPECT_EQ(reserve.status().code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace sessionrig::sessiond
