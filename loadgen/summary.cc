#include "loadgen/summary.h"

#include <cmath>
#include <cstdio>
#include <ostream>
#include <set>
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

Status ReadWrites(const json& root, Summary::Writes* writes) {
  const json* o = nullptr;
  if (Status s = GetObject(root, "", "writes", &o); !s.ok()) return s;
  if (Status s = GetUint(*o, "writes", "total", &writes->total); !s.ok()) return s;
  const json* by_status = nullptr;
  if (Status s = GetObject(*o, "writes", "by_status", &by_status); !s.ok()) return s;
  std::uint64_t sum = 0;
  for (WriteStatus status : kAllWriteStatuses) {
    std::uint64_t& count = (*writes)[status];
    if (Status s = GetUint(*by_status, "writes.by_status", WriteStatusName(status), &count);
        !s.ok()) {
      return s;
    }
    if (__builtin_add_overflow(sum, count, &sum)) {
      return Status(StatusCode::kWrongType, "writes.by_status: counts overflow");
    }
  }
  for (const auto& item : by_status->items()) {
    if (!WriteStatusFromName(item.key()).has_value()) {
      return Status(StatusCode::kWrongType,
                    "writes.by_status." + item.key() +
                        ": unknown status (expected one of the 11 schema keys)");
    }
  }
  if (sum != writes->total) {
    return Status(StatusCode::kWrongType, "writes.total: " + std::to_string(writes->total) +
                                              " is not the sum of writes.by_status (" +
                                              std::to_string(sum) + ")");
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
  return Status::Ok();
}

// Appends `from` histogram into `into`, naming the failure.
Status MergeHistogram(HdrHistogram& into, const HdrHistogram& from, std::string_view name,
                      std::size_t index) {
  if (Status s = into.Merge(from); !s.ok()) {
    return Status(StatusCode::kInvalidArgument, "summary " + std::to_string(index) +
                                                    ": histograms." + std::string(name) + ": " +
                                                    s.message());
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
  json by_status = json::object();
  for (WriteStatus status : kAllWriteStatuses)
    by_status[std::string(WriteStatusName(status))] = s.writes[status];
  json thresholds = json::array();
  for (const ThresholdResult& t : s.thresholds) {
    thresholds.push_back(json{{"expr", t.expr}, {"ok", t.ok}, {"value", t.value}});
  }
  const std::string corrected = s.corrected_us.Encode();
  json stat_counters = json::object();
  for (const auto& [name, value] : s.scenario_stats.counters) stat_counters[name] = value;
  json stat_histograms = json::object();
  for (const auto& [name, h] : s.scenario_stats.histograms) stat_histograms[name] = h.Encode();
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
                        {"lag_ms", ShortJson(s.schedule.lag_ms)}}},
      {"consistency", json{{"checked", s.consistency.checked},
                           {"verdict", s.consistency.verdict},
                           {"acknowledged", s.consistency.acknowledged},
                           {"violations", s.consistency.violations},
                           {"examples", s.consistency.examples}}},
      {"thresholds", std::move(thresholds)},
      {"histogram", corrected},
      {"histograms", json{{"corrected", corrected},
                          {"uncorrected", s.uncorrected_us.Encode()},
                          {"action_latency", s.action_latency_us.Encode()},
                          {"action_attempts", s.action_attempts.Encode()},
                          {"schedule_lag", s.schedule_lag_us.Encode()}}},
      {"scenario_stats",
       json{{"counters", std::move(stat_counters)}, {"histograms", std::move(stat_histograms)}}},
  };
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
  if (Status st = ReadActions(root, &s.actions); !st.ok()) return st;
  if (Status st = ReadSchedule(root, &s.schedule); !st.ok()) return st;
  if (Status st = ReadConsistency(root, &s.consistency); !st.ok()) return st;
  if (Status st = ReadThresholds(root, &s.thresholds); !st.ok()) return st;
  if (Status st = ReadHistograms(root, &s); !st.ok()) return st;
  if (Status st = ReadScenarioStats(root, &s.scenario_stats); !st.ok()) return st;
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

StatusOr<Summary> Merge(const std::vector<Summary>& summaries) {
  if (summaries.empty()) return Status(StatusCode::kInvalidArgument, "merge: no summaries");
  const Summary& first = summaries.front();
  Summary merged;
  merged.scenario = first.scenario;
  merged.target = first.target;
  merged.mode = first.mode;
  merged.seed = first.seed;
  const int digits = first.corrected_us.SignificantDigits();
  merged.corrected_us = HdrHistogram(digits);
  merged.uncorrected_us = HdrHistogram(first.uncorrected_us.SignificantDigits());
  merged.action_latency_us = HdrHistogram(first.action_latency_us.SignificantDigits());
  merged.action_attempts = HdrHistogram(first.action_attempts.SignificantDigits());
  merged.schedule_lag_us = HdrHistogram(first.schedule_lag_us.SignificantDigits());
  std::vector<ConsistencyResult> consistency;
  consistency.reserve(summaries.size());
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const Summary& s = summaries[i];
    if (s.scenario != merged.scenario) {
      return Status(StatusCode::kInvalidArgument, "summary " + std::to_string(i) + ": scenario \"" +
                                                      s.scenario + "\" differs from \"" +
                                                      merged.scenario + "\"");
    }
    if (s.mode != merged.mode) {
      return Status(StatusCode::kInvalidArgument, "summary " + std::to_string(i) + ": mode \"" +
                                                      s.mode + "\" differs from \"" + merged.mode +
                                                      "\"");
    }
    if (s.target != merged.target) merged.target = "mixed";
    merged.duration_s = std::max(merged.duration_s, s.duration_s);
    for (std::size_t k = 0; k < kWriteStatusCount; ++k)
      merged.writes.by_status[k] += s.writes.by_status[k];
    merged.actions.succeeded += s.actions.succeeded;
    merged.actions.failed += s.actions.failed;
    merged.actions.interrupted += s.actions.interrupted;
    for (const auto& [name, value] : s.scenario_stats.counters) {
      merged.scenario_stats.counters[name] += value;
    }
    for (const auto& [name, h] : s.scenario_stats.histograms) {
      auto [it, inserted] =
          merged.scenario_stats.histograms.try_emplace(name, HdrHistogram(h.SignificantDigits()));
      if (Status st = MergeHistogram(it->second, h, "scenario_stats." + name, i); !st.ok()) {
        return st;
      }
    }
    merged.schedule.planned += s.schedule.planned;
    merged.schedule.started += s.schedule.started;
    merged.schedule.dropped += s.schedule.dropped;
    consistency.push_back(s.consistency);
    if (Status st = MergeHistogram(merged.corrected_us, s.corrected_us, "corrected", i); !st.ok()) {
      return st;
    }
    if (Status st = MergeHistogram(merged.uncorrected_us, s.uncorrected_us, "uncorrected", i);
        !st.ok()) {
      return st;
    }
    if (Status st =
            MergeHistogram(merged.action_latency_us, s.action_latency_us, "action_latency", i);
        !st.ok()) {
      return st;
    }
    if (Status st = MergeHistogram(merged.action_attempts, s.action_attempts, "action_attempts", i);
        !st.ok()) {
      return st;
    }
    if (Status st = MergeHistogram(merged.schedule_lag_us, s.schedule_lag_us, "schedule_lag", i);
        !st.ok()) {
      return st;
    }
  }
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

  out << "  " << Pad("latency (ms)", 16);
  for (const char* column : {"p50", "p90", "p99", "p99.9", "max"}) out << PadLeft(column, 11);
  out << "\n";
  for (const auto& [name, p] : {std::pair{"corrected", &s.latency_ms.corrected},
                                std::pair{"uncorrected", &s.latency_ms.uncorrected}}) {
    out << "    " << Pad(name, 14);
    for (double v : {p->p50, p->p90, p->p99, p->p999, p->max})
      out << PadLeft(Format("%.3f", v), 11);
    out << "\n";
  }
  out << "    (corrected: from each write's intended start, schedule lag included;\n"
         "     uncorrected: from the moment it was sent)\n\n";

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
      << Format("%.3f", s.schedule.lag_ms.max) << "\n\n";

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
