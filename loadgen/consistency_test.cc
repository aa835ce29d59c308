#include "loadgen/consistency.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

WriteRecord Ack(std::string prior, std::string next, std::string token) {
  return WriteRecord{
      std::move(prior), std::move(next), WriteRecord::kAcknowledged, std::move(token), 0, 0};
}
WriteRecord Rejected(std::string prior, std::string token) {
  return WriteRecord{std::move(prior), "", WriteRecord::kRejected, std::move(token), 0, 0};
}
WriteRecord Unknown(std::string prior, std::string token) {
  return WriteRecord{std::move(prior), "", WriteRecord::kUnknown, std::move(token), 0, 0};
}

// A correct history: creation then appends e0 -> e1 -> e2 -> e3, with two
// 412 losers along the way.
std::vector<WriteRecord> LinearHistory() {
  return {Ack("", "e0", "t0"),   Ack("e0", "e1", "t1"), Rejected("e0", "x1"),
          Ack("e1", "e2", "t2"), Rejected("e1", "x2"),  Ack("e2", "e3", "t3")};
}
const std::vector<std::string> kLinearTokens = {"t0", "t1", "t2", "t3"};

bool HasExample(const ConsistencyResult& r, const std::string& prefix) {
  for (const std::string& e : r.examples) {
    if (e.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string Examples(const ConsistencyResult& r) {
  std::string out;
  for (const std::string& e : r.examples) out += "  " + e + "\n";
  return out;
}

TEST(ConsistencyTest, CorrectLinearHistoryIsOk) {
  const ConsistencyResult r = CheckAppendHistory(LinearHistory(), "e3", kLinearTokens);
  EXPECT_TRUE(r.checked);
  EXPECT_EQ(r.verdict, "ok") << Examples(r);
  EXPECT_EQ(r.acknowledged, 4u);
  EXPECT_EQ(r.violations, 0u);
  EXPECT_TRUE(r.examples.empty());
}

TEST(ConsistencyTest, EmptyHistoryIsOk) {
  const ConsistencyResult r = CheckAppendHistory({}, "e0", {});
  EXPECT_EQ(r.verdict, "ok");
  EXPECT_EQ(r.acknowledged, 0u);
}

TEST(ConsistencyTest, SharedPriorEtagIsViolation) {
  // Two writes both won the If-Match race on e1.
  std::vector<WriteRecord> h = {Ack("", "e0", "t0"), Ack("e0", "e1", "t1"), Ack("e1", "e2", "t2"),
                                Ack("e1", "e2b", "t2b")};
  const ConsistencyResult r = CheckAppendHistory(h, "e2", {"t0", "t1", "t2", "t2b"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_TRUE(
      HasExample(r,
                 "shared prior ETag: acknowledged writes of tokens \"t2\" and \"t2b\" both had "
                 "prior ETag \"e1\""))
      << Examples(r);
}

TEST(ConsistencyTest, BrokenChainIsViolation) {
  // e2 is never continued, yet a write applied on top of e5, which the
  // history never produced.
  std::vector<WriteRecord> h = {Ack("", "e0", "t0"), Ack("e0", "e1", "t1"), Ack("e1", "e2", "t2"),
                                Ack("e5", "e6", "t3")};
  const ConsistencyResult r = CheckAppendHistory(h, "e6", {"t0", "t1", "t2", "t3"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.violations, 1u) << Examples(r);
  EXPECT_TRUE(
      HasExample(r, "broken chain: ETag \"e2\" produced by the acknowledged write of token \"t2\""))
      << Examples(r);
}

TEST(ConsistencyTest, ForkIsViolation) {
  // The document forked at e1 into two lines; only one can be final.
  std::vector<WriteRecord> h = {Ack("", "e0", "t0"), Ack("e0", "e1", "t1"), Ack("e1", "a2", "ta"),
                                Ack("e1", "b2", "tb"), Ack("b2", "b3", "tc")};
  const ConsistencyResult r = CheckAppendHistory(h, "b3", {"t0", "t1", "tb", "tc", "ta"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_TRUE(HasExample(r, "shared prior ETag")) << Examples(r);
  EXPECT_TRUE(HasExample(r, "broken chain: ETag \"a2\"")) << Examples(r);
}

TEST(ConsistencyTest, ChainNotEndingAtFinalEtagIsViolation) {
  const ConsistencyResult r = CheckAppendHistory(LinearHistory(), "e2", kLinearTokens);
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.violations, 1u) << Examples(r);
  EXPECT_TRUE(
      HasExample(r,
                 "chain does not end at final ETag: the acknowledged chain ends at ETag \"e3\" "
                 "(token \"t3\") but the final document has ETag \"e2\""))
      << Examples(r);
}

TEST(ConsistencyTest, EtagCycleIsViolation) {
  std::vector<WriteRecord> h = {Ack("", "e0", "t0"), Ack("e1", "e2", "t1"), Ack("e2", "e1", "t2")};
  const ConsistencyResult r = CheckAppendHistory(h, "e0", {"t0", "t1", "t2"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_TRUE(HasExample(r, "ETag cycle")) << Examples(r);
}

TEST(ConsistencyTest, LostUpdateIsViolation) {
  const ConsistencyResult r = CheckAppendHistory(LinearHistory(), "e3", {"t0", "t1", "t3"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.violations, 1u) << Examples(r);
  EXPECT_TRUE(HasExample(r,
                         "lost update: acknowledged token \"t2\" (ETag \"e1\" -> \"e2\") is "
                         "missing from the final list"))
      << Examples(r);
}

TEST(ConsistencyTest, DuplicatedTokenIsViolation) {
  const ConsistencyResult r =
      CheckAppendHistory(LinearHistory(), "e3", {"t0", "t1", "t2", "t2", "t3"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.violations, 1u) << Examples(r);
  EXPECT_TRUE(HasExample(r, "duplicated token: acknowledged token \"t2\" appears more than once"))
      << Examples(r);
}

TEST(ConsistencyTest, RejectedTokenPresentIsViolation) {
  const ConsistencyResult r =
      CheckAppendHistory(LinearHistory(), "e3", {"t0", "t1", "x2", "t2", "t3"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.violations, 1u) << Examples(r);
  EXPECT_TRUE(
      HasExample(r,
                 "rejected token present: token \"x2\" of a write rejected with 412 (prior ETag "
                 "\"e1\") is in the final list at position 2"))
      << Examples(r);
}

TEST(ConsistencyTest, UnknownTokenTwiceIsViolation) {
  std::vector<WriteRecord> h = LinearHistory();
  h.push_back(Unknown("e3", "u1"));
  const ConsistencyResult r = CheckAppendHistory(h, "e4", {"t0", "t1", "t2", "t3", "u1", "u1"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.violations, 1u) << Examples(r);
  EXPECT_TRUE(HasExample(r, "unknown token repeated: token \"u1\"")) << Examples(r);
}

TEST(ConsistencyTest, OutOfOrderTokensAreViolation) {
  const ConsistencyResult r = CheckAppendHistory(LinearHistory(), "e3", {"t0", "t2", "t1", "t3"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.violations, 1u) << Examples(r);
  EXPECT_TRUE(
      HasExample(r,
                 "out of order: token \"t1\" follows token \"t2\" in the final list but precedes "
                 "it in the ETag chain"))
      << Examples(r);
}

TEST(ConsistencyTest, ForeignTokenIsViolation) {
  const ConsistencyResult r =
      CheckAppendHistory(LinearHistory(), "e3", {"t0", "t1", "zz", "t2", "t3"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_TRUE(HasExample(r, "foreign token: \"zz\" at position 2")) << Examples(r);
}

TEST(ConsistencyTest, MissingNewEtagIsViolation) {
  std::vector<WriteRecord> h = {Ack("", "e0", "t0"), Ack("e0", "", "t1")};
  const ConsistencyResult r = CheckAppendHistory(h, "e0", {"t0", "t1"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_TRUE(HasExample(r, "missing ETag: the acknowledged write of token \"t1\"")) << Examples(r);
}

TEST(ConsistencyTest, UnknownOutcomeWriteMayBridgeAGap) {
  // u1 timed out but was applied (e1 -> e2, whose ETag we never saw); the
  // next acknowledged write built on e2.
  std::vector<WriteRecord> h = {Ack("", "e0", "t0"), Ack("e0", "e1", "t1"), Unknown("e1", "u1"),
                                Ack("e2", "e3", "t3")};
  EXPECT_EQ(CheckAppendHistory(h, "e3", {"t0", "t1", "u1", "t3"}).verdict, "ok");
  // ... or it was not applied and its token is absent: a gap nobody fills
  // would be a violation, but here the token list is what decides. An
  // unknown write may also be absent when nothing depends on it.
  std::vector<WriteRecord> tail = LinearHistory();
  tail.push_back(Unknown("e3", "u9"));
  EXPECT_EQ(CheckAppendHistory(tail, "e3", kLinearTokens).verdict, "ok");
  // Applied at the end: the final ETag is one only the unknown write produced.
  const ConsistencyResult end = CheckAppendHistory(tail, "e4", {"t0", "t1", "t2", "t3", "u9"});
  EXPECT_EQ(end.verdict, "ok") << Examples(end);
}

TEST(ConsistencyTest, TokensOfAnotherSegmentAfterTheFinalSegmentAreOutOfOrder) {
  std::vector<WriteRecord> h = {Ack("", "e0", "t0"), Ack("e0", "e1", "t1"), Unknown("e1", "u1"),
                                Ack("e2", "e3", "t3")};
  const ConsistencyResult r = CheckAppendHistory(h, "e3", {"t3", "t0", "t1", "u1"});
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_TRUE(HasExample(r, "out of order: token \"t0\" follows token \"t3\"")) << Examples(r);
}

TEST(ConsistencyTest, ExamplesAreCappedButViolationsCounted) {
  std::vector<WriteRecord> h;
  std::vector<std::string> tokens;
  h.push_back(Ack("", "e0", "t0"));
  tokens.push_back("t0");
  for (int i = 1; i <= 20; ++i) {
    h.push_back(Ack("e" + std::to_string(i - 1), "e" + std::to_string(i), "t" + std::to_string(i)));
  }
  const ConsistencyResult r = CheckAppendHistory(h, "e20", tokens, 3);
  EXPECT_EQ(r.violations, 20u);  // 20 lost updates
  EXPECT_EQ(r.examples.size(), 3u);
}

TEST(ConsistencyTest, MergeCombinesVerdicts) {
  ConsistencyResult ok = CheckAppendHistory(LinearHistory(), "e3", kLinearTokens);
  ConsistencyResult bad = CheckAppendHistory(LinearHistory(), "e3", {"t0"});
  ConsistencyResult none;
  EXPECT_EQ(MergeConsistencyResults({none, none}).verdict, "not_checked");
  EXPECT_FALSE(MergeConsistencyResults({none}).checked);
  EXPECT_EQ(MergeConsistencyResults({ok, none}).verdict, "ok");
  const ConsistencyResult merged = MergeConsistencyResults({ok, bad, ok}, 2);
  EXPECT_EQ(merged.verdict, "violated");
  EXPECT_TRUE(merged.checked);
  EXPECT_EQ(merged.acknowledged, 12u);
  EXPECT_EQ(merged.violations, 3u);
  EXPECT_EQ(merged.examples.size(), 2u);
}

TEST(ConsistencyTest, CheckSessionsPrefixesExamples) {
  std::vector<SessionHistory> sessions = {
      {"lobby-1", LinearHistory(), "e3", kLinearTokens},
      {"lobby-2", LinearHistory(), "e3", {"t0", "t1", "t2"}},
  };
  const ConsistencyResult r = CheckAppendSessions(sessions);
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.acknowledged, 8u);
  ASSERT_EQ(r.examples.size(), 1u);
  EXPECT_EQ(r.examples[0].rfind("session lobby-2: lost update: acknowledged token \"t3\"", 0), 0u)
      << r.examples[0];
  EXPECT_EQ(CheckAppendSessions({}).verdict, "not_checked");
}

TEST(ConsistencyTest, LongEtagsAreShortenedInExamples) {
  const std::string long_etag(500, 'x');
  std::vector<WriteRecord> h = {Ack("", long_etag, "t0")};
  const ConsistencyResult r = CheckAppendHistory(h, "other", {"t0"});
  ASSERT_EQ(r.examples.size(), 1u);
  EXPECT_LT(r.examples[0].size(), 300u);
  EXPECT_NE(r.examples[0].find("...\""), std::string::npos);
}

TEST(ConsistencyTest, MillionWriteHistoryIsChecked) {
  constexpr int kWrites = 1000000;
  std::vector<WriteRecord> h;
  h.reserve(kWrites + kWrites / 4);
  std::vector<std::string> tokens;
  tokens.reserve(kWrites);
  h.push_back(Ack("", "e0", "t0"));
  tokens.push_back("t0");
  for (int i = 1; i < kWrites; ++i) {
    const std::string prior = "e" + std::to_string(i - 1);
    if (i % 4 == 0) h.push_back(Rejected(prior, "r" + std::to_string(i)));
    h.push_back(Ack(prior, "e" + std::to_string(i), "t" + std::to_string(i)));
    tokens.push_back("t" + std::to_string(i));
  }
  const std::string final_etag = "e" + std::to_string(kWrites - 1);
  ConsistencyResult r = CheckAppendHistory(h, final_etag, tokens);
  EXPECT_EQ(r.verdict, "ok") << Examples(r);
  EXPECT_EQ(r.acknowledged, static_cast<std::uint64_t>(kWrites));
  // One swapped pair is found in the same pass.
  std::swap(tokens[500000], tokens[500001]);
  r = CheckAppendHistory(h, final_etag, tokens);
  EXPECT_EQ(r.verdict, "violated");
  EXPECT_EQ(r.violations, 1u) << Examples(r);
}

}  // namespace
}  // namespace sessionrig::loadgen
