// loadgen/worker.h: one worker thread of a run: its loop and its
// measurements (runner.h describes both; measure.h holds the rule that
// decides a request's intended start).
//
// A worker owns a request pump (an owner-driven transport and a Manual
// task queue, pump.h), one XblContext per user it owns, its scenario, its
// histograms, counters and interval records (timeseries.h), and drives all
// of them itself: a request's whole path runs on one thread, with no lock
// and no allocation per request in loadgen's own code (the core allocates
// per request; the interval records allocate once per interval). Workers
// share nothing but the sessions they write on the server; their results
// are merged after they join (wrk2, h2load).
//
// Thread-safety: Run() on the worker's own thread; result() after it
// returned. LiveStats and WorkerMetrics are written with relaxed atomics
// for the runner's reporter and Prometheus scrapes.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "XAsync.h"
#include "loadgen/config.h"
#include "loadgen/live_stats.h"
#include "loadgen/measure.h"
#include "loadgen/membership.h"
#include "loadgen/metrics.h"
#include "loadgen/plan.h"
#include "loadgen/pump.h"
#include "loadgen/scenario.h"
#include "loadgen/schedule.h"
#include "loadgen/summary.h"
#include "loadgen/timeseries.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

using WorkerClock = std::chrono::steady_clock;

// How long shutdown waits for cancelled requests to complete.
inline constexpr auto kCancelGrace = std::chrono::seconds(5);

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
  WorkerClock::time_point t0;
  double start_unix_s = 0;  // the unix time at which the measured phase starts
  bool abort = false;
  std::atomic<std::int64_t> stop_at_us{std::numeric_limits<std::int64_t>::max()};
};

class Worker {
 public:
  // `membership` (may be null: no membership check) is shared by every
  // worker of the run and outlives them.
  Worker(const Config& config, WorkerPlan plan, std::string endpoint, WorkerMetrics* metrics,
         LiveStats* live, MembershipChecker* membership);
  ~Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The thread body. `ready` counts down after setup; the run starts when
  // `go` is released (after `start` was published).
  void Run(std::latch& ready, std::latch& go, const StartSignal& start);

  WorkerResult& result() { return result_; }

 private:
  struct Slot {
    XAsyncBlock block{};
    Worker* worker = nullptr;
    Action action;
    ActionClock clock;             // the action's requests (measure.h)
    RequestStart request;          // how the request in flight is measured
    Step pending = Step::kFailed;  // kRead or kWrite while a request is queued or in flight
    bool in_flight = false;
    // The membership check's view of the write in flight (membership.h).
    XblMultiplayerSessionReference written{};  // the session it writes
    std::uint64_t ticket = 0;
    bool ticketed = false;  // a ticket is open for it
  };

  // A fixed-capacity FIFO (no allocation after construction).
  template <typename T>
  class Ring {
   public:
    explicit Ring(std::size_t capacity = 0) : items_(std::max<std::size_t>(capacity, 1)) {}
    bool empty() const { return size_ == 0; }
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

  struct KindStats {
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0;
    HdrHistogram time_us;   // latency of succeeded actions of this kind (time to success)
    HdrHistogram attempts;  // write attempts of every action of this kind
  };

  struct RankCounts {
    std::uint64_t writes = 0;
    std::uint64_t out_of_sync = 0;
  };

  std::int64_t NowUs() const;
  Status Setup();
  void LoadNextArrival();
  void MainLoop();
  void EndEarlyIfInterrupted(std::int64_t now);
  bool StartArrivals(std::int64_t now);
  void Drop(std::int64_t intended);
  void StartAction(std::int64_t intended, std::int64_t now, bool measured);
  void Handle(std::uint32_t s, Step step, std::int64_t now);
  void IssueReady();
  void Issue(std::uint32_t s);
  void AddInflight(std::int64_t delta, std::int64_t now);
  static void CALLBACK OnBlockDone(XAsyncBlock* block);
  void Complete(Slot& slot);
  void NoteReachability(HRESULT hr, std::int64_t now);
  void FinishRead(std::uint32_t s, HRESULT hr, XblMultiplayerSessionHandle h, std::int64_t now);
  void FinishWrite(std::uint32_t s, HRESULT hr, XblMultiplayerSessionHandle h, std::int64_t now);
  void RecordRead(const Slot& slot, HRESULT hr, std::int64_t now);
  void RecordWrite(const Slot& slot, WriteStatus status, std::int64_t now);
  // Tells the membership check how the write of `slot` ended (`h`: its
  // response, or null).
  void NoteWriteForMembership(Slot& slot, const std::optional<WriteStatus>& status,
                              XblMultiplayerSessionHandle h, std::int64_t now);
  void EndAction(std::uint32_t s, bool succeeded, std::int64_t now);
  void Interrupt(std::uint32_t s);
  void Release(std::uint32_t s);
  void Shutdown();
  void Collect();
  void Teardown();

  // Constant after construction.
  const Config& config_;
  WorkerPlan plan_;  // its schedules advance
  const std::string endpoint_;
  WorkerMetrics* const metrics_;         // may be null; owned by the runner's Metrics
  LiveStats* const live_;                // owned by the runner
  MembershipChecker* const membership_;  // may be null; owned by the runner
  const std::vector<std::string> action_names_;
  std::vector<MembershipIntent> intents_;  // by action kind
  const DropPolicy drop_policy_;           // the one rule for arrivals that cannot start in time
  const std::int64_t think_us_;
  const std::int64_t warmup_end_us_;

  // Owned, used only on the worker thread.
  RequestPump pump_;
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
  WorkerClock::time_point t0_;
  const std::atomic<std::int64_t>* stop_at_us_ = nullptr;  // the runner's StartSignal
  std::int64_t end_us_;  // warm-up + duration, or earlier after an interrupt
  bool interrupted_ = false;
  bool stopping_ = false;
  std::uint32_t inflight_ = 0;
  std::vector<KindStats> kinds_;
  std::uint64_t attempts_exhausted_ = 0;
  std::array<std::uint64_t, kWriteStatusCount> reads_by_status_{};  // measured phase
  std::array<RankCounts, 64> ranks_{};  // by RankBucketIndex of the session's rank
  IntervalRecorder intervals_;
  WorkerResult result_;
};

}  // namespace sessionrig::loadgen
