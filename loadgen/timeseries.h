// loadgen/timeseries.h: the run as a time series (the summary's
// `timeseries`): per interval, arrivals, writes by status, reads, requests
// in flight, schedule lag and latency histograms; recorded by each worker
// without a lock or an allocation per request, merged across workers and
// shards exactly.
//
// Intervals. Interval i covers [i * interval, (i + 1) * interval) of the
// measured phase (warm-up excluded), i.e. from its start, which --start-at
// aligns across shards; the last interval may be shorter (its duration_s
// says so). A write or a read belongs to the interval in which it
// COMPLETED; an arrival (planned = started + dropped) and its schedule lag
// to the interval of its INTENDED start.
//
// Interval histograms have kIntervalDigits significant digits (1 %
// resolution, as jHiccup's interval logs): a one-hour run at 1 s intervals
// keeps 3600 of them per latency, so they must stay small in the summary
// JSON; the whole-run histograms keep --hdr-digits.
//
// Recording (IntervalRecorder): each worker owns one recorder. Its counters
// live in the interval records, all allocated at setup; the latency
// histograms of the interval in progress are closed at the tick (the first
// event at or after the interval's end, and the worker's loop wakes at
// least every 100 ms): encoded into the interval's record and reset. So a
// request costs a compare and a few additions, and the encoding allocates
// once per interval, never per request.
//
// Thread-safety: IntervalRecorder is thread-compatible (one owner, its
// worker); the rest are value types and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "loadgen/hdr_histogram.h"
#include "loadgen/write_status.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

// Significant digits of every interval histogram.
inline constexpr int kIntervalDigits = 2;

// Latency of one interval, milliseconds.
struct IntervalLatencyMs {
  double p50 = 0;  // p50 .. max: derived from the interval's corrected histogram
  double p90 = 0;
  double p99 = 0;
  double max = 0;
  // Uncorrected p99: from the process's own uncorrected interval histogram
  // (kept in memory, not in the JSON); after merging summaries, the
  // largest shard's value (an upper bound).
  double uncorrected_p99 = 0;
};

// One interval of the time series. Field names follow the JSON.
struct TimeseriesInterval {
  double t_s = 0;             // start, seconds since the measured phase started
  double duration_s = 0;      // length, seconds (the last one may be shorter)
  std::uint64_t planned = 0;  // arrivals intended in it: started + dropped
  std::uint64_t started = 0;
  std::uint64_t dropped = 0;
  std::array<std::uint64_t, kWriteStatusCount> writes_by_status{};  // WriteStatusIndex order
  std::uint64_t reads_total = 0;
  std::uint64_t reads_failed = 0;
  // Most requests in flight at once during it: each worker's own maximum,
  // summed over workers and shards (exact with one worker; otherwise an
  // upper bound of the simultaneous total).
  std::uint64_t inflight_max = 0;
  double schedule_lag_ms_max = 0;  // largest lag of the arrivals intended in it, ms
  std::string histogram;           // hdr1: corrected write latency, us
  std::string read_histogram;      // hdr1: corrected read latency, us
  // In-process only (not written to the JSON): the uncorrected histograms,
  // so that merging the workers of one process keeps uncorrected_p99 exact.
  std::string uncorrected_histogram;
  std::string read_uncorrected_histogram;

  // Derived by FillIntervalDerived().
  std::uint64_t writes_total = 0;
  IntervalLatencyMs write_latency_ms;
  IntervalLatencyMs read_latency_ms;
  double conflict_ratio = 0;  // out_of_sync / writes_total, 0 without writes
};

// Recomputes writes_total, conflict_ratio, and the percentiles from the
// histograms (uncorrected_p99 from the in-process histograms when present).
// Errors: kInvalidArgument when a histogram does not decode (the interval
// is left with zeros).
Status FillIntervalDerived(TimeseriesInterval& interval);

// The number of intervals of a measured phase of `duration_us`: ceil.
std::size_t IntervalCount(std::int64_t duration_us, std::int64_t interval_us);

// Merges time series aligned by index (same index = same window): counters
// summed, inflight_max summed, schedule lag max, histograms merged, then
// derived fields recomputed. Series may differ in length (the result has the
// longest; missing intervals count as empty). Errors: kInvalidArgument when
// a histogram does not decode or merge; the message names the interval
// index and `names[k]` of the series.
StatusOr<std::vector<TimeseriesInterval>> MergeTimeseries(
    const std::vector<const std::vector<TimeseriesInterval>*>& series,
    const std::vector<std::string>& names);

class IntervalRecorder {
 public:
  // Records nothing (Finish returns an empty series).
  IntervalRecorder() = default;
  // The measured phase runs from `start_us` to `end_us` (microseconds on the
  // worker's clock); intervals are `interval_us` long. REQUIRES:
  // interval_us > 0, end_us > start_us. Allocates every interval record.
  IntervalRecorder(std::int64_t start_us, std::int64_t end_us, std::int64_t interval_us);

  // Closes every interval that ended at or before `now_us` (the tick).
  void Tick(std::int64_t now_us) {
    if (now_us >= current_end_us_) Advance(now_us);
  }
  // An arrival of the measured phase started, `lag_us` after `intended_us`.
  void RecordStarted(std::int64_t intended_us, std::int64_t lag_us);
  // An arrival of the measured phase was dropped.
  void RecordDropped(std::int64_t intended_us);
  // A write completed at `now_us`.
  void RecordWrite(std::int64_t now_us, WriteStatus status, std::int64_t corrected_us,
                   std::int64_t uncorrected_us);
  // A read completed at `now_us`; `failed`: no usable answer (reads.failed).
  void RecordRead(std::int64_t now_us, bool failed, std::int64_t corrected_us,
                  std::int64_t uncorrected_us);
  // The requests in flight changed to `inflight` at `now_us`.
  void RecordInflight(std::int64_t now_us, std::uint64_t inflight);
  // The run ends early (an interrupt): at `end_us` instead. Later events
  // land in the last interval.
  void SetEnd(std::int64_t end_us);

  // Closes the interval in progress and hands over the series (with the
  // in-process uncorrected histograms). Call once, after the run.
  std::vector<TimeseriesInterval> Finish();

 private:
  std::size_t IndexOf(std::int64_t t_us) const;
  void Advance(std::int64_t now_us);
  void Close();

  std::int64_t start_us_ = 0;
  std::int64_t end_us_ = 0;
  std::int64_t interval_us_ = 1;
  std::vector<TimeseriesInterval> intervals_;
  std::size_t current_ = 0;  // the interval whose histograms are open
  std::int64_t current_end_us_ = std::numeric_limits<std::int64_t>::max();
  std::uint64_t inflight_ = 0;
  HdrHistogram write_corrected_{kIntervalDigits};
  HdrHistogram write_uncorrected_{kIntervalDigits};
  HdrHistogram read_corrected_{kIntervalDigits};
  HdrHistogram read_uncorrected_{kIntervalDigits};
  std::string empty_encoded_;  // an empty histogram, encoded once
};

}  // namespace sessionrig::loadgen
