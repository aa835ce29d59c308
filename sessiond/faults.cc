#include "sessiond/faults.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <thread>
#include <utility>

#include "sessionrig/duration.h"

namespace sessionrig::sessiond {
namespace {

// z such that P(Z <= z) = 0.99 for a standard normal Z.
constexpr double kZ99 = 2.3263478740408408;
// Longest latency a distribution may draw, us (60 s): a lognormal tail must
// not park a connection for hours.
constexpr double kMaxDrawnLatencyUs = 60e6;
// Longest duration accepted in a spec, us (1 hour).
// Longest duration in a fault spec (a stall's `at` in a day-long soak).
constexpr Micros kMaxSpecDuration = std::chrono::hours(24);

// A DUR of the grammar: sessionrig's duration grammar (sessionrig/duration.h,
// the unit required), at most kMaxSpecDuration.
StatusOr<Micros> ParseSpecDuration(std::string_view text) {
  StatusOr<Micros> d = ParseDuration(text);
  if (!d.ok()) return d.status();
  if (*d > kMaxSpecDuration) {
    return Status(StatusCode::kInvalidArgument,
                  "duration \"" + std::string(text) + "\" is longer than 24h");
  }
  return d;
}

Status Bad(std::string_view spec, std::string_view why) {
  std::string out = "bad fault spec \"";
  out.append(spec);
  out += "\": ";
  out.append(why);
  return Status(StatusCode::kInvalidArgument, std::move(out));
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> ParseRate(std::string_view text) {
  auto v = ParseNumber(text);
  if (!v || *v < 0 || *v > 1) return std::nullopt;
  return v;
}

// Splits "k1=v1,k2=v2" / "at:5s,for:2s" into pairs by `sep`.
std::vector<std::pair<std::string_view, std::string_view>> SplitPairs(std::string_view text,
                                                                      char sep) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    const std::size_t at = item.find(sep);
    if (at == std::string_view::npos) {
      out.emplace_back(item, std::string_view());
    } else {
      out.emplace_back(item.substr(0, at), item.substr(at + 1));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::mt19937_64& Rng() {
  static std::atomic<std::uint64_t> stream{0};
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd() ^ (stream.fetch_add(1) * 0x9E3779B97F4A7C15ull);
  }());
  return rng;
}

bool Roll(double rate) {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return std::uniform_real_distribution<double>(0, 1)(Rng()) < rate;
}

Micros DrawLatency(const LatencySpec& l) {
  switch (l.kind) {
    case LatencySpec::Kind::kFixed:
      return l.a;
    case LatencySpec::Kind::kUniform:
      return Micros(std::uniform_int_distribution<std::int64_t>(l.a.count(), l.b.count())(Rng()));
    case LatencySpec::Kind::kLognormal: {
      const double median = static_cast<double>(l.a.count());
      const double sigma = std::log(static_cast<double>(l.b.count()) / median) / kZ99;
      const double v = std::lognormal_distribution<double>(std::log(median), sigma)(Rng());
      return Micros(static_cast<std::int64_t>(std::min(v, kMaxDrawnLatencyUs)));
    }
  }
  return Micros(0);
}

Status ParseLatency(std::string_view spec, std::string_view v, FaultPlan* plan) {
  if (plan->latency) return Bad(spec, "latency is given twice");
  LatencySpec l;
  if (v.rfind("fixed:", 0) == 0) {
    auto d = ParseSpecDuration(v.substr(6));
    if (!d.ok()) return Bad(spec, d.status().message());
    l.kind = LatencySpec::Kind::kFixed;
    l.a = *d;
  } else if (v.rfind("uniform:", 0) == 0) {
    std::string_view range = v.substr(8);
    const std::size_t dash = range.find('-');
    if (dash == std::string_view::npos)
      return Bad(spec, "expected uniform:LOW-HIGH, e.g. uniform:1ms-10ms");
    auto lo = ParseSpecDuration(range.substr(0, dash));
    auto hi = ParseSpecDuration(range.substr(dash + 1));
    if (!lo.ok()) return Bad(spec, lo.status().message());
    if (!hi.ok()) return Bad(spec, hi.status().message());
    if (*hi < *lo) return Bad(spec, "uniform HIGH is below LOW");
    l.kind = LatencySpec::Kind::kUniform;
    l.a = *lo;
    l.b = *hi;
  } else if (v.rfind("lognormal:", 0) == 0) {
    std::optional<Micros> median;
    std::optional<Micros> p99;
    for (auto [k, val] : SplitPairs(v.substr(10), '=')) {
      auto d = ParseSpecDuration(val);
      if (!d.ok()) return Bad(spec, d.status().message());
      if (k == "median") {
        median = *d;
      } else if (k == "p99") {
        p99 = *d;
      } else {
        return Bad(spec, "lognormal takes median=DUR,p99=DUR");
      }
    }
    if (!median || !p99) return Bad(spec, "lognormal needs both median=DUR and p99=DUR");
    if (median->count() <= 0 || *p99 < *median)
      return Bad(spec, "lognormal needs 0 < median <= p99");
    l.kind = LatencySpec::Kind::kLognormal;
    l.a = *median;
    l.b = *p99;
  } else {
    return Bad(spec, "latency takes fixed:DUR, uniform:DUR-DUR or lognormal:median=DUR,p99=DUR");
  }
  plan->latency = l;
  return Status::Ok();
}

Status ParseError(std::string_view spec, std::string_view v, FaultPlan* plan) {
  const std::size_t colon = v.find(':');
  if (colon == std::string_view::npos)
    return Bad(spec, "expected error=STATUS:RATE, e.g. error=503:0.01");
  ErrorSpec e;
  const std::string_view status = v.substr(0, colon);
  if (status == "429") {
    e.status = 429;
  } else if (status == "500") {
    e.status = 500;
  } else if (status == "503") {
    e.status = 503;
  } else {
    return Bad(spec, "error STATUS must be 429, 500 or 503");
  }
  auto pairs = SplitPairs(v.substr(colon + 1), '=');
  auto rate = ParseRate(pairs.front().first);
  if (!pairs.front().second.empty() || !rate) return Bad(spec, "RATE must be a number in [0, 1]");
  e.rate = *rate;
  for (std::size_t i = 1; i < pairs.size(); ++i) {
    if (pairs[i].first != "retry_after")
      return Bad(spec, "the only option of error is retry_after=DUR");
    auto d = ParseSpecDuration(pairs[i].second);
    if (!d.ok()) return Bad(spec, d.status().message());
    e.retry_after = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  for (const ErrorSpec& other : plan->errors) {
    if (other.status == e.status) return Bad(spec, "an error rate for this status is given twice");
  }
  plan->errors.push_back(e);
  return Status::Ok();
}

Status ParseStall(std::string_view spec, std::string_view v, FaultPlan* plan) {
  if (plan->stall) return Bad(spec, "stall is given twice");
  std::optional<Micros> at;
  std::optional<Micros> length;
  for (auto [k, val] : SplitPairs(v, ':')) {
    auto d = ParseSpecDuration(val);
    if (!d.ok()) return Bad(spec, d.status().message());
    if (k == "at") {
      at = *d;
    } else if (k == "for") {
      length = *d;
    } else {
      return Bad(spec, "stall takes at:DUR,for:DUR");
    }
  }
  if (!at || !length)
    return Bad(spec, "stall needs both at:DUR and for:DUR, e.g. stall=at:5s,for:2s");
  plan->stall = StallSpec{*at, *length};
  return Status::Ok();
}

Status ParseMalformed(std::string_view spec, std::string_view v, FaultPlan* plan) {
  const std::size_t colon = v.find(':');
  if (colon == std::string_view::npos) return Bad(spec, "expected malformed=KIND:RATE");
  const std::string_view kind = v.substr(0, colon);
  MalformedSpec m;
  for (WireFault f : {WireFault::kTruncated, WireFault::kWrongLength, WireFault::kInvalidJson,
                      WireFault::kBadEtag, WireFault::kReset}) {
    if (kind == WireFaultName(f)) m.kind = f;
  }
  if (m.kind == WireFault::kNone) {
    return Bad(spec, "KIND must be truncated, wrong_length, invalid_json, bad_etag or reset");
  }
  auto rate = ParseRate(v.substr(colon + 1));
  if (!rate) return Bad(spec, "RATE must be a number in [0, 1]");
  m.rate = *rate;
  for (const MalformedSpec& other : plan->malformed) {
    if (other.kind == m.kind) return Bad(spec, "this malformed kind is given twice");
  }
  plan->malformed.push_back(m);
  return Status::Ok();
}

}  // namespace

const char* WireFaultName(WireFault fault) {
  switch (fault) {
    case WireFault::kNone:
      return "none";
    case WireFault::kTruncated:
      return "truncated";
    case WireFault::kWrongLength:
      return "wrong_length";
    case WireFault::kInvalidJson:
      return "invalid_json";
    case WireFault::kBadEtag:
      return "bad_etag";
    case WireFault::kReset:
      return "reset";
  }
  return "none";
}

Status AddFaultSpec(std::string_view spec, FaultPlan* plan) {
  const std::size_t eq = spec.find('=');
  if (eq == std::string_view::npos) {
    return Bad(spec, "expected NAME=VALUE with NAME latency, error, stall or malformed");
  }
  const std::string_view name = spec.substr(0, eq);
  const std::string_view value = spec.substr(eq + 1);
  Status s;
  if (name == "latency") {
    s = ParseLatency(spec, value, plan);
  } else if (name == "error") {
    s = ParseError(spec, value, plan);
  } else if (name == "stall") {
    s = ParseStall(spec, value, plan);
  } else if (name == "malformed") {
    s = ParseMalformed(spec, value, plan);
  } else {
    return Bad(spec, "unknown fault; use latency, error, stall or malformed");
  }
  if (s.ok()) plan->specs.emplace_back(spec);
  return s;
}

StatusOr<FaultPlan> ParseFaultSpecs(const std::vector<std::string>& specs) {
  FaultPlan plan;
  for (const std::string& spec : specs) {
    if (Status s = AddFaultSpec(spec, &plan); !s.ok()) return s;
  }
  return plan;
}

void FaultInjector::SetPlan(FaultPlan plan, SteadyTime installed_at) {
  const bool active = !plan.empty();
  auto installed = std::make_shared<const Installed>(Installed{std::move(plan), installed_at});
  std::lock_guard<std::mutex> lock(mu_);
  installed_ = std::move(installed);
  active_.store(active, std::memory_order_release);
}

std::vector<std::string> FaultInjector::specs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return installed_ ? installed_->plan.specs : std::vector<std::string>();
}

FaultDecision FaultInjector::Decide(SteadyTime now) const {
  FaultDecision d;
  if (!active_.load(std::memory_order_acquire)) return d;
  std::shared_ptr<const Installed> installed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    installed = installed_;
  }
  if (!installed) return d;
  const FaultPlan& plan = installed->plan;
  for (const ErrorSpec& e : plan.errors) {
    if (Roll(e.rate)) {
      d.error_status = e.status;
      d.retry_after = e.retry_after;
      break;
    }
  }
  if (plan.latency) d.latency = DrawLatency(*plan.latency);
  if (plan.stall) {
    const SteadyTime start = installed->installed_at + plan.stall->at;
    const SteadyTime end = start + plan.stall->for_;
    if (now >= start && now < end) d.stall = std::chrono::duration_cast<Micros>(end - now);
  }
  if (d.error_status == 0) {
    for (const MalformedSpec& m : plan.malformed) {
      if (Roll(m.rate)) {
        d.wire = m.kind;
        break;
      }
    }
  }
  return d;
}

}  // namespace sessionrig::sessiond
