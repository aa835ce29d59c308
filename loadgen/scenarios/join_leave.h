// loadgen/scenarios/join_leave.h: the membership engine that the lobby,
// churn and mixed scenarios share: users join sessions as "me", leave
// them again, and (mixed) update session properties, each as a
// read-modify-write with the chosen --mode and 412 retries on the
// returned state (see scenario.h for the mode rules).
//
// Each user alternates: a user who is not seated joins a session chosen by
// Zipf(theta) popularity (a full one: lobby moves on to another popular
// one); a seated user leaves it. With update_fraction > 0
// that share of arrivals instead writes a session custom property.
//
// Scenario statistics (measured phase only):
//   counters   create_races      writes that tried to create a session and
//                                found it existed (412 on If-None-Match: *)
//              found_full        joins that found their session full (409 or
//                                a full document); lobby moves on, others fail
//              join_gave_up      joins that found kMaxJoinHops sessions (or
//                                all of them) full
//              lobby_fills       joins that made a session full (track_fills)
//   histograms fill_time_us      first current member's join to the join
//                                that filled the session (track_fills)
//              joins_per_user    successful joins of each user (track_fills;
//                                printed with Jain's fairness index)
//
// Thread-safety: one object per worker thread (Scenario contract).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "loadgen/scenario.h"
#include "loadgen/zipf.h"

namespace sessionrig::loadgen {

struct JoinLeaveOptions {
  bool move_on_full = false;           // 409 or a full session: try the next one (lobby)
  bool track_fills = false;            // fill time and per-user fairness (lobby)
  std::uint64_t empty_timeout_ms = 0;  // sessionEmptyTimeout of the sessions it creates, ms
  double update_fraction = 0;          // share of arrivals that update a property (mixed)
};

class JoinLeaveScenario : public Scenario {
 public:
  // Action kinds (ActionNames order).
  static constexpr std::uint8_t kJoin = 0;
  static constexpr std::uint8_t kLeave = 1;
  static constexpr std::uint8_t kUpdate = 2;
  // A join that found this many sessions full gives up (a title's
  // matchmaker does not scan every lobby either).
  static constexpr std::uint32_t kMaxJoinHops = 8;

  JoinLeaveScenario(const ScenarioEnv& env, JoinLeaveOptions options);

  Step Begin(Action& a) override;
  Step OnRead(Action& a, HRESULT hr, XblMultiplayerSessionHandle session) override;
  Step OnWrite(Action& a, const WriteOutcome& w) override;
  void Finish(ScenarioOutput* out) override;

 private:
  struct User {
    std::int64_t seated = -1;  // scenario-local session index, -1 when in none
    std::uint32_t joins = 0;   // successful joins in the measured phase
  };

  Step FirstJoinOrUpdateStep(Action& a);
  Step FirstLeaveStep(Action& a);
  // The change of `a.kind` applied to a new handle: on `base` (duplicated)
  // when given, else on a fresh local handle (with constants when it may
  // create the session).
  void Prepare(Action& a, XblMultiplayerSessionHandle base, bool with_constants);
  Step WriteSync(Action& a, XblMultiplayerSessionHandle base);
  Step MoveOn(Action& a);
  bool IsFull(XblMultiplayerSessionHandle session) const;
  void RecordFill(XblMultiplayerSessionHandle session, bool measured);
  void SetReference(Action& a) const;

  // Constant after construction.
  const Config& config_;
  const ScenarioKind kind_;
  const JoinLeaveOptions options_;
  const std::vector<std::uint64_t> xuids_;
  const std::vector<std::uint32_t> sessions_;
  const ZipfSampler popularity_;
  const std::uint32_t worker_index_;

  Rng rng_;
  std::vector<User> users_;
  std::uint64_t update_counter_ = 0;
  struct Counters {
    std::uint64_t create_races = 0;
    std::uint64_t found_full = 0;
    std::uint64_t join_gave_up = 0;
    std::uint64_t lobby_fills = 0;
  } counters_;  // measured phase only
  HdrHistogram fill_time_us_;
};

}  // namespace sessionrig::loadgen
