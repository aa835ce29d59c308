// XAsyncProvider.h: how an async API is implemented on top of XAsyncBlock
// (libHttpClient's provider contract). The session-write calls use it.
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
// E_INVALIDARG if the block is already in flight.
STDAPI XAsyncBegin(XAsyncBlock* asyncBlock, void* context, const void* identity,
                   const char* identityName, XAsyncProvider* provider) XBL_NOEXCEPT;

// Schedules a DoWork op on the Work port after `delayInMs` milliseconds.
STDAPI XAsyncSchedule(XAsyncBlock* asyncBlock, uint32_t delayInMs) XBL_NOEXCEPT;

// Completes the call with `result` and a payload of `requiredBufferSize`
// bytes, then queues the user's callback on the Completion port. Only the
// first completion of a call counts.
STDAPI_(void) XAsyncComplete(XAsyncBlock* asyncBlock, HRESULT result,
                             size_t requiredBufferSize) XBL_NOEXCEPT;

// Copies the payload out through the provider's GetResult op. Returns the
// call's failure HRESULT if it failed, E_PENDING while running,
// E_INVALIDARG if `identity` does not match, E_ILLEGAL_METHOD_CALL if the
// result was already read, E_NOT_SUFFICIENT_BUFFER-like E_INVALIDARG if
// `bufferSize` is too small.
STDAPI XAsyncGetResult(XAsyncBlock* asyncBlock, const void* identity, size_t bufferSize,
                       void* buffer, size_t* bufferUsed) XBL_NOEXCEPT;
