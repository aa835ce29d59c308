// sessionrig/metric_buckets.h: the upper bounds (le) of every latency
// histogram sessionrig exports to Prometheus, in seconds: loadgen's write,
// action and schedule-lag histograms and sessiond's request duration. One
// list, so `sum by (le)` across loadgen shards is exact and client-side and
// server-side quantiles come from the same buckets (docs/contracts.md,
// "Prometheus metrics").
#pragma once

#include <array>

namespace sessionrig {

// 1-2-5 steps from 100 us to 20 s, then 30 s and 60 s; +Inf is implicit.
inline constexpr std::array<double, 19> kLatencyBucketsSeconds = {
    0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
    0.2,    0.5,    1.0,    2.0,   5.0,   10.0,  20.0, 30.0, 60.0,
};

}  // namespace sessionrig
