#include "loadgen/worker.h"

#include <algorithm>
#include <utility>

#include "XTaskQueue.h"
#include "sessionrig/sessionrig_c.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig::loadgen {

namespace {

std::int64_t ToUs(std::chrono::microseconds d) { return d.count(); }

}  // namespace

Worker::Worker(const Config& config, WorkerPlan plan, std::string endpoint, WorkerMetrics* metrics,
               LiveStats* live, MembershipChecker* membership)
    : config_(config),
      plan_(std::move(plan)),
      endpoint_(std::move(endpoint)),
      metrics_(metrics),
      live_(live),
      membership_(membership),
      action_names_(ActionNames(config.scenario)),
      drop_policy_{config.max_lag},
      think_us_(ToUs(config.think_time)),
      warmup_end_us_(ToUs(config.warmup)),
      end_us_(ToUs(config.warmup) + ToUs(MainDuration(config))) {
  for (const std::string& name : action_names_) intents_.push_back(IntentOf(name));
}

void Worker::Run(std::latch& ready, std::latch& go, const StartSignal& start) {
  result_.status = Setup();
  ready.count_down();
  go.wait();
  if (result_.status.ok() && !start.abort) {
    t0_ = start.t0;
    stop_at_us_ = &start.stop_at_us;
    result_.summary.start_unix_s = start.start_unix_s;
    MainLoop();
    Shutdown();
    Collect();
  }
  Teardown();  // on this thread: the transport is owner-driven
}

std::int64_t Worker::NowUs() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(WorkerClock::now() - t0_).count();
}

Status Worker::Setup() {
  if (Status s = pump_.Open(plan_.cap); !s.ok()) {
    return Status(s.code(), "worker " + s.message());
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
    args.Transport = pump_.transport();
    args.TimeoutMs = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout).count());
    XblContextHandle context = nullptr;
    if (HRESULT hr = SrContextCreate(&args, &context); FAILED(hr)) {
      return Status(StatusCode::kInvalidArgument, "context for xuid " + std::to_string(user.xuid) +
                                                      " at " + endpoint_ + ": " +
                                                      SrHResultToString(hr));
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
  for (HdrHistogram* h :
       {&s.corrected_us, &s.uncorrected_us, &s.action_latency_us, &s.action_attempts,
        &s.schedule_lag_us, &s.read_corrected_us, &s.read_uncorrected_us, &s.request_gap_us}) {
    *h = HdrHistogram(digits);
  }
  kinds_.resize(action_names_.size());
  for (KindStats& k : kinds_) {
    k.time_us = HdrHistogram(digits);
    k.attempts = HdrHistogram(digits);
  }
  intervals_ = IntervalRecorder(warmup_end_us_, end_us_, ToUs(config_.interval));
  return Status::Ok();
}

// ---- the loop -------------------------------------------------------------

void Worker::LoadNextArrival() {
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

void Worker::MainLoop() {
  if (!config_.closed_loop()) LoadNextArrival();
  for (;;) {
    const std::int64_t now = NowUs();
    EndEarlyIfInterrupted(now);
    intervals_.Tick(now);
    const bool blocked = StartArrivals(now);
    IssueReady();
    if (now >= end_us_) break;
    std::int64_t wake = end_us_;
    if (next_arrival_) {
      // Blocked: wake when the due arrival would be dropped.
      wake = std::min(wake,
                      blocked ? *next_arrival_ + drop_policy_.max_lag.count() + 1 : *next_arrival_);
    }
    if (!vu_ready_.empty() && !blocked) wake = std::min(wake, vu_ready_.front());
    const std::int64_t wait_us = wake - NowUs();
    // epoll has millisecond resolution: sleep whole milliseconds, spin
    // (poll without waiting) only for the last 200 us; wake at least every
    // 100 ms (interrupts, interval ticks).
    std::uint32_t wait_ms = 0;
    if (wait_us > 200)
      wait_ms = static_cast<std::uint32_t>(std::min<std::int64_t>((wait_us + 999) / 1000, 100));
    if (blocked && wait_ms == 0) wait_ms = 1;
    pump_.Poll(wait_ms);
  }
}

// An interrupt (Ctrl-C) moves the end of the run to now: arrivals due
// before it still count (started or dropped), later ones were never due.
void Worker::EndEarlyIfInterrupted(std::int64_t now) {
  const std::int64_t stop = stop_at_us_->load(std::memory_order_relaxed);
  if (stop >= end_us_) return;
  end_us_ = std::max(stop, std::min(now, end_us_));
  interrupted_ = true;
  intervals_.SetEnd(end_us_);
}

// Starts every arrival that is due, by the DropPolicy. Returns true when
// one is due but cannot start (no free slot or idle user): wait for a
// completion.
bool Worker::StartArrivals(std::int64_t now) {
  if (config_.closed_loop()) {
    while (!vu_ready_.empty() && vu_ready_.front() <= now && now < end_us_) {
      if (free_.empty() || idle_users_.empty()) return true;
      const std::int64_t intended = vu_ready_.pop_front();
      StartAction(intended, now, intended >= warmup_end_us_);
    }
    return false;
  }
  while (next_arrival_) {
    const std::int64_t intended = *next_arrival_;
    const bool measured = intended >= warmup_end_us_;
    switch (drop_policy_.Decide(now, intended)) {
      case DropPolicy::Decision::kWait:
        return false;
      case DropPolicy::Decision::kDrop:
        if (measured) Drop(intended);
        LoadNextArrival();
        break;
      case DropPolicy::Decision::kStart:
        if (free_.empty() || idle_users_.empty()) return true;
        StartAction(intended, now, measured);
        LoadNextArrival();
        break;
    }
  }
  return false;
}

void Worker::Drop(std::int64_t intended) {
  ++result_.summary.schedule.dropped;
  intervals_.RecordDropped(intended);
  live_->dropped.fetch_add(1, std::memory_order_relaxed);
  if (metrics_ != nullptr) metrics_->RecordDropped();
}

void Worker::StartAction(std::int64_t intended, std::int64_t now, bool measured) {
  const std::uint32_t s = free_.back();
  free_.pop_back();
  Slot& slot = slots_[s];
  Action& a = slot.action;
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
  slot.clock.Begin(intended);
  live_->started.fetch_add(1, std::memory_order_relaxed);
  if (measured) {
    ++result_.summary.schedule.started;
    result_.summary.schedule_lag_us.Record(now - intended);
    intervals_.RecordStarted(intended, now - intended);
    if (metrics_ != nullptr) metrics_->RecordScheduleLag(now - intended);
  }
  Handle(s, scenario_->Begin(a), now);
}

void Worker::Handle(std::uint32_t s, Step step, std::int64_t now) {
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

void Worker::IssueReady() {
  while (!ready_.empty()) {
    std::swap(ready_, ready_swap_);  // issuing may queue more (synchronous failures)
    for (std::uint32_t s : ready_swap_) Issue(s);
    ready_swap_.clear();
  }
}

void Worker::Issue(std::uint32_t s) {
  Slot& slot = slots_[s];
  Action& a = slot.action;
  const std::int64_t now = NowUs();
  if (slot.pending == Step::kWrite && a.attempts >= config_.max_attempts) {
    if (a.measured) ++attempts_exhausted_;
    EndAction(s, false, now);
    return;
  }
  slot.block = XAsyncBlock{};
  slot.block.queue = pump_.queue();
  slot.block.context = &slot;
  slot.block.callback = &Worker::OnBlockDone;
  // The measurement rule: the action's first request from the action's
  // intended start, every later one from its send (measure.h).
  slot.request = slot.clock.Send(now);
  if (a.measured && slot.request.gap_us >= 0) {
    result_.summary.request_gap_us.Record(slot.request.gap_us);
  }
  slot.in_flight = true;
  AddInflight(1, now);
  XblContextHandle context = contexts_[a.user];
  if (slot.pending == Step::kWrite) {
    ++a.attempts;
    if (membership_ != nullptr) {
      if (const XblMultiplayerSessionReference* ref =
              XblMultiplayerSessionSessionReference(a.handle)) {
        slot.written = *ref;
        slot.ticket = membership_->WriteIssued(slot.written.SessionName);
        slot.ticketed = true;
      }
    }
    const HRESULT hr =
        XblMultiplayerWriteSessionAsync(context, a.handle, a.write_mode, &slot.block);
    if (FAILED(hr)) {
      const std::int64_t end = NowUs();
      slot.in_flight = false;
      AddInflight(-1, end);
      FinishWrite(s, hr, nullptr, end);
    }
  } else {
    const HRESULT hr = XblMultiplayerGetSessionAsync(context, &a.ref, &slot.block);
    if (FAILED(hr)) {
      const std::int64_t end = NowUs();
      slot.in_flight = false;
      AddInflight(-1, end);
      FinishRead(s, hr, nullptr, end);
    }
  }
}

void Worker::AddInflight(std::int64_t delta, std::int64_t now) {
  inflight_ = static_cast<std::uint32_t>(static_cast<std::int64_t>(inflight_) + delta);
  intervals_.RecordInflight(now, inflight_);
  live_->inflight.fetch_add(delta, std::memory_order_relaxed);
  if (metrics_ != nullptr) metrics_->AddInflight(delta);
}

void CALLBACK Worker::OnBlockDone(XAsyncBlock* block) {
  auto* slot = static_cast<Slot*>(block->context);
  slot->worker->Complete(*slot);
}

void Worker::Complete(Slot& slot) {
  const auto s = static_cast<std::uint32_t>(&slot - slots_.data());
  const std::int64_t now = NowUs();
  slot.in_flight = false;
  AddInflight(-1, now);
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
void Worker::NoteReachability(HRESULT hr, std::int64_t now) {
  const std::optional<WriteStatus> st = ClassifyWriteResult(hr, XblWriteSessionStatus::Updated);
  if (st && IsTransportFailure(*st)) {
    result_.last_failure_us = now;
    ++result_.transport_failures;
  } else if (st) {
    result_.last_response_us = now;
  }
}

void Worker::FinishRead(std::uint32_t s, HRESULT hr, XblMultiplayerSessionHandle h,
                        std::int64_t now) {
  if (hr == E_ABORT || stopping_) {
    Interrupt(s);
    return;
  }
  NoteReachability(hr, now);
  Slot& slot = slots_[s];
  if (membership_ != nullptr && SUCCEEDED(hr) && h != nullptr) {
    membership_->Observe(slot.action.ref.SessionName, ObserveSession(h, now));
  }
  slot.clock.Complete(now);
  if (slot.action.measured) RecordRead(slot, hr, now);
  Handle(s, scenario_->OnRead(slot.action, hr, SUCCEEDED(hr) ? h : nullptr), now);
}

void Worker::FinishWrite(std::uint32_t s, HRESULT hr, XblMultiplayerSessionHandle h,
                         std::int64_t now) {
  Slot& slot = slots_[s];
  Action& a = slot.action;
  const XblWriteSessionStatus write_status = SUCCEEDED(hr) && h != nullptr
                                                 ? XblMultiplayerSessionWriteStatus(h)
                                                 : XblWriteSessionStatus::Unknown;
  WriteOutcome w;
  w.status = ClassifyWriteResult(hr, write_status);
  w.hr = hr;
  w.result = h;
  w.send_us = slot.request.send_us;
  w.end_us = now;
  NoteWriteForMembership(slot, w.status, h, now);
  if (!w.status || stopping_) {
    scenario_->OnAbandonedWrite(a, w);
    Interrupt(s);
    return;
  }
  NoteReachability(hr, now);
  slot.clock.Complete(now);
  if (a.measured) RecordWrite(slot, *w.status, now);
  Handle(s, scenario_->OnWrite(a, w), now);
}

void Worker::NoteWriteForMembership(Slot& slot, const std::optional<WriteStatus>& status,
                                    XblMultiplayerSessionHandle h, std::int64_t now) {
  if (!slot.ticketed) return;
  slot.ticketed = false;
  const Action& a = slot.action;
  WriteFact fact;
  fact.xuid = plan_.users[a.user].xuid;
  fact.intent = a.kind < intents_.size() ? intents_[a.kind] : MembershipIntent::kNone;
  fact.outcome = OutcomeOf(status);
  // A 200/201 carries the new state, a 412 the winner's.
  const bool with_document =
      h != nullptr && status &&
      (fact.outcome == WriteFact::Outcome::kApplied || *status == WriteStatus::kOutOfSync);
  if (with_document) {
    const ObservedDocument response = ObserveSession(h, now);
    membership_->WriteCompleted(slot.written.SessionName, slot.ticket, fact, &response);
  } else {
    membership_->WriteCompleted(slot.written.SessionName, slot.ticket, fact, nullptr);
  }
}

void Worker::RecordRead(const Slot& slot, HRESULT hr, std::int64_t now) {
  const std::int64_t corrected = now - slot.request.intended_us;
  const std::int64_t uncorrected = now - slot.request.send_us;
  const bool failed = FAILED(hr);
  Summary& sum = result_.summary;
  ++sum.reads.total;
  if (failed) ++sum.reads.failed;
  sum.read_corrected_us.Record(corrected);
  sum.read_uncorrected_us.Record(uncorrected);
  // The failure breakdown, in the write vocabulary (a GET's 200: "updated").
  const std::optional<WriteStatus> st = ClassifyWriteResult(hr, XblWriteSessionStatus::Updated);
  ++reads_by_status_[WriteStatusIndex(st.value_or(WriteStatus::kTransportError))];
  intervals_.RecordRead(now, failed, corrected, uncorrected);
  if (metrics_ != nullptr) metrics_->RecordRead(corrected);
}

void Worker::RecordWrite(const Slot& slot, WriteStatus status, std::int64_t now) {
  const std::int64_t corrected = now - slot.request.intended_us;
  const std::int64_t uncorrected = now - slot.request.send_us;
  Summary& sum = result_.summary;
  ++sum.writes[status];
  sum.corrected_us.Record(corrected);
  sum.uncorrected_us.Record(uncorrected);
  intervals_.RecordWrite(now, status, corrected, uncorrected);
  // The session's popularity rank is its global index + 1 (summary.h).
  if (slot.action.session < plan_.sessions.size()) {
    RankCounts& r = ranks_[RankBucketIndex(std::uint64_t{plan_.sessions[slot.action.session]} + 1)];
    ++r.writes;
    if (status == WriteStatus::kOutOfSync) ++r.out_of_sync;
  }
  live_->writes[WriteStatusIndex(status)].fetch_add(1, std::memory_order_relaxed);
  live_->corrected_us.Record(corrected);
  if (metrics_ != nullptr) metrics_->RecordWrite(status, corrected, uncorrected);
}

void Worker::EndAction(std::uint32_t s, bool succeeded, std::int64_t now) {
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

void Worker::Interrupt(std::uint32_t s) {
  if (slots_[s].action.measured) ++result_.summary.actions.interrupted;
  Release(s);
}

void Worker::Release(std::uint32_t s) {
  Slot& slot = slots_[s];
  ResetActionHandle(slot.action, nullptr);
  slot.pending = Step::kFailed;
  idle_users_.push_back(slot.action.user);
  free_.push_back(s);
}

// ---- the end ----------------------------------------------------------------

void Worker::Shutdown() {
  stopping_ = true;
  // Arrivals of the measured phase that were due but could not start
  // before the end: dropped, not silently skipped. After an interrupt,
  // arrivals intended after the new end were never due: not planned.
  while (next_arrival_ && *next_arrival_ < end_us_) {
    if (*next_arrival_ >= warmup_end_us_) Drop(*next_arrival_);
    LoadNextArrival();
  }
  result_.pending_at_end = inflight_;
  for (Slot& slot : slots_) {
    if (slot.in_flight) XAsyncCancel(&slot.block);
  }
  const auto deadline = WorkerClock::now() + kCancelGrace;
  while (inflight_ > 0 && WorkerClock::now() < deadline) pump_.Poll(5);
  pump_.Dispatch();
  result_.stuck = inflight_;
}

void Worker::Collect() {
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
  s.interval_s = static_cast<double>(ToUs(config_.interval)) / 1e6;
  s.timeseries = intervals_.Finish();

  // Conflicts by popularity rank: every bucket that holds one of the
  // shard's sessions. The workers share them: worker 0 counts them.
  std::array<std::uint64_t, 64> sessions{};
  for (std::uint32_t k : plan_.sessions) ++sessions[RankBucketIndex(std::uint64_t{k} + 1)];
  for (std::size_t b = 0; b < sessions.size(); ++b) {
    if (sessions[b] == 0) continue;
    RankBucket bucket;
    bucket.rank_lo = std::uint64_t{1} << b;
    bucket.rank_hi = (std::uint64_t{2} << b) - 1;
    bucket.sessions = plan_.index == 0 ? sessions[b] : 0;
    bucket.writes = ranks_[b].writes;
    bucket.out_of_sync = ranks_[b].out_of_sync;
    s.by_rank.push_back(bucket);
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
  // How reads failed (their count is in `reads`).
  for (WriteStatus st : kAllWriteStatuses) {
    const std::uint64_t n = reads_by_status_[WriteStatusIndex(st)];
    if (n > 0 && st != WriteStatus::kUpdated) {
      out.stats.counters["read_" + std::string(WriteStatusName(st))] += n;
    }
  }
  s.scenario_stats = std::move(out.stats);
  result_.histories = std::move(out.histories);
}

void Worker::Teardown() {
  if (result_.stuck > 0) return;  // callbacks may still come: keep everything alive
  for (Slot& slot : slots_) ResetActionHandle(slot.action, nullptr);
  scenario_.reset();
  for (XblContextHandle c : contexts_) XblContextCloseHandle(c);
  contexts_.clear();
  pump_.Close();
}

}  // namespace sessionrig::loadgen
