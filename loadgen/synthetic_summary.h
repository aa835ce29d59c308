// loadgen/synthetic_summary.h: summaries whose answer is known, for the
// tests of the report and of `loadgen compare` (and the browser test's
// `loadgen_synthetic_summary` tool). They carry every field of the summary
// contract, including the ones newer than schema v1 (reads, read latency,
// interval_s, timeseries, by_rank), built from real histograms so that
// every percentile is what the recorded values give.
//
// Latencies are lognormal around `median_ms` with log-sd `sigma`, scaled by
// `scale` (a 20% slower run: scale 1.2) and, per interval, by an AR(1)
// factor (`ar_phi`, `ar_sigma`) so that the per-interval series are
// autocorrelated as real ones are.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace sessionrig::loadgen {

struct SyntheticOptions {
  std::uint64_t seed = 1;
  std::string scenario = "lobby";  // "lobby" adds fill time and fairness stats
  std::size_t intervals = 30;      // of interval_s each
  double interval_s = 1.0;
  std::size_t writes_per_interval = 200;  // recorded samples per interval
  double median_ms = 4.0;                 // write latency median
  double sigma = 0.5;                     // log-sd of write latency
  double scale = 1.0;                     // multiplies every latency
  double conflict_ratio = 0.15;           // out_of_sync share of writes
  double ar_phi = 0.5;                    // per-interval latency factor: AR(1) coefficient
  double ar_sigma = 0.05;                 // ... and innovation log-sd
  bool reads = true;                      // record reads (sync mode)
  std::size_t rank_buckets = 6;           // by_rank buckets (0: none)
  bool timeseries = true;                 // include interval_s and timeseries
};

// A summary JSON object (schema sessionrig.loadgen.summary/v1 plus the newer
// optional fields) that ValidateSummaryJson accepts.
nlohmann::json MakeSyntheticSummary(const SyntheticOptions& options);

}  // namespace sessionrig::loadgen
