// loadgen/consistency.h: the linear-time consistency check of the append
// scenario.
//
// In the append scenario every write is a read-modify-write that appends a
// unique token to a list in `properties.custom` under If-Match. Workers
// record one WriteRecord per write; at the end the final document of each
// session (its ETag and token list) is read and CheckAppendHistory() decides
// whether the history is one the service could legally have produced.
//
// What is checked, per session (each rule yields violations with a
// human-readable example; the prefix before ':' names the rule):
//  1. "shared prior ETag": no two acknowledged writes have the same
//     prior_etag (two winners of one If-Match race = a lost update).
//     "duplicate new ETag": no two acknowledged writes report the same new
//     ETag. "missing ETag": every acknowledged write reports a new ETag.
//  2. The ETag successor chain: the edges prior_etag -> new_etag of the
//     acknowledged writes form one line that covers every acknowledged write
//     and ends at the final document's ETag. The line's first prior_etag is
//     unconstrained (the ETag the session had when the run started, or ""
//     for a write that created the session).
//     A write whose outcome is unknown (timeout, transport error) may have
//     been applied; its new ETag is then unknown to us. So the line may have
//     gaps, each bridged by unknown-outcome writes: the acknowledged edges
//     form segments, and every segment that does not end at the final ETag
//     must end at an ETag that some unknown-outcome write used as its prior
//     ETag (that write continued the line). Violations:
//       "ETag cycle": acknowledged edges that form a cycle;
//       "chain does not end at final ETag": no segment ends at the final
//         ETag and the last segment is not continued by an unknown write;
//       "broken chain": any other segment end that nothing continues (a
//         fork's losing branch, or a write applied on top of a state the
//         history never produced).
//  3. The final token list:
//       "lost update": every acknowledged token appears;
//       "duplicated token": no acknowledged token appears more than once;
//       "rejected token present": no token of a write rejected with 412;
//       "unknown token repeated": tokens of unknown-outcome writes at most
//         once (they may appear anywhere, or not at all);
//       "out of order": acknowledged tokens appear in chain order: within a
//         segment in edge order, and each segment contiguous (only
//         unknown-outcome tokens may sit between segments); when a segment
//         ends at the final ETag its tokens come last;
//       "foreign token": a token no write in the history appended;
//       "token reused": two writes of the history carry the same token (the
//         history itself is unusable; reported, not silently accepted).
// Every violation instance is counted in `violations`; the first
// `max_examples` are kept as examples. Rejected (412) writes are otherwise
// ignored. Time: O(history + final list) expected (hash maps); the maps
// hold views into the inputs, which must outlive the call.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sessionrig::loadgen {

// One write of the append scenario, as the worker saw it.
struct WriteRecord {
  enum Outcome {
    kAcknowledged,  // 2xx with a new ETag: the write was applied
    kRejected,      // 412: the write was not applied
    kUnknown,       // timeout / transport error: may or may not have been applied
  };
  std::string prior_etag;  // the If-Match ETag; "" for a write that created the session
  std::string new_etag;    // the response ETag (acknowledged writes only)
  Outcome outcome = kUnknown;
  std::string token;          // the unique token the write appended
  std::int64_t start_us = 0;  // send time, us since run start
  std::int64_t end_us = 0;    // completion time, us since run start
};

// The append history check's name among the invariants a run checks
// (membership.h names the others).
inline constexpr char kInvariantAppendHistory[] = "append_history";

struct ConsistencyResult {
  bool checked = false;
  std::string verdict = "not_checked";  // "ok" | "violated" | "not_checked"
  std::uint64_t acknowledged = 0;       // acknowledged writes checked
  std::uint64_t violations = 0;         // violation instances found
  std::vector<std::string> examples;    // the first few, human-readable
  // Which invariants ran (membership.h's names, "append_history"), and the
  // violations each found (every invariant that ran has an entry).
  std::vector<std::string> checks;
  std::map<std::string, std::uint64_t> by_invariant;
  // Members missing that the session's own timeouts explain (membership.h).
  std::uint64_t lifecycle_removals = 0;
};

// Checks one session's history against its final document (ETag and token
// list) by the rules at the top of this file.
ConsistencyResult CheckAppendHistory(const std::vector<WriteRecord>& history,
                                     const std::string& final_etag,
                                     const std::vector<std::string>& final_tokens,
                                     std::size_t max_examples = 5);

// The history and final document of one session.
struct SessionHistory {
  std::string session;  // name, used to prefix examples
  std::vector<WriteRecord> writes;
  std::string final_etag;
  std::vector<std::string> final_tokens;
};

// Checks every session and merges the results; examples are prefixed with
// "session <name>: ". Not checked when `sessions` is empty.
ConsistencyResult CheckAppendSessions(const std::vector<SessionHistory>& sessions,
                                      std::size_t max_examples = 5);

// Combines results (sessions, workers or shards, or the invariants of one
// run): checked if any was checked; verdict "violated" if any violated, else
// "ok" if any checked, else "not_checked"; acknowledged, violations,
// by_invariant and lifecycle_removals summed; checks united (in first-seen
// order); examples concatenated in order up to `max_examples`.
ConsistencyResult MergeConsistencyResults(const std::vector<ConsistencyResult>& results,
                                          std::size_t max_examples = 5);

}  // namespace sessionrig::loadgen
