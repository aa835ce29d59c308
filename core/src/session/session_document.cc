#include "sessionrig/session_document.h"

#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "session/document_rules.h"
#include "session/session_document_reader.h"

namespace sessionrig {
namespace {

using document_rules::ParseDecimal;
using document_rules::RestrictionFromName;
using document_rules::VisibilityFromName;
using nlohmann::json;

#define SR_RETURN_IF_ERROR(expr)             \
  do {                                       \
    Status sr_status_ = (expr);              \
    if (!sr_status_.ok()) return sr_status_; \
  } while (false)

// A field's path ("members.3.constants.system.xuid", "initiators[2]"): a
// chain of views into the DOM's keys, made text only when an error names it,
// so typing a document that is accepted builds no path string.
class Path {
 public:
  Path(const char* root) : key_(root) {}         // NOLINT: implicit, as a string
  Path(const std::string& root) : key_(root) {}  // NOLINT: implicit, as a string
  Path(const Path& parent, std::string_view key) : parent_(&parent), key_(key) {}
  Path(const Path& parent, std::size_t index) : parent_(&parent), index_(index), indexed_(true) {}

  std::string str() const {
    std::string out = parent_ != nullptr ? parent_->str() : std::string();
    if (indexed_) {
      out += '[';
      out += std::to_string(index_);
      out += ']';
    } else {
      if (!out.empty()) out += '.';
      out += key_;
    }
    return out;
  }

 private:
  const Path* parent_ = nullptr;
  std::string_view key_;
  std::size_t index_ = 0;
  bool indexed_ = false;
};

Status WrongType(const Path& path, std::string_view what) {
  std::string message = path.str();
  message += " is not ";
  message += what;
  return Status(StatusCode::kWrongType, std::move(message));
}

Status ReadUint64(const json& v, const Path& path, uint64_t* out) {
  if (const auto* u = v.get_ptr<const json::number_unsigned_t*>()) {
    *out = static_cast<uint64_t>(*u);
    return Status::Ok();
  }
  if (const auto* i = v.get_ptr<const json::number_integer_t*>()) {
    if (*i >= 0) {
      *out = static_cast<uint64_t>(*i);
      return Status::Ok();
    }
  }
  return WrongType(path, "a non-negative integer");
}

Status ReadUint32(const json& v, const Path& path, uint32_t* out) {
  uint64_t wide = 0;
  SR_RETURN_IF_ERROR(ReadUint64(v, path, &wide));
  if (wide > std::numeric_limits<uint32_t>::max()) {
    return WrongType(path, "an integer in 0..4294967295");
  }
  *out = static_cast<uint32_t>(wide);
  return Status::Ok();
}

// A typed number that is JSON null reads as absent (the header's rule).
template <typename T>
Status ReadOptionalUint32(const json& v, const Path& path, std::optional<T>* out) {
  if (v.is_null()) return Status::Ok();
  uint32_t value = 0;
  SR_RETURN_IF_ERROR(ReadUint32(v, path, &value));
  *out = value;
  return Status::Ok();
}

Status ReadOptionalUint64(const json& v, const Path& path, std::optional<uint64_t>* out) {
  if (v.is_null()) return Status::Ok();
  uint64_t value = 0;
  SR_RETURN_IF_ERROR(ReadUint64(v, path, &value));
  *out = value;
  return Status::Ok();
}

Status ReadBool(const json& v, const Path& path, std::optional<bool>* out) {
  if (const auto* b = v.get_ptr<const json::boolean_t*>()) {
    *out = *b;
    return Status::Ok();
  }
  return WrongType(path, "a boolean");
}

Status ReadString(const json& v, const Path& path, std::size_t max_bytes, std::string* out) {
  const auto* s = v.get_ptr<const json::string_t*>();
  if (s == nullptr) return WrongType(path, "a string");
  if (s->size() > max_bytes) {
    return Status(StatusCode::kStringTooLong, path.str() + " is " + std::to_string(s->size()) +
                                                  " bytes, over the limit of " +
                                                  std::to_string(max_bytes));
  }
  *out = *s;
  return Status::Ok();
}

Status ReadOptionalString(const json& v, const Path& path, std::size_t max_bytes,
                          std::optional<std::string>* out) {
  std::string s;
  SR_RETURN_IF_ERROR(ReadString(v, path, max_bytes, &s));
  *out = std::move(s);
  return Status::Ok();
}

Status ReadTimestamp(const json& v, const Path& path, std::size_t max_bytes,
                     std::optional<std::string>* out) {
  std::string s;
  SR_RETURN_IF_ERROR(ReadString(v, path, max_bytes, &s));
  int64_t seconds = 0;
  if (!ParseRfc3339(s, &seconds)) return WrongType(path, "an RFC 3339 timestamp");
  *out = std::move(s);
  return Status::Ok();
}

Status ReadXuid(const json& v, const Path& path, uint64_t* out) {
  const auto* s = v.get_ptr<const json::string_t*>();
  if (s == nullptr ||
      !ParseDecimal(*s, /*canonical=*/false, std::numeric_limits<uint64_t>::max(), out)) {
    return WrongType(path, "an xuid (a decimal uint64 string)");
  }
  return Status::Ok();
}

Status RequireObject(const json& v, const Path& path) {
  return v.is_object() ? Status::Ok() : WrongType(path, "an object");
}

Status ReadObjectValue(const json& v, const Path& path, JsonObject* out) {
  SR_RETURN_IF_ERROR(RequireObject(v, path));
  *out = v.empty() ? JsonObject() : JsonObject(v);  // {} copies no map
  return Status::Ok();
}

Status ReadOptionalObject(const json& v, const Path& path, std::optional<json>* out) {
  SR_RETURN_IF_ERROR(RequireObject(v, path));
  *out = v;
  return Status::Ok();
}

Status CheckListSize(const json& v, const Path& path, const SessionLimits& limits) {
  if (!v.is_array()) return WrongType(path, "an array");
  if (v.size() > limits.max_list_items) {
    return Status(StatusCode::kTooManyMembers, path.str() + " has " + std::to_string(v.size()) +
                                                   " items, over the limit of " +
                                                   std::to_string(limits.max_list_items));
  }
  return Status::Ok();
}

Status ReadIndexList(const json& v, const Path& path, const SessionLimits& limits,
                     std::optional<std::vector<uint32_t>>* out) {
  SR_RETURN_IF_ERROR(CheckListSize(v, path, limits));
  std::vector<uint32_t> list;
  list.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    uint32_t value = 0;
    SR_RETURN_IF_ERROR(ReadUint32(v[i], Path(path, i), &value));
    list.push_back(value);
  }
  *out = std::move(list);
  return Status::Ok();
}

Status ReadRestriction(const json& v, const Path& path, std::optional<SessionRestriction>* out) {
  const auto* s = v.get_ptr<const json::string_t*>();
  SessionRestriction r{};
  if (s == nullptr || !RestrictionFromName(*s, &r)) {
    return WrongType(path, "one of \"none\", \"local\", \"followed\"");
  }
  *out = r;
  return Status::Ok();
}

// ---- Levels of the document -------------------------------------------------

Status ParseMetrics(const json& obj, const Path& path,
                    std::optional<SessionMetricsConstants>* out) {
  SR_RETURN_IF_ERROR(RequireObject(obj, path));
  SessionMetricsConstants m;
  for (auto it = obj.cbegin(); it != obj.cend(); ++it) {
    const Path p(path, it.key());
    if (it.key() == "latency") {
      SR_RETURN_IF_ERROR(ReadBool(it.value(), p, &m.latency));
    } else if (it.key() == "bandwidthDown") {
      SR_RETURN_IF_ERROR(ReadBool(it.value(), p, &m.bandwidth_down));
    } else if (it.key() == "bandwidthUp") {
      SR_RETURN_IF_ERROR(ReadBool(it.value(), p, &m.bandwidth_up));
    } else if (it.key() == "custom") {
      SR_RETURN_IF_ERROR(ReadBool(it.value(), p, &m.custom));
    } else {
      m.extra.mutable_value()[it.key()] = it.value();
    }
  }
  *out = std::move(m);
  return Status::Ok();
}

Status ParseConstantsSystem(const json& obj, const Path& path, const SessionLimits& limits,
                            SessionConstantsSystem* out) {
  SR_RETURN_IF_ERROR(RequireObject(obj, path));
  for (auto it = obj.cbegin(); it != obj.cend(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const Path p(path, key);
    if (key == "version") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(v, p, &out->version));
    } else if (key == "maxMembersCount") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(v, p, &out->max_members_count));
      if (out->max_members_count &&
          (*out->max_members_count < 1 || *out->max_members_count > limits.max_members)) {
        return WrongType(p, "in 1.." + std::to_string(limits.max_members));
      }
    } else if (key == "visibility") {
      const auto* s = v.get_ptr<const json::string_t*>();
      SessionVisibility vis{};
      if (s == nullptr || !VisibilityFromName(*s, &vis)) {
        return WrongType(p, "one of \"private\", \"visible\", \"open\", \"full\"");
      }
      out->visibility = vis;
    } else if (key == "initiators") {
      SR_RETURN_IF_ERROR(CheckListSize(v, p, limits));
      std::vector<uint64_t> xuids;
      xuids.reserve(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) {
        uint64_t xuid = 0;
        SR_RETURN_IF_ERROR(ReadXuid(v[i], Path(p, i), &xuid));
        xuids.push_back(xuid);
      }
      out->initiators = std::move(xuids);
    } else if (key == "capabilities") {
      SR_RETURN_IF_ERROR(RequireObject(v, p));
      std::map<std::string, bool> caps;
      for (auto c = v.cbegin(); c != v.cend(); ++c) {
        const auto* b = c.value().get_ptr<const json::boolean_t*>();
        if (b == nullptr) return WrongType(Path(p, c.key()), "a boolean");
        if (c.key().size() > limits.max_string_bytes) {
          return Status(StatusCode::kStringTooLong, p.str() + " has an overlong capability name");
        }
        caps.emplace_hint(caps.end(), c.key(), *b);
      }
      out->capabilities = std::move(caps);
    } else if (key == "reservedRemovalTimeout") {
      SR_RETURN_IF_ERROR(ReadOptionalUint64(v, p, &out->reserved_removal_timeout));
    } else if (key == "inactiveRemovalTimeout") {
      SR_RETURN_IF_ERROR(ReadOptionalUint64(v, p, &out->inactive_removal_timeout));
    } else if (key == "readyRemovalTimeout") {
      SR_RETURN_IF_ERROR(ReadOptionalUint64(v, p, &out->ready_removal_timeout));
    } else if (key == "sessionEmptyTimeout") {
      SR_RETURN_IF_ERROR(ReadOptionalUint64(v, p, &out->session_empty_timeout));
    } else if (key == "metrics") {
      SR_RETURN_IF_ERROR(ParseMetrics(v, p, &out->metrics));
    } else {
      out->extra.mutable_value()[key] = v;
    }
  }
  return Status::Ok();
}

// The shape every constants and properties object shares, the session's
// and each member's: "system" (typed by `parse_system(value, path)`),
// "custom" (any object, kept verbatim) and unknown keys (kept in `extra`).
template <typename ParseSystem>
Status ParseSection(const json& obj, const Path& path, JsonObject* custom, JsonObject* extra,
                    ParseSystem&& parse_system) {
  SR_RETURN_IF_ERROR(RequireObject(obj, path));
  for (auto it = obj.cbegin(); it != obj.cend(); ++it) {
    const Path p(path, it.key());
    if (it.key() == "system") {
      SR_RETURN_IF_ERROR(parse_system(it.value(), p));
    } else if (it.key() == "custom") {
      SR_RETURN_IF_ERROR(ReadObjectValue(it.value(), p, custom));
    } else {
      extra->mutable_value()[it.key()] = it.value();
    }
  }
  return Status::Ok();
}

Status ParseConstants(const json& obj, const Path& path, const SessionLimits& limits,
                      SessionConstants* out) {
  return ParseSection(obj, path, &out->custom, &out->extra, [&](const json& v, const Path& p) {
    return ParseConstantsSystem(v, p, limits, &out->system);
  });
}

Status ParsePropertiesSystem(const json& obj, const Path& path, const SessionLimits& limits,
                             SessionPropertiesSystem* out) {
  SR_RETURN_IF_ERROR(RequireObject(obj, path));
  for (auto it = obj.cbegin(); it != obj.cend(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const Path p(path, key);
    if (key == "keywords") {
      SR_RETURN_IF_ERROR(CheckListSize(v, p, limits));
      std::vector<std::string> keywords(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) {
        SR_RETURN_IF_ERROR(ReadString(v[i], Path(p, i), limits.max_string_bytes, &keywords[i]));
      }
      out->keywords = std::move(keywords);
    } else if (key == "turn") {
      SR_RETURN_IF_ERROR(ReadIndexList(v, p, limits, &out->turn));
    } else if (key == "joinRestriction") {
      SR_RETURN_IF_ERROR(ReadRestriction(v, p, &out->join_restriction));
    } else if (key == "readRestriction") {
      SR_RETURN_IF_ERROR(ReadRestriction(v, p, &out->read_restriction));
    } else if (key == "closed") {
      SR_RETURN_IF_ERROR(ReadBool(v, p, &out->closed));
    } else if (key == "locked") {
      SR_RETURN_IF_ERROR(ReadBool(v, p, &out->locked));
    } else if (key == "host") {
      SR_RETURN_IF_ERROR(ReadOptionalString(v, p, limits.max_string_bytes, &out->host));
    } else if (key == "owners") {
      SR_RETURN_IF_ERROR(ReadIndexList(v, p, limits, &out->owners));
    } else if (key == "matchmaking") {
      SR_RETURN_IF_ERROR(ReadOptionalObject(v, p, &out->matchmaking));
    } else {
      out->extra.mutable_value()[key] = v;
    }
  }
  return Status::Ok();
}

Status ParseProperties(const json& obj, const Path& path, const SessionLimits& limits,
                       SessionProperties* out) {
  return ParseSection(obj, path, &out->custom, &out->extra, [&](const json& v, const Path& p) {
    return ParsePropertiesSystem(v, p, limits, &out->system);
  });
}

Status ParseMembersInfo(const json& obj, const Path& path, MembersInfo* out) {
  SR_RETURN_IF_ERROR(RequireObject(obj, path));
  for (auto it = obj.cbegin(); it != obj.cend(); ++it) {
    const std::string& key = it.key();
    const Path p(path, key);
    if (key == "first") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(it.value(), p, &out->first));
    } else if (key == "next") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(it.value(), p, &out->next));
    } else if (key == "count") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(it.value(), p, &out->count));
    } else if (key == "accepted") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(it.value(), p, &out->accepted));
    } else if (key == "active") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(it.value(), p, &out->active));
    } else {
      out->extra.mutable_value()[key] = it.value();
    }
  }
  return Status::Ok();
}

// `key_is_index`: the member's key was its index (out->index is set);
// otherwise (the "me" of a large session) constants.system.index gives it.
Status ParseMemberConstantsSystem(const json& sys, const Path& p, bool key_is_index,
                                  SessionMember* out) {
  SR_RETURN_IF_ERROR(RequireObject(sys, p));
  for (auto s = sys.cbegin(); s != sys.cend(); ++s) {
    const Path sp(p, s.key());
    if (s.key() == "index") {
      if (s.value().is_null()) continue;
      uint32_t index = 0;
      SR_RETURN_IF_ERROR(ReadUint32(s.value(), sp, &index));
      if (!key_is_index) {
        out->index = index;
      } else if (index != out->index) {
        return Status(StatusCode::kMemberChain, sp.str() + " is " + std::to_string(index) +
                                                    " but the member's key is " +
                                                    std::to_string(out->index));
      }
    } else if (s.key() == "xuid") {
      uint64_t xuid = 0;
      SR_RETURN_IF_ERROR(ReadXuid(s.value(), sp, &xuid));
      out->xuid = xuid;
    } else if (s.key() == "initialize") {
      SR_RETURN_IF_ERROR(ReadBool(s.value(), sp, &out->initialize));
    } else {
      out->constants_system_extra.mutable_value()[s.key()] = s.value();
    }
  }
  return Status::Ok();
}

Status ParseMemberConstants(const json& obj, const Path& path, bool key_is_index,
                            SessionMember* out) {
  return ParseSection(obj, path, &out->constants_custom, &out->constants_extra,
                      [&](const json& v, const Path& p) {
                        return ParseMemberConstantsSystem(v, p, key_is_index, out);
                      });
}

Status ParseMemberPropertiesSystem(const json& sys, const Path& p, const SessionLimits& limits,
                                   SessionMember* out) {
  SR_RETURN_IF_ERROR(RequireObject(sys, p));
  for (auto s = sys.cbegin(); s != sys.cend(); ++s) {
    const Path sp(p, s.key());
    if (s.key() == "active") {
      SR_RETURN_IF_ERROR(ReadBool(s.value(), sp, &out->active));
    } else if (s.key() == "ready") {
      SR_RETURN_IF_ERROR(ReadBool(s.value(), sp, &out->ready));
    } else if (s.key() == "secureDeviceAddress") {
      SR_RETURN_IF_ERROR(
          ReadOptionalString(s.value(), sp, limits.max_string_bytes, &out->secure_device_address));
    } else {
      out->properties_system_extra.mutable_value()[s.key()] = s.value();
    }
  }
  return Status::Ok();
}

Status ParseMemberProperties(const json& obj, const Path& path, const SessionLimits& limits,
                             SessionMember* out) {
  return ParseSection(
      obj, path, &out->properties_custom, &out->properties_extra,
      [&](const json& v, const Path& p) { return ParseMemberPropertiesSystem(v, p, limits, out); });
}

// REQUIRES: out->index is already set from the member's key when
// `key_is_index`.
Status ParseMember(const json& obj, const Path& path, const SessionLimits& limits,
                   bool key_is_index, SessionMember* out) {
  if (obj.is_null()) return Status(StatusCode::kNullMember, path.str() + " is null");
  SR_RETURN_IF_ERROR(RequireObject(obj, path));
  for (auto it = obj.cbegin(); it != obj.cend(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const Path p(path, key);
    if (key == "constants") {
      SR_RETURN_IF_ERROR(ParseMemberConstants(v, p, key_is_index, out));
    } else if (key == "properties") {
      SR_RETURN_IF_ERROR(ParseMemberProperties(v, p, limits, out));
    } else if (key == "gamertag") {
      SR_RETURN_IF_ERROR(ReadOptionalString(v, p, limits.max_string_bytes, &out->gamertag));
    } else if (key == "reserved") {
      SR_RETURN_IF_ERROR(ReadBool(v, p, &out->reserved));
    } else if (key == "activeTitleId") {
      // MPSD sends title ids as decimal strings; numbers are accepted too.
      uint64_t id = 0;
      if (v.is_null()) continue;
      if (const auto* s = v.get_ptr<const json::string_t*>()) {
        if (!ParseDecimal(*s, /*canonical=*/false, std::numeric_limits<uint32_t>::max(), &id)) {
          return WrongType(p, "a decimal uint32 title id");
        }
        out->active_title_id = static_cast<uint32_t>(id);
      } else {
        SR_RETURN_IF_ERROR(ReadOptionalUint32(v, p, &out->active_title_id));
      }
    } else if (key == "joinTime") {
      SR_RETURN_IF_ERROR(ReadTimestamp(v, p, limits.max_string_bytes, &out->join_time));
    } else if (key == "roles") {
      SR_RETURN_IF_ERROR(ReadOptionalObject(v, p, &out->roles));
    } else if (key == "next") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(v, p, &out->next));
    } else if (key == "turn") {
      SR_RETURN_IF_ERROR(ReadBool(v, p, &out->turn));
    } else {
      out->extra.mutable_value()[key] = v;
    }
  }
  return Status::Ok();
}

// Parses `members` and orders it along the `next` chain into doc->members.
// REQUIRES: doc->members_info is parsed.
Status ParseMembers(const json& obj, const SessionLimits& limits, SessionDocument* doc) {
  if (!obj.is_object()) return WrongType("members", "an object");
  const std::size_t n = obj.size();
  if (n > limits.max_members) {
    return Status(StatusCode::kTooManyMembers, "members has " + std::to_string(n) +
                                                   " entries, over the limit of " +
                                                   std::to_string(limits.max_members));
  }
  if (n == 0) return Status::Ok();
  if (obj.contains("me")) {
    if (n != 1) return WrongType("members", "either keyed by member indices or only \"me\"");
    SessionMember me;
    SR_RETURN_IF_ERROR(ParseMember(obj["me"], "members.me", limits, /*key_is_index=*/false, &me));
    doc->members.push_back(std::move(me));
    doc->members_as_me = true;
    return Status::Ok();
  }

  std::deque<SessionMember> parsed(n);
  std::size_t slot = 0;
  const Path members("members");
  for (auto it = obj.cbegin(); it != obj.cend(); ++it, ++slot) {
    const Path path(members, it.key());
    uint64_t index = 0;
    if (!ParseDecimal(it.key(), /*canonical=*/true, std::numeric_limits<uint32_t>::max(), &index)) {
      return WrongType(path, "keyed by a canonical decimal member index");
    }
    parsed[slot].index = static_cast<uint32_t>(index);
    SR_RETURN_IF_ERROR(ParseMember(it.value(), path, limits, /*key_is_index=*/true, &parsed[slot]));
  }
  // Keys are distinct strings and canonical, so indices are distinct.
  return document_rules::OrderMembers(std::move(parsed), doc);
}

// ---- Serialisation -----------------------------------------------------------

json BaseObject(const JsonObject& extra) { return extra.value(); }

void PutIfNonEmpty(json& parent, const char* key, json child) {
  if (child.is_object() && child.empty()) return;
  parent[key] = std::move(child);
}

void PutIfNonEmpty(json& parent, const char* key, const JsonObject& child) {
  if (!child.empty()) parent[key] = child.value();
}

void PutIfSet(json& o, const char* key, const std::optional<uint64_t>& v) {
  if (v) o[key] = *v;
}

json ToJson(const SessionMetricsConstants& m) {
  json out = BaseObject(m.extra);
  if (m.latency) out["latency"] = *m.latency;
  if (m.bandwidth_down) out["bandwidthDown"] = *m.bandwidth_down;
  if (m.bandwidth_up) out["bandwidthUp"] = *m.bandwidth_up;
  if (m.custom) out["custom"] = *m.custom;
  return out;
}

json ToJson(const SessionConstants& c) {
  const SessionConstantsSystem& s = c.system;
  json sys = BaseObject(s.extra);
  if (s.version) sys["version"] = *s.version;
  if (s.max_members_count) sys["maxMembersCount"] = *s.max_members_count;
  if (s.visibility) sys["visibility"] = SessionVisibilityName(*s.visibility);
  if (s.initiators) {
    json list = json::array();
    for (uint64_t x : *s.initiators) list.push_back(std::to_string(x));
    sys["initiators"] = std::move(list);
  }
  if (s.capabilities) {
    json caps = json::object();
    for (const auto& [name, on] : *s.capabilities) caps[name] = on;
    sys["capabilities"] = std::move(caps);
  }
  PutIfSet(sys, "reservedRemovalTimeout", s.reserved_removal_timeout);
  PutIfSet(sys, "inactiveRemovalTimeout", s.inactive_removal_timeout);
  PutIfSet(sys, "readyRemovalTimeout", s.ready_removal_timeout);
  PutIfSet(sys, "sessionEmptyTimeout", s.session_empty_timeout);
  if (s.metrics) sys["metrics"] = ToJson(*s.metrics);

  json out = BaseObject(c.extra);
  PutIfNonEmpty(out, "system", std::move(sys));
  PutIfNonEmpty(out, "custom", c.custom);
  return out;
}

json ToJson(const SessionProperties& p) {
  const SessionPropertiesSystem& s = p.system;
  json sys = BaseObject(s.extra);
  if (s.keywords) sys["keywords"] = *s.keywords;
  if (s.turn) sys["turn"] = *s.turn;
  if (s.join_restriction) sys["joinRestriction"] = SessionRestrictionName(*s.join_restriction);
  if (s.read_restriction) sys["readRestriction"] = SessionRestrictionName(*s.read_restriction);
  if (s.closed) sys["closed"] = *s.closed;
  if (s.locked) sys["locked"] = *s.locked;
  if (s.host) sys["host"] = *s.host;
  if (s.owners) sys["owners"] = *s.owners;
  if (s.matchmaking) sys["matchmaking"] = *s.matchmaking;

  json out = BaseObject(p.extra);
  PutIfNonEmpty(out, "system", std::move(sys));
  PutIfNonEmpty(out, "custom", p.custom);
  return out;
}

json ToJson(const MembersInfo& m) {
  json out = BaseObject(m.extra);
  if (m.first) out["first"] = *m.first;
  if (m.next) out["next"] = *m.next;
  if (m.count) out["count"] = *m.count;
  if (m.accepted) out["accepted"] = *m.accepted;
  if (m.active) out["active"] = *m.active;
  return out;
}

json ToJson(const SessionMember& m) {
  json csys = BaseObject(m.constants_system_extra);
  csys["index"] = m.index;
  if (m.xuid) csys["xuid"] = std::to_string(*m.xuid);
  if (m.initialize) csys["initialize"] = *m.initialize;
  json constants = BaseObject(m.constants_extra);
  constants["system"] = std::move(csys);
  PutIfNonEmpty(constants, "custom", m.constants_custom);

  json psys = BaseObject(m.properties_system_extra);
  if (m.active) psys["active"] = *m.active;
  if (m.ready) psys["ready"] = *m.ready;
  if (m.secure_device_address) psys["secureDeviceAddress"] = *m.secure_device_address;
  json properties = BaseObject(m.properties_extra);
  PutIfNonEmpty(properties, "system", std::move(psys));
  PutIfNonEmpty(properties, "custom", m.properties_custom);

  json out = BaseObject(m.extra);
  out["constants"] = std::move(constants);
  PutIfNonEmpty(out, "properties", std::move(properties));
  if (m.gamertag) out["gamertag"] = *m.gamertag;
  if (m.reserved) out["reserved"] = *m.reserved;
  if (m.active_title_id) out["activeTitleId"] = std::to_string(*m.active_title_id);
  if (m.join_time) out["joinTime"] = *m.join_time;
  if (m.roles) out["roles"] = *m.roles;
  if (m.next) out["next"] = *m.next;
  if (m.turn) out["turn"] = *m.turn;
  return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Reads exactly `width` digits at text[*pos].
bool Digits(std::string_view text, std::size_t* pos, std::size_t width, int64_t* out) {
  if (text.size() - *pos < width) return false;
  int64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += width;
  *out = value;
  return true;
}

bool Expect(std::string_view text, std::size_t* pos, char a, char b) {
  if (*pos >= text.size() || (text[*pos] != a && text[*pos] != b)) return false;
  ++*pos;
  return true;
}

}  // namespace

const char* SessionVisibilityName(SessionVisibility v) {
  switch (v) {
    case SessionVisibility::kPrivate:
      return "private";
    case SessionVisibility::kVisible:
      return "visible";
    case SessionVisibility::kOpen:
      return "open";
    case SessionVisibility::kFull:
      return "full";
  }
  return "unknown";
}

const char* SessionRestrictionName(SessionRestriction r) {
  switch (r) {
    case SessionRestriction::kNone:
      return "none";
    case SessionRestriction::kLocal:
      return "local";
    case SessionRestriction::kFollowed:
      return "followed";
  }
  return "unknown";
}

bool ParseRfc3339(std::string_view text, int64_t* unix_seconds) {
  std::size_t pos = 0;
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, &pos, 4, &year) || !Expect(text, &pos, '-', '-') ||
      !Digits(text, &pos, 2, &month) || !Expect(text, &pos, '-', '-') ||
      !Digits(text, &pos, 2, &day) || !Expect(text, &pos, 'T', 't') ||
      !Digits(text, &pos, 2, &hour) || !Expect(text, &pos, ':', ':') ||
      !Digits(text, &pos, 2, &minute) || !Expect(text, &pos, ':', ':') ||
      !Digits(text, &pos, 2, &second)) {
    return false;
  }
  static constexpr int64_t kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDaysIn[month - 1] ||
      (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    int64_t oh = 0, om = 0;
    if (!Digits(text, &pos, 2, &oh) || !Expect(text, &pos, ':', ':') ||
        !Digits(text, &pos, 2, &om) || oh > 23 || om > 59) {
      return false;
    }
    offset_seconds = (negative ? -1 : 1) * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  *unix_seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return true;
}

namespace document_rules {

Status OrderMembers(std::deque<SessionMember> parsed, SessionDocument* doc) {
  const std::size_t n = parsed.size();
  std::unordered_map<uint32_t, std::size_t> slot_of_index;
  slot_of_index.reserve(n);
  for (std::size_t slot = 0; slot < n; ++slot) {
    if (!slot_of_index.emplace(parsed[slot].index, slot).second) {
      return Status(StatusCode::kJsonSyntax,
                    "duplicate member key " + std::to_string(parsed[slot].index));
    }
  }

  const MembersInfo& info = doc->members_info;
  if (!info.first) {
    return Status(StatusCode::kMissingField, "members present but membersInfo.first absent");
  }
  if (info.next && slot_of_index.count(*info.next) != 0) {
    return Status(StatusCode::kMemberChain,
                  "membersInfo.next " + std::to_string(*info.next) + " is an existing member");
  }
  std::vector<bool> visited(n, false);
  std::vector<SessionMember> ordered;
  ordered.reserve(n);
  uint32_t current = *info.first;
  // Each step visits one new member or fails, so this ends after n steps.
  for (std::size_t step = 0; step < n; ++step) {
    auto found = slot_of_index.find(current);
    if (found == slot_of_index.end()) {
      return Status(StatusCode::kMemberChain,
                    (step == 0 ? std::string("membersInfo.first") : "the chain") + " points to " +
                        std::to_string(current) + ", which is not a member");
    }
    if (visited[found->second]) {
      return Status(StatusCode::kMemberChain,
                    "the chain loops back to member " + std::to_string(current));
    }
    visited[found->second] = true;
    SessionMember& member = parsed[found->second];
    if (step + 1 < n) {
      if (!member.next) {
        return Status(StatusCode::kMemberChain,
                      "the chain ends at member " + std::to_string(member.index) + " after " +
                          std::to_string(step + 1) + " of " + std::to_string(n) + " members");
      }
      current = *member.next;
    } else if (member.next) {
      if (slot_of_index.count(*member.next) != 0) {
        return Status(StatusCode::kMemberChain,
                      "the chain loops back to member " + std::to_string(*member.next));
      }
      if (info.next && *member.next != *info.next) {
        return Status(StatusCode::kMemberChain,
                      "the last member's next " + std::to_string(*member.next) +
                          " differs from membersInfo.next " + std::to_string(*info.next));
      }
    }
    ordered.push_back(std::move(member));
  }
  doc->members = std::move(ordered);
  return Status::Ok();
}

Status CheckMembersCount(const SessionDocument& doc) {
  if (const std::optional<uint32_t>& count = doc.members_info.count) {
    // A large session lists the caller alone ("me"), or no one to a reader
    // who is not a member: then count is at least what is listed.
    const auto& caps = doc.constants.system.capabilities;
    const bool large = caps && caps->count("large") != 0 && caps->at("large");
    const std::size_t listed = doc.members.size();
    if ((doc.members_as_me || large) ? *count < listed : *count != listed) {
      return Status(StatusCode::kMemberChain, "membersInfo.count is " + std::to_string(*count) +
                                                  " but members lists " + std::to_string(listed));
    }
  }
  return Status::Ok();
}

}  // namespace document_rules

StatusOr<SessionDocument> ParseSessionDocument(const nlohmann::json& root,
                                               const SessionLimits& limits) {
  if (!root.is_object()) return WrongType("the session document", "an object");
  SessionDocument doc;
  const json* members = nullptr;
  for (auto it = root.cbegin(); it != root.cend(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "contractVersion") {
      SR_RETURN_IF_ERROR(ReadOptionalUint32(v, key, &doc.contract_version));
    } else if (key == "branch") {
      SR_RETURN_IF_ERROR(ReadOptionalString(v, key, limits.max_string_bytes, &doc.branch));
    } else if (key == "changeNumber") {
      SR_RETURN_IF_ERROR(ReadOptionalUint64(v, key, &doc.change_number));
    } else if (key == "correlationId") {
      SR_RETURN_IF_ERROR(ReadOptionalString(v, key, limits.max_string_bytes, &doc.correlation_id));
    } else if (key == "searchHandle") {
      SR_RETURN_IF_ERROR(ReadOptionalString(v, key, limits.max_string_bytes, &doc.search_handle));
    } else if (key == "startTime") {
      SR_RETURN_IF_ERROR(ReadTimestamp(v, key, limits.max_string_bytes, &doc.start_time));
    } else if (key == "nextTimer") {
      SR_RETURN_IF_ERROR(ReadTimestamp(v, key, limits.max_string_bytes, &doc.next_timer));
    } else if (key == "constants") {
      SR_RETURN_IF_ERROR(ParseConstants(v, key, limits, &doc.constants));
    } else if (key == "properties") {
      SR_RETURN_IF_ERROR(ParseProperties(v, key, limits, &doc.properties));
    } else if (key == "membersInfo") {
      SR_RETURN_IF_ERROR(ParseMembersInfo(v, key, &doc.members_info));
    } else if (key == "members") {
      members = &v;  // parsed last: the chain needs membersInfo
    } else {
      doc.extra.mutable_value()[key] = v;
    }
  }
  if (members != nullptr) SR_RETURN_IF_ERROR(ParseMembers(*members, limits, &doc));
  SR_RETURN_IF_ERROR(document_rules::CheckMembersCount(doc));
  return doc;
}

StatusOr<SessionDocument> ParseSessionDocument(std::string_view text, const JsonLimits& json_limits,
                                               const SessionLimits& limits) {
  // One pass straight into the model, which also names a refusal of the
  // JSON; only a typing refusal reads the text again, through the DOM, for
  // the error (session_document_reader.h).
  SessionDocumentRead read = ReadSessionDocument(text, json_limits, limits);
  if (read.document) return std::move(*read.document);
  if (!read.json_error.ok()) return std::move(read.json_error);
  StatusOr<json> parsed = ParseJsonStrict(text, json_limits);
  if (!parsed.ok()) return parsed.status();
  return ParseSessionDocument(*parsed, limits);
}

nlohmann::json SessionDocumentToJson(const SessionDocument& doc) {
  json out = BaseObject(doc.extra);
  if (doc.contract_version) out["contractVersion"] = *doc.contract_version;
  if (doc.branch) out["branch"] = *doc.branch;
  if (doc.change_number) out["changeNumber"] = *doc.change_number;
  if (doc.correlation_id) out["correlationId"] = *doc.correlation_id;
  if (doc.search_handle) out["searchHandle"] = *doc.search_handle;
  if (doc.start_time) out["startTime"] = *doc.start_time;
  if (doc.next_timer) out["nextTimer"] = *doc.next_timer;
  PutIfNonEmpty(out, "constants", ToJson(doc.constants));
  PutIfNonEmpty(out, "properties", ToJson(doc.properties));
  PutIfNonEmpty(out, "membersInfo", ToJson(doc.members_info));
  if (!doc.members.empty()) {
    json members = json::object();
    if (doc.members_as_me) {
      members["me"] = ToJson(doc.members.front());
    } else {
      for (const SessionMember& m : doc.members) members[std::to_string(m.index)] = ToJson(m);
    }
    out["members"] = std::move(members);
  }
  return out;
}

std::string SerializeSessionDocument(const SessionDocument& doc) {
  return DumpJson(SessionDocumentToJson(doc));
}

#undef SR_RETURN_IF_ERROR

}  // namespace sessionrig
