#include "api/context.h"

#include <array>
#include <cstring>
#include <new>
#include <string_view>

#include "transport/transport_handle.h"

namespace sessionrig {
namespace {

constexpr std::string_view kDefaultEndpoint = "https://sessiondirectory.xboxlive.com";
constexpr std::chrono::milliseconds kDefaultTimeout{20000};  // the SDK's call window
constexpr std::size_t kMaxAuthorizationBytes = 16u << 10;    // SDK tokens are a few KiB

// True for "http://host..." / "https://host..." with a non-empty host and no
// whitespace or control characters anywhere.
bool IsHttpUrl(std::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (url.substr(0, scheme.size()) == scheme) {
      std::string_view rest = url.substr(scheme.size());
      return !rest.empty() && rest.front() != '/';
    }
  }
  return false;
}

}  // namespace

HRESULT AuthorizationFor(const XblContext& context, std::string* value) {
  if (context.token_provider == nullptr) {
    *value = context.authorization;
    return S_OK;
  }
  std::array<char, kMaxAuthorizationBytes> buffer{};
  HRESULT hr = context.token_provider(context.token_provider_context, context.xuid, buffer.data(),
                                      buffer.size());
  if (FAILED(hr)) return hr;
  // A provider that forgot the terminator is cut at the buffer's end, never read past it.
  value->assign(buffer.data(), strnlen(buffer.data(), buffer.size()));
  return S_OK;
}

Transport* ContextTransport(const XblContext& context) {
  return TransportFromHandle(context.transport);
}

void ContextAddRef(XblContext* context) { context->refs.fetch_add(1, std::memory_order_relaxed); }

void ContextRelease(XblContext* context) {
  if (context->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    SrTransportCloseHandle(context->transport);
    delete context;
  }
}

}  // namespace sessionrig

STDAPI SrContextCreate(const SrContextArgs* args, XblContextHandle* context) noexcept {
  if (args == nullptr || context == nullptr || args->Xuid == 0) return E_INVALIDARG;
  std::string_view endpoint =
      args->Endpoint != nullptr ? std::string_view(args->Endpoint) : sessionrig::kDefaultEndpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
  if (!sessionrig::IsHttpUrl(endpoint)) return E_INVALIDARG;

  auto* ctx = new (std::nothrow) XblContext();
  if (ctx == nullptr) return E_OUTOFMEMORY;
  ctx->xuid = args->Xuid;
  ctx->endpoint.assign(endpoint);
  if (args->Authorization != nullptr) ctx->authorization = args->Authorization;
  ctx->token_provider = args->TokenProvider;
  ctx->token_provider_context = args->TokenProviderContext;
  ctx->timeout = args->TimeoutMs == 0 ? sessionrig::kDefaultTimeout
                                      : std::chrono::milliseconds(args->TimeoutMs);
  if (args->Transport != nullptr) {
    SrTransportAddRef(args->Transport);
    ctx->transport = args->Transport;
  } else {
    ctx->transport = sessionrig::DefaultTransportHandle();
    if (ctx->transport == nullptr) {
      delete ctx;
      return E_FAIL;
    }
  }
  *context = ctx;
  return S_OK;
}

STDAPI XblContextDuplicateHandle(XblContextHandle handle, XblContextHandle* duplicated) noexcept {
  if (handle == nullptr || duplicated == nullptr) return E_INVALIDARG;
  sessionrig::ContextAddRef(handle);
  *duplicated = handle;
  return S_OK;
}

STDAPI_(void) XblContextCloseHandle(XblContextHandle handle) noexcept {
  if (handle != nullptr) sessionrig::ContextRelease(handle);
}

STDAPI XblContextGetXboxUserId(XblContextHandle context, uint64_t* xboxUserId) noexcept {
  if (context == nullptr || xboxUserId == nullptr) return E_INVALIDARG;
  *xboxUserId = context->xuid;
  return S_OK;
}
