#include "loadgen/verdicts.h"

#include <string>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

TEST(ExitCodeTest, ConsistencyThenUnreachableThenThresholds) {
  Summary s;
  EXPECT_EQ(ExitCodeFor(s, false), kExitOk);
  s.thresholds.push_back(ThresholdResult{"p99<1ms", false, 2});
  EXPECT_EQ(ExitCodeFor(s, false), kExitThreshold);
  EXPECT_EQ(ExitCodeFor(s, true), kExitUnreachable);
  s.consistency.checked = true;
  s.consistency.verdict = "violated";
  EXPECT_EQ(ExitCodeFor(s, true), kExitConsistency);
  EXPECT_EQ(ExitCodeFor(s, false), kExitConsistency);
  s.thresholds.clear();
  s.consistency.verdict = "ok";
  EXPECT_EQ(ExitCodeFor(s, true), kExitUnreachable);
  // 1 is for usage and setup errors only, never a verdict.
  EXPECT_NE(kExitUnreachable, kExitUsage);
}

ReachabilityFacts Facts(std::int64_t last_response, std::int64_t last_failure,
                        std::uint64_t pending) {
  ReachabilityFacts f;
  f.end_us = 10'000'000;
  f.last_response_us = last_response;
  f.last_failure_us = last_failure;
  f.pending_at_end = pending;
  f.transport_failures = last_failure >= 0 ? 7 : 0;
  return f;
}

TEST(ReachabilityTest, AnsweringToTheEndIsReachable) {
  EXPECT_FALSE(AssessReachability(Facts(9'900'000, -1, 0), "http://x").unreachable);
  // Slow but answering: requests pending, an answer within the last second.
  EXPECT_FALSE(AssessReachability(Facts(9'500'000, -1, 40), "http://x").unreachable);
  // Failures, but answers after them and at the end.
  EXPECT_FALSE(AssessReachability(Facts(9'800'000, 5'000'000, 0), "http://x").unreachable);
  // Quiet at the end, with nothing failing or waiting (no load left).
  EXPECT_FALSE(AssessReachability(Facts(2'000'000, -1, 0), "http://x").unreachable);
}

TEST(ReachabilityTest, HungOrDeadTargetsAreUnreachableWithAReason) {
  // Hung: answers stopped at 2 s, requests waited until the end.
  Reachability hung = AssessReachability(Facts(2'000'000, -1, 50), "http://h:1");
  EXPECT_TRUE(hung.unreachable);
  EXPECT_NE(hung.reason.find("target http://h:1 stopped answering 2s after the start"),
            std::string::npos)
      << hung.reason;
  EXPECT_NE(hung.reason.find("50 requests got no answer"), std::string::npos) << hung.reason;
  // Died: transport failures after the last answer.
  Reachability died = AssessReachability(Facts(1'000'000, 9'990'000, 0), "http://h:1");
  EXPECT_TRUE(died.unreachable);
  EXPECT_NE(died.reason.find("7 requests failed"), std::string::npos) << died.reason;
  // Never answered.
  Reachability never = AssessReachability(Facts(-1, 9'000'000, 0), "http://h:1");
  EXPECT_TRUE(never.unreachable);
  EXPECT_NE(never.reason.find("never answered"), std::string::npos) << never.reason;
  // The window: an answer exactly kUnreachableWindowUs before the end is too old.
  EXPECT_TRUE(
      AssessReachability(Facts(10'000'000 - kUnreachableWindowUs, 9'999'999, 0), "x").unreachable);
  EXPECT_FALSE(AssessReachability(Facts(10'000'000 - kUnreachableWindowUs + 1, 9'000'000, 0), "x")
                   .unreachable);
}

}  // namespace
}  // namespace sessionrig::loadgen
