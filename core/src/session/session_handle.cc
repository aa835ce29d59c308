#include "session/session_handle.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <string_view>
#include <utility>

#include "sessionrig/json_codec.h"

namespace sessionrig {
namespace {

using nlohmann::json;

constexpr uint32_t kMaxMembersInSession = 1000;  // "large" sessions (spec section 5)
constexpr uint32_t kDefaultMaxMembers = 100;
constexpr uint64_t kDefaultReservedTimeoutMs = 30000;
constexpr uint64_t kDefaultInactiveTimeoutMs = 0;
constexpr uint64_t kDefaultReadyTimeoutMs = 180000;
constexpr uint64_t kDefaultSessionEmptyTimeoutMs = 0;
constexpr uint64_t kNeverMs = std::numeric_limits<uint64_t>::max();

// The capability names of MPSD in the order of XblMultiplayerSessionCapabilities.
constexpr const char* kCapConnectivity = "connectivity";
constexpr const char* kCapSuppressPresence = "suppressPresenceActivityCheck";
constexpr const char* kCapGameplay = "gameplay";
constexpr const char* kCapLarge = "large";
constexpr const char* kCapConnectionRequired = "connectionRequiredForActiveMembers";
constexpr const char* kCapUserAuthorizationStyle = "userAuthorizationStyle";
constexpr const char* kCapCrossPlay = "crossPlay";
constexpr const char* kCapSearchable = "searchable";
constexpr const char* kCapHasOwners = "hasOwners";

std::string Dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// Runs `f`, turning an allocation failure into E_OUTOFMEMORY: the C API is
// noexcept and must not terminate the process on it.
template <typename F>
HRESULT Guard(F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return E_OUTOFMEMORY;
  }
}

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool IsValidName(const char* name) {
  return name != nullptr && name[0] != '\0' && IsValidUtf8(name);
}

// Parses user-supplied JSON text; false if it is null or not valid JSON.
bool ParseUserJson(const char* text, json* out) {
  if (text == nullptr) return false;
  StatusOr<json> parsed = ParseJsonStrict(text);
  if (!parsed.ok()) return false;
  *out = std::move(parsed).value();
  return true;
}

bool VisibilityFromC(XblMultiplayerSessionVisibility v, SessionVisibility* out) {
  switch (v) {
    case XblMultiplayerSessionVisibility::PrivateSession:
      *out = SessionVisibility::kPrivate;
      return true;
    case XblMultiplayerSessionVisibility::Visible:
      *out = SessionVisibility::kVisible;
      return true;
    case XblMultiplayerSessionVisibility::Open:
      *out = SessionVisibility::kOpen;
      return true;
    case XblMultiplayerSessionVisibility::Full:
      *out = SessionVisibility::kFull;
      return true;
    default:
      return false;
  }
}

XblMultiplayerSessionVisibility VisibilityToC(const std::optional<SessionVisibility>& v) {
  if (!v) return XblMultiplayerSessionVisibility::Unknown;
  switch (*v) {
    case SessionVisibility::kPrivate:
      return XblMultiplayerSessionVisibility::PrivateSession;
    case SessionVisibility::kVisible:
      return XblMultiplayerSessionVisibility::Visible;
    case SessionVisibility::kOpen:
      return XblMultiplayerSessionVisibility::Open;
    case SessionVisibility::kFull:
      return XblMultiplayerSessionVisibility::Full;
  }
  return XblMultiplayerSessionVisibility::Unknown;
}

bool RestrictionFromC(XblMultiplayerSessionRestriction r, SessionRestriction* out) {
  switch (r) {
    case XblMultiplayerSessionRestriction::None:
      *out = SessionRestriction::kNone;
      return true;
    case XblMultiplayerSessionRestriction::Local:
      *out = SessionRestriction::kLocal;
      return true;
    case XblMultiplayerSessionRestriction::Followed:
      *out = SessionRestriction::kFollowed;
      return true;
    default:
      return false;
  }
}

XblMultiplayerSessionRestriction RestrictionToC(const std::optional<SessionRestriction>& r) {
  if (!r) return XblMultiplayerSessionRestriction::Unknown;
  switch (*r) {
    case SessionRestriction::kNone:
      return XblMultiplayerSessionRestriction::None;
    case SessionRestriction::kLocal:
      return XblMultiplayerSessionRestriction::Local;
    case SessionRestriction::kFollowed:
      return XblMultiplayerSessionRestriction::Followed;
  }
  return XblMultiplayerSessionRestriction::Unknown;
}

uint64_t TimeoutToC(const SessionTimeout& t, uint64_t default_ms) {
  if (!t.present) return default_ms;
  return t.ms ? *t.ms : kNeverMs;
}

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

// A string member of `obj`, or "" if `obj` is not an object or has none.
std::string StringField(const json& obj, const char* key) {
  if (!obj.is_object()) return std::string();
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::string();
  return it->get_ref<const std::string&>();
}

// An object member of `obj` as JSON text, or "{}" if there is none.
std::string ObjectFieldJson(const json& obj, const char* key) {
  if (!obj.is_object()) return "{}";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) return "{}";
  return Dump(*it);
}

bool BoolField(const json& obj, const char* key) {
  if (!obj.is_object()) return false;
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  const auto* b = it->get_ptr<const json::boolean_t*>();
  return b != nullptr && *b;
}

std::unique_ptr<SessionCViews> BuildViews(const SessionDocument& doc, uint64_t user_xuid) {
  auto v = std::make_unique<SessionCViews>();

  // Constants.
  const SessionConstantsSystem& cs = doc.constants.system;
  if (cs.initiators) v->initiators = *cs.initiators;
  v->constants_custom =
      Dump(doc.constants.custom.is_object() ? doc.constants.custom : json::object());
  v->cloud_compute_package = ObjectFieldJson(cs.extra, "cloudComputePackage");
  XblMultiplayerSessionConstants& c = v->constants;
  c.MaxMembersInSession = cs.max_members_count.value_or(kDefaultMaxMembers);
  c.Visibility = VisibilityToC(cs.visibility);
  c.InitiatorXuids = v->initiators.empty() ? nullptr : v->initiators.data();
  c.InitiatorXuidsCount = v->initiators.size();
  c.CustomJson = v->constants_custom.c_str();
  c.SessionCloudComputePackageConstantsJson = v->cloud_compute_package.c_str();
  c.MemberReservedTimeout = TimeoutToC(cs.reserved_removal_timeout, kDefaultReservedTimeoutMs);
  c.MemberInactiveTimeout = TimeoutToC(cs.inactive_removal_timeout, kDefaultInactiveTimeoutMs);
  c.MemberReadyTimeout = TimeoutToC(cs.ready_removal_timeout, kDefaultReadyTimeoutMs);
  c.SessionEmptyTimeout = TimeoutToC(cs.session_empty_timeout, kDefaultSessionEmptyTimeoutMs);
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
  v->matchmaking_connection = StringField(mm, "serverConnectionString");
  auto candidates = ps.extra.find("serverConnectionStringCandidates");
  if (candidates != ps.extra.end() && candidates->is_array()) {
    for (const json& item : *candidates) {
      if (item.is_string()) v->candidate_storage.push_back(item.get_ref<const std::string&>());
    }
  }
  for (const std::string& s : v->candidate_storage) v->candidates.push_back(s.c_str());
  v->properties_custom =
      Dump(doc.properties.custom.is_object() ? doc.properties.custom : json::object());
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
  p.AllocateCloudCompute = BoolField(ps.extra, "allocateCloudCompute");

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
    s.team = StringField(m.constants_system_extra, "team");
    s.initial_team = StringField(m.constants_system_extra, "initialTeam");
    s.custom_constants = Dump(m.constants_custom.is_object() ? m.constants_custom : json::object());
    s.secure_device_address = m.secure_device_address.value_or(std::string());
    s.custom_properties =
        Dump(m.properties_custom.is_object() ? m.properties_custom : json::object());
    XblMultiplayerSessionMember& out = v->members[i];
    out.MemberId = m.index;
    out.TeamId = s.team.c_str();
    out.InitialTeam = s.initial_team.c_str();
    out.Xuid = m.xuid.value_or(0);
    out.CustomConstantsJson = s.custom_constants.c_str();
    out.SecureDeviceBaseAddress64 = s.secure_device_address.c_str();
    out.CustomPropertiesJson = s.custom_properties.c_str();
    // Parsed documents hold at most 15 bytes; a hand-built one is cut to fit.
    const std::string gamertag = m.gamertag.value_or(std::string());
    const std::size_t len = std::min(gamertag.size(), sizeof(out.Gamertag) - 1);
    std::memcpy(out.Gamertag, gamertag.data(), len);
    out.Gamertag[len] = '\0';
    if (m.active.value_or(false)) {
      out.Status = XblMultiplayerSessionMemberStatus::Active;
    } else if (m.ready.value_or(false)) {
      out.Status = XblMultiplayerSessionMemberStatus::Ready;
    } else if (m.reserved.value_or(false)) {
      out.Status = XblMultiplayerSessionMemberStatus::Reserved;
    } else {
      out.Status = XblMultiplayerSessionMemberStatus::Inactive;
    }
    out.IsTurnAvailable = false;
    for (uint32_t t : v->turn) out.IsTurnAvailable = out.IsTurnAvailable || t == m.index;
    out.IsCurrentUser = user_xuid != 0 && m.xuid == user_xuid;
    out.InitializeRequested = m.initialize.value_or(false);
    out.ActiveTitleId = m.active_title_id.value_or(0);
    out.JoinTime = TimestampToC(m.join_time);
    if (out.IsCurrentUser && v->current_user == nullptr) v->current_user = &out;
  }
  return v;
}

// The views of `s`, built on first use. Null only if memory runs out.
const SessionCViews* Views(XblMultiplayerSession* s) {
  try {
    std::lock_guard<std::mutex> lock(s->views_mu);
    if (s->views == nullptr) s->views = BuildViews(*s->doc, s->xuid);
    return s->views.get();
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

// The document for a setter to change: copied on the first change.
SessionDocument& MutableDoc(XblMultiplayerSession* s) {
  if (s->local == nullptr) {
    s->local = std::make_shared<SessionDocument>(*s->doc);
    s->doc = s->local;
  }
  std::lock_guard<std::mutex> lock(s->views_mu);
  s->views.reset();
  return *s->local;
}

// The current user's member in the (mutable) document, or null.
SessionMember* CurrentMember(XblMultiplayerSession* s, SessionDocument& doc) {
  if (s->xuid == 0) return nullptr;
  for (SessionMember& m : doc.members) {
    if (m.xuid == s->xuid) return &m;
  }
  return nullptr;
}

// Forgets every pending change to "me".
void ResetMe(SessionDelta& d) {
  d.me = SessionDelta::MeChange::kNone;
  d.me_join = false;
  d.me_initialize = false;
  d.me_custom_constants.reset();
  d.me_active.reset();
  d.me_custom_dirty = false;
  d.me_custom = json::object();
  d.me_custom_deleted.clear();
}

// Starts (or continues) a "me" update; a pending Leave is discarded.
void BeginMeUpdate(SessionDelta& d) {
  if (d.me == SessionDelta::MeChange::kLeave) ResetMe(d);
  d.me = SessionDelta::MeChange::kUpdate;
}

// Records a change of the current user's custom property `name` (`value`
// null: delete).
void SetMeCustom(XblMultiplayerSession* s, const std::string& name, const json* value) {
  SessionDelta& d = s->delta;
  BeginMeUpdate(d);
  SessionDocument& doc = MutableDoc(s);
  SessionMember* me = CurrentMember(s, doc);
  if (!d.me_custom_dirty) {
    d.me_custom = (me != nullptr && me->properties_custom.is_object()) ? me->properties_custom
                                                                       : json::object();
    d.me_custom_dirty = true;
  }
  if (value != nullptr) {
    d.me_custom[name] = *value;
    d.me_custom_deleted.erase(name);
  } else {
    d.me_custom.erase(name);
    d.me_custom_deleted.insert(name);
  }
  if (me != nullptr) me->properties_custom = d.me_custom;
}

json CustomWithDeletions(const json& current, const std::set<std::string>& deleted) {
  json out = current.is_object() ? current : json::object();
  for (const std::string& name : deleted) out[name] = nullptr;
  return out;
}

json MemberConstants(uint64_t xuid, bool initialize, const std::optional<json>& custom) {
  json constants = {{"system", {{"xuid", std::to_string(xuid)}, {"initialize", initialize}}}};
  if (custom) constants["custom"] = *custom;
  return constants;
}

void CopyTruncated(char* dst, std::size_t capacity, const char* src) {
  std::size_t len = 0;
  if (src != nullptr) {
    while (len + 1 < capacity && src[len] != '\0') ++len;
    std::memcpy(dst, src, len);
  }
  dst[len] = '\0';
}

bool IsUriSafeField(const char* field, std::size_t capacity) {
  const void* nul = std::memchr(field, '\0', capacity);
  if (nul == nullptr || nul == field) return false;
  for (const char* p = field; p != nul; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c <= 0x20 || c == 0x7F || c == '/' || c == '?' || c == '#' || c == '%') return false;
  }
  return true;
}

XblMultiplayerSession* NewSession() { return new (std::nothrow) XblMultiplayerSession(); }

}  // namespace

std::shared_ptr<const SessionDocument> EmptySessionDocument() {
  static const std::shared_ptr<const SessionDocument> kEmpty =
      std::make_shared<const SessionDocument>();
  return kEmpty;
}

std::string BuildWriteRequestBody(const XblMultiplayerSession& s) {
  const SessionDelta& d = s.delta;
  json body = json::object();

  if (s.etag.empty()) {
    json sys = json::object();
    if (d.max_members_count) sys["maxMembersCount"] = *d.max_members_count;
    if (d.visibility) sys["visibility"] = SessionVisibilityName(*d.visibility);
    if (d.initiators) {
      json list = json::array();
      for (uint64_t x : *d.initiators) list.push_back(std::to_string(x));
      sys["initiators"] = std::move(list);
    }
    if (d.capabilities) sys["capabilities"] = *d.capabilities;
    if (d.timeouts_set) {
      sys["reservedRemovalTimeout"] = d.reserved_removal_timeout_ms;
      sys["inactiveRemovalTimeout"] = d.inactive_removal_timeout_ms;
      sys["readyRemovalTimeout"] = d.ready_removal_timeout_ms;
      sys["sessionEmptyTimeout"] = d.session_empty_timeout_ms;
    }
    json constants = json::object();
    if (!sys.empty()) constants["system"] = std::move(sys);
    if (d.constants_custom) constants["custom"] = *d.constants_custom;
    if (!constants.empty()) body["constants"] = std::move(constants);
  }

  json psys = json::object();
  if (d.join_restriction) psys["joinRestriction"] = SessionRestrictionName(*d.join_restriction);
  if (d.read_restriction) psys["readRestriction"] = SessionRestrictionName(*d.read_restriction);
  if (d.closed) psys["closed"] = *d.closed;
  if (d.locked) psys["locked"] = *d.locked;
  if (d.keywords) psys["keywords"] = *d.keywords;
  json properties = json::object();
  if (!psys.empty()) properties["system"] = std::move(psys);
  if (d.custom_dirty) {
    properties["custom"] = CustomWithDeletions(s.doc->properties.custom, d.custom_deleted);
  }
  if (!properties.empty()) body["properties"] = std::move(properties);

  json members = json::object();
  if (d.me == SessionDelta::MeChange::kLeave) {
    members["me"] = nullptr;
  } else if (d.me == SessionDelta::MeChange::kUpdate) {
    json me = json::object();
    if (d.me_join)
      me["constants"] = MemberConstants(s.xuid, d.me_initialize, d.me_custom_constants);
    json me_props = json::object();
    if (d.me_active) me_props["system"] = {{"active", *d.me_active}};
    if (d.me_custom_dirty)
      me_props["custom"] = CustomWithDeletions(d.me_custom, d.me_custom_deleted);
    if (!me_props.empty()) me["properties"] = std::move(me_props);
    members["me"] = std::move(me);
  }
  for (std::size_t i = 0; i < d.reservations.size(); ++i) {
    const MemberReservation& r = d.reservations[i];
    members["reserve_" + std::to_string(i)] = {
        {"constants", MemberConstants(r.xuid, r.initialize, r.custom_constants)}};
  }
  if (!members.empty()) body["members"] = std::move(members);
  return Dump(body);
}

uint64_t SessionXuid(const XblMultiplayerSession& s) { return s.xuid; }

const XblMultiplayerSessionReference& SessionRef(const XblMultiplayerSession& s) {
  return s.reference;
}

const std::string& SessionEtag(const XblMultiplayerSession& s) { return s.etag; }

XblMultiplayerSessionHandle MakeSessionFromResponse(uint64_t xuid,
                                                    const XblMultiplayerSessionReference& ref,
                                                    const ParsedResponse& response) {
  XblMultiplayerSession* s = NewSession();
  if (s == nullptr) return nullptr;
  try {
    s->xuid = xuid;
    s->reference = ref;
    s->write_status = response.write_status;
    if (response.session != nullptr) {
      s->doc = response.session;
      s->etag = response.etag;
    } else {
      s->doc = EmptySessionDocument();
    }
  } catch (const std::bad_alloc&) {
    delete s;
    return nullptr;
  }
  return s;
}

}  // namespace sessionrig

using nlohmann::json;
using sessionrig::Guard;
using sessionrig::SessionDelta;
using sessionrig::SessionDocument;

// ---- Session references -----------------------------------------------------

STDAPI_(XblMultiplayerSessionReference)
XblMultiplayerSessionReferenceCreate(const char* scid, const char* sessionTemplateName,
                                     const char* sessionName) XBL_NOEXCEPT {
  XblMultiplayerSessionReference ref{};
  sessionrig::CopyTruncated(ref.Scid, sizeof(ref.Scid), scid);
  sessionrig::CopyTruncated(ref.SessionTemplateName, sizeof(ref.SessionTemplateName),
                            sessionTemplateName);
  sessionrig::CopyTruncated(ref.SessionName, sizeof(ref.SessionName), sessionName);
  return ref;
}

STDAPI_(bool)
XblMultiplayerSessionReferenceIsValid(const XblMultiplayerSessionReference* sessionReference)
    XBL_NOEXCEPT {
  if (sessionReference == nullptr) return false;
  const XblMultiplayerSessionReference& r = *sessionReference;
  return sessionrig::IsUriSafeField(r.Scid, sizeof(r.Scid)) &&
         sessionrig::IsUriSafeField(r.SessionTemplateName, sizeof(r.SessionTemplateName)) &&
         sessionrig::IsUriSafeField(r.SessionName, sizeof(r.SessionName));
}

// ---- Handles ----------------------------------------------------------------

STDAPI_(XblMultiplayerSessionHandle)
XblMultiplayerSessionCreateHandle(uint64_t xuid,
                                  const XblMultiplayerSessionReference* sessionReference,
                                  const XblMultiplayerSessionInitArgs* initArgs) XBL_NOEXCEPT {
  // Validate everything before allocating.
  json custom;
  std::optional<sessionrig::SessionVisibility> visibility;
  if (initArgs != nullptr) {
    if (initArgs->MaxMembersInSession > sessionrig::kMaxMembersInSession) return nullptr;
    if (initArgs->InitiatorXuidsCount > 0 && initArgs->InitiatorXuids == nullptr) return nullptr;
    if (initArgs->InitiatorXuidsCount > sessionrig::kMaxMembersInSession) return nullptr;
    switch (initArgs->Visibility) {
      case XblMultiplayerSessionVisibility::Unknown:
      case XblMultiplayerSessionVisibility::Any:
        break;
      default: {
        sessionrig::SessionVisibility v{};
        if (!sessionrig::VisibilityFromC(initArgs->Visibility, &v)) return nullptr;
        visibility = v;
      }
    }
  }
  XblMultiplayerSession* s = sessionrig::NewSession();
  if (s == nullptr) return nullptr;
  HRESULT hr = Guard([&]() -> HRESULT {
    if (initArgs != nullptr && initArgs->CustomJson != nullptr &&
        (!sessionrig::ParseUserJson(initArgs->CustomJson, &custom) || !custom.is_object())) {
      return E_INVALIDARG;
    }
    s->xuid = xuid;
    if (sessionReference != nullptr) s->reference = *sessionReference;
    auto doc = std::make_shared<SessionDocument>();
    SessionDelta& d = s->delta;
    if (initArgs != nullptr) {
      if (initArgs->MaxMembersInSession != 0) {
        d.max_members_count = initArgs->MaxMembersInSession;
        doc->constants.system.max_members_count = initArgs->MaxMembersInSession;
      }
      if (visibility) {
        d.visibility = visibility;
        doc->constants.system.visibility = visibility;
      }
      if (initArgs->InitiatorXuidsCount > 0) {
        std::vector<uint64_t> initiators(initArgs->InitiatorXuids,
                                         initArgs->InitiatorXuids + initArgs->InitiatorXuidsCount);
        d.initiators = initiators;
        doc->constants.system.initiators = std::move(initiators);
      }
      if (initArgs->CustomJson != nullptr) {
        d.constants_custom = custom;
        doc->constants.custom = std::move(custom);
      }
    }
    s->local = doc;
    s->doc = std::move(doc);
    return S_OK;
  });
  if (FAILED(hr)) {
    delete s;
    return nullptr;
  }
  return s;
}

STDAPI XblMultiplayerSessionDuplicateHandle(XblMultiplayerSessionHandle handle,
                                            XblMultiplayerSessionHandle* duplicatedHandle)
    XBL_NOEXCEPT {
  if (handle == nullptr || duplicatedHandle == nullptr) return E_INVALIDARG;
  handle->refcount.fetch_add(1, std::memory_order_relaxed);
  *duplicatedHandle = handle;
  return S_OK;
}

STDAPI_(void) XblMultiplayerSessionCloseHandle(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  if (handle == nullptr) return;
  if (handle->refcount.fetch_sub(1, std::memory_order_acq_rel) == 1) delete handle;
}

// ---- Getters ----------------------------------------------------------------

STDAPI_(const XblMultiplayerSessionReference*)
XblMultiplayerSessionSessionReference(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  return handle == nullptr ? nullptr : &handle->reference;
}

STDAPI_(const XblMultiplayerSessionConstants*)
XblMultiplayerSessionSessionConstants(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  if (handle == nullptr) return nullptr;
  const sessionrig::SessionCViews* v = sessionrig::Views(handle);
  return v == nullptr ? nullptr : &v->constants;
}

STDAPI_(const XblMultiplayerSessionProperties*)
XblMultiplayerSessionSessionProperties(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  if (handle == nullptr) return nullptr;
  const sessionrig::SessionCViews* v = sessionrig::Views(handle);
  return v == nullptr ? nullptr : &v->properties;
}

STDAPI_(const XblMultiplayerSessionInfo*)
XblMultiplayerSessionGetInfo(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  if (handle == nullptr) return nullptr;
  const sessionrig::SessionCViews* v = sessionrig::Views(handle);
  return v == nullptr ? nullptr : &v->info;
}

STDAPI_(const char*) XblMultiplayerSessionEtag(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  return handle == nullptr ? nullptr : handle->etag.c_str();
}

STDAPI_(XblWriteSessionStatus)
XblMultiplayerSessionWriteStatus(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  return handle == nullptr ? XblWriteSessionStatus::Unknown : handle->write_status;
}

STDAPI XblMultiplayerSessionMembers(XblMultiplayerSessionHandle handle,
                                    const XblMultiplayerSessionMember** members,
                                    size_t* membersCount) XBL_NOEXCEPT {
  if (handle == nullptr || members == nullptr || membersCount == nullptr) return E_INVALIDARG;
  const sessionrig::SessionCViews* v = sessionrig::Views(handle);
  if (v == nullptr) return E_OUTOFMEMORY;
  *members = v->members.empty() ? nullptr : v->members.data();
  *membersCount = v->members.size();
  return S_OK;
}

STDAPI_(const XblMultiplayerSessionMember*)
XblMultiplayerSessionCurrentUser(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  if (handle == nullptr) return nullptr;
  const sessionrig::SessionCViews* v = sessionrig::Views(handle);
  return v == nullptr ? nullptr : v->current_user;
}

// ---- Setters ----------------------------------------------------------------

STDAPI XblMultiplayerSessionConstantsSetMaxMembersInSession(
    XblMultiplayerSessionHandle handle, uint32_t maxMembersInSession) XBL_NOEXCEPT {
  if (handle == nullptr) return E_INVALIDARG;
  if (!handle->etag.empty()) return E_UNEXPECTED;
  if (maxMembersInSession < 1 || maxMembersInSession > sessionrig::kMaxMembersInSession) {
    return E_INVALIDARG;
  }
  return Guard([&] {
    sessionrig::MutableDoc(handle).constants.system.max_members_count = maxMembersInSession;
    handle->delta.max_members_count = maxMembersInSession;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionConstantsSetVisibility(
    XblMultiplayerSessionHandle handle, XblMultiplayerSessionVisibility visibility) XBL_NOEXCEPT {
  if (handle == nullptr) return E_INVALIDARG;
  if (!handle->etag.empty()) return E_UNEXPECTED;
  sessionrig::SessionVisibility v{};
  if (!sessionrig::VisibilityFromC(visibility, &v)) return E_INVALIDARG;
  return Guard([&] {
    sessionrig::MutableDoc(handle).constants.system.visibility = v;
    handle->delta.visibility = v;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionConstantsSetTimeouts(XblMultiplayerSessionHandle handle,
                                                 uint64_t memberReservedTimeout,
                                                 uint64_t memberInactiveTimeout,
                                                 uint64_t memberReadyTimeout,
                                                 uint64_t sessionEmptyTimeout) XBL_NOEXCEPT {
  if (handle == nullptr) return E_INVALIDARG;
  if (!handle->etag.empty()) return E_UNEXPECTED;
  return Guard([&] {
    sessionrig::SessionConstantsSystem& cs = sessionrig::MutableDoc(handle).constants.system;
    cs.reserved_removal_timeout = sessionrig::SessionTimeout::Millis(memberReservedTimeout);
    cs.inactive_removal_timeout = sessionrig::SessionTimeout::Millis(memberInactiveTimeout);
    cs.ready_removal_timeout = sessionrig::SessionTimeout::Millis(memberReadyTimeout);
    cs.session_empty_timeout = sessionrig::SessionTimeout::Millis(sessionEmptyTimeout);
    SessionDelta& d = handle->delta;
    d.timeouts_set = true;
    d.reserved_removal_timeout_ms = memberReservedTimeout;
    d.inactive_removal_timeout_ms = memberInactiveTimeout;
    d.ready_removal_timeout_ms = memberReadyTimeout;
    d.session_empty_timeout_ms = sessionEmptyTimeout;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionConstantsSetCapabilities(XblMultiplayerSessionHandle handle,
                                                     XblMultiplayerSessionCapabilities capabilities)
    XBL_NOEXCEPT {
  if (handle == nullptr) return E_INVALIDARG;
  if (!handle->etag.empty()) return E_UNEXPECTED;
  return Guard([&] {
    const std::map<std::string, bool> caps = {
        {sessionrig::kCapConnectivity, capabilities.Connectivity},
        {sessionrig::kCapSuppressPresence, capabilities.SuppressPresenceActivityCheck},
        {sessionrig::kCapGameplay, capabilities.Gameplay},
        {sessionrig::kCapLarge, capabilities.Large},
        {sessionrig::kCapConnectionRequired, capabilities.ConnectionRequiredForActiveMembers},
        {sessionrig::kCapUserAuthorizationStyle, capabilities.UserAuthorizationStyle},
        {sessionrig::kCapCrossPlay, capabilities.Crossplay},
        {sessionrig::kCapSearchable, capabilities.Searchable},
        {sessionrig::kCapHasOwners, capabilities.HasOwners},
    };
    sessionrig::MutableDoc(handle).constants.system.capabilities = caps;
    handle->delta.capabilities = caps;
    return S_OK;
  });
}

STDAPI_(void)
XblMultiplayerSessionPropertiesSetJoinRestriction(XblMultiplayerSessionHandle handle,
                                                  XblMultiplayerSessionRestriction joinRestriction)
    XBL_NOEXCEPT {
  sessionrig::SessionRestriction r{};
  if (handle == nullptr || !sessionrig::RestrictionFromC(joinRestriction, &r)) return;
  (void)Guard([&] {
    sessionrig::MutableDoc(handle).properties.system.join_restriction = r;
    handle->delta.join_restriction = r;
    return S_OK;
  });
}

STDAPI_(void)
XblMultiplayerSessionPropertiesSetReadRestriction(XblMultiplayerSessionHandle handle,
                                                  XblMultiplayerSessionRestriction readRestriction)
    XBL_NOEXCEPT {
  sessionrig::SessionRestriction r{};
  if (handle == nullptr || !sessionrig::RestrictionFromC(readRestriction, &r)) return;
  (void)Guard([&] {
    sessionrig::MutableDoc(handle).properties.system.read_restriction = r;
    handle->delta.read_restriction = r;
    return S_OK;
  });
}

STDAPI_(void)
XblMultiplayerSessionPropertiesSetClosed(XblMultiplayerSessionHandle handle,
                                         bool closed) XBL_NOEXCEPT {
  if (handle == nullptr) return;
  (void)Guard([&] {
    sessionrig::MutableDoc(handle).properties.system.closed = closed;
    handle->delta.closed = closed;
    return S_OK;
  });
}

STDAPI_(void)
XblMultiplayerSessionPropertiesSetLocked(XblMultiplayerSessionHandle handle,
                                         bool locked) XBL_NOEXCEPT {
  if (handle == nullptr) return;
  (void)Guard([&] {
    sessionrig::MutableDoc(handle).properties.system.locked = locked;
    handle->delta.locked = locked;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionPropertiesSetKeywords(XblMultiplayerSessionHandle handle,
                                                  const char** keywords,
                                                  size_t keywordsCount) XBL_NOEXCEPT {
  if (handle == nullptr || (keywords == nullptr && keywordsCount > 0)) return E_INVALIDARG;
  for (size_t i = 0; i < keywordsCount; ++i) {
    if (keywords[i] == nullptr || !sessionrig::IsValidUtf8(keywords[i])) return E_INVALIDARG;
  }
  return Guard([&] {
    std::vector<std::string> list(keywords, keywords + keywordsCount);
    sessionrig::MutableDoc(handle).properties.system.keywords = list;
    handle->delta.keywords = std::move(list);
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionSetCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                  const char* name,
                                                  const char* valueJson) XBL_NOEXCEPT {
  if (handle == nullptr || !sessionrig::IsValidName(name)) return E_INVALIDARG;
  return Guard([&] {
    json value;
    if (!sessionrig::ParseUserJson(valueJson, &value)) return E_INVALIDARG;
    json& custom = sessionrig::MutableDoc(handle).properties.custom;
    if (!custom.is_object()) custom = json::object();
    custom[name] = std::move(value);
    handle->delta.custom_deleted.erase(name);
    handle->delta.custom_dirty = true;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionDeleteCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                     const char* name) XBL_NOEXCEPT {
  if (handle == nullptr || !sessionrig::IsValidName(name)) return E_INVALIDARG;
  return Guard([&] {
    json& custom = sessionrig::MutableDoc(handle).properties.custom;
    if (!custom.is_object()) custom = json::object();
    custom.erase(name);
    handle->delta.custom_deleted.insert(name);
    handle->delta.custom_dirty = true;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionJoin(XblMultiplayerSessionHandle handle,
                                 const char* memberCustomConstantsJson, bool initializeRequested,
                                 bool joinWithActiveStatus) XBL_NOEXCEPT {
  if (handle == nullptr) return E_INVALIDARG;
  if (handle->xuid == 0) return E_UNEXPECTED;
  return Guard([&] {
    std::optional<json> custom;
    if (memberCustomConstantsJson != nullptr) {
      json parsed;
      if (!sessionrig::ParseUserJson(memberCustomConstantsJson, &parsed) || !parsed.is_object()) {
        return E_INVALIDARG;
      }
      custom = std::move(parsed);
    }
    SessionDelta& d = handle->delta;
    sessionrig::BeginMeUpdate(d);
    d.me_join = true;
    d.me_initialize = initializeRequested;
    d.me_custom_constants = std::move(custom);
    d.me_active = joinWithActiveStatus;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionLeave(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT {
  if (handle == nullptr) return E_INVALIDARG;
  return Guard([&] {
    sessionrig::ResetMe(handle->delta);
    handle->delta.me = SessionDelta::MeChange::kLeave;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionCurrentUserSetStatus(
    XblMultiplayerSessionHandle handle, XblMultiplayerSessionMemberStatus status) XBL_NOEXCEPT {
  if (handle == nullptr) return E_INVALIDARG;
  bool active = false;
  switch (status) {
    case XblMultiplayerSessionMemberStatus::Active:
      active = true;
      break;
    case XblMultiplayerSessionMemberStatus::Inactive:
      active = false;
      break;
    default:
      return E_INVALIDARG;
  }
  return Guard([&] {
    SessionDelta& d = handle->delta;
    sessionrig::BeginMeUpdate(d);
    d.me_active = active;
    SessionDocument& doc = sessionrig::MutableDoc(handle);
    if (sessionrig::SessionMember* me = sessionrig::CurrentMember(handle, doc)) me->active = active;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionCurrentUserSetCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                             const char* name,
                                                             const char* valueJson) XBL_NOEXCEPT {
  if (handle == nullptr || !sessionrig::IsValidName(name)) return E_INVALIDARG;
  return Guard([&] {
    json value;
    if (!sessionrig::ParseUserJson(valueJson, &value)) return E_INVALIDARG;
    sessionrig::SetMeCustom(handle, name, &value);
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionCurrentUserDeleteCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                                const char* name) XBL_NOEXCEPT {
  if (handle == nullptr || !sessionrig::IsValidName(name)) return E_INVALIDARG;
  return Guard([&] {
    sessionrig::SetMeCustom(handle, name, nullptr);
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionAddMemberReservation(XblMultiplayerSessionHandle handle, uint64_t xuid,
                                                 const char* memberCustomConstantsJson,
                                                 bool initializeRequested) XBL_NOEXCEPT {
  if (handle == nullptr || xuid == 0) return E_INVALIDARG;
  return Guard([&] {
    sessionrig::MemberReservation r;
    r.xuid = xuid;
    r.initialize = initializeRequested;
    if (memberCustomConstantsJson != nullptr) {
      json parsed;
      if (!sessionrig::ParseUserJson(memberCustomConstantsJson, &parsed) || !parsed.is_object()) {
        return E_INVALIDARG;
      }
      r.custom_constants = std::move(parsed);
    }
    std::vector<sessionrig::MemberReservation>& list = handle->delta.reservations;
    for (sessionrig::MemberReservation& existing : list) {
      if (existing.xuid == xuid) {
        existing = std::move(r);
        return S_OK;
      }
    }
    list.push_back(std::move(r));
    return S_OK;
  });
}
