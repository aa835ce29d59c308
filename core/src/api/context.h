// core/src/api/context.h: the state behind XblContextHandle.
//
// Constant after construction except the reference count, so a context may
// be used from any thread (the token provider is called on the thread that
// starts a request; it must be thread-safe if the context is shared).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "sessionrig/sessionrig_c.h"
#include "sessionrig/status.h"
#include "sessionrig/transport.h"

struct XblContext {
  std::atomic<uint32_t> refs{1};

  // Constant after construction.
  uint64_t xuid = 0;
  std::string endpoint;       // scheme://host[:port][/prefix], no trailing '/'
  std::string authorization;  // fixed Authorization value ("" if the provider is used)
  SrAuthTokenProvider* token_provider = nullptr;
  void* token_provider_context = nullptr;
  SrTransportHandle transport = nullptr;  // one reference owned by the context
  std::chrono::milliseconds timeout{20000};
};

namespace sessionrig {

// The Authorization header value for a request of `context`: the provider's
// answer, else the fixed value. Fails with the provider's HRESULT.
[[nodiscard]] HRESULT AuthorizationFor(const XblContext& context, std::string* value);

// The transport behind the context. Never null for a live context.
Transport* ContextTransport(const XblContext& context);

void ContextAddRef(XblContext* context);

// Drops one reference, freeing the context with the last one.
void ContextRelease(XblContext* context);

}  // namespace sessionrig
