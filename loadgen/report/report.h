// loadgen/report/report.h: the self-contained HTML report of a run
// (`loadgen run --html`, `loadgen report`, `loadgen merge --html`) and of a
// comparison (`loadgen compare --html`).
//
// One file that opens offline: the page template, its CSS and chart code and
// uPlot (the npm package pinned by loadgen/report/package-lock.json) are
// inlined at build time; the data is one JSON document in a
// <script type="application/json" id="report-data"> element; a
// Content-Security-Policy forbids every request. The size grows with the
// number of intervals, never with the number of requests: the embedded data
// is the summary (whose histograms have a bounded size), the time series in
// columns without the per-interval histograms, and percentile spectra
// precomputed from the histograms.
//
// The embedded payload ("kind": "report"):
//   summary     the summary JSON as given, without "timeseries"
//   timeseries  null, or {"count": n, "keys": [...], "columns": {key: [...]}}:
//               each interval object flattened to dotted keys
//               ("writes.by_status.updated"), one array per key, without the
//               per-interval "histogram" and "read_histogram" (the JSON file
//               keeps them); RestoreSummary() undoes it
//   derived     what the charts need, computed here from the histograms
//   context     what the summary does not record (load model, shards, ...)
// so that the tables show exactly the JSON summary's values.
//
// Summaries are read through their JSON only (schema
// sessionrig.loadgen.summary/v1; the fields newer than v1 are optional), so
// the report does not depend on the C++ Summary struct. Every field is
// type-checked as it is read: a malformed summary gives a page with less in
// it or an error, never a crash.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "loadgen/compare.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

// What the summary JSON does not say, when the caller knows it.
struct ReportContext {
  std::string load;                     // the load model in words; "" = not recorded
  std::optional<std::uint32_t> shards;  // processes that made the summary
  std::string shard;                    // "2/4" when this is one shard's report
  std::vector<std::string> sources;     // summary files it was made from
  // Reachability of the target (loadgen run knows it): nullopt = not recorded.
  std::optional<bool> target_reachable;
  std::string reachability_note;
  std::optional<int> exit_code;  // the run's exit code, when known
  std::string generated_at;      // ISO 8601 UTC; "" = omitted
};

// The data embedded in the report page (see the top of this file).
// Errors: kWrongType when `summary` is not a JSON object.
StatusOr<nlohmann::json> ReportPayload(const nlohmann::json& summary, const ReportContext& context);

// The whole report page. Errors as ReportPayload.
StatusOr<std::string> RenderReportHtml(const nlohmann::json& summary, const ReportContext& context);

struct CompareContext {
  std::vector<std::string> base_sources, new_sources;
  std::string generated_at;
};

// The comparison page: the verdict table, the per-run values, the
// differences, and the two sides' spectra (histograms merged per side) and
// time series overlaid. `base` and `next` are the summaries `result` was
// computed from.
StatusOr<std::string> RenderCompareHtml(const CompareResult& result,
                                        const std::vector<nlohmann::json>& base,
                                        const std::vector<nlohmann::json>& next,
                                        const CompareContext& context);

// The payload embedded in a page RenderReportHtml/RenderCompareHtml wrote.
// Errors: kNotFound without the data element, kJsonSyntax when it does not
// parse.
StatusOr<nlohmann::json> ExtractPayload(std::string_view html);

// The summary a report payload was made from, less the per-interval
// histograms: payload.summary with the columns turned back into
// "timeseries" objects.
nlohmann::json RestoreSummary(const nlohmann::json& payload);

// Current time as ISO 8601 UTC ("2024-05-01T12:00:00Z").
std::string NowIso8601();

// Writes `text` to `path` (through a temporary file renamed over it).
// Errors: kUnavailable naming the path.
Status WriteTextFile(const std::string& path, std::string_view text);

// Reads a summary file: strict JSON parse with limits sized for summaries
// of long runs (256 MiB, 1M items per array), then the schema check
// (ValidateSummaryJson). Errors name the file and the field.
StatusOr<nlohmann::json> ReadSummaryFile(const std::string& path);

}  // namespace sessionrig::loadgen
