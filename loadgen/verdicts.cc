#include "loadgen/verdicts.h"

#include <chrono>

#include "sessionrig/duration.h"

namespace sessionrig::loadgen {

Reachability AssessReachability(const ReachabilityFacts& f, const std::string& endpoint) {
  Reachability r;
  const bool silent_at_end =
      f.last_response_us < 0 || f.end_us - f.last_response_us >= kUnreachableWindowUs;
  const bool failing = f.last_failure_us >= 0 && f.last_failure_us > f.last_response_us;
  if (!silent_at_end || !(failing || f.pending_at_end > 0)) return r;
  r.unreachable = true;
  std::string why;
  if (f.transport_failures > 0) {
    why += "; " + std::to_string(f.transport_failures) +
           " requests failed with transport errors or timeouts";
  }
  if (f.pending_at_end > 0) {
    why += "; " + std::to_string(f.pending_at_end) + " requests got no answer before the end";
  }
  r.reason =
      "target " + endpoint +
      (f.last_response_us < 0
           ? std::string(" never answered")
           : " stopped answering " + FormatDuration(std::chrono::microseconds(f.last_response_us)) +
                 " after the start") +
      why + "; these results do not measure it";
  return r;
}

int ExitCodeFor(const Summary& summary, bool target_unreachable) {
  if (summary.consistency.verdict == "violated") return kExitConsistency;
  if (target_unreachable) return kExitUnreachable;
  for (const ThresholdResult& t : summary.thresholds) {
    if (!t.ok) return kExitThreshold;
  }
  return kExitOk;
}

}  // namespace sessionrig::loadgen
