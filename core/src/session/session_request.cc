#include "session/session_request.h"

#include <set>
#include <utility>

#include "sessionrig/json_codec.h"
#include "sessionrig/mpsd_defaults.h"

namespace sessionrig {
namespace {

using nlohmann::json;

// Sent by every call: the MPSD contract version the core speaks.
const std::string kContractVersionText = std::to_string(mpsd::kContractVersion);
// Contract version, Accept, Authorization, a conditional header, Content-Type.
constexpr std::size_t kMaxRequestHeaders = 5;

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

HttpRequest BaseRequest(RequestTarget target, const XblMultiplayerSessionReference& ref,
                        const char* method) {
  HttpRequest req;
  req.method = method;
  req.url = SessionUrl(target.endpoint, ref);
  req.timeout = target.timeout;
  req.headers.reserve(kMaxRequestHeaders);  // one allocation, not one per growth
  req.headers.emplace_back("x-xbl-contract-version", kContractVersionText);
  req.headers.emplace_back("Accept", "application/json");
  if (!target.authorization.empty()) {
    req.headers.emplace_back("Authorization", std::move(target.authorization));
  }
  return req;
}

}  // namespace

std::string SessionUrl(std::string_view endpoint, const XblMultiplayerSessionReference& ref) {
  constexpr std::string_view kScid = "/serviceconfigs/";
  constexpr std::string_view kTemplate = "/sessionTemplates/";
  constexpr std::string_view kName = "/sessions/";
  const std::string_view scid = ref.Scid;
  const std::string_view template_name = ref.SessionTemplateName;
  const std::string_view name = ref.SessionName;
  std::string url;
  url.reserve(endpoint.size() + kScid.size() + scid.size() + kTemplate.size() +
              template_name.size() + kName.size() + name.size());
  url.append(endpoint).append(kScid).append(scid);
  url.append(kTemplate).append(template_name).append(kName).append(name);
  return url;
}

HttpRequest BuildGetRequest(RequestTarget target, const XblMultiplayerSessionReference& ref) {
  return BaseRequest(std::move(target), ref, "GET");
}

HRESULT BuildWriteRequest(RequestTarget target, const XblMultiplayerSession& session,
                          XblMultiplayerSessionWriteMode mode, HttpRequest* out) {
  HttpRequest req = BaseRequest(std::move(target), SessionRef(session), "PUT");
  const std::string& etag = SessionEtag(session);
  switch (mode) {
    case XblMultiplayerSessionWriteMode::CreateNew:
      req.headers.emplace_back("If-None-Match", "*");
      break;
    case XblMultiplayerSessionWriteMode::UpdateOrCreateNew:
      break;
    case XblMultiplayerSessionWriteMode::UpdateExisting:
      req.headers.emplace_back("If-Match", "*");
      break;
    case XblMultiplayerSessionWriteMode::SynchronizedUpdate:
      if (etag.empty()) {
        req.headers.emplace_back("If-None-Match", "*");
      } else {
        req.headers.emplace_back("If-Match", etag);
      }
      break;
    default:
      return E_INVALIDARG;
  }
  req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  req.body = BuildWriteRequestBody(session);
  *out = std::move(req);
  return S_OK;
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
    properties["custom"] = CustomWithDeletions(s.doc->properties.custom.value(), d.custom_deleted);
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
  return DumpJson(body);
}

}  // namespace sessionrig
