// XTaskQueue.h: the GDK task queue (libHttpClient's XTaskQueue API) on Linux.
//
// A queue has two ports. Work runs intermediate steps of async calls;
// Completion runs user callbacks. Each port has a dispatch mode:
//   ThreadPool            callbacks run in parallel on pool threads
//   SerializedThreadPool  callbacks run one at a time on pool threads
//   Manual                callbacks run only inside XTaskQueueDispatch()
//   Immediate             callbacks run on the submitting thread, inline
// Thread-safety: every function may be called from any thread. A Manual
// port's callbacks run on whichever thread calls XTaskQueueDispatch.
// ThreadPool and SerializedThreadPool ports share one process-wide pool of
// max(4, hardware threads) workers, which also fires delayed callbacks; a
// callback that blocks holds a pool thread.
#pragma once

#include "xsapi-c/pal.h"

typedef struct XTaskQueueObject* XTaskQueueHandle;
typedef struct XTaskQueueRegistrationTokenObject* XTaskQueueRegistrationToken_unused;

enum class XTaskQueuePort : uint32_t { Work, Completion };

enum class XTaskQueueDispatchMode : uint32_t {
  Manual,
  ThreadPool,
  SerializedThreadPool,
  Immediate
};

// `canceled` is true when the queue is being terminated and the callback runs
// only so it can release its context.
typedef void CALLBACK XTaskQueueCallback(void* context, bool canceled);
typedef void CALLBACK XTaskQueueTerminatedCallback(void* context);

// Creates a queue. Returns E_INVALIDARG for an unknown mode or null `queue`.
// The caller owns the handle and releases it with XTaskQueueCloseHandle.
STDAPI XTaskQueueCreate(XTaskQueueDispatchMode workDispatchMode,
                        XTaskQueueDispatchMode completionDispatchMode,
                        XTaskQueueHandle* queue) XBL_NOEXCEPT;

// Adds a reference. REQUIRES: `queueHandle` is open.
STDAPI XTaskQueueDuplicateHandle(XTaskQueueHandle queueHandle,
                                 XTaskQueueHandle* duplicatedHandle) XBL_NOEXCEPT;

// Drops a reference; the last one terminates the queue (without waiting) and
// frees it once every pending callback has run or been canceled.
STDAPI_(void) XTaskQueueCloseHandle(XTaskQueueHandle queue) XBL_NOEXCEPT;

// Stops accepting callbacks, runs pending ones (ready and delayed) with
// canceled=true, waits for running ones, then calls `callback` (may be
// null). With `wait` true, canceled callbacks run on the calling thread and
// this returns after all of that; otherwise they and `callback` run on a
// pool thread (or the thread that finishes the last running callback).
// Returns E_ILLEGAL_METHOD_CALL, doing nothing, for wait=true from inside a
// callback of this queue (it would wait for itself).
STDAPI XTaskQueueTerminate(XTaskQueueHandle queue, bool wait, void* callbackContext,
                           XTaskQueueTerminatedCallback* callback) XBL_NOEXCEPT;

// Queues `callback` on `port`. E_ABORT once the queue is terminating.
STDAPI XTaskQueueSubmitCallback(XTaskQueueHandle queue, XTaskQueuePort port, void* callbackContext,
                                XTaskQueueCallback* callback) XBL_NOEXCEPT;

// Queues `callback` on `port` after `delayMs` milliseconds (at least; the
// pool fires it). On an Immediate port it then runs on that pool thread.
STDAPI XTaskQueueSubmitDelayedCallback(XTaskQueueHandle queue, XTaskQueuePort port,
                                       uint32_t delayMs, void* callbackContext,
                                       XTaskQueueCallback* callback) XBL_NOEXCEPT;

// Runs at most one ready callback of a Manual port, waiting up to
// `timeoutInMs` milliseconds for one (0: do not wait; UINT32_MAX: forever).
// Returns true if a callback ran. Returns false at once for non-Manual ports.
STDAPI_(bool)
XTaskQueueDispatch(XTaskQueueHandle queue, XTaskQueuePort port, uint32_t timeoutInMs) XBL_NOEXCEPT;

// True if the port has no pending (ready or delayed) callbacks.
STDAPI_(bool) XTaskQueueIsEmpty(XTaskQueueHandle queue, XTaskQueuePort port) XBL_NOEXCEPT;

// The process default queue (ThreadPool/ThreadPool unless replaced). Returns
// false if it was set to null. The returned handle is a new reference.
STDAPI_(bool) XTaskQueueGetCurrentProcessTaskQueue(XTaskQueueHandle* queue) XBL_NOEXCEPT;

// Replaces the process default queue (null disables it). Takes a reference.
STDAPI_(void) XTaskQueueSetCurrentProcessTaskQueue(XTaskQueueHandle queue) XBL_NOEXCEPT;
