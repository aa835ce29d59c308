// Property test of SDK fidelity: random valid sessions that a real sessiond
// writes, read back two ways, must agree field by field:
//  - the raw document bytes (a plain HTTP GET as the reader), read here
//    independently by the rules of docs/protocol.md "Reading a session";
//  - the public C API (XblMultiplayerGetSessionAsync/Result and the
//    getters), as code written for the SDK reads it.
// Sessions are built from random deltas (constants with capabilities,
// timeouts, metrics; properties with keywords, restrictions, turn; members
// joining with custom constants, teams, matchmaking results, device
// addresses; reservations), including large sessions, which sessiond serves
// to each reader as "me". Seeded, so a failure names the seed and session.
#include <XAsync.h>
#include <gtest/gtest.h>
#include <sessionrig/sessionrig_c.h>
#include <xsapi-c/multiplayer_c.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessiond/mini_client.h"
#include "sessiond/server.h"
#include "sessionrig/session_document.h"

namespace sessionrig {
namespace {

using Json = nlohmann::json;

constexpr char kScid[] = "00000000-0000-0000-0000-0000000f1de1";
constexpr int kSessions = 120;
constexpr std::uint64_t kFirstXuid = 2533274790412345ULL;
constexpr int kUsers = 10;

std::string Xuid(int user) { return std::to_string(kFirstXuid + static_cast<std::uint64_t>(user)); }

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(gen_); }
  bool Coin() { return Below(2) == 1; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(Below(static_cast<int>(v.size())))];
  }

 private:
  std::mt19937_64 gen_;
};

// A random JSON value for custom objects: numbers, unicode, escapes, nesting.
Json RandomValue(Rng& rng, int depth = 0) {
  switch (rng.Below(depth > 1 ? 5 : 7)) {
    case 0:
      return rng.Below(1000) - 500;
    case 1:
      return rng.Pick<std::string>(
          {"dunes", "caf\xc3\xa9", "\xe2\x82\xac", "quote\"back\\slash", "\xf0\x9f\x8e\xae", ""});
    case 2:
      return rng.Coin();
    case 3:
      return 18446744073709551615ULL;
    case 4:
      return 1.5;
    case 5: {
      Json a = Json::array();
      for (int i = rng.Below(3); i > 0; --i) a.push_back(RandomValue(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int i = rng.Below(3); i > 0; --i) {
        o["k" + std::to_string(rng.Below(9))] = RandomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

Json RandomObject(Rng& rng) {
  Json o = Json::object();
  for (int i = rng.Below(4); i > 0; --i) o["p" + std::to_string(rng.Below(20))] = RandomValue(rng);
  return o;
}

// The "me" object of a join by a random member.
Json RandomMe(Rng& rng) {
  Json me = Json::object();
  Json csys = Json::object();
  if (rng.Coin()) csys["initialize"] = rng.Coin();
  if (rng.Below(3) == 0) csys["team"] = rng.Pick<std::string>({"red", "blue", "\xe2\x82\xac"});
  Json ccustom = RandomObject(rng);
  if (rng.Below(3) == 0) {
    ccustom["matchmakingResult"] = {{"initialTeam", rng.Pick<std::string>({"1", "2", "alpha"})}};
  }
  me["constants"] = {{"system", csys}, {"custom", ccustom}};
  Json psys = Json::object();
  if (rng.Below(4) != 0) psys["active"] = rng.Coin();
  if (rng.Below(4) == 0) psys["ready"] = rng.Coin();
  if (rng.Below(3) == 0) psys["secureDeviceAddress"] = "AQIDBA==";
  me["properties"] = {{"system", psys}, {"custom", RandomObject(rng)}};
  return me;
}

// The delta that creates a random session as its first member.
Json RandomCreate(Rng& rng, bool large) {
  Json sys = Json::object();
  sys["maxMembersCount"] = large ? 1000 : 2 + rng.Below(12);
  if (rng.Coin()) sys["visibility"] = rng.Pick<std::string>({"private", "visible", "open", "full"});
  Json caps = Json::object();
  for (const char* c : {"connectivity", "gameplay", "crossPlay", "searchable", "hasOwners",
                        "suppressPresenceActivityCheck", "userAuthorizationStyle",
                        "connectionRequiredForActiveMembers"}) {
    if (rng.Below(3) == 0) caps[c] = rng.Coin();
  }
  if (large) caps["large"] = true;
  if (!caps.empty()) sys["capabilities"] = caps;
  for (const char* t : {"reservedRemovalTimeout", "inactiveRemovalTimeout", "readyRemovalTimeout",
                        "sessionEmptyTimeout"}) {
    if (rng.Below(3) == 0) sys[t] = 3600000 + rng.Below(1000);
  }
  if (rng.Coin()) {
    Json m = Json::object();
    for (const char* k : {"latency", "bandwidthDown", "bandwidthUp", "custom"}) {
      if (rng.Coin()) m[k] = rng.Coin();
    }
    sys["metrics"] = m;
  }
  if (rng.Below(3) == 0) sys["initiators"] = Json::array({Xuid(rng.Below(kUsers))});
  Json delta = {{"constants", {{"system", sys}, {"custom", RandomObject(rng)}}}};
  Json psys = Json::object();
  if (rng.Coin()) {
    Json kw = Json::array();
    for (int i = rng.Below(4); i > 0; --i) {
      kw.push_back(rng.Pick<std::string>({"ranked", "eu", "caf\xc3\xa9", "\xf0\x9f\x8e\xae"}));
    }
    psys["keywords"] = kw;
  }
  if (rng.Coin()) psys["joinRestriction"] = rng.Pick<std::string>({"none", "local", "followed"});
  if (rng.Coin()) psys["readRestriction"] = rng.Pick<std::string>({"none", "local", "followed"});
  if (rng.Coin()) psys["closed"] = rng.Coin();
  if (rng.Coin()) psys["locked"] = rng.Coin();
  delta["properties"] = {{"system", psys}, {"custom", RandomObject(rng)}};
  delta["members"] = {{"me", RandomMe(rng)}};
  return delta;
}

// ---- The two readings -----------------------------------------------------------

std::string TextOrEmpty(const Json& parent, const char* key) {
  auto it = parent.find(key);
  return it != parent.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What the getters must say about a member object, by the documented rules.
void ExpectMember(const XblMultiplayerSessionMember& got, const Json& m, bool current,
                  const std::string& where) {
  SCOPED_TRACE(where);
  const Json& csys = m["constants"]["system"];
  EXPECT_EQ(got.MemberId, csys["index"].get<std::uint32_t>());
  EXPECT_EQ(got.Xuid, std::stoull(csys["xuid"].get<std::string>()));
  EXPECT_EQ(got.IsCurrentUser, current);
  EXPECT_EQ(got.InitializeRequested, csys.value("initialize", false));
  // Optional strings: null when absent.
  const auto team = csys.find("team");
  if (team == csys.end()) {
    EXPECT_EQ(got.TeamId, nullptr);
  } else {
    ASSERT_NE(got.TeamId, nullptr);
    EXPECT_EQ(std::string(got.TeamId), team->get<std::string>());
  }
  const Json custom = m["constants"].value("custom", Json::object());
  const auto result = custom.find("matchmakingResult");
  if (result == custom.end() || !result->contains("initialTeam")) {
    EXPECT_EQ(got.InitialTeam, nullptr);
  } else {
    ASSERT_NE(got.InitialTeam, nullptr);
    EXPECT_EQ(std::string(got.InitialTeam), (*result)["initialTeam"].get<std::string>());
  }
  EXPECT_EQ(Json::parse(got.CustomConstantsJson), custom);
  const Json& psys = m["properties"]["system"];
  EXPECT_EQ(Json::parse(got.CustomPropertiesJson), m["properties"].value("custom", Json::object()));
  const auto address = psys.find("secureDeviceAddress");
  if (address == psys.end()) {
    EXPECT_EQ(got.SecureDeviceBaseAddress64, nullptr);
  } else {
    ASSERT_NE(got.SecureDeviceBaseAddress64, nullptr);
    EXPECT_EQ(std::string(got.SecureDeviceBaseAddress64), address->get<std::string>());
  }
  XblMultiplayerSessionMemberStatus status = XblMultiplayerSessionMemberStatus::Inactive;
  if (psys.value("active", false)) {
    status = XblMultiplayerSessionMemberStatus::Active;
  } else if (psys.value("ready", false)) {
    status = XblMultiplayerSessionMemberStatus::Ready;
  } else if (m.value("reserved", false)) {
    status = XblMultiplayerSessionMemberStatus::Reserved;
  }
  EXPECT_EQ(got.Status, status);
  EXPECT_EQ(got.IsTurnAvailable, m.value("turn", false));
  EXPECT_EQ(std::string(got.Gamertag), TextOrEmpty(m, "gamertag"));
  int64_t join_time = 0;
  if (m.contains("joinTime")) {
    ASSERT_TRUE(ParseRfc3339(m["joinTime"].get<std::string>(), &join_time));
  }
  EXPECT_EQ(static_cast<int64_t>(got.JoinTime), join_time);
}

void ExpectSameSession(XblMultiplayerSessionHandle h, const Json& doc, const std::string& etag,
                       const std::string& reader) {
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(std::string(XblMultiplayerSessionEtag(h)), etag);

  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(h);
  const Json& sys = doc["constants"]["system"];
  EXPECT_EQ(c->MaxMembersInSession, sys.value("maxMembersCount", 100u));
  static const std::map<std::string, XblMultiplayerSessionVisibility> kVisibility = {
      {"private", XblMultiplayerSessionVisibility::PrivateSession},
      {"visible", XblMultiplayerSessionVisibility::Visible},
      {"open", XblMultiplayerSessionVisibility::Open},
      {"full", XblMultiplayerSessionVisibility::Full}};
  EXPECT_EQ(c->Visibility, sys.contains("visibility")
                               ? kVisibility.at(sys["visibility"].get<std::string>())
                               : XblMultiplayerSessionVisibility::Unknown);
  EXPECT_EQ(c->MemberReservedTimeout, sys.value("reservedRemovalTimeout", 0u));
  EXPECT_EQ(c->MemberInactiveTimeout, sys.value("inactiveRemovalTimeout", 0u));
  EXPECT_EQ(c->MemberReadyTimeout, sys.value("readyRemovalTimeout", 0u));
  EXPECT_EQ(c->SessionEmptyTimeout, sys.value("sessionEmptyTimeout", 0u));
  const Json caps = sys.value("capabilities", Json::object());
  EXPECT_EQ(c->SessionCapabilities.Large, caps.value("large", false));
  EXPECT_EQ(c->SessionCapabilities.Crossplay, caps.value("crossPlay", false));
  EXPECT_EQ(c->SessionCapabilities.Connectivity, caps.value("connectivity", false));
  EXPECT_EQ(c->SessionCapabilities.Searchable, caps.value("searchable", false));
  EXPECT_EQ(c->SessionCapabilities.HasOwners, caps.value("hasOwners", false));
  const Json metrics = sys.value("metrics", Json::object());
  EXPECT_EQ(c->EnableMetricsLatency, metrics.value("latency", false));
  EXPECT_EQ(c->EnableMetricsBandwidthDown, metrics.value("bandwidthDown", false));
  EXPECT_EQ(c->EnableMetricsBandwidthUp, metrics.value("bandwidthUp", false));
  EXPECT_EQ(c->EnableMetricsCustom, metrics.value("custom", false));
  const Json initiators = sys.value("initiators", Json::array());
  ASSERT_EQ(c->InitiatorXuidsCount, initiators.size());
  for (std::size_t i = 0; i < initiators.size(); ++i) {
    EXPECT_EQ(c->InitiatorXuids[i], std::stoull(initiators[i].get<std::string>()));
  }
  EXPECT_EQ(Json::parse(c->CustomJson), doc["constants"].value("custom", Json::object()));
  EXPECT_STREQ(c->SessionCloudComputePackageConstantsJson, "");

  const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(h);
  const Json& psys = doc["properties"]["system"];
  const Json keywords = psys.value("keywords", Json::array());
  ASSERT_EQ(p->KeywordCount, keywords.size());
  for (std::size_t i = 0; i < keywords.size(); ++i) {
    EXPECT_EQ(std::string(p->Keywords[i]), keywords[i].get<std::string>());
  }
  static const std::map<std::string, XblMultiplayerSessionRestriction> kRestriction = {
      {"none", XblMultiplayerSessionRestriction::None},
      {"local", XblMultiplayerSessionRestriction::Local},
      {"followed", XblMultiplayerSessionRestriction::Followed}};
  for (const auto& [key, got] : {std::pair{"joinRestriction", p->JoinRestriction},
                                 {"readRestriction", p->ReadRestriction}}) {
    EXPECT_EQ(got, psys.contains(key) ? kRestriction.at(psys[key].get<std::string>())
                                      : XblMultiplayerSessionRestriction::Unknown);
  }
  EXPECT_EQ(p->Closed, psys.value("closed", false));
  EXPECT_EQ(p->Locked, psys.value("locked", false));
  const Json turn = psys.value("turn", Json::array());
  ASSERT_EQ(p->TurnCollectionCount, turn.size());
  for (std::size_t i = 0; i < turn.size(); ++i) {
    EXPECT_EQ(p->TurnCollection[i], turn[i].get<std::uint32_t>());
  }
  EXPECT_EQ(Json::parse(p->SessionCustomPropertiesJson),
            doc["properties"].value("custom", Json::object()));
  EXPECT_STREQ(p->MatchmakingTargetSessionConstantsJson, "");

  const XblMultiplayerSessionInfo* info = XblMultiplayerSessionGetInfo(h);
  EXPECT_EQ(info->ContractVersion, doc["contractVersion"].get<std::uint32_t>());
  EXPECT_EQ(info->ChangeNumber, doc["changeNumber"].get<std::uint64_t>());
  EXPECT_EQ(std::string(info->CorrelationId), TextOrEmpty(doc, "correlationId"));
  EXPECT_EQ(std::string(info->Branch), TextOrEmpty(doc, "branch"));
  int64_t start = 0;
  ASSERT_TRUE(ParseRfc3339(doc["startTime"].get<std::string>(), &start));
  EXPECT_EQ(static_cast<int64_t>(info->StartTime), start);

  // Members: "me" alone (large), else in the `next` chain from membersInfo.first.
  const XblMultiplayerSessionMember* members = nullptr;
  std::size_t count = 0;
  ASSERT_EQ(XblMultiplayerSessionMembers(h, &members, &count), S_OK);
  const Json& listed = doc["members"];
  if (listed.contains("me")) {
    ASSERT_EQ(count, 1u);
    ExpectMember(members[0], listed["me"], /*current=*/true, "me");
    return;
  }
  ASSERT_EQ(count, listed.size());
  std::int64_t at = doc["membersInfo"]["first"].get<std::int64_t>();
  for (std::size_t i = 0; i < count; ++i) {
    const Json& m = listed[std::to_string(at)];
    ExpectMember(members[i], m, m["constants"]["system"]["xuid"] == reader,
                 "member " + std::to_string(at));
    at = m["next"].get<std::int64_t>();
  }
}

class SdkFidelityProperty : public ::testing::Test {
 protected:
  void SetUp() override {
    sessiond::ServerOptions options;
    auto server = sessiond::Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    endpoint_ = server_->base_url();
    for (int u = 0; u < kUsers; ++u) {
      SrContextArgs args{};
      args.Xuid = kFirstXuid + static_cast<std::uint64_t>(u);
      args.Endpoint = endpoint_.c_str();
      auth_.push_back(server_->AuthorizationFor(Xuid(u)));
      args.Authorization = auth_.back().c_str();
      args.TimeoutMs = 20000;
      XblContextHandle ctx = nullptr;
      ASSERT_EQ(SrContextCreate(&args, &ctx), S_OK);
      contexts_.push_back(ctx);
    }
  }
  void TearDown() override {
    for (XblContextHandle c : contexts_) XblContextCloseHandle(c);
  }

  std::string Path(const std::string& name) const {
    return std::string("/serviceconfigs/") + kScid + "/sessionTemplates/fidelity/sessions/" + name;
  }

  StatusOr<sessiond::ClientResponse> Http(int user, const char* method, const std::string& name,
                                          const std::string& body = "") {
    auto conn = sessiond::HttpConnection::Connect("127.0.0.1", server_->port());
    if (!conn.ok()) return conn.status();
    HeaderList headers = {{"Authorization", auth_[static_cast<std::size_t>(user)]},
                          {"x-xbl-contract-version", "107"}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return conn->Request(method, Path(name), headers, body);
  }

  // The handle the SDK-shaped GET gives `user`.
  XblMultiplayerSessionHandle GetThroughSdk(int user, const std::string& name) {
    const XblMultiplayerSessionReference ref =
        XblMultiplayerSessionReferenceCreate(kScid, "fidelity", name.c_str());
    XAsyncBlock block{};
    EXPECT_EQ(
        XblMultiplayerGetSessionAsync(contexts_[static_cast<std::size_t>(user)], &ref, &block),
        S_OK);
    EXPECT_NE(XAsyncGetStatus(&block, true), E_PENDING);
    XblMultiplayerSessionHandle h = nullptr;
    EXPECT_EQ(XblMultiplayerGetSessionResult(&block, &h), S_OK);
    return h;
  }

  std::unique_ptr<sessiond::Server> server_;
  std::string endpoint_;
  std::vector<std::string> auth_;
  std::vector<XblContextHandle> contexts_;
};

TEST_F(SdkFidelityProperty, GettersMatchTheDocumentFieldByField) {
  const std::uint64_t seed = 20261202;
  Rng rng(seed);
  int large_sessions = 0;
  int compared = 0;
  for (int i = 0; i < kSessions; ++i) {
    const std::string name = "s" + std::to_string(i);
    SCOPED_TRACE("seed " + std::to_string(seed) + ", session " + name);
    const bool large = rng.Below(4) == 0;
    large_sessions += large ? 1 : 0;
    const int creator = rng.Below(kUsers);
    auto created = Http(creator, "PUT", name, RandomCreate(rng, large).dump());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_EQ(created->status, 201u) << created->body;
    // More members, reservations (not in large sessions), a turn list.
    for (int j = rng.Below(6); j > 0; --j) {
      Json delta = {{"members", {{"me", RandomMe(rng)}}}};
      if (!large && rng.Below(3) == 0) {
        delta["members"]["reserve_0"] = {
            {"constants", {{"system", {{"xuid", Xuid(rng.Below(kUsers))}}}}}};
      }
      auto w = Http(rng.Below(kUsers), "PUT", name, delta.dump());
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      ASSERT_TRUE(w->status == 200u || w->status == 409u) << w->status << " " << w->body;
    }
    if (rng.Coin()) {
      Json turn = Json::array();
      for (int t = rng.Below(3); t > 0; --t) turn.push_back(rng.Below(8));
      auto w =
          Http(creator, "PUT", name, Json{{"properties", {{"system", {{"turn", turn}}}}}}.dump());
      ASSERT_TRUE(w.ok() && w->status == 200u);
    }
    // Two readers: one of the writers and anyone.
    for (int reader : {creator, rng.Below(kUsers)}) {
      auto raw = Http(reader, "GET", name);
      ASSERT_TRUE(raw.ok()) << raw.status().ToString();
      ASSERT_EQ(raw->status, 200u) << raw->body;
      const Json doc = Json::parse(raw->body);
      XblMultiplayerSessionHandle h = GetThroughSdk(reader, name);
      ExpectSameSession(h, doc, raw->Header("etag"), Xuid(reader));
      XblMultiplayerSessionCloseHandle(h);
      ++compared;
    }
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(compared, 2 * kSessions);
  EXPECT_GT(large_sessions, 0);
}

}  // namespace
}  // namespace sessionrig
