// loadgen/membership.h: the membership invariants of a run, checked online
// from every session document the run receives (write responses, 412
// bodies, reads, the final reads) and the outcome of every write, in the
// lobby, churn and mixed scenarios (and capacity and ETag order in all).
//
// Invariants, per session (the names are the summary's and the
// `invariant` label of sessionrig_consistency_violations_total):
//  capacity            no document lists more members than its maxMembersCount;
//  acknowledged_join   a user whose join was acknowledged (200/201 listing the
//                      user) is a member of every later document of that
//                      session's life, until the user's leave is acknowledged
//                      or the session is deleted;
//  acknowledged_leave  after a user's leave was acknowledged (200 not listing
//                      the user, or 204), no later document lists the user,
//                      until the user's join is acknowledged again;
//  member_index        within one life of a session (from its creation to its
//                      deletion, told apart by correlationId), a member index
//                      never names two users;
//  etag_order          two documents of one life with the same changeNumber
//                      are the same state (same ETag and members), and one
//                      ETag never names two changeNumbers.
// "Later" is the server's order (changeNumber within a life), never the
// client's clock. (membersInfo first/next/count agreeing with the members
// and the `next` chain are checked by the core's parser on every response:
// a document that breaks them fails as a parse error before it gets here.)
//
// A member missing where an acknowledged join says it should be is a
// LIFECYCLE REMOVAL, not a violation, when the session's own constants
// explain it: its last observed status was not active and the timeout of
// that status (reserved, inactive, ready) is set and had passed since the
// join was acknowledged. The scenarios keep their members active, so they
// should see none.
//
// Unknown outcomes. A write with an unknown outcome (timeout, transport or
// parse error, an HTTP error that may have been applied, cancelled at the
// end) may or may not have been applied: its user is not judged in that
// session from then on (as the append check allows both outcomes).
//
// Out-of-order arrival. Responses reach the client in any order, so a
// document is judged only once every write to its session that was in
// flight when the document arrived has completed: any write sent after the
// document arrived was applied after the document's state existed, so it
// cannot change what the document should show. Pending documents are
// therefore bounded by the writes in flight.
//
// Cost. Each document is judged once, in time linear in its members and in
// the users with a recent acknowledged event in its life. Memory is bounded
// by sessions x members (per user the last kEventsPerUser events, per life
// the last kChangeWindow change numbers and kIndexWindow indices, per
// session the last kLivesPerSession lives), not by the run's length.
//
// Thread-safety: every method is thread-safe (sessions are sharded under
// their own mutexes); Finish() after the last call of the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/consistency.h"
#include "loadgen/write_status.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig::loadgen {

// The invariants' names.
inline constexpr char kInvariantCapacity[] = "capacity";
inline constexpr char kInvariantAcknowledgedJoin[] = "acknowledged_join";
inline constexpr char kInvariantAcknowledgedLeave[] = "acknowledged_leave";
inline constexpr char kInvariantMemberIndex[] = "member_index";
inline constexpr char kInvariantEtagOrder[] = "etag_order";

// The membership invariants, in the order above.
const std::vector<std::string>& MembershipInvariants();
// Every invariant a run can check: the membership ones, then
// "append_history" (consistency.h).
const std::vector<std::string>& ConsistencyInvariants();

inline constexpr std::size_t kEventsPerUser = 8;
inline constexpr std::size_t kChangeWindow = 1024;
inline constexpr std::size_t kIndexWindow = 8192;
inline constexpr std::size_t kLivesPerSession = 4;

enum class MemberState : std::uint8_t { kActive, kReady, kReserved, kInactive };

struct ObservedMember {
  std::uint32_t index = 0;
  std::uint64_t xuid = 0;
  MemberState state = MemberState::kInactive;
};

// A session document as the run received it, reduced to what the
// invariants need (ObserveHandle() in worker.cc fills it from the public
// getters).
struct ObservedDocument {
  std::string life;  // correlationId: one life of the session
  std::uint64_t change_number = 0;
  std::string etag;
  std::uint32_t max_members = 0;
  // A large session lists only the reader: capacity and presence are not
  // judged on it.
  bool large = false;
  // Member timeouts of constants.system, ms (0: none).
  std::uint64_t reserved_timeout_ms = 0;
  std::uint64_t inactive_timeout_ms = 0;
  std::uint64_t ready_timeout_ms = 0;
  std::vector<ObservedMember> members;
  std::int64_t received_us = 0;  // client clock, us since the run's start
};

enum class MembershipIntent : std::uint8_t {
  kNone,   // the write changes no membership (a property update, an append)
  kJoin,   // the writer joins ("me")
  kLeave,  // the writer leaves ("me": null)
};

// What a completed write says about its writer.
struct WriteFact {
  enum class Outcome : std::uint8_t {
    kApplied,   // 200/201 with the new state (the response document)
    kDeleted,   // 204: the write deleted the session
    kRejected,  // a definite refusal: 412, 409, 401/403, 404, 400
    kUnknown,   // may or may not have been applied
  };
  std::uint64_t xuid = 0;
  MembershipIntent intent = MembershipIntent::kNone;
  Outcome outcome = Outcome::kUnknown;
};

struct MembershipResult {
  // Violations per invariant; every membership invariant is present (0 when
  // none was found).
  std::map<std::string, std::uint64_t> violations;
  std::uint64_t documents = 0;           // documents judged
  std::uint64_t acknowledged = 0;        // acknowledged joins and leaves
  std::uint64_t lifecycle_removals = 0;  // explained by the session's timeouts
  std::vector<std::string> examples;     // the first few, human-readable
};

// `session` (a handle the core returned) as an observation received at
// `received_us`, through the public getters only.
ObservedDocument ObserveSession(XblMultiplayerSessionHandle session, std::int64_t received_us);

// What a write's counted status says about whether it was applied:
// updated/created applied, session_deleted deleted, out_of_sync, conflict,
// access_denied and not_found rejected; http_error (a 5xx may have been
// applied), transport_error, timeout, parse_error and a cancelled write
// (nullopt) unknown.
WriteFact::Outcome OutcomeOf(const std::optional<WriteStatus>& status);

// The membership intent of an action kind named `action` ("join", "leave";
// anything else changes no membership).
MembershipIntent IntentOf(std::string_view action);

class MembershipChecker {
 public:
  explicit MembershipChecker(std::size_t max_examples = 5);
  ~MembershipChecker();
  MembershipChecker(const MembershipChecker&) = delete;
  MembershipChecker& operator=(const MembershipChecker&) = delete;

  // A write to `session` (its name) is about to be sent; returns its ticket
  // for WriteCompleted. Every ticket must be completed (cancelled writes as
  // kUnknown).
  std::uint64_t WriteIssued(std::string_view session);

  // The write `ticket` completed. `response` is the document it returned
  // (200/201, or the 412's latest state), or null.
  void WriteCompleted(std::string_view session, std::uint64_t ticket, const WriteFact& fact,
                      const ObservedDocument* response);

  // A document read from `session` (a read's answer, a final read).
  void Observe(std::string_view session, ObservedDocument document);

  // The names of every session a write or a document was seen for.
  std::vector<std::string> Sessions();

  // Judges every document still pending (all writes are over) and returns
  // the result. Call once, after every other call returned.
  MembershipResult Finish();

 private:
  struct Session;
  struct Shard;

  Shard& ShardFor(std::string_view session);
  // Judges the pending documents of `s` that no longer wait for a write.
  // REQUIRES: the shard's mutex held.
  void Drain(std::string_view name, Session& s, bool all);
  void Judge(std::string_view name, Session& s, const ObservedDocument& d);
  void Violation(const char* invariant, std::string example);

  const std::size_t max_examples_;
  std::unique_ptr<Shard[]> shards_;

  std::mutex result_mu_;
  MembershipResult result_;  // Guarded by result_mu_
};

}  // namespace sessionrig::loadgen
