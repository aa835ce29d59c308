#include "loadgen/live_stats.h"

#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

TEST(LiveHistogramTest, BucketsAreOrderedAndFine) {
  std::int64_t previous = -1;
  for (std::size_t i = 0; i < LiveHistogram::kSize; ++i) {
    const std::int64_t upper = LiveHistogram::UpperValue(i);
    EXPECT_GT(upper, previous) << i;
    EXPECT_EQ(LiveHistogram::Index(upper), i) << i;
    EXPECT_EQ(LiveHistogram::Index(previous + 1), i) << i;
    previous = upper;
  }
  for (std::int64_t v : {0, 1, 31, 32, 33, 1000, 123456, 9999999}) {
    const std::int64_t upper = LiveHistogram::UpperValue(LiveHistogram::Index(v));
    EXPECT_GE(upper, v);
    EXPECT_LE(static_cast<double>(upper - v), 0.035 * static_cast<double>(v) + 1) << v;
  }
  EXPECT_EQ(LiveHistogram::Index(-5), 0u);
  EXPECT_EQ(LiveHistogram::Index(INT64_MAX), LiveHistogram::kSize - 1);
}

TEST(LiveHistogramTest, QuantilesTrackExactValues) {
  LiveHistogram h;
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> d(8.0, 1.0);
  std::vector<std::int64_t> values;
  for (int i = 0; i < 20000; ++i) {
    values.push_back(static_cast<std::int64_t>(d(rng)));
    h.Record(values.back());
  }
  std::sort(values.begin(), values.end());
  LiveHistogram::Counts counts{};
  h.AddTo(counts);
  for (double q : {0.5, 0.9, 0.99}) {
    const auto exact = static_cast<double>(values[static_cast<std::size_t>(q * 20000) - 1]);
    const auto live = static_cast<double>(LiveHistogram::ValueAtQuantile(counts, q));
    EXPECT_NEAR(live, exact, exact * 0.04 + 1) << q;
  }
  LiveHistogram::Counts empty{};
  EXPECT_EQ(LiveHistogram::ValueAtQuantile(empty, 0.99), 0);
}

TEST(LiveStatsTest, ProgressLineShowsIntervalRatesAndTotals) {
  LiveStats a;
  LiveStats b;
  LiveSnapshot before;
  before.Add(a);
  for (int i = 0; i < 90; ++i) {
    a.writes[WriteStatusIndex(WriteStatus::kUpdated)]++;
    a.corrected_us.Record(2000);
  }
  for (int i = 0; i < 10; ++i) b.writes[WriteStatusIndex(WriteStatus::kOutOfSync)]++;
  b.writes[WriteStatusIndex(WriteStatus::kTimeout)] = 3;
  b.corrected_us.Record(50000);
  a.started = 100;
  b.dropped = 2;
  a.inflight = 7;
  LiveSnapshot after;
  after.Add(a);
  after.Add(b);
  EXPECT_EQ(after.TotalWrites(), 103u);
  const std::string line = FormatProgressLine("main", 3.0, 10.0, 100.0, false, before, after, 1.0);
  for (const char* needle :
       {"[main       3.0s/10.0s]", "started 100/s of 100/s target", "103 writes/s", "inflight 7",
        "p99 50.", "conflicts 9.7%", "errors 3", "dropped 2"}) {
    EXPECT_NE(line.find(needle), std::string::npos) << needle << "\n" << line;
  }
  EXPECT_NE(FormatProgressLine("warm-up", 1, 2, 0, true, before, after, 1).find("(closed loop)"),
            std::string::npos);
}

}  // namespace
}  // namespace sessionrig::loadgen
