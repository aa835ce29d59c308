#include "loadgen/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <ostream>
#include <utility>

namespace sessionrig::loadgen {

namespace {

// log |Gamma(x)|; lgamma_r, because std::lgamma writes the global signgam.
double LogGamma(double x) {
  int sign = 0;
  return lgamma_r(x, &sign);
}

using nlohmann::json;

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Midranks (1-based) of the pooled samples, doubled so that they are
// integers: a tie over ranks 3 and 4 gets 7 (3.5 * 2).
std::vector<int> DoubledMidranks(const std::vector<double>& pooled) {
  const std::size_t n = pooled.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return pooled[a] < pooled[b]; });
  std::vector<int> ranks(n);
  std::size_t i = 0;
  while (i < n) {
    std::size_t j = i;
    while (j + 1 < n && pooled[order[j + 1]] == pooled[order[i]]) ++j;
    // Ranks i+1 .. j+1: doubled midrank is (i+1) + (j+1).
    const int doubled = static_cast<int>(i + j + 2);
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = doubled;
    i = j + 1;
  }
  return ranks;
}

// The permutation distribution of the sum of `m` of `values` chosen
// uniformly: result[s] = P(sum == s). Values are small non-negative ints.
std::vector<double> SubsetSumDistribution(const std::vector<int>& values, std::size_t m) {
  int max_sum = 0;
  {
    std::vector<int> sorted = values;
    std::sort(sorted.rbegin(), sorted.rend());
    for (std::size_t i = 0; i < m && i < sorted.size(); ++i) max_sum += sorted[i];
  }
  const auto width = static_cast<std::size_t>(max_sum) + 1;
  // ways[k * width + s]: subsets of size k with sum s (as doubles: C(60,30) ~ 1e17).
  std::vector<double> ways((m + 1) * width, 0.0);
  ways[0] = 1.0;
  std::size_t seen = 0;
  for (int v : values) {
    ++seen;
    const auto value = static_cast<std::size_t>(v);
    for (std::size_t k = std::min(seen, m); k >= 1; --k) {
      double* to = &ways[k * width];
      const double* from = &ways[(k - 1) * width];
      for (std::size_t s = width; s-- > value;) to[s] += from[s - value];
    }
  }
  std::vector<double> dist(ways.begin() + static_cast<std::ptrdiff_t>(m * width), ways.end());
  const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
  for (double& d : dist) d /= total;
  return dist;
}

// Regularized incomplete beta I_x(a, b) (Lentz's continued fraction).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-15;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double md = m;
    double aa = md * (b - md) * x / ((a + 2 * md - 1) * (a + 2 * md));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + md) * (a + b + md) * x / ((a + 2 * md) * (a + 2 * md + 1));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return h;
}

double IncompleteBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front =
      std::exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1.0 - front * BetaContinuedFraction(b, a, 1 - x) / b;
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Lag-t autocorrelation of `v` around `mean` (biased estimator, as Sokal).
std::vector<double> Autocorrelation(const std::vector<double>& v, std::size_t max_lag) {
  const std::size_t n = v.size();
  const double mean = Mean(v);
  std::vector<double> c(max_lag + 1, 0.0);
  for (std::size_t t = 0; t <= max_lag && t < n; ++t) {
    double sum = 0;
    for (std::size_t i = 0; i + t < n; ++i) sum += (v[i] - mean) * (v[i + t] - mean);
    c[t] = sum / static_cast<double>(n);
  }
  std::vector<double> rho(max_lag + 1, 0.0);
  if (c[0] <= 0) return rho;  // constant series: no correlation to speak of
  for (std::size_t t = 0; t <= max_lag; ++t) rho[t] = c[t] / c[0];
  return rho;
}

// Integrated autocorrelation time with Sokal's automatic window: the
// smallest window M with M >= 5 tau(M). Returns +inf when no window up to
// n/2 satisfies it (the series is too short for its correlation).
double IntegratedAutocorrelationTime(const std::vector<double>& v) {
  const std::size_t max_lag = v.size() / 2;
  const std::vector<double> rho = Autocorrelation(v, max_lag);
  double tau = 1.0;
  for (std::size_t m = 1; m <= max_lag; ++m) {
    tau += 2.0 * rho[m];
    if (static_cast<double>(m) >= 5.0 * tau) return std::max(tau, 1.0);
  }
  return std::numeric_limits<double>::infinity();
}

std::string Fmt(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::string Percent(double fraction) { return Fmt("%+.1f%%", 100.0 * fraction); }

// ---- reading summaries through their JSON --------------------------------------

std::optional<double> NumberAt(const json& root, std::initializer_list<const char*> path) {
  const json* node = &root;
  for (const char* key : path) {
    if (!node->is_object()) return std::nullopt;
    const auto it = node->find(key);
    if (it == node->end()) return std::nullopt;
    node = &*it;
  }
  if (!node->is_number()) return std::nullopt;
  const double v = node->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> MetricValue(const json& s, std::string_view key) {
  if (key == "p50") return NumberAt(s, {"latency_ms", "corrected", "p50"});
  if (key == "p90") return NumberAt(s, {"latency_ms", "corrected", "p90"});
  if (key == "p99") return NumberAt(s, {"latency_ms", "corrected", "p99"});
  if (key == "throughput") return NumberAt(s, {"throughput_wps"});
  if (key == "conflict_rate") return NumberAt(s, {"conflict_rate"});
  if (key == "attempts") return NumberAt(s, {"actions", "attempts", "mean"});
  if (key == "read_p99") {
    // Only runs that read: a summary without reads has no read latency.
    const std::optional<double> reads = NumberAt(s, {"reads", "total"});
    if (!reads || *reads <= 0) return std::nullopt;
    return NumberAt(s, {"read_latency_ms", "corrected", "p99"});
  }
  return std::nullopt;
}

// The per-interval series of a metric, for batch means; empty when the
// summary has no usable timeseries. Intervals shorter than half the
// interval length (the last one may be) are left out; latency and conflict
// values only from intervals that had writes (reads for read_p99).
std::vector<double> IntervalSeries(const json& s, std::string_view key) {
  std::vector<double> out;
  const auto it = s.find("timeseries");
  if (it == s.end() || !it->is_array()) return out;
  double nominal = NumberAt(s, {"interval_s"}).value_or(0.0);
  if (!(nominal > 0)) {
    std::vector<double> durations;
    for (const json& row : *it) durations.push_back(NumberAt(row, {"duration_s"}).value_or(0.0));
    nominal = Median(durations);
  }
  for (const json& row : *it) {
    const double duration = NumberAt(row, {"duration_s"}).value_or(0.0);
    if (!(duration >= 0.5 * nominal) || !(duration > 0)) continue;
    const double writes = NumberAt(row, {"writes", "total"}).value_or(0.0);
    std::optional<double> v;
    if (key == "throughput") {
      v = writes / duration;
    } else if (key == "p50" || key == "p90" || key == "p99") {
      if (writes > 0) v = NumberAt(row, {"write_latency_ms", std::string(key).c_str()});
    } else if (key == "conflict_rate") {
      if (writes > 0) v = NumberAt(row, {"conflict_ratio"});
    } else if (key == "read_p99") {
      if (NumberAt(row, {"reads", "total"}).value_or(0.0) > 0) {
        v = NumberAt(row, {"read_latency_ms", "p99"});
      }
    }
    if (v) out.push_back(*v);
  }
  return out;
}

std::string StringAt(const json& s, const char* key) {
  const auto it = s.find(key);
  return it != s.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double ErrorRateOf(const json& s) {
  static constexpr const char* kErrors[] = {"conflict",   "access_denied",   "not_found",
                                            "http_error", "transport_error", "timeout",
                                            "parse_error"};
  const double total = NumberAt(s, {"writes", "total"}).value_or(0.0);
  if (!(total > 0)) return 0;
  double errors = 0;
  for (const char* key : kErrors) errors += NumberAt(s, {"writes", "by_status", key}).value_or(0.0);
  return errors / total;
}

void SetVerdict(MetricResult& m, double alpha, double min_effect) {
  if (!m.p_value) {
    m.verdict = "?";
    return;
  }
  const bool significant = *m.p_value < alpha;
  const double size = m.has_relative ? std::fabs(m.relative) : std::fabs(m.change);
  const double threshold = m.has_relative ? min_effect : 0.0;
  if (!significant || m.change == 0 || size < threshold) {
    m.verdict = "~";
    return;
  }
  const bool up = m.change > 0;
  m.verdict = (up == (m.better == Better::kHigher)) ? "better" : "worse";
}

}  // namespace

// ---- statistics -------------------------------------------------------------------

MannWhitney MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y) {
  MannWhitney result;
  const std::size_t m = x.size();
  const std::size_t n = y.size();
  if (m == 0 || n == 0) return result;
  std::vector<double> pooled = x;
  pooled.insert(pooled.end(), y.begin(), y.end());
  const std::vector<int> ranks = DoubledMidranks(pooled);
  // Doubled rank sum of y.
  long long w2 = 0;
  for (std::size_t i = m; i < m + n; ++i) w2 += ranks[i];
  const double big_n = static_cast<double>(m + n);
  result.u = static_cast<double>(w2) / 2.0 - static_cast<double>(n * (n + 1)) / 2.0;
  const double mean2 = static_cast<double>(n) * (big_n + 1.0);  // E[doubled W]
  const double observed = std::fabs(static_cast<double>(w2) - mean2);
  if (m + n <= kExactLimit) {
    const std::vector<double> dist = SubsetSumDistribution(ranks, n);
    double p = 0;
    for (std::size_t s = 0; s < dist.size(); ++s) {
      // Tolerance: doubled sums are integers, so half a unit separates them.
      if (std::fabs(static_cast<double>(s) - mean2) >= observed - 0.25) p += dist[s];
    }
    result.p_value = std::min(1.0, p);
    result.exact = true;
    return result;
  }
  // Normal approximation with tie correction and continuity correction.
  std::vector<double> sorted = pooled;
  std::sort(sorted.begin(), sorted.end());
  double tie_term = 0;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  const double md = static_cast<double>(m);
  const double nd = static_cast<double>(n);
  const double variance = md * nd / 12.0 * ((big_n + 1.0) - tie_term / (big_n * (big_n - 1.0)));
  const double mu = md * nd / 2.0;
  const double z =
      variance > 0 ? std::max(0.0, std::fabs(result.u - mu) - 0.5) / std::sqrt(variance) : 0.0;
  result.p_value = std::min(1.0, 2.0 * (1.0 - NormalCdf(z)));
  result.exact = false;
  return result;
}

double SmallestPValue(std::size_t m, std::size_t n) {
  if (m == 0 || n == 0) return 1.0;
  // log C(m+n, m)
  const double log_c = LogGamma(static_cast<double>(m + n + 1)) -
                       LogGamma(static_cast<double>(m + 1)) - LogGamma(static_cast<double>(n + 1));
  return std::min(1.0, 2.0 * std::exp(-log_c));
}

Shift HodgesLehmann(const std::vector<double>& x, const std::vector<double>& y, double alpha) {
  Shift shift;
  const std::size_t m = x.size();
  const std::size_t n = y.size();
  if (m == 0 || n == 0) return shift;
  std::vector<double> d;
  d.reserve(m * n);
  for (double yj : y) {
    for (double xi : x) d.push_back(yj - xi);
  }
  std::sort(d.begin(), d.end());
  shift.estimate = Median(d);
  const std::size_t mn = d.size();
  // The null distribution of U (no ties) from the rank-sum distribution of
  // n of the ranks 1..m+n: U = W - n(n+1)/2.
  std::vector<int> ranks(m + n);
  std::iota(ranks.begin(), ranks.end(), 1);
  std::vector<double> w_dist;
  if (m + n <= kExactLimit) w_dist = SubsetSumDistribution(ranks, n);
  const auto offset = n * (n + 1) / 2;
  // P(U <= u)
  auto cdf = [&](std::size_t u) {
    if (!w_dist.empty()) {
      double p = 0;
      for (std::size_t s = offset; s <= offset + u && s < w_dist.size(); ++s) p += w_dist[s];
      return p;
    }
    const double mu = static_cast<double>(mn) / 2.0;
    const double sd = std::sqrt(static_cast<double>(m) * static_cast<double>(n) *
                                static_cast<double>(m + n + 1) / 12.0);
    return NormalCdf((static_cast<double>(u) + 0.5 - mu) / sd);
  };
  // Largest k >= 1 with P(U <= k - 1) <= alpha / 2.
  std::size_t k = 0;
  while (k + 1 <= (mn + 1) / 2 && cdf(k) <= alpha / 2.0) ++k;
  if (k == 0) k = 1;  // the widest interval there is, with its own coverage
  const double coverage = 1.0 - 2.0 * cdf(k - 1);
  if (coverage <= 0) return shift;
  shift.lo = d[k - 1];
  shift.hi = d[mn - k];
  shift.confidence = coverage;
  shift.has_interval = true;
  return shift;
}

double StudentTCdf(double t, double df) {
  if (!(df > 0)) return 0.5;
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  const double x = df / (df + t * t);
  const double tail = 0.5 * IncompleteBeta(df / 2.0, 0.5, x);
  return t > 0 ? 1.0 - tail : tail;
}

double StudentTQuantile(double p, double df) {
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  double lo = -1.0;
  double hi = 1.0;
  while (StudentTCdf(lo, df) > p) lo *= 2;
  while (StudentTCdf(hi, df) < p) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    if (StudentTCdf(mid, df) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

BatchMeans ComputeBatchMeans(const std::vector<double>& series) {
  BatchMeans bm;
  const std::size_t n = series.size();
  bm.intervals = n;
  if (n < kMinIntervals) {
    bm.why_not = std::to_string(n) + " intervals with values; batch means needs at least " +
                 std::to_string(kMinIntervals);
    return bm;
  }
  bm.tau = IntegratedAutocorrelationTime(series);
  if (std::isinf(bm.tau)) {
    bm.why_not = "the per-interval values are autocorrelated over most of the run (" +
                 std::to_string(n) + " intervals): no independent batches";
    return bm;
  }
  const auto by_tau = static_cast<std::size_t>(std::ceil(kTauBatches * bm.tau));
  const auto by_sqrt = static_cast<std::size_t>(std::sqrt(static_cast<double>(n)));
  bm.batch_size = std::max<std::size_t>({1, by_tau, by_sqrt});
  bm.batches = n / bm.batch_size;
  if (bm.batches < kMinBatches) {
    bm.why_not = "the per-interval values are autocorrelated (tau " + Fmt("%.1f", bm.tau) +
                 " intervals): batches of " + std::to_string(bm.batch_size) + " leave " +
                 std::to_string(bm.batches) + " of the " + std::to_string(kMinBatches) +
                 " needed; run longer";
    return bm;
  }
  std::vector<double> means(bm.batches, 0.0);
  for (std::size_t b = 0; b < bm.batches; ++b) {
    double sum = 0;
    for (std::size_t i = 0; i < bm.batch_size; ++i) sum += series[b * bm.batch_size + i];
    means[b] = sum / static_cast<double>(bm.batch_size);
  }
  bm.mean = Mean(means);
  double ss = 0;
  for (double v : means) ss += (v - bm.mean) * (v - bm.mean);
  const double k = static_cast<double>(bm.batches);
  bm.std_error = std::sqrt(ss / (k - 1.0) / k);
  bm.lag1 = Autocorrelation(means, 1)[1];
  bm.ok = true;
  return bm;
}

Welch WelchTest(const BatchMeans& a, const BatchMeans& b, double alpha) {
  Welch w;
  w.diff = b.mean - a.mean;
  const double va = a.std_error * a.std_error;
  const double vb = b.std_error * b.std_error;
  const double v = va + vb;
  if (!(v > 0)) {
    w.p_value = w.diff == 0 ? 1.0 : 0.0;
    w.lo = w.hi = w.diff;
    w.df = static_cast<double>(a.batches + b.batches - 2);
    return w;
  }
  const double ka = static_cast<double>(a.batches) - 1.0;
  const double kb = static_cast<double>(b.batches) - 1.0;
  w.df = v * v / (va * va / ka + vb * vb / kb);
  const double t = w.diff / std::sqrt(v);
  w.p_value = std::min(1.0, 2.0 * (1.0 - StudentTCdf(std::fabs(t), w.df)));
  const double q = StudentTQuantile(1.0 - alpha / 2.0, w.df);
  w.lo = w.diff - q * std::sqrt(v);
  w.hi = w.diff + q * std::sqrt(v);
  return w;
}

// ---- options ------------------------------------------------------------------------

const std::vector<CompareMetric>& CompareMetrics() {
  static const std::vector<CompareMetric> kMetrics = {
      {"p50", "write p50 (corrected)", "ms", Better::kLower},
      {"p90", "write p90 (corrected)", "ms", Better::kLower},
      {"p99", "write p99 (corrected)", "ms", Better::kLower},
      {"throughput", "throughput", "writes/s", Better::kHigher},
      {"conflict_rate", "conflict rate", "", Better::kLower},
      {"attempts", "attempts per action (mean)", "", Better::kLower},
      {"read_p99", "read p99 (corrected)", "ms", Better::kLower},
  };
  return kMetrics;
}

StatusOr<double> ParsePercent(std::string_view text) {
  if (text.size() < 2 || text.back() != '%') {
    return Status(StatusCode::kInvalidArgument,
                  "'" + std::string(text) + "': expected a percentage such as 10%");
  }
  const std::string number(text.substr(0, text.size() - 1));
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || *end != '\0' || !std::isfinite(v) || v < 0 || v > 1e6) {
    return Status(StatusCode::kInvalidArgument,
                  "'" + std::string(text) + "': expected a non-negative percentage such as 10%");
  }
  return v / 100.0;
}

Status ParseMaxRegression(std::string_view spec, std::map<std::string, double>* out) {
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string_view item = spec.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) {
      return Status(StatusCode::kInvalidArgument,
                    "empty item in '" + std::string(spec) + "' (expected METRIC=PCT,...)");
    }
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status(StatusCode::kInvalidArgument,
                    "'" + std::string(item) + "': expected METRIC=PCT, e.g. p99=10%");
    }
    const std::string key(item.substr(0, eq));
    bool known = key == "all";
    for (const CompareMetric& m : CompareMetrics()) known = known || key == m.key;
    if (!known) {
      std::string names = "all";
      for (const CompareMetric& m : CompareMetrics()) names += std::string(", ") + m.key;
      return Status(StatusCode::kInvalidArgument,
                    "'" + key + "': unknown metric (one of " + names + ")");
    }
    StatusOr<double> bound = ParsePercent(item.substr(eq + 1));
    if (!bound.ok())
      return Status(StatusCode::kInvalidArgument, key + ": " + bound.status().message());
    (*out)[key] = *bound;
    if (comma == spec.size()) break;
  }
  return Status::Ok();
}

// ---- comparing summaries --------------------------------------------------------------

StatusOr<CompareResult> Compare(const std::vector<json>& base, const std::vector<json>& next,
                                const CompareOptions& options) {
  if (base.empty() || next.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "compare: need at least one baseline and one new summary");
  }
  CompareResult r;
  r.base_runs = base.size();
  r.new_runs = next.size();
  r.alpha = options.alpha;
  r.min_effect = options.min_effect;

  const bool across_runs = base.size() >= 2 && next.size() >= 2;
  const bool single = base.size() == 1 && next.size() == 1;
  if (single) {
    r.warnings.push_back(
        "one run per side cannot separate a change from run-to-run noise: the differences "
        "below are single observations. Verdicts, where shown, compare per-interval values "
        "with batch means: they say whether the two runs differ beyond their own "
        "interval-to-interval noise, not whether the build differs. Run 5 a side for that.");
  } else if (!across_runs) {
    r.warnings.push_back("one side has a single run: no test across runs is possible (" +
                         std::to_string(base.size()) + " vs " + std::to_string(next.size()) +
                         "); the changes below compare medians. Run 5 a side.");
  } else if (SmallestPValue(base.size(), next.size()) >= options.alpha) {
    r.warnings.push_back("with " + std::to_string(base.size()) + " and " +
                         std::to_string(next.size()) + " runs the smallest possible p-value is " +
                         Fmt("%.3g", SmallestPValue(base.size(), next.size())) +
                         ", not below alpha " + Fmt("%g", options.alpha) +
                         ": no change can be significant. Run at least 4 a side (5 is better).");
  }
  // Runs that are not alike are worth a word.
  auto check_same = [&](const char* key) {
    const std::string first = StringAt(base.front(), key);
    bool same = true;
    for (const json& s : base) same = same && StringAt(s, key) == first;
    for (const json& s : next) same = same && StringAt(s, key) == first;
    if (!same) {
      r.warnings.push_back(std::string("the runs differ in ") + key +
                           ": the comparison mixes unlike runs");
    }
  };
  check_same("scenario");
  check_same("mode");

  for (const auto& [key, bound] : options.max_regression) {
    (void)bound;
    bool known = key == "all";
    for (const CompareMetric& m : CompareMetrics()) known = known || key == m.key;
    if (!known) {
      return Status(StatusCode::kInvalidArgument, "--max-regression: unknown metric '" + key + "'");
    }
  }

  for (const CompareMetric& spec : CompareMetrics()) {
    MetricResult m;
    m.key = spec.key;
    m.label = spec.label;
    m.unit = spec.unit;
    m.better = spec.better;
    bool complete = true;
    for (const json& s : base) {
      const std::optional<double> v = MetricValue(s, spec.key);
      if (!v) complete = false;
      m.base.push_back(v.value_or(0.0));
    }
    for (const json& s : next) {
      const std::optional<double> v = MetricValue(s, spec.key);
      if (!v) complete = false;
      m.next.push_back(v.value_or(0.0));
    }
    if (const auto it = options.max_regression.find(spec.key); it != options.max_regression.end()) {
      m.bound = it->second;
    } else if (const auto all = options.max_regression.find("all");
               all != options.max_regression.end()) {
      m.bound = all->second;
    }
    if (!complete) {
      if (std::string_view(spec.key) == "read_p99") {
        if (options.max_regression.count("read_p99") > 0) {
          r.warnings.push_back("--max-regression read_p99: not every run read; bound not applied");
        }
        continue;  // runs without reads: no read metric at all
      }
      m.note = "missing from some summaries";
      r.metrics.push_back(std::move(m));
      continue;
    }
    m.base_median = Median(m.base);
    m.next_median = Median(m.next);
    m.change = m.next_median - m.base_median;

    if (across_runs) {
      const MannWhitney mw = MannWhitneyU(m.base, m.next);
      const Shift shift = HodgesLehmann(m.base, m.next, options.alpha);
      m.method = "mann-whitney";
      m.p_value = mw.p_value;
      m.change = shift.estimate;
      m.has_interval = shift.has_interval;
      m.change_lo = shift.lo;
      m.change_hi = shift.hi;
      m.confidence = shift.confidence;
      if (!mw.exact) m.note = "normal approximation";
    } else if (single) {
      const std::vector<double> a = IntervalSeries(base.front(), spec.key);
      const std::vector<double> b = IntervalSeries(next.front(), spec.key);
      if (a.empty() || b.empty()) {
        m.note = std::string_view(spec.key) == "attempts"
                     ? "per-interval attempts are not recorded"
                     : "no per-interval values (timeseries) in both summaries";
      } else {
        const BatchMeans ba = ComputeBatchMeans(a);
        const BatchMeans bb = ComputeBatchMeans(b);
        m.base_batches = ba;
        m.next_batches = bb;
        if (!ba.ok || !bb.ok) {
          m.note = "batch means: " + (ba.ok ? bb.why_not : ba.why_not);
        } else {
          const Welch w = WelchTest(ba, bb, options.alpha);
          m.method = "batch-means";
          m.p_value = w.p_value;
          m.change = w.diff;
          m.has_interval = true;
          m.change_lo = w.lo;
          m.change_hi = w.hi;
          m.confidence = 1.0 - options.alpha;
          // The relative change is against the baseline's interval mean.
          m.note = "mean of per-interval values: base " + Fmt("%.6g", ba.mean) + ", new " +
                   Fmt("%.6g", bb.mean) + " (batches of " + std::to_string(ba.batch_size) + "/" +
                   std::to_string(bb.batch_size) + " intervals)";
        }
      }
    } else {
      m.note = "too few runs on one side for a test";
    }
    const double reference = m.method == "batch-means" ? m.base_batches->mean : m.base_median;
    if (reference != 0) {
      m.has_relative = true;
      m.relative = m.change / std::fabs(reference);
      m.relative_lo = m.change_lo / std::fabs(reference);
      m.relative_hi = m.change_hi / std::fabs(reference);
    }
    SetVerdict(m, options.alpha, options.min_effect);
    if (m.bound && m.verdict == "worse") {
      const double worse_by = m.has_relative
                                  ? (m.better == Better::kLower ? m.relative : -m.relative)
                                  : std::numeric_limits<double>::infinity();
      m.fails = worse_by > *m.bound;
      r.regression = r.regression || m.fails;
    }
    r.metrics.push_back(std::move(m));
  }

  // Percentile by percentile (medians across runs).
  auto add_row = [&](const std::string& name, const std::string& unit, auto&& get) {
    std::vector<double> a, b;
    for (const json& s : base) {
      if (std::optional<double> v = get(s)) a.push_back(*v);
    }
    for (const json& s : next) {
      if (std::optional<double> v = get(s)) b.push_back(*v);
    }
    if (a.size() != base.size() || b.size() != next.size()) return;
    r.differences.push_back(DifferenceRow{name, unit, Median(a), Median(b)});
  };
  for (const char* kind : {"corrected", "uncorrected"}) {
    for (const char* p : {"p50", "p90", "p99", "p999", "max"}) {
      add_row(std::string("write ") + kind + " " + p, "ms", [&](const json& s) {
        return NumberAt(s, {"latency_ms", kind, p});
      });
    }
  }
  bool all_read = true;
  for (const json& s : base) all_read = all_read && MetricValue(s, "read_p99").has_value();
  for (const json& s : next) all_read = all_read && MetricValue(s, "read_p99").has_value();
  if (all_read) {
    for (const char* kind : {"corrected", "uncorrected"}) {
      for (const char* p : {"p50", "p90", "p99", "p999", "max"}) {
        add_row(std::string("read ") + kind + " " + p, "ms", [&](const json& s) {
          return NumberAt(s, {"read_latency_ms", kind, p});
        });
      }
    }
  }
  add_row("throughput", "writes/s", [](const json& s) { return NumberAt(s, {"throughput_wps"}); });
  add_row("conflict rate", "", [](const json& s) { return NumberAt(s, {"conflict_rate"}); });
  add_row("error rate", "", [](const json& s) { return std::optional<double>(ErrorRateOf(s)); });
  add_row("attempts mean", "", [](const json& s) {
    return NumberAt(s, {"actions", "attempts", "mean"});
  });
  add_row("attempts p99", "", [](const json& s) {
    return NumberAt(s, {"actions", "attempts", "p99"});
  });
  add_row("action p50", "ms", [](const json& s) {
    return NumberAt(s, {"actions", "latency_ms", "p50"});
  });
  add_row("action p99", "ms", [](const json& s) {
    return NumberAt(s, {"actions", "latency_ms", "p99"});
  });
  add_row("dropped arrivals", "", [](const json& s) {
    return NumberAt(s, {"schedule", "dropped"});
  });
  add_row("schedule lag p99", "ms", [](const json& s) {
    return NumberAt(s, {"schedule", "lag_ms", "p99"});
  });
  return r;
}

namespace {

json BatchJson(const BatchMeans& b) {
  json j{{"ok", b.ok},           {"intervals", b.intervals}, {"batch_size", b.batch_size},
         {"batches", b.batches}, {"mean", b.mean},           {"std_error", b.std_error},
         {"lag1", b.lag1}};
  j["tau"] = std::isfinite(b.tau) ? json(b.tau) : json(nullptr);
  if (!b.ok) j["why_not"] = b.why_not;
  return j;
}

}  // namespace

json ToJson(const CompareResult& r) {
  json metrics = json::array();
  for (const MetricResult& m : r.metrics) {
    json j{{"key", m.key},
           {"label", m.label},
           {"unit", m.unit},
           {"better", m.better == Better::kLower ? "lower" : "higher"},
           {"base", m.base},
           {"new", m.next},
           {"base_median", m.base_median},
           {"new_median", m.next_median},
           {"method", m.method},
           {"change", m.change},
           {"verdict", m.verdict},
           {"note", m.note},
           {"fails", m.fails}};
    j["p_value"] = m.p_value ? json(*m.p_value) : json(nullptr);
    if (m.has_interval) {
      j["interval"] = json{{"lo", m.change_lo}, {"hi", m.change_hi}, {"confidence", m.confidence}};
    }
    if (m.has_relative) {
      j["relative"] = json{{"change", m.relative}, {"lo", m.relative_lo}, {"hi", m.relative_hi}};
    }
    j["bound"] = m.bound ? json(*m.bound) : json(nullptr);
    if (m.base_batches) j["base_batches"] = BatchJson(*m.base_batches);
    if (m.next_batches) j["new_batches"] = BatchJson(*m.next_batches);
    metrics.push_back(std::move(j));
  }
  json differences = json::array();
  for (const DifferenceRow& d : r.differences) {
    differences.push_back(
        json{{"name", d.name}, {"unit", d.unit}, {"base", d.base}, {"new", d.next}});
  }
  return json{{"base_runs", r.base_runs},
              {"new_runs", r.new_runs},
              {"alpha", r.alpha},
              {"min_effect", r.min_effect},
              {"warnings", r.warnings},
              {"metrics", std::move(metrics)},
              {"differences", std::move(differences)},
              {"regression", r.regression}};
}

void PrintCompare(std::ostream& out, const CompareResult& r) {
  const bool across = r.base_runs >= 2 && r.new_runs >= 2;
  out << "loadgen compare: " << r.base_runs << " baseline run" << (r.base_runs == 1 ? "" : "s")
      << " vs " << r.new_runs << " new run" << (r.new_runs == 1 ? "" : "s") << " ("
      << (across ? "Mann-Whitney U across runs, Hodges-Lehmann change"
                 : "one run a side: batch means of per-interval values")
      << ", alpha " << Fmt("%g", r.alpha) << ", min effect " << Fmt("%g", 100 * r.min_effect)
      << "%)\n\n";
  char line[512];
  std::snprintf(line, sizeof(line), "  %-28s %12s %12s  %-32s %8s  %s\n", "metric", "base", "new",
                "change [CI]", "p", "verdict");
  out << line;
  for (const MetricResult& m : r.metrics) {
    std::string label = m.label + (m.unit.empty() ? "" : " (" + m.unit + ")");
    std::string change;
    if (m.has_relative) {
      change = Percent(m.relative);
      if (m.has_interval) {
        change += " [" + Percent(m.relative_lo) + ", " + Percent(m.relative_hi) + "] " +
                  Fmt("%.0f%%", 100 * m.confidence);
      }
    } else {
      change = Fmt("%+.6g", m.change);
      if (m.has_interval) {
        change += " [" + Fmt("%+.4g", m.change_lo) + ", " + Fmt("%+.4g", m.change_hi) + "]";
      }
    }
    const std::string p = m.p_value ? Fmt("%.3g", *m.p_value) : "-";
    std::string verdict = m.verdict;
    if (m.bound) {
      verdict += m.fails ? "  FAIL (bound " + Fmt("%g", 100 * *m.bound) + "%)"
                         : "  (bound " + Fmt("%g", 100 * *m.bound) + "%)";
    }
    std::snprintf(line, sizeof(line), "  %-28s %12.6g %12.6g  %-32s %8s  %s\n", label.c_str(),
                  m.base_median, m.next_median, change.c_str(), p.c_str(), verdict.c_str());
    out << line;
    if (!m.note.empty()) out << "      " << m.note << "\n";
  }
  out << "\n  percentile by percentile (median of the runs of each side)\n";
  for (const DifferenceRow& d : r.differences) {
    const std::string name = d.name + (d.unit.empty() ? "" : " (" + d.unit + ")");
    const std::string rel = d.base != 0 ? Percent((d.next - d.base) / std::fabs(d.base)) : "";
    std::snprintf(line, sizeof(line), "    %-30s %12.6g %12.6g %+12.6g %10s\n", name.c_str(),
                  d.base, d.next, d.next - d.base, rel.c_str());
    out << line;
  }
  for (const std::string& w : r.warnings) out << "\n  warning: " << w << "\n";
  out << "\n  verdict: ";
  if (r.regression) {
    out << "REGRESSION beyond --max-regression in";
    for (const MetricResult& m : r.metrics) {
      if (m.fails) out << " " << m.key;
    }
    out << " (exit 99)\n";
  } else {
    std::size_t worse = 0;
    for (const MetricResult& m : r.metrics) worse += m.verdict == "worse" ? 1u : 0u;
    out << (worse == 0 ? "no significant regression"
                       : std::to_string(worse) +
                             " metric(s) significantly worse, none "
                             "beyond a --max-regression bound")
        << "\n";
  }
}

}  // namespace sessionrig::loadgen
