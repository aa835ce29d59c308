// loadgen/runner.h: one `loadgen run` as a library call: start the target
// (embedded sessiond by default), drive the scenario from share-nothing
// worker threads, and return the end-of-run summary with its verdicts.
//
// Workers. Each worker thread owns an owner-driven transport (one libcurl
// multi handle and its connections), a Manual/Manual XTaskQueue, one
// XblContext per user it owns, its scenario object, its histograms and
// counters, and pumps all of them itself (SrTransportPoll, then the Work
// and Completion ports): a write's whole path runs on one thread, with no
// lock and no per-request allocation in loadgen's own code (the core
// allocates per request). Workers share nothing but the sessions they
// write on the server; results are merged after they join (wrk2/h2load).
//
// Measurement (what a wrk2/k6 user expects):
//  - Open loop by default: every arrival has an intended start time from
//    the schedule (schedule.h). An arrival that finds no free in-flight
//    slot (--max-inflight) waits; one that cannot start within --max-lag of
//    its intended time is DROPPED: counted in schedule.dropped, never
//    silently skipped (planned = started + dropped).
//  - An ACTION (one join, one append) may take several requests: a read
//    first in sync mode, and a retry per 412, issued at once. Per write:
//    corrected latency = completion - intended start, uncorrected =
//    completion - actual send. Schedule lag = the action's first send -
//    its intended start. The intended start of the action's first write is
//    its send time minus that lag (had the client not been late, it would
//    have been sent that much earlier; a read before it is the server's
//    time on another request, counted in the action, not in the write); a
//    retry's intended start is its send time (it is issued at once). So
//    corrected = uncorrected + lag for first writes, = uncorrected for
//    retries. Per action: latency from the intended start (reads, retries
//    and lag included), write attempts, succeeded or failed.
//  - Closed loop (--vus): each virtual user starts its next action
//    --think-time after the previous one ended; intended = that moment.
//  - Warm-up (--warmup) runs first at the start rate; actions that start
//    in it are excluded from every result (not from the consistency
//    history, which needs every write).
//  - The run ends at warm-up + duration on the clock, whatever the target
//    does: requests still in flight are cancelled (XAsyncCancel); their
//    actions count as interrupted, never as successes, and the cancelled
//    writes are not in writes.by_status.
//
// Exit codes: kExitOk 0; kExitUsage 1 for usage and setup errors and when
// the target was unreachable (see RunResult::target_unreachable);
// kExitConsistency 98; kExitThreshold 99. When several apply: 98, then 1,
// then 99. (The binary exits 128 + the signal when SIGINT/SIGTERM ended the
// run early: RunOptions::interrupt.)
//
// Thread-safety: Run() blocks the calling thread until the run is over;
// concurrent Run() calls are independent.
#pragma once

#include <atomic>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "loadgen/config.h"
#include "loadgen/summary.h"
#include "loadgen/users.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitConsistency = 98;
inline constexpr int kExitThreshold = 99;

// A target counts as unreachable when no request got any HTTP answer
// (whatever its status) during the last kUnreachableWindowUs of the run, or
// at all, while requests were failing at the transport level (connection
// refused or reset, timeout) or still waiting for an answer at the end: a
// dead or hung server. A slow server that keeps answering is not.
inline constexpr std::int64_t kUnreachableWindowUs = 1'000'000;

struct RunOptions {
  std::ostream* progress = nullptr;  // progress lines (stderr in the binary); null: none
  bool progress_is_tty = false;      // rewrite one line each second instead of printing lines
  // Set (e.g. from a SIGINT handler) to end the run early: the run stops
  // within about 100 ms as if its duration had ended then, and the results
  // cover the part that ran (duration_s, planned). Null: not interruptible.
  const std::atomic<bool>* interrupt = nullptr;
  // With --target: the users and their tokens, replaceable while the run
  // goes (loadgen's token refresh; users.h). Null: Run reads --token-file or
  // runs --token-command once itself.
  std::shared_ptr<Credentials> credentials;
};

// What --linger keeps serving after Run() returns: loadgen's /metrics and
// the embedded sessiond (with its /metrics). Released: they stop.
struct Lingering;

struct RunResult {
  Summary summary;  // derived fields filled in, thresholds evaluated
  // The target stopped answering (or never answered): see kUnreachableWindowUs.
  bool target_unreachable = false;
  std::string unreachable_reason;     // one sentence, when target_unreachable
  std::vector<std::string> warnings;  // things the user should know (printed on stderr)
  bool interrupted = false;           // RunOptions::interrupt ended the run early
  int exit_code = kExitOk;
  // With --linger (and something to serve): hold this for Config::linger
  // after printing the results. Null otherwise.
  std::shared_ptr<Lingering> lingering;
};

// The exit code of a finished run (see the top of this file).
int ExitCodeFor(const Summary& summary, bool target_unreachable);

// Runs `config`. REQUIRES: ResolveAndValidate(&config) succeeded.
// Errors (setup; the binary exits 1), messages naming the flag:
// kInvalidArgument (token file, shard partition, bad fault spec),
// kUnavailable (embedded sessiond or --metrics-addr cannot bind, transport
// creation failed).
StatusOr<RunResult> Run(const Config& config, const RunOptions& options);

}  // namespace sessionrig::loadgen
