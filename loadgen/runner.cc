#include "loadgen/runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iterator>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>
#include <utility>

#include "loadgen/live_stats.h"
#include "loadgen/membership.h"
#include "loadgen/metrics.h"
#include "loadgen/plan.h"
#include "loadgen/readback.h"
#include "loadgen/scenario.h"
#include "loadgen/target.h"
#include "loadgen/thresholds.h"
#include "loadgen/worker.h"
#include "sessiond/server.h"
#include "sessionrig/duration.h"

namespace sessionrig::loadgen {

namespace {

using Clock = WorkerClock;

std::int64_t ToUs(std::chrono::microseconds d) { return d.count(); }

// Raises the soft open-files limit to the hard limit (one socket per
// request in flight, HTTP/1.1).
void RaiseFileLimit(std::uint32_t max_inflight, bool embedded, std::vector<std::string>* warnings) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  // One socket per request in flight, twice with the server in-process.
  const rlim_t needed = static_cast<rlim_t>(max_inflight) * (embedded ? 2 : 1) + 64;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    warnings->push_back("open-files limit " + std::to_string(limit.rlim_cur) + " is below the " +
                        std::to_string(needed) + " that --max-inflight " +
                        std::to_string(max_inflight) +
                        " may need (ulimit -n); connections beyond it fail as transport errors");
  }
}

// This process's target arrival rate `elapsed` seconds after the start
// (the sessionrig_target_rate gauge and the progress line); 0 closed loop.
double TargetRateAt(const Config& config, const RunPlan& plan, double elapsed) {
  const double warmup_s = static_cast<double>(ToUs(config.warmup)) / 1e6;
  if (elapsed < warmup_s) return plan.warmup_rate / config.shard_count;
  if (!plan.main_schedule) return 0;
  const auto t = std::min(static_cast<std::int64_t>((elapsed - warmup_s) * 1e6),
                          plan.main_schedule->DurationUs() - 1);
  return plan.main_schedule->RateAt(t) / config.shard_count;
}

// The append scenario's consistency check: reads the final documents back
// and checks every session that could be read.
ConsistencyResult CheckAppend(const Config& config, const std::string& endpoint,
                              const UserCredential& reader,
                              std::map<std::string, SessionHistory>&& histories,
                              std::vector<std::string>* warnings) {
  std::vector<SessionHistory> sessions;
  sessions.reserve(histories.size());
  for (auto& [name, h] : histories) sessions.push_back(std::move(h));
  const std::vector<std::size_t> unread = ReadFinalDocuments(config, endpoint, reader, &sessions);
  if (!unread.empty()) {
    warnings->push_back("consistency: " + std::to_string(unread.size()) + " of " +
                        std::to_string(sessions.size()) +
                        " sessions could not be read back and were not checked");
    std::vector<SessionHistory> readable;
    std::size_t u = 0;
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      if (u < unread.size() && unread[u] == i) {
        ++u;
        continue;
      }
      readable.push_back(std::move(sessions[i]));
    }
    sessions = std::move(readable);
  }
  return CheckAppendSessions(sessions);
}

// The membership invariants: reads every session the run wrote once more
// (with `read_back`: its final state is a document the run received too),
// then judges what is still pending.
ConsistencyResult CheckMembership(const Config& config, const std::string& endpoint,
                                  const UserCredential& reader, Clock::time_point t0,
                                  bool read_back, MembershipChecker* membership,
                                  std::vector<std::string>* warnings) {
  const std::vector<std::string> names =
      read_back ? membership->Sessions() : std::vector<std::string>();
  const std::vector<std::size_t> unread = ReadSessionsBack(
      config, endpoint, reader, names, [&](std::size_t i, XblMultiplayerSessionHandle session) {
        if (session == nullptr) return;  // deleted: nothing to see
        const auto now =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        membership->Observe(names[i], ObserveSession(session, now));
      });
  if (!unread.empty()) {
    warnings->push_back("consistency: the final state of " + std::to_string(unread.size()) +
                        " of " + std::to_string(names.size()) +
                        " sessions could not be read; what the run received of them was checked");
  }
  const MembershipResult m = membership->Finish();
  ConsistencyResult r;
  r.checked = true;
  r.checks = MembershipInvariants();
  r.by_invariant = m.violations;
  for (const auto& [name, count] : m.violations) r.violations += count;
  r.acknowledged = m.acknowledged;
  r.lifecycle_removals = m.lifecycle_removals;
  r.examples = m.examples;
  r.verdict = r.violations == 0 ? "ok" : "violated";
  return r;
}

}  // namespace

struct Lingering {
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<sessiond::Server> server;
};

StatusOr<RunResult> Run(const Config& config_in, const RunOptions& options) {
  Config config = config_in;
  RunResult result;
  RaiseFileLimit(config.max_inflight, config.target.empty(), &result.warnings);

  std::vector<Threshold> thresholds;
  for (const std::string& expr : config.thresholds) {
    StatusOr<Threshold> t = ParseThreshold(expr);
    if (!t.ok())
      return Status(StatusCode::kInvalidArgument, "--threshold: " + t.status().message());
    thresholds.push_back(*t);
  }
  if (config.start_at) {
    const double now_s = static_cast<double>(WallClockUs()) / 1e6;
    if (*config.start_at < now_s - 1.0) {
      return Status(StatusCode::kInvalidArgument,
                    "--start-at: " + std::to_string(*config.start_at) + " is " +
                        FormatDuration(std::chrono::microseconds(
                            std::llround((now_s - *config.start_at) * 1e6))) +
                        " in the past");
    }
    if (*config.start_at > now_s + 86400.0) {
      return Status(StatusCode::kInvalidArgument, "--start-at: more than a day in the future");
    }
  }

  // ---- the target, its users, and who does what.
  StatusOr<Target> started_target = StartTarget(&config, options.credentials);
  if (!started_target.ok()) return started_target.status();
  Target target = std::move(started_target).value();
  StatusOr<RunPlan> planned = PlanRun(config, target.users);
  if (!planned.ok()) return planned.status();
  RunPlan plan = std::move(planned).value();

  std::unique_ptr<Metrics> metrics;
  if (!config.metrics_addr.empty()) {
    MetricsOptions mo;
    mo.scenario = ScenarioName(config.scenario);
    mo.mode = WriteModeName(config.mode);
    mo.actions = ActionNames(config.scenario);
    metrics = std::make_unique<Metrics>(mo);
    if (Status s = metrics->Start(config.metrics_addr); !s.ok()) {
      return Status(s.code(), "--metrics-addr: " + s.message());
    }
  }

  // The membership invariants, checked online from every document the
  // workers receive (membership.h); it outlives the workers.
  MembershipChecker membership;
  const auto worker_count = static_cast<std::uint32_t>(plan.workers.size());
  std::vector<std::unique_ptr<LiveStats>> live;
  std::vector<std::unique_ptr<Worker>> workers;
  for (WorkerPlan& wp : plan.workers) {
    wp.credentials = target.credentials.get();
    live.push_back(std::make_unique<LiveStats>());
    workers.push_back(std::make_unique<Worker>(config, std::move(wp), target.endpoint,
                                               metrics ? metrics->AddWorker() : nullptr,
                                               live.back().get(), &membership));
  }

  // ---- run.
  std::latch ready(worker_count);
  std::latch go(1);
  StartSignal start;
  std::mutex done_mu;
  std::condition_variable done_cv;
  std::uint32_t done = 0;  // guarded by done_mu
  std::vector<std::thread> threads;
  threads.reserve(worker_count);
  for (auto& worker : workers) {
    threads.emplace_back([&, w = worker.get()] {
      w->Run(ready, go, start);
      std::lock_guard<std::mutex> lock(done_mu);
      ++done;
      done_cv.notify_all();
    });
  }
  ready.wait();
  Status setup = Status::Ok();
  for (auto& worker : workers) {
    if (!worker->result().status.ok()) {
      setup = worker->result().status;
      break;
    }
  }
  auto abort = [&](Status why) {
    start.abort = true;
    go.count_down();
    for (std::thread& t : threads) t.join();
    return why;
  };
  if (!setup.ok()) return abort(setup);
  const double warmup_s = static_cast<double>(ToUs(config.warmup)) / 1e6;
  if (config.start_at) {
    const auto at = std::chrono::system_clock::time_point(
        std::chrono::microseconds(static_cast<std::int64_t>(*config.start_at * 1e6)));
    if (at < std::chrono::system_clock::now()) {
      result.warnings.push_back("--start-at: setup finished after the start time; started late");
    }
    std::this_thread::sleep_until(at);
  }
  if (target.server != nullptr && !config.inject.empty()) {
    if (Status st = target.server->SetFaults(config.inject); !st.ok()) {
      return abort(Status(StatusCode::kInvalidArgument, "--inject: " + st.message()));
    }
  }
  start.t0 = Clock::now();
  // Shards started with the same --start-at share this start exactly, so
  // their intervals line up (loadgen merge checks it).
  start.start_unix_s =
      (config.start_at ? *config.start_at : static_cast<double>(WallClockUs()) / 1e6) + warmup_s;
  // The target rate at t = 0, before the first progress tick updates it.
  if (metrics) metrics->SetTargetRate(TargetRateAt(config, plan, 0.0));
  go.count_down();

  // ---- progress, until every worker is done.
  const double main_s = static_cast<double>(ToUs(MainDuration(config))) / 1e6;
  const auto tick = options.progress_is_tty ? std::chrono::microseconds(std::chrono::seconds(1))
                                            : config.progress_interval;
  LiveSnapshot previous;
  auto previous_time = start.t0;
  std::optional<double> interrupted_at;  // seconds since t0
  {
    std::unique_lock<std::mutex> lock(done_mu);
    auto next_tick = start.t0 + tick;
    while (done < worker_count) {
      // Wake at least every 100 ms to notice an interrupt.
      const auto wake = std::min(next_tick, Clock::now() + std::chrono::milliseconds(100));
      const bool all_done = done_cv.wait_until(lock, wake, [&] { return done == worker_count; });
      if (all_done) break;
      if (!interrupted_at && options.interrupt != nullptr &&
          options.interrupt->load(std::memory_order_relaxed)) {
        interrupted_at = std::chrono::duration<double>(Clock::now() - start.t0).count();
        start.stop_at_us.store(static_cast<std::int64_t>(*interrupted_at * 1e6),
                               std::memory_order_relaxed);
      }
      if (Clock::now() < next_tick) continue;
      next_tick += tick;
      const auto now = Clock::now();
      const double elapsed = std::chrono::duration<double>(now - start.t0).count();
      const bool warm = elapsed < warmup_s;
      const double target_rate = TargetRateAt(config, plan, elapsed);
      if (metrics) metrics->SetTargetRate(target_rate);
      if (options.progress == nullptr) continue;
      LiveSnapshot current;
      for (const auto& l : live) current.Add(*l);
      const double interval = std::chrono::duration<double>(now - previous_time).count();
      const std::string line = FormatProgressLine(
          warm ? "warm-up" : "main", warm ? elapsed : elapsed - warmup_s, warm ? warmup_s : main_s,
          target_rate, config.closed_loop(), previous, current, interval);
      if (options.progress_is_tty) {
        *options.progress << "\r\x1b[K" << line << std::flush;
      } else {
        *options.progress << line << "\n" << std::flush;
      }
      previous = current;
      previous_time = now;
    }
  }
  for (std::thread& t : threads) t.join();
  if (options.progress != nullptr && options.progress_is_tty) *options.progress << "\r\x1b[K";
  if (metrics) metrics->SetTargetRate(0);

  // ---- merge the workers' results.
  std::vector<Summary> partials;
  std::vector<std::string> names;
  std::map<std::string, SessionHistory> histories;
  ReachabilityFacts facts;
  std::uint64_t stuck = 0;
  for (auto& worker : workers) {
    WorkerResult& r = worker->result();
    r.summary.target = config.target.empty() ? "embedded" : config.target;
    names.push_back("worker " + std::to_string(partials.size()));
    partials.push_back(std::move(r.summary));
    for (SessionHistory& h : r.histories) {
      SessionHistory& into = histories[h.session];
      into.session = h.session;
      into.writes.insert(into.writes.end(), std::make_move_iterator(h.writes.begin()),
                         std::make_move_iterator(h.writes.end()));
    }
    facts.last_response_us = std::max(facts.last_response_us, r.last_response_us);
    facts.last_failure_us = std::max(facts.last_failure_us, r.last_failure_us);
    facts.pending_at_end += r.pending_at_end;
    facts.transport_failures += r.transport_failures;
    stuck += r.stuck;
  }
  if (stuck > 0) {
    result.warnings.push_back(std::to_string(stuck) +
                              " requests did not complete within 5 s of being cancelled");
    for (auto& worker : workers) {
      if (worker->result().stuck > 0) (void)worker.release();  // still referenced by the core
    }
  }
  StatusOr<Summary> merged = Merge(partials, names);
  if (!merged.ok()) return merged.status();
  result.summary = std::move(merged).value();
  Summary& summary = result.summary;

  // ---- reachability: decided before the read-back, which a dead target
  // would only hold up.
  facts.end_us = ToUs(config.warmup) + ToUs(MainDuration(config));
  if (interrupted_at) {
    facts.end_us = std::min(facts.end_us, static_cast<std::int64_t>(*interrupted_at * 1e6));
    result.interrupted = true;
    result.warnings.push_back(
        "interrupted " +
        FormatDuration(std::chrono::microseconds(std::llround(*interrupted_at * 1e6))) +
        " after the start: the results cover the run up to then");
  }
  const Reachability reachability = AssessReachability(facts, target.endpoint);
  result.target_unreachable = reachability.unreachable;
  result.unreachable_reason = reachability.reason;
  // ---- consistency: the final documents, then the verdicts of every
  // invariant (the append history for append, the membership ones always).
  // The reader's current token (it may have been refreshed during the run).
  UserCredential reader = plan.shard_users.front();
  if (target.credentials != nullptr) reader.authorization = target.credentials->Find(reader.xuid);
  std::vector<ConsistencyResult> verdicts;
  // A target that stopped answering has no final state to read: the append
  // history cannot be checked, the membership invariants only on what the
  // run received.
  const bool read_back = !result.target_unreachable;
  if (config.scenario == ScenarioKind::kAppend && !histories.empty()) {
    if (read_back) {
      verdicts.push_back(
          CheckAppend(config, target.endpoint, reader, std::move(histories), &result.warnings));
    } else {
      result.warnings.push_back(
          "consistency: the append history was not checked: the target stopped answering");
    }
  }
  verdicts.push_back(CheckMembership(config, target.endpoint, reader, start.t0, read_back,
                                     &membership, &result.warnings));
  summary.consistency = MergeConsistencyResults(verdicts);
  if (metrics) {
    for (const auto& [invariant, count] : summary.consistency.by_invariant) {
      metrics->AddConsistencyViolations(invariant, count);
    }
  }
  // --linger: the caller keeps /metrics (and the embedded sessiond) up
  // after printing the results; otherwise they stop here, after the final
  // reads.
  if (config.linger.count() > 0) {
    auto lingering = std::make_shared<Lingering>();
    lingering->metrics = std::move(metrics);
    lingering->server = std::move(target.server);
    result.lingering = std::move(lingering);
  }
  target.server.reset();

  EvaluateAll(thresholds, summary, &summary.thresholds);
  result.exit_code = ExitCodeFor(summary, result.target_unreachable);
  return result;
}

}  // namespace sessionrig::loadgen
