// The member lifecycle in virtual time: SessionStore::Sweep takes the time
// it applies the timeouts at, so every deadline here is exact and no test
// sleeps. A write records its time with steady_clock::now(); each test takes
// `before` ahead of the writes and `after` behind them, so a sweep at
// before + timeout - 1 ms is early for sure and one at after + timeout is
// late for sure, however slow the machine.
#include "sessiond/store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sessiond/metrics.h"

namespace sessionrig::sessiond {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kKey[] = "scid/lobby/s1";

class SessiondStoreLifecycleTest : public ::testing::Test {
 protected:
  SessiondStoreLifecycleTest() : store_(StoreOptions{}, &metrics_) {}

  WriteResult Write(const std::string& xuid, const std::string& delta) {
    MergeContext context;
    context.caller_xuid = xuid;
    return store_.Write(kKey, Preconditions{}, Json::parse(delta), context);
  }

  // Creates the session with `system_constants` (a JSON object's members)
  // and `xuid` as its first member with `member`.
  void Create(const std::string& system_constants, const std::string& xuid,
              const std::string& member) {
    const WriteResult r = Write(xuid, R"({"constants":{"system":{)" + system_constants +
                                          R"(}},"members":{"me":)" + member + "}}");
    ASSERT_EQ(r.outcome, WriteOutcome::kCreated) << r.status.ToString();
  }

  void Join(const std::string& xuid, const std::string& member) {
    const WriteResult r = Write(xuid, R"({"members":{"me":)" + member + "}}");
    ASSERT_EQ(r.outcome, WriteOutcome::kUpdated) << r.status.ToString();
  }

  std::optional<Json> Doc() const {
    auto v = store_.Read(kKey);
    if (!v) return std::nullopt;
    return Json::parse(*v->body);
  }
  std::string Etag() const {
    auto v = store_.Read(kKey);
    return v ? v->etag : "";
  }

  // The xuids of the members, in index order.
  std::vector<std::string> Xuids() const {
    std::vector<std::string> out;
    auto doc = Doc();
    if (!doc) return out;
    for (const auto& [k, m] : (*doc)["members"].items()) {
      out.push_back(m["constants"]["system"]["xuid"].get<std::string>());
    }
    return out;
  }

  double Removed(MemberRemovalReason reason) const { return metrics_.members_removed(reason); }

  Metrics metrics_;
  SessionStore store_;
};

constexpr char kActive[] = R"({"properties":{"system":{"active":true}}})";
constexpr char kReady[] = R"({"properties":{"system":{"ready":true}}})";
constexpr char kInactive[] = R"({})";

TEST_F(SessiondStoreLifecycleTest, InactiveMembersAreRemovedAfterInactiveRemovalTimeout) {
  const auto before = Clock::now();
  Create(R"("inactiveRemovalTimeout":1000)", "1", kActive);
  Join("2", kInactive);
  Join("3", R"({"properties":{"system":{"active":false}}})");
  const auto after = Clock::now();
  const std::string etag = Etag();
  const std::int64_t change = (*Doc())["changeNumber"].get<std::int64_t>();

  EXPECT_EQ(store_.Sweep(before + milliseconds(999)), 0u);
  EXPECT_EQ(Xuids(), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(Etag(), etag);  // nothing due: no new version

  EXPECT_EQ(store_.Sweep(after + milliseconds(1000)), 0u);
  EXPECT_EQ(Xuids(), std::vector<std::string>{"1"});
  // The removal is one new version.
  EXPECT_NE(Etag(), etag);
  EXPECT_EQ((*Doc())["changeNumber"].get<std::int64_t>(), change + 1);
  EXPECT_EQ((*Doc())["membersInfo"]["count"], 1);
  EXPECT_TRUE(ValidateDocument(*Doc()).ok());
  EXPECT_EQ(Removed(MemberRemovalReason::kInactive), 2);
  EXPECT_EQ(metrics_.members(), 1);

  // An active member is never removed.
  EXPECT_EQ(store_.Sweep(after + std::chrono::hours(24 * 365)), 0u);
  EXPECT_EQ(Xuids(), std::vector<std::string>{"1"});
}

TEST_F(SessiondStoreLifecycleTest, InactiveRemovalTimeoutZeroMeansNever) {
  Create(R"("inactiveRemovalTimeout":0,"readyRemovalTimeout":1000)", "1", kInactive);
  const auto after = Clock::now();
  const std::string etag = Etag();
  EXPECT_EQ(store_.Sweep(after + std::chrono::hours(24 * 365)), 0u);
  EXPECT_EQ(Xuids(), std::vector<std::string>{"1"});
  EXPECT_EQ(Etag(), etag);
  EXPECT_EQ(Removed(MemberRemovalReason::kInactive), 0);
}

TEST_F(SessiondStoreLifecycleTest, ReadyMembersAreRemovedAfterReadyRemovalTimeout) {
  const auto before = Clock::now();
  Create(R"("readyRemovalTimeout":2000)", "1", kActive);
  Join("2", kReady);
  const auto ready_at = Clock::now();
  // A later write that keeps member 2 ready does not restart its clock (the
  // pause only makes "later" certain on a coarse clock).
  std::this_thread::sleep_for(milliseconds(2));
  Join("2", R"({"properties":{"custom":{"loadout":"a"}}})");
  EXPECT_EQ(store_.Sweep(before + milliseconds(1999)), 0u);
  EXPECT_EQ(Xuids(), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(store_.Sweep(ready_at + milliseconds(2000)), 0u);
  EXPECT_EQ(Xuids(), std::vector<std::string>{"1"});
  EXPECT_EQ(Removed(MemberRemovalReason::kReady), 1);
  EXPECT_EQ(Removed(MemberRemovalReason::kInactive), 0);
}

TEST_F(SessiondStoreLifecycleTest, AStatusChangeRestartsTheClock) {
  Create(R"("readyRemovalTimeout":2000)", "1", kActive);
  Join("2", kReady);
  // Member 2 becomes active (no timeout), then ready again: its ready clock
  // starts at that last write.
  Join("2", kActive);
  const auto ready_again = Clock::now();
  Join("2", R"({"properties":{"system":{"active":false,"ready":true}}})");
  const auto after = Clock::now();
  EXPECT_EQ(store_.Sweep(ready_again + milliseconds(1999)), 0u);
  EXPECT_EQ(Xuids(), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(store_.Sweep(after + milliseconds(2000)), 0u);
  EXPECT_EQ(Xuids(), std::vector<std::string>{"1"});
}

TEST_F(SessiondStoreLifecycleTest, ReservationsCountAsReserved) {
  const auto before = Clock::now();
  Create(R"("reservedRemovalTimeout":500)", "1", kActive);
  ASSERT_EQ(
      Write("1", R"({"members":{"reserve_0":{"constants":{"system":{"xuid":"7"}}}}})").outcome,
      WriteOutcome::kUpdated);
  const auto after = Clock::now();
  EXPECT_EQ(store_.Sweep(before + milliseconds(499)), 0u);
  EXPECT_EQ(Xuids(), (std::vector<std::string>{"1", "7"}));
  EXPECT_EQ(store_.Sweep(after + milliseconds(500)), 0u);
  EXPECT_EQ(Xuids(), std::vector<std::string>{"1"});
  EXPECT_EQ(Removed(MemberRemovalReason::kReserved), 1);
}

TEST_F(SessiondStoreLifecycleTest, ASessionEmptiedByRemovalsIsDeletedWhenEmptyTimeoutIsZero) {
  Create(R"("readyRemovalTimeout":1000,"inactiveRemovalTimeout":3000,"sessionEmptyTimeout":0)", "1",
         kReady);
  Join("2", kInactive);
  const auto after = Clock::now();
  EXPECT_EQ(store_.Sweep(after + milliseconds(1000)), 0u);  // the ready one goes first
  EXPECT_EQ(Xuids(), std::vector<std::string>{"2"});
  EXPECT_EQ(store_.Sweep(after + milliseconds(3000)), 1u);  // the last one: the session goes
  EXPECT_FALSE(Doc().has_value());
  EXPECT_EQ(store_.session_count(), 0u);
  EXPECT_EQ(metrics_.sessions(), 0);
  EXPECT_EQ(metrics_.members(), 0);
  EXPECT_EQ(Removed(MemberRemovalReason::kReady), 1);
  EXPECT_EQ(Removed(MemberRemovalReason::kInactive), 1);
  // The name is free again: a new session starts over.
  ASSERT_EQ(Write("3", R"({"members":{"me":{}}})").outcome, WriteOutcome::kCreated);
}

TEST_F(SessiondStoreLifecycleTest, ASessionEmptiedByRemovalsWaitsForItsEmptyTimeout) {
  Create(R"("inactiveRemovalTimeout":1000,"sessionEmptyTimeout":5000)", "1", kInactive);
  const auto after = Clock::now();
  const std::string etag = Etag();
  const auto removal_at = after + milliseconds(1000);
  EXPECT_EQ(store_.Sweep(removal_at), 0u);
  // Empty, as a new version; still there until sessionEmptyTimeout after the removal.
  ASSERT_TRUE(Doc().has_value());
  EXPECT_TRUE(Xuids().empty());
  EXPECT_NE(Etag(), etag);
  EXPECT_EQ(store_.Sweep(removal_at + milliseconds(4999)), 0u);
  EXPECT_TRUE(Doc().has_value());
  EXPECT_EQ(store_.Sweep(removal_at + milliseconds(5000)), 1u);
  EXPECT_FALSE(Doc().has_value());
}

}  // namespace
}  // namespace sessionrig::sessiond
