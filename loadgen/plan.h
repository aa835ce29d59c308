// loadgen/plan.h: how one `loadgen run` divides its work, as a pure
// function of the configuration and the users: shard i of N owns users and
// sessions i, i+N, i+2N, ... and every N-th arrival of the schedule (from
// its i-th); within the shard, worker w of W owns the shard's users w,
// w+W, ... and every W-th of the shard's arrivals, shares the shard's
// sessions, runs vus/W (+1 for the first vus%W) virtual users and at most
// ceil(max_inflight/W) actions at once. Together the shards' workers
// produce exactly the whole schedule (schedule.h).
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "loadgen/config.h"
#include "loadgen/schedule.h"
#include "loadgen/users.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

// What the runner hands one worker.
struct WorkerPlan {
  std::uint32_t index = 0;  // within the shard
  std::vector<UserCredential> users;
  // Their current tokens, refreshed during the run (--target); null: the
  // fixed ones in `users` (the embedded sessiond's outlive the run).
  const Credentials* credentials = nullptr;
  std::vector<std::uint32_t> sessions;     // the shard's sessions (global indices), shared
  std::optional<OpenLoopSchedule> warmup;  // its part of the warm-up schedule (open loop)
  std::optional<OpenLoopSchedule> main;    // its part of the measured schedule (open loop)
  std::uint32_t vus = 0;                   // closed loop: its virtual users
  std::uint32_t cap = 1;                   // actions in flight at once
  std::uint64_t seed = 1;                  // its random choices
};

struct RunPlan {
  std::vector<UserCredential> shard_users;  // this shard's users, in order
  std::vector<std::uint32_t> shard_sessions;
  std::vector<WorkerPlan> workers;  // min(threads, shard users) of them
  // The whole measured schedule (open loop; unpartitioned), for the target
  // rate gauge and the progress line.
  std::optional<OpenLoopSchedule> main_schedule;
  double warmup_rate = 0;  // arrivals per second of the warm-up (open loop)
};

// Plans `config` (REQUIRES: ResolveAndValidate succeeded) over `users`,
// every shard's users in order. Errors: kInvalidArgument naming the flag:
// more shards than users (--shard), a schedule that cannot be built
// (--rate, --stages, --warmup).
StatusOr<RunPlan> PlanRun(const Config& config, const std::vector<UserCredential>& users);

}  // namespace sessionrig::loadgen
