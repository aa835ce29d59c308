#include "loadgen/schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace sessionrig::loadgen {

namespace {

constexpr double kUsPerSecond = 1e6;

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool ParseUint32(std::string_view text, std::uint32_t* out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

StatusOr<ArrivalPartition> ParseShard(std::string_view spec) {
  const std::size_t slash = spec.find('/');
  ArrivalPartition partition;
  if (slash == std::string_view::npos ||
      !ParseUint32(spec.substr(0, slash), &partition.shard_index) ||
      !ParseUint32(spec.substr(slash + 1), &partition.shard_count)) {
    return Invalid("--shard '" + std::string(spec) + "': expected I/N with integers 0 <= I < N");
  }
  if (partition.shard_count == 0 || partition.shard_index >= partition.shard_count) {
    return Invalid("--shard '" + std::string(spec) + "': need 0 <= I < N and N >= 1");
  }
  return partition;
}

StatusOr<OpenLoopSchedule> OpenLoopSchedule::Constant(double rate,
                                                      std::chrono::microseconds duration) {
  if (!std::isfinite(rate) || rate <= 0) {
    return Invalid("rate must be a finite number > 0 ops/s, got " + std::to_string(rate));
  }
  if (duration.count() <= 0) return Invalid("duration must be > 0");
  return Build(rate, {Stage{rate, duration}});
}

StatusOr<OpenLoopSchedule> OpenLoopSchedule::Ramping(double start_rate,
                                                     const std::vector<Stage>& stages) {
  if (stages.empty()) return Invalid("stages: at least one stage is needed");
  if (stages.size() > kMaxStages) return Invalid("stages: more than " + std::to_string(kMaxStages));
  if (!std::isfinite(start_rate) || start_rate < 0) {
    return Invalid("start rate must be a finite number >= 0 ops/s");
  }
  return Build(start_rate, stages);
}

StatusOr<OpenLoopSchedule> OpenLoopSchedule::Build(double start_rate,
                                                   const std::vector<Stage>& stages) {
  OpenLoopSchedule schedule;
  double rate = start_rate;
  double arrivals = 0;
  std::int64_t t_us = 0;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Stage& stage = stages[i];
    const std::string name = "stages[" + std::to_string(i) + "]";
    if (!std::isfinite(stage.target_rate) || stage.target_rate < 0) {
      return Invalid(name + ".target_rate must be a finite number >= 0 ops/s");
    }
    if (stage.duration.count() < 0) return Invalid(name + ".duration must be >= 0");
    if (stage.duration.count() > std::numeric_limits<std::int64_t>::max() - t_us) {
      return Invalid(name + ".duration: total duration overflows");
    }
    const double seconds = static_cast<double>(stage.duration.count()) / kUsPerSecond;
    Span span;
    span.start_us = t_us;
    span.duration_us = stage.duration.count();
    span.start_rate = rate;
    span.end_rate = stage.target_rate;
    span.arrivals_before = arrivals;
    arrivals += (rate + stage.target_rate) / 2.0 * seconds;
    span.arrivals_after = arrivals;
    if (arrivals > kMaxPlannedArrivals) {
      return Invalid(name + ": the schedule plans more than 1e15 arrivals");
    }
    if (span.duration_us > 0) schedule.spans_.push_back(span);
    rate = stage.target_rate;
    t_us += stage.duration.count();
  }
  if (t_us <= 0) return Invalid("stages: total duration must be > 0");
  schedule.duration_us_ = t_us;
  // Every integer i < Λ(duration); rounding noise in Λ does not add one.
  const double epsilon = 1e-9 * std::max(1.0, arrivals);
  schedule.total_planned_ =
      arrivals > epsilon ? static_cast<std::uint64_t>(std::ceil(arrivals - epsilon)) : 0;
  return schedule;
}

StatusOr<OpenLoopSchedule> OpenLoopSchedule::Partitioned(const ArrivalPartition& p) const {
  if (p.shard_count == 0 || p.worker_count == 0) return Invalid("partition: counts must be >= 1");
  if (p.shard_index >= p.shard_count)
    return Invalid("partition: shard index must be < shard count");
  if (p.worker_index >= p.worker_count)
    return Invalid("partition: worker index must be < worker count");
  OpenLoopSchedule copy = *this;
  // Composition of two partitions of an already partitioned schedule.
  const std::uint64_t inner_offset =
      static_cast<std::uint64_t>(p.shard_index) +
      static_cast<std::uint64_t>(p.shard_count) * static_cast<std::uint64_t>(p.worker_index);
  const std::uint64_t inner_stride =
      static_cast<std::uint64_t>(p.shard_count) * static_cast<std::uint64_t>(p.worker_count);
  std::uint64_t scaled_offset = 0;
  if (__builtin_mul_overflow(stride_, inner_offset, &scaled_offset) ||
      __builtin_add_overflow(offset_, scaled_offset, &copy.offset_) ||
      __builtin_mul_overflow(stride_, inner_stride, &copy.stride_)) {
    return Invalid("partition: too many shards and workers");
  }
  copy.emitted_ = 0;
  copy.span_cursor_ = 0;
  return copy;
}

std::uint64_t OpenLoopSchedule::Planned() const {
  if (offset_ >= total_planned_) return 0;
  return (total_planned_ - offset_ - 1) / stride_ + 1;
}

std::int64_t OpenLoopSchedule::TimeInSpan(const Span& span, std::uint64_t index) const {
  const double x = static_cast<double>(index) - span.arrivals_before;
  const double length_s = static_cast<double>(span.duration_us) / kUsPerSecond;
  double tau = 0;  // seconds into the span
  if (x > 0) {
    // Solve r0*τ + (r1-r0)/(2T)*τ² = x in the cancellation-free form
    // τ = 2x / (r0 + sqrt(r0² + 2(r1-r0)x/T)).
    const double r0 = span.start_rate;
    const double radicand = std::max(0.0, r0 * r0 + 2.0 * (span.end_rate - r0) * x / length_s);
    const double denominator = r0 + std::sqrt(radicand);
    tau = denominator > 0 ? 2.0 * x / denominator : length_s;
  }
  tau = std::clamp(tau, 0.0, length_s);
  return span.start_us + std::llround(tau * kUsPerSecond);
}

std::int64_t OpenLoopSchedule::ArrivalTimeUs(std::uint64_t index) const {
  // First span whose end lies beyond the index (exists for index < total).
  const auto it =
      std::upper_bound(spans_.begin(), spans_.end(), static_cast<double>(index),
                       [](double value, const Span& span) { return value < span.arrivals_after; });
  if (it == spans_.end()) return spans_.empty() ? 0 : duration_us_;
  return TimeInSpan(*it, index);
}

std::optional<std::int64_t> OpenLoopSchedule::NextIntendedUs() {
  if (emitted_ >= Planned()) return std::nullopt;
  const std::uint64_t index = offset_ + stride_ * emitted_;
  ++emitted_;
  const double position = static_cast<double>(index);
  while (span_cursor_ + 1 < spans_.size() && position >= spans_[span_cursor_].arrivals_after) {
    ++span_cursor_;
  }
  if (spans_.empty()) return 0;
  return TimeInSpan(spans_[span_cursor_], index);
}

double OpenLoopSchedule::RateAt(std::int64_t t_us) const {
  if (t_us < 0 || t_us >= duration_us_) return 0;
  for (const Span& span : spans_) {
    if (t_us < span.start_us + span.duration_us) {
      if (t_us < span.start_us) return 0;
      const double fraction =
          static_cast<double>(t_us - span.start_us) / static_cast<double>(span.duration_us);
      return span.start_rate + (span.end_rate - span.start_rate) * fraction;
    }
  }
  return 0;
}

}  // namespace sessionrig::loadgen
