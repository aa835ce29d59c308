// Google Benchmark of what recording one write costs in loadgen and sessiond:
//
//   BM_HdrHistogramRecord      loadgen's summary histogram (hdr_histogram.h),
//                              one latency
//   BM_LiveHistogramRecord     loadgen's progress-line histogram
//                              (live_stats.h), one latency
//   BM_LoadgenRecordWrite      loadgen's Prometheus path per write
//                              (WorkerMetrics::RecordWrite: status counter
//                              and two latency histograms)
//   BM_SessiondRecordRequest   sessiond's Prometheus path per request
//                              (Metrics::RecordRequest: counter by method and
//                              code, duration histogram)
//   BM_RelaxedIncrement        BASELINE of all four: one relaxed atomic
//                              increment, the least a shared counter costs
// Latencies cycle through 1024 values spread like a real run's (tens of
// microseconds to a second), so bucket searches are not always the same.
// Labels name the baseline ("baseline:..."); scripts/bench prints ratios.
//
//   build/release/bench/metrics_bench
#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>

#include "loadgen/hdr_histogram.h"
#include "loadgen/live_stats.h"
#include "loadgen/metrics.h"
#include "sessiond/metrics.h"

namespace {

using sessionrig::loadgen::HdrHistogram;
using sessionrig::loadgen::LiveHistogram;
using sessionrig::loadgen::WorkerMetrics;
using sessionrig::loadgen::WriteStatus;

constexpr std::size_t kValues = 1024;

// Latencies in microseconds, log-uniform between 20 us and 1 s, in a fixed
// scrambled order.
const std::array<std::int64_t, kValues>& Latencies() {
  static const std::array<std::int64_t, kValues> values = [] {
    std::array<std::int64_t, kValues> v{};
    for (std::size_t i = 0; i < kValues; ++i) {
      const std::size_t j = (i * 389) % kValues;  // 389 is prime: a permutation
      const double f = static_cast<double>(j) / static_cast<double>(kValues);
      v[i] = static_cast<std::int64_t>(20.0 * std::pow(5e4, f));
    }
    return v;
  }();
  return values;
}

constexpr const char* kBaselineLabel = "baseline:BM_RelaxedIncrement";

void BM_RelaxedIncrement(benchmark::State& state) {
  std::atomic<std::uint64_t> counter{0};
  for (auto _ : state) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }
  benchmark::DoNotOptimize(counter.load());
}

void BM_HdrHistogramRecord(benchmark::State& state) {
  const auto& values = Latencies();
  HdrHistogram h(3);
  std::size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i++ % kValues]);
  }
  benchmark::DoNotOptimize(h.TotalCount());
  state.SetLabel(kBaselineLabel);
}

void BM_LiveHistogramRecord(benchmark::State& state) {
  const auto& values = Latencies();
  LiveHistogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i++ % kValues]);
  }
  LiveHistogram::Counts counts{};
  h.AddTo(counts);
  benchmark::DoNotOptimize(counts);
  state.SetLabel(kBaselineLabel);
}

void BM_LoadgenRecordWrite(benchmark::State& state) {
  const auto& values = Latencies();
  WorkerMetrics m(/*action_count=*/1);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::int64_t v = values[i++ % kValues];
    m.RecordWrite(WriteStatus::kUpdated, v + 50, v);
  }
  state.SetLabel(kBaselineLabel);
}

void BM_SessiondRecordRequest(benchmark::State& state) {
  const auto& values = Latencies();
  sessionrig::sessiond::Metrics m;
  std::size_t i = 0;
  for (auto _ : state) {
    m.RecordRequest("PUT", 200, static_cast<double>(values[i++ % kValues]) * 1e-6);
  }
  state.SetLabel(kBaselineLabel);
}

BENCHMARK(BM_RelaxedIncrement);
BENCHMARK(BM_HdrHistogramRecord);
BENCHMARK(BM_LiveHistogramRecord);
BENCHMARK(BM_LoadgenRecordWrite);
BENCHMARK(BM_SessiondRecordRequest);

}  // namespace

BENCHMARK_MAIN();
