#include "loadgen/membership.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sessionrig::loadgen {
namespace {

constexpr std::uint64_t kA = 1001;
constexpr std::uint64_t kB = 1002;
constexpr std::uint64_t kC = 1003;

// A document of life "L1" at `cn` listing `members` (index = position
// unless given), max 4 members.
ObservedDocument Doc(std::uint64_t cn, std::vector<ObservedMember> members,
                     std::string life = "L1") {
  ObservedDocument d;
  d.life = std::move(life);
  d.change_number = cn;
  d.etag = "\"e-" + std::to_string(cn) + "\"";
  d.max_members = 4;
  d.members = std::move(members);
  return d;
}

ObservedMember M(std::uint32_t index, std::uint64_t xuid,
                 MemberState state = MemberState::kActive) {
  return {index, xuid, state};
}

WriteFact Fact(std::uint64_t xuid, MembershipIntent intent,
               WriteFact::Outcome outcome = WriteFact::Outcome::kApplied) {
  return {xuid, intent, outcome};
}

// An acknowledged write of `xuid` whose response is `response`.
void Ack(MembershipChecker& c, std::uint64_t xuid, MembershipIntent intent,
         const ObservedDocument& response, const std::string& session = "s") {
  const std::uint64_t t = c.WriteIssued(session);
  c.WriteCompleted(session, t, Fact(xuid, intent), &response);
}

std::uint64_t Total(const MembershipResult& r) {
  std::uint64_t n = 0;
  for (const auto& [name, count] : r.violations) n += count;
  return n;
}

TEST(MembershipTest, ALegalHistoryHasNoViolation) {
  MembershipChecker c;
  Ack(c, kA, MembershipIntent::kJoin, Doc(1, {M(0, kA)}));
  Ack(c, kB, MembershipIntent::kJoin, Doc(2, {M(0, kA), M(1, kB)}));
  c.Observe("s", Doc(2, {M(0, kA), M(1, kB)}));
  Ack(c, kA, MembershipIntent::kLeave, Doc(3, {M(1, kB)}));
  Ack(c, kA, MembershipIntent::kJoin, Doc(4, {M(1, kB), M(2, kA)}));
  // Older states arriving late are judged by the server's order.
  c.Observe("s", Doc(1, {M(0, kA)}));
  c.Observe("s", Doc(3, {M(1, kB)}));
  const MembershipResult r = c.Finish();
  EXPECT_EQ(Total(r), 0u);
  for (const std::string& e : r.examples) ADD_FAILURE() << e;
  EXPECT_EQ(r.acknowledged, 4u);
  EXPECT_EQ(r.documents, 7u);
  EXPECT_EQ(r.violations.size(), MembershipInvariants().size());
}

TEST(MembershipTest, Capacity) {
  MembershipChecker c;
  ObservedDocument d = Doc(5, {M(0, kA), M(1, kB), M(2, kC)});
  d.max_members = 2;
  c.Observe("s", d);
  const MembershipResult r = c.Finish();
  EXPECT_EQ(r.violations.at(kInvariantCapacity), 1u);
  ASSERT_EQ(r.examples.size(), 1u);
  EXPECT_NE(r.examples[0].find("capacity: session s: changeNumber 5 (ETag \"e-5\") lists 3 "
                               "members, over its maxMembersCount 2"),
            std::string::npos)
      << r.examples[0];
}

TEST(MembershipTest, AnAcknowledgedJoinThatVanishes) {
  MembershipChecker c;
  Ack(c, kA, MembershipIntent::kJoin, Doc(3, {M(0, kA)}));
  c.Observe("s", Doc(7, {M(1, kB)}));  // A never left
  c.Observe("s", Doc(2, {}));          // before the join: fine
  const MembershipResult r = c.Finish();
  EXPECT_EQ(r.violations.at(kInvariantAcknowledgedJoin), 1u);
  EXPECT_EQ(Total(r), 1u);
  ASSERT_EQ(r.examples.size(), 1u);
  EXPECT_NE(r.examples[0].find("user 1001 joined at changeNumber 3 (ETag \"e-3\") and is missing "
                               "at changeNumber 7 (ETag \"e-7\")"),
            std::string::npos)
      << r.examples[0];
}

TEST(MembershipTest, AnAcknowledgedLeaveThatDidNotHappen) {
  MembershipChecker c;
  Ack(c, kA, MembershipIntent::kJoin, Doc(1, {M(0, kA)}));
  Ack(c, kA, MembershipIntent::kLeave, Doc(2, {}));
  c.Observe("s", Doc(4, {M(0, kA)}));
  const MembershipResult r = c.Finish();
  EXPECT_EQ(r.violations.at(kInvariantAcknowledgedLeave), 1u);
  EXPECT_EQ(Total(r), 1u);
  EXPECT_NE(r.examples.at(0).find("user 1001 left at changeNumber 2"), std::string::npos);
}

TEST(MembershipTest, AMemberIndexReused) {
  MembershipChecker c;
  c.Observe("s", Doc(1, {M(0, kA)}));
  c.Observe("s", Doc(3, {M(0, kB)}));
  // A new life (the session was deleted and created again) starts over.
  c.Observe("s", Doc(1, {M(0, kC)}, "L2"));
  const MembershipResult r = c.Finish();
  EXPECT_EQ(r.violations.at(kInvariantMemberIndex), 1u);
  EXPECT_EQ(Total(r), 1u);
  EXPECT_NE(r.examples.at(0).find("member index 0 named user 1001 and, at changeNumber 3"),
            std::string::npos);
}

TEST(MembershipTest, EtagOrder) {
  MembershipChecker c;
  c.Observe("s", Doc(4, {M(0, kA)}));
  c.Observe("s", Doc(4, {M(0, kA)}));            // the same state twice: fine
  c.Observe("s", Doc(4, {M(0, kA), M(1, kB)}));  // changeNumber 4 as another state
  ObservedDocument reused = Doc(6, {M(0, kA)});
  reused.etag = "\"e-5\"";
  c.Observe("s", Doc(5, {M(0, kA)}));
  c.Observe("s", reused);  // ETag "e-5" at changeNumber 6
  const MembershipResult r = c.Finish();
  EXPECT_EQ(r.violations.at(kInvariantEtagOrder), 2u);
}

TEST(MembershipTest, DocumentsWaitForWritesInFlightWhenTheyArrived) {
  // A read arrives (cn 9, A missing) while A's leave is in flight; the leave
  // was applied at cn 8. Judged at arrival with only the join known, it would
  // be a false violation; judged after the leave completes, it is fine.
  MembershipChecker c;
  Ack(c, kA, MembershipIntent::kJoin, Doc(5, {M(0, kA)}));
  const std::uint64_t leave = c.WriteIssued("s");
  c.Observe("s", Doc(9, {}));
  const ObservedDocument left = Doc(8, {});
  c.WriteCompleted("s", leave, Fact(kA, MembershipIntent::kLeave), &left);
  // A write sent after the read arrived cannot change how it is judged.
  const std::uint64_t later = c.WriteIssued("s");
  const ObservedDocument rejoin = Doc(10, {M(1, kA)});
  c.WriteCompleted("s", later, Fact(kA, MembershipIntent::kJoin), &rejoin);
  const MembershipResult r = c.Finish();
  EXPECT_EQ(Total(r), 0u);
  for (const std::string& e : r.examples) ADD_FAILURE() << e;
}

TEST(MembershipTest, UnknownOutcomesAllowBothAnswers) {
  MembershipChecker c;
  Ack(c, kA, MembershipIntent::kJoin, Doc(1, {M(0, kA)}));
  // A's leave timed out: it may or may not have been applied.
  const std::uint64_t t = c.WriteIssued("s");
  c.WriteCompleted("s", t, Fact(kA, MembershipIntent::kLeave, WriteFact::Outcome::kUnknown),
                   nullptr);
  c.Observe("s", Doc(4, {}));
  c.Observe("s", Doc(3, {M(0, kA)}));
  const MembershipResult r = c.Finish();
  EXPECT_EQ(Total(r), 0u);
}

TEST(MembershipTest, LifecycleRemovalsAreCountedApart) {
  MembershipChecker c;
  ObservedDocument joined = Doc(1, {M(0, kA, MemberState::kInactive)});
  joined.inactive_timeout_ms = 100;
  joined.received_us = 1'000'000;
  Ack(c, kA, MembershipIntent::kJoin, joined);
  ObservedDocument later = Doc(2, {});
  later.inactive_timeout_ms = 100;
  later.received_us = 1'200'000;  // 200 ms later: the inactive timeout explains it
  c.Observe("s", later);
  ObservedDocument too_soon = Doc(3, {});
  too_soon.inactive_timeout_ms = 100;
  too_soon.received_us = 1'050'000;  // 50 ms: it does not
  c.Observe("s", too_soon);
  const MembershipResult r = c.Finish();
  EXPECT_EQ(r.lifecycle_removals, 1u);
  EXPECT_EQ(r.violations.at(kInvariantAcknowledgedJoin), 1u);
}

TEST(MembershipTest, AJoinIsAcknowledgedOnlyWhenTheResponseListsTheUser) {
  MembershipChecker c;
  Ack(c, kA, MembershipIntent::kJoin, Doc(1, {M(0, kB)}));  // 200 without A: not a join of A
  c.Observe("s", Doc(2, {M(0, kB)}));
  const MembershipResult r = c.Finish();
  EXPECT_EQ(r.acknowledged, 0u);
  EXPECT_EQ(Total(r), 0u);
}

TEST(MembershipTest, MemoryIsBoundedPerUserNotByTheRunsLength) {
  MembershipChecker c;
  // 10,000 join/leave cycles of one user in one life: the checker keeps the
  // last kEventsPerUser events, and still judges every document correctly.
  std::uint64_t cn = 0;
  for (std::uint32_t i = 0; i < 10000; ++i) {
    Ack(c, kA, MembershipIntent::kJoin, Doc(++cn, {M(i, kA)}));
    Ack(c, kA, MembershipIntent::kLeave, Doc(++cn, {}));
  }
  c.Observe("s", Doc(cn + 1, {M(20000, kB)}));
  const MembershipResult r = c.Finish();
  EXPECT_EQ(Total(r), 0u);
  EXPECT_EQ(r.acknowledged, 20000u);
}

}  // namespace
}  // namespace sessionrig::loadgen
