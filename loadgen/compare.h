// loadgen/compare.h: "is this run slower than the baseline?" with statistics
// that hold on a noisy machine (`loadgen compare BASE.json... -- NEW.json...`).
//
// Method (loadgen/README.md, "Comparing runs", says the same for users):
//  - Several runs per side (the runs are the samples, like benchstat): per
//    metric, the two-sided Mann-Whitney U test across runs, exact (the
//    permutation distribution of the rank sum, ties given midranks) up to
//    kExactLimit runs in all, normal approximation with tie and continuity
//    correction beyond; the change is the Hodges-Lehmann shift (median of
//    all new - base differences) with its distribution-free confidence
//    interval (order statistics of those differences at the exact U
//    quantiles), reported relative to the baseline median. Verdict "~" when
//    p >= alpha or the change is smaller than the minimum effect.
//  - One run per side: the differences, percentile by percentile, and a
//    warning that one run per side cannot separate a change from noise. When
//    both runs carry a `timeseries`, the per-interval values are compared
//    with batch means (consecutive intervals averaged in batches long
//    enough that the batch means are close to independent, then Welch's t
//    test on the batch means): it says whether the runs differ beyond their
//    own interval-to-interval noise, not whether the build differs.
//    Per-request samples are never treated as independent.
//
// Summaries are read through their JSON (schema
// sessionrig.loadgen.summary/v1; fields beyond v1 are optional).
//
// Thread-safety: pure functions and value types.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessionrig/status.h"

namespace sessionrig::loadgen {

// ---- the statistics, on plain samples ------------------------------------------

// Runs in all (both sides) up to which MannWhitneyU is exact.
inline constexpr std::size_t kExactLimit = 60;

struct MannWhitney {
  double u = 0;        // U of the second sample (pairs where y > x, ties counting 1/2)
  double p_value = 1;  // two-sided
  bool exact = true;   // false: normal approximation
};
// Two-sided Mann-Whitney U test of x against y. p = 1 when either is empty.
MannWhitney MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y);

// The smallest two-sided p-value an exact test can give with m and n runs
// (no ties): 2 / C(m + n, m). With 3 runs a side it is 0.1, so alpha 0.05
// can never be reached; with 4, 0.029; with 5, 0.0079.
double SmallestPValue(std::size_t m, std::size_t n);

struct Shift {
  double estimate = 0;        // Hodges-Lehmann: median of all y_j - x_i
  double lo = 0, hi = 0;      // confidence interval for the shift
  double confidence = 0;      // its actual coverage (discrete: >= 1 - alpha when possible)
  bool has_interval = false;  // false when no pair of order statistics reaches it
};
// The Hodges-Lehmann shift of y against x and its distribution-free
// confidence interval at level 1 - alpha (the widest available, with its
// coverage, when 1 - alpha cannot be reached with these sizes).
// REQUIRES: x and y not empty.
Shift HodgesLehmann(const std::vector<double>& x, const std::vector<double>& y, double alpha);

// Student's t distribution: CDF and quantile (df > 0).
double StudentTCdf(double t, double df);
double StudentTQuantile(double p, double df);

// Batch means of one per-interval series.
struct BatchMeans {
  bool ok = false;
  std::string why_not;         // when !ok
  std::size_t intervals = 0;   // values used
  double tau = 1;              // integrated autocorrelation time, in intervals (1 = independent)
  std::size_t batch_size = 0;  // intervals per batch
  std::size_t batches = 0;     // batches used (the leftover intervals at the end are dropped)
  double mean = 0;             // mean of the batch means
  double std_error = 0;        // standard error of `mean`
  double lag1 = 0;             // lag-1 autocorrelation of the batch means (diagnostic)
};
// Minimum values a series needs, and batches it must leave.
inline constexpr std::size_t kMinIntervals = 10;
inline constexpr std::size_t kMinBatches = 5;
// Batch size: max(floor(sqrt(n)), ceil(kTauBatches * tau)), tau estimated
// with Sokal's automatic window (window >= 5 tau). Not ok when fewer than
// kMinIntervals values, or fewer than kMinBatches batches remain (the series
// is too autocorrelated for its length).
inline constexpr double kTauBatches = 5.0;
BatchMeans ComputeBatchMeans(const std::vector<double>& series);

struct Welch {
  double diff = 0;        // mean(b) - mean(a)
  double lo = 0, hi = 0;  // confidence interval of diff at 1 - alpha
  double p_value = 1;     // two-sided
  double df = 0;          // Welch-Satterthwaite degrees of freedom
};
// Welch's t test on two batch-means results. REQUIRES: a.ok && b.ok.
Welch WelchTest(const BatchMeans& a, const BatchMeans& b, double alpha);

// ---- comparing summaries --------------------------------------------------------

enum class Better { kLower, kHigher };

// A metric compare judges. `key` is its --max-regression name.
struct CompareMetric {
  const char* key;    // "p50", "p90", "p99", "throughput", "conflict_rate", "attempts", "read_p99"
  const char* label;  // "write p99 (corrected)"
  const char* unit;   // "ms", "writes/s", "" (a ratio or a count)
  Better better;
};
const std::vector<CompareMetric>& CompareMetrics();

struct CompareOptions {
  double alpha = 0.05;
  double min_effect = 0.01;  // relative; smaller changes are "~" whatever p says
  // Key (CompareMetric::key, or "all") -> the largest relative regression
  // tolerated (0.1 = 10%). Metrics without a bound never fail the compare.
  std::map<std::string, double> max_regression;
};

// Parses "p99=10%,throughput=5%" into *out (keys as CompareMetric::key or
// "all"; values in percent). Errors: kInvalidArgument naming the item.
Status ParseMaxRegression(std::string_view spec, std::map<std::string, double>* out);
// Parses "1%" / "0.5%" into 0.01 / 0.005. Errors: kInvalidArgument.
StatusOr<double> ParsePercent(std::string_view text);

struct MetricResult {
  std::string key, label, unit;
  Better better = Better::kLower;
  std::vector<double> base, next;  // per run
  double base_median = 0, next_median = 0;
  // "mann-whitney" (several runs a side), "batch-means" (one run a side,
  // per-interval values), "none" (no test possible: see note).
  std::string method = "none";
  std::optional<double> p_value;
  double change = 0;  // new - base: HL shift, difference of batch means, or of medians
  bool has_interval = false;
  double change_lo = 0, change_hi = 0, confidence = 0;
  bool has_relative = false;                              // false when the baseline is 0
  double relative = 0, relative_lo = 0, relative_hi = 0;  // change / baseline
  // "better", "worse", "~" (no significant change, or below --min-effect),
  // "?" (no test possible).
  std::string verdict = "?";
  std::string note;
  std::optional<double> bound;  // its --max-regression, when given
  bool fails = false;           // significant regression beyond the bound
  // Batch means of each side (method batch-means).
  std::optional<BatchMeans> base_batches, next_batches;
};

// One row of the percentile-by-percentile table (medians across runs).
struct DifferenceRow {
  std::string name;  // "write corrected p99"
  std::string unit;
  double base = 0, next = 0;
};

struct CompareResult {
  std::size_t base_runs = 0, new_runs = 0;
  double alpha = 0.05, min_effect = 0.01;
  std::vector<std::string> warnings;
  std::vector<MetricResult> metrics;
  std::vector<DifferenceRow> differences;
  bool regression = false;  // some metric fails its --max-regression bound: exit 99
};

// Compares summaries (each a summary JSON object, already validated by the
// caller). Errors: kInvalidArgument for an empty side, or a --max-regression
// key no metric has.
StatusOr<CompareResult> Compare(const std::vector<nlohmann::json>& base,
                                const std::vector<nlohmann::json>& next,
                                const CompareOptions& options);

nlohmann::json ToJson(const CompareResult& result);

// The benchstat-style table, the differences and the warnings.
void PrintCompare(std::ostream& out, const CompareResult& result);

}  // namespace sessionrig::loadgen
