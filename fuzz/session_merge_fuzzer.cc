// fuzz/session_merge_fuzzer.cc: sessiond's delta merge (sessiond/merge.h),
// applied write after write the way the store applies them.
//
// Input: up to 8 JSON texts separated by 0x1E (ASCII RS, as in RFC 7464 JSON
// text sequences; it cannot occur inside JSON), followed by a trailer read
// from the END (fuzz_input.h):
//   last byte      flags: bit0 the first text is a stored document (used
//                  only if ValidateDocument accepts it) rather than a delta;
//                  bit1 finish with RemoveMembers; bits 4-7 the server's
//                  member cap (0: 1000, else 1..15)
//   2 bytes        2 bits per write: the caller (0: none, i.e. --auth none,
//                  "me" is named by the delta's xuid; 1-3: a fixed xuid)
//   with bit1, 1 byte: the member index RemoveMembers removes
// Each text is parsed with the server's strict JSON limits; a text that is
// not JSON ends the sequence.
//
// Invariants after every accepted write (CheckDocument is written from the
// spec, independently of ValidateDocument, and both must pass):
//  - member keys are canonical indices equal to constants.system.index and
//    below membersInfo.next; xuids are distinct;
//  - the `next` chain from membersInfo.first visits every member once, has
//    no cycle, and ends at membersInfo.next;
//  - membersInfo.count/accepted/active match the members; a member's `turn`
//    is true exactly when properties.system.turn names it;
//  - members never exceed maxMembersCount, and a write that adds members
//    never passes the server cap;
//  - after creation: constants unchanged, changeNumber + 1, membersInfo.next
//    never decreases, indices are never reused, members other than the
//    writer's are unchanged except their `next` and `turn`, new members are the
//    writer's or reservations the delta asked for;
//  - `deleted` exactly when the last member left and sessionEmptyTimeout is 0;
//  - errors use the documented codes; the merge is a pure function (two
//    calls give the same outcome);
//  - the store's merge, MergeDeltaInPlace on a merge's result, has
//    MergeDelta's outcome; when it refuses, the document is byte for byte
//    what it was, and UndoMerge restores it after an accepted write;
//  - clients can read every accepted result: its text (MergeOutcome::text,
//    which must be the document's serialisation, also when the previous
//    result's text and parts are passed on as the store does) parses with the core's
//    client parser, ParseSessionDocument(text) with default limits. MergeDelta
//    refuses results that would not (CheckWriteReadable, which checks only
//    what the write changed: its verdict must be the client parser's on the
//    whole text of MergeDeltaUnchecked's result); such a refusal
//    carries a limit or type code, never a chain code (the merge itself
//    never builds a broken chain). RemoveMembers keeps a readable document
//    readable. A stored document (flags bit0) clients cannot read ends the
//    input: MergeDelta requires a readable one, as the store guarantees.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "sessiond/merge.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"

namespace sessionrig::fuzz {
namespace {

using sessiond::Json;

constexpr const char* kCallers[] = {"", "2533274790412345", "2533274790498765", "2533274790400001"};

std::optional<int64_t> Int(const Json* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  return std::nullopt;
}

const Json* At(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

bool IsCanonicalIndex(const std::string& k) {
  if (k.empty() || k.size() > 9 || (k.size() > 1 && k[0] == '0')) return false;
  for (char c : k) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string XuidOf(const Json& member) {
  const Json* x = At(member, {"constants", "system", "xuid"});
  return x != nullptr && x->is_string() ? x->get<std::string>() : std::string();
}

// A member without what the service derives from the whole document
// (`next` from the member set, `turn` from properties.system.turn).
Json WithoutDerived(Json m) {
  m.erase("next");
  m.erase("turn");
  return m;
}

// The invariants of a stored document (see the file comment).
void CheckDocument(const Json& doc) {
  FUZZ_CHECK(doc.is_object(), "document is not an object");
  const Json* members = At(doc, {"members"});
  FUZZ_CHECK(members != nullptr && members->is_object(), "members");
  const auto first = Int(At(doc, {"membersInfo", "first"}));
  const auto next = Int(At(doc, {"membersInfo", "next"}));
  const auto count = Int(At(doc, {"membersInfo", "count"}));
  const auto accepted = Int(At(doc, {"membersInfo", "accepted"}));
  const auto active = Int(At(doc, {"membersInfo", "active"}));
  FUZZ_CHECK(first && next && count && accepted && active, "membersInfo fields");
  const auto max = Int(At(doc, {"constants", "system", "maxMembersCount"}));
  FUZZ_CHECK(max && *max >= 1 && *max <= 1000, "maxMembersCount");

  std::set<int64_t> turn;
  if (const Json* t = At(doc, {"properties", "system", "turn"}); t && t->is_array()) {
    for (const Json& i : *t) turn.insert(Int(&i).value_or(-1));
  }
  std::map<int64_t, const Json*> by_index;
  std::set<std::string> xuids;
  int64_t n_accepted = 0;
  int64_t n_active = 0;
  for (const auto& [k, m] : members->items()) {
    FUZZ_CHECK(IsCanonicalIndex(k), "member key " << k);
    const int64_t index = std::stoll(k);
    FUZZ_CHECK(Int(At(m, {"constants", "system", "index"})) == index, "index of member " << k);
    FUZZ_CHECK(index < *next, "member " << k << " not below membersInfo.next " << *next);
    const std::string xuid = XuidOf(m);
    FUZZ_CHECK(!xuid.empty(), "member " << k << " without an xuid");
    FUZZ_CHECK(xuids.insert(xuid).second, "xuid " << xuid << " twice");
    by_index.emplace(index, &m);
    // "turn" is true exactly for the members properties.system.turn names.
    const Json* member_turn = At(m, {"turn"});
    FUZZ_CHECK(turn.count(index) != 0 ? (member_turn != nullptr && *member_turn == true)
                                      : member_turn == nullptr,
               "turn of member " << k);
    const Json* reserved = At(m, {"reserved"});
    if (reserved == nullptr || !reserved->is_boolean() || !reserved->get<bool>()) ++n_accepted;
    const Json* act = At(m, {"properties", "system", "active"});
    if (act != nullptr && act->is_boolean() && act->get<bool>()) ++n_active;
  }
  // The chain, bounded: a cycle shows up as a revisit.
  std::set<int64_t> visited;
  int64_t at = *first;
  while (at != *next) {
    auto it = by_index.find(at);
    FUZZ_CHECK(it != by_index.end(), "chain reaches " << at << ", not a member");
    FUZZ_CHECK(visited.insert(at).second, "chain cycles at " << at);
    const auto following = Int(At(*it->second, {"next"}));
    FUZZ_CHECK(following.has_value(), "member " << at << " without next");
    at = *following;
  }
  FUZZ_CHECK(visited.size() == by_index.size(), "chain misses members");
  FUZZ_CHECK(*count == static_cast<int64_t>(by_index.size()) && *accepted == n_accepted &&
                 *active == n_active,
             "membersInfo count/accepted/active");
  FUZZ_CHECK(*count <= *max, *count << " members over maxMembersCount " << *max);
}

// Invariants of one accepted write `after` of `before` (null: creation).
void CheckTransition(const Json* before, const Json& delta, const Json& after,
                     const std::string& caller, int64_t server_cap) {
  CheckDocument(after);
  const Json& members = after["members"];
  const int64_t count = static_cast<int64_t>(members.size());
  const int64_t before_count =
      before != nullptr ? static_cast<int64_t>((*before)["members"].size()) : 0;
  if (count > before_count) {
    FUZZ_CHECK(count <= server_cap, count << " members over the server cap " << server_cap);
  }
  const int64_t change = *Int(At(after, {"changeNumber"}));
  if (before == nullptr) {
    FUZZ_CHECK(change == 1, "a new session at changeNumber " << change);
    return;
  }
  FUZZ_CHECK(after["constants"] == (*before)["constants"], "constants changed");
  FUZZ_CHECK(change == *Int(At(*before, {"changeNumber"})) + 1, "changeNumber not + 1");
  const int64_t prev_next = *Int(At(*before, {"membersInfo", "next"}));
  FUZZ_CHECK(*Int(At(after, {"membersInfo", "next"})) >= prev_next, "membersInfo.next decreased");

  // Who "me" is, as the merge decides it.
  std::string me = caller;
  if (me.empty()) {
    const Json* x = At(delta, {"members", "me", "constants", "system", "xuid"});
    if (x != nullptr && x->is_string()) me = x->get<std::string>();
  }
  std::set<std::string> reserved_xuids;
  if (const Json* dm = At(delta, {"members"}); dm != nullptr && dm->is_object()) {
    for (const auto& [k, v] : dm->items()) {
      if (k == "me") continue;
      if (const Json* x = At(v, {"constants", "system", "xuid"}); x && x->is_string()) {
        reserved_xuids.insert(x->get<std::string>());
      }
    }
  }
  const Json& old_members = (*before)["members"];
  for (const auto& [k, m] : old_members.items()) {
    if (XuidOf(m) == me) continue;
    auto it = members.find(k);
    FUZZ_CHECK(it != members.end(), "member " << k << " of another user was removed");
    FUZZ_CHECK(WithoutDerived(*it) == WithoutDerived(m),
               "member " << k << " of another user changed");
  }
  for (const auto& [k, m] : members.items()) {
    if (old_members.contains(k)) continue;
    FUZZ_CHECK(std::stoll(k) >= prev_next, "index " << k << " reused");
    const std::string xuid = XuidOf(m);
    const Json* r = At(m, {"reserved"});
    const bool reserved = r != nullptr && r->is_boolean() && r->get<bool>();
    FUZZ_CHECK(reserved ? reserved_xuids.count(xuid) == 1 : xuid == me,
               "member " << k << " (" << xuid << ") appeared from nowhere");
  }
}

// The document's text as the store serves it.
std::string Served(const Json& doc) { return DumpJson(doc); }

// What every client does with a served document.
bool CoreParses(const std::string& text) { return ParseSessionDocument(text).ok(); }

void CheckCoreParses(const std::string& text, const char* what) {
  StatusOr<SessionDocument> parsed = ParseSessionDocument(text);
  FUZZ_CHECK(parsed.ok(), "the core cannot parse " << what << ": " << parsed.status().ToString()
                                                   << "\n  " << text.substr(0, 400));
}

// Prefix of CheckReadableByClients' messages.
constexpr std::string_view kUnreadable = "the merged session would be refused by clients: ";

bool DocumentedMergeError(const Status& s) {
  const StatusCode c = s.code();
  if (s.message().rfind(kUnreadable, 0) == 0) {
    return c == StatusCode::kSizeLimit || c == StatusCode::kJsonDepthLimit ||
           c == StatusCode::kTooManyMembers || c == StatusCode::kStringTooLong ||
           c == StatusCode::kWrongType;
  }
  return c == StatusCode::kWrongType || c == StatusCode::kInvalidArgument ||
         c == StatusCode::kMissingField || c == StatusCode::kConflict;
}

}  // namespace
}  // namespace sessionrig::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sessionrig;
  using namespace sessionrig::fuzz;
  using sessiond::Json;
  FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const uint16_t callers = in.U16();
  const uint8_t remove_index = (flags & 2) != 0 ? in.Byte() : 0;
  const int64_t server_cap = (flags >> 4) == 0 ? 1000 : (flags >> 4);

  std::vector<Json> texts;
  std::string_view rest = in.Rest();
  while (texts.size() < 8) {
    const std::size_t sep = rest.find('\x1e');
    auto parsed = ParseJsonStrict(rest.substr(0, sep));
    if (!parsed.ok()) break;
    texts.push_back(std::move(parsed).value());
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + 1);
  }

  sessiond::MergeContext ctx;
  ctx.now_iso = "2024-05-01T12:00:00.000Z";
  ctx.correlation_id = "06365b64-3067-8039-ecee-3608af3d02fc";
  ctx.branch = "5c5c4a3e-2b0e-4d7f-9e77-0f0c1a2b3c4d";
  ctx.max_members_per_session = server_cap;

  std::optional<Json> current;
  // The text and parts of `current` when a merge made it, passed on as the
  // store passes them (the next merge copies what it did not change).
  std::optional<std::pair<std::string, sessiond::DocumentParts>> current_text;
  std::size_t i = 0;
  // Clients can read `current`: true for every MergeDelta result; a
  // fuzzer-made stored document may hold fields ValidateDocument does not
  // type (timestamps), so it is asked of the core.
  bool readable = false;
  if ((flags & 1) != 0 && !texts.empty()) {
    if (!sessiond::ValidateDocument(texts[0]).ok()) return 0;
    CheckDocument(texts[0]);
    current = texts[0];
    readable = CoreParses(Served(*current));
    // MergeDelta requires what the store guarantees: the stored session is
    // readable by clients (its check covers only what a write changes).
    if (!readable) return 0;
    i = 1;
  }
  for (; i < texts.size(); ++i) {
    const Json& delta = texts[i];
    ctx.caller_xuid = kCallers[(callers >> (2 * (i % 8))) & 3];
    (void)sessiond::CheckMemberAccess(delta, ctx.caller_xuid);
    const Json* before = current ? &*current : nullptr;
    ctx.current_text = current_text ? &current_text->first : nullptr;
    ctx.current_parts = current_text ? &current_text->second : nullptr;
    StatusOr<sessiond::MergeOutcome> out = sessiond::MergeDelta(before, delta, ctx);
    StatusOr<sessiond::MergeOutcome> again = sessiond::MergeDelta(before, delta, ctx);
    FUZZ_CHECK(
        out.ok() == again.ok() && out.status() == again.status() &&
            (!out.ok() || (out->document == again->document && out->created == again->created &&
                           out->changed == again->changed && out->deleted == again->deleted)),
        "MergeDelta is not a pure function");
    // The readability check sees only what the write changed: its verdict
    // must be the client parser's on the whole served text.
    StatusOr<sessiond::MergeOutcome> unchecked = sessiond::MergeDeltaUnchecked(before, delta, ctx);
    if (!unchecked.ok()) {
      FUZZ_CHECK(!out.ok() && out.status() == unchecked.status(),
                 "MergeDelta and MergeDeltaUnchecked disagree before the readability check");
    } else {
      StatusOr<SessionDocument> client = ParseSessionDocument(unchecked->text);
      FUZZ_CHECK(client.ok() == out.ok(),
                 "CheckWriteReadable says "
                     << (out.ok() ? std::string("readable") : out.status().ToString())
                     << " but the client parser on the served bytes says "
                     << (client.ok() ? std::string("readable") : client.status().ToString())
                     << "\n  " << unchecked->text.substr(0, 400));
    }
    // The store's merge: in place, on its own document (a merge's result),
    // copying only what the write touches. The same outcome as MergeDelta;
    // a refusal leaves the document exactly as it was; UndoMerge takes an
    // accepted write back.
    if (before != nullptr && current_text) {
      Json in_place_doc = *before;
      StatusOr<sessiond::MergeOutcome> in_place =
          sessiond::MergeDeltaInPlace(&in_place_doc, delta, ctx);
      FUZZ_CHECK(in_place.ok() == out.ok() && in_place.status() == out.status(),
                 "MergeDeltaInPlace says "
                     << (in_place.ok() ? std::string("ok") : in_place.status().ToString())
                     << " but MergeDelta says "
                     << (out.ok() ? std::string("ok") : out.status().ToString()));
      if (in_place.ok()) {
        FUZZ_CHECK(in_place_doc == out->document && in_place->text == out->text &&
                       in_place->changed == out->changed && in_place->deleted == out->deleted,
                   "MergeDeltaInPlace's result differs from MergeDelta's");
        Json undone = in_place_doc;
        sessiond::UndoMerge(&undone, in_place->undo);
        FUZZ_CHECK(undone.dump() == before->dump(), "UndoMerge does not restore the document");
      } else {
        FUZZ_CHECK(in_place_doc.dump() == before->dump(),
                   "a refused in-place merge changed the document");
      }
    }
    if (!out.ok()) {
      FUZZ_CHECK(DocumentedMergeError(out.status()),
                 "undocumented merge error " << out.status().ToString());
      continue;
    }
    FUZZ_CHECK(out->text == Served(out->document), "MergeOutcome::text is not the document");
    CheckCoreParses(out->text, "a document MergeDelta accepted");
    const Json& after = out->document;
    Status valid = sessiond::ValidateDocument(after, before);
    FUZZ_CHECK(valid.ok(), "ValidateDocument refuses a merge result: " << valid.ToString());
    CheckTransition(before, delta, after, ctx.caller_xuid, server_cap);
    FUZZ_CHECK(out->created == (before == nullptr), "created flag");
    const bool emptied = before != nullptr && !(*before)["members"].empty() &&
                         after["members"].empty() && sessiond::SessionEmptyTimeoutMs(after) == 0;
    FUZZ_CHECK(out->deleted == emptied, "deleted flag " << out->deleted);
    if (before != nullptr) {
      Json same_version = after;
      same_version["changeNumber"] = (*before)["changeNumber"];
      FUZZ_CHECK(out->changed == (same_version != *before), "changed flag " << out->changed);
    } else {
      FUZZ_CHECK(out->changed, "a creation that is not a change");
    }
    if (out->deleted) {
      current.reset();  // the store deletes the session; the next write creates it
      current_text.reset();
    } else {
      current = std::move(out->document);
      current_text.emplace(out->text, out->parts);
      readable = true;
    }
  }

  if ((flags & 2) != 0 && current) {
    Json after = *current;
    const bool removed = sessiond::RemoveMembers(&after, {remove_index});
    FUZZ_CHECK(removed == (*current)["members"].contains(std::to_string(remove_index)),
               "RemoveMembers result");
    if (removed) {
      Status valid = sessiond::ValidateDocument(after, &*current);
      FUZZ_CHECK(valid.ok(),
                 "ValidateDocument refuses RemoveMembers' result: " << valid.ToString());
      CheckDocument(after);
      if (readable) CheckCoreParses(Served(after), "RemoveMembers' result");
    } else {
      FUZZ_CHECK(after == *current, "RemoveMembers changed a document it removed nothing from");
    }
  }
  return 0;
}
