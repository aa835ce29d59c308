#include "session/session_handle.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <string_view>
#include <utility>

#include "common/utf8.h"
#include "session/enum_maps.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/mpsd_defaults.h"

namespace sessionrig {
namespace {

using nlohmann::json;

constexpr auto kMaxMembersInSession = static_cast<uint32_t>(mpsd::kMaxMembersCountLarge);

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
    d.me_custom = me != nullptr ? me->properties_custom.value() : json::object();
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
    cs.reserved_removal_timeout = memberReservedTimeout;
    cs.inactive_removal_timeout = memberInactiveTimeout;
    cs.ready_removal_timeout = memberReadyTimeout;
    cs.session_empty_timeout = sessionEmptyTimeout;
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
    sessionrig::MutableDoc(handle).properties.custom.mutable_value()[name] = std::move(value);
    handle->delta.custom_deleted.erase(name);
    handle->delta.custom_dirty = true;
    return S_OK;
  });
}

STDAPI XblMultiplayerSessionDeleteCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                     const char* name) XBL_NOEXCEPT {
  if (handle == nullptr || !sessionrig::IsValidName(name)) return E_INVALIDARG;
  return Guard([&] {
    sessionrig::JsonObject& custom = sessionrig::MutableDoc(handle).properties.custom;
    if (!custom.empty()) custom.mutable_value().erase(name);
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
