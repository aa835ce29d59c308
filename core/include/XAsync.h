// XAsync.h: the GDK async block (libHttpClient's XAsync API) on Linux.
//
// An async call is started with an XAsyncBlock the caller owns; the block
// must stay alive, and must not be reused, until the call completes. The
// completion callback runs on the block's queue's Completion port (the
// process default queue if `queue` is null), also when that queue is
// terminating (then inline on the thread that completes the call). After
// the callback returns, sessionrig no longer touches the block: the callback
// may free it, or reuse it for the next call (after reading the result).
// Thread-safety: all functions may be called from any thread.
#pragma once

#include "XTaskQueue.h"

struct XAsyncBlock;
typedef void CALLBACK XAsyncCompletionRoutine(struct XAsyncBlock* asyncBlock);

struct XAsyncBlock {
  XTaskQueueHandle queue;                     // may be null: the process default queue
  void* context;                              // optional, for the caller
  XAsyncCompletionRoutine* callback;          // optional; runs on the Completion port
  unsigned char internal[sizeof(void*) * 4];  // reserved; zero before first use
};

// E_PENDING while the call runs; otherwise its final HRESULT. With `wait`
// true, blocks until the call completed and its callback has returned.
// REQUIRES: never wait=true from the callback itself or from the thread
// that must pump a Manual Completion port of the same call.
STDAPI XAsyncGetStatus(XAsyncBlock* asyncBlock, bool wait) XBL_NOEXCEPT;

// Size in bytes of the call's result payload; E_PENDING while running; the
// call's failure HRESULT if it failed (no payload; `*bufferSize` set to 0);
// E_ILLEGAL_METHOD_CALL once the result was read.
STDAPI XAsyncGetResultSize(XAsyncBlock* asyncBlock, size_t* bufferSize) XBL_NOEXCEPT;

// Requests cancellation. A running call completes with E_ABORT (in sessionrig
// the HTTP transfer is really aborted). No effect on a completed call.
STDAPI_(void) XAsyncCancel(XAsyncBlock* asyncBlock) XBL_NOEXCEPT;

// Work callback for XAsyncRun; its return value is the call's result.
typedef HRESULT CALLBACK XAsyncWork(XAsyncBlock* asyncBlock);

// Runs `work` on the Work port and completes the block with its HRESULT.
STDAPI XAsyncRun(XAsyncBlock* asyncBlock, XAsyncWork* work) XBL_NOEXCEPT;
