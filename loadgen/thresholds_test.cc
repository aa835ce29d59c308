#include "loadgen/thresholds.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

Threshold Parse(const std::string& expr) {
  StatusOr<Threshold> t = ParseThreshold(expr);
  EXPECT_TRUE(t.ok()) << expr << ": " << t.status().ToString();
  return t.ok() ? *t : Threshold{};
}

void ExpectParseError(const std::string& expr, const std::string& fragment) {
  StatusOr<Threshold> t = ParseThreshold(expr);
  ASSERT_FALSE(t.ok()) << expr;
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message().rfind("threshold '" + expr + "': ", 0), 0u)
      << t.status().message();
  EXPECT_NE(t.status().message().find(fragment), std::string::npos) << t.status().message();
}

// A summary with known derived values.
Summary Known() {
  Summary s;
  s.duration_s = 10;
  for (int i = 1; i <= 1000; ++i) {
    s.corrected_us.Record(i * 100);   // 0.1 .. 100 ms
    s.uncorrected_us.Record(i * 10);  // 0.01 .. 10 ms
    s.schedule_lag_us.Record(i);      // 1 us .. 1 ms
    s.action_latency_us.Record(i * 1000);
    s.action_attempts.Record(1 + i % 3);
    s.read_corrected_us.Record(i * 2000);  // 2 .. 2000 ms
    s.read_uncorrected_us.Record(i);
  }
  s.reads.total = 1000;
  s.writes[WriteStatus::kUpdated] = 700;
  s.writes[WriteStatus::kOutOfSync] = 200;
  s.writes[WriteStatus::kSessionDeleted] = 20;
  s.writes[WriteStatus::kTimeout] = 30;
  s.writes[WriteStatus::kConflict] = 10;
  s.writes[WriteStatus::kHttpError] = 40;
  s.schedule.dropped = 3;
  s.consistency.violations = 0;
  FillDerived(s);
  return s;
}

TEST(ThresholdsTest, ParsesOperatorsAndUnits) {
  Threshold t = Parse("p99<50ms");
  EXPECT_EQ(t.metric, "p99");
  EXPECT_EQ(t.op, Threshold::Op::kLess);
  EXPECT_DOUBLE_EQ(t.limit, 50);
  t = Parse("p999<=1s");
  EXPECT_EQ(t.op, Threshold::Op::kLessEqual);
  EXPECT_DOUBLE_EQ(t.limit, 1000);
  t = Parse("uncorrected_p99 < 250us");
  EXPECT_EQ(t.metric, "uncorrected_p99");
  EXPECT_DOUBLE_EQ(t.limit, 0.25);
  // The one duration grammar: minutes and hours, decimals, a blank before the unit.
  EXPECT_DOUBLE_EQ(Parse("p99<1m").limit, 60000);
  EXPECT_DOUBLE_EQ(Parse("max<0.5h").limit, 1800000);
  EXPECT_DOUBLE_EQ(Parse("p50 < 2.5 ms").limit, 2.5);
  t = Parse("throughput_wps>100");
  EXPECT_EQ(t.op, Threshold::Op::kGreater);
  t = Parse("throughput_wps>=1e3");
  EXPECT_EQ(t.op, Threshold::Op::kGreaterEqual);
  EXPECT_DOUBLE_EQ(t.limit, 1000);
  EXPECT_EQ(Parse("conflict_rate<0.3").expr, "conflict_rate<0.3");
  for (const char* expr : {"p50<10ms", "p90<1s", "max<2s", "error_rate<0.01", "dropped<1",
                           "attempts_p99<5", "attempts_mean<2", "attempts_max<=10", "action_p99<1s",
                           "lag_p99<100ms", "violations<1", "uncorrected_max<3s"}) {
    Parse(expr);
  }
}

TEST(ThresholdsTest, ErrorsQuoteTheExpressionAndSayWhat) {
  ExpectParseError("p99", "no comparison operator");
  ExpectParseError("p99=5ms", "no comparison operator");
  ExpectParseError("<5ms", "no metric");
  ExpectParseError("p98<5ms", "unknown metric 'p98'");
  ExpectParseError("p99<", "no number");
  ExpectParseError("p99<fast", "does not start with a number");
  ExpectParseError("p99<<5ms", "more than one comparison operator");
  ExpectParseError("p99<50", "needs a unit (use us, ms, s, m or h");
  ExpectParseError("p99<50min", "unknown unit 'min'");
  ExpectParseError("conflict_rate<30%", "takes a plain number, not the unit '%'");
  ExpectParseError("dropped<1ms", "takes a plain number");
  ExpectParseError("dropped<-1", "non-negative");
  ExpectParseError("p99<nan ms", "finite non-negative");
}

TEST(ThresholdsTest, EvaluatesAgainstTheSummary) {
  const Summary s = Known();
  ThresholdResult r = Evaluate(Parse("p99<50ms"), s);
  EXPECT_FALSE(r.ok);
  EXPECT_NEAR(r.value, 99.0, 0.1);
  EXPECT_EQ(r.expr, "p99<50ms");
  r = Evaluate(Parse("p99<0.1s"), s);
  EXPECT_TRUE(r.ok);
  r = Evaluate(Parse("uncorrected_p99<20ms"), s);
  EXPECT_TRUE(r.ok);
  EXPECT_NEAR(r.value, 9.9, 0.01);
  r = Evaluate(Parse("conflict_rate<0.3"), s);
  EXPECT_TRUE(r.ok);
  EXPECT_DOUBLE_EQ(r.value, 0.2);
  // Errors: timeout + conflict + http_error; session_deleted and
  // out_of_sync are not errors.
  r = Evaluate(Parse("error_rate<0.01"), s);
  EXPECT_FALSE(r.ok);
  EXPECT_DOUBLE_EQ(r.value, 0.08);
  r = Evaluate(Parse("dropped<1"), s);
  EXPECT_FALSE(r.ok);
  EXPECT_DOUBLE_EQ(r.value, 3);
  EXPECT_TRUE(Evaluate(Parse("dropped<=3"), s).ok);
  EXPECT_TRUE(Evaluate(Parse("throughput_wps>=100"), s).ok);
  EXPECT_FALSE(Evaluate(Parse("throughput_wps>100"), s).ok);
  EXPECT_TRUE(Evaluate(Parse("attempts_p99<5"), s).ok);
  EXPECT_DOUBLE_EQ(Evaluate(Parse("attempts_max<5"), s).value, 3);
  EXPECT_TRUE(Evaluate(Parse("lag_max<=2ms"), s).ok);
  EXPECT_TRUE(Evaluate(Parse("violations<1"), s).ok);
  // Reads: their own corrected percentiles, not the writes'.
  r = Evaluate(Parse("read_p99<1s"), s);
  EXPECT_FALSE(r.ok);
  EXPECT_NEAR(r.value, 1980.0, 2.0);
  EXPECT_NEAR(Evaluate(Parse("read_p50<1s"), s).value, 1000.0, 1.0);
  EXPECT_NEAR(Evaluate(Parse("read_p90<1s"), s).value, 1800.0, 2.0);
  EXPECT_NEAR(Evaluate(Parse("read_p999<1s"), s).value, 1998.0, 2.0);
  EXPECT_TRUE(Evaluate(Parse("read_max<=2001ms"), s).ok);
}

TEST(ThresholdsTest, EvaluateAllReportsEachInOrder) {
  const Summary s = Known();
  std::vector<ThresholdResult> results;
  EXPECT_FALSE(EvaluateAll({Parse("p50<1s"), Parse("dropped<1")}, s, &results));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(results[1].ok);
  EXPECT_TRUE(EvaluateAll({Parse("p50<1s")}, s, &results));
  EXPECT_EQ(results.size(), 1u);
  EXPECT_TRUE(EvaluateAll({}, s, &results));
  EXPECT_TRUE(results.empty());
}

TEST(ThresholdsTest, UnknownMetricFailsEvaluation) {
  Threshold t;
  t.expr = "made_up<1";
  t.metric = "made_up";
  EXPECT_FALSE(Evaluate(t, Known()).ok);
}

}  // namespace
}  // namespace sessionrig::loadgen
