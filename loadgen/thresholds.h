// loadgen/thresholds.h: --threshold expressions, evaluated against a
// Summary after the run (exit code 99 when any fails).
//
// Grammar (spaces around the operator are allowed):
//   threshold := metric op number [unit]
//   op        := "<" | "<=" | ">" | ">="
//   number    := non-negative decimal, e.g. 50, 0.3, 1e3
//   unit      := "us" | "ms" | "s"   (latency metrics only, and required there)
// Metrics (values are read from the Summary after FillDerived):
//   latency, compared in milliseconds:
//     p50 p90 p99 p999 max                       corrected write latency
//     uncorrected_p50 ... uncorrected_max        uncorrected write latency
//     read_p50 read_p90 read_p99 read_p999 read_max   corrected read latency
//     action_p50 action_p99 action_max           action latency
//     lag_p50 lag_p99 lag_max                    schedule lag
//   ratios in [0, 1]:
//     conflict_rate   out_of_sync / writes.total
//     error_rate      (conflict + access_denied + not_found + http_error +
//                      transport_error + timeout + parse_error) / writes.total;
//                     updated, created, session_deleted and out_of_sync are
//                     not errors (out_of_sync has conflict_rate)
//   counts and rates:
//     dropped         schedule.dropped (operations too late to start)
//     throughput_wps  writes per second
//     attempts_mean attempts_p99 attempts_max   write attempts per action
//     violations      consistency.violations
// Examples: "p99<50ms", "p999<=1s", "uncorrected_p99<20ms", "read_p99<100ms",
// "conflict_rate<0.3", "error_rate<0.01", "dropped<1",
// "throughput_wps>100", "attempts_p99<5".
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loadgen/summary.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

struct Threshold {
  enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual };
  std::string expr;    // the expression as given
  std::string metric;  // one of the metric names above
  Op op = Op::kLess;
  double limit = 0;  // in the metric's unit (milliseconds for latencies)
};

// Errors: kInvalidArgument with a message that quotes the expression and
// says what is wrong (unknown metric, missing or unknown operator, bad
// number, missing/unknown/unexpected unit), e.g.
//   threshold 'p99<50' : latency metric 'p99' needs a unit (us, ms or s)
StatusOr<Threshold> ParseThreshold(std::string_view expr);

// The measured value of `threshold.metric` in `summary` (ms for
// latencies) and whether it satisfies the comparison.
ThresholdResult Evaluate(const Threshold& threshold, const Summary& summary);

// Evaluates each threshold in order; returns true when all are ok.
bool EvaluateAll(const std::vector<Threshold>& thresholds, const Summary& summary,
                 std::vector<ThresholdResult>* results);

}  // namespace sessionrig::loadgen
