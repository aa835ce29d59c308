// sessiond/client_readability.h: which rules of the client's session parser
// sessiond enforces, and where, so that a write never stores a session
// clients cannot read.
//
// A client parses every response with the core's strict parser
// (ParseSessionDocument(text) with default JsonLimits and SessionLimits). A
// stored session it refuses would fail every later read and write of that
// session on every client, so sessiond refuses the write instead (400, or
// 413 for size) with the client's own message, prefixed
// kUnreadableSessionPrefix.
//
// Checking the whole merged document on every write (dump, then the client
// parser over all of it) cost more than the merge itself. Every stored
// document is readable (creation is checked whole; nothing else stores
// unchecked content), so a write only needs checking where it can have
// changed the document. The rules, and where each is enforced:
//
//  JSON text (JsonLimits)
//   J1 text <= 1 MiB                 every write: the merged text's size
//   J2 depth <= 32                   the parts a write changed (below)
//   J3 <= 4096 items per container   the parts a write changed, and the
//                                    containers they are in (members,
//                                    properties.custom, servers)
//   J4 strings and keys <= 64 KiB    the parts a write changed
//  Top level (ParseSessionDocument)
//   T1 contractVersion uint32, branch/correlationId strings, startTime an
//      RFC 3339 timestamp            creation (set by sessiond: 104/105/107,
//                                    UUIDs, NowIso8601); never written after
//   T2 changeNumber uint64           by construction (an int64 + 1 per write)
//   T3 constants.system types        creation; after it constants cannot
//                                    change (a delta must equal them)
//  properties.system (keywords, turn, owners, restrictions, closed, locked,
//  host, matchmaking)
//   P1 the client's types and list limits (<= 1000 items, strings <= 4096
//      bytes, indices uint32)        when the write has properties.system:
//                                    the section through the client parser
//   P2 properties.custom an object   by construction (merge_patch of an object)
//  membersInfo
//   I1 first/next/count/accepted/active uint32
//                                    every write (five integers)
//   I2 count equals the members listed, the `next` chain from first through
//      every member to next          by construction (Relink)
//  members
//   M1 <= 1000 members               every write
//   M2 keys canonical uint32 indices equal to constants.system.index
//                                    by construction (AllocateMember), and
//                                    below membersInfo.next (I1)
//   M3 each member's fields (xuid a decimal uint64, booleans, strings <= 4096
//      bytes, joinTime a timestamp, roles an object)
//                                    the members the write touched ("me",
//                                    new reservations; MergeOutcome::touched):
//                                    J2-J4 on each, and through the client
//                                    parser those whose typed fields the write
//                                    can have changed: a fresh member
//                                    (MergeOutcome::fresh), or "me" writing
//                                    properties.system fields other than
//                                    active and ready (booleans, as sessiond
//                                    requires; constants cannot change,
//                                    properties.custom and roles stay
//                                    objects). The others are unchanged but
//                                    for `next` (I1) and `turn` (a boolean)
//  servers
//   S1 JSON limits only              the keys the write has
//
// Debug builds check the verdict against the client parser on the served
// bytes after every merge and abort if they differ; so does the merge
// fuzzer (fuzz/session_merge_fuzzer.cc), in every build.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include "sessiond/merge.h"
#include "sessionrig/status.h"

namespace sessionrig::sessiond {

// The start of every refusal message of the checks below.
inline constexpr std::string_view kUnreadableSessionPrefix =
    "the merged session would be refused by clients: ";

// The readability check of one write (the rules above): `document` is the
// merged document and `merged` the rest of what the merge of `delta`
// returned (its text, touched members, `created`). On creation the whole
// document is checked (CheckReadableByClients).
// REQUIRES: the document the write was applied to was readable by clients,
// as every stored document is. Errors: those of CheckReadableByClients, with
// the client parser's message for the field.
[[nodiscard]] Status CheckWriteReadable(const Json& document, const Json& delta,
                                        const MergeOutcome& merged);

}  // namespace sessionrig::sessiond
