#include "sessiond/merge.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sessiond/client_readability.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"

namespace sessionrig::sessiond {
namespace {

// Longest decimal member index / reservation number accepted, digits.
constexpr std::size_t kMaxIndexDigits = 9;

Status WrongType(const std::string& path, const char* expected) {
  return Status(StatusCode::kWrongType, path + " must be " + expected);
}

// Reads a JSON integer that fits int64 (no floats, no booleans).
std::optional<std::int64_t> AsInt(const Json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}

bool IsDecimal(std::string_view s, std::size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsXuidValue(const Json& v) { return v.is_string() && IsXuid(v.get_ref<const std::string&>()); }

std::int64_t ParseIndex(std::string_view s) {
  std::int64_t out = 0;
  for (char c : s) out = out * 10 + (c - '0');
  return out;
}

bool IsOneOf(const Json& v, std::initializer_list<const char*> values) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return std::any_of(values.begin(), values.end(), [&](const char* x) { return s == x; });
}

bool IsStringArray(const Json& v) {
  return v.is_array() &&
         std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); });
}

bool IsNonNegativeIntArray(const Json& v) {
  return v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& e) {
           auto i = AsInt(e);
           return i.has_value() && *i >= 0;
         });
}

// Checks that `value` is an object (or absent) at `path`.
Status RequireObject(const Json& parent, const char* key, const std::string& path) {
  auto it = parent.find(key);
  if (it != parent.end() && !it->is_object()) return WrongType(path, "an object");
  return Status::Ok();
}

// By string_view: the object's comparator is transparent, and a const char*
// key would cost a strlen per comparison.
const Json* Find(const Json& parent, std::string_view key) {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(key);
  return it == parent.end() ? nullptr : &*it;
}

// The value at `keys` below `root` (nullptr when a step is missing or not an
// object); never inserts, unlike operator[].
const Json* FindPath(const Json& root, std::initializer_list<std::string_view> keys) {
  const Json* j = &root;
  for (std::string_view k : keys) {
    j = Find(*j, k);
    if (j == nullptr) return nullptr;
  }
  return j;
}

// Every key of `object` must be in `allowed`.
Status OnlyKeys(const Json& object, std::initializer_list<const char*> allowed,
                const std::string& path) {
  for (const auto& item : object.items()) {
    const std::string& k = item.key();
    const bool known =
        std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; });
    if (!known) return Status(StatusCode::kInvalidArgument, "unknown field " + path + "." + k);
  }
  return Status::Ok();
}

Status ValidateTimeout(const Json& v, const std::string& path) {
  auto i = AsInt(v);
  if (!i || *i < 0 || *i > mpsd::kMaxTimeoutMs) {
    return WrongType(path, "an integer number of ms in [0, 10000000000]");
  }
  return Status::Ok();
}

// constants.system of a creating delta: known fields type-checked.
Status ValidateConstantsSystem(const Json& sys, std::int64_t server_cap) {
  const std::string p = "constants.system";
  if (!sys.is_object()) return WrongType(p, "an object");
  // A constant has a value: the shipped SDK, reading a null constant, fails
  // and drops the rest of `constants` (custom included), so a document
  // holding one would read differently through it (docs/protocol.md).
  for (const auto& [k, v] : sys.items()) {
    if (v.is_null()) {
      return Status(StatusCode::kInvalidArgument,
                    p + "." + k + " is null: constants need a value (the shipped SDK cannot " +
                        "read a null constant; for \"never\" use a large timeout)");
    }
  }
  bool large = false;
  if (const Json* caps = Find(sys, "capabilities")) {
    if (!caps->is_object()) return WrongType(p + ".capabilities", "an object");
    for (const auto& [k, v] : caps->items()) {
      if (!v.is_boolean()) return WrongType(p + ".capabilities." + k, "a boolean");
    }
    if (const Json* l = Find(*caps, "large")) large = l->get<bool>();
  }
  if (const Json* v = Find(sys, "version"); v && !AsInt(*v)) {
    return WrongType(p + ".version", "an integer");
  }
  if (const Json* v = Find(sys, "maxMembersCount")) {
    const std::int64_t cap =
        std::min(large ? mpsd::kMaxMembersCountLarge : mpsd::kMaxMembersCountSmall, server_cap);
    auto i = AsInt(*v);
    if (!i || *i < 1 || *i > cap) {
      return WrongType(p + ".maxMembersCount",
                       ("an integer in [1, " + std::to_string(cap) + "]").c_str());
    }
  }
  if (const Json* v = Find(sys, "visibility");
      v && !IsOneOf(*v, {"private", "visible", "open", "full"})) {
    return WrongType(p + ".visibility", "one of private, visible, open, full");
  }
  if (const Json* v = Find(sys, "initiators"); v && !IsStringArray(*v)) {
    return WrongType(p + ".initiators", "an array of strings");
  }
  if (const Json* m = Find(sys, "metrics")) {
    if (!m->is_object()) return WrongType(p + ".metrics", "an object");
    for (const char* k : {"latency", "bandwidthDown", "bandwidthUp", "custom"}) {
      if (const Json* flag = Find(*m, k); flag && !flag->is_boolean()) {
        return WrongType(p + ".metrics." + k, "a boolean");
      }
    }
  }
  for (const char* t : {"reservedRemovalTimeout", "inactiveRemovalTimeout", "readyRemovalTimeout",
                        "sessionEmptyTimeout"}) {
    if (const Json* v = Find(sys, t)) {
      if (Status s = ValidateTimeout(*v, p + "." + t); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

// The delta's `section` must be a subset of the stored one: same keys, equal
// values. Used for constants after creation (session and member).
Status RequireUnchanged(const Json& stored, const Json& delta, const std::string& path) {
  if (!delta.is_object()) return WrongType(path, "an object");
  for (const auto& [k, v] : delta.items()) {
    auto it = stored.find(k);
    if (it == stored.end() || *it != v) {
      return Status(StatusCode::kConflict,
                    "constants cannot change after creation: " + path + "." + k);
    }
  }
  return Status::Ok();
}

// Sets or (null) deletes each field of `delta` in `target`.
void SetOrDelete(Json& target, const Json& delta) {
  for (const auto& [k, v] : delta.items()) {
    if (v.is_null()) {
      target.erase(k);
    } else {
      target[k] = v;
    }
  }
}

Status ValidatePropertiesSystem(const Json& sys) {
  const std::string p = "properties.system";
  if (!sys.is_object()) return WrongType(p, "an object");
  for (const auto& [k, v] : sys.items()) {
    if (v.is_null()) continue;  // deletes the field
    const std::string path = p + "." + k;
    if (k == "keywords" && !IsStringArray(v)) return WrongType(path, "an array of strings");
    if (k == "turn" && !IsNonNegativeIntArray(v))
      return WrongType(path, "an array of member indices");
    if (k == "owners" && !IsNonNegativeIntArray(v))
      return WrongType(path, "an array of member indices");
    if ((k == "joinRestriction" || k == "readRestriction") &&
        !IsOneOf(v, {"none", "local", "followed"})) {
      return WrongType(path, "one of none, local, followed");
    }
    if ((k == "closed" || k == "locked") && !v.is_boolean()) return WrongType(path, "a boolean");
    if (k == "host" && !v.is_string()) return WrongType(path, "a string");
    if (k == "matchmaking" && !v.is_object()) return WrongType(path, "an object");
  }
  return Status::Ok();
}

Status ValidateMemberPropertiesSystem(const Json& sys, const std::string& p) {
  if (!sys.is_object()) return WrongType(p, "an object");
  for (const auto& [k, v] : sys.items()) {
    if (v.is_null()) continue;
    const std::string path = p + "." + k;
    if ((k == "active" || k == "ready") && !v.is_boolean()) return WrongType(path, "a boolean");
    if ((k == "secureDeviceAddress" || k == "connection") && !v.is_string()) {
      return WrongType(path, "a string");
    }
  }
  return Status::Ok();
}

// Finds the member index holding `xuid`, or -1.
std::int64_t FindMemberByXuid(const Json& members, std::string_view xuid) {
  for (auto it = members.cbegin(); it != members.cend(); ++it) {
    const Json* x = FindPath(*it, {"constants", "system", "xuid"});
    if (x != nullptr && x->is_string() && x->get_ref<const std::string&>() == xuid) {
      return ParseIndex(it.key());
    }
  }
  return -1;
}

// Recomputes what the service derives from the member set: each member's
// `next` and `turn` (true for the members properties.system.turn names,
// absent for the others: clients read IsTurnAvailable from it), and
// membersInfo.
void Relink(Json& doc) {
  Json& members = doc["members"];
  Json& info = doc["membersInfo"];
  const std::int64_t next_index = info["next"].get<std::int64_t>();
  // The members in index order (the keys sort as strings: "10" < "9").
  std::vector<std::pair<std::int64_t, Json*>> order;
  order.reserve(members.size());
  for (auto it = members.begin(); it != members.end(); ++it) {
    order.emplace_back(ParseIndex(it.key()), &*it);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // Const lookups: reading must not add "properties":{"system":null}.
  const Json* turn = FindPath(doc, {"properties", "system", "turn"});
  if (turn != nullptr && !turn->is_array()) turn = nullptr;
  auto has_turn = [&](std::int64_t index) {
    return turn != nullptr && std::any_of(turn->begin(), turn->end(), [&](const Json& i) {
             return AsInt(i).value_or(-1) == index;
           });
  };
  std::int64_t accepted = 0;
  std::int64_t active = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    Json& m = *order[i].second;
    m["next"] = i + 1 == order.size() ? next_index : order[i + 1].first;
    if (has_turn(order[i].first)) {
      m["turn"] = true;
    } else {
      m.erase("turn");
    }
    const Json* reserved = Find(m, "reserved");
    if (reserved == nullptr || !reserved->is_boolean() || !reserved->get<bool>()) ++accepted;
    const Json* act = FindPath(m, {"properties", "system", "active"});
    if (act != nullptr && act->is_boolean() && act->get<bool>()) ++active;
  }
  info["first"] = order.empty() ? next_index : order.front().first;
  info["count"] = static_cast<std::int64_t>(order.size());
  info["accepted"] = accepted;
  info["active"] = active;
}

// Relink's membersInfo.accepted and .active when the member set did not
// change: the counts as they were (`undo`), corrected for the members the
// write changed (saved in `undo` as they were), instead of a walk over
// every member.
void RecountChanged(Json& doc, const MergeUndo& undo) {
  auto counted = [](const Json& m, std::int64_t* accepted, std::int64_t* active, int sign) {
    const Json* reserved = Find(m, "reserved");
    if (reserved == nullptr || !reserved->is_boolean() || !reserved->get<bool>()) {
      *accepted += sign;
    }
    const Json* act = FindPath(m, {"properties", "system", "active"});
    if (act != nullptr && act->is_boolean() && act->get<bool>()) *active += sign;
  };
  const Json* old_accepted = Find(undo.members_info, "accepted");
  const Json* old_active = Find(undo.members_info, "active");
  std::int64_t accepted = old_accepted != nullptr ? AsInt(*old_accepted).value_or(0) : 0;
  std::int64_t active = old_active != nullptr ? AsInt(*old_active).value_or(0) : 0;
  const Json& members = doc["members"];
  for (const auto& [key, before] : undo.members) {
    counted(before, &accepted, &active, -1);
    counted(members.at(key), &accepted, &active, +1);
  }
  Json& info = doc["membersInfo"];
  info["accepted"] = accepted;
  info["active"] = active;
}

std::int64_t MaxMembers(const Json& doc) {
  return AsInt(doc["constants"]["system"]["maxMembersCount"])
      .value_or(mpsd::kDefaultMaxMembersCount);
}

Status CheckCapacity(const Json& doc, const MergeContext& ctx) {
  if (ctx.testing_skip_capacity_check) return Status::Ok();
  const std::int64_t count = static_cast<std::int64_t>(doc["members"].size());
  const std::int64_t cap = std::min(MaxMembers(doc), ctx.max_members_per_session);
  if (count >= cap) {
    return Status(StatusCode::kConflict, "session full: " + std::to_string(count) + " of " +
                                             std::to_string(cap) + " members");
  }
  return Status::Ok();
}

// Adds a member with the next index; returns its key.
std::string AllocateMember(Json& doc, Json member) {
  Json& info = doc["membersInfo"];
  const std::int64_t index = info["next"].get<std::int64_t>();
  info["next"] = index + 1;
  member["constants"]["system"]["index"] = index;
  std::string key = std::to_string(index);
  doc["members"][key] = std::move(member);
  return key;
}

Json NewDocument(const MergeContext& ctx) {
  Json sys = {{"maxMembersCount", mpsd::kDefaultMaxMembersCount},
              {"reservedRemovalTimeout", mpsd::kDefaultReservedRemovalTimeoutMs},
              {"inactiveRemovalTimeout", mpsd::kDefaultInactiveRemovalTimeoutMs},
              {"readyRemovalTimeout", mpsd::kDefaultReadyRemovalTimeoutMs},
              {"sessionEmptyTimeout", mpsd::kDefaultSessionEmptyTimeoutMs}};
  return Json{
      {"contractVersion", ctx.contract_version},
      {"branch", ctx.branch},
      {"changeNumber", 0},
      {"correlationId", ctx.correlation_id},
      {"startTime", ctx.now_iso},
      {"constants", {{"system", std::move(sys)}, {"custom", Json::object()}}},
      {"properties", {{"system", Json::object()}, {"custom", Json::object()}}},
      {"membersInfo", {{"first", 0}, {"next", 0}, {"count", 0}, {"accepted", 0}, {"active", 0}}},
      {"members", Json::object()},
      {"servers", Json::object()}};
}

// What a write records while it applies to a document in place: the undo
// record (each part saved before its first change), the keys of the
// members it added or changed, and of those whose every field is new.
struct WriteLog {
  MergeUndo& undo;
  std::vector<std::string> touched;
  std::vector<std::string> fresh;

  void SaveMember(const std::string& key, const Json& member) {
    const bool saved = std::any_of(undo.members.begin(), undo.members.end(),
                                   [&](const auto& m) { return m.first == key; });
    if (!saved) undo.members.emplace_back(key, member);
  }
  void Touch(const std::string& key) {
    if (std::find(touched.begin(), touched.end(), key) == touched.end()) touched.push_back(key);
  }
  void Fresh(const std::string& key) {
    Touch(key);
    if (std::find(fresh.begin(), fresh.end(), key) == fresh.end()) fresh.push_back(key);
  }
};

Status ApplyConstants(Json& doc, const Json& delta_constants, bool creating,
                      const MergeContext& ctx) {
  if (!delta_constants.is_object()) return WrongType("constants", "an object");
  if (Status s = OnlyKeys(delta_constants, {"system", "custom"}, "constants"); !s.ok()) return s;
  Json& stored = doc["constants"];
  if (!creating) {
    // Read only: constants never change after creation.
    static const Json kMissing;
    for (const char* part : {"system", "custom"}) {
      if (const Json* d = Find(delta_constants, part)) {
        const Json* current = Find(stored, part);
        if (Status s = RequireUnchanged(current != nullptr ? *current : kMissing, *d,
                                        std::string("constants.") + part);
            !s.ok()) {
          return s;
        }
      }
    }
    return Status::Ok();
  }
  if (const Json* sys = Find(delta_constants, "system")) {
    if (Status s = ValidateConstantsSystem(*sys, ctx.max_members_per_session); !s.ok()) return s;
    for (const auto& [k, v] : sys->items()) stored["system"][k] = v;
  }
  if (const Json* custom = Find(delta_constants, "custom")) {
    if (!custom->is_object()) return WrongType("constants.custom", "an object");
    stored["custom"] = *custom;
  }
  return Status::Ok();
}

Status ApplyProperties(Json& doc, const Json& delta_props, WriteLog& log) {
  if (!delta_props.is_object()) return WrongType("properties", "an object");
  if (Status s = OnlyKeys(delta_props, {"system", "custom"}, "properties"); !s.ok()) return s;
  if (!log.undo.properties) log.undo.properties = doc["properties"];
  if (const Json* sys = Find(delta_props, "system")) {
    if (Status s = ValidatePropertiesSystem(*sys); !s.ok()) return s;
    SetOrDelete(doc["properties"]["system"], *sys);
  }
  if (const Json* custom = Find(delta_props, "custom")) {
    if (!custom->is_object()) return WrongType("properties.custom", "an object");
    doc["properties"]["custom"].merge_patch(*custom);
  }
  return Status::Ok();
}

// Validates the shape of a member write ("me" or "reserve_N" object).
Status ValidateMemberDelta(const Json& m, const std::string& p) {
  if (!m.is_object()) return WrongType(p, "an object or null");
  if (Status s = OnlyKeys(m, {"constants", "properties", "roles"}, p); !s.ok()) return s;
  if (const Json* c = Find(m, "constants")) {
    if (!c->is_object()) return WrongType(p + ".constants", "an object");
    if (Status s = OnlyKeys(*c, {"system", "custom"}, p + ".constants"); !s.ok()) return s;
    if (Status s = RequireObject(*c, "custom", p + ".constants.custom"); !s.ok()) return s;
    if (const Json* sys = Find(*c, "system")) {
      if (!sys->is_object()) return WrongType(p + ".constants.system", "an object");
      if (const Json* x = Find(*sys, "xuid"); x && !IsXuidValue(*x)) {
        return WrongType(p + ".constants.system.xuid", "a decimal xuid string");
      }
      if (const Json* i = Find(*sys, "initialize"); i && !i->is_boolean()) {
        return WrongType(p + ".constants.system.initialize", "a boolean");
      }
      if (Find(*sys, "index") != nullptr) {
        return Status(StatusCode::kInvalidArgument,
                      p + ".constants.system.index is assigned by the server");
      }
    }
  }
  if (const Json* pr = Find(m, "properties")) {
    if (!pr->is_object()) return WrongType(p + ".properties", "an object");
    if (Status s = OnlyKeys(*pr, {"system", "custom"}, p + ".properties"); !s.ok()) return s;
    if (Status s = RequireObject(*pr, "custom", p + ".properties.custom"); !s.ok()) return s;
    if (const Json* sys = Find(*pr, "system")) {
      if (Status s = ValidateMemberPropertiesSystem(*sys, p + ".properties.system"); !s.ok())
        return s;
    }
  }
  if (Status s = RequireObject(m, "roles", p + ".roles"); !s.ok()) return s;
  return Status::Ok();
}

// Merges the properties (and roles) of a member write into `member`.
void ApplyMemberProperties(Json& member, const Json& m) {
  if (const Json* pr = Find(m, "properties")) {
    if (const Json* sys = Find(*pr, "system")) SetOrDelete(member["properties"]["system"], *sys);
    if (const Json* custom = Find(*pr, "custom"))
      member["properties"]["custom"].merge_patch(*custom);
  }
  if (const Json* roles = Find(m, "roles")) member["roles"] = *roles;
}

Json NewMember(const std::string& xuid, const Json& m, bool reserved, const MergeContext& ctx) {
  bool initialize = false;
  Json custom = Json::object();
  if (const Json* c = Find(m, "constants")) {
    if (const Json* sys = Find(*c, "system")) {
      if (const Json* i = Find(*sys, "initialize")) initialize = i->get<bool>();
    }
    if (const Json* cu = Find(*c, "custom")) custom = *cu;
  }
  Json member = {{"constants",
                  {{"system", {{"index", 0}, {"xuid", xuid}, {"initialize", initialize}}},
                   {"custom", std::move(custom)}}},
                 {"properties", {{"system", Json::object()}, {"custom", Json::object()}}},
                 {"next", 0}};
  if (reserved) {
    member["reserved"] = true;
  } else {
    member["joinTime"] = ctx.now_iso;
  }
  return member;
}

// "me": join, update or (null) leave.
Status ApplyMe(Json& doc, const Json& m, const MergeContext& ctx, WriteLog& log) {
  std::string xuid = ctx.caller_xuid;
  // The Authenticator refuses such callers (HTTP 401); stored, the member
  // would fail ValidateDocument.
  if (!xuid.empty() && !IsXuid(xuid)) {
    return Status(StatusCode::kInvalidArgument,
                  "the caller's xuid is not a decimal uint64 without leading zeros");
  }
  if (!m.is_null()) {
    if (Status s = ValidateMemberDelta(m, "members.me"); !s.ok()) return s;
    const Json* x = nullptr;
    if (const Json* c = Find(m, "constants")) {
      if (const Json* sys = Find(*c, "system")) x = Find(*sys, "xuid");
    }
    if (x != nullptr) {
      if (!xuid.empty() && x->get_ref<const std::string&>() != xuid) {
        return Status(StatusCode::kInvalidArgument,
                      "members.me.constants.system.xuid is not the caller");
      }
      xuid = x->get<std::string>();
    }
  }
  if (xuid.empty()) {
    return Status(
        StatusCode::kMissingField,
        "cannot identify \"me\": no authenticated xuid and no members.me.constants.system.xuid");
  }
  Json& members = doc["members"];
  const std::int64_t existing = FindMemberByXuid(members, xuid);
  if (m.is_null()) {
    if (existing >= 0) {
      const std::string key = std::to_string(existing);
      log.SaveMember(key, members[key]);
      members.erase(key);
    }
    return Status::Ok();
  }
  if (existing >= 0) {
    const std::string key = std::to_string(existing);
    Json& member = members[key];
    log.SaveMember(key, member);
    log.Touch(key);
    if (const Json* c = Find(m, "constants")) {
      for (const char* part : {"system", "custom"}) {
        if (const Json* d = Find(*c, part)) {
          const std::string path = std::string("members.me.constants.") + part;
          // A joining reservation may set what the reserver left open.
          if (Status s = RequireUnchanged(member["constants"][part], *d, path); !s.ok()) {
            if (!member.value("reserved", false)) return s;
            for (const auto& [k, v] : d->items()) member["constants"][part][k] = v;
          }
        }
      }
    }
    if (member.value("reserved", false)) {
      log.Fresh(key);  // a reservation becomes a member: joinTime, constants
      member.erase("reserved");
      member["joinTime"] = ctx.now_iso;
    }
    ApplyMemberProperties(member, m);
    return Status::Ok();
  }
  if (Status s = CheckCapacity(doc, ctx); !s.ok()) return s;
  Json member = NewMember(xuid, m, /*reserved=*/false, ctx);
  ApplyMemberProperties(member, m);
  log.Fresh(AllocateMember(doc, std::move(member)));
  return Status::Ok();
}

Status ApplyReservation(Json& doc, const std::string& key, const Json& m, const MergeContext& ctx,
                        WriteLog& log) {
  const std::string p = "members." + key;
  if (m.is_null()) return Status(StatusCode::kInvalidArgument, p + " must be an object");
  if (Status s = ValidateMemberDelta(m, p); !s.ok()) return s;
  const Json* x = nullptr;
  if (const Json* c = Find(m, "constants")) {
    if (const Json* sys = Find(*c, "system")) x = Find(*sys, "xuid");
  }
  if (x == nullptr)
    return Status(StatusCode::kMissingField, p + ".constants.system.xuid is required");
  const std::string xuid = x->get<std::string>();
  if (FindMemberByXuid(doc["members"], xuid) >= 0) return Status::Ok();  // already there
  if (Status s = CheckCapacity(doc, ctx); !s.ok()) return s;
  Json member = NewMember(xuid, m, /*reserved=*/true, ctx);
  ApplyMemberProperties(member, m);
  log.Fresh(AllocateMember(doc, std::move(member)));
  return Status::Ok();
}

Status ApplyMembers(Json& doc, const Json& delta_members, const MergeContext& ctx, WriteLog& log) {
  if (!delta_members.is_object()) return WrongType("members", "an object");
  const bool large = IsLargeSession(doc);
  const Json* me = nullptr;
  std::map<std::int64_t, std::string> reservations;  // in numeric order of N
  for (const auto& [k, v] : delta_members.items()) {
    if (k == "me") {
      me = &v;
    } else if (k.rfind("reserve_", 0) == 0 &&
               IsDecimal(std::string_view(k).substr(8), kMaxIndexDigits)) {
      reservations.emplace(ParseIndex(std::string_view(k).substr(8)), k);
    } else {
      return Status(StatusCode::kInvalidArgument,
                    "members." + k + ": members are written as \"me\" or \"reserve_N\"");
    }
  }
  if (large && !reservations.empty()) {
    // A large session shows each member only itself: no one writes others.
    return Status(StatusCode::kConflict,
                  "members." + reservations.begin()->second +
                      ": a large session takes no reservations (members write only \"me\")");
  }
  if (me != nullptr) {
    if (Status s = ApplyMe(doc, *me, ctx, log); !s.ok()) return s;
  }
  for (const auto& [n, key] : reservations) {
    if (Status s = ApplyReservation(doc, key, delta_members[key], ctx, log); !s.ok()) return s;
  }
  return Status::Ok();
}

// What ValidateDocument reads of a member after ValidateMember passed.
struct MemberFields {
  std::int64_t index = 0;
  const std::string* xuid = nullptr;
  const Json* properties_system = nullptr;  // an object
  const Json* reserved = nullptr;           // a boolean, or null when absent
  std::int64_t next = 0;
};

// Validates one stored member and returns the fields ValidateDocument reads
// (found once: this runs for every member on every write).
Status ValidateMember(const std::string& key, const Json& m, std::int64_t next_index,
                      MemberFields* fields) {
  std::int64_t* index = &fields->index;
  // The path only for a failure: this runs for every member on every write.
  struct Path {
    const std::string& key;
    std::string operator+(const char* rest) const { return "members." + key + rest; }
    operator std::string() const {
      return "members." + key;
    }  // NOLINT(google-explicit-constructor)
  } p{key};
  if (!IsDecimal(key, kMaxIndexDigits))
    return Status(StatusCode::kMemberChain, p + ": key is not an index");
  *index = ParseIndex(key);
  if (m.is_null()) return Status(StatusCode::kNullMember, p + " is null");
  if (!m.is_object()) return WrongType(p, "an object");
  const Json* c = Find(m, "constants");
  const Json* sys = c ? Find(*c, "system") : nullptr;
  if (sys == nullptr || !sys->is_object())
    return Status(StatusCode::kMissingField, p + ".constants.system");
  const Json* idx = Find(*sys, "index");
  if (idx == nullptr || AsInt(*idx) != *index) {
    return Status(StatusCode::kMemberChain, p + ".constants.system.index differs from the key");
  }
  const Json* x = Find(*sys, "xuid");
  if (x == nullptr || !IsXuidValue(*x))
    return WrongType(p + ".constants.system.xuid", "a decimal xuid string");
  fields->xuid = &x->get_ref<const std::string&>();
  if (*index >= next_index) {
    return Status(StatusCode::kMemberChain, p + ": index not below membersInfo.next");
  }
  const Json* pr = Find(m, "properties");
  fields->properties_system = pr != nullptr ? Find(*pr, "system") : nullptr;
  if (fields->properties_system == nullptr || !fields->properties_system->is_object()) {
    return Status(StatusCode::kMissingField, p + ".properties.system");
  }
  fields->reserved = Find(m, "reserved");
  if (fields->reserved != nullptr && !fields->reserved->is_boolean())
    return WrongType(p + ".reserved", "a boolean");
  const Json* n = Find(m, "next");
  if (n == nullptr || !AsInt(*n)) return WrongType(p + ".next", "an integer");
  fields->next = *AsInt(*n);
  return Status::Ok();
}

// Appends `key` as a JSON string, as DumpJson writes it.
void AppendKey(std::string& text, const std::string& key) {
  const bool plain = std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  });
  if (plain) {
    text.push_back('"');
    text.append(key);
    text.push_back('"');
  } else {
    text.append(DumpJson(Json(key)));
  }
  text.push_back(':');
}

// What a write may copy from the current text instead of serializing.
struct Reuse {
  const std::string* text = nullptr;  // null: nothing
  const DocumentParts* parts = nullptr;
  bool properties = false;
  bool servers = false;
  bool members = false;                             // members not in `dirty`
  const std::vector<std::string>* dirty = nullptr;  // members to serialize (sorted)
};

// DumpJson(doc), copying from `reuse` what it allows; records the parts.
std::string Serialize(const Json& doc, const Reuse& reuse, DocumentParts* parts) {
  std::string text;
  text.reserve(reuse.text != nullptr ? reuse.text->size() + 64 : 1024);
  // One serializer appending to `text`: what DumpJson(v) (v.dump(-1, ' ',
  // false, replace)) runs, without a string, an output adapter and a locale
  // lookup per part.
  nlohmann::detail::serializer<Json> dumper(nlohmann::detail::output_adapter<char>(text), ' ',
                                            Json::error_handler_t::replace);
  auto dump = [&](const Json& value) {
    dumper.dump(value, /*pretty_print=*/false, /*ensure_ascii=*/false, /*indent_step=*/0);
  };
  auto copy = [&](const DocumentParts::Span& span) {
    text.append(*reuse.text, span.offset, span.size);
  };
  auto section = [&](const Json& value, bool can_reuse, const DocumentParts::Span& old,
                     DocumentParts::Span* span) {
    span->offset = text.size();
    if (can_reuse) {
      copy(old);
    } else {
      dump(value);
    }
    span->size = text.size() - span->offset;
  };
  parts->members.clear();
  text.push_back('{');
  bool first = true;
  bool saw[3] = {false, false, false};
  for (auto it = doc.cbegin(); it != doc.cend(); ++it) {
    if (!first) text.push_back(',');
    first = false;
    const std::string& k = it.key();
    AppendKey(text, k);
    const bool have = reuse.text != nullptr;
    if (k == "constants") {
      saw[0] = true;
      section(*it, have, have ? reuse.parts->constants : DocumentParts::Span{}, &parts->constants);
    } else if (k == "properties") {
      saw[1] = true;
      section(*it, have && reuse.properties, have ? reuse.parts->properties : DocumentParts::Span{},
              &parts->properties);
    } else if (k == "servers") {
      saw[2] = true;
      section(*it, have && reuse.servers, have ? reuse.parts->servers : DocumentParts::Span{},
              &parts->servers);
    } else if (k == "members" && it->is_object()) {
      text.push_back('{');
      parts->members.reserve(it->size());
      auto old = have ? reuse.parts->members.cbegin() : decltype(reuse.parts->members.cbegin()){};
      const auto old_end =
          have ? reuse.parts->members.cend() : decltype(reuse.parts->members.cend()){};
      bool first_member = true;
      for (auto m = it->cbegin(); m != it->cend(); ++m) {
        if (!first_member) text.push_back(',');
        first_member = false;
        AppendKey(text, m.key());
        DocumentParts::Span span;
        span.offset = text.size();
        bool copied = false;
        if (have && reuse.members &&
            !std::binary_search(reuse.dirty->begin(), reuse.dirty->end(), m.key())) {
          while (old != old_end && old->first < m.key()) ++old;
          if (old != old_end && old->first == m.key()) {
            copy(old->second);
            copied = true;
          }
        }
        if (!copied) dump(*m);
        span.size = text.size() - span.offset;
        parts->members.emplace_back(m.key(), span);
      }
      text.push_back('}');
    } else {
      dump(*it);
    }
  }
  text.push_back('}');
  // A document without one of the sections cannot lend it to the next write.
  parts->complete = saw[0] && saw[1] && saw[2];
  return text;
}

}  // namespace

namespace {

// Applies `delta` to `doc` in place: the document as it was (`created`
// false) or a new one (NewDocument). Records in `undo` what it changes
// before changing it; on error the caller restores `doc` with it (the
// changes stop at the first error, not all of them are undone here).
StatusOr<MergeOutcome> Apply(Json& doc, bool created, const Json& delta, const MergeContext& ctx,
                             MergeUndo& undo) {
  // Always saved first: membersInfo and changeNumber are small and every
  // write changes them.
  undo.members_info = doc["membersInfo"];
  undo.change_number = doc["changeNumber"];
  undo.next = AsInt(undo.members_info["next"]).value_or(0);
  undo.member_count = doc["members"].size();
  if (!delta.is_object()) return WrongType("the request body", "a JSON object");
  if (Status s = OnlyKeys(delta, {"constants", "properties", "members", "servers"}, "(body)");
      !s.ok()) {
    return s;
  }
  MergeOutcome out;
  out.created = created;
  WriteLog log{undo, {}, {}};
  const bool had_members = undo.member_count != 0;

  if (const Json* c = Find(delta, "constants")) {
    if (Status s = ApplyConstants(doc, *c, out.created, ctx); !s.ok()) return s;
  }
  if (const Json* p = Find(delta, "properties")) {
    if (Status s = ApplyProperties(doc, *p, log); !s.ok()) return s;
  }
  if (const Json* sv = Find(delta, "servers")) {
    if (!sv->is_object()) return WrongType("servers", "an object");
    undo.servers = doc["servers"];
    doc["servers"].merge_patch(*sv);
  }
  if (const Json* m = Find(delta, "members")) {
    if (Status s = ApplyMembers(doc, *m, ctx, log); !s.ok()) return s;
  }
  // No member was added (each takes membersInfo.next) and none left.
  const bool same_keys = AsInt(doc["membersInfo"]["next"]).value_or(0) == undo.next &&
                         doc["members"].size() == undo.member_count;
  const Json* delta_props = Find(delta, "properties");
  if (out.created || !same_keys || (delta_props != nullptr && Find(*delta_props, "system"))) {
    Relink(doc);
  } else {
    // The members' `next` (the member set) and `turn` (properties.system)
    // are as they were: only the counts can have changed.
    RecountChanged(doc, undo);
  }
  std::sort(log.touched.begin(), log.touched.end());
  std::sort(log.fresh.begin(), log.fresh.end());
  // What the write can have changed, when the document came from a merge (so
  // its derived fields are Relink's): the sections the delta names,
  // membersInfo, the member set, and the members it touched; every member
  // when it wrote properties.system (their `turn`) or the member set
  // changed (their `next`). The rest is copied, not re-serialized.
  Reuse reuse;
  const bool parts = !out.created && ctx.current_parts != nullptr && ctx.current_parts->complete &&
                     ctx.current_text != nullptr;
  if (parts) {
    const Json* dp = Find(delta, "properties");
    const bool wrote_system = dp != nullptr && Find(*dp, "system") != nullptr;
    reuse.text = ctx.current_text;
    reuse.parts = ctx.current_parts;
    reuse.properties = dp == nullptr;
    reuse.servers = Find(delta, "servers") == nullptr;
    reuse.members = !wrote_system && same_keys;
    reuse.dirty = &log.touched;
  }
  if (out.created || !same_keys) {
    out.changed = true;
  } else {
    // Only the saved parts can differ. The other members' `turn` follows
    // properties.system.turn, and their `next` the member set (unchanged).
    out.changed = (undo.properties && doc["properties"] != *undo.properties) ||
                  (undo.servers && doc["servers"] != *undo.servers) ||
                  doc["membersInfo"] != undo.members_info ||
                  std::any_of(undo.members.begin(), undo.members.end(),
                              [&](const auto& m) { return doc["members"][m.first] != m.second; });
  }
  // Every accepted write is a new version, even one that changes nothing
  // else: so no two acknowledged writes can succeed against the same ETag.
  doc["changeNumber"] = doc["changeNumber"].get<std::int64_t>() + 1;
  out.deleted =
      !out.created && had_members && doc["members"].empty() && SessionEmptyTimeoutMs(doc) == 0;
  out.text = Serialize(doc, reuse, &out.parts);
  out.touched = std::move(log.touched);
  out.fresh = std::move(log.fresh);
#ifndef NDEBUG
  if (out.text != DumpJson(doc)) {
    std::fprintf(stderr, "sessiond: MergeDelta's partial serialization differs from DumpJson\n");
    std::abort();
  }
#endif
  return out;
}

// The readability check of a merge result (CheckWriteReadable); debug
// builds hold it to the client parser on the served bytes.
Status CheckMerged(const Json& doc, const Json& delta, const MergeOutcome& out) {
  // Last, on the result: sessiond's checks above type each field of the
  // delta, but a value they accept can still be out of the client's range
  // (an xuid over 2^64-1, a version of -1, a 5000-byte keyword), and a
  // session can outgrow a client limit over several writes that are each
  // small (properties.custom past 4096 keys, the document past 1 MiB). Such
  // a document, once stored, would fail every later read and write of the
  // session on every client, so it is refused before it is stored. Only
  // what the write changed is checked (client_readability.h).
  Status readable = CheckWriteReadable(doc, delta, out);
#ifndef NDEBUG
  const StatusOr<SessionDocument> client = ParseSessionDocument(out.text);
  if (client.ok() != readable.ok()) {
    std::fprintf(stderr,
                 "sessiond: CheckWriteReadable says %s but the client parser says %s\n  %.400s\n",
                 readable.ok() ? "readable" : readable.ToString().c_str(),
                 client.ok() ? "readable" : client.status().ToString().c_str(), out.text.c_str());
    std::abort();
  }
#endif
  return readable;
}

// MergeDelta(Unchecked) on a copy of `current` (or a new document).
StatusOr<MergeOutcome> MergeCopy(const Json* current, const Json& delta, const MergeContext& ctx,
                                 bool check) {
  Json doc = current != nullptr ? *current : NewDocument(ctx);
  MergeUndo undo;
  StatusOr<MergeOutcome> out = Apply(doc, current == nullptr, delta, ctx, undo);
  if (!out.ok()) return out;
  if (check) {
    if (Status s = CheckMerged(doc, delta, *out); !s.ok()) return s;
  }
  out->document = std::move(doc);
  return out;
}

}  // namespace

StatusOr<MergeOutcome> MergeDeltaUnchecked(const Json* current, const Json& delta,
                                           const MergeContext& ctx) {
  return MergeCopy(current, delta, ctx, /*check=*/false);
}

StatusOr<MergeOutcome> MergeDelta(const Json* current, const Json& delta, const MergeContext& ctx) {
  return MergeCopy(current, delta, ctx, /*check=*/true);
}

StatusOr<MergeOutcome> MergeDeltaInPlace(Json* document, const Json& delta,
                                         const MergeContext& ctx) {
#ifndef NDEBUG
  const Json before = *document;
#endif
  MergeUndo undo;
  StatusOr<MergeOutcome> out = Apply(*document, /*created=*/false, delta, ctx, undo);
  Status status = out.ok() ? CheckMerged(*document, delta, *out) : out.status();
  if (!status.ok()) {
    UndoMerge(document, std::move(undo));
#ifndef NDEBUG
    if (*document != before) {
      std::fprintf(stderr, "sessiond: a refused in-place merge changed the document\n");
      std::abort();
    }
#endif
    return status;
  }
#ifndef NDEBUG
  Json same_version = *document;
  same_version["changeNumber"] = before["changeNumber"];
  if (out->changed != (same_version != before)) {
    std::fprintf(stderr, "sessiond: MergeDelta's change detection is wrong\n");
    std::abort();
  }
  Json undone = *document;
  UndoMerge(&undone, undo);
  if (undone != before) {
    std::fprintf(stderr, "sessiond: UndoMerge does not restore the document\n");
    std::abort();
  }
#endif
  out->undo = std::move(undo);
  return out;
}

void UndoMerge(Json* document, MergeUndo undo) {
  Json& doc = *document;
  if (undo.whole) {
    doc = std::move(*undo.whole);
    return;
  }
  if (undo.properties) doc["properties"] = std::move(*undo.properties);
  if (undo.servers) doc["servers"] = std::move(*undo.servers);
  // Members at or above the old membersInfo.next are the write's; the ones
  // it changed or removed come back as they were.
  Json& members = doc["members"];
  for (auto it = members.begin(); it != members.end();) {
    if (ParseIndex(it.key()) >= undo.next) {
      it = members.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [key, member] : undo.members) members[key] = std::move(member);
  doc["membersInfo"] = std::move(undo.members_info);
  doc["changeNumber"] = std::move(undo.change_number);
  // Each member's `next` and `turn`, and membersInfo's counts, as they were
  // (the document was Relink's result, as every stored document is).
  Relink(doc);
}

bool IsXuid(std::string_view text) {
  // Digit strings of one length compare as their numbers: 2^64 - 1 has 20.
  return IsDecimal(text, 20) && (text.size() < 20 || text <= "18446744073709551615");
}

Status CheckMemberAccess(const Json& delta, std::string_view caller_xuid) {
  const Json* members = Find(delta, "members");
  if (members == nullptr || !members->is_object()) return Status::Ok();
  for (const auto& [k, v] : members->items()) {
    if (IsDecimal(k, std::numeric_limits<std::size_t>::max())) {
      return Status(StatusCode::kInvalidArgument,
                    "members." + k + ": a user may only write their own member, as \"me\"");
    }
    if (k != "me" || caller_xuid.empty()) continue;
    const Json* c = Find(v, "constants");
    const Json* sys = c ? Find(*c, "system") : nullptr;
    const Json* x = sys ? Find(*sys, "xuid") : nullptr;
    if (x != nullptr && (!x->is_string() || x->get_ref<const std::string&>() != caller_xuid)) {
      return Status(StatusCode::kInvalidArgument,
                    "members.me.constants.system.xuid names another user than the caller");
    }
  }
  return Status::Ok();
}

bool RemoveMembers(Json* document, const std::vector<std::int64_t>& indices) {
  Json& members = (*document)["members"];
  bool removed = false;
  for (std::int64_t i : indices) removed |= members.erase(std::to_string(i)) > 0;
  if (!removed) return false;
  Relink(*document);
  (*document)["changeNumber"] = (*document)["changeNumber"].get<std::int64_t>() + 1;
  return true;
}

bool TestingDropMember(Json* document, std::string_view keep_xuid) {
  Json& members = (*document)["members"];
  for (auto it = members.begin(); it != members.end(); ++it) {
    if ((*it)["constants"]["system"]["xuid"] == keep_xuid) continue;
    members.erase(it);
    Relink(*document);
    return true;
  }
  return false;
}

bool IsLargeSession(const Json& document) {
  const Json* c = Find(document, "constants");
  const Json* sys = c ? Find(*c, "system") : nullptr;
  const Json* caps = sys ? Find(*sys, "capabilities") : nullptr;
  const Json* large = caps ? Find(*caps, "large") : nullptr;
  return large != nullptr && large->is_boolean() && large->get<bool>();
}

std::string RenderForCaller(const Json& document, std::string_view caller_xuid) {
  Json shown = document;
  Json members = Json::object();
  if (!caller_xuid.empty()) {
    const std::int64_t index = FindMemberByXuid(document["members"], std::string(caller_xuid));
    if (index >= 0) members["me"] = document["members"][std::to_string(index)];
  }
  shown["members"] = std::move(members);
  return DumpJson(shown);
}

std::int64_t SessionEmptyTimeoutMs(const Json& document) {
  return AsInt(document["constants"]["system"].value("sessionEmptyTimeout", Json())).value_or(-1);
}

std::int64_t ReservedRemovalTimeoutMs(const Json& document) {
  return AsInt(document["constants"]["system"].value("reservedRemovalTimeout", Json()))
      .value_or(-1);
}

std::int64_t InactiveRemovalTimeoutMs(const Json& document) {
  return AsInt(document["constants"]["system"].value("inactiveRemovalTimeout", Json()))
      .value_or(-1);
}

std::int64_t ReadyRemovalTimeoutMs(const Json& document) {
  return AsInt(document["constants"]["system"].value("readyRemovalTimeout", Json())).value_or(-1);
}

Status ValidateDocument(const Json& doc, const Json* previous) {
  if (!doc.is_object()) return WrongType("document", "an object");
  for (const char* k : {"constants", "properties", "membersInfo", "members"}) {
    const Json* v = Find(doc, k);
    if (v == nullptr) return Status(StatusCode::kMissingField, k);
    if (!v->is_object()) return WrongType(k, "an object");
  }
  const Json* change = Find(doc, "changeNumber");
  if (change == nullptr || !AsInt(*change) || *AsInt(*change) < 0) {
    return WrongType("changeNumber", "a non-negative integer");
  }
  const Json& constants = doc["constants"];
  const Json* csys = Find(constants, "system");
  if (csys == nullptr || !csys->is_object())
    return Status(StatusCode::kMissingField, "constants.system");
  const Json* max = Find(*csys, "maxMembersCount");
  if (max == nullptr || !AsInt(*max) || *AsInt(*max) < 1 ||
      *AsInt(*max) > mpsd::kMaxMembersCountLarge) {
    return WrongType("constants.system.maxMembersCount", "an integer in [1, 1000]");
  }
  const Json& info = doc["membersInfo"];
  std::int64_t fields[5] = {};
  const char* names[5] = {"first", "next", "count", "accepted", "active"};
  for (int i = 0; i < 5; ++i) {
    const Json* v = Find(info, names[i]);
    if (v == nullptr || !AsInt(*v) || *AsInt(*v) < 0) {
      return WrongType(std::string("membersInfo.") + names[i], "a non-negative integer");
    }
    fields[i] = *AsInt(*v);
  }
  const std::int64_t first = fields[0];
  const std::int64_t next_index = fields[1];
  const std::int64_t count = fields[2];
  const std::int64_t accepted = fields[3];
  const std::int64_t active = fields[4];

  // Members: indices, xuids, and each member's `next`. (Sorted vectors
  // and views, not maps of copies: this runs on every write.)
  const Json& members = doc["members"];
  std::vector<std::pair<std::int64_t, std::int64_t>> by_index;  // index, its `next`
  by_index.reserve(members.size());
  std::set<std::string_view> xuids;
  std::int64_t n_accepted = 0;
  std::int64_t n_active = 0;
  for (auto it = members.cbegin(); it != members.cend(); ++it) {
    const std::string& k = it.key();
    const Json& m = *it;
    MemberFields f;
    if (Status s = ValidateMember(k, m, next_index, &f); !s.ok()) return s;
    // (Keys are distinct canonical decimals, so indices are distinct.)
    by_index.emplace_back(f.index, f.next);
    if (!xuids.insert(*f.xuid).second) {
      return Status(StatusCode::kMemberChain, "members." + k + ": xuid is already a member");
    }
    if (f.reserved == nullptr || !f.reserved->get<bool>()) ++n_accepted;
    const Json* act = Find(*f.properties_system, "active");
    if (act != nullptr && act->is_boolean() && act->get<bool>()) ++n_active;
  }
  std::sort(by_index.begin(), by_index.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // The chain: from `first`, strictly ascending, through every member, to `next`.
  std::int64_t at = first;
  std::size_t visited = 0;
  while (at != next_index) {
    auto it = std::lower_bound(by_index.begin(), by_index.end(), at,
                               [](const auto& a, std::int64_t i) { return a.first < i; });
    if (it == by_index.end() || it->first != at) {
      return Status(StatusCode::kMemberChain,
                    "chain reaches " + std::to_string(at) +
                        ", which is neither a member nor membersInfo.next");
    }
    ++visited;
    const std::int64_t following = it->second;
    if (following <= at) {
      return Status(StatusCode::kMemberChain,
                    "members." + std::to_string(at) + ".next does not ascend");
    }
    auto expected = std::next(it);
    const std::int64_t want = expected == by_index.end() ? next_index : expected->first;
    if (following != want) {
      return Status(StatusCode::kMemberChain,
                    "members." + std::to_string(at) + ".next skips member " + std::to_string(want));
    }
    at = following;
  }
  if (visited != by_index.size()) {
    return Status(StatusCode::kMemberChain, "chain from membersInfo.first misses members");
  }
  if (count != static_cast<std::int64_t>(by_index.size()) || accepted != n_accepted ||
      active != n_active) {
    return Status(StatusCode::kMemberChain,
                  "membersInfo count/accepted/active disagree with members");
  }
  if (count > *AsInt(*max)) {
    return Status(
        StatusCode::kTooManyMembers,
        std::to_string(count) + " members exceed maxMembersCount " + std::to_string(*AsInt(*max)));
  }
  if (previous == nullptr) return Status::Ok();

  // Against the replaced document.
  if (previous->value("constants", Json()) != constants) {
    return Status(StatusCode::kConflict, "constants changed after creation");
  }
  const Json* prev_info = Find(*previous, "membersInfo");
  const Json* prev_next_v = prev_info != nullptr ? Find(*prev_info, "next") : nullptr;
  const std::int64_t prev_next = prev_next_v != nullptr ? AsInt(*prev_next_v).value_or(0) : 0;
  if (next_index < prev_next) return Status(StatusCode::kMemberChain, "membersInfo.next decreased");
  const Json* prev_members = Find(*previous, "members");
  for (const auto& [index, m] : by_index) {
    const bool was_member = prev_members != nullptr && prev_members->is_object() &&
                            prev_members->contains(std::to_string(index));
    if (!was_member && index < prev_next) {
      return Status(StatusCode::kMemberChain,
                    "member index " + std::to_string(index) + " was reused");
    }
  }
  const Json* prev_change_v = Find(*previous, "changeNumber");
  const std::int64_t prev_change = prev_change_v != nullptr ? AsInt(*prev_change_v).value_or(0) : 0;
  const std::int64_t want = prev_change + 1;
  if (*AsInt(*change) != want) {
    return Status(StatusCode::kConflict, "changeNumber is " + std::to_string(*AsInt(*change)) +
                                             ", expected " + std::to_string(want));
  }
  return Status::Ok();
}

Status ValidateDocument(const Json& doc, const MergeUndo& undo) {
  if (Status s = ValidateDocument(doc); !s.ok()) return s;
  const std::int64_t next_index = *AsInt(doc["membersInfo"]["next"]);
  if (next_index < undo.next) return Status(StatusCode::kMemberChain, "membersInfo.next decreased");
  const std::int64_t change = *AsInt(doc["changeNumber"]);
  const std::int64_t want = AsInt(undo.change_number).value_or(0) + 1;
  if (change != want) {
    return Status(StatusCode::kConflict, "changeNumber is " + std::to_string(change) +
                                             ", expected " + std::to_string(want));
  }
  return Status::Ok();
}

}  // namespace sessionrig::sessiond
