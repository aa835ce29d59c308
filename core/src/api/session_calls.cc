// The two service calls of the session-write path, as XAsync providers:
// XblMultiplayerWriteSessionAsync/Result (PUT) and
// XblMultiplayerGetSessionAsync/Result (GET).
//
// Flow of one call:
//   caller thread   Async(): validate, build the request
//                   (session/session_request.h), XAsyncBegin.
//                   Begin op: start the transfer on the context's transport.
//   transport       completion: keep the response, XAsyncSchedule(0).
//   Work port       DoWork op: parse the response (pure parser), make the
//                   result handle, XAsyncComplete.
//   Completion port the caller's callback; it calls Result() to take the handle.
// Cancel op: aborts the transfer; its completion (E_ABORT) flows the same way.
#include <atomic>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "XAsyncProvider.h"
#include "api/context.h"
#include "api/core_counters.h"
#include "session/session_handle.h"
#include "session/session_request.h"
#include "sessionrig/response_parser.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig {
namespace {

enum class CallKind { kWrite, kGet };

// Identities tag the blocks so a Result call of the wrong API is refused.
constexpr char kWriteIdentity[] = "XblMultiplayerWriteSessionAsync";
constexpr char kGetIdentity[] = "XblMultiplayerGetSessionAsync";

// State of one call. Owned by the XAsync machinery from XAsyncBegin until the
// Cleanup op, which deletes it.
struct ServiceCall {
  CallKind kind = CallKind::kWrite;
  XblContext* context = nullptr;  // one reference, released in Cleanup
  uint64_t xuid = 0;
  XblMultiplayerSessionReference reference{};
  HttpRequest request;
  // Set when the call must complete with this HRESULT without any transfer
  // (e.g. an invalid write mode: the SDK completes the call with E_INVALIDARG).
  HRESULT immediate_result = S_OK;

  // The transfer, once started; a Cancel op may arrive from another thread
  // while Begin is still starting it, hence the atomics.
  std::atomic<TransferId> transfer{0};
  std::atomic<bool> cancel_requested{false};

  // Written by the transport completion, read by DoWork after XAsyncSchedule
  // (the schedule orders the two).
  HttpResponse response;

  // The result handle until GetResult hands it over; closed in Cleanup otherwise.
  XblMultiplayerSessionHandle result = nullptr;
};

HRESULT CALLBACK ServiceCallProvider(XAsyncOp op, const XAsyncProviderData* data) {
  auto* call = static_cast<ServiceCall*>(data->context);
  switch (op) {
    case XAsyncOp::Begin: {
      if (FAILED(call->immediate_result)) {
        XAsyncComplete(data->async, call->immediate_result, 0);
        return S_OK;
      }
      XAsyncBlock* async = data->async;
      Transport* transport = ContextTransport(*call->context);
      TransferId id = transport->Start(std::move(call->request), [call, async](HttpResponse&& r) {
        call->response = std::move(r);
        if (FAILED(XAsyncSchedule(async, 0))) {
          // The queue is terminating: complete here so the call still ends.
          XAsyncComplete(async, E_ABORT, 0);
        }
      });
      call->transfer.store(id, std::memory_order_release);
      if (call->cancel_requested.load(std::memory_order_acquire)) transport->Cancel(id);
      return S_OK;
    }
    case XAsyncOp::DoWork: {
      const HttpResponse& r = call->response;
      if (FAILED(r.transport_result)) {
        XAsyncComplete(data->async, r.transport_result, 0);
        return E_PENDING;
      }
      ParsedResponse parsed = call->kind == CallKind::kWrite
                                  ? ParseWriteResponse(r.status, r.headers, r.body)
                                  : ParseGetResponse(r.status, r.headers, r.body);
      if (FAILED(parsed.hr)) {
        XAsyncComplete(data->async, parsed.hr, 0);
        return E_PENDING;
      }
      CountTruncatedGamertags(parsed.gamertags_truncated);
      // GET of a missing session: success with no handle, as in the SDK.
      if (call->kind == CallKind::kWrite || parsed.session != nullptr) {
        call->result = MakeSessionFromResponse(call->xuid, call->reference, parsed);
        if (call->result == nullptr) {
          XAsyncComplete(data->async, E_OUTOFMEMORY, 0);
          return E_PENDING;
        }
      }
      XAsyncComplete(data->async, S_OK, sizeof(XblMultiplayerSessionHandle));
      return E_PENDING;
    }
    case XAsyncOp::GetResult: {
      if (data->bufferSize < sizeof(XblMultiplayerSessionHandle)) return E_INVALIDARG;
      std::memcpy(data->buffer, &call->result, sizeof(XblMultiplayerSessionHandle));
      call->result = nullptr;  // ownership moves to the caller
      return S_OK;
    }
    case XAsyncOp::Cancel: {
      call->cancel_requested.store(true, std::memory_order_release);
      TransferId id = call->transfer.load(std::memory_order_acquire);
      // Transport::Cancel ignores ids already completed, and Begin re-checks
      // the flag if it had not stored the id yet; a double cancel is harmless.
      if (id != 0) ContextTransport(*call->context)->Cancel(id);
      return S_OK;
    }
    case XAsyncOp::Cleanup:
      XblMultiplayerSessionCloseHandle(call->result);
      ContextRelease(call->context);
      delete call;
      return S_OK;
  }
  return S_OK;
}

HRESULT BeginCall(ServiceCall* call, XAsyncBlock* async, const char* identity) {
  HRESULT hr = XAsyncBegin(async, call, identity, identity, ServiceCallProvider);
  if (FAILED(hr)) {
    // Never began: the provider will see no Cleanup, so release here.
    ContextRelease(call->context);
    delete call;
  }
  return hr;
}

// Where the context sends requests, with its Authorization value. Fails
// with the token provider's HRESULT.
HRESULT TargetFor(const XblContext& context, RequestTarget* target) {
  HRESULT hr = AuthorizationFor(context, &target->authorization);
  if (FAILED(hr)) return hr;
  target->endpoint = context.endpoint;
  target->timeout = context.timeout;
  return S_OK;
}

HRESULT TakeResult(XAsyncBlock* async, const char* identity, XblMultiplayerSessionHandle* handle) {
  if (async == nullptr) return E_INVALIDARG;
  XblMultiplayerSessionHandle result = nullptr;
  // The payload is the handle itself: its size is a pointer's.
  HRESULT hr =
      XAsyncGetResult(async, identity, sizeof(result),  // NOLINT(bugprone-sizeof-expression)
                      &result, nullptr);
  if (FAILED(hr)) return hr;
  if (handle != nullptr) {
    *handle = result;
  } else {
    XblMultiplayerSessionCloseHandle(result);
  }
  return S_OK;
}

}  // namespace
}  // namespace sessionrig

using sessionrig::ServiceCall;

STDAPI XblMultiplayerWriteSessionAsync(XblContextHandle xblContext,
                                       XblMultiplayerSessionHandle multiplayerSession,
                                       XblMultiplayerSessionWriteMode writeMode,
                                       XAsyncBlock* async) noexcept {
  if (xblContext == nullptr || multiplayerSession == nullptr || async == nullptr) {
    return E_INVALIDARG;
  }
  const XblMultiplayerSessionReference& ref = sessionrig::SessionRef(*multiplayerSession);
  if (!XblMultiplayerSessionReferenceIsValid(&ref)) return E_INVALIDARG;

  auto* call = new (std::nothrow) ServiceCall();
  if (call == nullptr) return E_OUTOFMEMORY;
  call->kind = sessionrig::CallKind::kWrite;
  sessionrig::ContextAddRef(xblContext);
  call->context = xblContext;
  call->xuid = sessionrig::SessionXuid(*multiplayerSession);
  call->reference = ref;
  // A failure here (the token provider's, or an invalid write mode)
  // completes the call with it, as the SDK completes an invalid mode.
  sessionrig::RequestTarget target;
  HRESULT hr = sessionrig::TargetFor(*xblContext, &target);
  if (SUCCEEDED(hr)) {
    hr = sessionrig::BuildWriteRequest(std::move(target), *multiplayerSession, writeMode,
                                       &call->request);
  }
  if (FAILED(hr)) call->immediate_result = hr;
  return sessionrig::BeginCall(call, async, sessionrig::kWriteIdentity);
}

STDAPI XblMultiplayerWriteSessionResult(XAsyncBlock* async,
                                        XblMultiplayerSessionHandle* handle) noexcept {
  return sessionrig::TakeResult(async, sessionrig::kWriteIdentity, handle);
}

STDAPI XblMultiplayerGetSessionAsync(XblContextHandle xblContext,
                                     const XblMultiplayerSessionReference* sessionReference,
                                     XAsyncBlock* async) noexcept {
  if (xblContext == nullptr || sessionReference == nullptr || async == nullptr ||
      !XblMultiplayerSessionReferenceIsValid(sessionReference)) {
    return E_INVALIDARG;
  }
  auto* call = new (std::nothrow) ServiceCall();
  if (call == nullptr) return E_OUTOFMEMORY;
  call->kind = sessionrig::CallKind::kGet;
  sessionrig::ContextAddRef(xblContext);
  call->context = xblContext;
  call->xuid = xblContext->xuid;
  call->reference = *sessionReference;
  sessionrig::RequestTarget target;
  HRESULT hr = sessionrig::TargetFor(*xblContext, &target);
  if (FAILED(hr)) {
    call->immediate_result = hr;
  } else {
    call->request = sessionrig::BuildGetRequest(std::move(target), *sessionReference);
  }
  return sessionrig::BeginCall(call, async, sessionrig::kGetIdentity);
}

STDAPI XblMultiplayerGetSessionResult(XAsyncBlock* async,
                                      XblMultiplayerSessionHandle* handle) noexcept {
  return sessionrig::TakeResult(async, sessionrig::kGetIdentity, handle);
}
