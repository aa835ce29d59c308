#include "loadgen/synthetic_summary.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>

#include "loadgen/hdr_histogram.h"
#include "loadgen/summary.h"
#include "loadgen/write_status.h"

namespace sessionrig::loadgen {

namespace {

using nlohmann::json;

double Ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

json IntervalLatency(const HdrHistogram& corrected, const HdrHistogram& uncorrected) {
  return json{{"p50", Ms(corrected.ValueAtPercentile(50))},
              {"p90", Ms(corrected.ValueAtPercentile(90))},
              {"p99", Ms(corrected.ValueAtPercentile(99))},
              {"max", Ms(corrected.Max())},
              {"uncorrected_p99", Ms(uncorrected.ValueAtPercentile(99))}};
}

json LatencyObject(const HdrHistogram& h) {
  return json{{"p50", Ms(h.ValueAtPercentile(50))},
              {"p90", Ms(h.ValueAtPercentile(90))},
              {"p99", Ms(h.ValueAtPercentile(99))},
              {"p999", Ms(h.ValueAtPercentile(99.9))},
              {"max", Ms(h.Max())}};
}

}  // namespace

json MakeSyntheticSummary(const SyntheticOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);

  Summary s;
  s.scenario = o.scenario;
  s.target = "embedded";
  s.mode = "sync";
  s.seed = o.seed;
  s.duration_s = static_cast<double>(o.intervals) * o.interval_s;
  HdrHistogram read_corrected;
  HdrHistogram read_uncorrected;
  HdrHistogram interval_corrected;
  HdrHistogram interval_uncorrected;
  HdrHistogram interval_read;
  HdrHistogram interval_read_uncorrected;
  HdrHistogram join_time;
  HdrHistogram join_attempts;
  HdrHistogram leave_time;
  HdrHistogram leave_attempts;
  std::uint64_t joins_ok = 0;
  std::uint64_t leaves_ok = 0;
  std::uint64_t reads_total = 0;
  std::uint64_t reads_failed = 0;
  json timeseries = json::array();
  double ar = 0;
  for (std::size_t i = 0; i < o.intervals; ++i) {
    ar = o.ar_phi * ar + o.ar_sigma * normal(rng);
    const double factor = std::exp(ar) * o.scale;
    interval_corrected.Reset();
    interval_uncorrected.Reset();
    interval_read.Reset();
    interval_read_uncorrected.Reset();
    std::array<std::uint64_t, kWriteStatusCount> by_status{};
    std::uint64_t actions = 0;
    std::uint64_t interval_reads = 0;
    std::uint64_t interval_reads_failed = 0;
    double lag_max_ms = 0;
    std::size_t writes = 0;
    while (writes < o.writes_per_interval) {
      ++actions;
      const bool join = actions % 2 == 1;
      const auto lag = static_cast<std::int64_t>(uniform(rng) * 400.0);
      lag_max_ms = std::max(lag_max_ms, Ms(lag));
      s.schedule_lag_us.Record(lag);
      // The read before the first write (sync mode).
      if (o.reads) {
        const auto read_us = static_cast<std::int64_t>(o.median_ms * 600.0 * factor *
                                                       std::exp(o.sigma * normal(rng)));
        read_corrected.Record(read_us + lag);
        read_uncorrected.Record(read_us);
        interval_read.Record(read_us + lag);
        interval_read_uncorrected.Record(read_us);
        ++interval_reads;
        if (uniform(rng) < 0.001) ++interval_reads_failed;
      }
      std::int64_t attempts = 0;
      std::int64_t action_us = lag;
      while (true) {
        ++attempts;
        ++writes;
        const auto service = static_cast<std::int64_t>(o.median_ms * 1000.0 * factor *
                                                       std::exp(o.sigma * normal(rng)));
        const std::int64_t corrected = service + (attempts == 1 ? lag : 0);
        s.corrected_us.Record(corrected);
        s.uncorrected_us.Record(service);
        interval_corrected.Record(corrected);
        interval_uncorrected.Record(service);
        action_us += service;
        const bool conflict = uniform(rng) < o.conflict_ratio && attempts < 20;
        if (conflict) {
          ++by_status[WriteStatusIndex(WriteStatus::kOutOfSync)];
          continue;
        }
        if (i == 0 && actions <= 3) {
          ++by_status[WriteStatusIndex(WriteStatus::kCreated)];
        } else if (!join && uniform(rng) < 0.05) {
          ++by_status[WriteStatusIndex(WriteStatus::kSessionDeleted)];
        } else {
          ++by_status[WriteStatusIndex(WriteStatus::kUpdated)];
        }
        break;
      }
      s.action_attempts.Record(attempts);
      s.action_latency_us.Record(action_us);
      (join ? join_time : leave_time).Record(action_us);
      (join ? join_attempts : leave_attempts).Record(attempts);
      ++(join ? joins_ok : leaves_ok);
    }
    std::uint64_t total = 0;
    json status_json = json::object();
    for (WriteStatus st : kAllWriteStatuses) {
      status_json[std::string(WriteStatusName(st))] = by_status[WriteStatusIndex(st)];
      s.writes[st] += by_status[WriteStatusIndex(st)];
      total += by_status[WriteStatusIndex(st)];
    }
    s.actions.succeeded += actions;
    s.schedule.planned += actions;
    s.schedule.started += actions;
    reads_total += interval_reads;
    reads_failed += interval_reads_failed;
    const double conflict =
        total == 0 ? 0.0
                   : static_cast<double>(by_status[WriteStatusIndex(WriteStatus::kOutOfSync)]) /
                         static_cast<double>(total);
    json row{
        {"t_s", static_cast<double>(i) * o.interval_s},
        {"duration_s", o.interval_s},
        {"arrivals", json{{"planned", actions}, {"started", actions}, {"dropped", 0}}},
        {"writes", json{{"total", total}, {"by_status", std::move(status_json)}}},
        {"reads", json{{"total", interval_reads}, {"failed", interval_reads_failed}}},
        {"inflight_max",
         static_cast<std::uint64_t>(std::ceil(static_cast<double>(actions) / o.interval_s *
                                              o.median_ms * factor / 1000.0)) +
             1},
        {"schedule_lag_ms_max", lag_max_ms},
        {"write_latency_ms", IntervalLatency(interval_corrected, interval_uncorrected)},
        {"read_latency_ms", IntervalLatency(interval_read, interval_read_uncorrected)},
        {"conflict_ratio", conflict},
        {"histogram", interval_corrected.Encode()},
        {"read_histogram", interval_read.Encode()},
    };
    timeseries.push_back(std::move(row));
  }
  auto& stats = s.scenario_stats;
  stats.counters["join_succeeded"] = joins_ok;
  stats.counters["join_failed"] = 0;
  stats.counters["leave_succeeded"] = leaves_ok;
  stats.counters["leave_failed"] = 0;
  stats.histograms.emplace("join_time_us", join_time);
  stats.histograms.emplace("join_attempts", join_attempts);
  stats.histograms.emplace("leave_time_us", leave_time);
  stats.histograms.emplace("leave_attempts", leave_attempts);
  if (reads_total > 0) stats.counters["reads"] = reads_total;
  if (o.scenario == "lobby") {
    HdrHistogram fill;
    HdrHistogram per_user;
    std::poisson_distribution<int> joins_per_user(
        std::max(1.0, static_cast<double>(joins_ok) / 1000.0));
    for (int u = 0; u < 1000; ++u) per_user.Record(joins_per_user(rng));
    const auto fills = std::max<std::uint64_t>(1, joins_ok / 8);
    for (std::uint64_t f = 0; f < fills; ++f) {
      fill.Record(
          static_cast<std::int64_t>(o.median_ms * 8000.0 * o.scale * std::exp(0.6 * normal(rng))));
    }
    stats.counters["lobby_fills"] = fills;
    stats.counters["found_full"] = fills / 3;
    stats.histograms.emplace("fill_time_us", std::move(fill));
    stats.histograms.emplace("joins_per_user", std::move(per_user));
  }
  s.thresholds.push_back(ThresholdResult{"p99<1000ms", true, 0});
  s.consistency.checked = false;
  s.consistency.verdict = "not_checked";
  FillDerived(s);
  s.thresholds.back().value = s.latency_ms.corrected.p99;

  json j = ToJson(s);
  if (o.reads) {
    j["reads"] = json{{"total", reads_total}, {"failed", reads_failed}};
    j["read_latency_ms"] = json{{"corrected", LatencyObject(read_corrected)},
                                {"uncorrected", LatencyObject(read_uncorrected)}};
    j["histograms"]["read_corrected"] = read_corrected.Encode();
    j["histograms"]["read_uncorrected"] = read_uncorrected.Encode();
  }
  if (o.timeseries) {
    j["interval_s"] = o.interval_s;
    j["timeseries"] = std::move(timeseries);
  }
  json by_rank = json::array();
  std::uint64_t lo = 1;
  const double total_writes = static_cast<double>(s.writes.total);
  for (std::size_t b = 0; b < o.rank_buckets; ++b) {
    const std::uint64_t hi = 2 * lo - 1;
    // Zipf(1): a bucket [lo, 2lo-1] gets about the same share (ln 2 / H_n)
    // of writes, spread over more sessions; conflicts fall with rank.
    const auto writes =
        static_cast<std::uint64_t>(total_writes / static_cast<double>(o.rank_buckets));
    const double ratio = std::min(0.9, o.conflict_ratio * 3.0 / static_cast<double>(b + 1));
    const auto oos = static_cast<std::uint64_t>(static_cast<double>(writes) * ratio);
    by_rank.push_back(
        json{{"rank_lo", lo},
             {"rank_hi", hi},
             {"sessions", hi - lo + 1},
             {"writes", writes},
             {"out_of_sync", oos},
             {"conflict_ratio",
              writes == 0 ? 0.0 : static_cast<double>(oos) / static_cast<double>(writes)}});
    lo *= 2;
  }
  j["by_rank"] = std::move(by_rank);
  return j;
}

}  // namespace sessionrig::loadgen
