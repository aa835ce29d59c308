// XTaskQueue on Linux: queues with two ports over one process-wide pool of
// worker threads. See XTaskQueue.h for the contract.
//
// Pieces:
//  - ThreadPool: a fixed set of detached worker threads with a ready list and
//    a timer map (delayed callbacks wait in the pool's timed condition wait).
//    It is created on first use and never destroyed, so it stays reachable
//    (no leak report) and no callback can race a static destructor at exit.
//  - XTaskQueueObject: per port a FIFO of ready callbacks; ThreadPool ports
//    post one pool task per callback, SerializedThreadPool ports keep at most
//    one "drain" task in the pool, Manual ports wait for XTaskQueueDispatch,
//    Immediate ports run inline.
//  - Every accepted callback is counted in `outstanding_` until it has run
//    (normally or canceled); termination completes when that count reaches
//    zero, which is when the terminated callbacks run.
// Lock order: XTaskQueueObject::mu_ before ThreadPool::mu_.
// No lock is held while a user callback runs. The locks and what they guard
// are annotated for clang's thread-safety analysis (scripts/lint).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <new>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "XTaskQueue.h"
#include "sessionrig/thread_annotations.h"

namespace {

using Clock = std::chrono::steady_clock;
using sessionrig::Mutex;
using sessionrig::MutexLock;

// A unit of pool work: a plain function and its argument (no allocation).
struct PoolTask {
  void (*fn)(void* arg) = nullptr;
  void* arg = nullptr;
};

// Key of a delayed task: due time, then a unique sequence number.
using TimerKey = std::pair<Clock::time_point, uint64_t>;

class ThreadPool {
 public:
  // The process-wide pool, created on first use and intentionally never
  // destroyed (its threads run until the process exits).
  static ThreadPool& Instance() {
    static ThreadPool* const pool = new ThreadPool();
    return *pool;
  }

  // Runs `task` on a pool thread as soon as one is free.
  void Post(PoolTask task) {
    {
      MutexLock lock(mu_);
      ready_.push_back(task);
    }
    cv_.notify_one();
  }

  // Runs `task` on a pool thread at `due` or later. Returns the key that
  // CancelDelayed takes.
  TimerKey PostAt(Clock::time_point due, PoolTask task) {
    TimerKey key;
    bool earliest = false;
    {
      MutexLock lock(mu_);
      key = TimerKey(due, ++timer_seq_);
      auto it = timers_.emplace(key, task).first;
      earliest = it == timers_.begin();
    }
    // Only a new earliest timer changes how long idle workers must sleep.
    if (earliest) cv_.notify_one();
    return key;
  }

  // Removes a delayed task that has not started. Returns false if it already
  // fired (then it runs, or ran, on a pool thread).
  bool CancelDelayed(const TimerKey& key) {
    MutexLock lock(mu_);
    return timers_.erase(key) == 1;
  }

 private:
  ThreadPool() {
    unsigned n = std::max(4u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) std::thread([this] { Run(); }).detach();
  }

  void Run() {
    MutexLock lock(mu_);
    for (;;) {
      if (!timers_.empty() && timers_.begin()->first.first <= Clock::now()) {
        PoolTask task = timers_.begin()->second;
        timers_.erase(timers_.begin());
        // Another worker may have to sleep until the next timer now.
        if (!timers_.empty()) cv_.notify_one();
        lock.Unlock();
        task.fn(task.arg);
        lock.Lock();
        continue;
      }
      if (!ready_.empty()) {
        PoolTask task = ready_.front();
        ready_.pop_front();
        lock.Unlock();
        task.fn(task.arg);
        lock.Lock();
        continue;
      }
      if (timers_.empty()) {
        lock.Wait(cv_);
      } else {
        // A copy: the map node may be erased by another worker during the wait.
        Clock::time_point due = timers_.begin()->first.first;
        lock.WaitUntil(cv_, due);
      }
    }
  }

  Mutex mu_;
  std::condition_variable cv_;
  std::deque<PoolTask> ready_ GUARDED_BY(mu_);
  std::map<TimerKey, PoolTask> timers_ GUARDED_BY(mu_);
  uint64_t timer_seq_ GUARDED_BY(mu_) = 0;
};

struct Entry {
  void* context = nullptr;
  XTaskQueueCallback* callback = nullptr;
};

// Set while a callback of a queue runs on this thread, so that a waiting
// XTaskQueueTerminate from inside one of its own callbacks is refused
// instead of waiting for itself.
thread_local XTaskQueueObject* tls_running_queue = nullptr;

constexpr int kSerializedBatch = 16;  // callbacks one drain task runs before yielding

}  // namespace

struct XTaskQueueObject {
  struct Port;

  // A delayed callback waiting in the pool's timer map. Owns one reference
  // to the queue.
  struct Delayed {
    XTaskQueueObject* queue = nullptr;
    Port* port = nullptr;
    Entry entry;
    TimerKey key;
  };

  // What of a port never changes after construction.
  struct Port {
    XTaskQueueObject* queue = nullptr;
    XTaskQueueDispatchMode mode = XTaskQueueDispatchMode::ThreadPool;
    int index = 0;               // of its PortState in state_
    std::condition_variable cv;  // Manual: signalled on ready / terminate.
  };
  // What of a port changes: guarded by the queue's mu_.
  struct PortState {
    std::deque<Entry> ready;
    uint32_t delayed = 0;       // delayed callbacks not yet ready
    bool drain_posted = false;  // SerializedThreadPool: a drain task exists
  };

  XTaskQueueObject(XTaskQueueDispatchMode work, XTaskQueueDispatchMode completion) {
    ports_[0].queue = this;
    ports_[0].mode = work;
    ports_[0].index = 0;
    ports_[1].queue = this;
    ports_[1].mode = completion;
    ports_[1].index = 1;
  }

  Port& port(XTaskQueuePort p) { return ports_[p == XTaskQueuePort::Work ? 0 : 1]; }

  void AddRef() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Release() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  void AddHandleRef() { handle_refs_.fetch_add(1, std::memory_order_relaxed); }
  void CloseHandle() {
    if (handle_refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Terminate(false, nullptr, nullptr);
      Release();  // the reference all handles shared
    }
  }

  HRESULT Submit(XTaskQueuePort p, uint32_t delay_ms, Entry entry) {
    Port& port_ref = port(p);
    MutexLock lock(mu_);
    if (terminating_) return E_ABORT;
    ++outstanding_;
    if (delay_ms > 0) {
      auto* delayed = new Delayed();
      delayed->queue = this;
      delayed->port = &port_ref;
      delayed->entry = entry;
      ++state_[port_ref.index].delayed;
      delayed_.insert(delayed);
      AddRef();
      // FireDelayed takes mu_ first, so it cannot read `key` before it is set.
      delayed->key = ThreadPool::Instance().PostAt(
          Clock::now() + std::chrono::milliseconds(delay_ms), PoolTask{&FireDelayed, delayed});
      return S_OK;
    }
    if (Enqueue(port_ref, entry)) {
      lock.Unlock();
      RunEntry(entry, false);
    }
    return S_OK;
  }

  bool Dispatch(XTaskQueuePort p, uint32_t timeout_ms) {
    Port& port_ref = port(p);
    if (port_ref.mode != XTaskQueueDispatchMode::Manual) return false;
    const int i = port_ref.index;
    MutexLock lock(mu_);
    // (Guarded state is always named in full, never through a reference:
    // the thread-safety analysis checks member accesses, not aliases.)
    if (timeout_ms == UINT32_MAX) {
      while (state_[i].ready.empty() && !terminating_) lock.Wait(port_ref.cv);
    } else if (timeout_ms > 0) {
      const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
      while (state_[i].ready.empty() && !terminating_ && lock.WaitUntil(port_ref.cv, deadline)) {
      }
    }
    if (state_[i].ready.empty()) return false;
    Entry entry = state_[i].ready.front();
    state_[i].ready.pop_front();
    lock.Unlock();
    RunEntry(entry, false);
    return true;
  }

  bool IsEmpty(XTaskQueuePort p) {
    Port& port_ref = port(p);
    MutexLock lock(mu_);
    return state_[port_ref.index].ready.empty() && state_[port_ref.index].delayed == 0;
  }

  HRESULT Terminate(bool wait, void* context, XTaskQueueTerminatedCallback* callback) {
    MutexLock lock(mu_);
    if (wait && tls_running_queue == this) return E_ILLEGAL_METHOD_CALL;
    if (terminated_fired_) {
      // Already done: the new callback has nothing left to wait for.
      lock.Unlock();
      if (callback != nullptr) callback(context);
      return S_OK;
    }
    if (callback != nullptr) terminated_callbacks_.emplace_back(callback, context);
    if (!terminating_) {
      terminating_ = true;
      auto* job = new TerminateJob();
      job->queue = this;
      for (Port& p : ports_) {
        for (const Entry& e : state_[p.index].ready) job->canceled.push_back(e);
        state_[p.index].ready.clear();
        p.cv.notify_all();
      }
      job->delayed.assign(delayed_.begin(), delayed_.end());
      delayed_.clear();
      AddRef();  // owned by the job
      lock.Unlock();
      if (wait) {
        RunTerminateJob(job);
      } else {
        ThreadPool::Instance().Post(PoolTask{&RunTerminateJob, job});
      }
      lock.Lock();
    }
    if (wait) {
      while (!terminated_) lock.Wait(terminated_cv_);
    }
    return S_OK;
  }

 private:
  // Pending work taken by Terminate: runs it canceled, then checks whether
  // termination is complete. Owns one reference to the queue.
  struct TerminateJob {
    XTaskQueueObject* queue = nullptr;
    std::vector<Entry> canceled;
    std::vector<Delayed*> delayed;
  };

  ~XTaskQueueObject() = default;

  static void RunTerminateJob(void* arg) {
    auto* job = static_cast<TerminateJob*>(arg);
    XTaskQueueObject* q = job->queue;
    for (Delayed* d : job->delayed) {
      // A timer that already fired is handled by FireDelayed (it sees
      // terminating_ and runs the callback canceled).
      if (!ThreadPool::Instance().CancelDelayed(d->key)) continue;
      {
        MutexLock lock(q->mu_);
        --q->state_[d->port->index].delayed;
      }
      q->RunEntry(d->entry, true);
      delete d;
      q->Release();
    }
    for (const Entry& e : job->canceled) q->RunEntry(e, true);
    q->MaybeFinishTermination();
    delete job;
    q->Release();
  }

  // Queues `entry` as ready on `p` according to the port's mode. Returns
  // true when the caller must run it now, after releasing mu_ (Immediate).
  bool Enqueue(Port& p, Entry entry) REQUIRES(mu_) {
    switch (p.mode) {
      case XTaskQueueDispatchMode::Immediate:
        return true;
      case XTaskQueueDispatchMode::Manual:
        state_[p.index].ready.push_back(entry);
        p.cv.notify_one();
        return false;
      case XTaskQueueDispatchMode::ThreadPool:
        state_[p.index].ready.push_back(entry);
        AddRef();  // owned by the pool task
        ThreadPool::Instance().Post(PoolTask{&RunOneTask, &p});
        return false;
      case XTaskQueueDispatchMode::SerializedThreadPool:
        state_[p.index].ready.push_back(entry);
        if (!state_[p.index].drain_posted) {
          state_[p.index].drain_posted = true;
          AddRef();  // owned by the drain task
          ThreadPool::Instance().Post(PoolTask{&DrainTask, &p});
        }
        return false;
    }
    return false;
  }

  // Runs one callback and accounts for it. No lock held.
  void RunEntry(const Entry& entry, bool canceled) {
    XTaskQueueObject* previous = tls_running_queue;
    tls_running_queue = this;
    entry.callback(entry.context, canceled);
    tls_running_queue = previous;
    bool finishing = false;
    {
      MutexLock lock(mu_);
      --outstanding_;
      // Checked here too, so that a callback of a live queue takes the lock once.
      finishing = terminating_ && outstanding_ == 0 && !terminated_fired_;
    }
    if (finishing) MaybeFinishTermination();
  }

  // Runs the terminated callbacks once the queue is terminating and every
  // accepted callback has run.
  void MaybeFinishTermination() {
    std::vector<std::pair<XTaskQueueTerminatedCallback*, void*>> callbacks;
    {
      MutexLock lock(mu_);
      if (!terminating_ || outstanding_ != 0 || terminated_fired_) return;
      terminated_fired_ = true;
      callbacks.swap(terminated_callbacks_);
    }
    for (auto& [callback, context] : callbacks) callback(context);
    {
      MutexLock lock(mu_);
      terminated_ = true;
    }
    terminated_cv_.notify_all();
  }

  // Pool task of a ThreadPool port: runs the oldest ready callback, if any
  // (Terminate may have taken it). Owns one queue reference.
  static void RunOneTask(void* arg) {
    auto* p = static_cast<Port*>(arg);
    XTaskQueueObject* q = p->queue;
    MutexLock lock(q->mu_);
    if (!q->state_[p->index].ready.empty()) {
      Entry entry = q->state_[p->index].ready.front();
      q->state_[p->index].ready.pop_front();
      lock.Unlock();
      q->RunEntry(entry, false);
    } else {
      lock.Unlock();
    }
    q->Release();
  }

  // Pool task of a SerializedThreadPool port: the only task running its
  // callbacks, in order. Owns one queue reference, which it hands to its
  // re-posted successor when it yields.
  static void DrainTask(void* arg) {
    auto* p = static_cast<Port*>(arg);
    XTaskQueueObject* q = p->queue;
    for (int i = 0; i < kSerializedBatch; ++i) {
      MutexLock lock(q->mu_);
      if (q->state_[p->index].ready.empty()) {
        q->state_[p->index].drain_posted = false;
        lock.Unlock();
        q->Release();
        return;
      }
      Entry entry = q->state_[p->index].ready.front();
      q->state_[p->index].ready.pop_front();
      lock.Unlock();
      q->RunEntry(entry, false);
    }
    // Yield the pool thread so other queues get a turn.
    ThreadPool::Instance().Post(PoolTask{&DrainTask, p});
  }

  // Pool timer task of a delayed callback: makes it ready (or runs it
  // canceled if the queue is terminating). Owns the Delayed and its reference.
  static void FireDelayed(void* arg) {
    auto* d = static_cast<Delayed*>(arg);
    XTaskQueueObject* q = d->queue;
    MutexLock lock(q->mu_);
    q->delayed_.erase(d);
    --q->state_[d->port->index].delayed;
    if (q->terminating_) {
      lock.Unlock();
      q->RunEntry(d->entry, true);
    } else if (q->Enqueue(*d->port, d->entry)) {
      lock.Unlock();
      q->RunEntry(d->entry, false);
    }
    delete d;
    q->Release();
  }

  // Internal lifetime: one reference shared by all handles, plus one per
  // pool task, timer, drain task and terminate job that points at the queue.
  std::atomic<int32_t> refs_{1};
  std::atomic<int32_t> handle_refs_{1};  // open handles

  Mutex mu_;  // taken before the pool's (Post and PostAt run under it)
  Port ports_[2];
  PortState state_[2] GUARDED_BY(mu_);
  uint64_t outstanding_ GUARDED_BY(mu_) = 0;              // accepted, not yet run
  std::unordered_set<Delayed*> delayed_ GUARDED_BY(mu_);  // in the pool's timer map
  bool terminating_ GUARDED_BY(mu_) = false;              // no new callbacks
  bool terminated_fired_ GUARDED_BY(mu_) = false;         // terminated callbacks taken
  bool terminated_ GUARDED_BY(mu_) = false;               // terminated callbacks returned
  std::vector<std::pair<XTaskQueueTerminatedCallback*, void*>> terminated_callbacks_
      GUARDED_BY(mu_);
  std::condition_variable terminated_cv_;  // signalled when terminated_ becomes true
};

namespace {

bool ValidMode(XTaskQueueDispatchMode mode) {
  switch (mode) {
    case XTaskQueueDispatchMode::Manual:
    case XTaskQueueDispatchMode::ThreadPool:
    case XTaskQueueDispatchMode::SerializedThreadPool:
    case XTaskQueueDispatchMode::Immediate:
      return true;
  }
  return false;
}

bool ValidPort(XTaskQueuePort port) {
  return port == XTaskQueuePort::Work || port == XTaskQueuePort::Completion;
}

// The process default queue. Never destroyed (reachable at exit).
struct DefaultQueue {
  Mutex mu;
  bool initialized GUARDED_BY(mu) = false;
  XTaskQueueObject* queue GUARDED_BY(mu) = nullptr;  // one handle reference
};

DefaultQueue& Default() {
  static DefaultQueue* const d = new DefaultQueue();
  return *d;
}

}  // namespace

STDAPI XTaskQueueCreate(XTaskQueueDispatchMode workDispatchMode,
                        XTaskQueueDispatchMode completionDispatchMode,
                        XTaskQueueHandle* queue) XBL_NOEXCEPT {
  if (queue == nullptr || !ValidMode(workDispatchMode) || !ValidMode(completionDispatchMode)) {
    return E_INVALIDARG;
  }
  auto* q = new (std::nothrow) XTaskQueueObject(workDispatchMode, completionDispatchMode);
  if (q == nullptr) return E_OUTOFMEMORY;
  *queue = q;
  return S_OK;
}

STDAPI XTaskQueueDuplicateHandle(XTaskQueueHandle queueHandle,
                                 XTaskQueueHandle* duplicatedHandle) XBL_NOEXCEPT {
  if (queueHandle == nullptr || duplicatedHandle == nullptr) return E_INVALIDARG;
  queueHandle->AddHandleRef();
  *duplicatedHandle = queueHandle;
  return S_OK;
}

STDAPI_(void) XTaskQueueCloseHandle(XTaskQueueHandle queue) XBL_NOEXCEPT {
  if (queue != nullptr) queue->CloseHandle();
}

STDAPI XTaskQueueTerminate(XTaskQueueHandle queue, bool wait, void* callbackContext,
                           XTaskQueueTerminatedCallback* callback) XBL_NOEXCEPT {
  if (queue == nullptr) return E_INVALIDARG;
  return queue->Terminate(wait, callbackContext, callback);
}

STDAPI XTaskQueueSubmitCallback(XTaskQueueHandle queue, XTaskQueuePort port, void* callbackContext,
                                XTaskQueueCallback* callback) XBL_NOEXCEPT {
  return XTaskQueueSubmitDelayedCallback(queue, port, 0, callbackContext, callback);
}

STDAPI XTaskQueueSubmitDelayedCallback(XTaskQueueHandle queue, XTaskQueuePort port,
                                       uint32_t delayMs, void* callbackContext,
                                       XTaskQueueCallback* callback) XBL_NOEXCEPT {
  if (queue == nullptr || callback == nullptr || !ValidPort(port)) return E_INVALIDARG;
  return queue->Submit(port, delayMs, Entry{callbackContext, callback});
}

STDAPI_(bool)
XTaskQueueDispatch(XTaskQueueHandle queue, XTaskQueuePort port, uint32_t timeoutInMs) XBL_NOEXCEPT {
  if (queue == nullptr || !ValidPort(port)) return false;
  return queue->Dispatch(port, timeoutInMs);
}

STDAPI_(bool) XTaskQueueIsEmpty(XTaskQueueHandle queue, XTaskQueuePort port) XBL_NOEXCEPT {
  if (queue == nullptr || !ValidPort(port)) return true;
  return queue->IsEmpty(port);
}

STDAPI_(bool) XTaskQueueGetCurrentProcessTaskQueue(XTaskQueueHandle* queue) XBL_NOEXCEPT {
  if (queue == nullptr) return false;
  DefaultQueue& d = Default();
  MutexLock lock(d.mu);
  if (!d.initialized) {
    d.initialized = true;
    d.queue = new (std::nothrow)
        XTaskQueueObject(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  }
  if (d.queue == nullptr) return false;
  d.queue->AddHandleRef();
  *queue = d.queue;
  return true;
}

STDAPI_(void) XTaskQueueSetCurrentProcessTaskQueue(XTaskQueueHandle queue) XBL_NOEXCEPT {
  if (queue != nullptr) queue->AddHandleRef();
  XTaskQueueObject* old = nullptr;
  {
    DefaultQueue& d = Default();
    MutexLock lock(d.mu);
    old = d.queue;
    d.queue = queue;
    d.initialized = true;
  }
  if (old != nullptr) old->CloseHandle();
}
