// Google Benchmark of the CPU work on both ends of one session write, per
// session size (members, each with a few custom properties):
//   BM_SessiondMerge             sessiond: MergeDeltaInPlace of one member's
//                                property update (the store's work under the
//                                session's lock, on its document, given the
//                                stored text's parts), its readability check
//                                (CheckWriteReadable) included
//   BM_SessiondWriteCheck        that check alone: what refusing documents
//                                clients cannot parse costs per write (only
//                                what the write changed is checked)
//   BM_SessiondReadableCheck     the whole-document check (creation, sweeps):
//                                the client parser over every field
//   BM_ClientParseWriteResponse  the core: the 200 response to that write
//                                through ParseWriteResponse (what
//                                XblMultiplayerWriteSessionResult parses)
//   BM_ClientParseSessionDocument  the same bytes into the session model
//                                (ParseSessionDocument), no HTTP headers
//   BM_ParseJsonStrict           the same bytes through the core's strict
//                                JSON codec (JsonReader building the
//                                DOM, limits enforced)
//   BM_NlohmannParse             BASELINE of the three parses above:
//                                nlohmann::json::parse of the same bytes
//   BM_BuildWriteRequestBody     the core's delta serialisation (the PUT
//                                body a write sends), per delta kind
//   BM_NlohmannDumpDelta         BASELINE: nlohmann dump() of that body
//                                from a ready DOM
// A benchmark measured against a baseline names it in its label
// ("baseline:BM_NlohmannParse/8"); scripts/bench prints the ratios. The
// counter `bytes` is the document's or body's size. Compare check against
// merge for the share of the write path the check takes (ratios: these
// machines are shared, absolute times vary).
//
//   build/release/bench/session_write_bench [--benchmark_filter=Merge]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/bench_sessions.h"
#include "sessiond/client_readability.h"
#include "sessiond/merge.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/response_parser.h"
#include "sessionrig/session_document.h"
#include "xsapi-c/multiplayer_c.h"

struct XblMultiplayerSession;

namespace sessionrig {

// The core's request-body builder, declared here by its name and signature
// rather than through its private header, which moves as core/src/session
// is split.
std::string BuildWriteRequestBody(const XblMultiplayerSession& s);

namespace {

// The label that ties a benchmark to its baseline (see the top of the file).
std::string Baseline(const char* name, std::int64_t arg) {
  return std::string("baseline:") + name + "/" + std::to_string(arg);
}

using sessiond::Json;

using bench::Context;
using bench::Session;

void BM_SessiondMerge(benchmark::State& state) {
  const Json delta = Json::parse(R"({"members":{"me":{"properties":{"custom":{"ready":true}}}}})");
  // The state as the store holds it: the document, its text and the text's
  // parts, which the merge copies where the write changed nothing. The
  // merge changes the document in place, as the store's does, and each
  // result's text and parts become the stored ones, as the store commits.
  const Json session = Session(static_cast<int>(state.range(0)));
  auto stored = sessiond::MergeDelta(&session, delta, Context(2533274790400001));
  if (!stored.ok()) std::abort();
  Json doc = std::move(stored->document);
  std::string text = std::move(stored->text);
  sessiond::DocumentParts parts = std::move(stored->parts);
  sessiond::MergeContext ctx = Context(2533274790400001);
  ctx.current_text = &text;
  ctx.current_parts = &parts;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto out = sessiond::MergeDeltaInPlace(&doc, delta, ctx);
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      break;
    }
    bytes = out->text.size();
    text = std::move(out->text);
    parts = std::move(out->parts);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_SessiondWriteCheck(benchmark::State& state) {
  const Json doc = Session(static_cast<int>(state.range(0)));
  const Json delta = Json::parse(R"({"members":{"me":{"properties":{"custom":{"ready":true}}}}})");
  const sessiond::MergeContext ctx = Context(2533274790400001);
  auto merged = sessiond::MergeDeltaUnchecked(&doc, delta, ctx);
  if (!merged.ok()) std::abort();
  for (auto _ : state) {
    Status s = sessiond::CheckWriteReadable(merged->document, delta, *merged);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(s);
  }
  state.counters["bytes"] = static_cast<double>(merged->text.size());
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
  state.SetLabel(Baseline("BM_NlohmannParse", state.range(0)));
}

void BM_ClientParseSessionDocument(benchmark::State& state) {
  const std::string body = Session(static_cast<int>(state.range(0))).dump();
  for (auto _ : state) {
    StatusOr<SessionDocument> doc = ParseSessionDocument(body);
    if (!doc.ok()) state.SkipWithError(doc.status().ToString().c_str());
    benchmark::DoNotOptimize(doc);
  }
  state.counters["bytes"] = static_cast<double>(body.size());
  state.SetLabel(Baseline("BM_NlohmannParse", state.range(0)));
}

void BM_ParseJsonStrict(benchmark::State& state) {
  const std::string body = Session(static_cast<int>(state.range(0))).dump();
  for (auto _ : state) {
    StatusOr<nlohmann::json> j = ParseJsonStrict(body);
    if (!j.ok()) state.SkipWithError(j.status().ToString().c_str());
    benchmark::DoNotOptimize(j);
  }
  state.counters["bytes"] = static_cast<double>(body.size());
  state.SetLabel(Baseline("BM_NlohmannParse", state.range(0)));
}

void BM_NlohmannParse(benchmark::State& state) {
  const std::string body = Session(static_cast<int>(state.range(0))).dump();
  for (auto _ : state) {
    nlohmann::json j = nlohmann::json::parse(body);
    benchmark::DoNotOptimize(j);
  }
  state.counters["bytes"] = static_cast<double>(body.size());
}

// Deltas a write sends (the argument of the two benchmarks below).
enum DeltaKind : std::int64_t {
  kPropertyUpdate = 0,  // one session custom property (loadgen's `mixed` update)
  kJoin = 1,            // create-or-join: constants, member custom constants and properties
};

// A handle holding the pending delta of `kind`; the caller closes it.
XblMultiplayerSessionHandle DeltaHandle(std::int64_t kind) {
  XblMultiplayerSessionReference ref =
      XblMultiplayerSessionReferenceCreate("00000000-0000-0000-0000-00006c6f6164", "mixed", "s-1");
  constexpr std::uint64_t kXuid = 2533274790400001;
  XblMultiplayerSessionHandle h = nullptr;
  if (kind == kPropertyUpdate) {
    h = XblMultiplayerSessionCreateHandle(kXuid, &ref, nullptr);
    if (h == nullptr || FAILED(XblMultiplayerSessionSetCustomPropertyJson(h, "w0", "12345"))) {
      std::abort();
    }
  } else {
    XblMultiplayerSessionInitArgs init{};
    init.MaxMembersInSession = 8;
    init.Visibility = XblMultiplayerSessionVisibility::Open;
    h = XblMultiplayerSessionCreateHandle(kXuid, &ref, &init);
    if (h == nullptr ||
        FAILED(XblMultiplayerSessionConstantsSetTimeouts(h, 30000, 0, 180000, 3600000)) ||
        FAILED(XblMultiplayerSessionJoin(h, R"({"t":1764547200000000})", false, true)) ||
        FAILED(XblMultiplayerSessionCurrentUserSetCustomPropertyJson(h, "skill", "1234")) ||
        FAILED(XblMultiplayerSessionCurrentUserSetCustomPropertyJson(h, "team", R"("red")"))) {
      std::abort();
    }
  }
  return h;
}

void BM_BuildWriteRequestBody(benchmark::State& state) {
  XblMultiplayerSessionHandle h = DeltaHandle(state.range(0));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string body = BuildWriteRequestBody(*h);
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  XblMultiplayerSessionCloseHandle(h);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.SetLabel(Baseline("BM_NlohmannDumpDelta", state.range(0)));
}

void BM_NlohmannDumpDelta(benchmark::State& state) {
  XblMultiplayerSessionHandle h = DeltaHandle(state.range(0));
  const nlohmann::json delta = nlohmann::json::parse(BuildWriteRequestBody(*h));
  XblMultiplayerSessionCloseHandle(h);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string body = delta.dump();
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

BENCHMARK(BM_SessiondMerge)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SessiondWriteCheck)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SessiondReadableCheck)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ClientParseWriteResponse)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ClientParseSessionDocument)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseJsonStrict)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_NlohmannParse)->Arg(8)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BuildWriteRequestBody)->Arg(kPropertyUpdate)->Arg(kJoin);
BENCHMARK(BM_NlohmannDumpDelta)->Arg(kPropertyUpdate)->Arg(kJoin);

}  // namespace
}  // namespace sessionrig

BENCHMARK_MAIN();
