// loadgen/runner.h: one `loadgen run` as a library call: start the target
// (target.h: embedded sessiond by default), divide the work (plan.h), drive
// the scenario from share-nothing worker threads (worker.h), merge their
// results, read the append scenario's documents back for the consistency
// check (readback.h), and return the end-of-run summary with its verdicts
// (verdicts.h).
//
// Measurement (what a wrk2/k6 user expects; measure.h is the code):
//  - Open loop by default: every arrival has an intended start time from
//    the schedule (schedule.h). An arrival that finds no free in-flight
//    slot (--max-inflight) or no idle user waits; one that cannot start
//    within --max-lag of its intended time is DROPPED by the schedule's
//    DropPolicy (the one drop rule): counted in schedule.dropped, never
//    silently skipped (planned = started + dropped). Arrivals still waiting
//    when the run ends are dropped too.
//  - An ACTION (one join, one append) may take several requests: a read
//    first in sync mode (and in append), then a write, and a retry per 412,
//    each issued at once when the one before completes.
//  - EVERY request, read or write, is measured corrected (completion -
//    intended start) and uncorrected (completion - send). The FIRST request
//    of an action, whatever its kind, is intended at the action's intended
//    start, so the schedule lag and any wait before it was sent are charged
//    to it. Every LATER request (the write after a read, a retry after 412)
//    is intended at its send time: it was issued at once, so nothing but the
//    client delayed it. Each moment of an action is thus charged to exactly
//    one request, and per action the corrected latencies of its requests
//    add up to the action latency, up to the client's own time between
//    requests (the request gap, measured and shown beside the schedule lag).
//    A server that stalls shows in the row of the request it stalled: the
//    read row in sync mode, the write row in the blind modes.
//  - Reads and writes are reported in their own rows (reads, read_latency_ms
//    and writes, latency_ms), per action: latency from the intended start
//    (every request, gap and lag included), write attempts, succeeded or
//    failed.
//  - Closed loop (--vus): each virtual user starts its next action
//    --think-time after the previous one ended; intended = that moment.
//  - Warm-up (--warmup) runs first at the start rate; actions that start
//    in it are excluded from every result (not from the consistency
//    history, which needs every write).
//  - The run ends at warm-up + duration on the clock, whatever the target
//    does: requests still in flight are cancelled (XAsyncCancel); their
//    actions count as interrupted, never as successes, and the cancelled
//    requests are in no row.
//  - The time series (timeseries.h) cuts the measured phase into --interval
//    windows: a request belongs to the interval in which it completed, an
//    arrival to the interval of its intended start.
//
// Exit codes (verdicts.h): 0 ok; 1 usage or setup error only; 97 the
// target stopped answering (RunResult::target_unreachable); 98 a
// consistency violation; 99 a threshold failed. When several apply: 98,
// then 97, then 99. (The binary exits 128 + the signal when SIGINT/SIGTERM
// ended the run early: RunOptions::interrupt.)
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
#include "loadgen/verdicts.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

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

// Runs `config`. REQUIRES: ResolveAndValidate(&config) succeeded.
// Errors (setup; the binary exits 1), messages naming the flag:
// kInvalidArgument (token file, shard partition, bad fault spec),
// kUnavailable (embedded sessiond or --metrics-addr cannot bind, transport
// creation failed).
StatusOr<RunResult> Run(const Config& config, const RunOptions& options);

}  // namespace sessionrig::loadgen
