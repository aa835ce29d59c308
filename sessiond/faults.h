// sessiond/faults.h: fault injection: the --inject spec grammar, the parsed
// plan, and the runtime state that decides, per request, which faults hit.
//
// Grammar (one fault per spec; see sessiond/README.md):
//   latency=fixed:DUR | latency=uniform:DUR-DUR |
//   latency=lognormal:median=DUR,p99=DUR
//   error=STATUS:RATE[,retry_after=DUR]        STATUS in {429, 500, 503}
//   stall=at:DUR,for:DUR
//   malformed=KIND:RATE   KIND in {truncated, wrong_length, invalid_json,
//                                  bad_etag, reset}
// DUR is a duration in sessionrig's grammar (sessionrig/duration.h: a
// decimal number and a unit us, ms, s, m or h: "2.5ms", "1m"), at most 24h;
// RATE is a
// probability in [0, 1]. A stall's `at` counts from when the plan was
// installed (server start for --inject, the admin call at run time).
//
// Thread-safety: the parse functions are pure. FaultInjector is
// thread-safe: Decide() may run on every io thread while SetPlan() swaps
// the plan.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sessionrig/status.h"

namespace sessionrig::sessiond {

using Micros = std::chrono::microseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// How a response is damaged on the wire.
enum class WireFault {
  kNone,
  kTruncated,    // correct Content-Length, half the body, then close
  kWrongLength,  // Content-Length smaller than the body, whole body, then close
  kInvalidJson,  // valid HTTP, body replaced by broken JSON
  kBadEtag,      // valid HTTP, ETag header not a strong entity-tag
  kReset,        // headers and half the body, then a TCP reset
};
// "truncated", "wrong_length", ... ("none" for kNone).
const char* WireFaultName(WireFault fault);

struct LatencySpec {
  enum class Kind { kFixed, kUniform, kLognormal } kind = Kind::kFixed;
  Micros a{0};  // fixed: the delay; uniform: low bound; lognormal: median
  Micros b{0};  // uniform: high bound; lognormal: p99
};

struct ErrorSpec {
  unsigned status = 503;                // 429, 500 or 503
  double rate = 0;                      // probability per request, [0, 1]
  std::chrono::seconds retry_after{1};  // Retry-After of 429/503, s
};

struct StallSpec {
  Micros at{0};    // start, after the plan was installed
  Micros for_{0};  // length of the stall
};

struct MalformedSpec {
  WireFault kind = WireFault::kNone;
  double rate = 0;  // probability per request, [0, 1]
};

struct FaultPlan {
  std::optional<LatencySpec> latency;
  std::vector<ErrorSpec> errors;  // at most one per status
  std::optional<StallSpec> stall;
  std::vector<MalformedSpec> malformed;  // at most one per kind
  std::vector<std::string> specs;        // the spec texts, in order given

  bool empty() const { return specs.empty(); }
};

// Parses one spec into `plan`. Errors: kInvalidArgument with a message that
// quotes the spec and says what was expected.
[[nodiscard]] Status AddFaultSpec(std::string_view spec, FaultPlan* plan);

// Parses a list of specs (an empty list is the empty plan).
[[nodiscard]] StatusOr<FaultPlan> ParseFaultSpecs(const std::vector<std::string>& specs);

// What the faults do to one request.
struct FaultDecision {
  unsigned error_status = 0;            // 0: none; else answer this instead of serving
  std::chrono::seconds retry_after{0};  // with error_status 429/503
  Micros latency{0};                    // added latency (0 when none)
  Micros stall{0};                      // hold caused by a stall window (0 when none)
  WireFault wire = WireFault::kNone;    // damage to the response on the wire
};

class FaultInjector {
 public:
  FaultInjector() = default;
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Replaces the plan; a stall's `at` counts from `installed_at`.
  void SetPlan(FaultPlan plan, SteadyTime installed_at);
  // The installed spec texts.
  std::vector<std::string> specs() const;
  // Rolls the dice for one request arriving at `now`.
  FaultDecision Decide(SteadyTime now) const;

 private:
  struct Installed {
    FaultPlan plan;
    SteadyTime installed_at;
  };
  // Fast path: false while no plan is installed (no lock taken).
  std::atomic<bool> active_{false};
  mutable std::mutex mu_;
  std::shared_ptr<const Installed> installed_;  // Guarded by mu_
};

}  // namespace sessionrig::sessiond
