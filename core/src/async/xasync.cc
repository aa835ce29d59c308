// XAsync on Linux: the async block and the provider machinery. See XAsync.h
// and XAsyncProvider.h for the contract.
//
// Where state lives:
//  - AsyncState (heap, refcounted) holds one call: provider, queue, result,
//    and the flags that decide when Cleanup runs. It is found through a
//    registry keyed by the block's address (striped, each stripe a mutex and
//    a hash map), not through a pointer in the block: after the completion
//    callback returns the block may already be freed, so nothing may touch
//    it, yet a thread waiting in XAsyncGetStatus must still find the call.
//  - XAsyncBlock::internal holds what must survive the state: the final
//    HRESULT, the identity, and whether the result was read. It is written
//    only while the block is known to be alive (Begin, before the completion
//    callback is queued, and inside XAsyncGetResult).
// Every field of a state and of the block's internal bytes is guarded by the
// stripe mutex of the block. No lock is held while a provider op or a user
// callback runs.
//
// Lifetime of a state: the registry holds a reference until the call has
// completed, its callback has returned and there is nothing left to read
// (failure, empty payload, or payload read); queued work and completion
// callbacks, provider ops in progress and waiters hold their own. Cleanup runs
// exactly once, when the call has completed, the callback has returned, no
// provider op is in progress, and the payload was read (or there is none, or
// the block was reused).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>

#include "XAsyncProvider.h"

namespace {

struct AsyncState;

// What XAsyncBlock::internal holds. Accessed with memcpy under the stripe lock.
struct BlockInternal {
  const void* identity;  // of the last call begun on the block
  HRESULT status;        // E_PENDING while running, then the final result
  uint32_t flags;        // kResultRead
};
static_assert(sizeof(BlockInternal) <= sizeof(XAsyncBlock::internal),
              "XAsyncBlock::internal too small");

// XAsyncGetResult returned the call's outcome once, success or failure: a
// second call is E_ILLEGAL_METHOD_CALL. (libHttpClient returns a failed
// call's HRESULT again; the write contract says the second Result call is
// E_ILLEGAL_METHOD_CALL without exception: docs/protocol.md, "Async calls".)
constexpr uint32_t kResultRead = 1;

BlockInternal ReadInternal(const XAsyncBlock* block) {
  BlockInternal bi;
  std::memcpy(&bi, block->internal, sizeof(bi));
  return bi;
}

void WriteInternal(XAsyncBlock* block, const BlockInternal& bi) {
  std::memcpy(block->internal, &bi, sizeof(bi));
}

struct Stripe {
  std::mutex mu;
  std::unordered_map<const XAsyncBlock*, AsyncState*> states;  // one reference each. Guarded by mu.
};

constexpr size_t kStripes = 64;

// Never destroyed: callbacks may still run while the process exits.
Stripe& StripeFor(const XAsyncBlock* block) {
  static Stripe* const stripes = new Stripe[kStripes];
  auto bits = reinterpret_cast<uintptr_t>(block);
  return stripes[((bits >> 4) * 0x9E3779B97F4A7C15ull >> 58) % kStripes];
}

struct AsyncState {
  // Constant after XAsyncBegin.
  XAsyncBlock* block = nullptr;
  Stripe* stripe = nullptr;
  XAsyncProvider* provider = nullptr;
  void* context = nullptr;
  const void* identity = nullptr;
  XTaskQueueHandle queue = nullptr;  // owned handle
  XAsyncCompletionRoutine* callback = nullptr;

  std::atomic<int32_t> refs{1};

  // Guarded by stripe->mu.
  bool completed = false;
  HRESULT result = E_PENDING;
  size_t result_size = 0;      // bytes of payload (0 on failure)
  bool callback_done = false;  // the completion callback returned (or none will run)
  bool cancel_requested = false;
  bool result_claimed = false;      // a XAsyncGetResult is reading / has read the payload
  bool result_taken = false;        // the provider's GetResult op returned
  bool abandoned = false;           // the block was reused before the payload was read
  bool begin_failed = false;        // Begin op failed: no callback, no Cleanup
  bool cleaned = false;             // Cleanup ran or is running
  int ops = 0;                      // provider ops in progress
  std::condition_variable done_cv;  // signalled when callback_done becomes true

  void AddRef() { refs.fetch_add(1, std::memory_order_relaxed); }
  void Release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      XTaskQueueCloseHandle(queue);
      delete this;
    }
  }
};

// The state whose provider op runs on this thread: an op may call
// XAsyncComplete/XAsyncSchedule with its block even after the call's callback
// let the caller reuse the block's address for another call.
thread_local AsyncState* tls_op_state = nullptr;

// REQUIRES: the stripe lock of `block`. Returns the call of `block`, or null.
AsyncState* FindLocked(const XAsyncBlock* block, Stripe& stripe) {
  if (tls_op_state != nullptr && tls_op_state->block == block) return tls_op_state;
  auto it = stripe.states.find(block);
  return it == stripe.states.end() ? nullptr : it->second;
}

// REQUIRES: stripe lock. True (once) when Cleanup is due; the caller runs it
// after unlocking.
bool CleanupDueLocked(AsyncState* s) {
  if (s->cleaned || s->begin_failed || !s->completed || !s->callback_done || s->ops != 0) {
    return false;
  }
  bool payload_pending = SUCCEEDED(s->result) && s->result_size != 0 && !s->result_taken;
  if (payload_pending && !s->abandoned) return false;
  s->cleaned = true;
  return true;
}

// REQUIRES: stripe lock. Removes `s` from the registry if it is still the
// block's call. Returns true if the registry's reference must be released.
bool UnregisterLocked(AsyncState* s) {
  auto it = s->stripe->states.find(s->block);
  if (it == s->stripe->states.end() || it->second != s) return false;
  s->stripe->states.erase(it);
  return true;
}

HRESULT CallProvider(AsyncState* s, XAsyncOp op, size_t buffer_size = 0, void* buffer = nullptr) {
  XAsyncProviderData data{s->block, buffer_size, buffer, s->context};
  AsyncState* previous = tls_op_state;
  tls_op_state = s;
  HRESULT hr = s->provider(op, &data);
  tls_op_state = previous;
  return hr;
}

void RunCleanup(AsyncState* s) { CallProvider(s, XAsyncOp::Cleanup); }

// Ends a provider op counted in `ops`; runs Cleanup if this was the last
// thing it waited for.
void EndOp(AsyncState* s) {
  bool cleanup = false;
  {
    std::lock_guard<std::mutex> lock(s->stripe->mu);
    --s->ops;
    cleanup = CleanupDueLocked(s);
  }
  if (cleanup) RunCleanup(s);
}

void CALLBACK CompletionThunk(void* context, bool /*canceled*/) {
  auto* s = static_cast<AsyncState*>(context);
  // Runs also when the queue is terminating: the caller must learn the outcome.
  if (s->callback != nullptr) s->callback(s->block);
  // From here on the block may be gone: only the state is touched.
  bool cleanup = false;
  bool unregistered = false;
  {
    std::lock_guard<std::mutex> lock(s->stripe->mu);
    s->callback_done = true;
    s->done_cv.notify_all();
    bool payload_pending = SUCCEEDED(s->result) && s->result_size != 0 && !s->result_taken;
    if (!payload_pending) unregistered = UnregisterLocked(s);
    cleanup = CleanupDueLocked(s);
  }
  if (cleanup) RunCleanup(s);
  if (unregistered) s->Release();
  s->Release();  // the queued callback's reference
}

// REQUIRES: stripe lock. Records the first completion of `s` (later ones
// are ignored) and takes the completion callback's reference. Returns true
// if the caller must queue the callback (QueueCompletion) after unlocking.
bool CompleteLocked(AsyncState* s, HRESULT result, size_t size) {
  if (result == E_PENDING) result = E_UNEXPECTED;  // a provider bug; never report "running"
  if (s->completed) return false;
  s->completed = true;
  s->result = result;
  s->result_size = SUCCEEDED(result) ? size : 0;
  // The block is alive until its callback has run, which happens after this.
  BlockInternal bi = ReadInternal(s->block);
  bi.status = result;
  WriteInternal(s->block, bi);
  s->AddRef();  // for the completion callback
  return true;
}

// Queues the completion callback CompleteLocked decided on; its reference
// keeps `s` alive.
void QueueCompletion(AsyncState* s) {
  if (FAILED(XTaskQueueSubmitCallback(s->queue, XTaskQueuePort::Completion, s, CompletionThunk))) {
    // The queue is terminating: deliver here so the call still ends.
    CompletionThunk(s, true);
  }
}

// The first completion of `s` wins; later ones are ignored.
void CompleteState(AsyncState* s, HRESULT result, size_t size) {
  bool queue = false;
  {
    std::lock_guard<std::mutex> lock(s->stripe->mu);
    queue = CompleteLocked(s, result, size);
  }
  if (queue) QueueCompletion(s);
}

void CALLBACK WorkThunk(void* context, bool canceled) {
  auto* s = static_cast<AsyncState*>(context);
  if (canceled) {
    CompleteState(s, E_ABORT, 0);
    s->Release();
    return;
  }
  bool completed = false;
  {
    std::lock_guard<std::mutex> lock(s->stripe->mu);
    completed = s->completed;
    if (!completed) ++s->ops;
  }
  if (completed) {  // e.g. canceled first: the provider is not asked again
    s->Release();
    return;
  }
  HRESULT hr = CallProvider(s, XAsyncOp::DoWork);
  if (hr != E_PENDING) CompleteState(s, hr, 0);
  EndOp(s);
  s->Release();  // the queued work's reference
}

}  // namespace

STDAPI XAsyncBegin(XAsyncBlock* asyncBlock, void* context, const void* identity,
                   const char* /*identityName*/, XAsyncProvider* provider) XBL_NOEXCEPT {
  if (asyncBlock == nullptr || provider == nullptr) return E_INVALIDARG;
  XTaskQueueHandle queue = nullptr;
  if (asyncBlock->queue != nullptr) {
    if (FAILED(XTaskQueueDuplicateHandle(asyncBlock->queue, &queue))) return E_INVALIDARG;
  } else if (!XTaskQueueGetCurrentProcessTaskQueue(&queue)) {
    return E_INVALIDARG;  // no queue given and the process default was disabled
  }
  auto* s = new (std::nothrow) AsyncState();
  if (s == nullptr) {
    XTaskQueueCloseHandle(queue);
    return E_OUTOFMEMORY;
  }
  s->block = asyncBlock;
  s->stripe = &StripeFor(asyncBlock);
  s->provider = provider;
  s->context = context;
  s->identity = identity;
  s->queue = queue;
  s->callback = asyncBlock->callback;
  s->refs.store(2, std::memory_order_relaxed);  // the registry's and this function's
  s->ops = 1;                                   // the Begin op

  AsyncState* old = nullptr;
  bool old_cleanup = false;
  {
    std::lock_guard<std::mutex> lock(s->stripe->mu);
    auto it = s->stripe->states.find(asyncBlock);
    if (it != s->stripe->states.end()) {
      old = it->second;
      if (!old->completed) {
        s->refs.store(0, std::memory_order_relaxed);
        XTaskQueueCloseHandle(queue);
        delete s;
        return E_INVALIDARG;  // block in flight
      }
      // Completed, but its payload was never read (or its callback is still
      // running): the new call takes the block over.
      old->abandoned = true;
      old_cleanup = CleanupDueLocked(old);
      it->second = s;
    } else {
      s->stripe->states.emplace(asyncBlock, s);
    }
    WriteInternal(asyncBlock, BlockInternal{identity, E_PENDING, 0});
  }
  if (old != nullptr) {
    if (old_cleanup) RunCleanup(old);
    old->Release();  // the registry's reference
  }

  HRESULT hr = CallProvider(s, XAsyncOp::Begin);
  bool unregistered = false;
  if (FAILED(hr)) {
    std::lock_guard<std::mutex> lock(s->stripe->mu);
    if (s->completed) {
      // The provider completed the call before failing Begin: the callback
      // and Cleanup run as for any completed call.
      hr = S_OK;
    } else {
      s->completed = true;
      s->result = hr;
      s->begin_failed = true;
      s->callback_done = true;
      s->done_cv.notify_all();
      BlockInternal bi = ReadInternal(asyncBlock);
      bi.status = hr;
      WriteInternal(asyncBlock, bi);
      unregistered = UnregisterLocked(s);
    }
  }
  EndOp(s);
  if (unregistered) s->Release();
  s->Release();
  return hr;
}

STDAPI XAsyncSchedule(XAsyncBlock* asyncBlock, uint32_t delayInMs) XBL_NOEXCEPT {
  if (asyncBlock == nullptr) return E_INVALIDARG;
  AsyncState* s = nullptr;
  {
    Stripe& stripe = StripeFor(asyncBlock);
    std::lock_guard<std::mutex> lock(stripe.mu);
    s = FindLocked(asyncBlock, stripe);
    if (s == nullptr) return E_INVALIDARG;
    if (s->completed) return E_ILLEGAL_METHOD_CALL;
    s->AddRef();
  }
  // That reference is handed to the queued work.
  HRESULT hr =
      XTaskQueueSubmitDelayedCallback(s->queue, XTaskQueuePort::Work, delayInMs, s, WorkThunk);
  if (FAILED(hr)) s->Release();
  return hr;
}

STDAPI_(void)
XAsyncComplete(XAsyncBlock* asyncBlock, HRESULT result, size_t requiredBufferSize) XBL_NOEXCEPT {
  if (asyncBlock == nullptr) return;
  AsyncState* s = nullptr;
  {
    Stripe& stripe = StripeFor(asyncBlock);
    std::lock_guard<std::mutex> lock(stripe.mu);
    s = FindLocked(asyncBlock, stripe);
    if (s == nullptr || !CompleteLocked(s, result, requiredBufferSize)) return;
  }
  QueueCompletion(s);
}

STDAPI XAsyncGetStatus(XAsyncBlock* asyncBlock, bool wait) XBL_NOEXCEPT {
  if (asyncBlock == nullptr) return E_INVALIDARG;
  Stripe& stripe = StripeFor(asyncBlock);
  std::unique_lock<std::mutex> lock(stripe.mu);
  AsyncState* s = FindLocked(asyncBlock, stripe);
  if (!wait || s == nullptr || s->callback_done) return ReadInternal(asyncBlock).status;
  s->AddRef();
  s->done_cv.wait(lock, [s] { return s->callback_done; });
  HRESULT hr = s->result;
  lock.unlock();
  s->Release();
  return hr;
}

STDAPI XAsyncGetResultSize(XAsyncBlock* asyncBlock, size_t* bufferSize) XBL_NOEXCEPT {
  if (asyncBlock == nullptr || bufferSize == nullptr) return E_INVALIDARG;
  Stripe& stripe = StripeFor(asyncBlock);
  std::lock_guard<std::mutex> lock(stripe.mu);
  AsyncState* s = FindLocked(asyncBlock, stripe);
  BlockInternal bi = ReadInternal(asyncBlock);
  if (s != nullptr) {
    if (!s->completed) return E_PENDING;
    if (FAILED(s->result)) {
      *bufferSize = 0;
      return s->result;
    }
    if (s->result_claimed) return E_ILLEGAL_METHOD_CALL;
    *bufferSize = s->result_size;
    return S_OK;
  }
  if (FAILED(bi.status)) {
    *bufferSize = 0;
    return bi.status;
  }
  if ((bi.flags & kResultRead) != 0) return E_ILLEGAL_METHOD_CALL;
  *bufferSize = 0;
  return S_OK;
}

STDAPI XAsyncGetResult(XAsyncBlock* asyncBlock, const void* identity, size_t bufferSize,
                       void* buffer, size_t* bufferUsed) XBL_NOEXCEPT {
  if (asyncBlock == nullptr) return E_INVALIDARG;
  Stripe& stripe = StripeFor(asyncBlock);
  std::unique_lock<std::mutex> lock(stripe.mu);
  AsyncState* s = FindLocked(asyncBlock, stripe);
  BlockInternal bi = ReadInternal(asyncBlock);
  if (s == nullptr) {
    // Nothing is registered: the call finished with nothing left to read.
    if (bi.identity != identity) return E_INVALIDARG;
    if ((bi.flags & kResultRead) != 0) return E_ILLEGAL_METHOD_CALL;
    bi.flags |= kResultRead;
    WriteInternal(asyncBlock, bi);
    if (FAILED(bi.status)) return bi.status;
    if (bufferUsed != nullptr) *bufferUsed = 0;
    return S_OK;
  }
  if (!s->completed) return E_PENDING;
  if (s->identity != identity) return E_INVALIDARG;
  if (s->result_claimed || (bi.flags & kResultRead) != 0) return E_ILLEGAL_METHOD_CALL;
  if (FAILED(s->result)) {
    bi.flags |= kResultRead;
    WriteInternal(asyncBlock, bi);
    return s->result;
  }
  if (s->result_size > bufferSize || (s->result_size != 0 && buffer == nullptr)) {
    return E_INVALIDARG;
  }
  s->result_claimed = true;
  bi.flags |= kResultRead;
  WriteInternal(asyncBlock, bi);
  size_t size = s->result_size;
  if (size == 0) {
    if (bufferUsed != nullptr) *bufferUsed = 0;
    return S_OK;
  }
  s->AddRef();
  ++s->ops;
  lock.unlock();

  HRESULT hr = CallProvider(s, XAsyncOp::GetResult, bufferSize, buffer);

  bool unregistered = false;
  lock.lock();
  s->result_taken = true;
  if (s->callback_done) unregistered = UnregisterLocked(s);
  lock.unlock();
  if (SUCCEEDED(hr) && bufferUsed != nullptr) *bufferUsed = size;
  EndOp(s);
  if (unregistered) s->Release();
  s->Release();
  return hr;
}

STDAPI_(void) XAsyncCancel(XAsyncBlock* asyncBlock) XBL_NOEXCEPT {
  if (asyncBlock == nullptr) return;
  Stripe& stripe = StripeFor(asyncBlock);
  AsyncState* s = nullptr;
  {
    std::lock_guard<std::mutex> lock(stripe.mu);
    s = FindLocked(asyncBlock, stripe);
    if (s == nullptr || s->completed || s->cancel_requested) return;
    s->cancel_requested = true;
    s->AddRef();
    ++s->ops;
  }
  CallProvider(s, XAsyncOp::Cancel);
  EndOp(s);
  s->Release();
}

namespace {

// XAsyncRun's provider context. `claimed` decides between running the work
// and completing with E_ABORT for a cancel that came first.
struct RunContext {
  XAsyncWork* work = nullptr;
  std::atomic<bool> claimed{false};
};

const int kRunIdentity = 0;

HRESULT CALLBACK RunProvider(XAsyncOp op, const XAsyncProviderData* data) {
  auto* run = static_cast<RunContext*>(data->context);
  switch (op) {
    case XAsyncOp::Begin:
      return XAsyncSchedule(data->async, 0);
    case XAsyncOp::DoWork:
      if (!run->claimed.exchange(true)) XAsyncComplete(data->async, run->work(data->async), 0);
      return E_PENDING;
    case XAsyncOp::Cancel:
      // A running work function cannot be interrupted; its result stands.
      if (!run->claimed.exchange(true)) XAsyncComplete(data->async, E_ABORT, 0);
      return S_OK;
    case XAsyncOp::GetResult:
      return S_OK;
    case XAsyncOp::Cleanup:
      delete run;
      return S_OK;
  }
  return S_OK;
}

}  // namespace

STDAPI XAsyncRun(XAsyncBlock* asyncBlock, XAsyncWork* work) XBL_NOEXCEPT {
  if (asyncBlock == nullptr || work == nullptr) return E_INVALIDARG;
  auto* run = new (std::nothrow) RunContext();
  if (run == nullptr) return E_OUTOFMEMORY;
  run->work = work;
  HRESULT hr = XAsyncBegin(asyncBlock, run, &kRunIdentity, "XAsyncRun", RunProvider);
  if (FAILED(hr)) delete run;  // Begin failed: no Cleanup will run
  return hr;
}
