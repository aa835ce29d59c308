#include "loadgen/summary.h"

#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <string>

#include "loadgen/timeseries.h"

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

using nlohmann::json;

// A filled-in summary of one shard; `seed` varies the recorded data.
Summary MakeShard(std::uint64_t seed, double duration_s) {
  Summary s;
  s.scenario = "lobby";
  s.target = "embedded";
  s.mode = "sync";
  s.duration_s = duration_s;
  s.seed = seed;
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(std::log(3000.0), 0.7);
  for (int i = 0; i < 5000; ++i) {
    const auto service = static_cast<std::int64_t>(latency(rng));
    const auto lag = static_cast<std::int64_t>(rng() % 2000);
    s.uncorrected_us.Record(service);
    s.corrected_us.Record(service + lag);
    s.schedule_lag_us.Record(lag);
  }
  for (int i = 0; i < 1000; ++i) {
    s.action_latency_us.Record(static_cast<std::int64_t>(latency(rng)) * 2);
    s.action_attempts.Record(1 + static_cast<std::int64_t>(rng() % 4));
  }
  s.writes[WriteStatus::kUpdated] = 4000;
  s.writes[WriteStatus::kCreated] = 10;
  s.writes[WriteStatus::kOutOfSync] = 900;
  s.writes[WriteStatus::kTimeout] = 60;
  s.writes[WriteStatus::kConflict] = 30;
  s.actions.succeeded = 990;
  s.actions.failed = 10;
  s.schedule.planned = 5100;
  s.schedule.started = 5000;
  s.schedule.dropped = 100;
  s.consistency.checked = true;
  s.consistency.verdict = "ok";
  s.consistency.acknowledged = 4010;
  s.thresholds.push_back(ThresholdResult{"p99<50ms", true, 12.5});
  // Reads, their histograms and the gaps between an action's requests.
  for (int i = 0; i < 800; ++i) {
    s.read_corrected_us.Record(static_cast<std::int64_t>(latency(rng)) + 500);
    s.read_uncorrected_us.Record(static_cast<std::int64_t>(latency(rng)));
    s.request_gap_us.Record(static_cast<std::int64_t>(rng() % 300));
  }
  s.reads.total = 800;
  s.reads.failed = 12;
  // A time series of 2.5 s in 1 s intervals, as a shard's file holds it
  // (without the in-process uncorrected histograms).
  s.interval_s = 1;
  s.start_unix_s = 1700000000.5;
  IntervalRecorder r(0, 2'500'000, 1'000'000);
  for (int i = 0; i < 300; ++i) {
    const std::int64_t t = i * 8'300 + static_cast<std::int64_t>(rng() % 100);  // in time order
    r.RecordStarted(t, static_cast<std::int64_t>(rng() % 2000));
    r.RecordWrite(t, i % 5 == 0 ? WriteStatus::kOutOfSync : WriteStatus::kUpdated,
                  static_cast<std::int64_t>(latency(rng)), 1000);
    r.RecordRead(t, i % 50 == 0, static_cast<std::int64_t>(latency(rng)), 900);
  }
  s.timeseries = r.Finish();
  for (TimeseriesInterval& in : s.timeseries) {
    in.uncorrected_histogram.clear();
    in.read_uncorrected_histogram.clear();
  }
  s.by_rank = {RankBucket{1, 1, 1, 900, 300}, RankBucket{2, 3, 2, 1100, 250},
               RankBucket{4, 7, 4, 3000, 350}};
  FillDerived(s);
  return s;
}

TEST(SummaryTest, FillDerivedComputesRatesAndPercentiles) {
  const Summary s = MakeShard(1, 10.0);
  EXPECT_EQ(s.writes.total, 5000u);
  EXPECT_DOUBLE_EQ(s.conflict_rate, 900.0 / 5000.0);
  EXPECT_DOUBLE_EQ(s.throughput_wps, 500.0);
  EXPECT_DOUBLE_EQ(s.latency_ms.corrected.p99,
                   static_cast<double>(s.corrected_us.ValueAtPercentile(99)) / 1000.0);
  EXPECT_DOUBLE_EQ(s.latency_ms.uncorrected.max,
                   static_cast<double>(s.uncorrected_us.Max()) / 1000.0);
  EXPECT_GE(s.latency_ms.corrected.p50, s.latency_ms.uncorrected.p50);
  EXPECT_EQ(s.actions.total, 1000u);
  EXPECT_EQ(s.actions.attempts.max, 4.0);
  EXPECT_NEAR(s.actions.attempts.mean, 2.5, 0.2);
  EXPECT_DOUBLE_EQ(ErrorRate(s), 90.0 / 5000.0);

  Summary empty;
  FillDerived(empty);
  EXPECT_EQ(empty.conflict_rate, 0);
  EXPECT_EQ(empty.throughput_wps, 0);
  EXPECT_EQ(ErrorRate(empty), 0);
}

TEST(SummaryTest, JsonHasEverySchemaField) {
  const json j = ToJson(MakeShard(1, 10.0));
  EXPECT_EQ(j["schema"], "sessionrig.loadgen.summary/v1");
  for (const char* key : {"scenario", "target", "mode", "duration_s", "seed", "writes",
                          "conflict_rate", "throughput_wps", "latency_ms", "actions", "schedule",
                          "consistency", "thresholds", "histogram"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["writes"]["by_status"].size(), 11u);
  for (const char* key :
       {"updated", "created", "out_of_sync", "session_deleted", "conflict", "access_denied",
        "not_found", "http_error", "transport_error", "timeout", "parse_error"}) {
    EXPECT_TRUE(j["writes"]["by_status"][key].is_number_unsigned()) << key;
  }
  for (const char* key : {"p50", "p90", "p99", "p999", "max"}) {
    EXPECT_TRUE(j["latency_ms"]["corrected"][key].is_number()) << key;
    EXPECT_TRUE(j["latency_ms"]["uncorrected"][key].is_number()) << key;
  }
  EXPECT_TRUE(j["actions"]["attempts"]["mean"].is_number());
  EXPECT_TRUE(j["actions"]["latency_ms"]["p99"].is_number());
  EXPECT_TRUE(j["schedule"]["lag_ms"]["max"].is_number());
  EXPECT_EQ(j["schedule"]["dropped"], 100);
  EXPECT_EQ(j["consistency"]["verdict"], "ok");
  EXPECT_EQ(j["thresholds"][0]["expr"], "p99<50ms");
  EXPECT_EQ(j["histogram"], j["histograms"]["corrected"]);
  EXPECT_EQ(j["histograms"].size(), 8u);
  for (const char* key : {"corrected", "uncorrected", "action_latency", "action_attempts",
                          "schedule_lag", "read_corrected", "read_uncorrected", "request_gap"}) {
    EXPECT_TRUE(j["histograms"][key].is_string()) << key;
  }
  EXPECT_TRUE(ValidateSummaryJson(j).ok()) << ValidateSummaryJson(j).ToString();
}

TEST(SummaryTest, JsonRoundTrip) {
  const Summary s = MakeShard(3, 7.5);
  StatusOr<Summary> back = FromJson(ToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(s));
  EXPECT_EQ(back->corrected_us.Encode(), s.corrected_us.Encode());
  EXPECT_EQ(back->writes[WriteStatus::kTimeout], 60u);
  // Through text and the strict parser, as `loadgen merge` reads files.
  StatusOr<Summary> parsed = ParseSummary(ToJson(s).dump(2));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(ToJson(*parsed), ToJson(s));
}

// Applies `mutate` to a valid summary JSON and expects FromJson to fail
// with `code` and a message starting with `message_prefix`.
void ExpectInvalid(const std::function<void(json&)>& mutate, StatusCode code,
                   const std::string& message_prefix) {
  json j = ToJson(MakeShard(1, 10.0));
  mutate(j);
  const Status s = ValidateSummaryJson(j);
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_EQ(s.message().rfind(message_prefix, 0), 0u)
      << s.message() << "\nwant: " << message_prefix;
}

TEST(SummaryTest, ValidationNamesTheFieldPath) {
  ExpectInvalid([](json& j) { j["writes"]["by_status"]["updated"] = -1; }, StatusCode::kWrongType,
                "writes.by_status.updated: expected a non-negative integer");
  ExpectInvalid([](json& j) { j["writes"]["by_status"]["updated"] = 1.5; }, StatusCode::kWrongType,
                "writes.by_status.updated: expected a non-negative integer");
  ExpectInvalid([](json& j) { j["writes"]["by_status"].erase("timeout"); },
                StatusCode::kMissingField, "writes.by_status.timeout: missing");
  ExpectInvalid([](json& j) { j["writes"]["by_status"]["teapot"] = 0; }, StatusCode::kWrongType,
                "writes.by_status.teapot: unknown status");
  ExpectInvalid([](json& j) { j["writes"]["total"] = 1; }, StatusCode::kWrongType,
                "writes.total: 1 is not the sum of writes.by_status (5000)");
  ExpectInvalid([](json& j) { j["schema"] = "sessionrig.loadgen.summary/v2"; },
                StatusCode::kWrongType, "schema: expected");
  ExpectInvalid([](json& j) { j.erase("scenario"); }, StatusCode::kMissingField,
                "scenario: missing");
  ExpectInvalid([](json& j) { j["duration_s"] = "10s"; }, StatusCode::kWrongType,
                "duration_s: expected a number");
  ExpectInvalid([](json& j) { j["latency_ms"]["uncorrected"].erase("p999"); },
                StatusCode::kMissingField, "latency_ms.uncorrected.p999: missing");
  ExpectInvalid([](json& j) { j["actions"]["attempts"]["p99"] = nullptr; }, StatusCode::kWrongType,
                "actions.attempts.p99: expected a number");
  ExpectInvalid([](json& j) { j["schedule"]["lag_ms"] = json::array(); }, StatusCode::kWrongType,
                "schedule.lag_ms: expected an object");
  ExpectInvalid([](json& j) { j["consistency"]["verdict"] = "fine"; }, StatusCode::kWrongType,
                "consistency.verdict: expected one of");
  ExpectInvalid([](json& j) { j["consistency"]["checked"] = false; }, StatusCode::kWrongType,
                "consistency.verdict: \"ok\" contradicts consistency.checked");
  ExpectInvalid([](json& j) { j["consistency"]["examples"] = json::array({1}); },
                StatusCode::kWrongType, "consistency.examples.0: expected a string");
  ExpectInvalid([](json& j) { j["thresholds"][0].erase("ok"); }, StatusCode::kMissingField,
                "thresholds.0.ok: missing");
  ExpectInvalid([](json& j) { j["histogram"] = "hdr1:AAAA"; }, StatusCode::kWrongType,
                "histogram: differs from histograms.corrected");
  ExpectInvalid(
      [](json& j) {
        j["histogram"] = "garbage";
        j["histograms"]["corrected"] = "garbage";
      },
      StatusCode::kWrongType, "histograms.corrected: histogram: expected the 'hdr1:' prefix");
  ExpectInvalid([](json& j) { j.erase("histograms"); }, StatusCode::kMissingField,
                "histograms: missing");
  ExpectInvalid([](json& j) { j = json::array(); }, StatusCode::kWrongType,
                "(root): expected an object");
}

TEST(SummaryTest, ValidationOfTheReadsTheTimeSeriesAndTheRanks) {
  ExpectInvalid([](json& j) { j["reads"]["failed"] = 801; }, StatusCode::kWrongType,
                "reads.failed: more than reads.total");
  ExpectInvalid([](json& j) { j["reads"]["total"] = 13; }, StatusCode::kWrongType,
                "histograms.read_corrected: does not hold the 13 reads of reads.total");
  ExpectInvalid([](json& j) { j["read_latency_ms"]["corrected"].erase("p90"); },
                StatusCode::kMissingField, "read_latency_ms.corrected.p90: missing");
  ExpectInvalid([](json& j) { j["interval_s"] = 0; }, StatusCode::kWrongType,
                "interval_s: expected a number > 0");
  ExpectInvalid([](json& j) { j["timeseries"] = json::object(); }, StatusCode::kWrongType,
                "timeseries: expected an array");
  ExpectInvalid([](json& j) { j["timeseries"][1]["arrivals"]["planned"] = 0; },
                StatusCode::kWrongType,
                "timeseries.1.arrivals.planned: 0 is not started + dropped");
  ExpectInvalid([](json& j) { j["timeseries"][0]["writes"]["by_status"]["updated"] = 0; },
                StatusCode::kWrongType, "timeseries.0.writes.total: ");
  ExpectInvalid([](json& j) { j["timeseries"][2].erase("read_histogram"); },
                StatusCode::kMissingField, "timeseries.2.read_histogram: missing");
  ExpectInvalid([](json& j) { j["timeseries"][0]["histogram"] = j["timeseries"][1]["histogram"]; },
                StatusCode::kWrongType, "timeseries.0.histogram: holds ");
  ExpectInvalid([](json& j) { j["by_rank"][1]["rank_hi"] = 4; }, StatusCode::kWrongType,
                "by_rank.1: [rank_lo, rank_hi] is not a power-of-two bucket");
  ExpectInvalid([](json& j) { j["by_rank"][0]["out_of_sync"] = 901; }, StatusCode::kWrongType,
                "by_rank.0.out_of_sync: more than writes");
}

// A summary written before reads, the time series and ranks existed still
// reads and merges.
TEST(SummaryTest, OlderSummariesWithoutTheNewFieldsStillReadAndMerge) {
  json j = ToJson(MakeShard(1, 10.0));
  for (const char* key :
       {"reads", "read_latency_ms", "interval_s", "start_unix_s", "timeseries", "by_rank"}) {
    j.erase(key);
  }
  for (const char* key : {"read_corrected", "read_uncorrected", "request_gap"}) {
    j["histograms"].erase(key);
  }
  j["schedule"].erase("request_gap_ms");
  StatusOr<Summary> old = FromJson(j);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->reads.total, 0u);
  EXPECT_TRUE(old->timeseries.empty());
  EXPECT_DOUBLE_EQ(old->interval_s, 1.0);
  StatusOr<Summary> merged = Merge({*old, *old});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->writes.total, 10000u);
  EXPECT_TRUE(ValidateSummaryJson(ToJson(*merged)).ok());
}

TEST(SummaryTest, JsonTextHasOneLinePerInterval) {
  const Summary s = MakeShard(4, 2.5);
  const std::string text = SummaryJsonText(s);
  StatusOr<Summary> back = ParseSummary(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(s));
  EXPECT_EQ(json::parse(text), ToJson(s));
  std::istringstream in(text);
  std::size_t interval_lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("    {\"arrivals\":", 0) == 0) ++interval_lines;
  }
  EXPECT_EQ(interval_lines, 3u);
  EXPECT_NE(text.find("\"timeseries\": [\n    {"), std::string::npos);
  Summary none = MakeShard(4, 2.5);
  none.timeseries.clear();
  EXPECT_EQ(json::parse(SummaryJsonText(none)), ToJson(none));
}

TEST(SummaryTest, ExtraFieldsAreIgnored) {
  json j = ToJson(MakeShard(1, 10.0));
  j["future_field"] = {{"anything", 1}};
  EXPECT_TRUE(ValidateSummaryJson(j).ok());
}

TEST(SummaryTest, ParseSummaryRejectsBadText) {
  EXPECT_FALSE(ParseSummary("{").ok());
  EXPECT_FALSE(ParseSummary("[]").ok());
}

TEST(SummaryTest, MergeIsExact) {
  const Summary a = MakeShard(1, 10.0);
  Summary b = MakeShard(2, 12.0);
  b.consistency.verdict = "violated";
  b.consistency.violations = 2;
  b.consistency.examples = {"lost update: x"};
  b.target = "http://other";
  StatusOr<Summary> merged = Merge({a, b});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  const Summary& m = *merged;
  EXPECT_EQ(m.writes.total, 10000u);
  EXPECT_EQ(m.writes[WriteStatus::kOutOfSync], 1800u);
  EXPECT_DOUBLE_EQ(m.conflict_rate, 0.18);
  EXPECT_DOUBLE_EQ(m.duration_s, 12.0);
  EXPECT_DOUBLE_EQ(m.throughput_wps, 10000.0 / 12.0);
  EXPECT_EQ(m.schedule.dropped, 200u);
  EXPECT_EQ(m.actions.total, 2000u);
  EXPECT_EQ(m.target, "mixed");
  EXPECT_TRUE(m.thresholds.empty());
  EXPECT_EQ(m.consistency.verdict, "violated");
  EXPECT_EQ(m.consistency.violations, 2u);
  EXPECT_EQ(m.consistency.acknowledged, 8020u);

  // The merged histogram is what recording both shards in one would give.
  HdrHistogram all = a.corrected_us;
  ASSERT_TRUE(all.Merge(b.corrected_us).ok());
  EXPECT_EQ(m.corrected_us.Encode(), all.Encode());
  EXPECT_DOUBLE_EQ(m.latency_ms.corrected.p99,
                   static_cast<double>(all.ValueAtPercentile(99)) / 1000.0);

  // Merging via JSON files gives the same result.
  StatusOr<Summary> a2 = FromJson(ToJson(a));
  StatusOr<Summary> b2 = FromJson(ToJson(b));
  ASSERT_TRUE(a2.ok() && b2.ok());
  StatusOr<Summary> merged2 = Merge({*a2, *b2});
  ASSERT_TRUE(merged2.ok());
  EXPECT_EQ(ToJson(*merged2), ToJson(m));

  // Reads, ranks and the time series.
  EXPECT_EQ(m.reads.total, 1600u);
  EXPECT_EQ(m.reads.failed, 24u);
  HdrHistogram reads = a.read_corrected_us;
  ASSERT_TRUE(reads.Merge(b.read_corrected_us).ok());
  EXPECT_EQ(m.read_corrected_us.Encode(), reads.Encode());
  EXPECT_DOUBLE_EQ(m.read_latency_ms.corrected.p99,
                   static_cast<double>(reads.ValueAtPercentile(99)) / 1000.0);
  ASSERT_EQ(m.by_rank.size(), 3u);
  EXPECT_EQ(m.by_rank[1].writes, 2200u);
  EXPECT_EQ(m.by_rank[1].sessions, 4u);
  EXPECT_DOUBLE_EQ(m.by_rank[0].conflict_ratio, 300.0 / 900.0);
  ASSERT_EQ(m.timeseries.size(), 3u);
  EXPECT_DOUBLE_EQ(m.start_unix_s, 1700000000.5);
  std::uint64_t writes = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const TimeseriesInterval& in = m.timeseries[i];
    EXPECT_EQ(in.writes_total, a.timeseries[i].writes_total + b.timeseries[i].writes_total);
    EXPECT_EQ(in.planned, a.timeseries[i].planned + b.timeseries[i].planned);
    HdrHistogram h = *HdrHistogram::Decode(a.timeseries[i].histogram);
    ASSERT_TRUE(h.Merge(*HdrHistogram::Decode(b.timeseries[i].histogram)).ok());
    EXPECT_EQ(in.histogram, h.Encode());
    EXPECT_DOUBLE_EQ(in.write_latency_ms.p90, static_cast<double>(h.ValueAtPercentile(90)) / 1000);
    writes += in.writes_total;
  }
  EXPECT_EQ(writes, 600u);
}

TEST(SummaryTest, MergeRefusesTimeSeriesThatDoNotLineUpNamingTheFiles) {
  const Summary a = MakeShard(1, 2.5);
  Summary b = MakeShard(2, 2.5);
  b.interval_s = 0.5;
  Status s = Merge({a, b}, {"shard0.json", "shard1.json"}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "shard1.json: time series interval 0.5 s differs from shard0.json's 1 s "
            "(--interval): their intervals cannot be merged");
  b = MakeShard(2, 2.5);
  b.start_unix_s += 0.25;
  s = Merge({a, b}, {"shard0.json", "shard1.json"}).status();
  EXPECT_EQ(s.message().rfind("shard1.json started its measured phase at unix time "
                              "1700000000.750, shard0.json at 1700000000.500",
                              0),
            0u)
      << s.message();
  EXPECT_NE(s.message().find("--start-at"), std::string::npos);
  b = MakeShard(2, 2.5);
  b.start_unix_s += 0.0004;  // the same instant, as printed to the millisecond
  EXPECT_TRUE(Merge({a, b}).ok());
  b.timeseries.clear();
  s = Merge({a, b}, {"shard0.json", "old.json"}).status();
  EXPECT_EQ(s.message().rfind("old.json has no time series", 0), 0u) << s.message();
}

TEST(SummaryTest, MergeConsistencyNotChecked) {
  Summary a = MakeShard(1, 1.0);
  a.consistency = ConsistencyResult{};
  StatusOr<Summary> merged = Merge({a, a});
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->consistency.verdict, "not_checked");
  EXPECT_FALSE(merged->consistency.checked);
}

TEST(SummaryTest, MergeRejectsMismatches) {
  EXPECT_EQ(Merge({}).status().code(), StatusCode::kInvalidArgument);
  Summary a = MakeShard(1, 1.0);
  Summary b = MakeShard(2, 1.0);
  b.scenario = "append";
  EXPECT_NE(Merge({a, b}).status().message().find("scenario \"append\" differs"),
            std::string::npos);
  Summary c = MakeShard(2, 1.0);
  c.mode = "update";
  EXPECT_NE(Merge({a, c}).status().message().find("mode \"update\" differs"), std::string::npos);
  Summary d = MakeShard(2, 1.0);
  d.uncorrected_us = HdrHistogram(2);
  const Status s = Merge({a, d}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("summary 1: histograms.uncorrected: ", 0), 0u) << s.message();
  EXPECT_EQ(Merge({a, d}, {"a.json", "d.json"})
                .status()
                .message()
                .rfind("d.json: histograms.uncorrected: ", 0),
            0u);
}

TEST(SummaryTest, PrintSummaryShowsEverything) {
  Summary s = MakeShard(1, 10.0);
  s.consistency.verdict = "violated";
  s.consistency.violations = 1;
  s.consistency.examples = {"lost update: acknowledged token \"t2\""};
  s.thresholds.push_back(ThresholdResult{"conflict_rate<0.1", false, 0.18});
  std::ostringstream out;
  PrintSummary(out, s);
  const std::string text = out.str();
  for (const char* needle : {"scenario lobby",
                             "500.0/s",
                             "out_of_sync",
                             "18.00%",
                             "conflict_rate",
                             "error_rate",
                             "1.80%",
                             "corrected",
                             "uncorrected",
                             "p99.9",
                             "writes/action",
                             "planned 5100, started 5000, dropped 100",
                             "lag (ms)",
                             "violated (4010 acknowledged writes, 1 violations)",
                             "lost update",
                             "\u2713 p99<50ms",
                             "\u2717 conflict_rate<0.1",
                             "write corrected",
                             "read corrected",
                             "read uncorrected",
                             "(800 reads, 12 failed)",
                             "request gap (ms)",
                             "3 intervals of 1 s",
                             "conflicts by rank",
                             "2-3",
                             "11.67%"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
  // Without reads (a blind mode) the read row says so instead of zeros.
  s.reads = Summary::Reads{};
  s.read_corrected_us = HdrHistogram(3);
  s.mode = "update";
  std::ostringstream blind;
  PrintSummary(blind, s);
  EXPECT_NE(blind.str().find("none (mode update writes without reading)"), std::string::npos)
      << blind.str();
}

TEST(SummaryTest, ScenarioStatsAndInterruptedRoundTripAndMerge) {
  Summary a = MakeShard(1, 10.0);
  a.actions.interrupted = 3;
  a.scenario_stats.counters["lobby_fills"] = 5;
  a.scenario_stats.histograms.emplace("fill_time_us", HdrHistogram(3));
  a.scenario_stats.histograms.at("fill_time_us").Record(1500000);
  Summary b = MakeShard(2, 10.0);
  b.actions.interrupted = 4;
  b.scenario_stats.counters["lobby_fills"] = 7;
  b.scenario_stats.counters["found_full"] = 1;
  b.scenario_stats.histograms.emplace("fill_time_us", HdrHistogram(3));
  b.scenario_stats.histograms.at("fill_time_us").Record(2500000);

  const json j = ToJson(a);
  EXPECT_EQ(j["actions"]["interrupted"], 3);
  EXPECT_EQ(j["scenario_stats"]["counters"]["lobby_fills"], 5);
  StatusOr<Summary> back = FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), j);

  StatusOr<Summary> m = Merge({a, b});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->actions.interrupted, 7u);
  EXPECT_EQ(m->scenario_stats.counters.at("lobby_fills"), 12u);
  EXPECT_EQ(m->scenario_stats.counters.at("found_full"), 1u);
  EXPECT_EQ(m->scenario_stats.histograms.at("fill_time_us").TotalCount(), 2);

  // Both are optional on read: summaries without them are still valid.
  json old = ToJson(MakeShard(1, 10.0));
  old["actions"].erase("interrupted");
  old.erase("scenario_stats");
  StatusOr<Summary> parsed = FromJson(old);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->actions.interrupted, 0u);
  EXPECT_TRUE(parsed->scenario_stats.counters.empty());

  json bad = j;
  bad["scenario_stats"]["counters"]["lobby_fills"] = -1;
  EXPECT_EQ(ValidateSummaryJson(bad).message(),
            "scenario_stats.counters.lobby_fills: expected a non-negative integer");
  bad = j;
  bad["scenario_stats"]["histograms"]["fill_time_us"] = "nope";
  EXPECT_EQ(ValidateSummaryJson(bad).message().rfind("scenario_stats.histograms.fill_time_us:", 0),
            0u);
}

TEST(SummaryTest, PrintSummaryShowsScenarioStats) {
  Summary s = MakeShard(1, 10.0);
  s.actions.interrupted = 2;
  s.scenario_stats.counters["lobby_fills"] = 5;
  HdrHistogram per_user(3);
  for (int i = 0; i < 10; ++i) per_user.Record(4);
  s.scenario_stats.histograms.emplace("joins_per_user", per_user);
  s.scenario_stats.histograms.emplace("fill_time_us", HdrHistogram(3));
  s.scenario_stats.histograms.at("fill_time_us").Record(2000);
  s.scenario_stats.histograms.emplace("leave_time_us", HdrHistogram(3));
  std::ostringstream out;
  PrintSummary(out, s);
  const std::string text = out.str();
  for (const char* needle :
       {"+2 interrupted", "lobby_fills", "fill_time (ms)", "p50 2.000", "joins_per_user",
        "fairness (Jain) 1.000", "leave_time (ms)", "none"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
}

TEST(SummaryTest, JainIndex) {
  HdrHistogram equal(3);
  for (int i = 0; i < 100; ++i) equal.Record(7);
  EXPECT_DOUBLE_EQ(JainIndex(equal), 1.0);
  HdrHistogram one_takes_all(3);
  one_takes_all.Record(100);
  for (int i = 0; i < 9; ++i) one_takes_all.Record(0);
  EXPECT_NEAR(JainIndex(one_takes_all), 0.1, 1e-9);
  EXPECT_DOUBLE_EQ(JainIndex(HdrHistogram(3)), 1.0);
}

}  // namespace
}  // namespace sessionrig::loadgen
