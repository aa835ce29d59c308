#include "loadgen/summary.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>
#include <tuple>
#include <utility>

#include "sessionrig/json_codec.h"

namespace sessionrig::loadgen {

namespace {

using nlohmann::json;

constexpr double kUsPerMs = 1000.0;

double Ratio(std::uint64_t numerator, std::uint64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

double Ms(std::int64_t us) { return static_cast<double>(us) / kUsPerMs; }

// ---- derived fields ----------------------------------------------------------

LatencyPercentilesMs LatencyPercentiles(const HdrHistogram& h) {
  return LatencyPercentilesMs{Ms(h.ValueAtPercentile(50)), Ms(h.ValueAtPercentile(90)),
                              Ms(h.ValueAtPercentile(99)), Ms(h.ValueAtPercentile(99.9)),
                              Ms(h.Max())};
}

ShortPercentilesMs ShortPercentiles(const HdrHistogram& h) {
  return ShortPercentilesMs{Ms(h.ValueAtPercentile(50)), Ms(h.ValueAtPercentile(99)), Ms(h.Max())};
}

// ---- JSON writing --------------------------------------------------------------

json LatencyJson(const LatencyPercentilesMs& p) {
  return json{{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"p999", p.p999}, {"max", p.max}};
}

json ShortJson(const ShortPercentilesMs& p) {
  return json{{"p50", p.p50}, {"p99", p.p99}, {"max", p.max}};
}

json ByStatusJson(const std::array<std::uint64_t, kWriteStatusCount>& by_status) {
  json out = json::object();
  for (WriteStatus status : kAllWriteStatuses) {
    out[std::string(WriteStatusName(status))] = by_status[WriteStatusIndex(status)];
  }
  return out;
}

json IntervalLatencyJson(const IntervalLatencyMs& p) {
  return json{{"p50", p.p50},
              {"p90", p.p90},
              {"p99", p.p99},
              {"max", p.max},
              {"uncorrected_p99", p.uncorrected_p99}};
}

json IntervalJson(const TimeseriesInterval& in) {
  return json{
      {"t_s", in.t_s},
      {"duration_s", in.duration_s},
      {"arrivals", json{{"planned", in.planned}, {"started", in.started}, {"dropped", in.dropped}}},
      {"writes",
       json{{"total", in.writes_total}, {"by_status", ByStatusJson(in.writes_by_status)}}},
      {"reads", json{{"total", in.reads_total}, {"failed", in.reads_failed}}},
      {"inflight_max", in.inflight_max},
      {"schedule_lag_ms_max", in.schedule_lag_ms_max},
      {"write_latency_ms", IntervalLatencyJson(in.write_latency_ms)},
      {"read_latency_ms", IntervalLatencyJson(in.read_latency_ms)},
      {"conflict_ratio", in.conflict_ratio},
      {"histogram", in.histogram},
      {"read_histogram", in.read_histogram},
  };
}

json RankJson(const RankBucket& b) {
  return json{{"rank_lo", b.rank_lo},         {"rank_hi", b.rank_hi},
              {"sessions", b.sessions},       {"writes", b.writes},
              {"out_of_sync", b.out_of_sync}, {"conflict_ratio", b.conflict_ratio}};
}

// ---- JSON reading: every accessor names the field path --------------------------

std::string Path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

Status Missing(const std::string& path) {
  return Status(StatusCode::kMissingField, path + ": missing");
}

Status WrongType(const std::string& path, std::string_view expected) {
  return Status(StatusCode::kWrongType, path + ": expected " + std::string(expected));
}

// Looks up `key` in `object` (which must be an object); *out is the member.
Status Member(const json& object, const std::string& parent, std::string_view key,
              const json** out) {
  const auto it = object.find(key);
  if (it == object.end()) return Missing(Path(parent, key));
  *out = &*it;
  return Status::Ok();
}

Status GetObject(const json& object, const std::string& parent, std::string_view key,
                 const json** out) {
  if (Status s = Member(object, parent, key, out); !s.ok()) return s;
  if (!(*out)->is_object()) return WrongType(Path(parent, key), "an object");
  return Status::Ok();
}

Status GetUint(const json& object, const std::string& parent, std::string_view key,
               std::uint64_t* out) {
  const json* value = nullptr;
  if (Status s = Member(object, parent, key, &value); !s.ok()) return s;
  // nlohmann keeps integers assigned from signed types as number_integer.
  const bool non_negative_integer = value->is_number_unsigned() ||
                                    (value->is_number_integer() && value->get<std::int64_t>() >= 0);
  if (!non_negative_integer) return WrongType(Path(parent, key), "a non-negative integer");
  *out = value->get<std::uint64_t>();
  return Status::Ok();
}

Status GetDouble(const json& object, const std::string& parent, std::string_view key, double* out) {
  const json* value = nullptr;
  if (Status s = Member(object, parent, key, &value); !s.ok()) return s;
  if (!value->is_number()) return WrongType(Path(parent, key), "a number");
  *out = value->get<double>();
  if (!std::isfinite(*out)) return WrongType(Path(parent, key), "a finite number");
  return Status::Ok();
}

Status GetNonNegative(const json& object, const std::string& parent, std::string_view key,
                      double* out) {
  if (Status s = GetDouble(object, parent, key, out); !s.ok()) return s;
  if (*out < 0) return WrongType(Path(parent, key), "a non-negative number");
  return Status::Ok();
}

Status GetString(const json& object, const std::string& parent, std::string_view key,
                 std::string* out) {
  const json* value = nullptr;
  if (Status s = Member(object, parent, key, &value); !s.ok()) return s;
  if (!value->is_string()) return WrongType(Path(parent, key), "a string");
  *out = value->get<std::string>();
  return Status::Ok();
}

Status GetBool(const json& object, const std::string& parent, std::string_view key, bool* out) {
  const json* value = nullptr;
  if (Status s = Member(object, parent, key, &value); !s.ok()) return s;
  if (!value->is_boolean()) return WrongType(Path(parent, key), "a boolean");
  *out = value->get<bool>();
  return Status::Ok();
}

Status GetHistogram(const json& object, const std::string& parent, std::string_view key,
                    HdrHistogram* out) {
  std::string encoded;
  if (Status s = GetString(object, parent, key, &encoded); !s.ok()) return s;
  StatusOr<HdrHistogram> decoded = HdrHistogram::Decode(encoded);
  if (!decoded.ok()) {
    return Status(StatusCode::kWrongType, Path(parent, key) + ": " + decoded.status().message());
  }
  *out = std::move(decoded).value();
  return Status::Ok();
}

Status ReadLatency(const json& object, const std::string& parent, std::string_view key,
                   LatencyPercentilesMs* out) {
  const json* o = nullptr;
  if (Status s = GetObject(object, parent, key, &o); !s.ok()) return s;
  const std::string path = Path(parent, key);
  for (auto [name, field] :
       {std::pair{"p50", &out->p50}, std::pair{"p90", &out->p90}, std::pair{"p99", &out->p99},
        std::pair{"p999", &out->p999}, std::pair{"max", &out->max}}) {
    if (Status s = GetNonNegative(*o, path, name, field); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadShort(const json& object, const std::string& parent, std::string_view key,
                 ShortPercentilesMs* out) {
  const json* o = nullptr;
  if (Status s = GetObject(object, parent, key, &o); !s.ok()) return s;
  const std::string path = Path(parent, key);
  for (auto [name, field] :
       {std::pair{"p50", &out->p50}, std::pair{"p99", &out->p99}, std::pair{"max", &out->max}}) {
    if (Status s = GetNonNegative(*o, path, name, field); !s.ok()) return s;
  }
  return Status::Ok();
}

// `parent` (e.g. "writes") holds "total" and "by_status" with exactly the 11
// status keys summing to the total.
Status ReadWritesObject(const json& object, const std::string& parent, std::uint64_t* total,
                        std::array<std::uint64_t, kWriteStatusCount>* by_status_out) {
  if (Status s = GetUint(object, parent, "total", total); !s.ok()) return s;
  const json* by_status = nullptr;
  if (Status s = GetObject(object, parent, "by_status", &by_status); !s.ok()) return s;
  const std::string path = Path(parent, "by_status");
  std::uint64_t sum = 0;
  for (WriteStatus status : kAllWriteStatuses) {
    std::uint64_t& count = (*by_status_out)[WriteStatusIndex(status)];
    if (Status s = GetUint(*by_status, path, WriteStatusName(status), &count); !s.ok()) {
      return s;
    }
    if (__builtin_add_overflow(sum, count, &sum)) {
      return Status(StatusCode::kWrongType, path + ": counts overflow");
    }
  }
  for (const auto& item : by_status->items()) {
    if (!WriteStatusFromName(item.key()).has_value()) {
      return Status(
          StatusCode::kWrongType,
          path + "." + item.key() + ": unknown status (expected one of the 11 schema keys)");
    }
  }
  if (sum != *total) {
    return Status(StatusCode::kWrongType, Path(parent, "total") + ": " + std::to_string(*total) +
                                              " is not the sum of " + path + " (" +
                                              std::to_string(sum) + ")");
  }
  return Status::Ok();
}

Status ReadWrites(const json& root, Summary::Writes* writes) {
  const json* o = nullptr;
  if (Status s = GetObject(root, "", "writes", &o); !s.ok()) return s;
  return ReadWritesObject(*o, "writes", &writes->total, &writes->by_status);
}

// Optional (absent: no reads recorded): "reads" and "read_latency_ms".
Status ReadReads(const json& root, Summary* s) {
  if (root.contains("reads")) {
    const json* o = nullptr;
    if (Status st = GetObject(root, "", "reads", &o); !st.ok()) return st;
    if (Status st = GetUint(*o, "reads", "total", &s->reads.total); !st.ok()) return st;
    if (Status st = GetUint(*o, "reads", "failed", &s->reads.failed); !st.ok()) return st;
    if (s->reads.failed > s->reads.total) {
      return Status(StatusCode::kWrongType, "reads.failed: more than reads.total");
    }
  }
  if (root.contains("read_latency_ms")) {
    const json* latency = nullptr;
    if (Status st = GetObject(root, "", "read_latency_ms", &latency); !st.ok()) return st;
    if (Status st =
            ReadLatency(*latency, "read_latency_ms", "corrected", &s->read_latency_ms.corrected);
        !st.ok()) {
      return st;
    }
    if (Status st = ReadLatency(*latency, "read_latency_ms", "uncorrected",
                                &s->read_latency_ms.uncorrected);
        !st.ok()) {
      return st;
    }
  }
  return Status::Ok();
}

Status ReadIntervalLatency(const json& object, const std::string& parent, std::string_view key,
                           IntervalLatencyMs* out) {
  const json* o = nullptr;
  if (Status s = GetObject(object, parent, key, &o); !s.ok()) return s;
  const std::string path = Path(parent, key);
  for (auto [name, field] :
       {std::pair{"p50", &out->p50}, std::pair{"p90", &out->p90}, std::pair{"p99", &out->p99},
        std::pair{"max", &out->max}, std::pair{"uncorrected_p99", &out->uncorrected_p99}}) {
    if (Status s = GetNonNegative(*o, path, name, field); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadInterval(const json& item, const std::string& path, TimeseriesInterval* in) {
  if (!item.is_object()) return WrongType(path, "an object");
  if (Status s = GetNonNegative(item, path, "t_s", &in->t_s); !s.ok()) return s;
  if (Status s = GetNonNegative(item, path, "duration_s", &in->duration_s); !s.ok()) return s;
  const json* arrivals = nullptr;
  if (Status s = GetObject(item, path, "arrivals", &arrivals); !s.ok()) return s;
  const std::string apath = Path(path, "arrivals");
  if (Status s = GetUint(*arrivals, apath, "planned", &in->planned); !s.ok()) return s;
  if (Status s = GetUint(*arrivals, apath, "started", &in->started); !s.ok()) return s;
  if (Status s = GetUint(*arrivals, apath, "dropped", &in->dropped); !s.ok()) return s;
  if (in->started + in->dropped != in->planned) {
    return Status(StatusCode::kWrongType,
                  apath + ".planned: " + std::to_string(in->planned) + " is not started + dropped");
  }
  const json* writes = nullptr;
  if (Status s = GetObject(item, path, "writes", &writes); !s.ok()) return s;
  if (Status s =
          ReadWritesObject(*writes, Path(path, "writes"), &in->writes_total, &in->writes_by_status);
      !s.ok()) {
    return s;
  }
  const json* reads = nullptr;
  if (Status s = GetObject(item, path, "reads", &reads); !s.ok()) return s;
  if (Status s = GetUint(*reads, Path(path, "reads"), "total", &in->reads_total); !s.ok()) return s;
  if (Status s = GetUint(*reads, Path(path, "reads"), "failed", &in->reads_failed); !s.ok()) {
    return s;
  }
  if (Status s = GetUint(item, path, "inflight_max", &in->inflight_max); !s.ok()) return s;
  if (Status s = GetNonNegative(item, path, "schedule_lag_ms_max", &in->schedule_lag_ms_max);
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIntervalLatency(item, path, "write_latency_ms", &in->write_latency_ms);
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIntervalLatency(item, path, "read_latency_ms", &in->read_latency_ms);
      !s.ok()) {
    return s;
  }
  if (Status s = GetNonNegative(item, path, "conflict_ratio", &in->conflict_ratio); !s.ok()) {
    return s;
  }
  for (auto [name, field, count] :
       {std::tuple{"histogram", &in->histogram, in->writes_total},
        std::tuple{"read_histogram", &in->read_histogram, in->reads_total}}) {
    HdrHistogram h;
    if (Status s = GetHistogram(item, path, name, &h); !s.ok()) return s;
    if (static_cast<std::uint64_t>(h.TotalCount()) != count) {
      return Status(StatusCode::kWrongType, Path(path, name) + ": holds " +
                                                std::to_string(h.TotalCount()) + " values, not " +
                                                std::to_string(count));
    }
    *field = item.at(name).get<std::string>();
  }
  return Status::Ok();
}

// Optional: "interval_s", "start_unix_s", "timeseries".
Status ReadTimeseries(const json& root, Summary* s) {
  if (root.contains("interval_s")) {
    if (Status st = GetNonNegative(root, "", "interval_s", &s->interval_s); !st.ok()) return st;
    if (s->interval_s <= 0) return WrongType("interval_s", "a number > 0");
  }
  if (root.contains("start_unix_s")) {
    if (Status st = GetNonNegative(root, "", "start_unix_s", &s->start_unix_s); !st.ok()) {
      return st;
    }
  }
  if (!root.contains("timeseries")) return Status::Ok();
  const json* list = nullptr;
  if (Status st = Member(root, "", "timeseries", &list); !st.ok()) return st;
  if (!list->is_array()) return WrongType("timeseries", "an array");
  s->timeseries.resize(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (Status st = ReadInterval((*list)[i], "timeseries." + std::to_string(i), &s->timeseries[i]);
        !st.ok()) {
      return st;
    }
  }
  return Status::Ok();
}

// Optional: "by_rank".
Status ReadByRank(const json& root, std::vector<RankBucket>* out) {
  if (!root.contains("by_rank")) return Status::Ok();
  const json* list = nullptr;
  if (Status st = Member(root, "", "by_rank", &list); !st.ok()) return st;
  if (!list->is_array()) return WrongType("by_rank", "an array");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = "by_rank." + std::to_string(i);
    const json& item = (*list)[i];
    if (!item.is_object()) return WrongType(path, "an object");
    RankBucket b;
    for (auto [name, field] : {std::pair{"rank_lo", &b.rank_lo}, std::pair{"rank_hi", &b.rank_hi},
                               std::pair{"sessions", &b.sessions}, std::pair{"writes", &b.writes},
                               std::pair{"out_of_sync", &b.out_of_sync}}) {
      if (Status st = GetUint(item, path, name, field); !st.ok()) return st;
    }
    if (Status st = GetNonNegative(item, path, "conflict_ratio", &b.conflict_ratio); !st.ok()) {
      return st;
    }
    const std::size_t bucket = RankBucketIndex(b.rank_lo);
    if (b.rank_lo == 0 || b.rank_lo != (std::uint64_t{1} << bucket) ||
        b.rank_hi != (std::uint64_t{2} << bucket) - 1) {
      return Status(StatusCode::kWrongType,
                    path + ": [rank_lo, rank_hi] is not a power-of-two bucket [2^k, 2^(k+1) - 1]");
    }
    if (b.out_of_sync > b.writes) {
      return Status(StatusCode::kWrongType, path + ".out_of_sync: more than writes");
    }
    out->push_back(b);
  }
  return Status::Ok();
}

Status ReadActions(const json& root, Summary::Actions* actions) {
  const json* o = nullptr;
  if (Status s = GetObject(root, "", "actions", &o); !s.ok()) return s;
  if (Status s = GetUint(*o, "actions", "total", &actions->total); !s.ok()) return s;
  if (Status s = GetUint(*o, "actions", "succeeded", &actions->succeeded); !s.ok()) return s;
  if (Status s = GetUint(*o, "actions", "failed", &actions->failed); !s.ok()) return s;
  const json* attempts = nullptr;
  if (Status s = GetObject(*o, "actions", "attempts", &attempts); !s.ok()) return s;
  if (Status s = GetNonNegative(*attempts, "actions.attempts", "mean", &actions->attempts.mean);
      !s.ok()) {
    return s;
  }
  if (Status s = GetNonNegative(*attempts, "actions.attempts", "p99", &actions->attempts.p99);
      !s.ok()) {
    return s;
  }
  if (Status s = GetNonNegative(*attempts, "actions.attempts", "max", &actions->attempts.max);
      !s.ok()) {
    return s;
  }
  if (o->contains("interrupted")) {
    if (Status s = GetUint(*o, "actions", "interrupted", &actions->interrupted); !s.ok()) return s;
  }
  return ReadShort(*o, "actions", "latency_ms", &actions->latency_ms);
}

// "scenario_stats" is optional (summaries without it have none).
Status ReadScenarioStats(const json& root, Summary::ScenarioStats* stats) {
  if (!root.contains("scenario_stats")) return Status::Ok();
  const json* o = nullptr;
  if (Status s = GetObject(root, "", "scenario_stats", &o); !s.ok()) return s;
  const json* counters = nullptr;
  if (Status s = GetObject(*o, "scenario_stats", "counters", &counters); !s.ok()) return s;
  for (const auto& item : counters->items()) {
    std::uint64_t value = 0;
    if (Status s = GetUint(*counters, "scenario_stats.counters", item.key(), &value); !s.ok()) {
      return s;
    }
    stats->counters[item.key()] = value;
  }
  const json* histograms = nullptr;
  if (Status s = GetObject(*o, "scenario_stats", "histograms", &histograms); !s.ok()) return s;
  for (const auto& item : histograms->items()) {
    HdrHistogram h;
    if (Status s = GetHistogram(*histograms, "scenario_stats.histograms", item.key(), &h);
        !s.ok()) {
      return s;
    }
    stats->histograms.emplace(item.key(), std::move(h));
  }
  return Status::Ok();
}

Status ReadSchedule(const json& root, Summary::Schedule* schedule) {
  const json* o = nullptr;
  if (Status s = GetObject(root, "", "schedule", &o); !s.ok()) return s;
  if (Status s = GetUint(*o, "schedule", "planned", &schedule->planned); !s.ok()) return s;
  if (Status s = GetUint(*o, "schedule", "started", &schedule->started); !s.ok()) return s;
  if (Status s = GetUint(*o, "schedule", "dropped", &schedule->dropped); !s.ok()) return s;
  if (o->contains("request_gap_ms")) {
    if (Status s = ReadShort(*o, "schedule", "request_gap_ms", &schedule->request_gap_ms);
        !s.ok()) {
      return s;
    }
  }
  return ReadShort(*o, "schedule", "lag_ms", &schedule->lag_ms);
}

Status ReadConsistency(const json& root, ConsistencyResult* c) {
  const json* o = nullptr;
  if (Status s = GetObject(root, "", "consistency", &o); !s.ok()) return s;
  if (Status s = GetBool(*o, "consistency", "checked", &c->checked); !s.ok()) return s;
  if (Status s = GetString(*o, "consistency", "verdict", &c->verdict); !s.ok()) return s;
  if (c->verdict != "ok" && c->verdict != "violated" && c->verdict != "not_checked") {
    return WrongType("consistency.verdict", "one of \"ok\", \"violated\", \"not_checked\"");
  }
  if ((c->verdict == "not_checked") == c->checked) {
    return Status(StatusCode::kWrongType,
                  "consistency.verdict: \"" + c->verdict + "\" contradicts consistency.checked");
  }
  if (Status s = GetUint(*o, "consistency", "acknowledged", &c->acknowledged); !s.ok()) return s;
  if (Status s = GetUint(*o, "consistency", "violations", &c->violations); !s.ok()) return s;
  const json* examples = nullptr;
  if (Status s = Member(*o, "consistency", "examples", &examples); !s.ok()) return s;
  if (!examples->is_array()) return WrongType("consistency.examples", "an array");
  c->examples.clear();
  for (std::size_t i = 0; i < examples->size(); ++i) {
    const json& example = (*examples)[i];
    if (!example.is_string()) {
      return WrongType("consistency.examples." + std::to_string(i), "a string");
    }
    c->examples.push_back(example.get<std::string>());
  }
  // Optional (added with the membership invariants).
  c->checks.clear();
  c->by_invariant.clear();
  c->lifecycle_removals = 0;
  if (o->contains("checks")) {
    const json& checks = (*o)["checks"];
    if (!checks.is_array()) return WrongType("consistency.checks", "an array");
    for (std::size_t i = 0; i < checks.size(); ++i) {
      if (!checks[i].is_string()) {
        return WrongType("consistency.checks." + std::to_string(i), "a string");
      }
      c->checks.push_back(checks[i].get<std::string>());
    }
  }
  if (o->contains("by_invariant")) {
    const json* by = nullptr;
    if (Status s = GetObject(*o, "consistency", "by_invariant", &by); !s.ok()) return s;
    for (auto it = by->begin(); it != by->end(); ++it) {
      std::uint64_t n = 0;
      if (Status s = GetUint(*by, "consistency.by_invariant", it.key(), &n); !s.ok()) return s;
      c->by_invariant[it.key()] = n;
    }
  }
  if (o->contains("lifecycle_removals")) {
    if (Status s = GetUint(*o, "consistency", "lifecycle_removals", &c->lifecycle_removals);
        !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Status ReadThresholds(const json& root, std::vector<ThresholdResult>* thresholds) {
  const json* list = nullptr;
  if (Status s = Member(root, "", "thresholds", &list); !s.ok()) return s;
  if (!list->is_array()) return WrongType("thresholds", "an array");
  thresholds->clear();
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = "thresholds." + std::to_string(i);
    const json& item = (*list)[i];
    if (!item.is_object()) return WrongType(path, "an object");
    ThresholdResult t;
    if (Status s = GetString(item, path, "expr", &t.expr); !s.ok()) return s;
    if (Status s = GetBool(item, path, "ok", &t.ok); !s.ok()) return s;
    if (Status s = GetDouble(item, path, "value", &t.value); !s.ok()) return s;
    thresholds->push_back(std::move(t));
  }
  return Status::Ok();
}

Status ReadHistograms(const json& root, Summary* summary) {
  const json* o = nullptr;
  if (Status s = GetObject(root, "", "histograms", &o); !s.ok()) return s;
  std::string single;
  std::string corrected;
  if (Status s = GetString(root, "", "histogram", &single); !s.ok()) return s;
  if (Status s = GetString(*o, "histograms", "corrected", &corrected); !s.ok()) return s;
  if (single != corrected) {
    return Status(StatusCode::kWrongType, "histogram: differs from histograms.corrected");
  }
  for (auto [name, histogram] : {std::pair{"corrected", &summary->corrected_us},
                                 std::pair{"uncorrected", &summary->uncorrected_us},
                                 std::pair{"action_latency", &summary->action_latency_us},
                                 std::pair{"action_attempts", &summary->action_attempts},
                                 std::pair{"schedule_lag", &summary->schedule_lag_us}}) {
    if (Status s = GetHistogram(*o, "histograms", name, histogram); !s.ok()) return s;
  }
  for (auto [name, histogram] : {std::pair{"read_corrected", &summary->read_corrected_us},
                                 std::pair{"read_uncorrected", &summary->read_uncorrected_us},
                                 std::pair{"request_gap", &summary->request_gap_us}}) {
    if (!o->contains(name)) {  // an older summary: none recorded
      *histogram = HdrHistogram(summary->corrected_us.SignificantDigits());
      continue;
    }
    if (Status s = GetHistogram(*o, "histograms", name, histogram); !s.ok()) return s;
  }
  if (static_cast<std::uint64_t>(summary->read_corrected_us.TotalCount()) != summary->reads.total ||
      static_cast<std::uint64_t>(summary->read_uncorrected_us.TotalCount()) !=
          summary->reads.total) {
    return Status(StatusCode::kWrongType, "histograms.read_corrected: does not hold the " +
                                              std::to_string(summary->reads.total) +
                                              " reads of reads.total");
  }
  return Status::Ok();
}

// Appends `from` histogram into `into`, naming the failure.
Status MergeHistogram(HdrHistogram& into, const HdrHistogram& from, std::string_view name,
                      const std::string& summary_name) {
  if (Status s = into.Merge(from); !s.ok()) {
    return Status(StatusCode::kInvalidArgument,
                  summary_name + ": histograms." + std::string(name) + ": " + s.message());
  }
  return Status::Ok();
}

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::string Pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string PadLeft(std::string text, std::size_t width) {
  if (text.size() < width) text.insert(0, width - text.size(), ' ');
  return text;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "name ......... " to a fixed width.
std::string Label(std::string_view name, std::size_t width = 22) {
  std::string out(name);
  out.push_back(' ');
  while (out.size() < width) out.push_back('.');
  out.push_back(' ');
  return out;
}

}  // namespace

void FillDerived(Summary& s) {
  std::uint64_t total = 0;
  for (std::uint64_t count : s.writes.by_status) total += count;
  s.writes.total = total;
  s.conflict_rate = Ratio(s.writes[WriteStatus::kOutOfSync], total);
  s.throughput_wps = s.duration_s > 0 && std::isfinite(s.duration_s)
                         ? static_cast<double>(total) / s.duration_s
                         : 0.0;
  s.latency_ms.corrected = LatencyPercentiles(s.corrected_us);
  s.latency_ms.uncorrected = LatencyPercentiles(s.uncorrected_us);
  s.actions.total = s.actions.succeeded + s.actions.failed;
  s.actions.attempts.mean = s.action_attempts.Mean();
  s.actions.attempts.p99 = static_cast<double>(s.action_attempts.ValueAtPercentile(99));
  s.actions.attempts.max = static_cast<double>(s.action_attempts.Max());
  s.actions.latency_ms = ShortPercentiles(s.action_latency_us);
  s.schedule.lag_ms = ShortPercentiles(s.schedule_lag_us);
  s.schedule.request_gap_ms = ShortPercentiles(s.request_gap_us);
  s.read_latency_ms.corrected = LatencyPercentiles(s.read_corrected_us);
  s.read_latency_ms.uncorrected = LatencyPercentiles(s.read_uncorrected_us);
  // The intervals' histograms were checked when they were made or read.
  for (TimeseriesInterval& interval : s.timeseries) (void)FillIntervalDerived(interval);
  for (RankBucket& b : s.by_rank) b.conflict_ratio = Ratio(b.out_of_sync, b.writes);
}

double JainIndex(const HdrHistogram& h) {
  const double mean = h.Mean();
  const double sd = h.StdDev();
  const double denominator = mean * mean + sd * sd;
  return denominator > 0 ? mean * mean / denominator : 1.0;
}

double ErrorRate(const Summary& s) {
  std::uint64_t errors = 0;
  for (WriteStatus status : kAllWriteStatuses) {
    if (IsErrorStatus(status)) errors += s.writes[status];
  }
  return Ratio(errors, s.writes.total);
}

nlohmann::json ToJson(const Summary& s) {
  json by_status = ByStatusJson(s.writes.by_status);
  json thresholds = json::array();
  for (const ThresholdResult& t : s.thresholds) {
    thresholds.push_back(json{{"expr", t.expr}, {"ok", t.ok}, {"value", t.value}});
  }
  const std::string corrected = s.corrected_us.Encode();
  json stat_counters = json::object();
  for (const auto& [name, value] : s.scenario_stats.counters) stat_counters[name] = value;
  json stat_histograms = json::object();
  for (const auto& [name, h] : s.scenario_stats.histograms) stat_histograms[name] = h.Encode();
  json timeseries = json::array();
  for (const TimeseriesInterval& in : s.timeseries) timeseries.push_back(IntervalJson(in));
  json by_rank = json::array();
  for (const RankBucket& b : s.by_rank) by_rank.push_back(RankJson(b));
  return json{
      {"schema", std::string(kSummarySchema)},
      {"scenario", s.scenario},
      {"target", s.target},
      {"mode", s.mode},
      {"duration_s", s.duration_s},
      {"seed", s.seed},
      {"writes", json{{"total", s.writes.total}, {"by_status", std::move(by_status)}}},
      {"conflict_rate", s.conflict_rate},
      {"throughput_wps", s.throughput_wps},
      {"latency_ms", json{{"corrected", LatencyJson(s.latency_ms.corrected)},
                          {"uncorrected", LatencyJson(s.latency_ms.uncorrected)}}},
      {"reads", json{{"total", s.reads.total}, {"failed", s.reads.failed}}},
      {"read_latency_ms", json{{"corrected", LatencyJson(s.read_latency_ms.corrected)},
                               {"uncorrected", LatencyJson(s.read_latency_ms.uncorrected)}}},
      {"actions", json{{"total", s.actions.total},
                       {"succeeded", s.actions.succeeded},
                       {"failed", s.actions.failed},
                       {"interrupted", s.actions.interrupted},
                       {"attempts", json{{"mean", s.actions.attempts.mean},
                                         {"p99", s.actions.attempts.p99},
                                         {"max", s.actions.attempts.max}}},
                       {"latency_ms", ShortJson(s.actions.latency_ms)}}},
      {"schedule", json{{"planned", s.schedule.planned},
                        {"started", s.schedule.started},
                        {"dropped", s.schedule.dropped},
                        {"lag_ms", ShortJson(s.schedule.lag_ms)},
                        {"request_gap_ms", ShortJson(s.schedule.request_gap_ms)}}},
      {"consistency", json{{"checked", s.consistency.checked},
                           {"verdict", s.consistency.verdict},
                           {"acknowledged", s.consistency.acknowledged},
                           {"violations", s.consistency.violations},
                           {"checks", s.consistency.checks},
                           {"by_invariant", s.consistency.by_invariant},
                           {"lifecycle_removals", s.consistency.lifecycle_removals},
                           {"examples", s.consistency.examples}}},
      {"thresholds", std::move(thresholds)},
      {"histogram", corrected},
      {"histograms", json{{"corrected", corrected},
                          {"uncorrected", s.uncorrected_us.Encode()},
                          {"action_latency", s.action_latency_us.Encode()},
                          {"action_attempts", s.action_attempts.Encode()},
                          {"schedule_lag", s.schedule_lag_us.Encode()},
                          {"read_corrected", s.read_corrected_us.Encode()},
                          {"read_uncorrected", s.read_uncorrected_us.Encode()},
                          {"request_gap", s.request_gap_us.Encode()}}},
      {"scenario_stats",
       json{{"counters", std::move(stat_counters)}, {"histograms", std::move(stat_histograms)}}},
      {"interval_s", s.interval_s},
      {"start_unix_s", s.start_unix_s},
      {"timeseries", std::move(timeseries)},
      {"by_rank", std::move(by_rank)},
  };
}

std::string SummaryJsonText(const Summary& summary) {
  json j = ToJson(summary);
  json series = std::move(j["timeseries"]);
  j.erase("timeseries");
  std::string text = j.dump(2);
  // The keys are sorted, so "timeseries" is not last: splice it in where
  // it belongs, one interval per line.
  std::string lines = "  \"timeseries\": [";
  for (std::size_t i = 0; i < series.size(); ++i) {
    lines += i == 0 ? "\n    " : ",\n    ";
    lines += series[i].dump();
  }
  lines += series.empty() ? "]" : "\n  ]";
  const std::string next_key = "\n  \"writes\":";  // the key after "timeseries"
  const std::size_t at = text.find(next_key);
  if (at == std::string::npos) {
    text.insert(text.rfind('}'), ",\n" + lines + "\n");  // not reached: "writes" is always there
  } else {
    text.insert(at + 1, lines + ",\n");
  }
  return text + "\n";
}

StatusOr<Summary> FromJson(const nlohmann::json& root) {
  if (!root.is_object()) return WrongType("(root)", "an object");
  Summary s;
  std::string schema;
  if (Status st = GetString(root, "", "schema", &schema); !st.ok()) return st;
  if (schema != kSummarySchema) {
    return Status(StatusCode::kWrongType, "schema: expected \"" + std::string(kSummarySchema) +
                                              "\", got \"" + schema + "\"");
  }
  if (Status st = GetString(root, "", "scenario", &s.scenario); !st.ok()) return st;
  if (Status st = GetString(root, "", "target", &s.target); !st.ok()) return st;
  if (Status st = GetString(root, "", "mode", &s.mode); !st.ok()) return st;
  if (Status st = GetNonNegative(root, "", "duration_s", &s.duration_s); !st.ok()) return st;
  if (Status st = GetUint(root, "", "seed", &s.seed); !st.ok()) return st;
  if (Status st = ReadWrites(root, &s.writes); !st.ok()) return st;
  if (Status st = GetNonNegative(root, "", "conflict_rate", &s.conflict_rate); !st.ok()) return st;
  if (Status st = GetNonNegative(root, "", "throughput_wps", &s.throughput_wps); !st.ok())
    return st;
  const json* latency = nullptr;
  if (Status st = GetObject(root, "", "latency_ms", &latency); !st.ok()) return st;
  if (Status st = ReadLatency(*latency, "latency_ms", "corrected", &s.latency_ms.corrected);
      !st.ok()) {
    return st;
  }
  if (Status st = ReadLatency(*latency, "latency_ms", "uncorrected", &s.latency_ms.uncorrected);
      !st.ok()) {
    return st;
  }
  if (Status st = ReadReads(root, &s); !st.ok()) return st;
  if (Status st = ReadActions(root, &s.actions); !st.ok()) return st;
  if (Status st = ReadSchedule(root, &s.schedule); !st.ok()) return st;
  if (Status st = ReadConsistency(root, &s.consistency); !st.ok()) return st;
  if (Status st = ReadThresholds(root, &s.thresholds); !st.ok()) return st;
  if (Status st = ReadHistograms(root, &s); !st.ok()) return st;
  if (Status st = ReadScenarioStats(root, &s.scenario_stats); !st.ok()) return st;
  if (Status st = ReadTimeseries(root, &s); !st.ok()) return st;
  if (Status st = ReadByRank(root, &s.by_rank); !st.ok()) return st;
  return s;
}

Status ValidateSummaryJson(const nlohmann::json& json_value) {
  return FromJson(json_value).status();
}

StatusOr<Summary> ParseSummary(std::string_view text) {
  JsonLimits limits;
  limits.max_bytes = std::size_t{256} << 20;
  limits.max_string_bytes = HdrHistogram::kMaxEncodedBytes + 64;
  StatusOr<json> parsed = ParseJsonStrict(text, limits);
  if (!parsed.ok()) return parsed.status();
  return FromJson(*parsed);
}

StatusOr<Summary> Merge(const std::vector<Summary>& summaries,
                        const std::vector<std::string>& names_in) {
  if (summaries.empty()) return Status(StatusCode::kInvalidArgument, "merge: no summaries");
  std::vector<std::string> names = names_in;
  for (std::size_t i = names.size(); i < summaries.size(); ++i) {
    names.push_back("summary " + std::to_string(i));
  }
  const Summary& first = summaries.front();
  Summary merged;
  merged.scenario = first.scenario;
  merged.target = first.target;
  merged.mode = first.mode;
  merged.seed = first.seed;
  merged.interval_s = first.interval_s;
  merged.start_unix_s = first.start_unix_s;
  struct Field {
    HdrHistogram Summary::*member;
    const char* name;
  };
  constexpr Field kHistograms[] = {
      {&Summary::corrected_us, "corrected"},
      {&Summary::uncorrected_us, "uncorrected"},
      {&Summary::action_latency_us, "action_latency"},
      {&Summary::action_attempts, "action_attempts"},
      {&Summary::schedule_lag_us, "schedule_lag"},
      {&Summary::read_corrected_us, "read_corrected"},
      {&Summary::read_uncorrected_us, "read_uncorrected"},
      {&Summary::request_gap_us, "request_gap"},
  };
  for (const Field& f : kHistograms) {
    merged.*(f.member) = HdrHistogram((first.*(f.member)).SignificantDigits());
  }
  std::vector<ConsistencyResult> consistency;
  consistency.reserve(summaries.size());
  std::map<std::uint64_t, RankBucket> ranks;
  std::vector<const std::vector<TimeseriesInterval>*> series;
  std::vector<std::string> series_names;
  std::size_t with_series = summaries.size();  // index of one with a time series
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const Summary& s = summaries[i];
    if (s.scenario != merged.scenario) {
      return Status(StatusCode::kInvalidArgument, names[i] + ": scenario \"" + s.scenario +
                                                      "\" differs from \"" + merged.scenario +
                                                      "\" (" + names[0] + ")");
    }
    if (s.mode != merged.mode) {
      return Status(StatusCode::kInvalidArgument, names[i] + ": mode \"" + s.mode +
                                                      "\" differs from \"" + merged.mode + "\" (" +
                                                      names[0] + ")");
    }
    if (s.target != merged.target) merged.target = "mixed";
    merged.duration_s = std::max(merged.duration_s, s.duration_s);
    for (std::size_t k = 0; k < kWriteStatusCount; ++k)
      merged.writes.by_status[k] += s.writes.by_status[k];
    merged.reads.total += s.reads.total;
    merged.reads.failed += s.reads.failed;
    merged.actions.succeeded += s.actions.succeeded;
    merged.actions.failed += s.actions.failed;
    merged.actions.interrupted += s.actions.interrupted;
    for (const auto& [name, value] : s.scenario_stats.counters) {
      merged.scenario_stats.counters[name] += value;
    }
    for (const auto& [name, h] : s.scenario_stats.histograms) {
      auto [it, inserted] =
          merged.scenario_stats.histograms.try_emplace(name, HdrHistogram(h.SignificantDigits()));
      if (Status st = MergeHistogram(it->second, h, "scenario_stats." + name, names[i]); !st.ok()) {
        return st;
      }
    }
    merged.schedule.planned += s.schedule.planned;
    merged.schedule.started += s.schedule.started;
    merged.schedule.dropped += s.schedule.dropped;
    consistency.push_back(s.consistency);
    for (const Field& f : kHistograms) {
      if (Status st = MergeHistogram(merged.*(f.member), s.*(f.member), f.name, names[i]);
          !st.ok()) {
        return st;
      }
    }
    for (const RankBucket& b : s.by_rank) {
      auto [it, inserted] = ranks.try_emplace(b.rank_lo, RankBucket{b.rank_lo, b.rank_hi});
      it->second.sessions += b.sessions;
      it->second.writes += b.writes;
      it->second.out_of_sync += b.out_of_sync;
    }
    // The time series: same interval, same start, or none at all.
    if (s.interval_s != merged.interval_s) {
      return Status(StatusCode::kInvalidArgument,
                    names[i] + ": time series interval " + Format("%g", s.interval_s) +
                        " s differs from " + names[0] + "'s " + Format("%g", merged.interval_s) +
                        " s (--interval): their intervals cannot be merged");
    }
    if (!s.timeseries.empty()) {
      if (with_series < summaries.size() &&
          std::fabs(s.start_unix_s - summaries[with_series].start_unix_s) > 1e-3) {
        return Status(
            StatusCode::kInvalidArgument,
            names[i] + " started its measured phase at unix time " +
                Format("%.3f", s.start_unix_s) + ", " + names[with_series] + " at " +
                Format("%.3f", summaries[with_series].start_unix_s) +
                ": their intervals are different wall-clock windows (start the shards with the "
                "same --start-at)");
      }
      if (with_series == summaries.size()) with_series = i;
      series.push_back(&s.timeseries);
      series_names.push_back(names[i]);
    }
  }
  if (with_series < summaries.size()) {
    for (std::size_t i = 0; i < summaries.size(); ++i) {
      if (!summaries[i].timeseries.empty()) continue;
      return Status(StatusCode::kInvalidArgument,
                    names[i] + " has no time series (an older loadgen, or a run that ended at " +
                        "once) but " + names[with_series] + " has one: their intervals cannot " +
                        "be merged");
    }
    merged.start_unix_s = summaries[with_series].start_unix_s;
    StatusOr<std::vector<TimeseriesInterval>> m = MergeTimeseries(series, series_names);
    if (!m.ok()) return Status(StatusCode::kInvalidArgument, m.status().message());
    merged.timeseries = std::move(m).value();
  }
  for (auto& [lo, bucket] : ranks) merged.by_rank.push_back(bucket);
  merged.consistency = MergeConsistencyResults(consistency);
  FillDerived(merged);
  return merged;
}

void PrintSummary(std::ostream& out, const Summary& s, const std::string& context) {
  out << "sessionrig loadgen: scenario " << s.scenario << ", mode " << s.mode << ", target "
      << s.target << ", " << Format("%.1f", s.duration_s) << " s, seed " << s.seed << "\n";
  if (!context.empty()) out << context << "\n";
  out << "\n";

  out << "  " << Label("writes") << s.writes.total << " (" << Format("%.1f", s.throughput_wps)
      << "/s)\n";
  for (WriteStatus status : kAllWriteStatuses) {
    const std::uint64_t count = s.writes[status];
    out << "    " << Label(WriteStatusName(status), 20) << PadLeft(std::to_string(count), 10)
        << "  " << PadLeft(Format("%.2f%%", 100.0 * Ratio(count, s.writes.total)), 8) << "\n";
  }
  out << "  " << Label("conflict_rate") << Format("%.2f%%", 100.0 * s.conflict_rate) << "\n";
  out << "  " << Label("error_rate") << Format("%.2f%%", 100.0 * ErrorRate(s)) << "\n\n";

  out << "  " << Pad("latency (ms)", 22);
  for (const char* column : {"p50", "p90", "p99", "p99.9", "max"}) out << PadLeft(column, 11);
  out << "\n";
  const auto row = [&](const char* name, const LatencyPercentilesMs& p) {
    out << "    " << Pad(name, 20);
    for (double v : {p.p50, p.p90, p.p99, p.p999, p.max}) out << PadLeft(Format("%.3f", v), 11);
    out << "\n";
  };
  row("write corrected", s.latency_ms.corrected);
  row("write uncorrected", s.latency_ms.uncorrected);
  if (s.reads.total > 0) {
    row("read corrected", s.read_latency_ms.corrected);
    row("read uncorrected", s.read_latency_ms.uncorrected);
    out << "    (" << s.reads.total << " reads, " << s.reads.failed << " failed)\n";
  } else {
    out << "    " << Pad("read", 20) << "none (mode " << s.mode << " writes without reading)\n";
  }
  out << "    (corrected: from the intended start: an action's first request from the\n"
         "     action's, every later one from its send; uncorrected: from its send)\n\n";

  out << "  " << Label("actions") << s.actions.total << " total, " << s.actions.succeeded
      << " succeeded, " << s.actions.failed << " failed";
  if (s.actions.interrupted > 0) {
    out << " (+" << s.actions.interrupted << " interrupted at the end: cancelled, not counted)";
  }
  out << "\n";
  out << "    " << Label("writes/action", 20) << "mean " << Format("%.2f", s.actions.attempts.mean)
      << "  p99 " << Format("%.0f", s.actions.attempts.p99) << "  max "
      << Format("%.0f", s.actions.attempts.max) << "\n";
  out << "    " << Label("latency (ms)", 20) << "p50 " << Format("%.3f", s.actions.latency_ms.p50)
      << "  p99 " << Format("%.3f", s.actions.latency_ms.p99) << "  max "
      << Format("%.3f", s.actions.latency_ms.max) << "\n";
  out << "  " << Label("schedule") << "planned " << s.schedule.planned << ", started "
      << s.schedule.started << ", dropped " << s.schedule.dropped << "\n";
  out << "    " << Label("lag (ms)", 20) << "p50 " << Format("%.3f", s.schedule.lag_ms.p50)
      << "  p99 " << Format("%.3f", s.schedule.lag_ms.p99) << "  max "
      << Format("%.3f", s.schedule.lag_ms.max) << "\n";
  if (s.request_gap_us.TotalCount() > 0) {
    out << "    " << Label("request gap (ms)", 20) << "p50 "
        << Format("%.3f", s.schedule.request_gap_ms.p50) << "  p99 "
        << Format("%.3f", s.schedule.request_gap_ms.p99) << "  max "
        << Format("%.3f", s.schedule.request_gap_ms.max)
        << "  (client time before an action's later requests)\n";
  }
  if (!s.timeseries.empty()) {
    out << "  " << Label("time series") << s.timeseries.size() << " intervals of "
        << Format("%g", s.interval_s) << " s (--json timeseries, --hlog)\n";
  }
  if (s.by_rank.size() > 1) {
    out << "  " << Label("conflicts by rank") << "session popularity rank: out_of_sync / writes\n";
    for (const RankBucket& b : s.by_rank) {
      const std::string range = b.rank_lo == b.rank_hi
                                    ? std::to_string(b.rank_lo)
                                    : std::to_string(b.rank_lo) + "-" + std::to_string(b.rank_hi);
      out << "    " << Label(range, 20) << PadLeft(Format("%.2f%%", 100.0 * b.conflict_ratio), 8)
          << "  of " << b.writes << " writes, " << b.sessions << " sessions\n";
    }
  }
  out << "\n";

  const auto& stats = s.scenario_stats;
  if (!stats.counters.empty() || !stats.histograms.empty()) {
    out << "  " << s.scenario << "\n";
    std::set<std::string> shown;
    // Per action kind: "<kind>_succeeded", "<kind>_failed", "<kind>_attempts",
    // "<kind>_time_us" (time to success) on one line each.
    for (const auto& [name, succeeded] : stats.counters) {
      constexpr std::string_view kSuffix = "_succeeded";
      if (!EndsWith(name, kSuffix)) continue;
      const std::string kind = name.substr(0, name.size() - kSuffix.size());
      const auto failed = stats.counters.find(kind + "_failed");
      const auto attempts = stats.histograms.find(kind + "_attempts");
      const auto time = stats.histograms.find(kind + "_time_us");
      out << "    " << Label(kind, 24) << succeeded << " succeeded";
      shown.insert(name);
      if (failed != stats.counters.end()) {
        out << ", " << failed->second << " failed";
        shown.insert(failed->first);
      }
      if (attempts != stats.histograms.end()) {
        if (attempts->second.TotalCount() > 0) {
          out << "; attempts mean " << Format("%.2f", attempts->second.Mean()) << " p99 "
              << attempts->second.ValueAtPercentile(99) << " max " << attempts->second.Max();
        }
        shown.insert(attempts->first);
      }
      if (time != stats.histograms.end()) {
        if (time->second.TotalCount() > 0) {
          out << "; time to success p50 " << Format("%.3f", Ms(time->second.ValueAtPercentile(50)))
              << " p99 " << Format("%.3f", Ms(time->second.ValueAtPercentile(99))) << " ms";
        }
        shown.insert(time->first);
      }
      out << "\n";
    }
    for (const auto& [name, value] : stats.counters) {
      if (shown.count(name) == 0) out << "    " << Label(name, 24) << value << "\n";
    }
    for (const auto& [name, h] : stats.histograms) {
      if (shown.count(name) > 0) continue;
      const bool latency = EndsWith(name, "_us");
      const std::string label = latency ? name.substr(0, name.size() - 3) + " (ms)" : name;
      if (h.TotalCount() == 0) {
        out << "    " << Label(label, 24) << "none\n";
      } else if (latency) {
        out << "    " << Label(label, 24) << "p50 " << Format("%.3f", Ms(h.ValueAtPercentile(50)))
            << "  p99 " << Format("%.3f", Ms(h.ValueAtPercentile(99))) << "  max "
            << Format("%.3f", Ms(h.Max())) << "  (n " << h.TotalCount() << ")\n";
      } else {
        out << "    " << Label(label, 24) << "mean " << Format("%.2f", h.Mean()) << "  min "
            << h.Min() << "  p99 " << h.ValueAtPercentile(99) << "  max " << h.Max();
        if (EndsWith(name, "_per_user")) {
          out << "  fairness (Jain) " << Format("%.3f", JainIndex(h));
        }
        out << "\n";
      }
    }
    out << "\n";
  }

  out << "  " << Label("consistency") << s.consistency.verdict;
  if (s.consistency.checked) {
    out << " (" << s.consistency.acknowledged << " acknowledged writes, "
        << s.consistency.violations << " violations)";
  }
  out << "\n";
  if (!s.consistency.checks.empty()) {
    out << "      checks:";
    for (const std::string& check : s.consistency.checks) {
      auto n = s.consistency.by_invariant.find(check);
      out << " " << check << " "
          << (n == s.consistency.by_invariant.end() ? std::uint64_t{0} : n->second);
    }
    if (s.consistency.lifecycle_removals > 0) {
      out << "; lifecycle removals " << s.consistency.lifecycle_removals;
    }
    out << "\n";
  }
  for (const std::string& example : s.consistency.examples) out << "      - " << example << "\n";

  if (!s.thresholds.empty()) {
    out << "\n  thresholds\n";
    for (const ThresholdResult& t : s.thresholds) {
      out << "    " << (t.ok ? "\u2713 " : "\u2717 ") << t.expr << "  (value "
          << Format("%.6g", t.value) << ")\n";
    }
  }
}

}  // namespace sessionrig::loadgen
