// loadgen/verdicts.h: what a finished run means, as pure functions: the
// exit code and whether the target stopped answering. No timed run is
// needed to test them.
//
// Exit codes: 0 ok; 1 usage or setup error only; 97 the target stopped
// answering (or never answered); 98 a consistency violation; 99 a
// threshold failed. When several apply: 98, then 97, then 99. (The binary
// exits 128 + the signal when SIGINT/SIGTERM ended the run early.)
//
// Thread-safety: constants and pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "loadgen/summary.h"

namespace sessionrig::loadgen {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitUnreachable = 97;
inline constexpr int kExitConsistency = 98;
inline constexpr int kExitThreshold = 99;

// A target counts as unreachable when no request got any HTTP answer
// (whatever its status) during the last kUnreachableWindowUs of the run, or
// at all, while requests were failing at the transport level (connection
// refused or reset, timeout) or still waiting for an answer at the end: a
// dead or hung server. A slow server that keeps answering is not.
inline constexpr std::int64_t kUnreachableWindowUs = 1'000'000;

// What the workers saw of the target; times in microseconds since the
// start of the run (warm-up included).
struct ReachabilityFacts {
  std::int64_t end_us = 0;               // when the run ended
  std::int64_t last_response_us = -1;    // the last HTTP answer (any status); -1: none
  std::int64_t last_failure_us = -1;     // the last transport-level failure; -1: none
  std::uint64_t transport_failures = 0;  // requests that failed at the transport level
  std::uint64_t pending_at_end = 0;      // requests still waiting when the run ended
};

struct Reachability {
  bool unreachable = false;
  std::string reason;  // one sentence naming `endpoint`, when unreachable
};

// The rule above applied to `facts` (`endpoint` is named in the reason).
Reachability AssessReachability(const ReachabilityFacts& facts, const std::string& endpoint);

// The exit code of a finished run (see the top of this file).
int ExitCodeFor(const Summary& summary, bool target_unreachable);

}  // namespace sessionrig::loadgen
