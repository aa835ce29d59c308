// sessiond/merge.h: the MPSD delta merge and the session document validator.
//
// A PUT body is a delta, not a document (docs/protocol.md, "The write request"). MergeDelta applies
// one delta to the current document (or creates one) and returns the new
// document; MergeDeltaInPlace applies it to a document its caller owns (the
// store's current version), changing only the parts the delta touches
// instead of copying the whole document, and UndoMerge takes such a write
// back; ValidateDocument checks a document's invariants, optionally
// against the document it replaced; CheckReadableByClients checks that the
// core's strict client parser accepts a document. All are functions of their
// arguments only (no clock, no randomness, no I/O): the store supplies the time
// and identifiers, and the merge fuzzer calls them directly.
//
// Thread-safety: safe to call concurrently on distinct data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessionrig/mpsd_defaults.h"
#include "sessionrig/status.h"

namespace sessionrig::sessiond {

using Json = nlohmann::json;

// Where each part of a document's text is (MergeOutcome::text), so that the
// next write re-serializes only what it changed and copies the rest from
// this text: the constants, properties and servers sections and each
// member's object, as byte ranges of the text. Derived fields (changeNumber,
// membersInfo, each member's `next` and `turn`) are re-rendered when they
// can have changed. Empty (`complete` false): serialize everything.
struct DocumentParts {
  struct Span {
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  bool complete = false;
  Span constants;
  Span properties;
  Span servers;
  std::vector<std::pair<std::string, Span>> members;  // in the document's key order
};

// Everything the merge needs that is not in the delta or the document.
struct MergeContext {
  // Authenticated xuid of the writer (decimal). Empty when the server runs
  // with --auth none and the request carried no Authorization: then "me"
  // is identified by me.constants.system.xuid in the delta.
  std::string caller_xuid;
  // x-xbl-contract-version of the request (104, 105 or 107); recorded as the
  // document's contractVersion on creation.
  int contract_version = mpsd::kContractVersion;
  // Wall-clock time of the write, ISO 8601 UTC ("2024-01-02T03:04:05.678Z");
  // becomes startTime on creation and joinTime of joining members.
  std::string now_iso;
  // Identifiers given to a newly created session (ignored on updates).
  std::string correlation_id;
  std::string branch;
  // Server-wide cap on members in one session (also bounds maxMembersCount).
  std::int64_t max_members_per_session = mpsd::kMaxMembersCountLarge;
  // TEST ONLY (StoreOptions::testing_skip_capacity_check): no "session full".
  bool testing_skip_capacity_check = false;
  // The current document's text and its parts (MergeOutcome::text and
  // ::parts of the merge that produced it); null: the result is serialized
  // whole. Either way the text is DumpJson(result) byte for byte (debug
  // builds check).
  const std::string* current_text = nullptr;
  const DocumentParts* current_parts = nullptr;
};

// What an in-place merge (MergeDeltaInPlace) changed, saved before it
// changed it, so that UndoMerge can put the document back as it was: the
// sections the delta wrote, membersInfo, changeNumber and the members it
// changed or removed. Members it added are those at or above the old
// membersInfo.next; each member's `next` and `turn` are Relink's.
struct MergeUndo {
  std::optional<Json> whole;  // the whole previous document; when set, the rest is unused
  std::optional<Json> properties;
  std::optional<Json> servers;
  Json members_info;
  Json change_number;
  std::int64_t next = 0;  // membersInfo.next before the write
  std::size_t member_count = 0;
  std::vector<std::pair<std::string, Json>> members;  // by key, as they were
};

struct MergeOutcome {
  // The new document; valid per ValidateDocument and CheckReadableByClients.
  // Null after MergeDeltaInPlace (the document is the one it was given).
  Json document;
  // `document` as compact JSON text, the way the store serves it (serialized
  // once: the readability check needs its size and the store its bytes).
  std::string text;
  DocumentParts parts;   // where the parts of `text` are, for the next write
  bool created = false;  // there was no current document
  // Content other than changeNumber differs from the current document (true
  // on creation). Either way the write is a new version: changeNumber + 1.
  bool changed = false;
  // The last member left and sessionEmptyTimeout is 0: the store deletes the
  // session and the PUT answers 204. `document` is then the final state.
  bool deleted = false;
  // The keys of the members the write added or changed, sorted (what the
  // readability check looks at, and what was re-serialized).
  std::vector<std::string> touched;
  // Of those, the members whose every field is new, sorted: added by the
  // write, or a reservation it turned into a member. The others kept their
  // constants and the fields sessiond derives (joinTime, reserved).
  std::vector<std::string> fresh;
  // MergeDeltaInPlace only: how to take the write back (UndoMerge).
  MergeUndo undo;
};

// Applies `delta` to `current` (nullptr: the session does not exist yet and
// the delta creates it). On success the result satisfies
// ValidateDocument(result.document, current) and CheckReadableByClients.
// REQUIRES: `current` is readable by clients (CheckReadableByClients), as
// every stored session is: the readability check covers only what the write
// changed (client_readability.h; debug builds verify it with the client
// parser on the result's text and abort when they disagree).
// Errors (nothing is changed):
//   kWrongType / kInvalidArgument / kMissingField  -> HTTP 400
//   kConflict  (constants changed after creation, "session full",
//              a member's constants changed)       -> HTTP 409
//   the merged document fails CheckReadableByClients (a value in range for
//   sessiond's type checks but not for the client, or a session grown past a
//   limit over several writes), with its codes:
//     kSizeLimit                                   -> HTTP 413
//     kWrongType / kStringTooLong / kTooManyMembers / kJsonDepthLimit /
//     kNullMember / kMissingField / kMemberChain   -> HTTP 400
// Access rules (who may write which member) are CheckMemberAccess's job;
// MergeDelta refuses member keys other than "me" and "reserve_N" as 400.
[[nodiscard]] StatusOr<MergeOutcome> MergeDelta(const Json* current, const Json& delta,
                                                const MergeContext& context);

// MergeDelta without its last step, the client-readability check
// (CheckWriteReadable, client_readability.h): the result as it would be
// stored. For the merge fuzzer, which compares that check's verdict with the
// client parser's on these bytes. Errors: MergeDelta's, but for the
// readability ones.
[[nodiscard]] StatusOr<MergeOutcome> MergeDeltaUnchecked(const Json* current, const Json& delta,
                                                         const MergeContext& context);

// MergeDelta on `*document` itself, which the caller owns (the store's
// current version, under the session's lock): only the parts the write
// touches are copied (into MergeOutcome::undo) and changed, not the whole
// document. On success `*document` is the new version (MergeOutcome::document
// stays null); on error `*document` is left exactly as it was. A later
// refusal by the caller (its own validation) takes the write back with
// UndoMerge(document, outcome.undo). Updates only (the session exists).
// REQUIRES: `*document` is a stored document: readable by clients and
// Relink's result (each member's `next` and `turn`, membersInfo), as every
// merge, sweep and TestingDropMember leaves it. Errors: MergeDelta's.
[[nodiscard]] StatusOr<MergeOutcome> MergeDeltaInPlace(Json* document, const Json& delta,
                                                       const MergeContext& context);

// Puts `*document`, the result of MergeDeltaInPlace, back as it was before
// that write, from the outcome's `undo`.
void UndoMerge(Json* document, MergeUndo undo);

// An xuid as sessiond accepts it, in constants.system.xuid and in the
// Authorization header: a decimal uint64 without leading zeros ("0" alone is
// one). The one spelling per user is what makes the 403 rule, the member
// lookup and the tokens agree on who a caller is.
[[nodiscard]] bool IsXuid(std::string_view text);

// The 403 rule: a user may only write their own member, as "me". Fails when
// the delta names a member by index, or when "me" carries a xuid other than
// `caller_xuid` (only checked when caller_xuid is non-empty). Any failure
// is an access failure (HTTP 403); malformed deltas pass here and are
// refused by MergeDelta.
[[nodiscard]] Status CheckMemberAccess(const Json& delta, std::string_view caller_xuid);

// Removes the members at `indices` (reservations that expired), relinks the
// chain and bumps changeNumber when something was removed. Returns whether
// the document changed. REQUIRES: ValidateDocument(*document).ok().
bool RemoveMembers(Json* document, const std::vector<std::int64_t>& indices);

// Checks the invariants of a stored document:
//  - the top-level shape and field types;
//  - member keys are decimal indices equal to constants.system.index, below
//    membersInfo.next, with distinct xuids;
//  - the `next` chain runs from membersInfo.first through every member in
//    ascending index order, without a loop, and ends at membersInfo.next;
//  - membersInfo.count/accepted/active match the members;
//  - the member count respects maxMembersCount.
// With `previous` (the document this one replaced) also:
//  - constants are unchanged, membersInfo.next did not decrease, indices of
//    new members were never used before, and changeNumber grew by exactly
//    one (every accepted write is a new version).
// Errors: kWrongType, kMissingField, kMemberChain, kTooManyMembers, kConflict.
[[nodiscard]] Status ValidateDocument(const Json& document, const Json* previous = nullptr);

// ValidateDocument(document) after MergeDeltaInPlace, against what `undo`
// kept of the previous version: changeNumber grew by exactly one and
// membersInfo.next did not decrease. (Constants and the indices of new
// members are not compared: an in-place merge never writes the constants of
// a stored session and gives new members indices from membersInfo.next.)
[[nodiscard]] Status ValidateDocument(const Json& document, const MergeUndo& undo);

// Checks that clients can read `document` once it is served as JSON text of
// `text_bytes` bytes: the core's strict response parser
// (ParseSessionDocument with default JsonLimits and SessionLimits, exactly
// what the client runs on every response) must accept it, or every later
// read and write of the session fails on the client. The JSON text limits
// (size, depth, items per container, string bytes) are checked on the
// document itself, so the text is not parsed again and the message can name
// the field; for documents built from strictly parsed deltas that is the same
// as parsing the text (the fuzzers check the text). Errors name the field:
// kSizeLimit, kJsonDepthLimit, kTooManyMembers, kStringTooLong, and those of
// ParseSessionDocument (kWrongType, kNullMember, kMissingField, kMemberChain).
[[nodiscard]] Status CheckReadableByClients(const Json& document, std::size_t text_bytes);

// TEST ONLY (StoreOptions::testing_drop_member_every): removes the first
// member whose xuid is not `keep_xuid` and relinks, WITHOUT a new version: a
// deliberate lost-member bug. Returns whether one was removed.
bool TestingDropMember(Json* document, std::string_view keep_xuid);

// True when the document's constants.system.capabilities.large is true.
bool IsLargeSession(const Json& document);

// A large session as `caller_xuid` is served it: the document with
// `members` listing only the caller's member, keyed "me" (empty when the
// caller is not a member, or unknown: ""). Clients read "me" as one member,
// the current user; membersInfo keeps the whole session's counts.
// REQUIRES: ValidateDocument(document).ok().
std::string RenderForCaller(const Json& document, std::string_view caller_xuid);

// Reads constants.system.sessionEmptyTimeout (ms): nullopt-like -1 when null
// (never), else the value. REQUIRES: a valid document.
std::int64_t SessionEmptyTimeoutMs(const Json& document);
// Reads constants.system.reservedRemovalTimeout (ms), -1 when null (never).
std::int64_t ReservedRemovalTimeoutMs(const Json& document);
// Reads constants.system.inactiveRemovalTimeout (ms), -1 when null (never).
// The store treats 0 as never too (inactive members are kept, as MPSD does).
std::int64_t InactiveRemovalTimeoutMs(const Json& document);
// Reads constants.system.readyRemovalTimeout (ms), -1 when null (never).
std::int64_t ReadyRemovalTimeoutMs(const Json& document);

}  // namespace sessionrig::sessiond
