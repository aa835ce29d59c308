#include "loadgen/thresholds.h"
#include "sessionrig/duration.h"

#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <string>

namespace sessionrig::loadgen {

namespace {

enum class Kind { kLatency, kPlain };

struct MetricDef {
  std::string_view name;
  Kind kind;
  double (*value)(const Summary&);
};

constexpr std::array kMetrics = {
    MetricDef{"p50", Kind::kLatency, [](const Summary& s) { return s.latency_ms.corrected.p50; }},
    MetricDef{"p90", Kind::kLatency, [](const Summary& s) { return s.latency_ms.corrected.p90; }},
    MetricDef{"p99", Kind::kLatency, [](const Summary& s) { return s.latency_ms.corrected.p99; }},
    MetricDef{"p999", Kind::kLatency, [](const Summary& s) { return s.latency_ms.corrected.p999; }},
    MetricDef{"max", Kind::kLatency, [](const Summary& s) { return s.latency_ms.corrected.max; }},
    MetricDef{"uncorrected_p50", Kind::kLatency,
              [](const Summary& s) { return s.latency_ms.uncorrected.p50; }},
    MetricDef{"uncorrected_p90", Kind::kLatency,
              [](const Summary& s) { return s.latency_ms.uncorrected.p90; }},
    MetricDef{"uncorrected_p99", Kind::kLatency,
              [](const Summary& s) { return s.latency_ms.uncorrected.p99; }},
    MetricDef{"uncorrected_p999", Kind::kLatency,
              [](const Summary& s) { return s.latency_ms.uncorrected.p999; }},
    MetricDef{"uncorrected_max", Kind::kLatency,
              [](const Summary& s) { return s.latency_ms.uncorrected.max; }},
    MetricDef{"read_p50", Kind::kLatency,
              [](const Summary& s) { return s.read_latency_ms.corrected.p50; }},
    MetricDef{"read_p90", Kind::kLatency,
              [](const Summary& s) { return s.read_latency_ms.corrected.p90; }},
    MetricDef{"read_p99", Kind::kLatency,
              [](const Summary& s) { return s.read_latency_ms.corrected.p99; }},
    MetricDef{"read_p999", Kind::kLatency,
              [](const Summary& s) { return s.read_latency_ms.corrected.p999; }},
    MetricDef{"read_max", Kind::kLatency,
              [](const Summary& s) { return s.read_latency_ms.corrected.max; }},
    MetricDef{"action_p50", Kind::kLatency,
              [](const Summary& s) { return s.actions.latency_ms.p50; }},
    MetricDef{"action_p99", Kind::kLatency,
              [](const Summary& s) { return s.actions.latency_ms.p99; }},
    MetricDef{"action_max", Kind::kLatency,
              [](const Summary& s) { return s.actions.latency_ms.max; }},
    MetricDef{"lag_p50", Kind::kLatency, [](const Summary& s) { return s.schedule.lag_ms.p50; }},
    MetricDef{"lag_p99", Kind::kLatency, [](const Summary& s) { return s.schedule.lag_ms.p99; }},
    MetricDef{"lag_max", Kind::kLatency, [](const Summary& s) { return s.schedule.lag_ms.max; }},
    MetricDef{"conflict_rate", Kind::kPlain, [](const Summary& s) { return s.conflict_rate; }},
    MetricDef{"error_rate", Kind::kPlain, [](const Summary& s) { return ErrorRate(s); }},
    MetricDef{"dropped", Kind::kPlain,
              [](const Summary& s) { return static_cast<double>(s.schedule.dropped); }},
    MetricDef{"throughput_wps", Kind::kPlain, [](const Summary& s) { return s.throughput_wps; }},
    MetricDef{"attempts_mean", Kind::kPlain,
              [](const Summary& s) { return s.actions.attempts.mean; }},
    MetricDef{"attempts_p99", Kind::kPlain,
              [](const Summary& s) { return s.actions.attempts.p99; }},
    MetricDef{"attempts_max", Kind::kPlain,
              [](const Summary& s) { return s.actions.attempts.max; }},
    MetricDef{"violations", Kind::kPlain,
              [](const Summary& s) { return static_cast<double>(s.consistency.violations); }},
};

const MetricDef* FindMetric(std::string_view name) {
  for (const MetricDef& m : kMetrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status Error(std::string_view expr, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, "threshold '" + std::string(expr) + "': " + what);
}

}  // namespace

StatusOr<Threshold> ParseThreshold(std::string_view expr) {
  const std::size_t op_pos = expr.find_first_of("<>");
  if (op_pos == std::string_view::npos) {
    return Error(expr, "no comparison operator (use <, <=, > or >=)");
  }
  Threshold t;
  t.expr = std::string(expr);
  const std::string_view metric = Trim(expr.substr(0, op_pos));
  std::size_t rest_pos = op_pos + 1;
  const bool or_equal = rest_pos < expr.size() && expr[rest_pos] == '=';
  if (or_equal) ++rest_pos;
  if (expr[op_pos] == '<') {
    t.op = or_equal ? Threshold::Op::kLessEqual : Threshold::Op::kLess;
  } else {
    t.op = or_equal ? Threshold::Op::kGreaterEqual : Threshold::Op::kGreater;
  }
  if (metric.empty()) return Error(expr, "no metric before the operator");
  const MetricDef* def = FindMetric(metric);
  if (def == nullptr) {
    std::string known;
    for (const MetricDef& m : kMetrics) {
      if (!known.empty()) known += ", ";
      known += m.name;
    }
    return Error(expr, "unknown metric '" + std::string(metric) + "' (known: " + known + ")");
  }
  t.metric = std::string(metric);

  const std::string_view rest = Trim(expr.substr(rest_pos));
  if (rest.empty()) return Error(expr, "no number after the operator");
  if (rest.find_first_of("<>=") != std::string_view::npos) {
    return Error(expr, "more than one comparison operator");
  }
  double number = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
  if (ec != std::errc() || end == rest.data()) {
    return Error(expr, "'" + std::string(rest) + "' does not start with a number");
  }
  if (!std::isfinite(number) || number < 0) {
    return Error(expr, "the limit must be a finite non-negative number");
  }
  const std::string_view unit = Trim(rest.substr(static_cast<std::size_t>(end - rest.data())));
  if (def->kind == Kind::kLatency) {
    // The one duration grammar (sessionrig/duration.h), a unit required;
    // blanks between the number and the unit are allowed here ("50 ms").
    const std::string text =
        std::string(rest.substr(0, static_cast<std::size_t>(end - rest.data()))) +
        std::string(unit);
    StatusOr<std::chrono::microseconds> d = ParseDuration(text);
    if (!d.ok()) {
      return Error(expr, "latency metric '" + t.metric + "': " + d.status().message());
    }
    t.limit = static_cast<double>(d->count()) / 1000.0;
  } else {
    if (!unit.empty()) {
      return Error(expr, "metric '" + t.metric + "' takes a plain number, not the unit '" +
                             std::string(unit) + "'");
    }
    t.limit = number;
  }
  return t;
}

ThresholdResult Evaluate(const Threshold& threshold, const Summary& summary) {
  ThresholdResult result;
  result.expr = threshold.expr;
  const MetricDef* def = FindMetric(threshold.metric);
  if (def == nullptr) return result;  // not from ParseThreshold: fails
  result.value = def->value(summary);
  switch (threshold.op) {
    case Threshold::Op::kLess:
      result.ok = result.value < threshold.limit;
      break;
    case Threshold::Op::kLessEqual:
      result.ok = result.value <= threshold.limit;
      break;
    case Threshold::Op::kGreater:
      result.ok = result.value > threshold.limit;
      break;
    case Threshold::Op::kGreaterEqual:
      result.ok = result.value >= threshold.limit;
      break;
  }
  return result;
}

bool EvaluateAll(const std::vector<Threshold>& thresholds, const Summary& summary,
                 std::vector<ThresholdResult>* results) {
  results->clear();
  bool all_ok = true;
  for (const Threshold& t : thresholds) {
    results->push_back(Evaluate(t, summary));
    all_ok = all_ok && results->back().ok;
  }
  return all_ok;
}

}  // namespace sessionrig::loadgen
