// The transport part of sessionrig_c.h: SrTransportCreate/Poll/InFlight/
// CloseHandle, and the internal handle helpers of transport_handle.h.
#include <climits>
#include <mutex>
#include <new>
#include <utility>

#include "transport/transport_handle.h"

namespace {

sessionrig::TransportOptions OptionsFromArgs(const SrTransportArgs& args) {
  sessionrig::TransportOptions options;
  if (args.MaxInFlight != 0) options.max_in_flight = args.MaxInFlight;
  options.max_connections_per_host = args.MaxConnectionsPerHost;
  if (args.MaxResponseBytes != 0) options.max_response_bytes = args.MaxResponseBytes;
  switch (args.HttpVersion) {
    case SrHttpVersion::Auto:
      options.http_version = sessionrig::TransportOptions::HttpVersion::kAuto;
      break;
    case SrHttpVersion::Http1_1:
      options.http_version = sessionrig::TransportOptions::HttpVersion::kHttp11;
      break;
    case SrHttpVersion::Http2PriorKnowledge:
      options.http_version = sessionrig::TransportOptions::HttpVersion::kHttp2PriorKnowledge;
      break;
  }
  return options;
}

bool ValidHttpVersion(SrHttpVersion v) {
  return v == SrHttpVersion::Auto || v == SrHttpVersion::Http1_1 ||
         v == SrHttpVersion::Http2PriorKnowledge;
}

HRESULT HResultFromStatus(const sessionrig::Status& status) {
  return status.code() == sessionrig::StatusCode::kInvalidArgument ? E_INVALIDARG : E_FAIL;
}

}  // namespace

STDAPI SrTransportCreate(const SrTransportArgs* args, SrTransportHandle* transport) XBL_NOEXCEPT {
  if (args == nullptr || transport == nullptr || !ValidHttpVersion(args->HttpVersion)) {
    return E_INVALIDARG;
  }
  sessionrig::TransportOptions options = OptionsFromArgs(*args);
  auto* handle = new (std::nothrow) SrTransport();
  if (handle == nullptr) return E_OUTOFMEMORY;
  if (args->OwnerDriven) {
    auto t = sessionrig::OwnerDrivenTransport::Create(options);
    if (!t.ok()) {
      delete handle;
      return HResultFromStatus(t.status());
    }
    handle->owner_driven = t.value().get();
    handle->transport = std::move(t).value();
  } else {
    auto t = sessionrig::CreateThreadedTransport(options);
    if (!t.ok()) {
      delete handle;
      return HResultFromStatus(t.status());
    }
    handle->transport = std::move(t).value();
  }
  *transport = handle;
  return S_OK;
}

STDAPI_(uint32_t) SrTransportPoll(SrTransportHandle transport, uint32_t timeoutMs) XBL_NOEXCEPT {
  if (transport == nullptr) return 0;
  if (transport->owner_driven == nullptr) return transport->transport->InFlight();
  int timeout_ms = timeoutMs == UINT32_MAX                      ? -1
                   : timeoutMs > static_cast<uint32_t>(INT_MAX) ? INT_MAX
                                                                : static_cast<int>(timeoutMs);
  return transport->owner_driven->Poll(timeout_ms);
}

STDAPI_(uint32_t) SrTransportInFlight(SrTransportHandle transport) XBL_NOEXCEPT {
  if (transport == nullptr) return 0;
  return transport->transport->InFlight();
}

STDAPI_(void) SrTransportCloseHandle(SrTransportHandle transport) XBL_NOEXCEPT {
  if (transport == nullptr) return;
  if (transport->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete transport;
}

void SrTransportAddRef(SrTransportHandle transport) {
  transport->refs.fetch_add(1, std::memory_order_relaxed);
}

namespace sessionrig {

Transport* TransportFromHandle(SrTransportHandle transport) { return transport->transport.get(); }

SrTransportHandle DefaultTransportHandle() {
  // Created once and never released: it stays reachable until exit, and its
  // thread idles in epoll_wait when there is no traffic.
  static std::mutex mu;
  static SrTransportHandle handle = nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (handle == nullptr) {
    SrTransportArgs args{};
    args.OwnerDriven = false;
    args.HttpVersion = SrHttpVersion::Auto;
    if (FAILED(SrTransportCreate(&args, &handle))) return nullptr;
  }
  SrTransportAddRef(handle);
  return handle;
}

}  // namespace sessionrig
