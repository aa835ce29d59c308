#include "loadgen/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <unistd.h>

#include "loadgen/hdr_histogram.h"
#include "loadgen/report/report_assets.h"
#include "loadgen/summary.h"
#include "sessionrig/json_codec.h"

#ifndef SESSIONRIG_VERSION
#define SESSIONRIG_VERSION "unknown"
#endif

namespace sessionrig::loadgen {

namespace {

using nlohmann::json;

constexpr double kUsPerMs = 1000.0;
// Keys of a timeseries interval left out of the page (the JSON keeps them).
constexpr std::string_view kIntervalHistogramKeys[] = {"histogram", "read_histogram"};

// ---- lenient reading: every access type-checked ---------------------------------

const json* Find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const json* FindPath(const json& root, std::initializer_list<std::string_view> path) {
  const json* node = &root;
  for (std::string_view key : path) {
    node = Find(*node, key);
    if (node == nullptr) return nullptr;
  }
  return node;
}

std::optional<double> Number(const json* node) {
  if (node == nullptr || !node->is_number()) return std::nullopt;
  const double v = node->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::string Text(const json* node) {
  return node != nullptr && node->is_string() ? node->get<std::string>() : std::string();
}

// Decodes an hdr1 string; nullopt when absent or malformed.
std::optional<HdrHistogram> Histogram(const json* node) {
  if (node == nullptr || !node->is_string()) return std::nullopt;
  StatusOr<HdrHistogram> h = HdrHistogram::Decode(node->get_ref<const std::string&>());
  if (!h.ok()) return std::nullopt;
  return std::move(h).value();
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---- derived data ------------------------------------------------------------------

// HdrHistogram's percentile ticks (5 per halving of the distance to 100%)
// as x = 1/(1-q), up to the largest count of the histograms: beyond it no
// histogram has more resolution. The last tick is each histogram's maximum,
// plotted at x = that largest count.
json Spectrum(const std::vector<std::pair<std::string, const HdrHistogram*>>& series,
              double unit_divisor) {
  std::int64_t largest = 0;
  for (const auto& [label, h] : series) largest = std::max(largest, h->TotalCount());
  json out{{"x", json::array()}, {"series", json::array()}};
  if (largest == 0) return out;
  const double x_max = std::max(10.0, static_cast<double>(largest));
  std::vector<double> levels;  // percent
  double level = 0;
  while (1.0 / (1.0 - level / 100.0) < x_max && levels.size() < 2000) {
    levels.push_back(level);
    const auto halvings = static_cast<std::int64_t>(std::log2(100.0 / (100.0 - level))) + 1;
    const double ticks =
        5.0 * std::pow(2.0, static_cast<double>(std::min<std::int64_t>(halvings, 52)));
    const double next = level + 100.0 / ticks;
    level = next > level ? next : std::nextafter(level, 200.0);
  }
  for (double l : levels) out["x"].push_back(1.0 / (1.0 - l / 100.0));
  out["x"].push_back(x_max);
  for (const auto& [label, h] : series) {
    json values = json::array();
    if (h->TotalCount() == 0) {
      for (std::size_t i = 0; i <= levels.size(); ++i) values.push_back(nullptr);
    } else {
      for (double l : levels) {
        values.push_back(static_cast<double>(h->ValueAtPercentile(l)) / unit_divisor);
      }
      values.push_back(static_cast<double>(h->Max()) / unit_divisor);
    }
    out["series"].push_back(json{{"label", label}, {"count", h->TotalCount()}, {"values", values}});
  }
  return out;
}

// The recorded values of `h` and how often each was recorded, one entry per
// histogram bucket that has counts (exact for values below 2 * 10^digits,
// which attempts and joins per user are).
json Distribution(const HdrHistogram& h) {
  json values = json::array();
  json counts = json::array();
  if (h.TotalCount() > 0) {
    std::int64_t v = h.Min();
    const std::int64_t max = h.Max();
    while (v <= max) {
      const std::int64_t count = h.CountAtValue(v);
      if (count > 0) {
        values.push_back(v);
        counts.push_back(count);
      }
      const std::int64_t next = h.HighestEquivalentValue(v) + 1;
      if (next <= v) break;
      v = next;
    }
  }
  return json{{"values", values}, {"counts", counts}, {"total", h.TotalCount()}};
}

json HistogramStats(const std::string& name, const HdrHistogram& h) {
  const bool latency = EndsWith(name, "_us");
  const double div = latency ? kUsPerMs : 1.0;
  json j{{"name", latency ? name.substr(0, name.size() - 3) : name},
         {"source", name},
         {"unit", latency ? "ms" : ""},
         {"count", h.TotalCount()}};
  if (h.TotalCount() > 0) {
    j["mean"] = h.Mean() / div;
    j["min"] = static_cast<double>(h.Min()) / div;
    j["p50"] = static_cast<double>(h.ValueAtPercentile(50)) / div;
    j["p90"] = static_cast<double>(h.ValueAtPercentile(90)) / div;
    j["p99"] = static_cast<double>(h.ValueAtPercentile(99)) / div;
    j["max"] = static_cast<double>(h.Max()) / div;
  }
  if (EndsWith(name, "_per_user")) j["fairness_jain"] = JainIndex(h);
  return j;
}

// Flattens nested objects into dotted keys: {"a": {"b": 1}} -> "a.b": 1.
void Flatten(const json& object, const std::string& prefix,
             std::vector<std::pair<std::string, const json*>>* out) {
  for (const auto& item : object.items()) {
    const std::string key = prefix.empty() ? item.key() : prefix + "." + item.key();
    if (item.value().is_object() && !item.value().empty()) {
      Flatten(item.value(), key, out);
    } else {
      out->emplace_back(key, &item.value());
    }
  }
}

// Most items in one container of a payload ExtractPayload reads, and so the
// most time-series rows RestoreSummary makes (no column can be longer).
constexpr std::size_t kMaxPayloadItems = std::size_t{1} << 20;

// Sets `row`'s member at the dotted `key` (Flatten's spelling) to `value`,
// making objects on the way. False, leaving the cell out, when the path runs
// into a value that is not an object or the member is already set: the keys
// of a hand-edited payload can collide ("a" and "a.b").
bool SetDotted(json& row, std::string_view key, const json& value) {
  json* at = &row;
  for (;;) {
    if (!at->is_object()) return false;
    const std::size_t dot = key.find('.');
    json& next = (*at)[std::string(key.substr(0, dot))];
    if (dot == std::string_view::npos) {
      if (!next.is_null()) return false;
      next = value;
      return true;
    }
    if (next.is_null()) next = json::object();
    at = &next;
    key.remove_prefix(dot + 1);
  }
}

json TimeseriesColumns(const json& rows) {
  std::vector<std::string> keys;
  std::map<std::string, std::size_t> index;
  std::vector<json> columns;
  const std::size_t n = rows.size();
  for (std::size_t i = 0; i < n; ++i) {
    const json& row = rows[i];
    if (!row.is_object()) continue;
    std::vector<std::pair<std::string, const json*>> leaves;
    Flatten(row, "", &leaves);
    for (const auto& [key, value] : leaves) {
      if (std::find(std::begin(kIntervalHistogramKeys), std::end(kIntervalHistogramKeys), key) !=
          std::end(kIntervalHistogramKeys)) {
        continue;
      }
      auto [it, inserted] = index.try_emplace(key, keys.size());
      if (inserted) {
        keys.push_back(key);
        columns.emplace_back(json::array());
        for (std::size_t k = 0; k < n; ++k) columns.back().push_back(nullptr);
      }
      columns[it->second][i] = *value;
    }
  }
  json out{{"count", n}, {"keys", keys}, {"columns", json::object()}};
  for (std::size_t k = 0; k < keys.size(); ++k) out["columns"][keys[k]] = std::move(columns[k]);
  return out;
}

json Derived(const json& summary) {
  json d = json::object();
  // Error rate: the statuses the summary counts as errors.
  {
    double total = Number(FindPath(summary, {"writes", "total"})).value_or(0.0);
    double errors = 0;
    for (const char* key : {"conflict", "access_denied", "not_found", "http_error",
                            "transport_error", "timeout", "parse_error"}) {
      errors += Number(FindPath(summary, {"writes", "by_status", key})).value_or(0.0);
    }
    d["error_rate"] = total > 0 ? errors / total : 0.0;
  }
  // Latency spectra: writes (corrected, uncorrected), reads when recorded.
  {
    std::vector<std::pair<std::string, HdrHistogram>> decoded;
    for (const auto& [key, label] : {std::pair{"corrected", "write, corrected"},
                                     std::pair{"uncorrected", "write, uncorrected"},
                                     std::pair{"read_corrected", "read, corrected"},
                                     std::pair{"read_uncorrected", "read, uncorrected"}}) {
      std::optional<HdrHistogram> h = Histogram(FindPath(summary, {"histograms", key}));
      if (h && h->TotalCount() > 0) decoded.emplace_back(label, std::move(*h));
    }
    std::vector<std::pair<std::string, const HdrHistogram*>> series;
    for (const auto& [label, h] : decoded) series.emplace_back(label, &h);
    d["latency_spectrum"] = Spectrum(series, kUsPerMs);
  }
  // Attempts per action: all actions, then per kind.
  {
    json attempts = json::array();
    if (std::optional<HdrHistogram> all =
            Histogram(FindPath(summary, {"histograms", "action_attempts"}))) {
      json dist = Distribution(*all);
      dist["label"] = "all actions";
      attempts.push_back(std::move(dist));
    }
    const json* stats = Find(summary, "scenario_stats");
    const json* counters = stats ? Find(*stats, "counters") : nullptr;
    const json* histograms = stats ? Find(*stats, "histograms") : nullptr;
    json kinds = json::array();
    std::vector<std::pair<std::string, HdrHistogram>> times;
    if (counters != nullptr && counters->is_object()) {
      for (const auto& item : counters->items()) {
        constexpr std::string_view kSuffix = "_succeeded";
        if (!EndsWith(item.key(), kSuffix)) continue;
        const std::string kind = item.key().substr(0, item.key().size() - kSuffix.size());
        json k{{"kind", kind},
               {"succeeded", Number(&item.value()).value_or(0.0)},
               {"failed", Number(Find(*counters, kind + "_failed")).value_or(0.0)}};
        if (histograms != nullptr) {
          if (std::optional<HdrHistogram> a = Histogram(Find(*histograms, kind + "_attempts"))) {
            json dist = Distribution(*a);
            dist["label"] = kind;
            attempts.push_back(dist);
            k["attempts"] = HistogramStats(kind + "_attempts", *a);
          }
          if (std::optional<HdrHistogram> t = Histogram(Find(*histograms, kind + "_time_us"))) {
            k["time"] = HistogramStats(kind + "_time_us", *t);
            if (t->TotalCount() > 0) times.emplace_back(kind, std::move(*t));
          }
        }
        kinds.push_back(std::move(k));
      }
    }
    d["attempts"] = std::move(attempts);
    d["kinds"] = std::move(kinds);
    std::vector<std::pair<std::string, const HdrHistogram*>> series;
    for (const auto& [label, h] : times) series.emplace_back(label, &h);
    d["time_to_success_spectrum"] = Spectrum(series, kUsPerMs);
    // Every scenario histogram, summarised (the tables); the lobby's two.
    json stat_rows = json::array();
    if (histograms != nullptr && histograms->is_object()) {
      for (const auto& item : histograms->items()) {
        if (std::optional<HdrHistogram> h = Histogram(&item.value())) {
          stat_rows.push_back(HistogramStats(item.key(), *h));
        }
      }
      std::optional<HdrHistogram> fill = Histogram(Find(*histograms, "fill_time_us"));
      std::optional<HdrHistogram> per_user = Histogram(Find(*histograms, "joins_per_user"));
      if (fill || per_user) {
        json lobby = json::object();
        if (fill && fill->TotalCount() > 0) {
          lobby["fill_time_spectrum"] = Spectrum({{"fill time", &*fill}}, kUsPerMs);
          lobby["fill_time"] = HistogramStats("fill_time_us", *fill);
        }
        if (per_user && per_user->TotalCount() > 0) {
          lobby["joins_per_user"] = Distribution(*per_user);
          lobby["fairness_jain"] = JainIndex(*per_user);
        }
        d["lobby"] = std::move(lobby);
      }
    }
    d["histograms"] = std::move(stat_rows);
  }
  return d;
}

json ContextJson(const ReportContext& c) {
  json j{{"load", c.load},
         {"shard", c.shard},
         {"sources", c.sources},
         {"reachability_note", c.reachability_note},
         {"generated_at", c.generated_at}};
  j["shards"] = c.shards ? json(*c.shards) : json(nullptr);
  j["target_reachable"] = c.target_reachable ? json(*c.target_reachable) : json(nullptr);
  j["exit_code"] = c.exit_code ? json(*c.exit_code) : json(nullptr);
  return j;
}

json GeneratorJson() {
  return json{{"name", "sessionrig loadgen"},
              {"version", SESSIONRIG_VERSION},
              {"uplot", std::string(report_assets::kUplotVersion)}};
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// JSON text that is safe inside a <script> element: '<', '>' and '&' only
// occur inside JSON strings, where their \u escapes mean the same.
std::string ScriptSafeJson(const json& j) {
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 64);
  for (char c : text) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// Fills the page template: each @NAME@ placeholder once, in one pass (the
// inserted text is never scanned again).
std::string FillTemplate(const std::map<std::string, std::string_view>& values) {
  const std::string_view page = report_assets::kPageHtml;
  std::string out;
  out.reserve(page.size() + 256 * 1024);
  std::size_t pos = 0;
  while (pos < page.size()) {
    const std::size_t at = page.find('@', pos);
    if (at == std::string_view::npos) break;
    const std::size_t end = page.find('@', at + 1);
    if (end == std::string_view::npos) break;
    const std::string name(page.substr(at + 1, end - at - 1));
    const auto it = values.find(name);
    if (it == values.end()) {
      out.append(page.substr(pos, at + 1 - pos));
      pos = at + 1;
      continue;
    }
    out.append(page.substr(pos, at - pos));
    out.append(it->second);
    pos = end + 1;
  }
  out.append(page.substr(pos));
  return out;
}

std::string RenderPage(const std::string& title, const json& payload) {
  const std::string escaped_title = EscapeHtml(title);
  const std::string data = ScriptSafeJson(payload);
  return FillTemplate({{"TITLE", escaped_title},
                       {"UPLOT_VERSION", report_assets::kUplotVersion},
                       {"UPLOT_LICENSE", report_assets::kUplotLicense},
                       {"UPLOT_CSS", report_assets::kUplotCss},
                       {"PAGE_CSS", report_assets::kPageCss},
                       {"DATA", data},
                       {"UPLOT_JS", report_assets::kUplotJs},
                       {"PAGE_JS", report_assets::kPageJs}});
}

}  // namespace

StatusOr<json> ReportPayload(const json& summary, const ReportContext& context) {
  if (!summary.is_object()) {
    return Status(StatusCode::kWrongType, "summary: expected a JSON object");
  }
  try {
    json payload{
        {"kind", "report"}, {"generator", GeneratorJson()}, {"context", ContextJson(context)}};
    json trimmed = summary;
    trimmed.erase("timeseries");
    payload["summary"] = std::move(trimmed);
    const json* rows = Find(summary, "timeseries");
    payload["timeseries"] =
        rows != nullptr && rows->is_array() ? TimeseriesColumns(*rows) : json(nullptr);
    payload["derived"] = Derived(summary);
    return payload;
  } catch (const json::exception& e) {
    return Status(StatusCode::kInternal, std::string("report: ") + e.what());
  }
}

StatusOr<std::string> RenderReportHtml(const json& summary, const ReportContext& context) {
  StatusOr<json> payload = ReportPayload(summary, context);
  if (!payload.ok()) return payload.status();
  try {
    std::string title = "sessionrig loadgen report";
    const std::string scenario = Text(Find(summary, "scenario"));
    if (!scenario.empty()) title += ": " + scenario;
    return RenderPage(title, *payload);
  } catch (const json::exception& e) {
    return Status(StatusCode::kInternal, std::string("report: ") + e.what());
  }
}

StatusOr<std::string> RenderCompareHtml(const CompareResult& result, const std::vector<json>& base,
                                        const std::vector<json>& next,
                                        const CompareContext& context) {
  try {
    json payload{{"kind", "compare"}, {"generator", GeneratorJson()}, {"result", ToJson(result)}};
    payload["context"] = json{{"base_sources", context.base_sources},
                              {"new_sources", context.new_sources},
                              {"generated_at", context.generated_at}};
    // The runs, as the header and per-run table show them.
    auto run_info = [](const std::vector<json>& side, const std::vector<std::string>& sources) {
      json runs = json::array();
      for (std::size_t i = 0; i < side.size(); ++i) {
        const json& s = side[i];
        runs.push_back(
            json{{"source", i < sources.size() ? sources[i] : "run " + std::to_string(i + 1)},
                 {"scenario", Text(Find(s, "scenario"))},
                 {"mode", Text(Find(s, "mode"))},
                 {"target", Text(Find(s, "target"))},
                 {"duration_s", Number(Find(s, "duration_s")).value_or(0.0)},
                 {"seed", Number(Find(s, "seed")).value_or(0.0)}});
      }
      return runs;
    };
    payload["runs"] = json{{"base", run_info(base, context.base_sources)},
                           {"new", run_info(next, context.new_sources)}};
    // Spectra: each side's histograms merged (exact).
    std::vector<std::pair<std::string, HdrHistogram>> merged;
    for (const auto& [side_name, side] : {std::pair{"base", &base}, std::pair{"new", &next}}) {
      for (const auto& [key, label] : {std::pair{"corrected", "write, corrected"},
                                       std::pair{"uncorrected", "write, uncorrected"},
                                       std::pair{"read_corrected", "read, corrected"}}) {
        std::optional<HdrHistogram> acc;
        bool complete = true;
        for (const json& s : *side) {
          std::optional<HdrHistogram> h = Histogram(FindPath(s, {"histograms", key}));
          if (!h) {
            complete = false;
            break;
          }
          if (!acc) {
            acc = HdrHistogram(h->SignificantDigits());
          }
          if (!acc->Merge(*h).ok()) {
            complete = false;
            break;
          }
        }
        if (complete && acc && acc->TotalCount() > 0) {
          merged.emplace_back(std::string(side_name) + ": " + label, std::move(*acc));
        }
      }
    }
    std::vector<std::pair<std::string, const HdrHistogram*>> series;
    for (const auto& [label, h] : merged) series.emplace_back(label, &h);
    payload["spectrum"] = Spectrum(series, kUsPerMs);
    // Time series of every run: write p99 and writes/s per interval.
    json over_time = json::array();
    for (const auto& [side_name, side] : {std::pair{"base", &base}, std::pair{"new", &next}}) {
      for (std::size_t i = 0; i < side->size(); ++i) {
        const json* rows = Find((*side)[i], "timeseries");
        if (rows == nullptr || !rows->is_array() || rows->empty()) continue;
        json t = json::array();
        json p99 = json::array();
        json wps = json::array();
        for (const json& row : *rows) {
          const std::optional<double> ts = Number(Find(row, "t_s"));
          const double duration = Number(Find(row, "duration_s")).value_or(0.0);
          if (!ts) continue;
          const double writes = Number(FindPath(row, {"writes", "total"})).value_or(0.0);
          t.push_back(*ts);
          const std::optional<double> v = Number(FindPath(row, {"write_latency_ms", "p99"}));
          p99.push_back(v && writes > 0 ? json(*v) : json(nullptr));
          wps.push_back(duration > 0 ? json(writes / duration) : json(nullptr));
        }
        over_time.push_back(json{{"side", side_name},
                                 {"run", i + 1},
                                 {"t", std::move(t)},
                                 {"p99", std::move(p99)},
                                 {"writes_per_s", std::move(wps)}});
      }
    }
    payload["over_time"] = std::move(over_time);
    return RenderPage("sessionrig loadgen compare", payload);
  } catch (const json::exception& e) {
    return Status(StatusCode::kInternal, std::string("compare report: ") + e.what());
  }
}

StatusOr<json> ExtractPayload(std::string_view html) {
  constexpr std::string_view kOpen = "<script type=\"application/json\" id=\"report-data\">";
  const std::size_t start = html.find(kOpen);
  if (start == std::string_view::npos) {
    return Status(StatusCode::kNotFound, "no report-data element in the page");
  }
  const std::size_t begin = start + kOpen.size();
  const std::size_t end = html.find("</script>", begin);
  if (end == std::string_view::npos) {
    return Status(StatusCode::kNotFound, "the report-data element is not closed");
  }
  JsonLimits limits;
  limits.max_bytes = std::size_t{256} << 20;
  limits.max_string_bytes = HdrHistogram::kMaxEncodedBytes + 64;
  limits.max_container_items = kMaxPayloadItems;
  return ParseJsonStrict(html.substr(begin, end - begin), limits);
}

json RestoreSummary(const json& payload) {
  const json* summary = Find(payload, "summary");
  json out = summary != nullptr ? *summary : json::object();
  const json* ts = Find(payload, "timeseries");
  if (ts == nullptr || !ts->is_object()) return out;
  const json* count = Find(*ts, "count");
  if (count == nullptr || !count->is_number_unsigned() ||
      count->get<std::uint64_t>() > kMaxPayloadItems) {
    return out;
  }
  const auto n = static_cast<std::size_t>(count->get<std::uint64_t>());
  json rows = json::array();
  for (std::size_t i = 0; i < n; ++i) rows.push_back(json::object());
  const json* keys = Find(*ts, "keys");
  const json* columns = Find(*ts, "columns");
  if (keys == nullptr || columns == nullptr || !keys->is_array()) return out;
  for (const json& key : *keys) {
    if (!key.is_string()) continue;
    const json* column = Find(*columns, key.get_ref<const std::string&>());
    if (column == nullptr || !column->is_array()) continue;
    for (std::size_t i = 0; i < n && i < column->size(); ++i) {
      if ((*column)[i].is_null()) continue;
      SetDotted(rows[i], key.get_ref<const std::string&>(), (*column)[i]);
    }
  }
  out["timeseries"] = std::move(rows);
  return out;
}

std::string NowIso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

Status WriteTextFile(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return Status(StatusCode::kUnavailable, "cannot write " + path);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status(StatusCode::kUnavailable, "cannot write " + path);
  }
  return Status::Ok();
}

StatusOr<json> ReadSummaryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, path + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  JsonLimits limits;
  limits.max_bytes = std::size_t{256} << 20;
  limits.max_string_bytes = HdrHistogram::kMaxEncodedBytes + 64;
  limits.max_container_items = std::size_t{1} << 20;
  StatusOr<json> parsed = ParseJsonStrict(text.str(), limits);
  if (!parsed.ok()) return Status(parsed.status().code(), path + ": " + parsed.status().message());
  if (Status s = ValidateSummaryJson(*parsed); !s.ok()) {
    return Status(s.code(), path + ": " + s.message());
  }
  return parsed;
}

}  // namespace sessionrig::loadgen
