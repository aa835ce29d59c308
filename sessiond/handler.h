// sessiond/handler.h: sessiond's HTTP semantics, without sockets.
//
// Handler::HandleRequest maps one parsed HTTP request to one response: the
// MPSD session routes (GET/PUT), the loopback-only admin routes, auth,
// conditional writes, limits that are visible at this level, and fault
// decisions. The transport (server.cc) only reads requests, applies the
// returned delay and wire fault, and writes responses; fuzzers and tests
// call HandleRequest directly.
//
// Routes:
//   GET|PUT /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}
//   GET|PUT|DELETE /admin/faults   (loopback peers only)
//   GET /healthz
//
// Thread-safety: Handler is thread-safe; HandleRequest may run on many
// threads at once (the store is sharded, the rest is immutable or atomic).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "sessiond/auth.h"
#include "sessiond/faults.h"
#include "sessiond/store.h"
#include "sessionrig/json_codec.h"

namespace sessionrig::sessiond {

class Metrics;
struct SessionHeaders;  // handler.cc: the request headers a session route reads

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

struct HandlerOptions {
  AuthMode auth_mode = AuthMode::kDev;
  std::string secret;                   // dev-mode HMAC key (>= kMinSecretBytes bytes)
  JsonLimits json_limits;               // every request body is parsed under these
  std::size_t max_url_bytes = 2048;     // longer targets get 414
  std::chrono::seconds retry_after{1};  // Retry-After of 503 "session limit reached", s
  StoreOptions store;
};

// What the transport knows about a request.
struct RequestInfo {
  bool peer_is_loopback = true;  // admin routes answer 403 otherwise
  SteadyTime received_at{};      // when the request was fully read; default: now
  // The connection's last verified token (null: verify every request). A
  // repeat of it skips the HMAC; its expiry is still checked.
  VerifiedToken* verified = nullptr;
  // The transport's choice: a session document (200/201/412, not a large
  // session's per-caller rendering) comes back as the store's cached bytes
  // in HandlerResult::document rather than copied into the response body.
  bool share_document = false;
};

struct HandlerResult {
  // Complete, payload prepared; with `document`, its body is empty and its
  // Content-Length is the document's.
  HttpResponse response;
  // The body, when RequestInfo::share_document and the response is a
  // session document: serialized once per change by the store, shared.
  std::shared_ptr<const std::string> document;
  WireFault wire_fault = WireFault::kNone;  // damage to apply when writing it
  Micros delay{0};                          // hold the response this long (latency + stall)
};

class Handler {
 public:
  // `metrics` may be null; otherwise it must outlive the handler.
  Handler(HandlerOptions options, Metrics* metrics);
  Handler(const Handler&) = delete;
  Handler& operator=(const Handler&) = delete;

  HandlerResult HandleRequest(const HttpRequest& request, const RequestInfo& info);

  // Replaces the fault plan (a stall's `at` counts from now). Errors:
  // kInvalidArgument from the spec parser; the old plan then stays.
  [[nodiscard]] Status SetFaults(const std::vector<std::string>& specs);
  std::vector<std::string> faults() const { return faults_.specs(); }

  SessionStore& store() { return store_; }
  const Authenticator& authenticator() const { return auth_; }

 private:
  HandlerResult HandleAdmin(const HttpRequest& request, std::string_view path,
                            const RequestInfo& info);
  // `shared`: where a session document's cached bytes go instead of the
  // body (null: copy them into the body).
  void HandleGet(const SessionHeaders& headers, const std::string& key, const std::string& caller,
                 HttpResponse* res, std::shared_ptr<const std::string>* shared);
  void HandlePut(const HttpRequest& request, const SessionHeaders& headers, const std::string& key,
                 const std::string& caller, int contract_version, HttpResponse* response,
                 std::shared_ptr<const std::string>* shared);

  // Constant after construction.
  const HandlerOptions options_;
  Metrics* const metrics_;
  const Authenticator auth_;

  // Thread-safe members.
  SessionStore store_;
  FaultInjector faults_;
};

// Appends the bytes Beast's serializer writes before `response`'s body:
// the status line ("HTTP/1.1 200 OK", Beast's reason phrase unless one is
// set), every field in order as "Name: value", and the blank line. The
// transport writes this and the body in one write; the handler tests and
// the request fuzzer check it against Beast's serializer byte for byte.
void AppendResponseHead(const HttpResponse& response, std::string* out);

// A damaged response as raw bytes, and what to do with the connection after.
struct WireBytes {
  enum class After { kKeepAlive, kClose, kReset };
  std::string bytes;
  After after = After::kClose;
};

// Renders `response` damaged by `fault` (REQUIRES: fault != kNone):
//   truncated     correct Content-Length, half the body; close
//   wrong_length  Content-Length of half the body, the whole body; close
//   invalid_json  body replaced by broken JSON, length correct; keep-alive
//   bad_etag      ETag without quotes (not an entity-tag); keep-alive
//   reset         headers and half the body; TCP reset
WireBytes RenderWire(const HttpResponse& response, WireFault fault);

}  // namespace sessionrig::sessiond
