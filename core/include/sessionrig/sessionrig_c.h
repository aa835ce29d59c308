// sessionrig/sessionrig_c.h: what sessionrig adds to the SDK's C surface so
// the write path runs on Linux against any endpoint: context creation from an
// xuid plus token provider, and explicit transports.
//
// Transports. A transport is one libcurl multi handle with its connection
// pool. Two kinds:
//  - threaded (the default): owns a thread that drives it; thread-safe.
//  - owner-driven: has no thread and no locks; the creating thread drives it
//    with SrTransportPoll(), and every call that uses it (writes through a
//    context bound to it, cancels, close) must happen on that thread. With a
//    Manual task queue pumped by the same thread, a whole write path runs on
//    one thread. loadgen workers use this shape.
#pragma once

#include "XTaskQueue.h"
#include "xsapi-c/pal.h"
#include "xsapi-c/xbox_live_context_c.h"

typedef struct SrTransport* SrTransportHandle;

enum class SrHttpVersion : uint32_t {
  Auto,                // HTTP/2 via ALPN over TLS, HTTP/1.1 on cleartext
  Http1_1,             // HTTP/1.1 only
  Http2PriorKnowledge  // h2c without upgrade (for loopback servers that speak it)
};

struct SrTransportArgs {
  bool OwnerDriven;                // false: threaded (see above)
  uint32_t MaxInFlight;            // admission cap on transfers in flight; 0: 1024
  uint32_t MaxConnectionsPerHost;  // 0: unlimited (libcurl default pool)
  SrHttpVersion HttpVersion;
  uint64_t MaxResponseBytes;  // response body cap in bytes; 0: 16 MiB
};

// Creates a transport. E_INVALIDARG for null arguments.
STDAPI SrTransportCreate(const SrTransportArgs* args, SrTransportHandle* transport) XBL_NOEXCEPT;

// Owner-driven transports only: waits up to `timeoutMs` ms for socket or
// timer activity and processes it; completed transfers run their
// continuations on this thread before it returns. Returns the number of
// transfers still in flight. REQUIRES: called on the owning thread.
STDAPI_(uint32_t) SrTransportPoll(SrTransportHandle transport, uint32_t timeoutMs) XBL_NOEXCEPT;

// Transfers currently in flight (any thread for threaded transports).
STDAPI_(uint32_t) SrTransportInFlight(SrTransportHandle transport) XBL_NOEXCEPT;

// Drops a reference; the last one aborts transfers in flight (each completes
// with E_ABORT) and frees the transport. Contexts keep their own reference.
STDAPI_(void) SrTransportCloseHandle(SrTransportHandle transport) XBL_NOEXCEPT;

// Writes the value of the Authorization header for `xuid` into `buffer`
// (NUL-terminated, at most `bufferSize` bytes incl. NUL), e.g.
// "XBL3.0 x=2533274790412345;token". Called on the thread that starts the
// request. Returns S_OK or a failure that fails the call.
typedef HRESULT CALLBACK SrAuthTokenProvider(void* context, uint64_t xuid, char* buffer,
                                             size_t bufferSize);

struct SrContextArgs {
  uint64_t Xuid;                       // the user this context acts for; non-zero
  const char* Endpoint;                // null: "https://sessiondirectory.xboxlive.com"
  const char* Authorization;           // fixed Authorization value; used if no provider
  SrAuthTokenProvider* TokenProvider;  // optional; wins over Authorization
  void* TokenProviderContext;
  SrTransportHandle Transport;  // null: the process default threaded transport
  uint32_t TimeoutMs;           // per-call timeout in ms; 0: 20000 (the SDK's window)
};

// Creates a context. E_INVALIDARG for null args/out, xuid 0, or an endpoint
// that is not an http:// or https:// URL. The caller owns the handle.
STDAPI SrContextCreate(const SrContextArgs* args, XblContextHandle* context) XBL_NOEXCEPT;

// What the core counted in this process since it started, for diagnostics
// (loadgen reports them). Counts only grow.
struct SrCoreCounters {
  // Member gamertags longer than XblMultiplayerSessionMember::Gamertag holds
  // (15 bytes) in accepted responses: the C view cuts them at a UTF-8
  // boundary, as the shipped SDK does, rather than failing the response.
  uint64_t GamertagsTruncated;
};

// Fills `counters`. E_INVALIDARG for null. Thread-safe.
STDAPI SrGetCoreCounters(SrCoreCounters* counters) XBL_NOEXCEPT;
