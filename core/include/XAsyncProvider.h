// XAsyncProvider.h: how an async API is implemented on top of XAsyncBlock
// (libHttpClient's provider contract). The session-write calls use it.
//
// Life of a call, and which thread runs each op:
//   XAsyncBegin          Begin op, inline on the caller's thread. Start the
//                        work here (e.g. Transport::Start) or XAsyncSchedule
//                        a DoWork. Return S_OK; a failure is returned by
//                        XAsyncBegin and then NO callback and NO Cleanup
//                        happen (the caller frees the context), so a failing
//                        Begin must not have scheduled or completed anything.
//   XAsyncSchedule       DoWork op on the queue's Work port after the delay.
//                        Any thread may schedule, e.g. a transport completion
//                        on the transport thread. DoWork returns E_PENDING to
//                        keep the call running (it may XAsyncComplete itself
//                        first); any other value completes the call with it.
//                        If the queue terminates first, the call completes
//                        with E_ABORT without running DoWork.
//   XAsyncComplete       From any thread (inside an op or not). Only the first
//                        completion counts; later ones are ignored. It stores
//                        the result and queues the caller's callback on the
//                        Completion port (inline if that port is Immediate;
//                        inline with the queue terminating). After it returns
//                        the block may be freed or reused by the caller, so a
//                        completion from outside an op must be the call's
//                        last use of the block.
//   XAsyncCancel         Cancel op, inline on the canceling thread, at most
//                        once, only while the call has not completed. It may
//                        race with the provider's own completion (e.g. the
//                        transfer finishing on the transport thread): the
//                        provider must still complete the call (normally with
//                        E_ABORT; whichever completion is first wins).
//   XAsyncGetResult      GetResult op, inline on the reader's thread, once,
//                        only for a successful call with requiredBufferSize
//                        > 0, with a buffer of at least that size. Hand the
//                        payload over (e.g. a session handle pointer: copy it
//                        and forget it, so Cleanup does not release it).
//   Cleanup              Exactly once per call whose Begin succeeded, after
//                        all of: the call completed, its callback returned,
//                        no other op of it is running, and the payload was
//                        read (or there is none, or the block was reused).
//                        Runs on whichever thread met the last condition
//                        (Completion port thread or the GetResult caller).
//                        Free the context here.
// The context stays valid during every op (Cleanup waits for running ops),
// so a Cancel racing the completion may still use it. A successful call
// whose payload is never read keeps its state until the block is reused.
// Example: session_calls.cc (Begin -> Transport::Start; transport
// completion -> XAsyncSchedule; DoWork parses and completes; Cancel ->
// Transport::Cancel; GetResult hands over the session handle).
#pragma once

#include "XAsync.h"

enum class XAsyncOp : uint32_t {
  Begin,      // start the work; return E_PENDING-free HRESULT of scheduling
  DoWork,     // scheduled work; return E_PENDING to keep the call running
  GetResult,  // copy the result into data->buffer (data->bufferSize bytes)
  Cancel,     // abort; the provider must still complete the call
  Cleanup     // release provider state; last op for every started call
};

struct XAsyncProviderData {
  XAsyncBlock* async;
  size_t bufferSize;  // GetResult: size of `buffer`
  void* buffer;       // GetResult: where to copy the payload
  void* context;      // the provider's context given to XAsyncBegin
};

typedef HRESULT CALLBACK XAsyncProvider(XAsyncOp op, const XAsyncProviderData* data);

// Starts an async call on `asyncBlock`. `identity` tags the call so that
// XAsyncGetResult can check the block belongs to the expected API.
// E_INVALIDARG if the block is already in flight (not yet completed), or if
// `queue` is null and the process default queue was disabled. A block whose
// call completed may be reused at once, even from its own callback.
STDAPI XAsyncBegin(XAsyncBlock* asyncBlock, void* context, const void* identity,
                   const char* identityName, XAsyncProvider* provider) XBL_NOEXCEPT;

// Schedules a DoWork op on the Work port after `delayInMs` milliseconds.
STDAPI XAsyncSchedule(XAsyncBlock* asyncBlock, uint32_t delayInMs) XBL_NOEXCEPT;

// Completes the call with `result` and a payload of `requiredBufferSize`
// bytes, then queues the user's callback on the Completion port. Only the
// first completion of a call counts.
STDAPI_(void)
XAsyncComplete(XAsyncBlock* asyncBlock, HRESULT result, size_t requiredBufferSize) XBL_NOEXCEPT;

// Copies the payload out through the provider's GetResult op. Returns the
// call's failure HRESULT if it failed, E_PENDING while running,
// E_INVALIDARG if `identity` does not match, E_ILLEGAL_METHOD_CALL if the
// result was already read (by a call that succeeded or returned the
// failure: unlike libHttpClient, which repeats a failure, because the
// session write contract says so), E_NOT_SUFFICIENT_BUFFER-like
// E_INVALIDARG if `bufferSize` is too small.
STDAPI XAsyncGetResult(XAsyncBlock* asyncBlock, const void* identity, size_t bufferSize,
                       void* buffer, size_t* bufferUsed) XBL_NOEXCEPT;
