// loadgen/summary.h: the end-of-run summary, field by field the JSON schema
// sessionrig.loadgen.summary/v1 (design.md), plus the raw histograms that
// make `loadgen merge` exact.
//
// JSON mapping: ToJson() writes every schema field; "histogram" is the
// encoded merged corrected-latency histogram as the schema requires, and an
// extra top-level object "histograms" {corrected, uncorrected,
// action_latency, action_attempts, schedule_lag} carries every histogram
// (the schema lets fields grow; "histogram" == "histograms.corrected").
// FromJson() requires all of them, so any summary this tool wrote can be
// merged exactly. Two more extra fields are optional on read (absent means
// zero/empty): "actions.interrupted" and "scenario_stats" {counters: {name:
// n}, histograms: {name: encoded}}.
//
// Derived fields (writes.total, conflict_rate, throughput_wps, every
// percentile and attempts statistic) are computed in exactly one place,
// FillDerived(), from the counters and histograms.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "loadgen/consistency.h"
#include "loadgen/hdr_histogram.h"
#include "loadgen/write_status.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

inline constexpr std::string_view kSummarySchema = "sessionrig.loadgen.summary/v1";

// Percentiles of a latency histogram, milliseconds.
struct LatencyPercentilesMs {
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
};

// A shorter percentile triple, milliseconds.
struct ShortPercentilesMs {
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};

// One evaluated --threshold.
struct ThresholdResult {
  std::string expr;  // as given, e.g. "p99<50ms"
  bool ok = false;
  double value = 0;  // the measured value, in the expression's unit (ms for latencies)
};

struct Summary {
  std::string scenario;
  std::string target;     // "embedded" or the URL
  std::string mode;       // sync | update | create | upsert
  double duration_s = 0;  // measured run length, seconds
  std::uint64_t seed = 0;

  struct Writes {
    std::uint64_t total = 0;                                   // derived: sum of by_status
    std::array<std::uint64_t, kWriteStatusCount> by_status{};  // indexed by WriteStatusIndex()
    std::uint64_t& operator[](WriteStatus s) { return by_status[WriteStatusIndex(s)]; }
    std::uint64_t operator[](WriteStatus s) const { return by_status[WriteStatusIndex(s)]; }
  } writes;

  double conflict_rate = 0;   // derived: out_of_sync / writes.total
  double throughput_wps = 0;  // derived: writes.total / duration_s, writes per second

  struct Latency {
    LatencyPercentilesMs corrected;    // derived, from intended start
    LatencyPercentilesMs uncorrected;  // derived, from actual send
  } latency_ms;

  struct Actions {
    std::uint64_t total = 0;  // derived: succeeded + failed
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0;
    // Actions still in flight when the run ended: their write was cancelled
    // (XAsyncCancel) and is neither a success nor a failure nor a write in
    // by_status. Not part of `total`.
    std::uint64_t interrupted = 0;
    struct Attempts {
      double mean = 0;
      double p99 = 0;
      double max = 0;
    } attempts;                     // derived, writes per action
    ShortPercentilesMs latency_ms;  // derived
  } actions;

  struct Schedule {
    std::uint64_t planned = 0;  // operations the schedule planned
    std::uint64_t started = 0;  // operations started
    std::uint64_t dropped = 0;  // operations not started because they were too late
    ShortPercentilesMs lag_ms;  // derived: start time - intended start time
  } schedule;

  ConsistencyResult consistency;
  std::vector<ThresholdResult> thresholds;

  // What one scenario measures beyond the schema (e.g. the lobby's fill
  // time). Merge sums counters and merges histograms by name.
  struct ScenarioStats {
    std::map<std::string, std::uint64_t> counters;
    // Names ending in "_us" hold microseconds (printed as ms percentiles);
    // other names hold counts (printed with mean; names ending in
    // "_per_user" also with Jain's fairness index).
    std::map<std::string, HdrHistogram> histograms;
  } scenario_stats;

  // Raw histograms; latencies in microseconds, attempts unitless.
  HdrHistogram corrected_us;       // write latency from the intended start
  HdrHistogram uncorrected_us;     // write latency from the actual send
  HdrHistogram action_latency_us;  // action latency (all attempts)
  HdrHistogram action_attempts;    // write attempts per action
  HdrHistogram schedule_lag_us;    // actual start - intended start
};

// Recomputes every derived field (see the struct) from counters and
// histograms. The one place these numbers are computed. Divisions by zero
// yield 0.
void FillDerived(Summary& summary);

// Writes that failed: the statuses IsErrorStatus() names, over writes.total
// (0 when there were no writes).
double ErrorRate(const Summary& summary);

// Jain's fairness index of the values recorded in `h`: (sum x)^2 / (n *
// sum x^2) over bucket medians, in (0, 1]; 1 when every value is equal, 1/n
// when one gets everything. 1 when empty or all zero.
double JainIndex(const HdrHistogram& h);

// The JSON document per schema sessionrig.loadgen.summary/v1 (see the top
// of this file for the extra "histograms" object).
nlohmann::json ToJson(const Summary& summary);

// Reads and validates a summary. Every required field is checked for
// presence and type; errors name the field path, e.g. kWrongType
// "writes.by_status.updated: expected a non-negative integer", kMissingField
// "schedule.lag_ms: missing". Also checked: the schema string,
// by_status holds exactly the 11 status keys, writes.total equals their
// sum, verdict is one of ok|violated|not_checked and agrees with checked,
// the histograms decode and "histogram" equals "histograms.corrected".
// Unknown extra fields are ignored.
StatusOr<Summary> FromJson(const nlohmann::json& json);

// Schema check: FromJson(json).status().
Status ValidateSummaryJson(const nlohmann::json& json);

// Parses summary file contents with ParseJsonStrict (limits sized for
// encoded histograms: 256 MiB text, 64 MiB strings), then FromJson.
StatusOr<Summary> ParseSummary(std::string_view text);

// Merges shard summaries exactly: counters summed, histograms merged,
// derived fields recomputed by FillDerived (so throughput = total writes /
// the longest duration, shards running concurrently), consistency results
// combined (MergeConsistencyResults), thresholds left empty (the caller
// re-evaluates them), scenario_stats merged by name. scenario and mode must agree; target is kept
// when it agrees and becomes "mixed" otherwise; seed is the first summary's. Errors:
// kInvalidArgument for an empty input, differing scenario or mode, or histograms with different
// significant digits (the message names the histogram and the summary index).
StatusOr<Summary> Merge(const std::vector<Summary>& summaries);

// The human-readable end-of-run report (k6/wrk2 style): throughput, write
// status table with counts and percentages, conflict and error rates,
// corrected and uncorrected percentiles side by side, attempts per action,
// schedule lag and drops, consistency verdict with examples, thresholds
// with ✓/✗. `context` (e.g. the load model that was asked for), when not
// empty, is printed under the first line.
void PrintSummary(std::ostream& out, const Summary& summary, const std::string& context = "");

}  // namespace sessionrig::loadgen
