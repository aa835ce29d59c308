// loadgen/summary.h: the end-of-run summary, field by field the JSON schema
// sessionrig.loadgen.summary/v1 (loadgen/README.md lists every field), plus
// the raw histograms that make `loadgen merge` exact.
//
// JSON mapping: ToJson() writes every schema field; "histogram" is the
// encoded merged corrected-latency histogram as the schema requires, and an
// extra top-level object "histograms" {corrected, uncorrected,
// action_latency, action_attempts, schedule_lag, read_corrected,
// read_uncorrected, request_gap} carries every histogram (the schema lets
// fields grow; "histogram" == "histograms.corrected"). FromJson() requires
// the first five, so any summary this tool wrote can be merged exactly.
// Fields added later are optional on read (absent means zero/empty), so
// older summaries still read and merge: "actions.interrupted",
// "scenario_stats" {counters: {name: n}, histograms: {name: encoded}},
// "reads", "read_latency_ms", the read and request-gap histograms,
// "schedule.request_gap_ms", "interval_s", "start_unix_s", "timeseries"
// (timeseries.h) and "by_rank".
//
// Derived fields (writes.total, conflict_rate, throughput_wps, every
// percentile and attempts statistic, the intervals' percentiles and ratios,
// by_rank's ratios) are computed in exactly one place, FillDerived(), from
// the counters and histograms.
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
#include "loadgen/timeseries.h"
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

// Writes and conflicts of the sessions whose popularity rank (1-based:
// rank 1 is the most popular session under the Zipf law; the session with
// global index k has rank k + 1) falls in [rank_lo, rank_hi]. Buckets are
// powers of two: [1,1], [2,3], [4,7], [8,15], ...
struct RankBucket {
  std::uint64_t rank_lo = 1;
  std::uint64_t rank_hi = 1;
  std::uint64_t sessions = 0;  // sessions of the run in the bucket
  std::uint64_t writes = 0;    // completed writes to them (every status)
  std::uint64_t out_of_sync = 0;
  double conflict_ratio = 0;  // derived: out_of_sync / writes (0 without writes)
};

// The bucket of a 1-based rank: floor(log2(rank)) (rank 0 counts as 1).
inline std::size_t RankBucketIndex(std::uint64_t rank) {
  return rank <= 1 ? 0 : static_cast<std::size_t>(63 - __builtin_clzll(rank));
}

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
  };
  Latency latency_ms;  // writes

  // Reads (GET of a session: sync mode reads before it writes; append reads
  // what it appends to), measured like writes (runner.h).
  struct Reads {
    std::uint64_t total = 0;
    // No usable answer: transport error, timeout, HTTP failure status or a
    // response the parser refused. A missing session is an answer.
    std::uint64_t failed = 0;
  } reads;
  Latency read_latency_ms;  // derived

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
    // derived: client time between one request of an action completing and
    // the next one being sent (runner.h: the only time of an action that no
    // request's corrected latency holds).
    ShortPercentilesMs request_gap_ms;
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

  // The time series (timeseries.h): intervals of interval_s seconds from
  // start_unix_s, the unix time (s) at which the measured phase started
  // (--start-at plus the warm-up when given, so aligned shards agree
  // exactly; 0 when unknown).
  double interval_s = 1;
  double start_unix_s = 0;
  std::vector<TimeseriesInterval> timeseries;

  // Conflicts by session popularity rank, in rank order; empty when the
  // scenario picks no sessions.
  std::vector<RankBucket> by_rank;

  // Raw histograms; latencies in microseconds, attempts unitless.
  HdrHistogram corrected_us;         // write latency from the intended start
  HdrHistogram uncorrected_us;       // write latency from the actual send
  HdrHistogram action_latency_us;    // action latency (all attempts)
  HdrHistogram action_attempts;      // write attempts per action
  HdrHistogram schedule_lag_us;      // actual start - intended start
  HdrHistogram read_corrected_us;    // read latency from the intended start
  HdrHistogram read_uncorrected_us;  // read latency from the actual send
  HdrHistogram request_gap_us;       // send of a later request - completion of the one before
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

// The text of a --json file: ToJson() indented by two spaces, except that
// each interval of "timeseries" is one line (a one-hour run at 1 s
// intervals stays a few MB, one line per second).
std::string SummaryJsonText(const Summary& summary);

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
// re-evaluates them), scenario_stats merged by name, by_rank summed by
// bucket, and the time series merged interval by interval (same index =
// same wall-clock window; timeseries.h). scenario and mode must agree;
// target is kept when it agrees and becomes "mixed" otherwise; seed is the
// first summary's. `names` label the summaries in errors (file names; by
// default "summary <index>"). Errors: kInvalidArgument for an empty input,
// differing scenario or mode, histograms with different significant digits
// (the message names the histogram), and time series that cannot be
// aligned: different interval_s, start_unix_s more than 1 ms apart, or one
// summary without a time series among others with one (the message names
// both summaries).
StatusOr<Summary> Merge(const std::vector<Summary>& summaries,
                        const std::vector<std::string>& names = {});

// The human-readable end-of-run report (k6/wrk2 style): throughput, write
// status table with counts and percentages, conflict and error rates,
// corrected and uncorrected percentiles side by side, attempts per action,
// schedule lag and drops, consistency verdict with examples, thresholds
// with ✓/✗. `context` (e.g. the load model that was asked for), when not
// empty, is printed under the first line.
void PrintSummary(std::ostream& out, const Summary& summary, const std::string& context = "");

}  // namespace sessionrig::loadgen
