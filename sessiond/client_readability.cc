// The client-readability checks (client_readability.h lists the rules and
// where each is enforced).
#include "sessiond/client_readability.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"

namespace sessionrig::sessiond {
namespace {

const Json* Find(const Json& parent, std::string_view key) {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(key);
  return it == parent.end() ? nullptr : &*it;
}

// One step of the path to a value: an object key or an array index.
struct PathStep {
  const std::string* key = nullptr;  // null: an array item
  std::size_t index = 0;
};

// "properties.custom.a[3]", in ParseSessionDocument's spelling.
std::string PathString(const std::vector<PathStep>& path) {
  if (path.empty()) return "the session document";
  std::string out;
  for (const PathStep& step : path) {
    if (step.key == nullptr) {
      out += "[" + std::to_string(step.index) + "]";
    } else {
      if (!out.empty()) out += '.';
      out += *step.key;
    }
  }
  return out;
}

// The limits ParseJsonStrict applies to the text, checked on the value: each
// container nested at most `limits.max_depth` deep (the root is depth 1) and
// holding at most max_container_items, each string and key at most
// max_string_bytes. Recursion stops at max_depth + 1. `path` is the way to
// `v`; only the failure formats it.
Status CheckJsonLimits(const Json& v, const JsonLimits& limits, std::uint32_t depth,
                       std::vector<PathStep>& path) {
  if (v.is_string()) {
    const std::size_t n = v.get_ref<const std::string&>().size();
    if (n <= limits.max_string_bytes) return Status::Ok();
    return Status(StatusCode::kStringTooLong, PathString(path) + " is " + std::to_string(n) +
                                                  " bytes, over the limit of " +
                                                  std::to_string(limits.max_string_bytes));
  }
  if (!v.is_structured()) return Status::Ok();
  if (depth > limits.max_depth) {
    return Status(StatusCode::kJsonDepthLimit,
                  PathString(path) + " nests deeper than " + std::to_string(limits.max_depth));
  }
  if (v.size() > limits.max_container_items) {
    return Status(StatusCode::kTooManyMembers,
                  PathString(path) + " has " + std::to_string(v.size()) +
                      " items, over the limit of " + std::to_string(limits.max_container_items));
  }
  if (v.is_object()) {
    for (auto it = v.cbegin(); it != v.cend(); ++it) {
      if (it.key().size() > limits.max_string_bytes) {
        return Status(StatusCode::kStringTooLong,
                      "a key of " + PathString(path) + " is " + std::to_string(it.key().size()) +
                          " bytes, over the limit of " + std::to_string(limits.max_string_bytes));
      }
      path.push_back(PathStep{&it.key(), 0});
      if (Status s = CheckJsonLimits(*it, limits, depth + 1, path); !s.ok()) return s;
      path.pop_back();
    }
  } else {
    for (std::size_t i = 0; i < v.size(); ++i) {
      path.push_back(PathStep{nullptr, i});
      if (Status s = CheckJsonLimits(v[i], limits, depth + 1, path); !s.ok()) return s;
      path.pop_back();
    }
  }
  return Status::Ok();
}

// `why` + the message of `s`, with its code.
Status Refused(const Status& s) {
  return Status(s.code(), std::string(kUnreadableSessionPrefix) + s.message());
}

// J3 on a container a write added to: `name` is its path, spelled as
// CheckJsonLimits spells it.
Status CheckItems(const Json& container, const char* name, const JsonLimits& limits) {
  if (container.size() <= limits.max_container_items) return Status::Ok();
  return Status(StatusCode::kTooManyMembers,
                std::string(name) + " has " + std::to_string(container.size()) +
                    " items, over the limit of " + std::to_string(limits.max_container_items));
}

// J2-J4 on the entries of `container` (at depth 2, `name` below the root)
// whose keys the delta `written` has: the only ones a merge_patch or a
// set-or-delete of `written` can have changed.
Status CheckWrittenKeys(const Json& container, const char* name, const Json& written,
                        const JsonLimits& limits) {
  if (Status s = CheckItems(container, name, limits); !s.ok()) return s;
  if (!written.is_object()) return Status::Ok();
  const std::string section(name);
  const std::size_t dot = section.find('.');
  const std::string first = section.substr(0, dot);
  const std::string second = dot == std::string::npos ? std::string() : section.substr(dot + 1);
  for (auto w = written.cbegin(); w != written.cend(); ++w) {
    auto it = container.find(w.key());
    if (it == container.end()) continue;  // deleted
    if (it.key().size() > limits.max_string_bytes) {
      return Status(StatusCode::kStringTooLong,
                    "a key of " + section + " is " + std::to_string(it.key().size()) +
                        " bytes, over the limit of " + std::to_string(limits.max_string_bytes));
    }
    std::vector<PathStep> path = {PathStep{&first, 0}};
    if (!second.empty()) path.push_back(PathStep{&second, 0});
    path.push_back(PathStep{&it.key(), 0});
    const std::uint32_t depth = static_cast<std::uint32_t>(path.size()) + 1;
    if (Status s = CheckJsonLimits(*it, limits, depth, path); !s.ok()) return s;
  }
  return Status::Ok();
}

// Whether the write can have changed a typed field (one the client parser
// reads as more than JSON) of the touched member `key`: every field of a
// fresh member (MergeOutcome::fresh: a join, a reservation, a reservation
// joining) is new. Of a member that was there, a write changes only what
// its "me" delta names (constants must stay equal): properties.custom
// (an object, merge-patched), roles (an object), and properties.system
// fields, of which the client types active and ready (booleans, as sessiond
// requires) and secureDeviceAddress (a string of at most 4096 bytes, which
// sessiond does not count). So such a member needs the client parser only
// when its delta has properties.system fields other than active and ready.
bool MemberNeedsParser(const std::string& key, const Json& delta, const MergeOutcome& merged) {
  if (std::binary_search(merged.fresh.begin(), merged.fresh.end(), key)) return true;
  const Json* dm = Find(delta, "members");
  const Json* me = dm != nullptr ? Find(*dm, "me") : nullptr;
  if (me == nullptr || !me->is_object()) return true;
  const Json* props = Find(*me, "properties");
  const Json* sys = props != nullptr ? Find(*props, "system") : nullptr;
  if (sys == nullptr) return false;
  if (!sys->is_object()) return true;
  for (auto it = sys->cbegin(); it != sys->cend(); ++it) {
    if (it.key() != "active" && it.key() != "ready") return true;
  }
  return false;
}

}  // namespace

Status CheckReadableByClients(const Json& document, std::size_t text_bytes) {
  // The client's defaults: sessiond's own request limits are configurable,
  // what every client accepts is not.
  const JsonLimits json_limits;
  const SessionLimits session_limits;
  const std::string why(kUnreadableSessionPrefix);
  if (text_bytes > json_limits.max_bytes) {
    return Status(StatusCode::kSizeLimit,
                  why + "the session document would be " + std::to_string(text_bytes) +
                      " bytes, over the limit of " + std::to_string(json_limits.max_bytes));
  }
  std::vector<PathStep> path;
  if (Status s = CheckJsonLimits(document, json_limits, 1, path); !s.ok()) {
    return Status(s.code(), why + s.message());
  }
  StatusOr<SessionDocument> parsed = ParseSessionDocument(document, session_limits);
  if (!parsed.ok()) return Status(parsed.status().code(), why + parsed.status().message());
  return Status::Ok();
}

Status CheckWriteReadable(const Json& doc, const Json& delta, const MergeOutcome& merged) {
  // T1, T3 and everything else of a new session: the whole document.
  if (merged.created) return CheckReadableByClients(doc, merged.text.size());
  const JsonLimits json_limits;
  const SessionLimits session_limits;
  // J1.
  if (merged.text.size() > json_limits.max_bytes) {
    return Status(StatusCode::kSizeLimit,
                  std::string(kUnreadableSessionPrefix) + "the session document would be " +
                      std::to_string(merged.text.size()) + " bytes, over the limit of " +
                      std::to_string(json_limits.max_bytes));
  }
  // I1: in the client's spelling (ReadUint32).
  if (const Json* info = Find(doc, "membersInfo")) {
    for (const char* k : {"first", "next", "count", "accepted", "active"}) {
      const Json* v = Find(*info, k);
      if (v == nullptr) continue;
      if (v->is_number_unsigned() &&
          v->get<std::uint64_t>() <= std::numeric_limits<std::uint32_t>::max()) {
        continue;
      }
      if (v->is_number_integer() && v->get<std::int64_t>() >= 0 &&
          v->get<std::int64_t>() <= std::numeric_limits<std::uint32_t>::max()) {
        continue;
      }
      return Refused(Status(StatusCode::kWrongType, std::string("membersInfo.") + k +
                                                        " is not an integer in 0..4294967295"));
    }
  }
  // M1 (and J3 of members, the larger limit, checked first as the text is).
  const Json* members = Find(doc, "members");
  if (members != nullptr) {
    if (Status s = CheckItems(*members, "members", json_limits); !s.ok()) return Refused(s);
    if (members->size() > session_limits.max_members) {
      return Refused(
          Status(StatusCode::kTooManyMembers, "members has " + std::to_string(members->size()) +
                                                  " entries, over the limit of " +
                                                  std::to_string(session_limits.max_members)));
    }
  }
  // What goes through the client parser: the written properties.system and
  // the touched members, in a document of their own.
  Json probe = Json::object();
  const Json* dp = Find(delta, "properties");
  const Json* props = Find(doc, "properties");
  if (dp != nullptr && props != nullptr) {
    if (const Json* sys = Find(*dp, "system"); sys != nullptr && sys->is_object()) {
      // P1 (and J2-J4 of the section).
      const Json* stored = Find(*props, "system");
      if (stored != nullptr) {
        static const std::string kProperties = "properties";
        static const std::string kSystem = "system";
        std::vector<PathStep> path = {PathStep{&kProperties, 0}, PathStep{&kSystem, 0}};
        if (Status s = CheckJsonLimits(*stored, json_limits, 3, path); !s.ok()) return Refused(s);
        probe["properties"]["system"] = *stored;
      }
    }
    if (const Json* custom = Find(*dp, "custom")) {
      if (const Json* stored = Find(*props, "custom")) {
        if (Status s = CheckWrittenKeys(*stored, "properties.custom", *custom, json_limits);
            !s.ok()) {
          return Refused(s);
        }
      }
    }
  }
  // S1.
  if (const Json* ds = Find(delta, "servers")) {
    if (const Json* stored = Find(doc, "servers")) {
      if (Status s = CheckWrittenKeys(*stored, "servers", *ds, json_limits); !s.ok()) {
        return Refused(s);
      }
    }
  }
  // M3: the touched members: J2-J4 on each; the client parser on those
  // whose typed fields the write can have changed (MemberNeedsParser),
  // chained in index order (their `next` in the probe links them; the real
  // chain is Relink's, I2).
  static const std::vector<std::string> kNone;
  const std::vector<std::string>& touched = members != nullptr ? merged.touched : kNone;
  std::vector<std::pair<std::int64_t, const std::string*>> order;
  for (const std::string& key : touched) {
    static const std::string kMembers = "members";
    std::vector<PathStep> path = {PathStep{&kMembers, 0}, PathStep{&key, 0}};
    const Json& m = (*members)[key];
    if (Status s = CheckJsonLimits(m, json_limits, 3, path); !s.ok()) return Refused(s);
    if (MemberNeedsParser(key, delta, merged)) order.emplace_back(std::stoll(key), &key);
  }
  if (!order.empty()) {
    std::sort(order.begin(), order.end());
    Json probe_members = Json::object();
    for (std::size_t i = 0; i < order.size(); ++i) {
      Json m = (*members)[*order[i].second];
      if (i + 1 < order.size()) m["next"] = order[i + 1].first;
      probe_members[*order[i].second] = std::move(m);
    }
    const Json* last_next = Find(probe_members[*order.back().second], "next");
    Json info = {{"first", order.front().first}, {"count", order.size()}};
    if (last_next != nullptr) info["next"] = *last_next;
    probe["membersInfo"] = std::move(info);
    probe["members"] = std::move(probe_members);
  }
  if (!probe.empty()) {
    StatusOr<SessionDocument> parsed = ParseSessionDocument(probe, session_limits);
    if (!parsed.ok()) return Refused(parsed.status());
  }
  return Status::Ok();
}

}  // namespace sessionrig::sessiond
