#include "session/session_views.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

#include "common/utf8.h"
#include "session/enum_maps.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/mpsd_defaults.h"

namespace sessionrig {
namespace {

using nlohmann::json;

time_t TimestampToC(const std::optional<std::string>& text) {
  int64_t seconds = 0;
  if (!text || !ParseRfc3339(*text, &seconds)) return 0;
  return static_cast<time_t>(seconds);
}

bool Capability(const std::optional<std::map<std::string, bool>>& caps, const char* name) {
  if (!caps) return false;
  auto it = caps->find(name);
  return it != caps->end() && it->second;
}

// A string member of `obj`, or nullopt if `obj` is not an object or has none.
std::optional<std::string> StringField(const json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get_ref<const std::string&>();
}

// An object member of `obj` as JSON text, or "" if there is none.
std::string ObjectFieldJson(const json& obj, const char* key) {
  if (!obj.is_object()) return std::string();
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) return std::string();
  return DumpJson(*it);
}

// The C string of an optional string: null when absent.
const char* CStringOrNull(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

bool BoolField(const json& obj, const char* key) {
  if (!obj.is_object()) return false;
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  const auto* b = it->get_ptr<const json::boolean_t*>();
  return b != nullptr && *b;
}

}  // namespace

std::unique_ptr<SessionCViews> BuildViews(const SessionDocument& doc, uint64_t user_xuid) {
  auto v = std::make_unique<SessionCViews>();

  // Constants.
  const SessionConstantsSystem& cs = doc.constants.system;
  if (cs.initiators) v->initiators = *cs.initiators;
  v->constants_custom = DumpJson(doc.constants.custom.value());
  v->cloud_compute_package = ObjectFieldJson(cs.extra.value(), "cloudComputePackage");
  XblMultiplayerSessionConstants& c = v->constants;
  c.MaxMembersInSession =
      cs.max_members_count.value_or(static_cast<uint32_t>(mpsd::kDefaultMaxMembersCount));
  c.Visibility = VisibilityToC(cs.visibility);
  c.InitiatorXuids = v->initiators.empty() ? nullptr : v->initiators.data();
  c.InitiatorXuidsCount = v->initiators.size();
  c.CustomJson = v->constants_custom.c_str();
  c.SessionCloudComputePackageConstantsJson = v->cloud_compute_package.c_str();
  // What the document says, 0 when absent: the service's defaults are the
  // service's business, the getters report the bytes (as the SDK does).
  c.MemberReservedTimeout = cs.reserved_removal_timeout.value_or(0);
  c.MemberInactiveTimeout = cs.inactive_removal_timeout.value_or(0);
  c.MemberReadyTimeout = cs.ready_removal_timeout.value_or(0);
  c.SessionEmptyTimeout = cs.session_empty_timeout.value_or(0);
  if (cs.metrics) {
    c.EnableMetricsLatency = cs.metrics->latency.value_or(false);
    c.EnableMetricsBandwidthDown = cs.metrics->bandwidth_down.value_or(false);
    c.EnableMetricsBandwidthUp = cs.metrics->bandwidth_up.value_or(false);
    c.EnableMetricsCustom = cs.metrics->custom.value_or(false);
  }
  c.SessionCapabilities.Connectivity = Capability(cs.capabilities, kCapConnectivity);
  c.SessionCapabilities.SuppressPresenceActivityCheck =
      Capability(cs.capabilities, kCapSuppressPresence);
  c.SessionCapabilities.Gameplay = Capability(cs.capabilities, kCapGameplay);
  c.SessionCapabilities.Large = Capability(cs.capabilities, kCapLarge);
  c.SessionCapabilities.ConnectionRequiredForActiveMembers =
      Capability(cs.capabilities, kCapConnectionRequired);
  c.SessionCapabilities.UserAuthorizationStyle =
      Capability(cs.capabilities, kCapUserAuthorizationStyle);
  c.SessionCapabilities.Crossplay = Capability(cs.capabilities, kCapCrossPlay);
  c.SessionCapabilities.Searchable = Capability(cs.capabilities, kCapSearchable);
  c.SessionCapabilities.HasOwners = Capability(cs.capabilities, kCapHasOwners);

  // Properties.
  const SessionPropertiesSystem& ps = doc.properties.system;
  if (ps.keywords) v->keyword_storage = *ps.keywords;
  for (const std::string& k : v->keyword_storage) v->keywords.push_back(k.c_str());
  if (ps.turn) v->turn = *ps.turn;
  if (ps.owners) v->owners = *ps.owners;
  const json& mm = ps.matchmaking ? *ps.matchmaking : json::object();
  v->matchmaking_target_constants = ObjectFieldJson(mm, "targetSessionConstants");
  v->matchmaking_connection = StringField(mm, "serverConnectionString").value_or(std::string());
  const json& ps_extra = ps.extra.value();
  auto candidates = ps_extra.find("serverConnectionStringCandidates");
  if (candidates != ps_extra.end() && candidates->is_array()) {
    for (const json& item : *candidates) {
      if (item.is_string()) v->candidate_storage.push_back(item.get_ref<const std::string&>());
    }
  }
  for (const std::string& s : v->candidate_storage) v->candidates.push_back(s.c_str());
  v->properties_custom = DumpJson(doc.properties.custom.value());
  XblMultiplayerSessionProperties& p = v->properties;
  p.Keywords = v->keywords.empty() ? nullptr : v->keywords.data();
  p.KeywordCount = v->keywords.size();
  p.JoinRestriction = RestrictionToC(ps.join_restriction);
  p.ReadRestriction = RestrictionToC(ps.read_restriction);
  p.TurnCollection = v->turn.empty() ? nullptr : v->turn.data();
  p.TurnCollectionCount = v->turn.size();
  p.MatchmakingTargetSessionConstantsJson = v->matchmaking_target_constants.c_str();
  p.SessionCustomPropertiesJson = v->properties_custom.c_str();
  p.MatchmakingServerConnectionString = v->matchmaking_connection.c_str();
  p.ServerConnectionStringCandidates = v->candidates.empty() ? nullptr : v->candidates.data();
  p.ServerConnectionStringCandidatesCount = v->candidates.size();
  p.SessionOwnerMemberIds = v->owners.empty() ? nullptr : v->owners.data();
  p.SessionOwnerMemberIdsCount = v->owners.size();
  p.Closed = ps.closed.value_or(false);
  p.Locked = ps.locked.value_or(false);
  p.AllocateCloudCompute = BoolField(ps_extra, "allocateCloudCompute");

  // Info.
  v->branch = doc.branch.value_or(std::string());
  v->correlation_id = doc.correlation_id.value_or(std::string());
  v->search_handle = doc.search_handle.value_or(std::string());
  XblMultiplayerSessionInfo& info = v->info;
  info.ContractVersion = doc.contract_version.value_or(0);
  info.Branch = v->branch.c_str();
  info.ChangeNumber = doc.change_number.value_or(0);
  info.CorrelationId = v->correlation_id.c_str();
  info.StartTime = TimestampToC(doc.start_time);
  info.NextTimer = TimestampToC(doc.next_timer);
  info.SearchHandleId = v->search_handle.c_str();

  // Members, in chain order. Sized once, so the c_str() pointers stay put.
  const std::size_t n = doc.members.size();
  v->member_strings.resize(n);
  v->members.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const SessionMember& m = doc.members[i];
    SessionCViews::MemberStrings& s = v->member_strings[i];
    s.team = StringField(m.constants_system_extra.value(), "team");
    // Matchmaking puts the member's team in its custom constants.
    const json& custom_constants = m.constants_custom.value();
    auto result = custom_constants.find("matchmakingResult");
    if (result != custom_constants.end()) s.initial_team = StringField(*result, "initialTeam");
    s.custom_constants = DumpJson(custom_constants);
    s.custom_properties = DumpJson(m.properties_custom.value());
    XblMultiplayerSessionMember& out = v->members[i];
    out.MemberId = m.index;
    out.TeamId = CStringOrNull(s.team);
    out.InitialTeam = CStringOrNull(s.initial_team);
    out.Xuid = m.xuid.value_or(0);
    out.CustomConstantsJson = s.custom_constants.c_str();
    out.SecureDeviceBaseAddress64 = CStringOrNull(m.secure_device_address);
    out.CustomPropertiesJson = s.custom_properties.c_str();
    // Cut to the buffer at a UTF-8 boundary, as the SDK cuts it.
    static_assert(sizeof(out.Gamertag) == kMaxGamertagBytes + 1);
    const std::string_view gamertag = TruncateUtf8(
        m.gamertag ? std::string_view(*m.gamertag) : std::string_view(), kMaxGamertagBytes);
    // An absent gamertag is an empty view whose data() is null: no copy.
    if (!gamertag.empty()) std::memcpy(out.Gamertag, gamertag.data(), gamertag.size());
    out.Gamertag[gamertag.size()] = '\0';
    if (m.active.value_or(false)) {
      out.Status = XblMultiplayerSessionMemberStatus::Active;
    } else if (m.ready.value_or(false)) {
      out.Status = XblMultiplayerSessionMemberStatus::Ready;
    } else if (m.reserved.value_or(false)) {
      out.Status = XblMultiplayerSessionMemberStatus::Reserved;
    } else {
      out.Status = XblMultiplayerSessionMemberStatus::Inactive;
    }
    // The member's own "turn", which the service sets (not properties.system.turn).
    out.IsTurnAvailable = m.turn.value_or(false);
    // A large session lists only the caller, as "me".
    out.IsCurrentUser = doc.members_as_me || (user_xuid != 0 && m.xuid == user_xuid);
    out.InitializeRequested = m.initialize.value_or(false);
    out.ActiveTitleId = m.active_title_id.value_or(0);
    out.JoinTime = TimestampToC(m.join_time);
    if (out.IsCurrentUser && v->current_user == nullptr) v->current_user = &out;
  }
  return v;
}

}  // namespace sessionrig
