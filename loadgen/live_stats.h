// loadgen/live_stats.h: what the progress line reads while the run is on.
//
// Each worker owns one LiveStats and is its only writer (relaxed atomics,
// no lock, no allocation); the reporter thread reads all of them once per
// tick and subtracts the previous snapshot to get per-interval rates and
// the interval's p99. The latency histogram is log-linear with 32
// sub-buckets per power of two (about 3% resolution), coarser than the
// HdrHistogram of the final summary, and only for the live view.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "loadgen/write_status.h"

namespace sessionrig::loadgen {

class LiveHistogram {
 public:
  static constexpr int kSubBucketBits = 5;            // 32 sub-buckets per power of two
  static constexpr std::size_t kSize = 32 + 32 * 32;  // values up to 2^37 us

  using Counts = std::array<std::uint64_t, kSize>;

  // `value_us` < 0 counts as 0; huge values land in the last bucket.
  void Record(std::int64_t value_us) {
    counts_[Index(value_us)].fetch_add(1, std::memory_order_relaxed);
  }
  // Adds the current counts into `out`.
  void AddTo(Counts& out) const {
    for (std::size_t i = 0; i < kSize; ++i) out[i] += counts_[i].load(std::memory_order_relaxed);
  }

  static std::size_t Index(std::int64_t value);
  // The highest value of bucket `index`, us.
  static std::int64_t UpperValue(std::size_t index);
  // The value at quantile q in [0, 1] of `counts` (an upper bound within
  // the bucket's resolution); 0 when empty.
  static std::int64_t ValueAtQuantile(const Counts& counts, double q);

 private:
  std::array<std::atomic<std::uint64_t>, kSize> counts_{};
};

// One worker's live counters. Written only by its worker.
struct alignas(64) LiveStats {
  std::array<std::atomic<std::uint64_t>, kWriteStatusCount> writes{};  // measured phase
  std::atomic<std::uint64_t> started{0};  // actions started (all phases)
  std::atomic<std::uint64_t> dropped{0};  // arrivals dropped (measured phase)
  std::atomic<std::int64_t> inflight{0};  // requests in flight now
  LiveHistogram corrected_us;             // write latency from the intended start
};

// The sum of all workers at one instant (reporter side).
struct LiveSnapshot {
  std::array<std::uint64_t, kWriteStatusCount> writes{};
  std::uint64_t started = 0;
  std::uint64_t dropped = 0;
  std::int64_t inflight = 0;
  LiveHistogram::Counts corrected_us{};

  void Add(const LiveStats& stats);
  std::uint64_t TotalWrites() const;
};

// One progress line from two snapshots `interval_s` seconds apart, e.g.
// "[main  12.0s/30.0s] 498/s of 500/s target | 702 writes/s | inflight 3 |
//  p99 2.31 ms | conflicts 28.1% | errors 0 | dropped 0".
// `phase` is "warm-up" or "main"; rates are over the interval, counts
// (errors, dropped) since the start.
std::string FormatProgressLine(const char* phase, double elapsed_s, double total_s,
                               double target_rate, bool closed_loop, const LiveSnapshot& previous,
                               const LiveSnapshot& current, double interval_s);

}  // namespace sessionrig::loadgen
