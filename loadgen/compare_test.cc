#include "loadgen/compare.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loadgen/summary.h"
#include "loadgen/synthetic_summary.h"

namespace sessionrig::loadgen {
namespace {

using nlohmann::json;

// The two-sided exact p-value by brute force: every way to pick |y| of the
// pooled values as "y", U of each, P(|U - mn/2| >= observed).
double BruteForceP(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> pooled = x;
  pooled.insert(pooled.end(), y.begin(), y.end());
  const std::size_t n = pooled.size();
  auto u_of = [&](unsigned mask) {
    double u = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(mask & (1u << i))) continue;
      for (std::size_t j = 0; j < n; ++j) {
        if (mask & (1u << j)) continue;
        u += pooled[i] > pooled[j] ? 1.0 : (pooled[i] == pooled[j] ? 0.5 : 0.0);
      }
    }
    return u;
  };
  unsigned observed_mask = 0;
  for (std::size_t i = x.size(); i < n; ++i) observed_mask |= 1u << i;
  const double mu = static_cast<double>(x.size() * y.size()) / 2.0;
  const double observed = std::fabs(u_of(observed_mask) - mu);
  double hits = 0;
  double all = 0;
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    if (static_cast<std::size_t>(__builtin_popcount(mask)) != y.size()) continue;
    all += 1;
    if (std::fabs(u_of(mask) - mu) >= observed - 1e-9) hits += 1;
  }
  return hits / all;
}

TEST(MannWhitneyTest, ExactPValuesWithoutTies) {
  EXPECT_NEAR(MannWhitneyU({1, 2, 3}, {4, 5, 6}).p_value, 0.1, 1e-12);
  EXPECT_NEAR(MannWhitneyU({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}).p_value, 2.0 / 252.0, 1e-12);
  EXPECT_NEAR(MannWhitneyU({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}).p_value, 2.0 / 252.0, 1e-12);
  const MannWhitney mw = MannWhitneyU({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_DOUBLE_EQ(mw.u, 25.0);
  EXPECT_TRUE(mw.exact);
  EXPECT_DOUBLE_EQ(MannWhitneyU({}, {1.0}).p_value, 1.0);
}

TEST(MannWhitneyTest, ExactPValuesMatchBruteForceWithAndWithoutTies) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    const std::size_t m = 2 + rng() % 5;
    const std::size_t n = 2 + rng() % 5;
    std::vector<double> x(m), y(n);
    // Values from a small set so that ties are common in half the trials.
    const bool ties = trial % 2 == 0;
    for (double& v : x)
      v = ties ? static_cast<double>(rng() % 4) : static_cast<double>(rng() % 1000);
    for (double& v : y)
      v = ties ? static_cast<double>(rng() % 4) : static_cast<double>(rng() % 1000);
    EXPECT_NEAR(MannWhitneyU(x, y).p_value, BruteForceP(x, y), 1e-9) << "trial " << trial;
  }
}

TEST(MannWhitneyTest, NormalApproximationBeyondTheExactLimit) {
  std::vector<double> x, y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(i);
    y.push_back(i + 0.5);
  }
  const MannWhitney mw = MannWhitneyU(x, y);
  EXPECT_FALSE(mw.exact);
  EXPECT_GT(mw.p_value, 0.5);  // nearly the same samples
  for (double& v : y) v += 100;
  EXPECT_LT(MannWhitneyU(x, y).p_value, 1e-10);
}

TEST(MannWhitneyTest, SmallestPValue) {
  EXPECT_NEAR(SmallestPValue(3, 3), 0.1, 1e-12);
  EXPECT_NEAR(SmallestPValue(4, 4), 2.0 / 70.0, 1e-12);
  EXPECT_NEAR(SmallestPValue(5, 5), 2.0 / 252.0, 1e-12);
  EXPECT_DOUBLE_EQ(SmallestPValue(1, 1), 1.0);
}

TEST(HodgesLehmannTest, ShiftAndDistributionFreeInterval) {
  const std::vector<double> x = {1, 2, 3, 4, 5};
  std::vector<double> y;
  for (double v : x) y.push_back(v + 10);
  const Shift s = HodgesLehmann(x, y, 0.05);
  EXPECT_DOUBLE_EQ(s.estimate, 10.0);
  ASSERT_TRUE(s.has_interval);
  // n = m = 5: P(U <= 2) = 4/252 <= 0.025 < P(U <= 3) = 7/252, so the
  // interval is [D(3), D(23)] of the 25 sorted differences 6..14 and its
  // coverage 1 - 8/252.
  EXPECT_NEAR(s.confidence, 1.0 - 8.0 / 252.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.lo, 7.0);  // differences sorted: 6,7,7,8,8,8,...
  EXPECT_DOUBLE_EQ(s.hi, 13.0);
  // 3 a side cannot reach 95%: the widest interval and its coverage (90%).
  const Shift small = HodgesLehmann({1, 2, 3}, {11, 12, 13}, 0.05);
  ASSERT_TRUE(small.has_interval);
  EXPECT_NEAR(small.confidence, 0.9, 1e-12);
  EXPECT_DOUBLE_EQ(small.lo, 8.0);
  EXPECT_DOUBLE_EQ(small.hi, 12.0);
}

TEST(StudentTTest, KnownQuantiles) {
  EXPECT_NEAR(StudentTQuantile(0.975, 10), 2.228139, 1e-5);
  EXPECT_NEAR(StudentTQuantile(0.975, 1), 12.7062, 1e-3);
  EXPECT_NEAR(StudentTQuantile(0.995, 30), 2.749996, 1e-5);
  EXPECT_NEAR(StudentTCdf(0.0, 5), 0.5, 1e-12);
  EXPECT_NEAR(StudentTCdf(-2.228139, 10), 0.025, 1e-6);
}

std::vector<double> Ar1(std::mt19937_64& rng, std::size_t n, double phi, double mean) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> v(n);
  // Start in the stationary distribution.
  double x = normal(rng) / std::sqrt(1.0 - phi * phi);
  for (double& value : v) {
    value = mean + x;
    x = phi * x + normal(rng);
  }
  return v;
}

TEST(BatchMeansTest, IndependentValuesNeedNoLongBatches) {
  std::mt19937_64 rng(3);
  const BatchMeans bm = ComputeBatchMeans(Ar1(rng, 400, 0.0, 10.0));
  ASSERT_TRUE(bm.ok) << bm.why_not;
  EXPECT_LT(bm.tau, 2.0);
  EXPECT_EQ(bm.batch_size, 20u);  // sqrt(400)
  EXPECT_EQ(bm.batches, 20u);
  EXPECT_NEAR(bm.mean, 10.0, 0.3);
}

TEST(BatchMeansTest, AutocorrelatedValuesGetLongerBatchesOrNoVerdict) {
  std::mt19937_64 rng(4);
  const BatchMeans bm = ComputeBatchMeans(Ar1(rng, 1000, 0.9, 0.0));
  ASSERT_TRUE(bm.ok) << bm.why_not;
  EXPECT_GT(bm.tau, 8.0);  // 19 in theory for phi 0.9
  EXPECT_GE(bm.batch_size, static_cast<std::size_t>(std::ceil(kTauBatches * bm.tau)));
  const BatchMeans short_run = ComputeBatchMeans(Ar1(rng, 40, 0.97, 0.0));
  EXPECT_FALSE(short_run.ok);
  EXPECT_FALSE(short_run.why_not.empty());
  EXPECT_FALSE(ComputeBatchMeans({1, 2, 3}).ok);
}

// Identical AR(1) processes: batch means keep the false-positive rate near
// alpha where treating every interval as independent does not.
TEST(BatchMeansTest, FalsePositiveRateOnAutocorrelatedSeries) {
  std::mt19937_64 rng(11);
  constexpr int kDraws = 1000;
  constexpr double kAlpha = 0.05;
  int batch_hits = 0;
  int naive_hits = 0;
  int tested = 0;
  for (int d = 0; d < kDraws; ++d) {
    const std::vector<double> a = Ar1(rng, 600, 0.7, 5.0);
    const std::vector<double> b = Ar1(rng, 600, 0.7, 5.0);
    const BatchMeans ba = ComputeBatchMeans(a);
    const BatchMeans bb = ComputeBatchMeans(b);
    if (!ba.ok || !bb.ok) continue;
    ++tested;
    batch_hits += WelchTest(ba, bb, kAlpha).p_value < kAlpha ? 1 : 0;
    // The same Welch test with every interval as its own batch.
    auto naive = [](const std::vector<double>& v) {
      BatchMeans n;
      n.ok = true;
      n.batches = v.size();
      n.batch_size = 1;
      double mean = 0;
      for (double x : v) mean += x;
      mean /= static_cast<double>(v.size());
      double ss = 0;
      for (double x : v) ss += (x - mean) * (x - mean);
      n.mean = mean;
      n.std_error =
          std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
      return n;
    };
    naive_hits += WelchTest(naive(a), naive(b), kAlpha).p_value < kAlpha ? 1 : 0;
  }
  ASSERT_GT(tested, kDraws * 9 / 10);
  const double batch_rate = static_cast<double>(batch_hits) / tested;
  const double naive_rate = static_cast<double>(naive_hits) / tested;
  std::printf(
      "batch means false-positive rate (AR(1) phi 0.7, 600 intervals, alpha 0.05): "
      "%.4f over %d draws; per-interval values as independent: %.4f\n",
      batch_rate, tested, naive_rate);
  // alpha + 3 binomial standard deviations: the method is not anti-conservative.
  EXPECT_LE(batch_rate, kAlpha + 3 * std::sqrt(kAlpha * (1 - kAlpha) / tested));
  EXPECT_GT(naive_rate, 3 * kAlpha);  // why batch means: the naive test cries wolf
}

TEST(MaxRegressionTest, Parses) {
  std::map<std::string, double> bounds;
  ASSERT_TRUE(ParseMaxRegression("p99=10%,throughput=5%", &bounds).ok());
  EXPECT_DOUBLE_EQ(bounds["p99"], 0.10);
  EXPECT_DOUBLE_EQ(bounds["throughput"], 0.05);
  ASSERT_TRUE(ParseMaxRegression("all=2.5%", &bounds).ok());
  EXPECT_DOUBLE_EQ(bounds["all"], 0.025);
  const Status unknown = ParseMaxRegression("p98=10%", &bounds);
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("p98"), std::string::npos);
  EXPECT_FALSE(ParseMaxRegression("p99=10", &bounds).ok());
  EXPECT_FALSE(ParseMaxRegression("p99=-1%", &bounds).ok());
  EXPECT_FALSE(ParseMaxRegression("p99", &bounds).ok());
  EXPECT_FALSE(ParseMaxRegression("p99=10%,", &bounds).ok());
  EXPECT_FALSE(ParsePercent("abc%").ok());
}

// A summary with only the fields compare reads (compare depends on the
// JSON contract, not on the C++ struct).
json MiniSummary(double p50, double p90, double p99, double throughput, double conflict,
                 double attempts) {
  return json{{"scenario", "lobby"},
              {"mode", "sync"},
              {"latency_ms", {{"corrected", {{"p50", p50}, {"p90", p90}, {"p99", p99}}}}},
              {"throughput_wps", throughput},
              {"conflict_rate", conflict},
              {"actions", {{"attempts", {{"mean", attempts}}}}}};
}

struct Sides {
  std::vector<json> base, next;
};

// Runs whose metrics vary from run to run by a lognormal factor (log-sd
// `run_sigma`); the new side's p99 is scaled by `p99_scale`.
Sides DrawRuns(std::mt19937_64& rng, int per_side, double run_sigma, double p99_scale) {
  std::normal_distribution<double> normal(0.0, 1.0);
  auto run = [&](double scale) {
    auto f = [&] { return std::exp(run_sigma * normal(rng)); };
    // attempts is coarse (one decimal), so ties happen as in real summaries.
    return MiniSummary(3.0 * f(), 6.0 * f(), 12.0 * f() * scale, 500.0 * f(), 0.15 * f(),
                       std::round(10.0 * 1.2 * f()) / 10.0);
  };
  Sides s;
  for (int i = 0; i < per_side; ++i) s.base.push_back(run(1.0));
  for (int i = 0; i < per_side; ++i) s.next.push_back(run(p99_scale));
  return s;
}

TEST(CompareTest, IdenticalDistributionsGiveTildeAtTheConfiguredRate) {
  CompareOptions options;
  options.alpha = 0.05;
  options.min_effect = 0;  // measure the test itself
  for (int per_side : {5, 10}) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(1000 + per_side));
    constexpr int kDraws = 2000;
    std::map<std::string, int> flagged;
    int verdicts = 0;
    int all_flagged = 0;
    for (int d = 0; d < kDraws; ++d) {
      const Sides s = DrawRuns(rng, per_side, 0.08, 1.0);
      StatusOr<CompareResult> r = Compare(s.base, s.next, options);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (const MetricResult& m : r->metrics) {
        ASSERT_EQ(m.method, "mann-whitney") << m.key;
        ++verdicts;
        if (m.verdict != "~") {
          ++flagged[m.key];
          ++all_flagged;
        }
      }
      EXPECT_FALSE(r->regression);
    }
    const double rate = static_cast<double>(all_flagged) / verdicts;
    std::printf(
        "compare false-positive rate, %d runs a side, alpha 0.05: %.4f (%d of %d "
        "verdicts over %d seeded draws)",
        per_side, rate, all_flagged, verdicts, kDraws);
    for (const auto& [key, n] : flagged) {
      std::printf("; %s %.4f", key.c_str(), static_cast<double>(n) / kDraws);
    }
    std::printf("\n");
    EXPECT_LE(rate, options.alpha);
    for (const auto& [key, n] : flagged) {
      const double per_metric = static_cast<double>(n) / kDraws;
      EXPECT_LE(per_metric, options.alpha + 3 * std::sqrt(0.05 * 0.95 / kDraws)) << key;
    }
  }
}

TEST(CompareTest, TwentyPercentP99ShiftWithFiveRunsASideIsDetected) {
  CompareOptions options;
  options.max_regression["p99"] = 0.10;
  std::mt19937_64 rng(99);
  constexpr int kDraws = 500;
  int detected = 0;
  int covered = 0;
  int failed_gate = 0;
  for (int d = 0; d < kDraws; ++d) {
    const Sides s = DrawRuns(rng, 5, 0.05, 1.2);
    StatusOr<CompareResult> r = Compare(s.base, s.next, options);
    ASSERT_TRUE(r.ok());
    const MetricResult& p99 = r->metrics[2];
    ASSERT_EQ(p99.key, "p99");
    detected += p99.verdict == "worse" ? 1 : 0;
    covered += (p99.has_interval && p99.relative_lo <= 0.2 && 0.2 <= p99.relative_hi) ? 1 : 0;
    failed_gate += r->regression ? 1 : 0;
  }
  const double rate = static_cast<double>(detected) / kDraws;
  std::printf(
      "20%% p99 shift, 5 runs a side, run-to-run noise 5%%: detected in %.3f of %d "
      "draws; the CI covered +20%% in %.3f; --max-regression p99=10%% failed %.3f\n",
      rate, kDraws, static_cast<double>(covered) / kDraws,
      static_cast<double>(failed_gate) / kDraws);
  EXPECT_GE(rate, 0.95);
  EXPECT_GE(static_cast<double>(covered) / kDraws, 0.85);
  EXPECT_GE(static_cast<double>(failed_gate) / kDraws, 0.90);
}

std::vector<json> SyntheticRuns(int n, std::uint64_t seed, double scale, double run_sigma) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<json> out;
  for (int i = 0; i < n; ++i) {
    SyntheticOptions o;
    o.seed = seed * 100 + static_cast<std::uint64_t>(i);
    o.intervals = 20;
    o.writes_per_interval = 300;
    o.scale = scale * std::exp(run_sigma * normal(rng));
    out.push_back(MakeSyntheticSummary(o));
    EXPECT_TRUE(ValidateSummaryJson(out.back()).ok()) << ValidateSummaryJson(out.back()).ToString();
  }
  return out;
}

TEST(CompareTest, RealSummariesWithAShiftedP99FailTheGate) {
  const std::vector<json> base = SyntheticRuns(5, 1, 1.0, 0.03);
  const std::vector<json> next = SyntheticRuns(5, 2, 1.2, 0.03);
  CompareOptions options;
  ASSERT_TRUE(ParseMaxRegression("p99=10%", &options.max_regression).ok());
  StatusOr<CompareResult> r = Compare(base, next, options);
  ASSERT_TRUE(r.ok());
  const MetricResult* p99 = nullptr;
  for (const MetricResult& m : r->metrics) {
    if (m.key == "p99") p99 = &m;
  }
  ASSERT_NE(p99, nullptr);
  EXPECT_EQ(p99->verdict, "worse");
  EXPECT_NEAR(p99->relative, 0.2, 0.08);
  EXPECT_LT(*p99->p_value, 0.05);
  EXPECT_TRUE(p99->fails);
  EXPECT_TRUE(r->regression);
  // A looser bound passes; the same runs against themselves show nothing.
  options.max_regression["p99"] = 0.5;
  EXPECT_FALSE(Compare(base, next, options)->regression);
  StatusOr<CompareResult> same = Compare(base, SyntheticRuns(5, 3, 1.0, 0.03), options);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->regression);
  std::ostringstream text;
  PrintCompare(text, *r);
  EXPECT_NE(text.str().find("write p99 (corrected)"), std::string::npos);
  EXPECT_NE(text.str().find("FAIL"), std::string::npos);
  EXPECT_NE(text.str().find("exit 99"), std::string::npos);
  const json j = ToJson(*r);
  EXPECT_TRUE(j["regression"].get<bool>());
  EXPECT_FALSE(j["differences"].empty());
}

TEST(CompareTest, OneRunASideWarnsAndUsesBatchMeans) {
  SyntheticOptions o;
  o.intervals = 120;
  o.writes_per_interval = 200;
  o.seed = 5;
  const json base = MakeSyntheticSummary(o);
  o.seed = 6;
  const json same = MakeSyntheticSummary(o);
  o.seed = 7;
  o.scale = 1.3;
  const json slower = MakeSyntheticSummary(o);
  CompareOptions options;
  options.max_regression["p99"] = 0.1;
  StatusOr<CompareResult> r = Compare({base}, {slower}, options);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find("one run per side cannot separate a change from"),
            std::string::npos);
  bool saw_p99 = false;
  for (const MetricResult& m : r->metrics) {
    if (m.key == "p99") {
      saw_p99 = true;
      EXPECT_EQ(m.method, "batch-means");
      EXPECT_EQ(m.verdict, "worse");
      EXPECT_NEAR(m.relative, 0.3, 0.1);
      ASSERT_TRUE(m.base_batches.has_value());
      EXPECT_TRUE(m.base_batches->ok);
    }
    if (m.key == "attempts") {
      EXPECT_EQ(m.method, "none");
      EXPECT_EQ(m.verdict, "?");
    }
  }
  EXPECT_TRUE(saw_p99);
  EXPECT_TRUE(r->regression);
  EXPECT_FALSE(r->differences.empty());
  StatusOr<CompareResult> none = Compare({base}, {same}, options);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->regression);
}

TEST(CompareTest, DirectionAndBoundsPerMetric) {
  // Throughput down 20%, conflicts up from none, p99 unchanged: 5 runs a side.
  std::vector<json> base, next;
  for (int i = 0; i < 5; ++i) {
    const double jitter = 1.0 + 0.01 * i;
    base.push_back(MiniSummary(3, 6, 12 * jitter, 500 * jitter, 0.0, 1.0));
    next.push_back(MiniSummary(3, 6, 12 * jitter, 400 * jitter, 0.01 * jitter, 1.0));
  }
  CompareOptions options;
  ASSERT_TRUE(ParseMaxRegression("all=10%", &options.max_regression).ok());
  StatusOr<CompareResult> r = Compare(base, next, options);
  ASSERT_TRUE(r.ok());
  std::map<std::string, const MetricResult*> by_key;
  for (const MetricResult& m : r->metrics) by_key[m.key] = &m;
  ASSERT_EQ(by_key.count("read_p99"), 0u);            // no run read
  EXPECT_EQ(by_key["throughput"]->verdict, "worse");  // higher is better
  EXPECT_NEAR(by_key["throughput"]->relative, -0.2, 0.01);
  EXPECT_TRUE(by_key["throughput"]->fails);
  EXPECT_EQ(by_key["conflict_rate"]->verdict, "worse");
  EXPECT_FALSE(by_key["conflict_rate"]->has_relative);  // from zero: no percentage
  EXPECT_TRUE(by_key["conflict_rate"]->fails);
  EXPECT_EQ(by_key["p99"]->verdict, "~");
  EXPECT_FALSE(by_key["p99"]->fails);
  EXPECT_EQ(by_key["attempts"]->verdict, "~");  // all tied
  EXPECT_TRUE(r->regression);
  // The same drop in the other direction is an improvement, never a failure.
  StatusOr<CompareResult> back = Compare(next, base, options);
  ASSERT_TRUE(back.ok());
  for (const MetricResult& m : back->metrics) {
    if (m.key == "throughput" || m.key == "conflict_rate") {
      EXPECT_EQ(m.verdict, "better") << m.key;
    }
  }
  EXPECT_FALSE(back->regression);
  // An unknown bound is refused by Compare too.
  options.max_regression["p98"] = 0.1;
  EXPECT_FALSE(Compare(base, next, options).ok());
}

TEST(CompareTest, WarnsWhenTooFewRunsForSignificance) {
  std::mt19937_64 rng(1);
  const Sides s = DrawRuns(rng, 3, 0.05, 2.0);
  StatusOr<CompareResult> r = Compare(s.base, s.next, CompareOptions{});
  ASSERT_TRUE(r.ok());
  bool warned = false;
  for (const std::string& w : r->warnings) warned = warned || w.find("0.1") != std::string::npos;
  EXPECT_TRUE(warned);
  for (const MetricResult& m : r->metrics) EXPECT_NE(m.verdict, "worse") << m.key;
  EXPECT_FALSE(Compare({}, s.next, CompareOptions{}).ok());
}

}  // namespace
}  // namespace sessionrig::loadgen
