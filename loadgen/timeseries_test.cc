#include "loadgen/timeseries.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

constexpr std::int64_t kS = 1'000'000;  // one second, us

HdrHistogram Decoded(const std::string& encoded) {
  StatusOr<HdrHistogram> h = HdrHistogram::Decode(encoded);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? *h : HdrHistogram(kIntervalDigits);
}

TEST(IntervalCountTest, CeilingOfTheDuration) {
  EXPECT_EQ(IntervalCount(3 * kS, kS), 3u);
  EXPECT_EQ(IntervalCount(3 * kS + 1, kS), 4u);
  EXPECT_EQ(IntervalCount(0, kS), 0u);
  EXPECT_EQ(IntervalCount(3600 * kS, kS), 3600u);
}

// Virtual time: a warm-up of 0.5 s, then 3.5 s measured in 1 s intervals.
TEST(IntervalRecorderTest, RequestsByCompletionArrivalsByIntendedStart) {
  const std::int64_t start = kS / 2;
  IntervalRecorder r(start, start + 3 * kS + kS / 2, kS);
  // An arrival intended at 0.9 s (interval 0) that started 0.3 s late,
  // after interval 1 began: still interval 0's, with its lag.
  r.RecordStarted(start + 900'000, 300'000);
  r.RecordStarted(start + 100, 0);
  r.RecordDropped(start + kS);  // exactly on the boundary: interval 1
  // Its request completes in interval 1: counted there.
  r.RecordInflight(start + 1'200'000, 1);
  r.RecordRead(start + 1'300'000, false, 400'000, 100'000);
  r.RecordWrite(start + 1'400'000, WriteStatus::kOutOfSync, 2000, 2000);
  r.RecordWrite(start + 1'500'000, WriteStatus::kUpdated, 1000, 900);
  r.RecordInflight(start + 1'500'000, 0);
  // Nothing happens in interval 2; interval 3 (half a second) has a failed read.
  r.RecordInflight(start + 3'100'000, 2);
  r.RecordRead(start + 3'200'000, true, 7000, 6000);
  std::vector<TimeseriesInterval> series = r.Finish();
  ASSERT_EQ(series.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(series[i].t_s, static_cast<double>(i));
  EXPECT_DOUBLE_EQ(series[2].duration_s, 1.0);
  EXPECT_DOUBLE_EQ(series[3].duration_s, 0.5);

  EXPECT_EQ(series[0].planned, 2u);
  EXPECT_EQ(series[0].started, 2u);
  EXPECT_DOUBLE_EQ(series[0].schedule_lag_ms_max, 300.0);
  EXPECT_EQ(series[0].writes_total, 0u);
  EXPECT_EQ(series[1].planned, 1u);
  EXPECT_EQ(series[1].dropped, 1u);
  EXPECT_EQ(series[1].started, 0u);

  EXPECT_EQ(series[1].writes_total, 2u);
  EXPECT_EQ(series[1].writes_by_status[WriteStatusIndex(WriteStatus::kOutOfSync)], 1u);
  EXPECT_DOUBLE_EQ(series[1].conflict_ratio, 0.5);
  EXPECT_EQ(series[1].reads_total, 1u);
  EXPECT_EQ(series[1].reads_failed, 0u);
  EXPECT_EQ(series[1].inflight_max, 1u);
  EXPECT_EQ(Decoded(series[1].histogram).TotalCount(), 2);
  EXPECT_EQ(Decoded(series[1].read_histogram).TotalCount(), 1);
  EXPECT_NEAR(series[1].read_latency_ms.max, 400.0, 4.0);  // 2 significant digits: 1 %
  EXPECT_NEAR(series[1].write_latency_ms.p50, 1.0, 0.01);
  EXPECT_NEAR(series[1].write_latency_ms.max, 2.0, 0.02);
  EXPECT_NEAR(series[1].write_latency_ms.uncorrected_p99, 2.0, 0.02);
  EXPECT_NEAR(series[1].read_latency_ms.uncorrected_p99, 100.0, 1.0);

  EXPECT_EQ(series[2].writes_total, 0u);
  EXPECT_EQ(series[2].reads_total, 0u);
  EXPECT_EQ(series[2].inflight_max, 0u);  // the level carried over from interval 1's end
  EXPECT_EQ(Decoded(series[2].histogram).TotalCount(), 0);
  EXPECT_EQ(series[3].reads_failed, 1u);
  EXPECT_EQ(series[3].inflight_max, 2u);
  EXPECT_NEAR(series[3].read_latency_ms.p99, 7.0, 0.07);
  // Each interval's histogram holds exactly its requests.
  for (const TimeseriesInterval& in : series) {
    EXPECT_EQ(static_cast<std::uint64_t>(Decoded(in.histogram).TotalCount()), in.writes_total);
    EXPECT_EQ(static_cast<std::uint64_t>(Decoded(in.read_histogram).TotalCount()), in.reads_total);
    EXPECT_EQ(Decoded(in.histogram).SignificantDigits(), kIntervalDigits);
  }
}

TEST(IntervalRecorderTest, InFlightLevelCarriesIntoQuietIntervals) {
  IntervalRecorder r(0, 4 * kS, kS);
  r.RecordInflight(100, 5);
  // Nothing changes until 3.5 s: intervals 1 and 2 had 5 in flight throughout.
  r.RecordInflight(3 * kS + kS / 2, 4);
  const std::vector<TimeseriesInterval> series = r.Finish();
  ASSERT_EQ(series.size(), 4u);
  EXPECT_EQ(series[0].inflight_max, 5u);
  EXPECT_EQ(series[1].inflight_max, 5u);
  EXPECT_EQ(series[2].inflight_max, 5u);
  EXPECT_EQ(series[3].inflight_max, 5u);  // 5 when it began, 4 after
}

TEST(IntervalRecorderTest, AnEarlyEndTruncatesTheSeries) {
  IntervalRecorder r(0, 60 * kS, kS);
  r.RecordWrite(kS / 2, WriteStatus::kUpdated, 10, 10);
  r.RecordWrite(kS + 10, WriteStatus::kUpdated, 10, 10);
  r.SetEnd(kS + kS / 4);                                      // interrupted at 1.25 s
  r.RecordWrite(kS + kS / 4, WriteStatus::kCreated, 10, 10);  // completing at the end
  const std::vector<TimeseriesInterval> series = r.Finish();
  ASSERT_EQ(series.size(), 2u);
  EXPECT_DOUBLE_EQ(series[1].duration_s, 0.25);
  EXPECT_EQ(series[0].writes_total, 1u);
  EXPECT_EQ(series[1].writes_total, 2u);
}

TEST(IntervalRecorderTest, RecordsNothingWithoutIntervals) {
  IntervalRecorder r;
  r.RecordWrite(10, WriteStatus::kUpdated, 1, 1);
  r.RecordStarted(10, 0);
  EXPECT_TRUE(r.Finish().empty());
}

// Two workers (or shards) of the same run: merged interval by interval,
// histograms exactly as if one had recorded everything.
TEST(MergeTimeseriesTest, SumsCountersAndMergesHistogramsExactly) {
  IntervalRecorder a(0, 2 * kS, kS);
  IntervalRecorder b(0, 2 * kS, kS);
  IntervalRecorder both(0, 2 * kS, kS);
  a.RecordInflight(10, 3);
  b.RecordInflight(20, 4);
  for (int i = 0; i < 100; ++i) {
    const std::int64_t t = i * 19'000;
    IntervalRecorder& one = i % 3 == 0 ? a : b;
    const WriteStatus st = i % 4 == 0 ? WriteStatus::kOutOfSync : WriteStatus::kUpdated;
    one.RecordWrite(t, st, 100 + i * 37, 50 + i);
    both.RecordWrite(t, st, 100 + i * 37, 50 + i);
    one.RecordRead(t, i % 10 == 0, 1000 + i, 900);
    both.RecordRead(t, i % 10 == 0, 1000 + i, 900);
    one.RecordStarted(t, i);
    both.RecordStarted(t, i);
  }
  const std::vector<TimeseriesInterval> sa = a.Finish();
  const std::vector<TimeseriesInterval> sb = b.Finish();
  const std::vector<TimeseriesInterval> sboth = both.Finish();
  StatusOr<std::vector<TimeseriesInterval>> merged = MergeTimeseries({&sa, &sb}, {"a", "b"});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  ASSERT_EQ(merged->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const TimeseriesInterval& m = (*merged)[i];
    const TimeseriesInterval& want = sboth[i];
    EXPECT_EQ(m.histogram, want.histogram) << i;
    EXPECT_EQ(m.read_histogram, want.read_histogram) << i;
    EXPECT_EQ(m.uncorrected_histogram, want.uncorrected_histogram) << i;
    EXPECT_EQ(m.writes_by_status, want.writes_by_status);
    EXPECT_EQ(m.reads_total, want.reads_total);
    EXPECT_EQ(m.reads_failed, want.reads_failed);
    EXPECT_EQ(m.planned, want.planned);
    EXPECT_DOUBLE_EQ(m.schedule_lag_ms_max, want.schedule_lag_ms_max);
    EXPECT_DOUBLE_EQ(m.write_latency_ms.p99, want.write_latency_ms.p99);
    EXPECT_DOUBLE_EQ(m.write_latency_ms.uncorrected_p99, want.write_latency_ms.uncorrected_p99);
    EXPECT_DOUBLE_EQ(m.conflict_ratio, want.conflict_ratio);
  }
  EXPECT_EQ((*merged)[0].inflight_max, 7u);  // each worker's own maximum, summed

  // Read back from JSON the uncorrected histograms are gone: the merged
  // uncorrected p99 is the largest of the inputs.
  std::vector<TimeseriesInterval> ja = sa;
  std::vector<TimeseriesInterval> jb = sb;
  for (auto* s : {&ja, &jb}) {
    for (TimeseriesInterval& in : *s) {
      in.uncorrected_histogram.clear();
      in.read_uncorrected_histogram.clear();
    }
  }
  merged = MergeTimeseries({&ja, &jb}, {"a", "b"});
  ASSERT_TRUE(merged.ok());
  EXPECT_DOUBLE_EQ(
      (*merged)[0].write_latency_ms.uncorrected_p99,
      std::max(sa[0].write_latency_ms.uncorrected_p99, sb[0].write_latency_ms.uncorrected_p99));
  EXPECT_TRUE((*merged)[0].uncorrected_histogram.empty());
}

TEST(MergeTimeseriesTest, DifferentLengthsAndBadHistograms) {
  IntervalRecorder a(0, 3 * kS, kS);
  IntervalRecorder b(0, 1 * kS, kS);
  a.RecordWrite(2 * kS + 5, WriteStatus::kUpdated, 5, 5);
  b.RecordWrite(5, WriteStatus::kUpdated, 5, 5);
  std::vector<TimeseriesInterval> sa = a.Finish();
  const std::vector<TimeseriesInterval> sb = b.Finish();
  StatusOr<std::vector<TimeseriesInterval>> merged = MergeTimeseries({&sa, &sb}, {"a", "b"});
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->size(), 3u);
  EXPECT_EQ((*merged)[0].writes_total, 1u);
  EXPECT_EQ((*merged)[2].writes_total, 1u);
  sa[1].histogram = "hdr1:???";
  merged = MergeTimeseries({&sa, &sb}, {"a.json", "b.json"});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().message().rfind("a.json: timeseries.1.histogram: ", 0), 0u)
      << merged.status().message();
}

}  // namespace
}  // namespace sessionrig::loadgen
