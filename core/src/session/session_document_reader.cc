#include "session/session_document_reader.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/json_reader.h"
#include "session/document_rules.h"

namespace sessionrig {
namespace {

using nlohmann::json;
using Type = JsonReader::Type;

// Every refusal returns false up to ReadSessionDocument, building no
// message. A refusal of the JSON itself leaves the JsonReader failed (it
// knows why); any other refusal is a typing rule's, whose reason the caller
// learns from the DOM path.
#define SR_TRY(expr)           \
  do {                         \
    if (!(expr)) return false; \
  } while (false)

// Two members read under the same index (their keys are canonical, so the
// same key twice).
bool HasDuplicateIndex(const std::deque<SessionMember>& parsed) {
  std::vector<uint32_t> indices;
  indices.reserve(parsed.size());
  for (const SessionMember& m : parsed) indices.push_back(m.index);
  std::sort(indices.begin(), indices.end());
  return std::adjacent_find(indices.begin(), indices.end()) != indices.end();
}

class DocumentReader {
 public:
  DocumentReader(std::string_view text, const JsonLimits& json_limits, const SessionLimits& limits)
      : r_(text, json_limits), limits_(limits) {}

  bool Read(SessionDocument* doc);
  // After Read() refused: whether the refusal is the strict codec's, and
  // then its Status (ParseJsonStrict(text).status()).
  bool json_refused() const { return r_.failed() && !duplicate_member_key_; }
  Status json_error() const { return r_.status(); }

 private:
  // Marks known key number `bit` of an object as seen; false the second
  // time, when Members() refuses the key as a duplicate, as the codec does.
  bool Once(uint32_t* seen, int bit) {
    const uint32_t mask = uint32_t{1} << bit;
    if ((*seen & mask) != 0) [[unlikely]] {
      duplicate_key_ = true;
      return false;
    }
    *seen |= mask;
    return true;
  }
  // The reader fails only for what the strict codec refuses: a read of a
  // value of another type returns false, leaving it unfailed (a typing
  // refusal); a read where no value starts fails it (json_reader.h).

  // ---- Values, typed as the DOM path types them (session_document.cc).
  bool Uint64(uint64_t* out) {
    JsonReader::Number n;
    SR_TRY(r_.ReadNumber(&n));
    if (n.kind == JsonReader::Number::Kind::kUnsigned) {
      *out = n.u;
      return true;
    }
    if (n.kind == JsonReader::Number::Kind::kInteger && n.i >= 0) {  // -0
      *out = static_cast<uint64_t>(n.i);
      return true;
    }
    return false;
  }
  bool Uint32(uint32_t* out) {
    uint64_t wide = 0;
    SR_TRY(Uint64(&wide) && wide <= std::numeric_limits<uint32_t>::max());
    *out = static_cast<uint32_t>(wide);
    return true;
  }
  // JSON null reads as absent.
  template <typename T>
  bool OptionalUint32(std::optional<T>* out) {
    if (r_.Peek() == Type::kNull) return r_.ReadNull();
    uint32_t v = 0;
    SR_TRY(Uint32(&v));
    *out = v;
    return true;
  }
  bool OptionalUint64(std::optional<uint64_t>* out) {
    if (r_.Peek() == Type::kNull) return r_.ReadNull();
    uint64_t v = 0;
    SR_TRY(Uint64(&v));
    *out = v;
    return true;
  }
  bool Bool(std::optional<bool>* out) {
    bool b = false;
    SR_TRY(r_.ReadBool(&b));
    *out = b;
    return true;
  }
  bool String(std::string_view* out) {
    return r_.ReadString(out) && out->size() <= limits_.max_string_bytes;
  }
  bool OptionalString(std::optional<std::string>* out) {
    std::string_view s;
    SR_TRY(String(&s));
    out->emplace(s);
    return true;
  }
  bool Timestamp(std::optional<std::string>* out) {
    std::string_view s;
    int64_t seconds = 0;
    SR_TRY(String(&s) && ParseRfc3339(s, &seconds));
    out->emplace(s);
    return true;
  }
  bool Xuid(uint64_t* out) {
    std::string_view s;
    return r_.ReadString(&s) &&
           document_rules::ParseDecimal(s, /*canonical=*/false,
                                        std::numeric_limits<uint64_t>::max(), out);
  }
  bool Object(json* out) {
    const Type t = r_.Peek();
    return t == Type::kObject ? r_.ReadValue(out) : r_.Mismatch(t);
  }
  bool OptionalObject(std::optional<json>* out) {
    json v;
    SR_TRY(Object(&v));
    *out = std::move(v);
    return true;
  }
  // An untyped key, kept verbatim; *extra allocates with its first key.
  bool Extra(JsonObject* extra, std::string_view key) {
    auto [it, inserted] =
        extra->mutable_value().get_ref<json::object_t&>().try_emplace(std::string(key));
    if (!inserted) return r_.FailDuplicateKey(key);
    return r_.ReadValue(&it->second);
  }
  // A custom object, any keys verbatim: read key by key as Extra() reads a
  // level's untyped keys (the same refusals as ReadValue), so that `{}`
  // allocates nothing.
  bool Custom(JsonObject* out) {
    return Members([&](std::string_view key, uint32_t*) { return Extra(out, key); });
  }
  // Calls item() for each item of an array of at most max_list_items.
  template <typename Item>
  bool List(Item&& item) {
    SR_TRY(r_.BeginArray());
    std::size_t count = 0;
    for (bool more = true;;) {
      SR_TRY(r_.NextItem(&more));
      if (!more) return true;
      SR_TRY(++count <= limits_.max_list_items && item());
    }
  }
  bool IndexList(std::optional<std::vector<uint32_t>>* out) {
    std::vector<uint32_t> list;
    SR_TRY(List([&] {
      uint32_t v = 0;
      SR_TRY(Uint32(&v));
      list.push_back(v);
      return true;
    }));
    *out = std::move(list);
    return true;
  }
  bool Restriction(std::optional<SessionRestriction>* out) {
    std::string_view s;
    SessionRestriction r{};
    SR_TRY(r_.ReadString(&s) && document_rules::RestrictionFromName(s, &r));
    *out = r;
    return true;
  }

  // Calls member(key, seen) for each key of an object; member returns
  // false to refuse.
  template <typename Member>
  bool Members(Member&& member) {
    SR_TRY(r_.BeginObject());
    uint32_t seen = 0;
    std::string_view key;
    for (bool more = true;;) {
      SR_TRY(r_.NextKey(&key, &more));
      if (!more) return true;
      if (!member(key, &seen)) [[unlikely]] {
        if (duplicate_key_) r_.FailDuplicateKey(key);  // from Once()
        duplicate_key_ = false;
        return false;
      }
    }
  }

  // ---- Levels of the document.
  bool Metrics(std::optional<SessionMetricsConstants>* out);
  bool ConstantsSystem(SessionConstantsSystem* out);
  bool PropertiesSystem(SessionPropertiesSystem* out);
  bool MembersInfoLevel(MembersInfo* out);
  template <typename System>
  bool Section(JsonObject* custom, JsonObject* extra, System&& system);
  bool MemberConstantsSystem(bool key_is_index, SessionMember* out);
  bool MemberPropertiesSystem(SessionMember* out);
  bool Member(bool key_is_index, SessionMember* out);
  bool MembersLevel(SessionDocument* doc, std::deque<SessionMember>* parsed);
  bool TopLevel(SessionDocument* doc, std::deque<SessionMember>* parsed);

  JsonReader r_;
  const SessionLimits& limits_;
  bool duplicate_member_key_ = false;
  bool duplicate_key_ = false;  // Once() saw a key twice
};

bool DocumentReader::Metrics(std::optional<SessionMetricsConstants>* out) {
  SessionMetricsConstants m;
  SR_TRY(Members([&](std::string_view key, uint32_t* seen) {
    if (key == "latency") return Once(seen, 0) && Bool(&m.latency);
    if (key == "bandwidthDown") return Once(seen, 1) && Bool(&m.bandwidth_down);
    if (key == "bandwidthUp") return Once(seen, 2) && Bool(&m.bandwidth_up);
    if (key == "custom") return Once(seen, 3) && Bool(&m.custom);
    return Extra(&m.extra, key);
  }));
  *out = std::move(m);
  return true;
}

bool DocumentReader::ConstantsSystem(SessionConstantsSystem* out) {
  return Members([&](std::string_view key, uint32_t* seen) {
    if (key == "version") return Once(seen, 0) && OptionalUint32(&out->version);
    if (key == "maxMembersCount") {
      SR_TRY(Once(seen, 1) && OptionalUint32(&out->max_members_count));
      return !out->max_members_count ||
             (*out->max_members_count >= 1 && *out->max_members_count <= limits_.max_members);
    }
    if (key == "visibility") {
      std::string_view s;
      SessionVisibility vis{};
      SR_TRY(Once(seen, 2) && r_.ReadString(&s) && document_rules::VisibilityFromName(s, &vis));
      out->visibility = vis;
      return true;
    }
    if (key == "initiators") {
      SR_TRY(Once(seen, 3));
      std::vector<uint64_t> xuids;
      SR_TRY(List([&] {
        uint64_t xuid = 0;
        SR_TRY(Xuid(&xuid));
        xuids.push_back(xuid);
        return true;
      }));
      out->initiators = std::move(xuids);
      return true;
    }
    if (key == "capabilities") {
      SR_TRY(Once(seen, 4));
      std::map<std::string, bool> caps;
      SR_TRY(Members([&](std::string_view name, uint32_t*) {
        if (name.size() > limits_.max_string_bytes) return false;
        auto [it, inserted] = caps.try_emplace(std::string(name), false);
        if (!inserted) return r_.FailDuplicateKey(name);
        return r_.ReadBool(&it->second);
      }));
      out->capabilities = std::move(caps);
      return true;
    }
    if (key == "reservedRemovalTimeout") {
      return Once(seen, 5) && OptionalUint64(&out->reserved_removal_timeout);
    }
    if (key == "inactiveRemovalTimeout") {
      return Once(seen, 6) && OptionalUint64(&out->inactive_removal_timeout);
    }
    if (key == "readyRemovalTimeout") {
      return Once(seen, 7) && OptionalUint64(&out->ready_removal_timeout);
    }
    if (key == "sessionEmptyTimeout") {
      return Once(seen, 8) && OptionalUint64(&out->session_empty_timeout);
    }
    if (key == "metrics") return Once(seen, 9) && Metrics(&out->metrics);
    return Extra(&out->extra, key);
  });
}

// The shape every constants and properties object shares (ParseSection).
template <typename System>
bool DocumentReader::Section(JsonObject* custom, JsonObject* extra, System&& system) {
  return Members([&](std::string_view key, uint32_t* seen) {
    if (key == "system") return Once(seen, 0) && system();
    if (key == "custom") return Once(seen, 1) && Custom(custom);
    return Extra(extra, key);
  });
}

bool DocumentReader::PropertiesSystem(SessionPropertiesSystem* out) {
  return Members([&](std::string_view key, uint32_t* seen) {
    if (key == "keywords") {
      SR_TRY(Once(seen, 0));
      std::vector<std::string> keywords;
      SR_TRY(List([&] {
        std::string_view s;
        SR_TRY(String(&s));
        keywords.emplace_back(s);
        return true;
      }));
      out->keywords = std::move(keywords);
      return true;
    }
    if (key == "turn") return Once(seen, 1) && IndexList(&out->turn);
    if (key == "joinRestriction") return Once(seen, 2) && Restriction(&out->join_restriction);
    if (key == "readRestriction") return Once(seen, 3) && Restriction(&out->read_restriction);
    if (key == "closed") return Once(seen, 4) && Bool(&out->closed);
    if (key == "locked") return Once(seen, 5) && Bool(&out->locked);
    if (key == "host") return Once(seen, 6) && OptionalString(&out->host);
    if (key == "owners") return Once(seen, 7) && IndexList(&out->owners);
    if (key == "matchmaking") return Once(seen, 8) && OptionalObject(&out->matchmaking);
    return Extra(&out->extra, key);
  });
}

bool DocumentReader::MembersInfoLevel(MembersInfo* out) {
  return Members([&](std::string_view key, uint32_t* seen) {
    if (key == "first") return Once(seen, 0) && OptionalUint32(&out->first);
    if (key == "next") return Once(seen, 1) && OptionalUint32(&out->next);
    if (key == "count") return Once(seen, 2) && OptionalUint32(&out->count);
    if (key == "accepted") return Once(seen, 3) && OptionalUint32(&out->accepted);
    if (key == "active") return Once(seen, 4) && OptionalUint32(&out->active);
    return Extra(&out->extra, key);
  });
}

bool DocumentReader::MemberConstantsSystem(bool key_is_index, SessionMember* out) {
  return Members([&](std::string_view key, uint32_t* seen) {
    if (key == "index") {
      SR_TRY(Once(seen, 0));
      if (r_.Peek() == Type::kNull) return r_.ReadNull();
      uint32_t index = 0;
      SR_TRY(Uint32(&index));
      if (!key_is_index) {
        out->index = index;
        return true;
      }
      return index == out->index;
    }
    if (key == "xuid") {
      uint64_t xuid = 0;
      SR_TRY(Once(seen, 1) && Xuid(&xuid));
      out->xuid = xuid;
      return true;
    }
    if (key == "initialize") return Once(seen, 2) && Bool(&out->initialize);
    return Extra(&out->constants_system_extra, key);
  });
}

bool DocumentReader::MemberPropertiesSystem(SessionMember* out) {
  return Members([&](std::string_view key, uint32_t* seen) {
    if (key == "active") return Once(seen, 0) && Bool(&out->active);
    if (key == "ready") return Once(seen, 1) && Bool(&out->ready);
    if (key == "secureDeviceAddress") {
      return Once(seen, 2) && OptionalString(&out->secure_device_address);
    }
    return Extra(&out->properties_system_extra, key);
  });
}

bool DocumentReader::Member(bool key_is_index, SessionMember* out) {
  return Members([&](std::string_view key, uint32_t* seen) {
    if (key == "constants") {
      return Once(seen, 0) && Section(&out->constants_custom, &out->constants_extra,
                                      [&] { return MemberConstantsSystem(key_is_index, out); });
    }
    if (key == "properties") {
      return Once(seen, 1) && Section(&out->properties_custom, &out->properties_extra,
                                      [&] { return MemberPropertiesSystem(out); });
    }
    if (key == "gamertag") return Once(seen, 2) && OptionalString(&out->gamertag);
    if (key == "reserved") return Once(seen, 3) && Bool(&out->reserved);
    if (key == "activeTitleId") {
      // MPSD sends title ids as decimal strings; numbers are accepted too.
      SR_TRY(Once(seen, 4));
      if (r_.Peek() == Type::kString) {
        std::string_view s;
        uint64_t id = 0;
        SR_TRY(r_.ReadString(&s) &&
               document_rules::ParseDecimal(s, /*canonical=*/false,
                                            std::numeric_limits<uint32_t>::max(), &id));
        out->active_title_id = static_cast<uint32_t>(id);
        return true;
      }
      return OptionalUint32(&out->active_title_id);
    }
    if (key == "joinTime") return Once(seen, 5) && Timestamp(&out->join_time);
    if (key == "roles") return Once(seen, 6) && OptionalObject(&out->roles);
    if (key == "next") return Once(seen, 7) && OptionalUint32(&out->next);
    if (key == "turn") return Once(seen, 8) && Bool(&out->turn);
    return Extra(&out->extra, key);
  });
}

// `members`: "me" alone into doc->members, else the indexed members, in
// text order, into *parsed (ordered along the chain once membersInfo is read).
bool DocumentReader::MembersLevel(SessionDocument* doc, std::deque<SessionMember>* parsed) {
  bool me = false;
  std::size_t n = 0;
  SR_TRY(Members([&](std::string_view key, uint32_t*) {
    SR_TRY(++n <= limits_.max_members && !me);
    if (key == "me") {
      SR_TRY(parsed->empty());
      me = true;
      SessionMember member;
      SR_TRY(Member(/*key_is_index=*/false, &member));
      doc->members.push_back(std::move(member));
      doc->members_as_me = true;
      return true;
    }
    uint64_t index = 0;
    SR_TRY(document_rules::ParseDecimal(key, /*canonical=*/true,
                                        std::numeric_limits<uint32_t>::max(), &index));
    SessionMember& member = parsed->emplace_back();
    member.index = static_cast<uint32_t>(index);
    return Member(/*key_is_index=*/true, &member);
  }));
  return true;
}

bool DocumentReader::TopLevel(SessionDocument* doc, std::deque<SessionMember>* parsed) {
  SR_TRY(r_.Begin());
  SR_TRY(Members([&](std::string_view key, uint32_t* seen) {
    if (key == "contractVersion") return Once(seen, 0) && OptionalUint32(&doc->contract_version);
    if (key == "branch") return Once(seen, 1) && OptionalString(&doc->branch);
    if (key == "changeNumber") return Once(seen, 2) && OptionalUint64(&doc->change_number);
    if (key == "correlationId") return Once(seen, 3) && OptionalString(&doc->correlation_id);
    if (key == "searchHandle") return Once(seen, 4) && OptionalString(&doc->search_handle);
    if (key == "startTime") return Once(seen, 5) && Timestamp(&doc->start_time);
    if (key == "nextTimer") return Once(seen, 6) && Timestamp(&doc->next_timer);
    if (key == "constants") {
      SessionConstants& c = doc->constants;
      return Once(seen, 7) &&
             Section(&c.custom, &c.extra, [&] { return ConstantsSystem(&c.system); });
    }
    if (key == "properties") {
      SessionProperties& p = doc->properties;
      return Once(seen, 8) &&
             Section(&p.custom, &p.extra, [&] { return PropertiesSystem(&p.system); });
    }
    if (key == "membersInfo") return Once(seen, 9) && MembersInfoLevel(&doc->members_info);
    if (key == "members") return Once(seen, 10) && MembersLevel(doc, parsed);
    return Extra(&doc->extra, key);
  }));
  return r_.End();
}

bool DocumentReader::Read(SessionDocument* doc) {
  std::deque<SessionMember> parsed;
  if (!TopLevel(doc, &parsed)) {
    // The strict codec refuses a repeated member key where it occurs, so
    // before a JSON error met after it; this pass looks for one only now.
    if (r_.failed() && HasDuplicateIndex(parsed)) duplicate_member_key_ = true;
    return false;
  }
  if (!parsed.empty()) SR_TRY(document_rules::OrderMembers(std::move(parsed), doc).ok());
  return document_rules::CheckMembersCount(*doc).ok();
}

#undef SR_TRY

}  // namespace

SessionDocumentRead ReadSessionDocument(std::string_view text, const JsonLimits& json_limits,
                                        const SessionLimits& limits) {
  SessionDocumentRead out;
  out.document.emplace();
  DocumentReader reader(text, json_limits, limits);
  if (!reader.Read(&*out.document)) {
    out.document.reset();
    if (reader.json_refused()) out.json_error = reader.json_error();
  }
  return out;
}

}  // namespace sessionrig
