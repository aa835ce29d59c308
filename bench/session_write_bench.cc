// Google Benchmark of the CPU work on both ends of one session write, per
// session size (members, each with a few custom properties):
//   BM_SessiondMerge            sessiond: MergeDelta of one member's property
//                               update (the store's work under the session's
//                               lock), CheckReadableByClients included
//   BM_SessiondReadableCheck    that check alone: what refusing documents
//                               clients cannot parse costs per write
//   BM_ClientParseWriteResponse the core: the 200 response to that write
//                               through ParseWriteResponse (what
//                               XblMultiplayerWriteSessionResult parses)
// The counter `bytes` is the served document's size. Compare check against
// merge for the share of the write path the check takes (a ratio: these
// machines are shared, absolute times vary).
//
//   build/release/bench/session_write_bench [--benchmark_filter=Merge]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sessiond/merge.h"
#include "sessionrig/response_parser.h"

namespace sessionrig {
namespace {

using sessiond::Json;

sessiond::MergeContext Context(std::uint64_t xuid) {
  sessiond::MergeContext c;
  c.caller_xuid = std::to_string(xuid);
  c.now_iso = "2026-11-24T03:04:05.678Z";
  c.correlation_id = "bench";
  c.branch = "bench";
  return c;
}

// A lobby of `members` members, each with a few custom properties, and
// some session custom properties; built with sessiond's own merge.
Json Session(int members) {
  auto created = sessiond::MergeDelta(
      nullptr,
      Json::parse(
          R"({"constants":{"system":{"maxMembersCount":)" + std::to_string(members) +
          R"(,"visibility":"open"}},"properties":{"custom":{"map":"dunes","mode":"ctf"}}})"),
      Context(2533274790400001));
  if (!created.ok()) std::abort();
  Json doc = std::move(created->document);
  for (int m = 0; m < members; ++m) {
    auto joined = sessiond::MergeDelta(
        &doc,
        Json::parse(
            R"({"members":{"me":{"properties":{"system":{"active":true},"custom":{"skill":)" +
            std::to_string(1000 + m) + R"(,"team":"red","ready":false}}}}})"),
        Context(2533274790400001 + static_cast<std::uint64_t>(m)));
    if (!joined.ok()) std::abort();
    doc = std::move(joined->document);
  }
  return doc;
}

void BM_SessiondMerge(benchmark::State& state) {
  const Json doc = Session(static_cast<int>(state.range(0)));
  const Json delta = Json::parse(R"({"members":{"me":{"properties":{"custom":{"ready":true}}}}})");
  const sessiond::MergeContext ctx = Context(2533274790400001);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto out = sessiond::MergeDelta(&doc, delta, ctx);
    if (!out.ok()) state.SkipWithError(out.status().ToString().c_str());
    bytes = out->text.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_SessiondReadableCheck(benchmark::State& state) {
  const Json doc = Session(static_cast<int>(state.range(0)));
  const std::string text = doc.dump();
  for (auto _ : state) {
    Status s = sessiond::CheckReadableByClients(doc, text.size());
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(s);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_ClientParseWriteResponse(benchmark::State& state) {
  const std::string body = Session(static_cast<int>(state.range(0))).dump();
  const HeaderList headers = {{"Content-Type", "application/json; charset=utf-8"},
                              {"ETag", "\"bench-1\""}};
  for (auto _ : state) {
    ParsedResponse r = ParseWriteResponse(200, headers, body);
    if (FAILED(r.hr)) state.SkipWithError(r.detail.ToString().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.counters["bytes"] = static_cast<double>(body.size());
}

BENCHMARK(BM_SessiondMerge)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SessiondReadableCheck)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ClientParseWriteResponse)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace sessionrig

BENCHMARK_MAIN();
