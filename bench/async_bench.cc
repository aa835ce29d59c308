// Google Benchmark of the core's XAsync/XTaskQueue machinery: one async call
// through a trivial provider, the shape every service call takes
// (XblMultiplayerWriteSessionAsync: Begin, then XAsyncSchedule from the
// transport's completion, DoWork completes, the Completion port runs the
// caller's callback, the caller reads the result with XAsyncGetResult).
//
//   BM_XAsyncRoundTripManual      the call on a Manual/Manual queue, pumped by
//                                 the benchmark thread (what each loadgen
//                                 worker does)
//   BM_TaskQueueRoundTripManual   BASELINE: the two queue hops alone (a Work
//                                 callback, then a Completion callback)
//   BM_XAsyncRoundTripThreadPool  the call on a ThreadPool/ThreadPool queue;
//                                 the benchmark thread waits with
//                                 XAsyncGetStatus(wait=true)
//   BM_TaskQueueRoundTripThreadPool BASELINE: the two hops on pool threads,
//                                 waited for with a semaphore
// Labels name the baseline ("baseline:..."); scripts/bench prints ratios.
//
//   build/release/bench/async_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <semaphore>

#include "XAsync.h"
#include "XAsyncProvider.h"
#include "XTaskQueue.h"

namespace {

constexpr int kIdentity = 0;  // its address tags the benchmark's calls

// Begin schedules DoWork; DoWork completes with a 4-byte payload; GetResult
// hands it over. No allocation of its own.
HRESULT CALLBACK TrivialProvider(XAsyncOp op, const XAsyncProviderData* data) {
  switch (op) {
    case XAsyncOp::Begin:
      return XAsyncSchedule(data->async, 0);
    case XAsyncOp::DoWork:
      XAsyncComplete(data->async, S_OK, sizeof(int));
      return E_PENDING;
    case XAsyncOp::GetResult:
      *static_cast<int*>(data->buffer) = 42;
      return S_OK;
    case XAsyncOp::Cancel:
    case XAsyncOp::Cleanup:
      return S_OK;
  }
  return S_OK;
}

void CALLBACK CountCompletion(XAsyncBlock* block) { ++*static_cast<int*>(block->context); }

XTaskQueueHandle MakeQueue(XTaskQueueDispatchMode mode) {
  XTaskQueueHandle q = nullptr;
  if (FAILED(XTaskQueueCreate(mode, mode, &q))) std::abort();
  return q;
}

void BM_XAsyncRoundTripManual(benchmark::State& state) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual);
  int completions = 0;
  for (auto _ : state) {
    XAsyncBlock block{};
    block.queue = q;
    block.context = &completions;
    block.callback = &CountCompletion;
    if (FAILED(XAsyncBegin(&block, nullptr, &kIdentity, "bench", &TrivialProvider))) std::abort();
    XTaskQueueDispatch(q, XTaskQueuePort::Work, 0);
    XTaskQueueDispatch(q, XTaskQueuePort::Completion, 0);
    int value = 0;
    if (FAILED(XAsyncGetResult(&block, &kIdentity, sizeof(value), &value, nullptr))) std::abort();
    benchmark::DoNotOptimize(value);
  }
  if (completions != static_cast<int>(state.iterations())) state.SkipWithError("lost a callback");
  XTaskQueueCloseHandle(q);
  state.SetLabel("baseline:BM_TaskQueueRoundTripManual");
}

void CALLBACK Increment(void* context, bool /*canceled*/) { ++*static_cast<int*>(context); }

void BM_TaskQueueRoundTripManual(benchmark::State& state) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::Manual);
  int runs = 0;
  for (auto _ : state) {
    XTaskQueueSubmitCallback(q, XTaskQueuePort::Work, &runs, &Increment);
    XTaskQueueDispatch(q, XTaskQueuePort::Work, 0);
    XTaskQueueSubmitCallback(q, XTaskQueuePort::Completion, &runs, &Increment);
    XTaskQueueDispatch(q, XTaskQueuePort::Completion, 0);
  }
  if (runs != 2 * static_cast<int>(state.iterations())) state.SkipWithError("lost a callback");
  XTaskQueueCloseHandle(q);
}

void BM_XAsyncRoundTripThreadPool(benchmark::State& state) {
  XTaskQueueHandle q = MakeQueue(XTaskQueueDispatchMode::ThreadPool);
  int completions = 0;  // written on pool threads; read after XAsyncGetStatus(wait) returns
  for (auto _ : state) {
    XAsyncBlock block{};
    block.queue = q;
    block.context = &completions;
    block.callback = &CountCompletion;
    if (FAILED(XAsyncBegin(&block, nullptr, &kIdentity, "bench", &TrivialProvider))) std::abort();
    if (FAILED(XAsyncGetStatus(&block, true))) std::abort();
    int value = 0;
    if (FAILED(XAsyncGetResult(&block, &kIdentity, sizeof(value), &value, nullptr))) std::abort();
    benchmark::DoNotOptimize(value);
  }
  if (completions != static_cast<int>(state.iterations())) state.SkipWithError("lost a callback");
  XTaskQueueCloseHandle(q);
  state.SetLabel("baseline:BM_TaskQueueRoundTripThreadPool");
}

// The baseline's hops: Work resubmits to Completion, Completion signals.
// Never destroyed: the last release() may still be returning on a pool
// thread when the benchmark ends.
struct PoolHop {
  XTaskQueueHandle queue = nullptr;
  std::binary_semaphore done{0};
};

void CALLBACK CompletionHop(void* context, bool /*canceled*/) {
  static_cast<PoolHop*>(context)->done.release();
}

void CALLBACK WorkHop(void* context, bool /*canceled*/) {
  auto* hop = static_cast<PoolHop*>(context);
  XTaskQueueSubmitCallback(hop->queue, XTaskQueuePort::Completion, hop, &CompletionHop);
}

void BM_TaskQueueRoundTripThreadPool(benchmark::State& state) {
  static PoolHop* const hop = new PoolHop();
  hop->queue = MakeQueue(XTaskQueueDispatchMode::ThreadPool);
  for (auto _ : state) {
    XTaskQueueSubmitCallback(hop->queue, XTaskQueuePort::Work, hop, &WorkHop);
    hop->done.acquire();
  }
  XTaskQueueCloseHandle(hop->queue);
}

BENCHMARK(BM_XAsyncRoundTripManual);
BENCHMARK(BM_TaskQueueRoundTripManual);
BENCHMARK(BM_XAsyncRoundTripThreadPool)->UseRealTime();
BENCHMARK(BM_TaskQueueRoundTripThreadPool)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
