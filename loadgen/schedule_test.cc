#include "loadgen/schedule.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

std::vector<std::int64_t> Drain(OpenLoopSchedule schedule) {
  std::vector<std::int64_t> times;
  while (auto t = schedule.NextIntendedUs()) times.push_back(*t);
  return times;
}

TEST(ScheduleTest, ConstantRateHasExactCountAndSpacing) {
  StatusOr<OpenLoopSchedule> s = OpenLoopSchedule::Constant(100, seconds(10));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->Planned(), 1000u);
  EXPECT_EQ(s->TotalPlanned(), 1000u);
  EXPECT_EQ(s->DurationUs(), 10'000'000);
  const std::vector<std::int64_t> times = Drain(*s);
  ASSERT_EQ(times.size(), 1000u);
  for (std::size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(times[i], static_cast<std::int64_t>(i) * 10'000) << i;
  }
}

TEST(ScheduleTest, FractionalRateDoesNotDrift) {
  // 3 per second: intervals of 333333.33 us; the 3000th arrival must sit at
  // exactly 1000 s, not 3000 * 333333 us.
  StatusOr<OpenLoopSchedule> s = OpenLoopSchedule::Constant(3, seconds(1001));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->TotalPlanned(), 3003u);
  EXPECT_EQ(s->ArrivalTimeUs(3000), 1'000'000'000);
  EXPECT_EQ(s->ArrivalTimeUs(1), 333'333);
  EXPECT_EQ(s->ArrivalTimeUs(2), 666'667);
  // A rate whose total is not an integer plans the arrivals below it.
  StatusOr<OpenLoopSchedule> partial = OpenLoopSchedule::Constant(2.5, seconds(1));
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->TotalPlanned(), 3u);  // at 0, 0.4 s, 0.8 s
  EXPECT_EQ(Drain(*partial), (std::vector<std::int64_t>{0, 400'000, 800'000}));
}

TEST(ScheduleTest, RampFromZeroGrowsDensity) {
  StatusOr<OpenLoopSchedule> s = OpenLoopSchedule::Ramping(0, {Stage{100, seconds(10)}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->TotalPlanned(), 500u);
  const std::vector<std::int64_t> times = Drain(*s);
  ASSERT_EQ(times.size(), 500u);
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  EXPECT_LT(times.back(), 10'000'000);
  // Λ(t) = 5 t²: arrival i at sqrt(i / 5) seconds.
  EXPECT_EQ(times[0], 0);
  EXPECT_EQ(times[5], 1'000'000);
  EXPECT_EQ(times[125], 5'000'000);
  // Arrivals per second grow: 5, 15, 25, ... 95.
  std::vector<int> per_second(10, 0);
  for (std::int64_t t : times) ++per_second[static_cast<std::size_t>(t / 1'000'000)];
  for (std::size_t i = 0; i < per_second.size(); ++i) {
    EXPECT_EQ(per_second[i], 5 + 10 * static_cast<int>(i)) << "second " << i;
  }
  EXPECT_DOUBLE_EQ(s->RateAt(5'000'000), 50.0);
  EXPECT_DOUBLE_EQ(s->RateAt(10'000'000), 0.0);
}

TEST(ScheduleTest, MultiStageRampUpHoldDown) {
  // 0 -> 50/s over 2 s (50), hold 50/s for 4 s (200), step to 200/s for
  // 1 s (200), ramp down to 0 over 2 s (200).
  StatusOr<OpenLoopSchedule> s = OpenLoopSchedule::Ramping(
      0, {Stage{50, seconds(2)}, Stage{50, seconds(4)}, Stage{200, seconds(0)},
          Stage{200, seconds(1)}, Stage{0, seconds(2)}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->TotalPlanned(), 650u);
  const std::vector<std::int64_t> times = Drain(*s);
  ASSERT_EQ(times.size(), 650u);
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  EXPECT_EQ(times[50], 2'000'000);
  EXPECT_EQ(times[250], 6'000'000);
  EXPECT_EQ(times[450], 7'000'000);
  EXPECT_LT(times.back(), 9'000'000);
  for (std::size_t i = 0; i < times.size(); ++i) EXPECT_EQ(times[i], s->ArrivalTimeUs(i)) << i;
  EXPECT_DOUBLE_EQ(s->RateAt(3'000'000), 50.0);
  EXPECT_DOUBLE_EQ(s->RateAt(6'500'000), 200.0);
  EXPECT_DOUBLE_EQ(s->RateAt(8'000'000), 100.0);
}

TEST(ScheduleTest, RejectsBadInput) {
  EXPECT_FALSE(OpenLoopSchedule::Constant(0, seconds(1)).ok());
  EXPECT_FALSE(OpenLoopSchedule::Constant(-1, seconds(1)).ok());
  EXPECT_FALSE(OpenLoopSchedule::Constant(10, seconds(0)).ok());
  EXPECT_FALSE(OpenLoopSchedule::Constant(1e300, seconds(10)).ok());
  EXPECT_FALSE(OpenLoopSchedule::Ramping(0, {}).ok());
  EXPECT_FALSE(OpenLoopSchedule::Ramping(-1, {Stage{1, seconds(1)}}).ok());
  const Status bad_stage =
      OpenLoopSchedule::Ramping(0, {Stage{1, seconds(1)}, Stage{-5, seconds(1)}}).status();
  EXPECT_EQ(bad_stage.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_stage.message().find("stages[1].target_rate"), std::string::npos)
      << bad_stage.message();
  EXPECT_FALSE(OpenLoopSchedule::Ramping(0, {Stage{1, microseconds(-1)}}).ok());
  EXPECT_FALSE(OpenLoopSchedule::Ramping(5, {Stage{5, seconds(0)}}).ok());
  // All-zero rates are valid and plan nothing.
  StatusOr<OpenLoopSchedule> idle = OpenLoopSchedule::Ramping(0, {Stage{0, seconds(5)}});
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->Planned(), 0u);
  EXPECT_FALSE(idle->NextIntendedUs().has_value());
}

// Collects the global indices a partitioned schedule yields via their times.
TEST(ScheduleTest, WorkerAndShardSplitsPartitionExactly) {
  StatusOr<OpenLoopSchedule> whole = OpenLoopSchedule::Ramping(10, {Stage{1000, seconds(3)}});
  ASSERT_TRUE(whole.ok());
  const std::vector<std::int64_t> all = Drain(*whole);
  ASSERT_EQ(all.size(), whole->TotalPlanned());

  for (std::uint32_t shards : {1u, 3u}) {
    for (std::uint32_t workers : {1u, 4u, 7u}) {
      std::multiset<std::int64_t> union_times;
      std::uint64_t planned_sum = 0;
      for (std::uint32_t shard = 0; shard < shards; ++shard) {
        for (std::uint32_t worker = 0; worker < workers; ++worker) {
          StatusOr<OpenLoopSchedule> part =
              whole->Partitioned(ArrivalPartition{shard, shards, worker, workers});
          ASSERT_TRUE(part.ok());
          planned_sum += part->Planned();
          const std::vector<std::int64_t> times = Drain(*part);
          EXPECT_EQ(times.size(), part->Planned());
          // Worker w of shard i owns global arrivals (i + N*w) + N*W*k.
          for (std::size_t k = 0; k < times.size(); ++k) {
            const std::uint64_t global = shard + static_cast<std::uint64_t>(shards) * worker +
                                         static_cast<std::uint64_t>(shards) * workers * k;
            EXPECT_EQ(times[k], all[global]);
          }
          union_times.insert(times.begin(), times.end());
        }
      }
      EXPECT_EQ(planned_sum, all.size()) << shards << "x" << workers;
      EXPECT_EQ(union_times, std::multiset<std::int64_t>(all.begin(), all.end()));
    }
  }
}

TEST(ScheduleTest, ShardThenWorkerSplitComposes) {
  StatusOr<OpenLoopSchedule> whole = OpenLoopSchedule::Constant(1000, seconds(1));
  ASSERT_TRUE(whole.ok());
  StatusOr<OpenLoopSchedule> shard = whole->Partitioned(ArrivalPartition{1, 2, 0, 1});
  ASSERT_TRUE(shard.ok());
  StatusOr<OpenLoopSchedule> nested = shard->Partitioned(ArrivalPartition{0, 1, 2, 3});
  StatusOr<OpenLoopSchedule> direct = whole->Partitioned(ArrivalPartition{1, 2, 2, 3});
  ASSERT_TRUE(nested.ok() && direct.ok());
  EXPECT_EQ(Drain(*nested), Drain(*direct));
  EXPECT_FALSE(whole->Partitioned(ArrivalPartition{2, 2, 0, 1}).ok());
  EXPECT_FALSE(whole->Partitioned(ArrivalPartition{0, 1, 0, 0}).ok());
}

TEST(ScheduleTest, ParsesShardSpecs) {
  StatusOr<ArrivalPartition> p = ParseShard("2/5");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->shard_index, 2u);
  EXPECT_EQ(p->shard_count, 5u);
  for (const char* bad : {"", "1", "5/5", "1/0", "a/2", "1/2/3", "-1/2", "1 /2"}) {
    const Status s = ParseShard(bad).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("--shard '"), std::string::npos) << s.message();
  }
}

TEST(ScheduleTest, DropPolicyDecides) {
  DropPolicy policy;
  EXPECT_EQ(policy.max_lag, seconds(1));
  EXPECT_EQ(policy.Decide(100, 200), DropPolicy::Decision::kWait);
  EXPECT_EQ(policy.Decide(200, 200), DropPolicy::Decision::kStart);
  EXPECT_EQ(policy.Decide(1'000'200, 200), DropPolicy::Decision::kStart);
  EXPECT_EQ(policy.Decide(1'000'201, 200), DropPolicy::Decision::kDrop);
}

// A consumer that needs 2 ms per operation fed 1000 ops/s: it falls
// behind by 1 ms per operation until the lag bound, then drops about every
// second operation. Virtual time: no sleeping.
TEST(ScheduleTest, OverloadedConsumerCountsDrops) {
  StatusOr<OpenLoopSchedule> s = OpenLoopSchedule::Constant(1000, seconds(2));
  ASSERT_TRUE(s.ok());
  DropPolicy policy;
  policy.max_lag = microseconds(100'000);
  constexpr std::int64_t kServiceUs = 2000;
  std::int64_t now = 0;
  std::uint64_t started = 0;
  std::uint64_t dropped = 0;
  std::int64_t max_lag = 0;
  while (auto intended = s->NextIntendedUs()) {
    switch (policy.Decide(now, *intended)) {
      case DropPolicy::Decision::kWait:
        now = *intended;
        [[fallthrough]];
      case DropPolicy::Decision::kStart:
        max_lag = std::max(max_lag, now - *intended);
        ++started;
        now += kServiceUs;
        break;
      case DropPolicy::Decision::kDrop:
        ++dropped;
        break;
    }
  }
  EXPECT_EQ(started + dropped, s->Planned());
  EXPECT_LE(max_lag, 100'000);
  // Capacity is 500/s over ~2.1 s of service: about 1050 started.
  EXPECT_GT(dropped, 850u);
  EXPECT_LT(dropped, 1000u);
  // An unloaded consumer drops nothing.
  StatusOr<OpenLoopSchedule> light = OpenLoopSchedule::Constant(100, seconds(2));
  ASSERT_TRUE(light.ok());
  now = 0;
  dropped = 0;
  while (auto intended = light->NextIntendedUs()) {
    if (policy.Decide(now, *intended) == DropPolicy::Decision::kDrop) ++dropped;
    now = std::max(now, *intended) + kServiceUs;
  }
  EXPECT_EQ(dropped, 0u);
}

// Real clock, loose bounds: a paced loop starts no operation early and
// keeps the typical lag small.
TEST(ScheduleTest, OpenLoopTimingHonouredOnRealClock) {
  StatusOr<OpenLoopSchedule> s = OpenLoopSchedule::Constant(200, std::chrono::milliseconds(500));
  ASSERT_TRUE(s.ok());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::int64_t> lags;
  while (auto intended = s->NextIntendedUs()) {
    std::this_thread::sleep_until(start + microseconds(*intended));
    const auto now_us =
        std::chrono::duration_cast<microseconds>(std::chrono::steady_clock::now() - start).count();
    lags.push_back(now_us - *intended);
  }
  ASSERT_EQ(lags.size(), 100u);
  for (std::int64_t lag : lags) EXPECT_GE(lag, 0);
  std::sort(lags.begin(), lags.end());
  EXPECT_LT(lags[lags.size() / 2], 50'000) << "median lag us";
}

}  // namespace
}  // namespace sessionrig::loadgen
