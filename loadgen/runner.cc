#include "loadgen/runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <latch>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "XAsync.h"
#include "XTaskQueue.h"
#include "loadgen/live_stats.h"
#include "loadgen/metrics.h"
#include "loadgen/scenario.h"
#include "loadgen/schedule.h"
#include "loadgen/thresholds.h"
#include "loadgen/users.h"
#include "sessiond/faults.h"
#include "sessiond/server.h"
#include "sessionrig/sessionrig_c.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig::loadgen {

namespace {

using Clock = std::chrono::steady_clock;

// How long shutdown waits for cancelled requests to complete.
constexpr auto kCancelGrace = std::chrono::seconds(5);
// Final-document reads of the append check in flight at once.
constexpr std::size_t kFinalReadsInFlight = 64;

std::int64_t ToUs(std::chrono::microseconds d) { return d.count(); }

// A fixed-capacity FIFO (no allocation after construction).
template <typename T>
class Ring {
 public:
  explicit Ring(std::size_t capacity = 0) : items_(std::max<std::size_t>(capacity, 1)) {}
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  const T& front() const { return items_[head_]; }
  void push_back(T value) {
    if (size_ == items_.size()) return;  // capacity is sized so this cannot happen
    items_[(head_ + size_) % items_.size()] = value;
    ++size_;
  }
  T pop_front() {
    T value = items_[head_];
    head_ = (head_ + 1) % items_.size();
    --size_;
    return value;
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// What the runner hands one worker.
struct WorkerPlan {
  std::uint32_t index = 0;  // within the shard
  std::vector<UserCredential> users;
  const Credentials* credentials = nullptr;  // their current tokens (refreshed during the run)
  std::vector<std::uint32_t> sessions;       // the shard's sessions (global indices)
  std::optional<OpenLoopSchedule> warmup;
  std::optional<OpenLoopSchedule> main;
  std::uint32_t vus = 0;  // closed loop
  std::uint32_t cap = 1;  // actions in flight
  std::uint64_t seed = 1;
};

struct WorkerResult {
  Status status;                          // setup failure, if any
  Summary summary;                        // this worker's measured phase
  std::vector<SessionHistory> histories;  // append
  std::int64_t last_response_us = -1;     // last HTTP answer, us since start; -1: none
  std::int64_t last_failure_us = -1;      // last transport-level failure; -1: none
  std::uint64_t stuck = 0;                // requests still in flight after the cancel grace
  std::uint64_t pending_at_end = 0;       // requests in flight when the run ended
  std::uint64_t transport_failures = 0;   // reads and writes, all phases
};

// Published by the runner before it releases the workers; stop_at_us is
// the only field written later (an interrupt: the run ends there, in us
// since t0, instead of at warm-up + duration).
struct StartSignal {
  Clock::time_point t0;
  bool abort = false;
  std::atomic<std::int64_t> stop_at_us{std::numeric_limits<std::int64_t>::max()};
};

class Worker {
 public:
  Worker(const Config& config, WorkerPlan plan, std::string endpoint, WorkerMetrics* metrics,
         LiveStats* live)
      : config_(config),
        plan_(std::move(plan)),
        endpoint_(std::move(endpoint)),
        metrics_(metrics),
        live_(live),
        action_names_(ActionNames(config.scenario)),
        max_lag_us_(ToUs(config.max_lag)),
        think_us_(ToUs(config.think_time)),
        warmup_end_us_(ToUs(config.warmup)),
        end_us_(ToUs(config.warmup) + ToUs(MainDuration(config))) {}

  ~Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The thread body. `ready` counts down after setup; the run starts when
  // `go` is released (after `start` was published).
  void Run(std::latch& ready, std::latch& go, const StartSignal& start) {
    result_.status = Setup();
    ready.count_down();
    go.wait();
    if (result_.status.ok() && !start.abort) {
      t0_ = start.t0;
      stop_at_us_ = &start.stop_at_us;
      MainLoop();
      Shutdown();
      Collect();
    }
    Teardown();  // on this thread: the transport is owner-driven
  }

  WorkerResult& result() { return result_; }

 private:
  struct Slot {
    XAsyncBlock block{};
    Worker* worker = nullptr;
    Action action;
    Step pending = Step::kFailed;  // kRead or kWrite while a request is queued or in flight
    bool in_flight = false;
    std::int64_t send_us = 0;            // the current request's send time
    std::int64_t write_intended_us = 0;  // the current write's intended start
    std::int64_t lag_us = 0;             // the action's schedule lag
  };

  std::int64_t NowUs() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0_).count();
  }

  Status Setup() {
    SrTransportArgs targs{};
    targs.OwnerDriven = true;
    targs.MaxInFlight = plan_.cap;
    targs.HttpVersion = SrHttpVersion::Auto;
    if (HRESULT hr = SrTransportCreate(&targs, &transport_); FAILED(hr)) {
      return Status(StatusCode::kUnavailable,
                    std::string("worker transport: ") + SrHResultToString(hr));
    }
    if (HRESULT hr = XTaskQueueCreate(XTaskQueueDispatchMode::Manual,
                                      XTaskQueueDispatchMode::Manual, &queue_);
        FAILED(hr)) {
      return Status(StatusCode::kUnavailable,
                    std::string("worker task queue: ") + SrHResultToString(hr));
    }
    if (plan_.credentials != nullptr) credential_reader_.emplace(plan_.credentials);
    contexts_.reserve(plan_.users.size());
    std::vector<std::uint64_t> xuids;
    xuids.reserve(plan_.users.size());
    for (const UserCredential& user : plan_.users) {
      SrContextArgs args{};
      args.Xuid = user.xuid;
      args.Endpoint = endpoint_.c_str();
      args.Authorization = user.authorization.c_str();
      if (credential_reader_) {  // wins over Authorization: each request gets the current token
        args.TokenProvider = &CredentialReader::Provide;
        args.TokenProviderContext = &*credential_reader_;
      }
      args.Transport = transport_;
      args.TimeoutMs = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout).count());
      XblContextHandle context = nullptr;
      if (HRESULT hr = SrContextCreate(&args, &context); FAILED(hr)) {
        return Status(StatusCode::kInvalidArgument, "context for xuid " +
                                                        std::to_string(user.xuid) + " at " +
                                                        endpoint_ + ": " + SrHResultToString(hr));
      }
      contexts_.push_back(context);
      xuids.push_back(user.xuid);
    }
    ScenarioEnv env;
    env.config = &config_;
    env.shard_index = config_.shard_index;
    env.worker_index = plan_.index;
    env.xuids = std::move(xuids);
    env.sessions = plan_.sessions;
    env.seed = plan_.seed;
    scenario_ = CreateScenario(env);

    slots_.resize(plan_.cap);
    free_.reserve(plan_.cap);
    for (std::size_t i = slots_.size(); i-- > 0;) {
      slots_[i].worker = this;
      free_.push_back(static_cast<std::uint32_t>(i));
    }
    ready_.reserve(plan_.cap);
    ready_swap_.reserve(plan_.cap);
    idle_users_ = Ring<std::uint32_t>(plan_.users.size());
    for (std::uint32_t u = 0; u < plan_.users.size(); ++u) idle_users_.push_back(u);
    if (config_.closed_loop()) {
      vu_ready_ = Ring<std::int64_t>(plan_.vus);
      for (std::uint32_t v = 0; v < plan_.vus; ++v) vu_ready_.push_back(0);
    }

    Summary& s = result_.summary;
    const int digits = config_.hdr_digits;
    s.corrected_us = HdrHistogram(digits);
    s.uncorrected_us = HdrHistogram(digits);
    s.action_latency_us = HdrHistogram(digits);
    s.action_attempts = HdrHistogram(digits);
    s.schedule_lag_us = HdrHistogram(digits);
    kinds_.resize(action_names_.size());
    for (KindStats& k : kinds_) {
      k.time_us = HdrHistogram(digits);
      k.attempts = HdrHistogram(digits);
    }
    return Status::Ok();
  }

  // ---- the loop -------------------------------------------------------------

  void LoadNextArrival() {
    next_arrival_.reset();
    if (plan_.warmup) {
      if (std::optional<std::int64_t> t = plan_.warmup->NextIntendedUs()) {
        next_arrival_ = *t;
        return;
      }
      plan_.warmup.reset();
    }
    if (plan_.main) {
      if (std::optional<std::int64_t> t = plan_.main->NextIntendedUs()) {
        next_arrival_ = warmup_end_us_ + *t;
      }
    }
  }

  void MainLoop() {
    if (!config_.closed_loop()) LoadNextArrival();
    for (;;) {
      const std::int64_t now = NowUs();
      EndEarlyIfInterrupted(now);
      const bool blocked = StartArrivals(now);
      IssueReady();
      if (now >= end_us_) break;
      std::int64_t wake = end_us_;
      if (next_arrival_) {
        wake = std::min(wake, blocked ? *next_arrival_ + max_lag_us_ + 1 : *next_arrival_);
      }
      if (!vu_ready_.empty() && !blocked) wake = std::min(wake, vu_ready_.front());
      const std::int64_t wait_us = wake - NowUs();
      // epoll has millisecond resolution: sleep whole milliseconds, spin
      // (poll without waiting) only for the last 200 us.
      std::uint32_t wait_ms = 0;
      if (wait_us > 200)
        wait_ms = static_cast<std::uint32_t>(std::min<std::int64_t>((wait_us + 999) / 1000, 100));
      if (blocked && wait_ms == 0) wait_ms = 1;
      SrTransportPoll(transport_, wait_ms);
      Dispatch();
    }
  }

  // An interrupt (Ctrl-C) moves the end of the run to now: arrivals due
  // before it still count (started or dropped), later ones were never due.
  void EndEarlyIfInterrupted(std::int64_t now) {
    const std::int64_t stop = stop_at_us_->load(std::memory_order_relaxed);
    if (stop >= end_us_) return;
    end_us_ = std::max(stop, std::min(now, end_us_));
    interrupted_ = true;
  }

  // Starts every arrival that is due. Returns true when one is due but
  // cannot start (no free slot or idle user): wait for a completion.
  bool StartArrivals(std::int64_t now) {
    if (config_.closed_loop()) {
      while (!vu_ready_.empty() && vu_ready_.front() <= now && now < end_us_) {
        if (free_.empty() || idle_users_.empty()) return true;
        const std::int64_t intended = vu_ready_.pop_front();
        StartAction(intended, now, intended >= warmup_end_us_);
      }
      return false;
    }
    while (next_arrival_ && *next_arrival_ <= now) {
      const std::int64_t intended = *next_arrival_;
      const bool measured = intended >= warmup_end_us_;
      if (now - intended > max_lag_us_) {
        if (measured) Drop();
        LoadNextArrival();
        continue;
      }
      if (free_.empty() || idle_users_.empty()) return true;
      StartAction(intended, now, measured);
      LoadNextArrival();
    }
    return false;
  }

  void Drop() {
    ++result_.summary.schedule.dropped;
    live_->dropped.fetch_add(1, std::memory_order_relaxed);
    if (metrics_ != nullptr) metrics_->RecordDropped();
  }

  void StartAction(std::int64_t intended, std::int64_t now, bool measured) {
    const std::uint32_t s = free_.back();
    free_.pop_back();
    Action& a = slots_[s].action;
    a.user = idle_users_.pop_front();
    a.intended_us = intended;
    a.measured = measured;
    a.attempts = 0;
    a.kind = 0;
    a.session = 0;
    a.generation = 0;
    a.hops = 0;
    a.creating = false;
    a.token.clear();
    slots_[s].lag_us = now - intended;
    live_->started.fetch_add(1, std::memory_order_relaxed);
    if (measured) {
      ++result_.summary.schedule.started;
      result_.summary.schedule_lag_us.Record(now - intended);
      if (metrics_ != nullptr) metrics_->RecordScheduleLag(now - intended);
    }
    Handle(s, scenario_->Begin(a), now);
  }

  void Handle(std::uint32_t s, Step step, std::int64_t now) {
    switch (step) {
      case Step::kRead:
      case Step::kWrite:
        if (stopping_) {
          Interrupt(s);
          return;
        }
        slots_[s].pending = step;
        ready_.push_back(s);
        return;
      case Step::kSucceeded:
        EndAction(s, true, now);
        return;
      case Step::kFailed:
        EndAction(s, false, now);
        return;
    }
  }

  void IssueReady() {
    while (!ready_.empty()) {
      std::swap(ready_, ready_swap_);  // issuing may queue more (synchronous failures)
      for (std::uint32_t s : ready_swap_) Issue(s);
      ready_swap_.clear();
    }
  }

  void Issue(std::uint32_t s) {
    Slot& slot = slots_[s];
    Action& a = slot.action;
    const std::int64_t now = NowUs();
    if (slot.pending == Step::kWrite && a.attempts >= config_.max_attempts) {
      if (a.measured) ++attempts_exhausted_;
      EndAction(s, false, now);
      return;
    }
    slot.block = XAsyncBlock{};
    slot.block.queue = queue_;
    slot.block.context = &slot;
    slot.block.callback = &Worker::OnBlockDone;
    slot.send_us = now;
    slot.in_flight = true;
    AddInflight(1);
    XblContextHandle context = contexts_[a.user];
    if (slot.pending == Step::kWrite) {
      ++a.attempts;
      // The first write carries the action's schedule lag (runner.h).
      slot.write_intended_us = a.attempts == 1 ? now - slot.lag_us : now;
      const HRESULT hr =
          XblMultiplayerWriteSessionAsync(context, a.handle, a.write_mode, &slot.block);
      if (FAILED(hr)) {
        slot.in_flight = false;
        AddInflight(-1);
        FinishWrite(s, hr, nullptr, NowUs());
      }
    } else {
      const HRESULT hr = XblMultiplayerGetSessionAsync(context, &a.ref, &slot.block);
      if (FAILED(hr)) {
        slot.in_flight = false;
        AddInflight(-1);
        FinishRead(s, hr, nullptr, NowUs());
      }
    }
  }

  void AddInflight(std::int64_t delta) {
    inflight_ = static_cast<std::uint32_t>(static_cast<std::int64_t>(inflight_) + delta);
    live_->inflight.fetch_add(delta, std::memory_order_relaxed);
    if (metrics_ != nullptr) metrics_->AddInflight(delta);
  }

  void Dispatch() {
    bool any = true;
    while (any) {
      any = false;
      while (XTaskQueueDispatch(queue_, XTaskQueuePort::Work, 0)) any = true;
      while (XTaskQueueDispatch(queue_, XTaskQueuePort::Completion, 0)) any = true;
    }
  }

  static void CALLBACK OnBlockDone(XAsyncBlock* block) {
    auto* slot = static_cast<Slot*>(block->context);
    slot->worker->Complete(*slot);
  }

  void Complete(Slot& slot) {
    const auto s = static_cast<std::uint32_t>(&slot - slots_.data());
    slot.in_flight = false;
    AddInflight(-1);
    const std::int64_t now = NowUs();
    XblMultiplayerSessionHandle h = nullptr;
    if (slot.pending == Step::kRead) {
      const HRESULT hr = XblMultiplayerGetSessionResult(&slot.block, &h);
      FinishRead(s, hr, h, now);
    } else {
      const HRESULT hr = XblMultiplayerWriteSessionResult(&slot.block, &h);
      FinishWrite(s, hr, h, now);
    }
    XblMultiplayerSessionCloseHandle(h);
  }

  // Remembers whether the target answered (any HTTP status) or not.
  void NoteReachability(HRESULT hr, std::int64_t now) {
    const std::optional<WriteStatus> st = ClassifyWriteResult(hr, XblWriteSessionStatus::Updated);
    if (st && IsTransportFailure(*st)) {
      result_.last_failure_us = now;
      ++result_.transport_failures;
    } else if (st) {
      result_.last_response_us = now;
    }
  }

  void FinishRead(std::uint32_t s, HRESULT hr, XblMultiplayerSessionHandle h, std::int64_t now) {
    if (hr == E_ABORT || stopping_) {
      Interrupt(s);
      return;
    }
    NoteReachability(hr, now);
    Action& a = slots_[s].action;
    if (a.measured) {
      // A read's outcome in the write vocabulary (GET 200/204: "updated").
      const std::optional<WriteStatus> st = ClassifyWriteResult(hr, XblWriteSessionStatus::Updated);
      ++reads_by_status_[WriteStatusIndex(st.value_or(WriteStatus::kTransportError))];
    }
    Handle(s, scenario_->OnRead(a, hr, SUCCEEDED(hr) ? h : nullptr), now);
  }

  void FinishWrite(std::uint32_t s, HRESULT hr, XblMultiplayerSessionHandle h, std::int64_t now) {
    Slot& slot = slots_[s];
    Action& a = slot.action;
    const XblWriteSessionStatus write_status = SUCCEEDED(hr) && h != nullptr
                                                   ? XblMultiplayerSessionWriteStatus(h)
                                                   : XblWriteSessionStatus::Unknown;
    WriteOutcome w;
    w.status = ClassifyWriteResult(hr, write_status);
    w.hr = hr;
    w.result = h;
    w.send_us = slot.send_us;
    w.end_us = now;
    if (!w.status || stopping_) {
      scenario_->OnAbandonedWrite(a, w);
      Interrupt(s);
      return;
    }
    NoteReachability(hr, now);
    if (a.measured) RecordWrite(*w.status, now - slot.write_intended_us, now - slot.send_us);
    Handle(s, scenario_->OnWrite(a, w), now);
  }

  void RecordWrite(WriteStatus status, std::int64_t corrected_us, std::int64_t uncorrected_us) {
    Summary& sum = result_.summary;
    ++sum.writes[status];
    sum.corrected_us.Record(corrected_us);
    sum.uncorrected_us.Record(uncorrected_us);
    live_->writes[WriteStatusIndex(status)].fetch_add(1, std::memory_order_relaxed);
    live_->corrected_us.Record(corrected_us);
    if (metrics_ != nullptr) metrics_->RecordWrite(status, corrected_us, uncorrected_us);
  }

  void EndAction(std::uint32_t s, bool succeeded, std::int64_t now) {
    Action& a = slots_[s].action;
    if (a.measured) {
      Summary& sum = result_.summary;
      const std::int64_t latency = now - a.intended_us;
      (succeeded ? sum.actions.succeeded : sum.actions.failed) += 1;
      sum.action_latency_us.Record(latency);
      sum.action_attempts.Record(a.attempts);
      if (a.kind < kinds_.size()) {
        KindStats& k = kinds_[a.kind];
        (succeeded ? k.succeeded : k.failed) += 1;
        k.attempts.Record(a.attempts);
        if (succeeded) k.time_us.Record(latency);
      }
      if (metrics_ != nullptr) metrics_->RecordAction(a.kind, latency, a.attempts);
    }
    if (config_.closed_loop() && !stopping_) vu_ready_.push_back(now + think_us_);
    Release(s);
  }

  void Interrupt(std::uint32_t s) {
    if (slots_[s].action.measured) ++result_.summary.actions.interrupted;
    Release(s);
  }

  void Release(std::uint32_t s) {
    Slot& slot = slots_[s];
    ResetActionHandle(slot.action, nullptr);
    slot.pending = Step::kFailed;
    idle_users_.push_back(slot.action.user);
    free_.push_back(s);
  }

  // ---- the end ----------------------------------------------------------------

  void Shutdown() {
    stopping_ = true;
    // Arrivals of the measured phase still due could not start in time:
    // dropped, not silently skipped. After an interrupt, arrivals intended
    // after the new end were never due: not planned.
    while (next_arrival_ && *next_arrival_ < end_us_) {
      if (*next_arrival_ >= warmup_end_us_) Drop();
      LoadNextArrival();
    }
    result_.pending_at_end = inflight_;
    for (Slot& slot : slots_) {
      if (slot.in_flight) XAsyncCancel(&slot.block);
    }
    const auto deadline = Clock::now() + kCancelGrace;
    while (inflight_ > 0 && Clock::now() < deadline) {
      SrTransportPoll(transport_, 5);
      Dispatch();
    }
    Dispatch();
    result_.stuck = inflight_;
  }

  void Collect() {
    Summary& s = result_.summary;
    s.scenario = ScenarioName(config_.scenario);
    s.mode = WriteModeName(config_.mode);
    s.seed = config_.seed;
    s.duration_s = static_cast<double>(std::max<std::int64_t>(end_us_ - warmup_end_us_, 0)) / 1e6;
    if (config_.closed_loop() || !plan_.main) {
      s.schedule.planned = s.schedule.started;
    } else if (interrupted_) {
      s.schedule.planned = s.schedule.started + s.schedule.dropped;  // what was due by the end
    } else {
      s.schedule.planned = plan_.main->Planned();
    }
    ScenarioOutput out;
    scenario_->Finish(&out);
    for (std::size_t k = 0; k < kinds_.size(); ++k) {
      const std::string& name = action_names_[k];
      out.stats.counters[name + "_succeeded"] += kinds_[k].succeeded;
      out.stats.counters[name + "_failed"] += kinds_[k].failed;
      out.stats.histograms.insert_or_assign(name + "_time_us", std::move(kinds_[k].time_us));
      out.stats.histograms.insert_or_assign(name + "_attempts", std::move(kinds_[k].attempts));
    }
    if (attempts_exhausted_ > 0) out.stats.counters["attempts_exhausted"] += attempts_exhausted_;
    // Reads (sync mode reads before it writes): how many, and how they failed.
    std::uint64_t reads = 0;
    for (WriteStatus st : kAllWriteStatuses) {
      const std::uint64_t n = reads_by_status_[WriteStatusIndex(st)];
      reads += n;
      if (n > 0 && st != WriteStatus::kUpdated) {
        out.stats.counters["read_" + std::string(WriteStatusName(st))] += n;
      }
    }
    if (reads > 0) out.stats.counters["reads"] += reads;
    s.scenario_stats = std::move(out.stats);
    result_.histories = std::move(out.histories);
  }

  void Teardown() {
    if (result_.stuck > 0) return;  // callbacks may still come: keep everything alive
    for (Slot& slot : slots_) ResetActionHandle(slot.action, nullptr);
    scenario_.reset();
    for (XblContextHandle c : contexts_) XblContextCloseHandle(c);
    contexts_.clear();
    if (transport_ != nullptr) SrTransportCloseHandle(transport_);
    transport_ = nullptr;
    if (queue_ != nullptr) XTaskQueueCloseHandle(queue_);
    queue_ = nullptr;
  }

  struct KindStats {
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0;
    HdrHistogram time_us;   // latency of succeeded actions of this kind (time to success)
    HdrHistogram attempts;  // write attempts of every action of this kind
  };

  // Constant after construction.
  const Config& config_;
  WorkerPlan plan_;  // its schedules advance
  const std::string endpoint_;
  WorkerMetrics* const metrics_;  // may be null; owned by the runner's Metrics
  LiveStats* const live_;         // owned by the runner
  const std::vector<std::string> action_names_;
  const std::int64_t max_lag_us_;
  const std::int64_t think_us_;
  const std::int64_t warmup_end_us_;

  // Owned, used only on the worker thread.
  SrTransportHandle transport_ = nullptr;
  XTaskQueueHandle queue_ = nullptr;
  std::vector<XblContextHandle> contexts_;             // one per user
  std::optional<CredentialReader> credential_reader_;  // the contexts' token provider
  std::unique_ptr<Scenario> scenario_;
  std::vector<Slot> slots_;  // sized once (blocks must not move)
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> ready_;
  std::vector<std::uint32_t> ready_swap_;
  Ring<std::uint32_t> idle_users_;
  Ring<std::int64_t> vu_ready_;  // closed loop: when each idle VU is due
  std::optional<std::int64_t> next_arrival_;
  Clock::time_point t0_;
  const std::atomic<std::int64_t>* stop_at_us_ = nullptr;  // the runner's StartSignal
  std::int64_t end_us_;  // warm-up + duration, or earlier after an interrupt
  bool interrupted_ = false;
  bool stopping_ = false;
  std::uint32_t inflight_ = 0;
  std::vector<KindStats> kinds_;
  std::uint64_t attempts_exhausted_ = 0;
  std::array<std::uint64_t, kWriteStatusCount> reads_by_status_{};  // measured phase
  WorkerResult result_;
};

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

// Reads the final documents of the append scenario's sessions on the
// calling thread. Fills final_etag/final_tokens; returns the indices of the
// sessions that could not be read.
std::vector<std::size_t> ReadFinalDocuments(const Config& config, const std::string& endpoint,
                                            const UserCredential& reader,
                                            std::vector<SessionHistory>* sessions) {
  std::vector<std::size_t> failed;
  SrTransportArgs targs{};
  targs.OwnerDriven = true;
  targs.MaxInFlight = kFinalReadsInFlight;
  SrTransportHandle transport = nullptr;
  XTaskQueueHandle queue = nullptr;
  XblContextHandle context = nullptr;
  SrContextArgs cargs{};
  cargs.Xuid = reader.xuid;
  cargs.Endpoint = endpoint.c_str();
  cargs.Authorization = reader.authorization.c_str();
  cargs.TimeoutMs = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(config.timeout).count());
  bool ok = SUCCEEDED(SrTransportCreate(&targs, &transport)) &&
            SUCCEEDED(XTaskQueueCreate(XTaskQueueDispatchMode::Manual,
                                       XTaskQueueDispatchMode::Manual, &queue));
  if (ok) {
    cargs.Transport = transport;
    ok = SUCCEEDED(SrContextCreate(&cargs, &context));
  }
  if (!ok) {
    for (std::size_t i = 0; i < sessions->size(); ++i) failed.push_back(i);
    if (transport != nullptr) SrTransportCloseHandle(transport);
    if (queue != nullptr) XTaskQueueCloseHandle(queue);
    return failed;
  }

  struct Read {
    XAsyncBlock block{};
    XblMultiplayerSessionReference ref{};
    HRESULT hr = E_PENDING;
    XblMultiplayerSessionHandle session = nullptr;
    bool started = false;
  };
  std::vector<Read> reads(sessions->size());
  auto pump = [&] {
    SrTransportPoll(transport, 5);
    bool any = true;
    while (any) {
      any = false;
      while (XTaskQueueDispatch(queue, XTaskQueuePort::Work, 0)) any = true;
      while (XTaskQueueDispatch(queue, XTaskQueuePort::Completion, 0)) any = true;
    }
  };
  std::size_t next = 0;
  std::size_t in_flight = 0;
  const auto deadline = Clock::now() + config.timeout + std::chrono::seconds(5);
  auto done_count = [&] {
    std::size_t n = 0;
    for (const Read& r : reads) n += r.hr != E_PENDING;
    return n;
  };
  while (done_count() < reads.size() && Clock::now() < deadline) {
    in_flight = 0;
    for (std::size_t i = 0; i < next; ++i) in_flight += reads[i].hr == E_PENDING;
    while (next < reads.size() && in_flight < kFinalReadsInFlight) {
      Read& r = reads[next];
      r.ref = XblMultiplayerSessionReferenceCreate(kLoadgenScid, ScenarioName(config.scenario),
                                                   (*sessions)[next].session.c_str());
      r.block.queue = queue;
      r.block.context = &r;
      r.block.callback = [](XAsyncBlock* b) {
        auto* read = static_cast<Read*>(b->context);
        read->hr = XblMultiplayerGetSessionResult(b, &read->session);
      };
      r.started = true;
      if (HRESULT hr = XblMultiplayerGetSessionAsync(context, &r.ref, &r.block); FAILED(hr)) {
        r.hr = hr;
      } else {
        ++in_flight;
      }
      ++next;
    }
    pump();
  }
  // Whatever is still pending: cancel and wait for the cancellations.
  for (Read& r : reads) {
    if (r.started && r.hr == E_PENDING) XAsyncCancel(&r.block);
  }
  const auto cancel_deadline = Clock::now() + kCancelGrace;
  auto pending = [&] {
    for (const Read& r : reads) {
      if (r.started && r.hr == E_PENDING) return true;
    }
    return false;
  };
  while (pending() && Clock::now() < cancel_deadline) pump();
  const bool stuck = pending();

  for (std::size_t i = 0; i < reads.size(); ++i) {
    Read& r = reads[i];
    SessionHistory& h = (*sessions)[i];
    if (r.hr != S_OK) {
      failed.push_back(i);
      continue;
    }
    h.final_tokens.clear();
    h.final_etag.clear();
    if (r.session != nullptr) {
      const char* etag = XblMultiplayerSessionEtag(r.session);
      h.final_etag = etag != nullptr ? etag : "";
      const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(r.session);
      if (p != nullptr && p->SessionCustomPropertiesJson != nullptr) {
        nlohmann::json custom =
            nlohmann::json::parse(p->SessionCustomPropertiesJson, nullptr, false);
        if (custom.is_object() && custom.contains("tokens") && custom["tokens"].is_array()) {
          for (const auto& t : custom["tokens"]) {
            h.final_tokens.push_back(t.is_string() ? t.get<std::string>() : t.dump());
          }
        }
      }
      XblMultiplayerSessionCloseHandle(r.session);
      r.session = nullptr;
    }
  }
  if (stuck) return failed;  // leak the transport rather than free blocks still referenced
  XblContextCloseHandle(context);
  SrTransportCloseHandle(transport);
  XTaskQueueCloseHandle(queue);
  return failed;
}

std::string Seconds(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f s", s);
  return buffer;
}

// This process's target arrival rate `elapsed` seconds after the start
// (the sessionrig_target_rate gauge and the progress line); 0 closed loop.
double TargetRateAt(const Config& config, const std::optional<OpenLoopSchedule>& main_schedule,
                    double warmup_rate, double elapsed) {
  const double warmup_s = static_cast<double>(ToUs(config.warmup)) / 1e6;
  if (elapsed < warmup_s) return warmup_rate / config.shard_count;
  if (!main_schedule) return 0;
  const auto t = std::min(static_cast<std::int64_t>((elapsed - warmup_s) * 1e6),
                          main_schedule->DurationUs() - 1);
  return main_schedule->RateAt(t) / config.shard_count;
}

}  // namespace

struct Lingering {
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<sessiond::Server> server;
};

int ExitCodeFor(const Summary& summary, bool target_unreachable) {
  if (summary.consistency.verdict == "violated") return kExitConsistency;
  if (target_unreachable) return kExitUsage;
  for (const ThresholdResult& t : summary.thresholds) {
    if (!t.ok) return kExitThreshold;
  }
  return kExitOk;
}

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
                        Seconds(now_s - *config.start_at) + " in the past");
    }
    if (*config.start_at > now_s + 86400.0) {
      return Status(StatusCode::kInvalidArgument, "--start-at: more than a day in the future");
    }
  }

  // ---- the target and its users.
  std::unique_ptr<sessiond::Server> server;
  std::string endpoint;
  std::vector<UserCredential> users;
  std::shared_ptr<Credentials> credentials;  // the users' current tokens
  if (config.target.empty()) {
    // Faults are installed when the run starts (see below), so that a
    // stall's `at` counts from the start of the run, not from setup.
    if (StatusOr<sessiond::FaultPlan> plan = sessiond::ParseFaultSpecs(config.inject); !plan.ok()) {
      return Status(StatusCode::kInvalidArgument, "--inject: " + plan.status().message());
    }
    sessiond::ServerOptions so;
    so.threads = config.server_threads;
    // The run is over when the server stops: do not wait for requests a
    // stall fault still holds.
    so.limits.shutdown_grace = std::chrono::milliseconds(200);
    so.metrics_addr = config.sessiond_metrics_addr;
    StatusOr<std::unique_ptr<sessiond::Server>> started = sessiond::Server::Start(so);
    if (!started.ok()) {
      return Status(started.status().code(), std::string(config.sessiond_metrics_addr.empty()
                                                             ? "embedded sessiond: "
                                                             : "--sessiond-metrics-addr: ") +
                                                 started.status().message());
    }
    server = std::move(started).value();
    endpoint = server->base_url();
    users.reserve(config.users);
    // Dev tokens expire: these outlive the run by an hour.
    const auto token_ttl = config.warmup + MainDuration(config) + std::chrono::hours(1);
    for (std::uint32_t u = 0; u < config.users; ++u) {
      UserCredential c;
      c.xuid = EmbeddedXuid(u);
      c.authorization = server->AuthorizationFor(std::to_string(c.xuid), token_ttl);
      users.push_back(std::move(c));
    }
    credentials = std::make_shared<Credentials>(users);
  } else {
    endpoint = config.target;
    credentials = options.credentials;
    if (credentials == nullptr) {
      StatusOr<std::vector<UserCredential>> read =
          ReadUsers(config.token_file, config.token_command);
      if (!read.ok()) return read.status();
      credentials = std::make_shared<Credentials>(*read);
      users = std::move(read).value();
    } else {
      users = credentials->Users();
    }
    if (config.set_fields.count("users") > 0) {
      if (config.users > users.size()) {
        return Status(StatusCode::kInvalidArgument, "--users: " + std::to_string(config.users) +
                                                        " users but --token-file has " +
                                                        std::to_string(users.size()));
      }
      users.resize(config.users);
    }
    config.users = static_cast<std::uint32_t>(users.size());
  }
  if (config.shard_count > users.size()) {
    return Status(StatusCode::kInvalidArgument, "--shard: " + std::to_string(config.shard_count) +
                                                    " shards but " + std::to_string(users.size()) +
                                                    " users");
  }

  // ---- partition: shard i owns users and sessions i, i+N, ...; its
  // workers split its users and share its sessions.
  std::vector<UserCredential> shard_users;
  for (std::size_t u = config.shard_index; u < users.size(); u += config.shard_count) {
    shard_users.push_back(users[u]);
  }
  std::vector<std::uint32_t> shard_sessions;
  for (std::uint32_t k = config.shard_index; k < config.sessions; k += config.shard_count) {
    shard_sessions.push_back(k);
  }
  const auto worker_count =
      static_cast<std::uint32_t>(std::min<std::size_t>(config.threads, shard_users.size()));
  const std::uint32_t cap = (config.max_inflight + worker_count - 1) / worker_count;

  std::optional<OpenLoopSchedule> main_schedule;
  std::optional<OpenLoopSchedule> warmup_schedule;
  double warmup_rate = 0;
  if (!config.closed_loop()) {
    StatusOr<OpenLoopSchedule> s =
        config.stages.empty() ? OpenLoopSchedule::Constant(config.rate, config.duration)
                              : OpenLoopSchedule::Ramping(config.start_rate, config.stages);
    if (!s.ok()) {
      return Status(
          StatusCode::kInvalidArgument,
          std::string(config.stages.empty() ? "--rate: " : "--stages: ") + s.status().message());
    }
    main_schedule = std::move(s).value();
    warmup_rate = config.stages.empty()
                      ? config.rate
                      : (config.start_rate > 0 ? config.start_rate : config.stages[0].target_rate);
    if (config.warmup.count() > 0 && warmup_rate > 0) {
      StatusOr<OpenLoopSchedule> w = OpenLoopSchedule::Constant(warmup_rate, config.warmup);
      if (!w.ok()) return Status(StatusCode::kInvalidArgument, "--warmup: " + w.status().message());
      warmup_schedule = std::move(w).value();
    }
  }

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

  std::vector<std::unique_ptr<LiveStats>> live;
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::uint32_t w = 0; w < worker_count; ++w) {
    WorkerPlan plan;
    plan.index = w;
    for (std::size_t u = w; u < shard_users.size(); u += worker_count) {
      plan.users.push_back(shard_users[u]);
    }
    // Embedded tokens outlive the run: only --target tokens are refreshed.
    plan.credentials = config.target.empty() ? nullptr : credentials.get();
    plan.sessions = shard_sessions;
    ArrivalPartition part{config.shard_index, config.shard_count, w, worker_count};
    if (main_schedule) {
      StatusOr<OpenLoopSchedule> p = main_schedule->Partitioned(part);
      if (!p.ok()) return p.status();
      plan.main = std::move(p).value();
    }
    if (warmup_schedule) {
      StatusOr<OpenLoopSchedule> p = warmup_schedule->Partitioned(part);
      if (!p.ok()) return p.status();
      plan.warmup = std::move(p).value();
    }
    plan.vus = config.vus / worker_count + (w < config.vus % worker_count ? 1 : 0);
    plan.cap = cap;
    plan.seed = config.seed * 0x9E3779B97F4A7C15ull + (std::uint64_t{config.shard_index} << 32) + w;
    live.push_back(std::make_unique<LiveStats>());
    workers.push_back(std::make_unique<Worker>(config, std::move(plan), endpoint,
                                               metrics ? metrics->AddWorker() : nullptr,
                                               live.back().get()));
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
  if (!setup.ok()) {
    start.abort = true;
    go.count_down();
    for (std::thread& t : threads) t.join();
    return setup;
  }
  if (config.start_at) {
    const auto at = std::chrono::system_clock::time_point(
        std::chrono::microseconds(static_cast<std::int64_t>(*config.start_at * 1e6)));
    if (at < std::chrono::system_clock::now()) {
      result.warnings.push_back("--start-at: setup finished after the start time; started late");
    }
    std::this_thread::sleep_until(at);
  }
  if (server != nullptr && !config.inject.empty()) {
    if (Status st = server->SetFaults(config.inject); !st.ok()) {
      start.abort = true;
      go.count_down();
      for (std::thread& t : threads) t.join();
      return Status(StatusCode::kInvalidArgument, "--inject: " + st.message());
    }
  }
  start.t0 = Clock::now();
  // The target rate at t = 0, before the first progress tick updates it.
  if (metrics) metrics->SetTargetRate(TargetRateAt(config, main_schedule, warmup_rate, 0.0));
  go.count_down();

  // ---- progress, until every worker is done.
  const double warmup_s = static_cast<double>(ToUs(config.warmup)) / 1e6;
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
      const double target = TargetRateAt(config, main_schedule, warmup_rate, elapsed);
      if (metrics) metrics->SetTargetRate(target);
      if (options.progress == nullptr) continue;
      LiveSnapshot current;
      for (const auto& l : live) current.Add(*l);
      const double interval = std::chrono::duration<double>(now - previous_time).count();
      const std::string line = FormatProgressLine(
          warm ? "warm-up" : "main", warm ? elapsed : elapsed - warmup_s, warm ? warmup_s : main_s,
          target, config.closed_loop(), previous, current, interval);
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

  // ---- merge.
  std::vector<Summary> partials;
  std::map<std::string, SessionHistory> histories;
  std::int64_t last_response = -1;
  std::int64_t last_failure = -1;
  std::uint64_t stuck = 0;
  std::uint64_t pending_at_end = 0;
  std::uint64_t transport_failures = 0;
  for (auto& worker : workers) {
    WorkerResult& r = worker->result();
    r.summary.target = config.target.empty() ? "embedded" : config.target;
    partials.push_back(std::move(r.summary));
    for (SessionHistory& h : r.histories) {
      SessionHistory& into = histories[h.session];
      into.session = h.session;
      into.writes.insert(into.writes.end(), std::make_move_iterator(h.writes.begin()),
                         std::make_move_iterator(h.writes.end()));
    }
    last_response = std::max(last_response, r.last_response_us);
    last_failure = std::max(last_failure, r.last_failure_us);
    stuck += r.stuck;
    pending_at_end += r.pending_at_end;
    transport_failures += r.transport_failures;
  }
  if (stuck > 0) {
    result.warnings.push_back(std::to_string(stuck) +
                              " requests did not complete within 5 s of being cancelled");
    for (auto& worker : workers) {
      if (worker->result().stuck > 0) (void)worker.release();  // still referenced by the core
    }
  }
  StatusOr<Summary> merged = Merge(partials);
  if (!merged.ok()) return merged.status();
  result.summary = std::move(merged).value();
  Summary& summary = result.summary;

  // ---- the consistency check (append): read the final documents back.
  if (config.scenario == ScenarioKind::kAppend && !histories.empty()) {
    std::vector<SessionHistory> sessions;
    sessions.reserve(histories.size());
    for (auto& [name, h] : histories) sessions.push_back(std::move(h));
    const std::vector<std::size_t> unread = ReadFinalDocuments(
        config, endpoint, {shard_users.front().xuid, credentials->Find(shard_users.front().xuid)},
        &sessions);
    if (!unread.empty()) {
      result.warnings.push_back("consistency: " + std::to_string(unread.size()) + " of " +
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
    summary.consistency = CheckAppendSessions(sessions);
    if (metrics) metrics->AddConsistencyViolations(summary.consistency.violations);
  }
  // --linger: the caller keeps /metrics (and the embedded sessiond) up
  // after printing the results; otherwise they stop here, after the final
  // reads.
  if (config.linger.count() > 0) {
    auto lingering = std::make_shared<Lingering>();
    lingering->metrics = std::move(metrics);
    lingering->server = std::move(server);
    result.lingering = std::move(lingering);
  }
  server.reset();

  // ---- verdicts.
  std::int64_t main_end_us = ToUs(config.warmup) + ToUs(MainDuration(config));
  if (interrupted_at) {
    main_end_us = std::min(main_end_us, static_cast<std::int64_t>(*interrupted_at * 1e6));
    result.interrupted = true;
    result.warnings.push_back("interrupted " + Seconds(*interrupted_at) +
                              " after the start: the results cover the run up to then");
  }
  const bool silent_at_end =
      last_response < 0 || main_end_us - last_response >= kUnreachableWindowUs;
  const bool failing = last_failure >= 0 && last_failure > last_response;
  if (silent_at_end && (failing || pending_at_end > 0)) {
    result.target_unreachable = true;
    std::string why;
    if (transport_failures > 0) {
      why += "; " + std::to_string(transport_failures) +
             " requests failed with transport errors or timeouts";
    }
    if (pending_at_end > 0) {
      why += "; " + std::to_string(pending_at_end) + " requests got no answer before the end";
    }
    result.unreachable_reason =
        "target " + endpoint +
        (last_response < 0
             ? std::string(" never answered")
             : " stopped answering " + Seconds(static_cast<double>(last_response) / 1e6) +
                   " after the start") +
        why + "; these results do not measure it";
  }
  EvaluateAll(thresholds, summary, &summary.thresholds);
  result.exit_code = ExitCodeFor(summary, result.target_unreachable);
  return result;
}

}  // namespace sessionrig::loadgen
