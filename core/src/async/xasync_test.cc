#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "XAsyncProvider.h"

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kWaitLimit{10000};  // upper bound for anything expected to happen

// Spins (bounded) until `pred` holds.
template <typename Pred>
bool Eventually(Pred pred) {
  auto deadline = Clock::now() + kWaitLimit;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

const int kTestIdentity = 0;
const int kOtherIdentity = 0;

// A provider whose behaviour the test sets up. Outlives the call (owned by
// the test), so Cleanup only counts.
struct TestProvider {
  // What the call does.
  bool schedule = true;   // Begin schedules DoWork; else the test completes
  uint32_t delay_ms = 0;  // DoWork delay
  HRESULT result = S_OK;  // DoWork's completion
  size_t payload_size = sizeof(uint64_t);
  uint64_t payload = 0x1234567890abcdefull;
  bool complete_on_cancel = true;
  HRESULT begin_result = S_OK;

  std::atomic<int> begins{0};
  std::atomic<int> works{0};
  std::atomic<int> results{0};
  std::atomic<int> cancels{0};
  std::atomic<int> cleanups{0};

  static HRESULT CALLBACK Provide(XAsyncOp op, const XAsyncProviderData* data) {
    auto* p = static_cast<TestProvider*>(data->context);
    switch (op) {
      case XAsyncOp::Begin:
        p->begins++;
        if (FAILED(p->begin_result)) return p->begin_result;
        return p->schedule ? XAsyncSchedule(data->async, p->delay_ms) : S_OK;
      case XAsyncOp::DoWork:
        p->works++;
        XAsyncComplete(data->async, p->result, p->payload_size);
        return E_PENDING;
      case XAsyncOp::GetResult:
        p->results++;
        EXPECT_GE(data->bufferSize, p->payload_size);
        std::memcpy(data->buffer, &p->payload, p->payload_size);
        return S_OK;
      case XAsyncOp::Cancel:
        p->cancels++;
        if (p->complete_on_cancel) XAsyncComplete(data->async, E_ABORT, 0);
        return S_OK;
      case XAsyncOp::Cleanup:
        p->cleanups++;
        return S_OK;
    }
    return S_OK;
  }

  HRESULT Begin(XAsyncBlock* block) {
    return XAsyncBegin(block, this, &kTestIdentity, "TestProvider", Provide);
  }
};

// Records the completion callback.
struct CallbackProbe {
  std::atomic<int> calls{0};
  std::atomic<HRESULT> status_in_callback{E_FAIL};
  std::thread::id thread;  // written in the callback, read after GetStatus(wait)

  static void CALLBACK OnDone(XAsyncBlock* block) {
    auto* probe = static_cast<CallbackProbe*>(block->context);
    probe->thread = std::this_thread::get_id();
    probe->status_in_callback = XAsyncGetStatus(block, false);
    probe->calls++;
  }
};

XTaskQueueHandle MakeQueue(XTaskQueueDispatchMode work, XTaskQueueDispatchMode completion) {
  XTaskQueueHandle q = nullptr;
  EXPECT_EQ(XTaskQueueCreate(work, completion, &q), S_OK);
  return q;
}

TEST(XAsyncTest, CompletionCallbackRunsOnCompletionPort) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual, XTaskQueueDispatchMode::Manual);
  TestProvider provider;
  CallbackProbe probe;
  XAsyncBlock block{};
  block.queue = q;
  block.context = &probe;
  block.callback = CallbackProbe::OnDone;
  ASSERT_EQ(provider.Begin(&block), S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, false), E_PENDING);
  size_t size = 0;
  EXPECT_EQ(XAsyncGetResultSize(&block, &size), E_PENDING);

  // DoWork runs only when the Work port is pumped; then the call is complete
  // but its callback waits for the Completion port.
  EXPECT_FALSE(XTaskQueueDispatch(q, XTaskQueuePort::Completion, 0));
  ASSERT_TRUE(XTaskQueueDispatch(q, XTaskQueuePort::Work, 0));
  EXPECT_EQ(provider.works.load(), 1);
  EXPECT_EQ(XAsyncGetStatus(&block, false), S_OK);
  EXPECT_EQ(probe.calls.load(), 0);
  ASSERT_TRUE(XTaskQueueDispatch(q, XTaskQueuePort::Completion, 0));
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_EQ(probe.thread, std::this_thread::get_id());
  EXPECT_EQ(probe.status_in_callback.load(), S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, true), S_OK);

  uint64_t value = 0;
  size_t used = 0;
  ASSERT_EQ(XAsyncGetResult(&block, &kTestIdentity, sizeof(value), &value, &used), S_OK);
  EXPECT_EQ(value, provider.payload);
  EXPECT_EQ(used, sizeof(value));
  EXPECT_EQ(provider.cleanups.load(), 1);
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, GetStatusWaitReturnsAfterCallbackReturned) {
  XTaskQueueHandle q =
      MakeQueue(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  TestProvider provider;
  provider.payload_size = 0;
  struct Ctx {
    std::atomic<bool> callback_returned{false};
  } ctx;
  XAsyncBlock block{};
  block.queue = q;
  block.context = &ctx;
  block.callback = [](XAsyncBlock* b) {
    std::this_thread::sleep_for(milliseconds(100));
    static_cast<Ctx*>(b->context)->callback_returned = true;
  };
  ASSERT_EQ(provider.Begin(&block), S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, true), S_OK);
  EXPECT_TRUE(ctx.callback_returned.load());
  EXPECT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, ResultSizeAndResultReadOnce) {
  XTaskQueueHandle q =
      MakeQueue(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  TestProvider provider;
  XAsyncBlock block{};
  block.queue = q;
  ASSERT_EQ(provider.Begin(&block), S_OK);
  ASSERT_EQ(XAsyncGetStatus(&block, true), S_OK);
  size_t size = 0;
  ASSERT_EQ(XAsyncGetResultSize(&block, &size), S_OK);
  EXPECT_EQ(size, sizeof(uint64_t));
  EXPECT_EQ(provider.cleanups.load(), 0);  // the payload is still unread

  uint64_t value = 0;
  uint32_t small = 0;
  EXPECT_EQ(XAsyncGetResult(&block, &kTestIdentity, sizeof(small), &small, nullptr), E_INVALIDARG);
  EXPECT_EQ(XAsyncGetResult(&block, &kOtherIdentity, sizeof(value), &value, nullptr), E_INVALIDARG);
  ASSERT_EQ(XAsyncGetResult(&block, &kTestIdentity, sizeof(value), &value, nullptr), S_OK);
  EXPECT_EQ(value, provider.payload);
  EXPECT_EQ(XAsyncGetResult(&block, &kTestIdentity, sizeof(value), &value, nullptr),
            E_ILLEGAL_METHOD_CALL);
  EXPECT_EQ(XAsyncGetResultSize(&block, &size), E_ILLEGAL_METHOD_CALL);
  EXPECT_EQ(XAsyncGetStatus(&block, false), S_OK);
  EXPECT_EQ(provider.results.load(), 1);
  // Cleanup also waits for the DoWork op to return on its pool thread, which
  // may still be finishing after the completion callback (and so the wait
  // above) was done: it runs on whichever thread ends last.
  EXPECT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, ReusingInFlightBlockIsRejected) {
  XTaskQueueHandle q =
      MakeQueue(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  TestProvider provider;
  provider.schedule = false;  // completes only when the test says so
  provider.payload_size = 0;
  XAsyncBlock block{};
  block.queue = q;
  ASSERT_EQ(provider.Begin(&block), S_OK);
  TestProvider second;
  EXPECT_EQ(second.Begin(&block), E_INVALIDARG);
  EXPECT_EQ(second.begins.load(), 0);
  EXPECT_EQ(XAsyncGetStatus(&block, false), E_PENDING);  // the first call is untouched

  XAsyncComplete(&block, S_OK, 0);
  ASSERT_EQ(XAsyncGetStatus(&block, true), S_OK);
  EXPECT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));

  // A completed block may be reused.
  second.payload_size = 0;
  ASSERT_EQ(second.Begin(&block), S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, true), S_OK);
  EXPECT_TRUE(Eventually([&] { return second.cleanups.load() == 1; }));
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, FailedCallHasItsHResultAndNoPayload) {
  XTaskQueueHandle q =
      MakeQueue(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  TestProvider provider;
  provider.result = HTTP_E_STATUS_NOT_FOUND;
  XAsyncBlock block{};
  block.queue = q;
  ASSERT_EQ(provider.Begin(&block), S_OK);
  ASSERT_EQ(XAsyncGetStatus(&block, true), HTTP_E_STATUS_NOT_FOUND);
  size_t size = 99;
  EXPECT_EQ(XAsyncGetResultSize(&block, &size), HTTP_E_STATUS_NOT_FOUND);
  EXPECT_EQ(size, 0u);
  uint64_t value = 0;
  EXPECT_EQ(XAsyncGetResult(&block, &kTestIdentity, sizeof(value), &value, nullptr),
            HTTP_E_STATUS_NOT_FOUND);
  // Read once, like a success (libHttpClient would repeat the failure; the
  // write contract says a second Result call is E_ILLEGAL_METHOD_CALL).
  EXPECT_EQ(XAsyncGetResult(&block, &kTestIdentity, sizeof(value), &value, nullptr),
            E_ILLEGAL_METHOD_CALL);
  EXPECT_EQ(XAsyncGetStatus(&block, false), HTTP_E_STATUS_NOT_FOUND);
  EXPECT_EQ(provider.results.load(), 0);
  EXPECT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, CancelCompletesWithAbortAndCleansUpOnce) {
  XTaskQueueHandle q =
      MakeQueue(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  TestProvider provider;
  provider.schedule = false;  // would never complete by itself
  CallbackProbe probe;
  XAsyncBlock block{};
  block.queue = q;
  block.context = &probe;
  block.callback = CallbackProbe::OnDone;
  ASSERT_EQ(provider.Begin(&block), S_OK);
  XAsyncCancel(&block);
  EXPECT_EQ(XAsyncGetStatus(&block, true), E_ABORT);
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_EQ(probe.status_in_callback.load(), E_ABORT);
  XAsyncCancel(&block);  // no effect on a completed call
  EXPECT_EQ(provider.cancels.load(), 1);
  size_t size = 0;
  EXPECT_EQ(XAsyncGetResultSize(&block, &size), E_ABORT);
  EXPECT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(provider.cleanups.load(), 1);
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, CancelRacingCompletionCompletesOnce) {
  XTaskQueueHandle q =
      MakeQueue(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  constexpr int kRounds = 300;
  int aborted = 0;
  for (int i = 0; i < kRounds; ++i) {
    TestProvider provider;
    provider.payload_size = 0;
    CallbackProbe probe;
    XAsyncBlock block{};
    block.queue = q;
    block.context = &probe;
    block.callback = CallbackProbe::OnDone;
    ASSERT_EQ(provider.Begin(&block), S_OK);
    if (i % 2 == 1) std::this_thread::yield();
    XAsyncCancel(&block);
    HRESULT hr = XAsyncGetStatus(&block, true);
    ASSERT_TRUE(hr == S_OK || hr == E_ABORT) << SrHResultToString(hr);
    if (hr == E_ABORT) ++aborted;
    EXPECT_EQ(probe.calls.load(), 1);
    EXPECT_EQ(probe.status_in_callback.load(), hr);
    ASSERT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));
    EXPECT_LE(provider.cancels.load(), 1);
  }
  // Both outcomes are legal; the race is what matters.
  RecordProperty("aborted", aborted);
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, CompletionFromForeignThreadRacingCancel) {
  // The shape of a transport-backed provider: completion arrives on another
  // thread while the caller cancels; only the first completion counts.
  XTaskQueueHandle q =
      MakeQueue(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  constexpr int kRounds = 300;
  for (int i = 0; i < kRounds; ++i) {
    TestProvider provider;
    provider.schedule = false;
    provider.payload_size = sizeof(uint64_t);
    CallbackProbe probe;
    XAsyncBlock block{};
    block.queue = q;
    block.context = &probe;
    block.callback = CallbackProbe::OnDone;
    ASSERT_EQ(provider.Begin(&block), S_OK);
    std::thread transport([&] { XAsyncComplete(&block, S_OK, sizeof(uint64_t)); });
    XAsyncCancel(&block);
    HRESULT hr = XAsyncGetStatus(&block, true);
    transport.join();
    ASSERT_TRUE(hr == S_OK || hr == E_ABORT) << SrHResultToString(hr);
    EXPECT_EQ(probe.calls.load(), 1);
    if (hr == S_OK) {
      uint64_t value = 0;
      ASSERT_EQ(XAsyncGetResult(&block, &kTestIdentity, sizeof(value), &value, nullptr), S_OK);
      EXPECT_EQ(value, provider.payload);
    }
    ASSERT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));
  }
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, NullQueueUsesProcessDefault) {
  TestProvider provider;
  provider.payload_size = 0;
  CallbackProbe probe;
  XAsyncBlock block{};
  block.context = &probe;
  block.callback = CallbackProbe::OnDone;
  ASSERT_EQ(provider.Begin(&block), S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, true), S_OK);
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_NE(probe.thread, std::this_thread::get_id());
  EXPECT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));
}

TEST(XAsyncTest, BeginFailureReturnsItWithoutCallbackOrCleanup) {
  TestProvider provider;
  provider.begin_result = E_OUTOFMEMORY;
  CallbackProbe probe;
  XAsyncBlock block{};
  block.context = &probe;
  block.callback = CallbackProbe::OnDone;
  EXPECT_EQ(provider.Begin(&block), E_OUTOFMEMORY);
  EXPECT_EQ(XAsyncGetStatus(&block, true), E_OUTOFMEMORY);
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(probe.calls.load(), 0);
  EXPECT_EQ(provider.cleanups.load(), 0);
  // The block is free again.
  TestProvider second;
  second.payload_size = 0;
  ASSERT_EQ(second.Begin(&block), S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, true), S_OK);
  EXPECT_TRUE(Eventually([&] { return second.cleanups.load() == 1; }));
}

// The common SDK pattern: the callback reads the result, then starts the
// next call on the same block; the last one frees the (heap) block.
struct Chain {
  TestProvider providers[3];
  std::atomic<int> index{0};
  std::atomic<int> values_ok{0};
  std::atomic<bool> finished{false};
};

void CALLBACK ChainCallback(XAsyncBlock* block) {
  auto* chain = static_cast<Chain*>(block->context);
  int i = chain->index.load();
  uint64_t value = 0;
  if (XAsyncGetResult(block, &kTestIdentity, sizeof(value), &value, nullptr) == S_OK &&
      value == chain->providers[i].payload) {
    chain->values_ok++;
  }
  if (i + 1 < 3) {
    chain->index = i + 1;
    EXPECT_EQ(chain->providers[i + 1].Begin(block), S_OK);
  } else {
    delete block;  // nothing may touch the block after this
    chain->finished = true;
  }
}

TEST(XAsyncTest, BlockReusedAndFreedFromItsCallback) {
  XTaskQueueHandle q =
      MakeQueue(XTaskQueueDispatchMode::ThreadPool, XTaskQueueDispatchMode::ThreadPool);
  Chain chain;
  for (int i = 0; i < 3; ++i) chain.providers[i].payload = 100u + static_cast<uint64_t>(i);
  auto* block = new XAsyncBlock{};
  block->queue = q;
  block->context = &chain;
  block->callback = ChainCallback;
  ASSERT_EQ(chain.providers[0].Begin(block), S_OK);
  ASSERT_TRUE(Eventually([&] { return chain.finished.load(); }));
  EXPECT_EQ(chain.values_ok.load(), 3);
  for (TestProvider& p : chain.providers) {
    EXPECT_TRUE(Eventually([&] { return p.cleanups.load() == 1; }));
  }
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, TerminatedQueueStillEndsTheCall) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual, XTaskQueueDispatchMode::Manual);
  TestProvider provider;
  CallbackProbe probe;
  XAsyncBlock block{};
  block.queue = q;
  block.context = &probe;
  block.callback = CallbackProbe::OnDone;
  ASSERT_EQ(provider.Begin(&block), S_OK);
  // The queued DoWork runs canceled: the call completes with E_ABORT and its
  // callback still runs although the Completion port accepts nothing now.
  ASSERT_EQ(XTaskQueueTerminate(q, true, nullptr, nullptr), S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, true), E_ABORT);
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_EQ(provider.works.load(), 0);
  EXPECT_TRUE(Eventually([&] { return provider.cleanups.load() == 1; }));
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, RunExecutesWorkOnWorkPort) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual, XTaskQueueDispatchMode::Manual);
  CallbackProbe probe;
  XAsyncBlock block{};
  block.queue = q;
  block.context = &probe;
  block.callback = CallbackProbe::OnDone;
  ASSERT_EQ(XAsyncRun(&block, [](XAsyncBlock*) -> HRESULT { return HTTP_E_STATUS_CONFLICT; }),
            S_OK);
  EXPECT_EQ(XAsyncGetStatus(&block, false), E_PENDING);
  ASSERT_TRUE(XTaskQueueDispatch(q, XTaskQueuePort::Work, 0));
  EXPECT_EQ(XAsyncGetStatus(&block, false), HTTP_E_STATUS_CONFLICT);
  ASSERT_TRUE(XTaskQueueDispatch(q, XTaskQueuePort::Completion, 0));
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_EQ(XAsyncGetStatus(&block, true), HTTP_E_STATUS_CONFLICT);

  // Canceled before its work started: E_ABORT, the work never runs.
  static std::atomic<int> ran{0};
  ASSERT_EQ(XAsyncRun(&block,
                      [](XAsyncBlock*) -> HRESULT {
                        ran++;
                        return S_OK;
                      }),
            S_OK);
  XAsyncCancel(&block);
  EXPECT_EQ(XAsyncGetStatus(&block, false), E_ABORT);
  ASSERT_TRUE(XTaskQueueDispatch(q, XTaskQueuePort::Work, 0));
  ASSERT_TRUE(XTaskQueueDispatch(q, XTaskQueuePort::Completion, 0));
  EXPECT_EQ(XAsyncGetStatus(&block, true), E_ABORT);
  EXPECT_EQ(ran.load(), 0);
  XTaskQueueCloseHandle(q);
}

TEST(XAsyncTest, NullArguments) {
  EXPECT_EQ(XAsyncBegin(nullptr, nullptr, nullptr, nullptr, TestProvider::Provide), E_INVALIDARG);
  XAsyncBlock block{};
  EXPECT_EQ(XAsyncBegin(&block, nullptr, nullptr, nullptr, nullptr), E_INVALIDARG);
  EXPECT_EQ(XAsyncGetStatus(nullptr, false), E_INVALIDARG);
  EXPECT_EQ(XAsyncSchedule(&block, 0), E_INVALIDARG);  // not begun
  XAsyncCancel(nullptr);
  XAsyncComplete(nullptr, S_OK, 0);
}

}  // namespace
