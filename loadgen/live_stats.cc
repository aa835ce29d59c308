#include "loadgen/live_stats.h"

#include <cmath>
#include <cstdio>

namespace sessionrig::loadgen {

std::size_t LiveHistogram::Index(std::int64_t value) {
  if (value < 32) return value < 0 ? 0 : static_cast<std::size_t>(value);
  const auto v = static_cast<std::uint64_t>(value);
  const int exponent = 63 - __builtin_clzll(v);  // >= 5
  const int shift = exponent - kSubBucketBits;
  const std::size_t index =
      32 + static_cast<std::size_t>(shift) * 32 + static_cast<std::size_t>((v >> shift) & 31u);
  return index < kSize ? index : kSize - 1;
}

std::int64_t LiveHistogram::UpperValue(std::size_t index) {
  if (index < 32) return static_cast<std::int64_t>(index);
  const std::size_t shift = (index - 32) / 32;
  const std::size_t sub = (index - 32) % 32;
  const std::uint64_t lower = (32u + sub) << shift;
  return static_cast<std::int64_t>(lower + (std::uint64_t{1} << shift) - 1);
}

std::int64_t LiveHistogram::ValueAtQuantile(const Counts& counts, double q) {
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  if (total == 0) return 0;
  q = q < 0 ? 0 : (q > 1 ? 1 : q);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kSize; ++i) {
    seen += counts[i];
    if (seen >= rank) return UpperValue(i);
  }
  return UpperValue(kSize - 1);
}

void LiveSnapshot::Add(const LiveStats& stats) {
  for (std::size_t i = 0; i < kWriteStatusCount; ++i) {
    writes[i] += stats.writes[i].load(std::memory_order_relaxed);
  }
  started += stats.started.load(std::memory_order_relaxed);
  dropped += stats.dropped.load(std::memory_order_relaxed);
  inflight += stats.inflight.load(std::memory_order_relaxed);
  stats.corrected_us.AddTo(corrected_us);
}

std::uint64_t LiveSnapshot::TotalWrites() const {
  std::uint64_t total = 0;
  for (std::uint64_t w : writes) total += w;
  return total;
}

std::string FormatProgressLine(const char* phase, double elapsed_s, double total_s,
                               double target_rate, bool closed_loop, const LiveSnapshot& previous,
                               const LiveSnapshot& current, double interval_s) {
  if (interval_s <= 0) interval_s = 1;
  LiveHistogram::Counts interval{};
  for (std::size_t i = 0; i < LiveHistogram::kSize; ++i) {
    interval[i] = current.corrected_us[i] - previous.corrected_us[i];
  }
  const std::uint64_t writes = current.TotalWrites() - previous.TotalWrites();
  const std::uint64_t conflicts = current.writes[WriteStatusIndex(WriteStatus::kOutOfSync)] -
                                  previous.writes[WriteStatusIndex(WriteStatus::kOutOfSync)];
  std::uint64_t errors = 0;
  for (WriteStatus s : kAllWriteStatuses) {
    if (IsErrorStatus(s)) errors += current.writes[WriteStatusIndex(s)];
  }
  const double started_rate = static_cast<double>(current.started - previous.started) / interval_s;
  const double p99_ms = static_cast<double>(LiveHistogram::ValueAtQuantile(interval, 0.99)) / 1e3;
  char target[48];
  if (closed_loop) {
    std::snprintf(target, sizeof(target), "(closed loop)");
  } else {
    std::snprintf(target, sizeof(target), "of %.0f/s target", target_rate);
  }
  char line[320];
  std::snprintf(
      line, sizeof(line),
      "[%-7s %6.1fs/%.1fs] started %.0f/s %s | %.0f writes/s | inflight %lld | "
      "p99 %.2f ms | conflicts %.1f%% | errors %llu | dropped %llu",
      phase, elapsed_s, total_s, started_rate, target, static_cast<double>(writes) / interval_s,
      static_cast<long long>(current.inflight), p99_ms,
      writes == 0 ? 0.0 : 100.0 * static_cast<double>(conflicts) / static_cast<double>(writes),
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(current.dropped));
  return line;
}

}  // namespace sessionrig::loadgen
