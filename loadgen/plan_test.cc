#include "loadgen/plan.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

std::vector<UserCredential> Users(std::size_t n) {
  std::vector<UserCredential> users;
  for (std::size_t i = 0; i < n; ++i)
    users.push_back({EmbeddedXuid(i), "auth" + std::to_string(i)});
  return users;
}

Config Resolved(const std::vector<std::pair<const char*, std::string>>& fields) {
  Config c;
  for (const auto& [key, value] : fields) {
    const Status s = SetField(key, value, &c);
    EXPECT_TRUE(s.ok()) << key << ": " << s.ToString();
  }
  const Status s = ResolveAndValidate(&c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

TEST(PlanTest, ShardsAndWorkersPartitionUsersSessionsAndArrivalsExactly) {
  const std::vector<UserCredential> users = Users(50);
  std::set<std::uint64_t> seen_users;
  std::set<std::uint32_t> seen_sessions;
  std::uint64_t arrivals = 0;
  std::uint64_t total = 0;
  std::set<std::uint64_t> seeds;
  for (std::uint32_t shard = 0; shard < 3; ++shard) {
    const Config c = Resolved({{"rate", "123"},
                               {"duration", "7s"},
                               {"sessions", "20"},
                               {"threads", "4"},
                               {"max_inflight", "10"},
                               {"shard", std::to_string(shard) + "/3"}});
    StatusOr<RunPlan> plan = PlanRun(c, users);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_EQ(plan->workers.size(), 4u);
    for (std::uint32_t k : plan->shard_sessions) {
      EXPECT_EQ(k % 3, shard);
      EXPECT_TRUE(seen_sessions.insert(k).second) << "session " << k << " in two shards";
    }
    std::size_t shard_users = 0;
    for (const WorkerPlan& w : plan->workers) {
      EXPECT_EQ(w.sessions, plan->shard_sessions);  // workers share the shard's sessions
      EXPECT_EQ(w.cap, 3u);                         // ceil(10 / 4)
      ASSERT_TRUE(w.main.has_value());
      EXPECT_FALSE(w.warmup.has_value());
      arrivals += w.main->Planned();
      EXPECT_TRUE(seeds.insert(w.seed).second);
      for (const UserCredential& u : w.users) {
        EXPECT_TRUE(seen_users.insert(u.xuid).second) << "user " << u.xuid << " twice";
        ++shard_users;
      }
    }
    EXPECT_EQ(shard_users, plan->shard_users.size());
    ASSERT_TRUE(plan->main_schedule.has_value());
    total = plan->main_schedule->TotalPlanned();
    EXPECT_DOUBLE_EQ(plan->warmup_rate, 123);
  }
  EXPECT_EQ(seen_users.size(), users.size());
  EXPECT_EQ(seen_sessions.size(), 20u);
  EXPECT_EQ(total, 861u);  // 123/s for 7 s
  EXPECT_EQ(arrivals, total);
}

TEST(PlanTest, ClosedLoopSplitsVirtualUsersAndWarmupFollowsTheFirstStage) {
  const Config closed = Resolved({{"vus", "10"}, {"threads", "4"}});
  StatusOr<RunPlan> plan = PlanRun(closed, Users(100));
  ASSERT_TRUE(plan.ok());
  std::uint32_t vus = 0;
  for (const WorkerPlan& w : plan->workers) {
    EXPECT_FALSE(w.main.has_value());
    vus += w.vus;
  }
  EXPECT_EQ(vus, 10u);
  EXPECT_EQ(plan->workers[0].vus, 3u);
  EXPECT_EQ(plan->workers[3].vus, 2u);
  EXPECT_FALSE(plan->main_schedule.has_value());

  const Config ramp = Resolved({{"stages", "2s:100,2s:300"}, {"warmup", "1s"}, {"threads", "2"}});
  plan = PlanRun(ramp, Users(10));
  ASSERT_TRUE(plan.ok());
  EXPECT_DOUBLE_EQ(plan->warmup_rate, 100);  // the first stage's target (start rate 0)
  std::uint64_t warm = 0;
  for (const WorkerPlan& w : plan->workers) warm += w.warmup->Planned();
  EXPECT_EQ(warm, 100u);
}

TEST(PlanTest, FewerUsersThanThreadsMeansFewerWorkers) {
  const Config c = Resolved({{"threads", "8"}, {"users", "3"}});
  StatusOr<RunPlan> plan = PlanRun(c, Users(3));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->workers.size(), 3u);
  for (const WorkerPlan& w : plan->workers) EXPECT_EQ(w.users.size(), 1u);
}

TEST(PlanTest, ErrorsNameTheFlag) {
  Config c = Resolved({{"shard", "2/4"}, {"users", "8"}});
  StatusOr<RunPlan> plan = PlanRun(c, Users(3));  // a token file with 3 users
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message().rfind("--shard: 4 shards but 3 users", 0), 0u)
      << plan.status().message();
}

}  // namespace
}  // namespace sessionrig::loadgen
