#include "sessiond/faults.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sessionrig::sessiond {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SessiondFaults, DurationsUseTheOneGrammar) {
  // Minutes and hours too, as on loadgen's command line; a unit is required.
  auto plan = ParseFaultSpecs({"stall=at:1.5m,for:30s", "latency=fixed:0.5ms"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->stall->at, Micros(90'000'000));
  EXPECT_EQ(plan->stall->for_, Micros(30'000'000));
  EXPECT_EQ(plan->latency->a, Micros(500));
  for (const char* bad : {"stall=at:5,for:1s", "stall=at:-1ms,for:1s", "stall=at:25h,for:1s",
                          "latency=fixed:5min", "latency=fixed:abc"}) {
    EXPECT_FALSE(ParseFaultSpecs({bad}).ok()) << bad;
  }
}

TEST(SessiondFaults, ParsesEveryKind) {
  auto plan = ParseFaultSpecs({"latency=lognormal:median=2ms,p99=20ms", "error=503:0.01",
                               "error=429:0.5,retry_after=3s", "stall=at:5s,for:2s",
                               "malformed=truncated:0.01", "malformed=reset:1"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_TRUE(plan->latency);
  EXPECT_EQ(plan->latency->kind, LatencySpec::Kind::kLognormal);
  EXPECT_EQ(plan->latency->a, Micros(2000));
  EXPECT_EQ(plan->latency->b, Micros(20000));
  ASSERT_EQ(plan->errors.size(), 2u);
  EXPECT_EQ(plan->errors[1].status, 429u);
  EXPECT_EQ(plan->errors[1].retry_after, seconds(3));
  ASSERT_TRUE(plan->stall);
  EXPECT_EQ(plan->stall->at, Micros(5000000));
  EXPECT_EQ(plan->stall->for_, Micros(2000000));
  ASSERT_EQ(plan->malformed.size(), 2u);
  EXPECT_EQ(plan->malformed[1].kind, WireFault::kReset);
  EXPECT_EQ(plan->specs.size(), 6u);
  EXPECT_TRUE(ParseFaultSpecs({"latency=fixed:5ms"}).ok());
  EXPECT_TRUE(ParseFaultSpecs({"latency=uniform:1ms-10ms"}).ok());
  EXPECT_TRUE(ParseFaultSpecs({}).ok());
}

TEST(SessiondFaults, RefusesBadSpecsWithAClearMessage) {
  for (const char* bad :
       {"latency", "latency=fixed", "latency=fixed:5", "latency=uniform:10ms-1ms",
        "latency=uniform:5ms", "latency=lognormal:median=5ms",
        "latency=lognormal:median=5ms,p99=1ms", "latency=gamma:1ms", "error=404:0.1", "error=503",
        "error=503:1.5", "error=503:0.1,retry=1s", "stall=at:5s", "stall=for:1s,at:x",
        "malformed=garbage:0.1", "malformed=reset", "explode=1"}) {
    auto plan = ParseFaultSpecs({bad});
    ASSERT_FALSE(plan.ok()) << bad;
    EXPECT_NE(plan.status().message().find(bad), std::string::npos) << plan.status().message();
  }
  EXPECT_FALSE(ParseFaultSpecs({"latency=fixed:1ms", "latency=fixed:2ms"}).ok());
  EXPECT_FALSE(ParseFaultSpecs({"error=503:0.1", "error=503:0.2"}).ok());
}

TEST(SessiondFaults, DecisionsFollowThePlan) {
  FaultInjector injector;
  const SteadyTime t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(injector.Decide(t0).error_status, 0u);
  EXPECT_TRUE(injector.specs().empty());

  injector.SetPlan(*ParseFaultSpecs({"error=500:1", "malformed=bad_etag:1", "latency=fixed:3ms"}),
                   t0);
  FaultDecision d = injector.Decide(t0);
  EXPECT_EQ(d.error_status, 500u);
  EXPECT_EQ(d.wire, WireFault::kNone);  // an injected error is not also damaged
  EXPECT_EQ(d.latency, Micros(3000));

  injector.SetPlan(*ParseFaultSpecs({"error=503:0", "malformed=invalid_json:1"}), t0);
  d = injector.Decide(t0);
  EXPECT_EQ(d.error_status, 0u);
  EXPECT_EQ(d.wire, WireFault::kInvalidJson);

  injector.SetPlan(*ParseFaultSpecs({"stall=at:1s,for:2s"}), t0);
  EXPECT_EQ(injector.Decide(t0 + milliseconds(999)).stall, Micros(0));
  EXPECT_EQ(injector.Decide(t0 + seconds(1)).stall, Micros(2000000));
  EXPECT_EQ(injector.Decide(t0 + milliseconds(2500)).stall, Micros(500000));
  EXPECT_EQ(injector.Decide(t0 + seconds(3)).stall, Micros(0));

  injector.SetPlan(FaultPlan{}, t0);
  EXPECT_EQ(injector.Decide(t0).wire, WireFault::kNone);
}

TEST(SessiondFaults, RatesAndDistributionsAreRoughlyRight) {
  FaultInjector injector;
  const SteadyTime t0 = std::chrono::steady_clock::now();
  injector.SetPlan(*ParseFaultSpecs({"error=429:0.25", "latency=uniform:1ms-3ms"}), t0);
  int errors = 0;
  constexpr int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    FaultDecision d = injector.Decide(t0);
    errors += d.error_status == 429 ? 1 : 0;
    ASSERT_GE(d.latency, Micros(1000));
    ASSERT_LE(d.latency, Micros(3000));
  }
  EXPECT_NEAR(errors / double{kN}, 0.25, 0.02);

  injector.SetPlan(*ParseFaultSpecs({"latency=lognormal:median=2ms,p99=20ms"}), t0);
  std::vector<std::int64_t> draws;
  for (int i = 0; i < kN; ++i) draws.push_back(injector.Decide(t0).latency.count());
  std::sort(draws.begin(), draws.end());
  EXPECT_NEAR(static_cast<double>(draws[kN / 2]), 2000, 200);
  EXPECT_NEAR(static_cast<double>(draws[kN * 99 / 100]), 20000, 4000);
}

}  // namespace
}  // namespace sessionrig::sessiond
