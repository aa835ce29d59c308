// sessionrig/transport.h: the HTTP transport of the core: libcurl multi
// driven by curl_multi_socket_action + epoll, one CURLM per driving thread.
//
// Two shapes (see sessionrig_c.h):
//  - OwnerDrivenTransport: no thread, no locks. Every method must be called
//    on the owning thread; completions run inside Poll().
//  - ThreadedTransport: wraps an owner-driven transport on its own thread.
//    Start/Cancel are thread-safe; completions run on the transport thread.
// Completion callbacks run exactly once per started transfer (also for
// cancel, timeout, admission failure and shutdown) and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sessionrig/hresult.h"
#include "sessionrig/status.h"

namespace sessionrig {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET or PUT (others pass through)
  std::string url;
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds timeout{20000};  // whole-transfer timeout
};

struct HttpResponse {
  // S_OK when an HTTP response was received completely; otherwise the
  // transport failure (SR_E_TIMEOUT, SR_E_CONNECTION_RESET, E_ABORT, ...).
  HRESULT transport_result = S_OK;
  std::string error_detail;  // libcurl's message for a transport failure
  uint32_t status = 0;       // HTTP status (0 if none)
  HeaderList headers;        // names as received; order kept
  std::string body;
  // Timings in microseconds from the request's start.
  int64_t connect_us = 0;
  int64_t total_us = 0;
};

using TransferId = uint64_t;
using CompletionFn = std::function<void(HttpResponse&&)>;

struct TransportOptions {
  // Admission cap; excess is failed, never queued in libcurl. It also sizes
  // the transport: one libcurl multi handle (connection cache) per 128
  // HTTP/1.1 connections it may need, so finding a reusable connection
  // stays cheap at thousands in flight.
  uint32_t max_in_flight = 1024;
  // 0: unlimited. Set below the transfers a host gets, HTTP/1.1 transfers
  // beyond it wait in libcurl for a free connection (not failed).
  uint32_t max_connections_per_host = 0;
  // kAuto: h2 via ALPN on https, HTTP/1.1 on cleartext. kHttp2PriorKnowledge:
  // h2c without upgrade; streams multiplex on one connection, except with
  // libcurl < 8.0.0, whose h2c connection reuse is broken (curl #10634):
  // there every transfer opens its own connection.
  enum class HttpVersion { kAuto, kHttp11, kHttp2PriorKnowledge } http_version = HttpVersion::kAuto;
  uint64_t max_response_bytes = 16u
                                << 20;  // bytes; a larger body fails with SR_E_RESPONSE_TOO_LARGE
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Starts a transfer. Returns its id (never 0). If the admission cap is
  // reached the completion runs with SR_E_TOO_MANY_IN_FLIGHT (on the
  // driving thread, never inline inside Start).
  virtual TransferId Start(HttpRequest request, CompletionFn done) = 0;
  // Aborts a transfer: its completion runs with E_ABORT unless it already
  // completed. Unknown ids are ignored. The completion runs on the driving
  // thread (owner-driven: in the next Poll), never inline inside Cancel.
  virtual void Cancel(TransferId id) = 0;
  virtual uint32_t InFlight() const = 0;
  // True if methods must be called on the owning thread only.
  virtual bool owner_driven() const = 0;
};

class OwnerDrivenTransport : public Transport {
 public:
  static StatusOr<std::unique_ptr<OwnerDrivenTransport>> Create(const TransportOptions& options);
  // Waits up to `timeout_ms` for activity, processes it, runs completions.
  // Returns transfers still in flight.
  virtual uint32_t Poll(int timeout_ms) = 0;
  // An fd that becomes readable when Poll has work (epoll fd), for owners
  // that multiplex it with their own waits.
  virtual int wait_fd() const = 0;
  bool owner_driven() const override { return true; }
};

// Creates a transport driven by its own thread.
StatusOr<std::unique_ptr<Transport>> CreateThreadedTransport(const TransportOptions& options);

// Maps a libcurl CURLcode to the HRESULT named in hresult.h.
HRESULT HResultFromCurlCode(int curl_code);

}  // namespace sessionrig
