// sessiond/store.h: the session store: a sharded map of sessions, each with
// its own mutex, so that the compare-and-apply of a conditional write is
// atomic per session while writes to different sessions never share a lock
// (the shard lock is held only to find or insert an entry).
//
// ETags are strong and never reused within a process: a random per-process
// prefix and a global atomic counter, quoted ("\"3f9a0c1b2d4e5f60-17\"").
//
// Thread-safety: SessionStore is thread-safe. Lock order: a shard mutex
// and a session mutex are never held together.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sessiond/merge.h"
#include "sessiond/metrics.h"
#include "sessionrig/status.h"
#include "sessionrig/thread_annotations.h"

namespace sessionrig::sessiond {

class Metrics;

// The conditional headers of a write, parsed.
struct Preconditions {
  // If-Match: absent, "*", or a list of entity-tags (quoted; weak ones never
  // match, RFC 9110 strong comparison).
  bool if_match_present = false;
  bool if_match_any = false;
  std::vector<std::string> if_match;
  // If-None-Match: absent, "*", or a list (weak comparison).
  bool if_none_match_present = false;
  bool if_none_match_any = false;
  std::vector<std::string> if_none_match;
};

// Parses an If-Match / If-None-Match value into (any, tags). Errors:
// kBadEtag when an element is not "*", "..." or W/"...".
[[nodiscard]] Status ParseEntityTagList(std::string_view value, bool* any,
                                        std::vector<std::string>* tags);

// A session as stored: the serialized document and its ETag. The body is
// shared, immutable, and stays valid after the session changes.
struct SessionView {
  std::shared_ptr<const std::string> body;
  std::string etag;
  // Set for a large session (capabilities.large), which each caller is
  // served differently (RenderForCaller): the document itself, immutable.
  std::shared_ptr<const Json> large_document;

  // The bytes to send to `caller_xuid` ("" when unknown).
  std::string BodyFor(std::string_view caller_xuid) const;
};

enum class WriteOutcome {
  kUpdated,             // 200: a new version (new ETag, changeNumber + 1), even for a no-op delta
  kCreated,             // 201
  kDeleted,             // 204: the write emptied the session (sessionEmptyTimeout 0)
  kPreconditionFailed,  // 412: `view` holds the current state, or no body if absent
  kRefused,             // 400/409/413 from the merge: `status` says why; nothing changed
  kStoreFull,           // 503: creating would exceed max_sessions
  kInternal,            // 500: the merged document failed validation; nothing changed
};

struct WriteResult {
  WriteOutcome outcome = WriteOutcome::kInternal;
  std::optional<SessionView> view;  // the state to return (not for 204/400/409/503)
  Status status;                    // why, for kRefused / kInternal
};

struct StoreOptions {
  std::size_t shards = 64;            // independent map shards
  std::size_t max_sessions = 100000;  // creations beyond this get kStoreFull
  std::int64_t max_members_per_session = mpsd::kMaxMembersCountLarge;
  // TEST ONLY: apply writes even when If-Match does not match (a lost-update
  // bug on purpose, to prove consistency checkers). Never set from a CLI.
  bool testing_ignore_if_match = false;
  // TEST ONLY (ServerOptions says what each does): accept members beyond
  // maxMembersCount; drop a member on every Nth write (0: never).
  bool testing_skip_capacity_check = false;
  std::uint32_t testing_drop_member_every = 0;
};

class SessionStore {
 public:
  // `metrics` may be null; otherwise it must outlive the store.
  SessionStore(StoreOptions options, Metrics* metrics);
  ~SessionStore();
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // The current state of `key`, or nullopt when there is no such session.
  std::optional<SessionView> Read(std::string_view key) const;

  // Evaluates `pre` against the current state and, when satisfied, merges
  // `delta` and stores the result under a new ETag, all under the session's
  // mutex: a creation through MergeDelta, an update in place on the stored
  // document (MergeDeltaInPlace; a refusal takes it back, so a refused
  // write changes nothing). `context` needs caller_xuid and
  // contract_version; the store fills in time, identifiers and limits.
  WriteResult Write(std::string_view key, const Preconditions& pre, const Json& delta,
                    MergeContext context);

  // Applies the member lifecycle and session timeouts due at `now`.
  //
  // A member's status is active (properties.system.active true), else ready
  // (properties.system.ready true), else reserved (`reserved` true), else
  // inactive. A member that has been in one status without a break is
  // removed once that status's timeout has passed since it entered it:
  //   reserved  constants.system.reservedRemovalTimeout (null: never)
  //   ready     constants.system.readyRemovalTimeout    (null: never)
  //   inactive  constants.system.inactiveRemovalTimeout (0 or null: never)
  //   active    never
  // (a write that changes the member's status restarts its clock; one that
  // leaves the status as it was does not). The removals of one sweep are one
  // new version of the session (new ETag, changeNumber + 1) and count in
  // sessiond_members_removed_total{reason=<status>}. A session emptied by
  // removals is deleted at once when sessionEmptyTimeout is 0 (as a PUT
  // that empties it is answered 204), else once it has been empty for
  // sessionEmptyTimeout; null: never. Writes record their time with
  // steady_clock::now(), so tests pass a later `now` to move time forward.
  // Returns how many sessions were deleted.
  std::size_t Sweep(std::chrono::steady_clock::time_point now);

  std::size_t session_count() const { return live_sessions_.load(std::memory_order_relaxed); }

 private:
  // A member whose status has a removal timeout: the status, and when the
  // member entered it.
  struct MemberClock {
    MemberRemovalReason status;
    std::chrono::steady_clock::time_point since;
  };
  struct Session {
    explicit Session(std::string k) : key(std::move(k)) {}

    const std::string key;
    Mutex mu;
    // Removed from the map (or about to be): writers that find it retry the
    // lookup. Written under mu; read without it to skip dead entries.
    std::atomic<bool> dead{false};
    // Some timeout may be pending (an empty session, or a member whose
    // status has a removal timeout); read by Sweep without mu to find
    // candidates.
    std::atomic<bool> has_timers{false};

    bool exists GUARDED_BY(mu) = false;  // false: an entry for a create in progress
    // Valid per ValidateDocument when exists; updates merge into it in place.
    Json doc GUARDED_BY(mu);
    SessionView view GUARDED_BY(mu);  // doc serialized, and its ETag
    // Where doc's parts are in view.body, so the next write re-serializes
    // only what it changes (empty after a sweep: that write serializes all).
    DocumentParts parts GUARDED_BY(mu);
    // When the session became empty (only while sessionEmptyTimeout > 0).
    std::optional<std::chrono::steady_clock::time_point> empty_since GUARDED_BY(mu);
    // Members whose status has a removal timeout, by index.
    std::map<std::int64_t, MemberClock> member_clocks GUARDED_BY(mu);
  };
  struct Shard {
    mutable Mutex mu;
    std::unordered_map<std::string, std::shared_ptr<Session>> map GUARDED_BY(mu);
  };

  Shard& ShardFor(std::string_view key) const;
  // The live entry for `key`, inserting an empty (non-existing) one if needed.
  std::shared_ptr<Session> FindOrInsert(std::string_view key);
  // Removes `session` from its shard if the entry is still `session`.
  void Erase(std::string_view key, const Session* session);
  std::string NextEtag();
  // The write on `s` with its mutex held. Sets *erase when `s` must leave
  // its shard (a placeholder whose create failed, or a deleted session):
  // the caller erases it after releasing the session's mutex (lock order).
  WriteResult WriteLocked(Session& s, const Preconditions& pre, const Json& delta,
                          MergeContext& context, std::chrono::steady_clock::time_point now,
                          bool* erase) REQUIRES(s.mu);
  // Sweep's work on one session; true when the session was deleted (the
  // caller then erases it from its shard).
  bool SweepLocked(Session& s, std::chrono::steady_clock::time_point now) REQUIRES(s.mu);
  // Marks `s` deleted and updates the gauges (the caller erases it).
  void Retire(Session& s, std::int64_t members_before) REQUIRES(s.mu);
  // Makes `s.doc` (already the new document), serialized as `text` (its
  // parts at `parts`, or empty), the new state of `s`: a new ETag, timers.
  // REQUIRES: CheckReadableByClients(s.doc, text.size()).ok().
  void Commit(Session& s, std::string text, DocumentParts parts,
              std::chrono::steady_clock::time_point now) REQUIRES(s.mu);

  // Constant after construction.
  const StoreOptions options_;
  Metrics* const metrics_;
  const std::string etag_prefix_;
  std::unique_ptr<Shard[]> shards_;

  std::atomic<std::uint64_t> etag_counter_{0};
  std::atomic<std::size_t> live_sessions_{0};
  std::atomic<std::uint64_t> testing_writes_{0};  // counts writes for testing_drop_member_every
};

// Current UTC time as ISO 8601 with milliseconds ("2024-01-02T03:04:05.678Z").
std::string NowIso8601();

}  // namespace sessionrig::sessiond
