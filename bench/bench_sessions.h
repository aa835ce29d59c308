// bench/bench_sessions.h: the session documents the benchmarks measure, one
// definition for every bench program (session_write_bench times them,
// session_parse_count counts instructions on the same bytes).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "sessiond/merge.h"

namespace sessionrig::bench {

// A merge context for the caller `xuid`, at a fixed time.
inline sessiond::MergeContext Context(std::uint64_t xuid) {
  sessiond::MergeContext c;
  c.caller_xuid = std::to_string(xuid);
  c.now_iso = "2026-11-24T03:04:05.678Z";
  c.correlation_id = "bench";
  c.branch = "bench";
  return c;
}

// A lobby of `members` members, each with a few custom properties, and
// some session custom properties; built with sessiond's own merge.
inline sessiond::Json Session(int members) {
  auto created = sessiond::MergeDelta(
      nullptr,
      sessiond::Json::parse(
          R"({"constants":{"system":{"maxMembersCount":)" + std::to_string(members) +
          R"(,"visibility":"open"}},"properties":{"custom":{"map":"dunes","mode":"ctf"}}})"),
      Context(2533274790400001));
  if (!created.ok()) std::abort();
  sessiond::Json doc = std::move(created->document);
  for (int m = 0; m < members; ++m) {
    auto joined = sessiond::MergeDelta(
        &doc,
        sessiond::Json::parse(
            R"({"members":{"me":{"properties":{"system":{"active":true},"custom":{"skill":)" +
            std::to_string(1000 + m) + R"(,"team":"red","ready":false}}}}})"),
        Context(2533274790400001 + static_cast<std::uint64_t>(m)));
    if (!joined.ok()) std::abort();
    doc = std::move(joined->document);
  }
  return doc;
}

}  // namespace sessionrig::bench
