// loadgen/metrics.h: loadgen's live Prometheus metrics (names exactly as in
// the repository's metric contract, dashboards/prometheus/metric_names.md),
// exposed over HTTP with prometheus-cpp's Exposer.
//
//   sessionrig_writes_total{scenario,mode,status}      counter (all 11 statuses)
//   sessionrig_write_duration_seconds                  histogram, corrected latency
//   sessionrig_write_service_seconds                   histogram, uncorrected latency
//   sessionrig_read_duration_seconds                   histogram, corrected read latency
//   sessionrig_action_duration_seconds{scenario,action} histogram
//   sessionrig_action_attempts                         histogram (kAttemptsBuckets)
//   sessionrig_schedule_lag_seconds                    histogram
//   sessionrig_dropped_total                           counter
//   sessionrig_inflight                                gauge
//   sessionrig_target_rate                             gauge, ops/s
//   sessionrig_consistency_violations_total{invariant} counter
//
// Every duration histogram uses kLatencyBucketsSeconds, the same in every
// loadgen process and in sessiond, so `sum by (le)` across shards is exact.
//
// Hot path: each worker thread records into its own WorkerMetrics (relaxed
// atomics in cache lines no other worker writes: no lock, no allocation,
// no label lookup). A scrape sums all workers' shards; only the scrape and
// AddWorker() take a mutex. Construct, Start() and destroy from one
// (setup) thread; everything else is thread-safe as documented.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/write_status.h"
#include "sessionrig/metric_buckets.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

// Upper bounds (le) of every duration histogram, seconds: the list sessiond
// uses too (sessionrig/metric_buckets.h).
using sessionrig::kLatencyBucketsSeconds;

// Upper bounds of the attempts-per-action histogram (writes per action).
inline constexpr std::array<double, 12> kAttemptsBuckets = {1, 2,  3,  4,  5,  6,
                                                            8, 10, 15, 20, 30, 50};

namespace metrics_internal {

// A histogram of integer observations with fixed integer upper bounds;
// buckets are not cumulative here (the scrape accumulates).
template <std::size_t kBounds>
struct AtomicHistogram {
  std::array<std::atomic<std::uint64_t>, kBounds + 1> buckets{};  // last: +Inf
  std::atomic<std::uint64_t> sum{0};  // sum of observations (us for latencies)

  void Observe(const std::array<std::int64_t, kBounds>& bounds, std::int64_t value) {
    if (value < 0) value = 0;
    std::size_t i = 0;
    while (i < kBounds && value > bounds[i]) ++i;
    buckets[i].fetch_add(1, std::memory_order_relaxed);
    sum.fetch_add(static_cast<std::uint64_t>(value), std::memory_order_relaxed);
  }
};

template <std::size_t N>
constexpr std::array<std::int64_t, N> ScaledBounds(const std::array<double, N>& bounds,
                                                   double scale) {
  std::array<std::int64_t, N> out{};
  // Bounds are positive, so adding 0.5 and truncating rounds to nearest
  // (std::llround is not constexpr).
  for (std::size_t i = 0; i < N; ++i) {
    out[i] =
        static_cast<std::int64_t>(bounds[i] * scale + 0.5);  // NOLINT(bugprone-incorrect-roundings)
  }
  return out;
}

// kLatencyBucketsSeconds in microseconds, kAttemptsBuckets as integers.
inline constexpr auto kLatencyBoundsUs = ScaledBounds(kLatencyBucketsSeconds, 1e6);
inline constexpr auto kAttemptsBounds = ScaledBounds(kAttemptsBuckets, 1.0);

using LatencyHistogram = AtomicHistogram<kLatencyBucketsSeconds.size()>;
using AttemptsHistogram = AtomicHistogram<kAttemptsBuckets.size()>;

}  // namespace metrics_internal

// One worker's shard of the metrics. Owned by Metrics; valid until the
// Metrics object is destroyed. Meant to be written by one thread (its
// worker); concurrent writers are safe but share cache lines.
class alignas(64) WorkerMetrics {
 public:
  explicit WorkerMetrics(std::size_t action_count) : actions_(action_count) {}

  // A completed write: its status and latencies from the intended start
  // (corrected) and from the actual send (uncorrected), microseconds.
  void RecordWrite(WriteStatus status, std::int64_t corrected_us, std::int64_t uncorrected_us) {
    writes_[WriteStatusIndex(status)].fetch_add(1, std::memory_order_relaxed);
    write_duration_.Observe(metrics_internal::kLatencyBoundsUs, corrected_us);
    write_service_.Observe(metrics_internal::kLatencyBoundsUs, uncorrected_us);
  }
  // A completed read (GET): its latency from its intended start, us
  // (runner.h's measurement rule).
  void RecordRead(std::int64_t corrected_us) {
    read_duration_.Observe(metrics_internal::kLatencyBoundsUs, corrected_us);
  }
  // A completed action: index into MetricsOptions::actions (ignored when
  // out of range), its duration in microseconds and its write attempts.
  void RecordAction(std::size_t action, std::int64_t duration_us, std::int64_t attempts) {
    if (action >= actions_.size()) return;
    actions_[action].Observe(metrics_internal::kLatencyBoundsUs, duration_us);
    attempts_.Observe(metrics_internal::kAttemptsBounds, attempts);
  }
  // Start time minus intended start time of a started operation, us.
  void RecordScheduleLag(std::int64_t lag_us) {
    schedule_lag_.Observe(metrics_internal::kLatencyBoundsUs, lag_us);
  }
  void RecordDropped(std::uint64_t count = 1) {
    dropped_.fetch_add(count, std::memory_order_relaxed);
  }
  // +1 when an operation starts, -1 when it completes.
  void AddInflight(std::int64_t delta) { inflight_.fetch_add(delta, std::memory_order_relaxed); }

 private:
  friend class Metrics;
  std::array<std::atomic<std::uint64_t>, kWriteStatusCount> writes_{};
  metrics_internal::LatencyHistogram write_duration_;
  metrics_internal::LatencyHistogram write_service_;
  metrics_internal::LatencyHistogram read_duration_;
  metrics_internal::LatencyHistogram schedule_lag_;
  std::vector<metrics_internal::LatencyHistogram> actions_;  // sized once, never resized
  metrics_internal::AttemptsHistogram attempts_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::int64_t> inflight_{0};
};

struct MetricsOptions {
  std::string scenario;              // label value of `scenario`
  std::string mode;                  // label value of `mode`
  std::vector<std::string> actions;  // label values of `action`, indexed by RecordAction()
};

class Metrics {
 public:
  explicit Metrics(MetricsOptions options);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Serves GET /metrics on `address` ("host:port"; port 0 picks a free
  // port, see Port()). Errors: kInvalidArgument when already started,
  // kUnavailable when the address cannot be bound (message names it).
  Status Start(const std::string& address);
  // The bound port after a successful Start(), else 0.
  int Port() const;

  // A new worker shard, owned by this object. Thread-safe; call at setup,
  // not per request (allocates).
  WorkerMetrics* AddWorker();

  // Thread-safe, lock-free.
  void SetTargetRate(double ops_per_second);
  // Violations of one consistency invariant (membership.h and consistency.h
  // name them: the `invariant` label). Every invariant is exported from the
  // start, at 0.
  void AddConsistencyViolations(std::string_view invariant, std::uint64_t count);

  // The current metrics in the Prometheus text format (what a scrape
  // returns). Thread-safe.
  std::string RenderText() const;

 private:
  class Collector;
  friend class Collector;

  // Constant after construction.
  const MetricsOptions options_;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<WorkerMetrics>> workers_;  // guarded by mu_

  std::atomic<double> target_rate_{0};
  // By invariant, in ConsistencyInvariants() order.
  std::array<std::atomic<std::uint64_t>, 6> consistency_violations_{};

  std::shared_ptr<Collector> collector_;
  // Declared last so it is destroyed first: no scrape runs during teardown.
  struct ExposerHolder;
  std::unique_ptr<ExposerHolder> exposer_;
};

}  // namespace sessionrig::loadgen
