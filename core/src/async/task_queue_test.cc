#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "XTaskQueue.h"

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kWaitLimit{10000};  // upper bound for anything expected to happen
constexpr XTaskQueuePort kPorts[] = {XTaskQueuePort::Work, XTaskQueuePort::Completion};

// Counts callbacks and lets a test wait (bounded) for a number of them.
class Counter {
 public:
  void Add(bool canceled = false) {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    if (canceled) ++canceled_;
    cv_.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  int canceled() {
    std::lock_guard<std::mutex> lock(mu_);
    return canceled_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
  int canceled_ = 0;
};

void CALLBACK CountCallback(void* context, bool canceled) {
  static_cast<Counter*>(context)->Add(canceled);
}

XTaskQueueHandle MakeQueue(XTaskQueueDispatchMode mode) {
  XTaskQueueHandle q = nullptr;
  EXPECT_EQ(XTaskQueueCreate(mode, mode, &q), S_OK);
  return q;
}

TEST(TaskQueueTest, CreateRejectsBadArguments) {
  XTaskQueueHandle q = nullptr;
  EXPECT_EQ(
      XTaskQueueCreate(XTaskQueueDispatchMode::Manual, XTaskQueueDispatchMode::Manual, nullptr),
      E_INVALIDARG);
  EXPECT_EQ(
      XTaskQueueCreate(static_cast<XTaskQueueDispatchMode>(42), XTaskQueueDispatchMode::Manual, &q),
      E_INVALIDARG);
  EXPECT_EQ(XTaskQueueSubmitCallback(nullptr, XTaskQueuePort::Work, nullptr, CountCallback),
            E_INVALIDARG);
}

TEST(TaskQueueTest, ManualRunsOnlyInsideDispatch) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual);
  for (XTaskQueuePort port : kPorts) {
    Counter counter;
    ASSERT_EQ(XTaskQueueSubmitCallback(q, port, &counter, CountCallback), S_OK);
    std::this_thread::sleep_for(milliseconds(50));
    EXPECT_EQ(counter.count(), 0);
    EXPECT_FALSE(XTaskQueueIsEmpty(q, port));
    EXPECT_TRUE(XTaskQueueDispatch(q, port, 0));
    EXPECT_EQ(counter.count(), 1);
    EXPECT_TRUE(XTaskQueueIsEmpty(q, port));
    EXPECT_FALSE(XTaskQueueDispatch(q, port, 0));
  }
  XTaskQueueCloseHandle(q);
}

TEST(TaskQueueTest, ManualDispatchWaitsUpToTimeout) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual);
  for (XTaskQueuePort port : kPorts) {
    // Nothing arrives: returns false, not before the timeout.
    auto start = Clock::now();
    EXPECT_FALSE(XTaskQueueDispatch(q, port, 100));
    EXPECT_GE(Clock::now() - start, milliseconds(100));

    // A callback submitted from another thread wakes the waiting dispatcher.
    Counter counter;
    std::thread submitter([&] {
      std::this_thread::sleep_for(milliseconds(50));
      EXPECT_EQ(XTaskQueueSubmitCallback(q, port, &counter, CountCallback), S_OK);
    });
    EXPECT_TRUE(XTaskQueueDispatch(q, port, static_cast<uint32_t>(kWaitLimit.count())));
    EXPECT_EQ(counter.count(), 1);
    submitter.join();
  }
  XTaskQueueCloseHandle(q);
}

TEST(TaskQueueTest, ManualDispatchOnOtherModesReturnsFalse) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::ThreadPool);
  EXPECT_FALSE(XTaskQueueDispatch(q, XTaskQueuePort::Work, 10));
  XTaskQueueCloseHandle(q);
}

TEST(TaskQueueTest, ImmediateRunsInlineOnSubmittingThread) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Immediate);
  for (XTaskQueuePort port : kPorts) {
    struct Seen {
      std::thread::id thread;
      int calls = 0;
    } seen;
    auto cb = [](void* context, bool canceled) {
      auto* s = static_cast<Seen*>(context);
      EXPECT_FALSE(canceled);
      s->thread = std::this_thread::get_id();
      ++s->calls;
    };
    ASSERT_EQ(XTaskQueueSubmitCallback(q, port, &seen, cb), S_OK);
    EXPECT_EQ(seen.calls, 1);  // already ran when Submit returned
    EXPECT_EQ(seen.thread, std::this_thread::get_id());
  }
  XTaskQueueCloseHandle(q);
}

struct SerialProbe {
  std::atomic<int> active{0};
  std::atomic<int> max_active{0};
  std::mutex mu;
  std::vector<int> order;  // Guarded by mu.
  Counter done;
};

struct SerialItem {
  SerialProbe* probe;
  int index;
};

void CALLBACK SerialCallback(void* context, bool /*canceled*/) {
  auto* item = static_cast<SerialItem*>(context);
  SerialProbe* p = item->probe;
  int now = p->active.fetch_add(1) + 1;
  int prev = p->max_active.load();
  while (now > prev && !p->max_active.compare_exchange_weak(prev, now)) {
  }
  std::this_thread::sleep_for(std::chrono::microseconds(200));
  {
    std::lock_guard<std::mutex> lock(p->mu);
    p->order.push_back(item->index);
  }
  p->active.fetch_sub(1);
  p->done.Add();
}

TEST(TaskQueueTest, SerializedThreadPoolNeverOverlapsAndKeepsOrder) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::SerializedThreadPool);
  constexpr int kCount = 100;
  for (XTaskQueuePort port : kPorts) {
    SerialProbe probe;
    std::vector<SerialItem> items;
    for (int i = 0; i < kCount; ++i) items.push_back(SerialItem{&probe, i});
    for (SerialItem& item : items) {
      ASSERT_EQ(XTaskQueueSubmitCallback(q, port, &item, SerialCallback), S_OK);
    }
    ASSERT_TRUE(probe.done.WaitFor(kCount));
    EXPECT_EQ(probe.max_active.load(), 1);
    std::lock_guard<std::mutex> lock(probe.mu);
    ASSERT_EQ(probe.order.size(), static_cast<size_t>(kCount));
    for (int i = 0; i < kCount; ++i) EXPECT_EQ(probe.order[static_cast<size_t>(i)], i);
  }
  XTaskQueueCloseHandle(q);
}

// Each callback waits until both are running at once: only a parallel port
// lets both finish.
struct Rendezvous {
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;  // Guarded by mu.
  int met = 0;      // callbacks that saw the other one. Guarded by mu.
  Counter done;
};

void CALLBACK RendezvousCallback(void* context, bool /*canceled*/) {
  auto* r = static_cast<Rendezvous*>(context);
  {
    std::unique_lock<std::mutex> lock(r->mu);
    ++r->arrived;
    r->cv.notify_all();
    if (r->cv.wait_for(lock, kWaitLimit, [r] { return r->arrived >= 2; })) ++r->met;
  }
  r->done.Add();
}

TEST(TaskQueueTest, ThreadPoolRunsInParallel) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::ThreadPool);
  for (XTaskQueuePort port : kPorts) {
    Rendezvous r;
    ASSERT_EQ(XTaskQueueSubmitCallback(q, port, &r, RendezvousCallback), S_OK);
    ASSERT_EQ(XTaskQueueSubmitCallback(q, port, &r, RendezvousCallback), S_OK);
    ASSERT_TRUE(r.done.WaitFor(2));
    std::lock_guard<std::mutex> lock(r.mu);
    EXPECT_EQ(r.met, 2);
  }
  XTaskQueueCloseHandle(q);
}

struct Timed {
  Clock::time_point fired;
  Counter done;
};

void CALLBACK TimedCallback(void* context, bool canceled) {
  auto* t = static_cast<Timed*>(context);
  t->fired = Clock::now();
  t->done.Add(canceled);
}

TEST(TaskQueueTest, DelayedCallbacksFireAfterTheDelay) {
  constexpr milliseconds kDelay{100};
  for (XTaskQueueDispatchMode mode :
       {XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::SerializedThreadPool,
        XTaskQueueDispatchMode::Immediate}) {
    XTaskQueueHandle q = MakeQueue(mode);
    for (XTaskQueuePort port : kPorts) {
      Timed t;
      auto start = Clock::now();
      ASSERT_EQ(XTaskQueueSubmitDelayedCallback(q, port, static_cast<uint32_t>(kDelay.count()), &t,
                                                TimedCallback),
                S_OK);
      EXPECT_FALSE(XTaskQueueIsEmpty(q, port));
      ASSERT_TRUE(t.done.WaitFor(1));
      EXPECT_GE(t.fired - start, kDelay);
      EXPECT_EQ(t.done.canceled(), 0);
    }
    XTaskQueueCloseHandle(q);
  }
}

TEST(TaskQueueTest, DelayedCallbackOnManualPortBecomesReadyAfterTheDelay) {
  constexpr milliseconds kDelay{100};
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual);
  for (XTaskQueuePort port : kPorts) {
    Timed t;
    auto start = Clock::now();
    ASSERT_EQ(XTaskQueueSubmitDelayedCallback(q, port, static_cast<uint32_t>(kDelay.count()), &t,
                                              TimedCallback),
              S_OK);
    EXPECT_FALSE(XTaskQueueIsEmpty(q, port));
    EXPECT_FALSE(XTaskQueueDispatch(q, port, 0));
    EXPECT_TRUE(XTaskQueueDispatch(q, port, static_cast<uint32_t>(kWaitLimit.count())));
    EXPECT_GE(t.fired - start, kDelay);
    EXPECT_TRUE(XTaskQueueIsEmpty(q, port));
  }
  XTaskQueueCloseHandle(q);
}

void CALLBACK TerminatedCallback(void* context) { static_cast<Counter*>(context)->Add(); }

TEST(TaskQueueTest, TerminateWithWaitRunsPendingCallbacksCanceled) {
  for (XTaskQueueDispatchMode mode :
       {XTaskQueueDispatchMode::Manual, XTaskQueueDispatchMode::ThreadPool,
        XTaskQueueDispatchMode::SerializedThreadPool}) {
    XTaskQueueHandle q = MakeQueue(mode);
    Counter pending;
    Counter terminated;
    // Delayed far beyond the test: Terminate must cancel them, not wait.
    for (XTaskQueuePort port : kPorts) {
      ASSERT_EQ(XTaskQueueSubmitDelayedCallback(q, port, 600000, &pending, CountCallback), S_OK);
    }
    int expected = 2;
    if (mode == XTaskQueueDispatchMode::Manual) {
      for (XTaskQueuePort port : kPorts) {
        ASSERT_EQ(XTaskQueueSubmitCallback(q, port, &pending, CountCallback), S_OK);
      }
      expected = 4;
    }
    ASSERT_EQ(XTaskQueueTerminate(q, true, &terminated, TerminatedCallback), S_OK);
    EXPECT_EQ(pending.count(), expected);
    EXPECT_EQ(pending.canceled(), expected);
    EXPECT_EQ(terminated.count(), 1);
    EXPECT_TRUE(XTaskQueueIsEmpty(q, XTaskQueuePort::Work));
    EXPECT_TRUE(XTaskQueueIsEmpty(q, XTaskQueuePort::Completion));
    EXPECT_EQ(XTaskQueueSubmitCallback(q, XTaskQueuePort::Work, &pending, CountCallback), E_ABORT);
    EXPECT_FALSE(XTaskQueueDispatch(q, XTaskQueuePort::Work, 0));
    XTaskQueueCloseHandle(q);
  }
}

TEST(TaskQueueTest, TerminateWaitsForRunningCallbacks) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::ThreadPool);
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  struct Ctx {
    std::atomic<bool>* started;
    std::atomic<bool>* finished;
  } ctx{&started, &finished};
  auto cb = [](void* context, bool) {
    auto* c = static_cast<Ctx*>(context);
    c->started->store(true);
    std::this_thread::sleep_for(milliseconds(100));
    c->finished->store(true);
  };
  ASSERT_EQ(XTaskQueueSubmitCallback(q, XTaskQueuePort::Work, &ctx, cb), S_OK);
  auto deadline = Clock::now() + kWaitLimit;
  while (!started.load() && Clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(started.load());
  ASSERT_EQ(XTaskQueueTerminate(q, true, nullptr, nullptr), S_OK);
  EXPECT_TRUE(finished.load());
  XTaskQueueCloseHandle(q);
}

TEST(TaskQueueTest, TerminateWithoutWaitCallsTerminatedCallbackLater) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual);
  Counter pending;
  Counter terminated;
  ASSERT_EQ(XTaskQueueSubmitCallback(q, XTaskQueuePort::Completion, &pending, CountCallback), S_OK);
  ASSERT_EQ(XTaskQueueTerminate(q, false, &terminated, TerminatedCallback), S_OK);
  ASSERT_TRUE(terminated.WaitFor(1));
  EXPECT_EQ(pending.count(), 1);
  EXPECT_EQ(pending.canceled(), 1);
  XTaskQueueCloseHandle(q);
}

TEST(TaskQueueTest, TerminateWithWaitFromOwnCallbackIsRefused) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual);
  struct Ctx {
    XTaskQueueHandle q;
    HRESULT hr = S_OK;
  } ctx{q};
  auto cb = [](void* context, bool) {
    auto* c = static_cast<Ctx*>(context);
    c->hr = XTaskQueueTerminate(c->q, true, nullptr, nullptr);
  };
  ASSERT_EQ(XTaskQueueSubmitCallback(q, XTaskQueuePort::Work, &ctx, cb), S_OK);
  ASSERT_TRUE(XTaskQueueDispatch(q, XTaskQueuePort::Work, 0));
  EXPECT_EQ(ctx.hr, E_ILLEGAL_METHOD_CALL);
  EXPECT_EQ(XTaskQueueTerminate(q, true, nullptr, nullptr), S_OK);
  XTaskQueueCloseHandle(q);
}

TEST(TaskQueueTest, ClosingLastHandleCancelsPendingCallbacks) {
  Counter pending;
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::ThreadPool);
  XTaskQueueHandle dup = nullptr;
  ASSERT_EQ(XTaskQueueDuplicateHandle(q, &dup), S_OK);
  ASSERT_EQ(
      XTaskQueueSubmitDelayedCallback(q, XTaskQueuePort::Work, 600000, &pending, CountCallback),
      S_OK);
  XTaskQueueCloseHandle(q);
  // One handle is still open: nothing is canceled.
  EXPECT_EQ(XTaskQueueSubmitCallback(dup, XTaskQueuePort::Work, &pending, CountCallback), S_OK);
  ASSERT_TRUE(pending.WaitFor(1));
  EXPECT_EQ(pending.canceled(), 0);
  XTaskQueueCloseHandle(dup);
  ASSERT_TRUE(pending.WaitFor(2));
  EXPECT_EQ(pending.canceled(), 1);
}

TEST(TaskQueueTest, ProcessDefaultQueueGetAndSet) {
  XTaskQueueHandle original = nullptr;
  ASSERT_TRUE(XTaskQueueGetCurrentProcessTaskQueue(&original));
  ASSERT_NE(original, nullptr);

  // The default queue is a ThreadPool queue: callbacks run without dispatch.
  Counter counter;
  ASSERT_EQ(XTaskQueueSubmitCallback(original, XTaskQueuePort::Completion, &counter, CountCallback),
            S_OK);
  ASSERT_TRUE(counter.WaitFor(1));

  XTaskQueueSetCurrentProcessTaskQueue(nullptr);
  XTaskQueueHandle none = nullptr;
  EXPECT_FALSE(XTaskQueueGetCurrentProcessTaskQueue(&none));

  XTaskQueueHandle manual = MakeQueue(XTaskQueueDispatchMode::Manual);
  XTaskQueueSetCurrentProcessTaskQueue(manual);
  XTaskQueueHandle got = nullptr;
  ASSERT_TRUE(XTaskQueueGetCurrentProcessTaskQueue(&got));
  EXPECT_EQ(got, manual);
  XTaskQueueCloseHandle(got);
  XTaskQueueCloseHandle(manual);  // the process default keeps its own reference
  ASSERT_TRUE(XTaskQueueGetCurrentProcessTaskQueue(&got));
  EXPECT_EQ(XTaskQueueSubmitCallback(got, XTaskQueuePort::Work, &counter, CountCallback), S_OK);
  EXPECT_TRUE(XTaskQueueDispatch(got, XTaskQueuePort::Work, 0));
  XTaskQueueCloseHandle(got);

  XTaskQueueSetCurrentProcessTaskQueue(original);
  XTaskQueueCloseHandle(original);
}

}  // namespace
