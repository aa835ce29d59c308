#include "loadgen/report/report.h"

#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loadgen/compare.h"
#include "loadgen/summary.h"
#include "loadgen/synthetic_summary.h"

namespace sessionrig::loadgen {
namespace {

using nlohmann::json;

// The summary less what the page leaves out: the per-interval histograms.
json WithoutIntervalHistograms(json summary) {
  if (summary.contains("timeseries")) {
    for (json& row : summary["timeseries"]) {
      row.erase("histogram");
      row.erase("read_histogram");
    }
  }
  return summary;
}

std::string Render(const json& summary, const ReportContext& context = {}) {
  StatusOr<std::string> html = RenderReportHtml(summary, context);
  EXPECT_TRUE(html.ok()) << html.status().ToString();
  return html.ok() ? *html : std::string();
}

// Every way a page could make a request: element sources and links, CSS
// url() and @import, and the script APIs that fetch.
void ExpectNoExternalReference(const std::string& html) {
  static const std::regex kAttribute(
      R"(\s(src|href|srcset|action|poster)\s*=\s*["']?\s*([^"'\s>]*))", std::regex::icase);
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kAttribute);
       it != std::sregex_iterator(); ++it) {
    const std::string value = (*it)[2];
    // In-page anchors are fine; anything else would be loaded or followed.
    EXPECT_TRUE(!value.empty() && value[0] == '#') << "reference: " << it->str();
  }
  for (const char* needle :
       {"url(", "@import", "<link", "<img", "<iframe", "<object", "<embed", "fetch(",
        "XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon", "import(", "new Image"}) {
    EXPECT_EQ(html.find(needle), std::string::npos) << "found " << needle;
  }
  // And the browser is told so.
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
}

TEST(ReportTest, EmbeddedDataEqualsTheSummaryJson) {
  SyntheticOptions o;
  o.intervals = 45;
  const json summary = MakeSyntheticSummary(o);
  ASSERT_TRUE(ValidateSummaryJson(summary).ok());
  ReportContext context;
  context.load = "open loop, 500 arrivals/s, 45 s";
  context.shards = 1;
  context.target_reachable = true;
  context.exit_code = 0;
  const std::string html = Render(summary, context);
  StatusOr<json> payload = ExtractPayload(html);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ((*payload)["kind"], "report");
  // Exactly the JSON summary, the time series restored from its columns.
  EXPECT_EQ(RestoreSummary(*payload), WithoutIntervalHistograms(summary));
  EXPECT_EQ((*payload)["timeseries"]["count"], 45);
  EXPECT_EQ((*payload)["context"]["load"], context.load);
  EXPECT_EQ((*payload)["context"]["target_reachable"], true);
  // The per-interval histograms stay in the JSON file, not in the page.
  EXPECT_EQ(html.find(summary["timeseries"][3]["histogram"].get<std::string>()), std::string::npos);
}

// A payload's columns come from a page anyone may have edited: colliding
// dotted keys leave the later cell out, keys that a JSON pointer would read
// as array indices or escapes stay object keys, and a row count that is not
// a plausible length restores no time series. Nothing throws.
TEST(ReportTest, RestoreSummaryTakesAnyColumns) {
  const json payload = json::parse(R"({
    "summary": {"schema": "x"},
    "timeseries": {"count": 2,
                   "keys": ["a", "a.b", "writes.total.", "0.1", "x/y~z", 7, "missing"],
                   "columns": {"a": [1, null], "a.b": [2, 3], "writes.total.": [4, null],
                               "0.1": [5, 6], "x/y~z": [8, 9], "missing": "not a column"}}})");
  const json restored = RestoreSummary(payload);
  EXPECT_EQ(restored, json::parse(R"({"schema": "x", "timeseries": [
    {"a": 1, "writes": {"total": {"": 4}}, "0": {"1": 5}, "x/y~z": 8},
    {"a": {"b": 3}, "0": {"1": 6}, "x/y~z": 9}]})"));
  for (const char* count : {"-1", "2.5", "\"2\"", "1e300", "1048577", "18446744073709551615"}) {
    json odd = payload;
    odd["timeseries"]["count"] = json::parse(count);
    EXPECT_EQ(RestoreSummary(odd), payload["summary"]) << count;
  }
}

TEST(ReportTest, SummaryWithoutNewerFieldsStillRenders) {
  SyntheticOptions o;
  o.reads = false;
  o.timeseries = false;
  o.rank_buckets = 0;
  json summary = MakeSyntheticSummary(o);
  // A summary from before the read row, the time series and the ranks.
  for (const char* key : {"by_rank", "scenario_stats", "reads", "read_latency_ms", "timeseries",
                          "interval_s", "start_unix_s"}) {
    summary.erase(key);
  }
  for (const char* key : {"read_corrected", "read_uncorrected", "request_gap"}) {
    summary["histograms"].erase(key);
  }
  summary["schedule"].erase("request_gap_ms");
  ASSERT_TRUE(ValidateSummaryJson(summary).ok());
  StatusOr<json> payload = ExtractPayload(Render(summary));
  ASSERT_TRUE(payload.ok());
  EXPECT_TRUE((*payload)["timeseries"].is_null());
  EXPECT_EQ(RestoreSummary(*payload), summary);
  // Writes only: corrected and uncorrected.
  EXPECT_EQ((*payload)["derived"]["latency_spectrum"]["series"].size(), 2u);
}

TEST(ReportTest, NoRequestLeavesThePage) {
  SyntheticOptions o;
  json summary = MakeSyntheticSummary(o);
  summary["target"] = "http://127.0.0.1:9/";  // text in the page, not a reference
  const std::string html = Render(summary);
  ExpectNoExternalReference(html);
  StatusOr<CompareResult> r = Compare({summary}, {summary}, CompareOptions{});
  ASSERT_TRUE(r.ok());
  StatusOr<std::string> compare = RenderCompareHtml(*r, {summary}, {summary}, CompareContext{});
  ASSERT_TRUE(compare.ok());
  ExpectNoExternalReference(*compare);
}

TEST(ReportTest, HostileTextStaysText) {
  SyntheticOptions o;
  o.timeseries = false;
  json summary = MakeSyntheticSummary(o);
  summary["scenario"] = "</script><script>alert(1)</script><!--";
  summary["consistency"]["examples"] = json::array({"<img src=x onerror=alert(1)>"});
  ReportContext context;
  context.sources = {"a\"b<c>.json"};
  const std::string html = Render(summary, context);
  // One closing tag per script element (data, uPlot, page), nothing more.
  std::size_t closings = 0;
  for (std::size_t at = html.find("</script"); at != std::string::npos;
       at = html.find("</script", at + 1)) {
    ++closings;
  }
  EXPECT_EQ(closings, 3u);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;"), std::string::npos);  // the title, escaped
  StatusOr<json> payload = ExtractPayload(html);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ((*payload)["summary"]["scenario"], summary["scenario"]);
}

TEST(ReportTest, MalformedInputGivesAnErrorOrLessNeverACrash) {
  EXPECT_FALSE(RenderReportHtml(json::array(), ReportContext{}).ok());
  EXPECT_FALSE(RenderReportHtml(json("text"), ReportContext{}).ok());
  const json odd = {
      {"timeseries", "not an array"},
      {"histograms", {{"corrected", "hdr1:!!!"}, {"uncorrected", 5}}},
      {"scenario_stats", {{"counters", {{"x_succeeded", "many"}}}, {"histograms", 3}}},
      {"by_rank", {1, 2}},
      {"writes", {{"total", -1}}}};
  StatusOr<std::string> html = RenderReportHtml(odd, ReportContext{});
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  StatusOr<json> payload = ExtractPayload(*html);
  ASSERT_TRUE(payload.ok());
  EXPECT_TRUE((*payload)["derived"]["latency_spectrum"]["series"].empty());
  json rows_with_junk = MakeSyntheticSummary(SyntheticOptions{});
  rows_with_junk["timeseries"].push_back("junk");
  rows_with_junk["timeseries"].push_back(json{{"t_s", "late"}, {"extra", {{"deep", 1}}}});
  EXPECT_TRUE(RenderReportHtml(rows_with_junk, ReportContext{}).ok());
  EXPECT_FALSE(ExtractPayload("<html>no data</html>").ok());
}

TEST(ReportTest, SpectrumFollowsTheHistogram) {
  SyntheticOptions o;
  o.intervals = 20;
  const json summary = MakeSyntheticSummary(o);
  StatusOr<json> payload = ReportPayload(summary, ReportContext{});
  ASSERT_TRUE(payload.ok());
  const json& spectrum = (*payload)["derived"]["latency_spectrum"];
  const json& x = spectrum["x"];
  ASSERT_GT(x.size(), 20u);
  EXPECT_DOUBLE_EQ(x[0].get<double>(), 1.0);  // q = 0
  for (std::size_t i = 1; i < x.size(); ++i) EXPECT_GT(x[i].get<double>(), x[i - 1].get<double>());
  ASSERT_EQ(spectrum["series"].size(), 4u);  // write and read, corrected and uncorrected
  const json& corrected = spectrum["series"][0];
  EXPECT_EQ(corrected["label"], "write, corrected");
  const json& values = corrected["values"];
  for (std::size_t i = 1; i < values.size(); ++i) {
    EXPECT_GE(values[i].get<double>(), values[i - 1].get<double>());
  }
  EXPECT_DOUBLE_EQ(values.back().get<double>(),
                   summary["latency_ms"]["corrected"]["max"].get<double>());
  // The tick at 1/(1-q) = 100 is p99, as the summary says.
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::abs(x[i].get<double>() - 100.0) < 1e-6) {
      EXPECT_DOUBLE_EQ(values[i].get<double>(),
                       summary["latency_ms"]["corrected"]["p99"].get<double>());
    }
  }
  // Lobby extras: fill time and fairness; attempts per kind.
  const json& derived = (*payload)["derived"];
  EXPECT_TRUE(derived["lobby"].contains("fill_time_spectrum"));
  EXPECT_GT(derived["lobby"]["fairness_jain"].get<double>(), 0.0);
  EXPECT_EQ(derived["kinds"].size(), 2u);     // join, leave
  EXPECT_EQ(derived["attempts"].size(), 3u);  // all actions, join, leave
}

// A 1 h run at 1 s intervals stays under 2 MB, and the size follows the
// intervals, not the requests.
TEST(ReportTest, SizeGrowsWithIntervalsNotRequests) {
  SyntheticOptions o;
  o.intervals = 3600;
  o.writes_per_interval = 40;
  const std::string hour = Render(MakeSyntheticSummary(o));
  o.writes_per_interval = 400;
  const std::string busy_hour = Render(MakeSyntheticSummary(o));
  o.intervals = 60;
  o.writes_per_interval = 40;
  const std::string minute = Render(MakeSyntheticSummary(o));
  std::printf(
      "report size: 60 intervals %zu bytes; 3600 intervals %zu bytes (%.0f writes), "
      "%zu bytes (10x the writes)\n",
      minute.size(), hour.size(), 3600.0 * 40, busy_hour.size());
  EXPECT_LT(hour.size(), 2u * 1000 * 1000);
  EXPECT_LT(busy_hour.size(), 2u * 1000 * 1000);
  // Ten times the requests: counts grow by a digit, histograms by a few
  // buckets; nowhere near ten times the bytes.
  EXPECT_LT(static_cast<double>(busy_hour.size()), 1.3 * static_cast<double>(hour.size()));
  // Sixty times the intervals: linear in the intervals beyond the fixed part
  // (uPlot, the page code, the run-level histograms).
  std::printf("about %.0f bytes per interval\n",
              static_cast<double>(hour.size() - minute.size()) / (3600.0 - 60.0));
  EXPECT_GT(hour.size(), minute.size() * 3);
}

TEST(ReportTest, ComparePageCarriesTheResult) {
  std::vector<json> base;
  std::vector<json> next;
  for (int i = 0; i < 3; ++i) {
    SyntheticOptions o;
    o.seed = 10 + static_cast<std::uint64_t>(i);
    o.intervals = 15;
    base.push_back(MakeSyntheticSummary(o));
    o.seed += 100;
    o.scale = 1.5;
    next.push_back(MakeSyntheticSummary(o));
  }
  StatusOr<CompareResult> r = Compare(base, next, CompareOptions{});
  ASSERT_TRUE(r.ok());
  CompareContext context;
  context.base_sources = {"b1.json", "b2.json", "b3.json"};
  context.new_sources = {"n1.json", "n2.json", "n3.json"};
  StatusOr<std::string> html = RenderCompareHtml(*r, base, next, context);
  ASSERT_TRUE(html.ok());
  StatusOr<json> payload = ExtractPayload(*html);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ((*payload)["kind"], "compare");
  EXPECT_EQ((*payload)["result"], ToJson(*r));
  EXPECT_EQ((*payload)["runs"]["new"][2]["source"], "n3.json");
  // base and new, each write corrected/uncorrected and read corrected.
  EXPECT_EQ((*payload)["spectrum"]["series"].size(), 6u);
  EXPECT_EQ((*payload)["over_time"].size(), 6u);
}

}  // namespace
}  // namespace sessionrig::loadgen
