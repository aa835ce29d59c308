// loadgen/schedule.h: the open-loop arrival schedule (intended start times)
// and the drop policy for operations that cannot start in time.
//
// Arrival times come from the integral of the target rate, not from summing
// rounded intervals, so there is no drift: with Λ(t) = ∫0..t rate, arrival
// i (0-based) is intended at the t where Λ(t) = i, and the schedule holds
// every i with i < Λ(duration) (so a constant 100/s for 10 s plans exactly
// 1000 arrivals at 0, 10 ms, ..., 9.99 s). Ramping stages move the rate
// linearly from the previous stage's target (or the start rate) to their
// own target over their duration, as k6's ramping-arrival-rate does; a
// zero-length stage is a step change.
//
// Partitioning: shard i of N (--shard i/N, 0-based) takes arrivals i, i+N,
// ...; worker w of W within a shard takes the shard's arrivals w, w+W, ...
// Composed: global arrivals (i + N*w) + (N*W)*k. The shards' workers
// partition the arrivals exactly (disjoint, union = all), so share-nothing
// workers each own a sub-schedule and shards started at the same instant
// (--start-at) together produce the whole schedule.
//
// Thread-safety: thread-compatible; each worker owns its own copy.
// NextIntendedUs() neither allocates nor locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sessionrig/status.h"

namespace sessionrig::loadgen {

struct Stage {
  double target_rate = 0;                 // operations per second at the end of the stage
  std::chrono::microseconds duration{0};  // stage length
};

// Which part of the arrivals one worker of one shard owns. 0-based indices.
struct ArrivalPartition {
  std::uint32_t shard_index = 0;
  std::uint32_t shard_count = 1;
  std::uint32_t worker_index = 0;
  std::uint32_t worker_count = 1;
};

// Parses "--shard" values "I/N" (0 <= I < N, N >= 1) into the shard fields
// of an ArrivalPartition. Errors: kInvalidArgument naming the spec.
StatusOr<ArrivalPartition> ParseShard(std::string_view spec);

class OpenLoopSchedule {
 public:
  // Limits on what a schedule may plan (sanity, not performance).
  static constexpr double kMaxPlannedArrivals = 1e15;
  static constexpr std::size_t kMaxStages = 10000;

  // `rate` operations per second for `duration`. Errors: kInvalidArgument
  // unless rate > 0 and duration > 0 (both finite) and the plan is within
  // kMaxPlannedArrivals.
  static StatusOr<OpenLoopSchedule> Constant(double rate, std::chrono::microseconds duration);

  // Starts at `start_rate` (ops/s) and ramps linearly through `stages`.
  // Errors: kInvalidArgument for an empty stage list, more than kMaxStages,
  // a negative or non-finite rate, a negative duration, a total duration of
  // zero, or more than kMaxPlannedArrivals arrivals; messages name the stage.
  static StatusOr<OpenLoopSchedule> Ramping(double start_rate, const std::vector<Stage>& stages);

  // A fresh copy (cursor at its first arrival) restricted to the arrivals
  // `partition` owns. Errors: kInvalidArgument for a zero count or an index
  // >= its count.
  StatusOr<OpenLoopSchedule> Partitioned(const ArrivalPartition& partition) const;

  // The intended start time of this schedule's next arrival, microseconds
  // since run start, non-decreasing; nullopt when exhausted.
  std::optional<std::int64_t> NextIntendedUs();

  // Arrivals this (possibly partitioned) schedule yields in total.
  std::uint64_t Planned() const;
  // Arrivals of the whole, unpartitioned schedule.
  std::uint64_t TotalPlanned() const { return total_planned_; }
  // Arrivals NextIntendedUs() has returned so far.
  std::uint64_t Emitted() const { return emitted_; }
  // Length of the schedule, microseconds.
  std::int64_t DurationUs() const { return duration_us_; }
  // Target rate (ops/s, whole schedule) at `t_us` microseconds since run
  // start; 0 outside [0, DurationUs()). For the sessionrig_target_rate gauge.
  double RateAt(std::int64_t t_us) const;
  // Intended time of global arrival `index`, microseconds.
  // REQUIRES: index < TotalPlanned().
  std::int64_t ArrivalTimeUs(std::uint64_t index) const;

 private:
  struct Span {
    std::int64_t start_us = 0;
    std::int64_t duration_us = 0;
    double start_rate = 0;       // ops/s
    double end_rate = 0;         // ops/s
    double arrivals_before = 0;  // Λ at the start of the span
    double arrivals_after = 0;   // Λ at the end of the span
  };
  OpenLoopSchedule() = default;
  static StatusOr<OpenLoopSchedule> Build(double start_rate, const std::vector<Stage>& stages);
  std::int64_t TimeInSpan(const Span& span, std::uint64_t index) const;

  // Constant after construction.
  std::vector<Span> spans_;
  std::uint64_t total_planned_ = 0;
  std::int64_t duration_us_ = 0;
  std::uint64_t offset_ = 0;  // first global arrival this schedule owns
  std::uint64_t stride_ = 1;  // distance between owned global arrivals

  // Cursor.
  std::uint64_t emitted_ = 0;
  std::size_t span_cursor_ = 0;
};

// What to do with an operation whose intended start time has come (or
// passed): the runner's one drop rule (worker.cc applies exactly this).
// Operations are never silently skipped: a dropped one is counted in
// schedule.dropped and sessionrig_dropped_total, is not started and
// records no latency; every started one records corrected latency (from its
// intended time, so lag is included) and its lag. When the run ends, the
// operations that were due but had not started are dropped as well.
struct DropPolicy {
  enum class Decision {
    kWait,   // intended time still ahead: wait
    kStart,  // start now; lag = now - intended
    kDrop,   // later than max_lag: count as dropped, do not start
  };
  // An operation starting more than this after its intended time is
  // dropped (default 1 s). Use a very large value to never drop.
  std::chrono::microseconds max_lag{std::chrono::seconds(1)};

  // `now_us` and `intended_us` are microseconds since run start.
  Decision Decide(std::int64_t now_us, std::int64_t intended_us) const {
    if (now_us < intended_us) return Decision::kWait;
    return now_us - intended_us > max_lag.count() ? Decision::kDrop : Decision::kStart;
  }
};

}  // namespace sessionrig::loadgen
