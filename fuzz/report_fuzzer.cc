// fuzz/report_fuzzer.cc: summary JSON text -> the strict JSON codec ->
// loadgen's HTML report and comparison (loadgen/report/report.h,
// loadgen/compare.h), which read untrusted summary files through their JSON.
//
// Input: JSON text (a summary, or anything). No trailer.
//
// Invariants:
//  - RenderReportHtml fails only for a non-object (kWrongType); otherwise the
//    page carries a payload ExtractPayload parses back, whose "summary" is
//    the input without "timeseries", and whose time series restores every
//    row that is an object of non-empty dot-free keys without nulls
//    (RestoreSummary), less the per-interval histograms. RestoreSummary
//    never throws, whatever the keys.
//  - No data closes the data element early: the page has exactly three
//    "</script" (data, uPlot, page code).
//  - Compare of a summary with itself succeeds, finds no regression even
//    with a 0% bound on every metric, and RenderCompareHtml succeeds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "loadgen/compare.h"
#include "loadgen/report/report.h"
#include "sessionrig/json_codec.h"

namespace sessionrig::fuzz {
namespace {

using nlohmann::json;

// True when Flatten/RestoreSummary round-trip `row` exactly: nested objects
// whose keys are not empty and have no '.' (Flatten's separator), and that
// hold no null (a null cell is a missing one).
bool Restorable(const json& value) {
  if (value.is_null()) return false;
  if (!value.is_object()) return true;
  for (const auto& item : value.items()) {
    const std::string& key = item.key();
    if (key.empty() || key.find('.') != std::string::npos) return false;
    if (!Restorable(item.value())) return false;
  }
  return true;
}

std::size_t Count(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace
}  // namespace sessionrig::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sessionrig;
  using namespace sessionrig::loadgen;
  using nlohmann::json;
  using sessionrig::fuzz::Count;
  using sessionrig::fuzz::Restorable;

  JsonLimits limits;
  limits.max_bytes = 1 << 20;
  StatusOr<json> parsed =
      ParseJsonStrict(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!parsed.ok()) return 0;
  const json& input = *parsed;

  StatusOr<std::string> html = RenderReportHtml(input, ReportContext{});
  if (!input.is_object()) {
    FUZZ_CHECK(!html.ok() && html.status().code() == StatusCode::kWrongType,
               "a non-object summary must be refused");
    return 0;
  }
  FUZZ_CHECK(html.ok(), html.status().ToString());
  FUZZ_CHECK(Count(*html, "</script") == 3, "data closed the data element early");
  StatusOr<json> payload = ExtractPayload(*html);
  FUZZ_CHECK(payload.ok(), payload.status().ToString());
  json without_series = input;
  without_series.erase("timeseries");
  FUZZ_CHECK((*payload)["summary"] == without_series,
             "the embedded summary differs from the input");
  const json restored = RestoreSummary(*payload);
  const auto rows = input.find("timeseries");
  if (rows != input.end() && rows->is_array()) {
    FUZZ_CHECK(restored.contains("timeseries") && restored["timeseries"].size() == rows->size(),
               "restored time series has another length");
    for (std::size_t i = 0; i < rows->size(); ++i) {
      json expected = (*rows)[i];
      if (!expected.is_object()) continue;
      expected.erase("histogram");
      expected.erase("read_histogram");
      if (expected.empty() || !Restorable(expected)) continue;
      FUZZ_CHECK(restored["timeseries"][i] == expected,
                 "row " << i << " restored as " << restored["timeseries"][i].dump());
    }
  }

  CompareOptions options;
  options.max_regression["all"] = 0.0;
  StatusOr<CompareResult> same = Compare({input}, {input}, options);
  FUZZ_CHECK(same.ok(), same.status().ToString());
  FUZZ_CHECK(!same->regression, "a summary regressed against itself");
  StatusOr<std::string> page = RenderCompareHtml(*same, {input}, {input}, CompareContext{});
  FUZZ_CHECK(page.ok(), page.status().ToString());
  return 0;
}
