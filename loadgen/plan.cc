#include "loadgen/plan.h"

#include <algorithm>
#include <string>
#include <utility>

namespace sessionrig::loadgen {

StatusOr<RunPlan> PlanRun(const Config& config, const std::vector<UserCredential>& users) {
  if (config.shard_count == 0 || config.shard_index >= config.shard_count) {
    return Status(StatusCode::kInvalidArgument, "--shard: index must be below the count");
  }
  if (config.shard_count > users.size()) {
    return Status(StatusCode::kInvalidArgument, "--shard: " + std::to_string(config.shard_count) +
                                                    " shards but " + std::to_string(users.size()) +
                                                    " users");
  }
  RunPlan plan;
  for (std::size_t u = config.shard_index; u < users.size(); u += config.shard_count) {
    plan.shard_users.push_back(users[u]);
  }
  for (std::uint32_t k = config.shard_index; k < config.sessions; k += config.shard_count) {
    plan.shard_sessions.push_back(k);
  }
  const auto worker_count = static_cast<std::uint32_t>(
      std::max<std::size_t>(1, std::min<std::size_t>(config.threads, plan.shard_users.size())));
  const std::uint32_t cap =
      std::max<std::uint32_t>(1, (config.max_inflight + worker_count - 1) / worker_count);

  std::optional<OpenLoopSchedule> warmup_schedule;
  if (!config.closed_loop()) {
    StatusOr<OpenLoopSchedule> s =
        config.stages.empty() ? OpenLoopSchedule::Constant(config.rate, config.duration)
                              : OpenLoopSchedule::Ramping(config.start_rate, config.stages);
    if (!s.ok()) {
      return Status(
          StatusCode::kInvalidArgument,
          std::string(config.stages.empty() ? "--rate: " : "--stages: ") + s.status().message());
    }
    plan.main_schedule = std::move(s).value();
    plan.warmup_rate =
        config.stages.empty()
            ? config.rate
            : (config.start_rate > 0 ? config.start_rate : config.stages[0].target_rate);
    if (config.warmup.count() > 0 && plan.warmup_rate > 0) {
      StatusOr<OpenLoopSchedule> w = OpenLoopSchedule::Constant(plan.warmup_rate, config.warmup);
      if (!w.ok()) return Status(StatusCode::kInvalidArgument, "--warmup: " + w.status().message());
      warmup_schedule = std::move(w).value();
    }
  }

  for (std::uint32_t w = 0; w < worker_count; ++w) {
    WorkerPlan wp;
    wp.index = w;
    for (std::size_t u = w; u < plan.shard_users.size(); u += worker_count) {
      wp.users.push_back(plan.shard_users[u]);
    }
    wp.sessions = plan.shard_sessions;
    const ArrivalPartition part{config.shard_index, config.shard_count, w, worker_count};
    if (plan.main_schedule) {
      StatusOr<OpenLoopSchedule> p = plan.main_schedule->Partitioned(part);
      if (!p.ok()) return p.status();
      wp.main = std::move(p).value();
    }
    if (warmup_schedule) {
      StatusOr<OpenLoopSchedule> p = warmup_schedule->Partitioned(part);
      if (!p.ok()) return p.status();
      wp.warmup = std::move(p).value();
    }
    wp.vus = config.vus / worker_count + (w < config.vus % worker_count ? 1 : 0);
    wp.cap = cap;
    wp.seed = config.seed * 0x9E3779B97F4A7C15ull + (std::uint64_t{config.shard_index} << 32) + w;
    plan.workers.push_back(std::move(wp));
  }
  return plan;
}

}  // namespace sessionrig::loadgen
