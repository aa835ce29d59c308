#include "loadgen/timeseries.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace sessionrig::loadgen {

namespace {

constexpr double kUsPerMs = 1000.0;

double Ms(std::int64_t us) { return static_cast<double>(us) / kUsPerMs; }

Status Fail(const std::string& what) { return Status(StatusCode::kInvalidArgument, what); }

// Percentiles of `encoded` into `out` (uncorrected_p99 untouched).
Status Percentiles(const std::string& encoded, IntervalLatencyMs* out) {
  *out = IntervalLatencyMs{0, 0, 0, 0, out->uncorrected_p99};
  if (encoded.empty()) return Status::Ok();
  StatusOr<HdrHistogram> h = HdrHistogram::Decode(encoded);
  if (!h.ok()) return h.status();
  out->p50 = Ms(h->ValueAtPercentile(50));
  out->p90 = Ms(h->ValueAtPercentile(90));
  out->p99 = Ms(h->ValueAtPercentile(99));
  out->max = Ms(h->Max());
  return Status::Ok();
}

Status UncorrectedP99(const std::string& encoded, double* out) {
  if (encoded.empty()) return Status::Ok();  // not in process: keep the stored value
  StatusOr<HdrHistogram> h = HdrHistogram::Decode(encoded);
  if (!h.ok()) return h.status();
  *out = Ms(h->ValueAtPercentile(99));
  return Status::Ok();
}

// Merges the histograms `field` of every series' interval `index` into one
// encoded histogram. `all_or_none`: an absent histogram in one input makes
// the result absent (the in-process uncorrected ones).
StatusOr<std::string> MergeField(const std::vector<const std::vector<TimeseriesInterval>*>& series,
                                 const std::vector<std::string>& names, std::size_t index,
                                 std::string TimeseriesInterval::*field, const char* label,
                                 bool all_or_none) {
  std::optional<HdrHistogram> merged;
  for (std::size_t k = 0; k < series.size(); ++k) {
    if (index >= series[k]->size()) continue;
    const std::string& encoded = (*series[k])[index].*field;
    if (encoded.empty()) {
      if (all_or_none) return std::string();
      continue;
    }
    const std::string where = names[k] + ": timeseries." + std::to_string(index) + "." + label;
    StatusOr<HdrHistogram> h = HdrHistogram::Decode(encoded);
    if (!h.ok()) return Fail(where + ": " + h.status().message());
    if (!merged) {
      merged = std::move(h).value();
    } else if (Status s = merged->Merge(*h); !s.ok()) {
      return Fail(where + ": " + s.message());
    }
  }
  if (!merged) return std::string();
  return merged->Encode();
}

}  // namespace

Status FillIntervalDerived(TimeseriesInterval& interval) {
  interval.writes_total = 0;
  for (std::uint64_t n : interval.writes_by_status) interval.writes_total += n;
  const std::uint64_t out_of_sync =
      interval.writes_by_status[WriteStatusIndex(WriteStatus::kOutOfSync)];
  interval.conflict_ratio =
      interval.writes_total == 0
          ? 0.0
          : static_cast<double>(out_of_sync) / static_cast<double>(interval.writes_total);
  Status s = Percentiles(interval.histogram, &interval.write_latency_ms);
  if (s.ok()) s = Percentiles(interval.read_histogram, &interval.read_latency_ms);
  if (s.ok()) {
    s = UncorrectedP99(interval.uncorrected_histogram, &interval.write_latency_ms.uncorrected_p99);
  }
  if (s.ok()) {
    s = UncorrectedP99(interval.read_uncorrected_histogram,
                       &interval.read_latency_ms.uncorrected_p99);
  }
  return s;
}

std::size_t IntervalCount(std::int64_t duration_us, std::int64_t interval_us) {
  if (duration_us <= 0 || interval_us <= 0) return 0;
  return static_cast<std::size_t>((duration_us + interval_us - 1) / interval_us);
}

StatusOr<std::vector<TimeseriesInterval>> MergeTimeseries(
    const std::vector<const std::vector<TimeseriesInterval>*>& series,
    const std::vector<std::string>& names) {
  std::size_t length = 0;
  for (const auto* s : series) length = std::max(length, s->size());
  std::vector<TimeseriesInterval> merged(length);
  for (std::size_t i = 0; i < length; ++i) {
    TimeseriesInterval& into = merged[i];
    bool first = true;
    for (const auto* s : series) {
      if (i >= s->size()) continue;
      const TimeseriesInterval& from = (*s)[i];
      if (first) {
        into.t_s = from.t_s;
        first = false;
      }
      into.duration_s = std::max(into.duration_s, from.duration_s);
      into.planned += from.planned;
      into.started += from.started;
      into.dropped += from.dropped;
      for (std::size_t k = 0; k < kWriteStatusCount; ++k) {
        into.writes_by_status[k] += from.writes_by_status[k];
      }
      into.reads_total += from.reads_total;
      into.reads_failed += from.reads_failed;
      into.inflight_max += from.inflight_max;
      into.schedule_lag_ms_max = std::max(into.schedule_lag_ms_max, from.schedule_lag_ms_max);
      into.write_latency_ms.uncorrected_p99 =
          std::max(into.write_latency_ms.uncorrected_p99, from.write_latency_ms.uncorrected_p99);
      into.read_latency_ms.uncorrected_p99 =
          std::max(into.read_latency_ms.uncorrected_p99, from.read_latency_ms.uncorrected_p99);
    }
    struct Field {
      std::string TimeseriesInterval::*member;
      const char* label;
      bool all_or_none;
    };
    for (const Field& f :
         {Field{&TimeseriesInterval::histogram, "histogram", false},
          Field{&TimeseriesInterval::read_histogram, "read_histogram", false},
          Field{&TimeseriesInterval::uncorrected_histogram, "uncorrected_histogram", true},
          Field{&TimeseriesInterval::read_uncorrected_histogram, "read_uncorrected_histogram",
                true}}) {
      StatusOr<std::string> m = MergeField(series, names, i, f.member, f.label, f.all_or_none);
      if (!m.ok()) return m.status();
      into.*(f.member) = std::move(m).value();
    }
    if (Status s = FillIntervalDerived(into); !s.ok()) {
      return Fail("timeseries." + std::to_string(i) + ": " + s.message());
    }
  }
  return merged;
}

// ---- IntervalRecorder ---------------------------------------------------------

IntervalRecorder::IntervalRecorder(std::int64_t start_us, std::int64_t end_us,
                                   std::int64_t interval_us)
    : start_us_(start_us),
      end_us_(end_us),
      interval_us_(std::max<std::int64_t>(interval_us, 1)),
      intervals_(IntervalCount(end_us - start_us, interval_us_)),
      empty_encoded_(HdrHistogram(kIntervalDigits).Encode()) {
  for (std::size_t i = 0; i < intervals_.size(); ++i) {
    const std::int64_t begin = start_us_ + static_cast<std::int64_t>(i) * interval_us_;
    intervals_[i].t_s = static_cast<double>(begin - start_us_) / 1e6;
    intervals_[i].duration_s =
        static_cast<double>(std::min(begin + interval_us_, end_us_) - begin) / 1e6;
  }
  current_end_us_ =
      intervals_.empty() ? std::numeric_limits<std::int64_t>::max() : start_us_ + interval_us_;
}

std::size_t IntervalRecorder::IndexOf(std::int64_t t_us) const {
  if (t_us <= start_us_ || intervals_.empty()) return 0;
  const auto index = static_cast<std::size_t>((t_us - start_us_) / interval_us_);
  return std::min(index, intervals_.size() - 1);
}

void IntervalRecorder::Advance(std::int64_t now_us) {
  const std::size_t next = IndexOf(now_us);
  if (next <= current_) {
    current_end_us_ = next + 1 >= intervals_.size()
                          ? std::numeric_limits<std::int64_t>::max()
                          : start_us_ + static_cast<std::int64_t>(next + 1) * interval_us_;
    return;
  }
  Close();
  // Intervals without any event in between: their histograms are empty and
  // the in-flight level is what it was.
  for (std::size_t i = current_ + 1; i <= next; ++i) {
    intervals_[i].inflight_max = std::max(intervals_[i].inflight_max, inflight_);
    if (i < next) {
      intervals_[i].histogram = empty_encoded_;
      intervals_[i].read_histogram = empty_encoded_;
      intervals_[i].uncorrected_histogram = empty_encoded_;
      intervals_[i].read_uncorrected_histogram = empty_encoded_;
    }
  }
  current_ = next;
  current_end_us_ = current_ + 1 >= intervals_.size()
                        ? std::numeric_limits<std::int64_t>::max()
                        : start_us_ + static_cast<std::int64_t>(current_ + 1) * interval_us_;
}

void IntervalRecorder::Close() {
  if (intervals_.empty()) return;
  TimeseriesInterval& in = intervals_[current_];
  auto take = [&](HdrHistogram& h, std::string* out) {
    *out = h.TotalCount() == 0 ? empty_encoded_ : h.Encode();
    h.Reset();
  };
  take(write_corrected_, &in.histogram);
  take(write_uncorrected_, &in.uncorrected_histogram);
  take(read_corrected_, &in.read_histogram);
  take(read_uncorrected_, &in.read_uncorrected_histogram);
}

void IntervalRecorder::RecordStarted(std::int64_t intended_us, std::int64_t lag_us) {
  if (intervals_.empty()) return;
  TimeseriesInterval& in = intervals_[IndexOf(intended_us)];
  ++in.planned;
  ++in.started;
  in.schedule_lag_ms_max = std::max(in.schedule_lag_ms_max, Ms(lag_us));
}

void IntervalRecorder::RecordDropped(std::int64_t intended_us) {
  if (intervals_.empty()) return;
  TimeseriesInterval& in = intervals_[IndexOf(intended_us)];
  ++in.planned;
  ++in.dropped;
}

void IntervalRecorder::RecordWrite(std::int64_t now_us, WriteStatus status,
                                   std::int64_t corrected_us, std::int64_t uncorrected_us) {
  if (intervals_.empty()) return;
  Tick(now_us);
  ++intervals_[current_].writes_by_status[WriteStatusIndex(status)];
  write_corrected_.Record(corrected_us);
  write_uncorrected_.Record(uncorrected_us);
}

void IntervalRecorder::RecordRead(std::int64_t now_us, bool failed, std::int64_t corrected_us,
                                  std::int64_t uncorrected_us) {
  if (intervals_.empty()) return;
  Tick(now_us);
  TimeseriesInterval& in = intervals_[current_];
  ++in.reads_total;
  if (failed) ++in.reads_failed;
  read_corrected_.Record(corrected_us);
  read_uncorrected_.Record(uncorrected_us);
}

void IntervalRecorder::RecordInflight(std::int64_t now_us, std::uint64_t inflight) {
  if (intervals_.empty()) {
    inflight_ = inflight;
    return;
  }
  Tick(now_us);  // an interval that starts now starts with the level before this change
  inflight_ = inflight;
  TimeseriesInterval& in = intervals_[current_];
  in.inflight_max = std::max(in.inflight_max, inflight);
}

void IntervalRecorder::SetEnd(std::int64_t end_us) {
  if (intervals_.empty() || end_us >= end_us_) return;
  end_us_ = std::max(end_us, start_us_);
  const std::size_t count =
      std::max<std::size_t>(IntervalCount(end_us_ - start_us_, interval_us_), current_ + 1);
  // Nothing was recorded past the new end (events carry times up to now,
  // and the end moves to now), so the dropped records are empty.
  intervals_.resize(std::min(count, intervals_.size()));
  TimeseriesInterval& last = intervals_.back();
  const std::int64_t last_begin =
      start_us_ + static_cast<std::int64_t>(intervals_.size() - 1) * interval_us_;
  last.duration_s = static_cast<double>(std::max(end_us_, last_begin) - last_begin) / 1e6;
  if (current_ + 1 >= intervals_.size()) current_end_us_ = std::numeric_limits<std::int64_t>::max();
}

std::vector<TimeseriesInterval> IntervalRecorder::Finish() {
  Close();
  for (std::size_t i = current_ + 1; i < intervals_.size(); ++i) {
    intervals_[i].histogram = empty_encoded_;
    intervals_[i].read_histogram = empty_encoded_;
    intervals_[i].uncorrected_histogram = empty_encoded_;
    intervals_[i].read_uncorrected_histogram = empty_encoded_;
    intervals_[i].inflight_max = std::max(intervals_[i].inflight_max, inflight_);
  }
  for (TimeseriesInterval& in : intervals_) (void)FillIntervalDerived(in);
  return std::move(intervals_);
}

}  // namespace sessionrig::loadgen
