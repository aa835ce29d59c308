// fuzz/transport_fuzzer.cc: fuzzer-chosen response bytes served over a real
// loopback TCP connection to the real libcurl multi transport, through the
// whole async write path: XblMultiplayerWriteSessionAsync on a Manual task
// queue and an owner-driven transport, pumped on this thread, then
// XblMultiplayerWriteSessionResult. The curl-fuzzer technique (a scripted
// peer instead of a server), so HTTP framing, chunked encoding, interim
// responses, truncation, resets and cancellation reach the same code a real
// write runs.
//
// Input: the response bytes the server sends, followed by a trailer read
// from the END (fuzz_input.h):
//   last byte   flags: bit0 end with a TCP reset (else a normal close);
//               bit1 cancel the call (XAsyncCancel) after chunk `cancel_at`;
//               bits 4-6 write mode (0-3 the SDK's, 4-7 an invalid value)
//   1 byte      cancel_at
//   1 byte      n = chunk count (mod 16)
//   n bytes     chunk lengths; the rest of the response is the last chunk.
// Each chunk is sent separately, with the transport polled in between, so
// libcurl reads it separately (TCP may still merge them).
//
// Invariants:
//  - the call always completes (never hangs) and its Result is one of the
//    documented HRESULTs: S_OK, an HTTP_E_STATUS_*, WEB_E_INVALID_JSON_STRING,
//    a transport failure (not a timeout: the server always closes), E_ABORT
//    only when cancelled, E_INVALIDARG only for an invalid write mode;
//  - a second Result call gives E_ILLEGAL_METHOD_CALL after a success, the
//    same failure after a failure (XAsync.h);
//  - a success hands out a new handle whose write status is a success status
//    (Updated, Created, SessionDeleted, OutOfSync, or Unknown for another
//    2xx), with a strong ETag unless SessionDeleted, no pending delta, and a
//    session that passes CheckSessionLimits and round-trips;
//  - differential: when the bytes are a strictly well-formed
//    Content-Length response (see StrictResponse) and the connection closes
//    normally without a cancel, the result equals what the pure parser
//    (ParseWriteResponse) says about the same response, whatever the chunking.
// SESSIONRIG_FUZZ_TRACE=1 prints each input's result.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "XAsync.h"
#include "XTaskQueue.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "http_response_split.h"
#include "session/session_handle.h"
#include "session/session_request.h"
#include "session_checks.h"
#include "sessionrig/hresult.h"
#include "sessionrig/response_parser.h"
#include "sessionrig/sessionrig_c.h"
#include "xsapi-c/multiplayer_c.h"
#include "xsapi-c/xbox_live_context_c.h"

namespace sessionrig::fuzz {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kXuid = 2533274790412345;
constexpr auto kDeadline = std::chrono::seconds(15);  // no call may take this long
constexpr uint32_t kCallTimeoutMs = 10000;            // the context's per-call timeout

// The listening socket, shared by all inputs (one bind per process).
struct Listener {
  int fd = -1;
  std::string endpoint;
};

const Listener& GetListener() {
  static const Listener listener = [] {
    Listener l;
    l.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(l.fd >= 0, "socket: " << errno);
    const int one = 1;
    setsockopt(l.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(bind(l.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0,
               "bind: " << errno);
    FUZZ_CHECK(listen(l.fd, 64) == 0, "listen: " << errno);
    socklen_t len = sizeof(addr);
    getsockname(l.fd, reinterpret_cast<sockaddr*>(&addr), &len);
    l.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    return l;
  }();
  return listener;
}

// Closes connections left in the backlog by an earlier input.
void DrainBacklog(int listen_fd) {
  while (true) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    close(fd);
  }
}

bool IsTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsFieldText(std::string_view v) {
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (!(u == '\t' || (u >= 0x20 && u <= 0x7e))) return false;
  }
  return true;
}

// A response no two HTTP/1.1 implementations may frame differently: status
// line "HTTP/1.1 DDD[ reason]" with DDD in 200..599 but not 204/304; header
// lines "token:value" of visible ASCII, CRLF-terminated, no folding; exactly
// one Content-Length in canonical digits, no Transfer-Encoding or
// Content-Encoding; and exactly that many body bytes, nothing after them.
std::optional<SplitResponse> StrictResponse(std::string_view raw) {
  const std::size_t end = raw.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view head = raw.substr(0, end + 2);
  const std::string_view body = raw.substr(end + 4);
  const std::size_t first_eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, first_eol);
  if (status_line.size() < 12 || status_line.substr(0, 9) != "HTTP/1.1 " ||
      (status_line.size() > 12 && status_line[12] != ' ') || !IsFieldText(status_line)) {
    return std::nullopt;
  }
  uint32_t status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') return std::nullopt;
    status = status * 10 + static_cast<uint32_t>(status_line[i] - '0');
  }
  if (status < 200 || status > 599 || status == 204 || status == 304) return std::nullopt;
  head.remove_prefix(first_eol + 2);
  int lengths = 0;
  uint64_t length = 0;
  while (!head.empty()) {
    const std::size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos || !IsFieldText(line)) return std::nullopt;
    for (char c : line.substr(0, colon)) {
      if (!IsTchar(c)) return std::nullopt;
    }
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (split_detail::EqualsNoCase(name, "transfer-encoding") ||
        split_detail::EqualsNoCase(name, "content-encoding")) {
      return std::nullopt;
    }
    if (split_detail::EqualsNoCase(name, "content-length")) {
      if (value.empty() || value.size() > 9 || (value.size() > 1 && value[0] == '0')) {
        return std::nullopt;
      }
      for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
      }
      length = std::stoull(std::string(value));
      ++lengths;
    }
  }
  if (lengths != 1 || body.size() != length) return std::nullopt;
  auto split = SplitHttpResponse(raw);
  FUZZ_CHECK(split.has_value() && split->status == status && split->body == body,
             "the framer disagrees with StrictResponse");
  return split;
}

// SESSIONRIG_FUZZ_TRACE=1 prints each input's result (for checking seeds).
bool Trace() {
  static const bool on = [] {
    // The fuzzer's one thread reads it once.
    const char* v = std::getenv("SESSIONRIG_FUZZ_TRACE");  // NOLINT(concurrency-mt-unsafe)
    return v != nullptr && std::string_view(v) == "1";
  }();
  return on;
}

bool TransportFailure(HRESULT hr) {
  return hr == SR_E_CONNECTION_REFUSED || hr == SR_E_CONNECTION_RESET ||
         hr == SR_E_HOST_NOT_FOUND || hr == SR_E_TLS || hr == SR_E_NETWORK || hr == SR_E_PROTOCOL ||
         hr == SR_E_RESPONSE_TOO_LARGE || hr == SR_E_TOO_MANY_IN_FLIGHT;
}

bool HttpFailure(HRESULT hr) { return (static_cast<uint32_t>(hr) & 0xFFFF0000u) == 0x80190000u; }

// Everything one input needs, torn down in order.
class Harness {
 public:
  Harness() {
    SrTransportArgs targs{};
    targs.OwnerDriven = true;
    FUZZ_CHECK(SrTransportCreate(&targs, &transport_) == S_OK, "SrTransportCreate");
    FUZZ_CHECK(XTaskQueueCreate(XTaskQueueDispatchMode::Manual, XTaskQueueDispatchMode::Manual,
                                &queue_) == S_OK,
               "XTaskQueueCreate");
    SrContextArgs args{};
    args.Xuid = kXuid;
    args.Endpoint = GetListener().endpoint.c_str();
    args.Authorization = "XBL3.0 x=2533274790412345;fuzz";
    args.Transport = transport_;
    args.TimeoutMs = kCallTimeoutMs;
    FUZZ_CHECK(SrContextCreate(&args, &context_) == S_OK, "SrContextCreate");
    const XblMultiplayerSessionReference ref =
        XblMultiplayerSessionReferenceCreate("00000000-0000-0000-0000-000076029b4d", "lobby", "s1");
    session_ = XblMultiplayerSessionCreateHandle(kXuid, &ref, nullptr);
    FUZZ_CHECK(session_ != nullptr, "CreateHandle");
    FUZZ_CHECK(SUCCEEDED(XblMultiplayerSessionJoin(session_, nullptr, false, true)), "Join");
  }
  ~Harness() {
    if (conn_ >= 0) close(conn_);
    XblMultiplayerSessionCloseHandle(session_);
    XblContextCloseHandle(context_);
    SrTransportCloseHandle(transport_);
    DispatchQueue();  // whatever the close queued (the call itself completed)
    XTaskQueueCloseHandle(queue_);
  }

  // Polls the transport for up to `ms` and runs whatever the queue holds.
  void Pump(uint32_t ms) {
    SrTransportPoll(transport_, ms);
    DispatchQueue();
  }

  void DispatchQueue() {
    while (XTaskQueueDispatch(queue_, XTaskQueuePort::Work, 0)) {
    }
    while (XTaskQueueDispatch(queue_, XTaskQueuePort::Completion, 0)) {
    }
  }

  bool Done() { return XAsyncGetStatus(&block_, false) != E_PENDING; }
  bool Expired() const { return Clock::now() - start_ > kDeadline; }

  void Start(XblMultiplayerSessionWriteMode mode) {
    block_.queue = queue_;
    start_ = Clock::now();
    FUZZ_CHECK(XblMultiplayerWriteSessionAsync(context_, session_, mode, &block_) == S_OK,
               "WriteSessionAsync refused to start");
  }

  // Accepts the call's connection and reads its request; false if the call
  // ended first (it never connects for an invalid write mode).
  bool AcceptAndReadRequest() {
    const int listen_fd = GetListener().fd;
    while (conn_ < 0) {
      if (Done() || Expired()) return false;
      conn_ = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (conn_ < 0) Pump(1);
    }
    const int one = 1;
    setsockopt(conn_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // The request: headers, then Content-Length bytes of body.
    char buf[4096];
    while (!Expired()) {
      const ssize_t n = recv(conn_, buf, sizeof(buf), 0);
      if (n > 0) {
        request_.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        return true;  // the client went away; serve anyway
      }
      const std::size_t end = request_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        const std::size_t cl = request_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(request_.substr(cl + 16));
        if (request_.size() >= end + 4 + length) return true;
      }
      if (Done()) return true;
      Pump(1);
    }
    return true;
  }

  void Send(std::string_view chunk) {
    while (!chunk.empty() && !Expired()) {
      const ssize_t n = send(conn_, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n > 0) {
        chunk.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return;  // the client closed; the rest is lost
      }
      Pump(0);
    }
    Pump(0);
  }

  void Finish(bool reset) {
    if (conn_ < 0) return;
    if (reset) {
      const linger lg{1, 0};
      setsockopt(conn_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(conn_);
    conn_ = -1;
  }

  void Cancel() { XAsyncCancel(&block_); }

  // Pumps until the call completes; false on the deadline.
  bool Wait() {
    while (!Done()) {
      if (Expired()) return false;
      Pump(2);
    }
    return true;
  }

  XAsyncBlock* block() { return &block_; }
  const std::string& request() const { return request_; }
  bool connected() const { return !request_.empty(); }

 private:
  SrTransportHandle transport_ = nullptr;
  XTaskQueueHandle queue_ = nullptr;
  XblContextHandle context_ = nullptr;
  XblMultiplayerSessionHandle session_ = nullptr;
  XAsyncBlock block_{};
  int conn_ = -1;
  std::string request_;
  Clock::time_point start_;
};

void CheckResultHandle(XblMultiplayerSessionHandle h) {
  FUZZ_CHECK(h != nullptr, "a success without a handle");
  const XblWriteSessionStatus ws = XblMultiplayerSessionWriteStatus(h);
  FUZZ_CHECK(ws == XblWriteSessionStatus::Updated || ws == XblWriteSessionStatus::Created ||
                 ws == XblWriteSessionStatus::SessionDeleted ||
                 ws == XblWriteSessionStatus::OutOfSync || ws == XblWriteSessionStatus::Unknown,
             "success with write status " << static_cast<int>(ws));
  const std::string etag = XblMultiplayerSessionEtag(h);
  if (ws == XblWriteSessionStatus::SessionDeleted) {
    FUZZ_CHECK(etag.empty(), "a deleted session with an ETag");
  } else {
    FUZZ_CHECK(IsStrongEtag(etag), "result ETag [" << etag << "]");
  }
  FUZZ_CHECK(BuildWriteRequestBody(*h) == "{}", "a result handle with a pending delta");
  const XblMultiplayerSessionMember* members = nullptr;
  size_t count = 0;
  FUZZ_CHECK(SUCCEEDED(XblMultiplayerSessionMembers(h, &members, &count)), "Members");
  const SessionDocument& doc = *h->doc;
  FUZZ_CHECK(count == doc.members.size(), "member count");
  CheckSessionLimits(doc, SessionLimits{});
  CheckRoundTrip(doc, JsonLimits{}, SessionLimits{});
}

}  // namespace
}  // namespace sessionrig::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sessionrig;
  using namespace sessionrig::fuzz;
  FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const uint8_t cancel_at = in.Byte();
  const uint32_t chunk_count = in.Below(16);
  std::vector<std::size_t> chunks;
  for (uint32_t i = 0; i < chunk_count; ++i) chunks.push_back(in.Byte());
  const std::string_view response = in.Rest();
  const bool reset = (flags & 1) != 0;
  const bool cancel = (flags & 2) != 0;
  const uint32_t mode_value = (flags >> 4) & 7;
  const bool valid_mode = mode_value <= 3;
  const auto mode = static_cast<XblMultiplayerSessionWriteMode>(valid_mode ? mode_value : 7);

  DrainBacklog(GetListener().fd);
  Harness h;
  h.Start(mode);
  bool cancelled = false;
  if (h.AcceptAndReadRequest() && h.connected()) {
    const std::string& req = h.request();
    FUZZ_CHECK(req.rfind("PUT /serviceconfigs/00000000-0000-0000-0000-000076029b4d/"
                         "sessionTemplates/lobby/sessions/s1 HTTP/1.1\r\n",
                         0) == 0,
               "request line: " << req.substr(0, 120));
    FUZZ_CHECK(req.find("\r\nx-xbl-contract-version: 107\r\n") != std::string::npos,
               "no contract version header");
    std::string_view rest = response;
    std::size_t index = 0;
    for (std::size_t len : chunks) {
      if (cancel && index == cancel_at && !cancelled) {
        h.Cancel();
        cancelled = true;
      }
      len = std::min(len, rest.size());
      h.Send(rest.substr(0, len));
      rest.remove_prefix(len);
      ++index;
    }
    if (cancel && !cancelled) {
      h.Cancel();
      cancelled = true;
    }
    h.Send(rest);
    h.Finish(reset);
  } else if (cancel) {
    h.Cancel();
    cancelled = true;
  }
  FUZZ_CHECK(h.Wait(), "the write did not complete within " << kDeadline.count() << " s");

  XblMultiplayerSessionHandle result = nullptr;
  const HRESULT hr = XblMultiplayerWriteSessionResult(h.block(), &result);
  // Spec section 1: a second Result call is E_ILLEGAL_METHOD_CALL, after a
  // failed call too.
  const HRESULT again = XblMultiplayerWriteSessionResult(h.block(), nullptr);
  FUZZ_CHECK(again == E_ILLEGAL_METHOD_CALL, "a second Result call gave "
                                                 << SrHResultToString(again) << " after "
                                                 << SrHResultToString(hr));
  if (!valid_mode) {
    FUZZ_CHECK(hr == E_INVALIDARG || (cancelled && hr == E_ABORT),
               "invalid write mode gave " << SrHResultToString(hr));
  }
  FUZZ_CHECK(hr == S_OK || HttpFailure(hr) || hr == WEB_E_INVALID_JSON_STRING ||
                 TransportFailure(hr) || (cancelled && hr == E_ABORT) ||
                 (!valid_mode && hr == E_INVALIDARG),
             "unexpected result " << SrHResultToString(hr));
  if (Trace()) {
    std::fprintf(stderr, "  mode %u%s%s: %s%s\n", mode_value, reset ? " reset" : "",
                 cancelled ? " cancelled" : "", SrHResultToString(hr),
                 StrictResponse(response) ? " (strict)" : "");
  }
  if (SUCCEEDED(hr)) {
    CheckResultHandle(result);
  } else {
    FUZZ_CHECK(result == nullptr, "a failure with a handle");
  }

  // Differential against the pure parser for unambiguous responses.
  if (valid_mode && !reset && !cancelled) {
    if (auto strict = StrictResponse(response)) {
      const ParsedResponse expected =
          ParseWriteResponse(strict->status, strict->headers, strict->body);
      FUZZ_CHECK(hr == expected.hr, "the wire gave " << SrHResultToString(hr)
                                                     << ", the parser says "
                                                     << SrHResultToString(expected.hr));
      if (SUCCEEDED(hr)) {
        FUZZ_CHECK(XblMultiplayerSessionWriteStatus(result) == expected.write_status,
                   "write status differs");
        FUZZ_CHECK(std::string(XblMultiplayerSessionEtag(result)) == expected.etag, "ETag differs");
        FUZZ_CHECK(expected.session == nullptr || *result->doc == *expected.session,
                   "session differs");
      }
    }
  }
  XblMultiplayerSessionCloseHandle(result);
  return 0;
}
