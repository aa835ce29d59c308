// The owner-driven libcurl transport. See transport/curl_transport.h.
#include "transport/curl_transport.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "sessionrig/ascii.h"

namespace sessionrig {

// One transfer: the request (whose body libcurl reads in place), the
// response being assembled and the easy handle, which is kept for reuse
// with its transport-wide options set (ConfigureEasy).
struct CurlTransport::Transfer {
  CurlTransport* owner = nullptr;
  TransferId id = 0;
  CurlEasyPtr easy;        // null if curl_easy_init or ConfigureEasy failed
  Shard* shard = nullptr;  // whose multi handle runs it
  HttpRequest request;
  CompletionFn done;
  HttpResponse response;
  bool too_large = false;  // the body cap aborted the transfer
  char error[CURL_ERROR_SIZE] = {};
  // The request's header lines for CURLOPT_HTTPHEADER, rebuilt per request
  // in storage kept across requests: NUL-terminated lines in `header_text`,
  // linked through `header_nodes` (libcurl only reads a header list; it
  // never frees or changes one it is given).
  std::string header_text;
  std::vector<curl_slist> header_nodes;
};

namespace {

constexpr int kMaxEvents = 64;             // epoll events taken per wait
constexpr size_t kMaxSpareTransfers = 64;  // easy handles kept for reuse
// HTTP/1.1 connections per multi handle, about (see curl_transport.h): a
// walk over this many costs a few percent of a transfer.
constexpr uint32_t kConnectionsPerShard = 128;
// Response headers room is made for at once (more still fit).
constexpr size_t kExpectedResponseHeaders = 8;

// What an epoll event is about: a tag in the high 32 bits of data.u64, a
// socket fd or a shard index in the low 32 bits.
enum WaitTag : uint32_t { kWaitSocket = 0, kWaitTimer = 1, kWaitEvent = 2, kWaitWake = 3 };

uint64_t WaitData(WaitTag tag, uint32_t value) { return (uint64_t{tag} << 32) | value; }

std::string_view TrimHttpSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool HasHeader(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

// A plain loop: find_first_of("\r\n") calls memchr once per character.
bool HasLineBreak(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; });
}

long CurlHttpVersion(TransportOptions::HttpVersion v) {  // NOLINT(runtime/int): libcurl
  switch (v) {
    case TransportOptions::HttpVersion::kHttp11:
      return CURL_HTTP_VERSION_1_1;
    case TransportOptions::HttpVersion::kHttp2PriorKnowledge:
      return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    case TransportOptions::HttpVersion::kAuto:
      break;
  }
  return CURL_HTTP_VERSION_2TLS;  // h2 via ALPN on https, HTTP/1.1 on cleartext
}

// True for libcurl versions whose h2c prior-knowledge connection reuse is
// broken (fixed in 8.0.0 by curl PR #10643).
bool H2cReuseBroken() {
  static const bool broken = curl_version_info(CURLVERSION_NOW)->version_num < 0x080000;
  return broken;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HRESULT HResultFromCurlCode(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK:
      return S_OK;
    case CURLE_OPERATION_TIMEDOUT:
      return SR_E_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
      return SR_E_CONNECTION_REFUSED;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return SR_E_CONNECTION_RESET;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return SR_E_HOST_NOT_FOUND;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return SR_E_TLS;
    // CURLE_UNSUPPORTED_PROTOCOL is also what libcurl reports for a response
    // without a valid status line ("HTTP/0.9 when not allowed").
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
      return SR_E_PROTOCOL;
    case CURLE_ABORTED_BY_CALLBACK:
      return E_ABORT;
    case CURLE_OUT_OF_MEMORY:
      return E_OUTOFMEMORY;
    default:
      return SR_E_NETWORK;
  }
}

HRESULT HResultFromCurlResult(CURLcode code, long os_errno) {  // NOLINT(runtime/int)
  if (code == CURLE_COULDNT_CONNECT && os_errno != 0 && os_errno != ECONNREFUSED) {
    return SR_E_NETWORK;  // unreachable network or host, not a refusal
  }
  return HResultFromCurlCode(code);
}

StatusOr<std::unique_ptr<OwnerDrivenTransport>> OwnerDrivenTransport::Create(
    const TransportOptions& options) {
  auto t = CurlTransport::Create(options);
  if (!t.ok()) return t.status();
  return std::unique_ptr<OwnerDrivenTransport>(std::move(t).value());
}

CurlTransport::CurlTransport(const TransportOptions& options) : options_(options) {
  if (options_.max_in_flight == 0) options_.max_in_flight = TransportOptions().max_in_flight;
  if (options_.max_response_bytes == 0) {
    options_.max_response_bytes = TransportOptions().max_response_bytes;
  }
}

StatusOr<std::unique_ptr<CurlTransport>> CurlTransport::Create(const TransportOptions& options) {
  EnsureCurlGlobalInit();
  std::unique_ptr<CurlTransport> t(new CurlTransport(options));
  t->epoll_fd_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  t->event_fd_ = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!t->epoll_fd_.valid() || !t->event_fd_.valid()) {
    return Status(StatusCode::kInternal, std::string("transport fds: ") + ErrnoText(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = WaitData(kWaitEvent, 0);
  if (epoll_ctl(t->epoll_fd_.get(), EPOLL_CTL_ADD, t->event_fd_.get(), &ev) != 0) {
    return Status(StatusCode::kInternal, std::string("epoll_ctl: ") + ErrnoText(errno));
  }
  // One shard unless many HTTP/1.1 connections may be open at once. A
  // per-host connection cap is kept exactly with one multi handle, and h2
  // prior knowledge multiplexes on few connections anyway.
  uint32_t shards = 1;
  if (t->options_.max_connections_per_host == 0 &&
      t->options_.http_version != TransportOptions::HttpVersion::kHttp2PriorKnowledge) {
    shards = (t->options_.max_in_flight + kConnectionsPerShard - 1) / kConnectionsPerShard;
  }
  for (uint32_t i = 0; i < std::max(shards, 1u); ++i) {
    if (Status s = t->AddShard(); !s.ok()) return s;
  }
  return t;
}

Status CurlTransport::AddShard() {
  auto shard = std::make_unique<Shard>();
  shard->owner = this;
  shard->index = static_cast<uint32_t>(shards_.size());
  shard->timer_fd = UniqueFd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!shard->timer_fd.valid()) {
    return Status(StatusCode::kInternal, std::string("timerfd: ") + ErrnoText(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = WaitData(kWaitTimer, shard->index);
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, shard->timer_fd.get(), &ev) != 0) {
    return Status(StatusCode::kInternal, std::string("epoll_ctl: ") + ErrnoText(errno));
  }
  shard->multi.reset(curl_multi_init());
  if (shard->multi == nullptr) return Status(StatusCode::kInternal, "curl_multi_init failed");
  CURLM* m = shard->multi.get();
  void* user = shard.get();
  // Never more connections than admitted transfers: a transfer admitted by
  // the cap always gets a connection and never waits in libcurl's queue.
  long cap = static_cast<long>(options_.max_in_flight);  // NOLINT(runtime/int): libcurl
  if (curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &CurlTransport::OnSocket) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_SOCKETDATA, user) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &CurlTransport::OnTimer) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_TIMERDATA, user) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, cap) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, cap) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX) != CURLM_OK) {
    return Status(StatusCode::kInternal, "curl_multi_setopt failed");
  }
  if (options_.max_connections_per_host != 0) {
    long per_host =                                            // NOLINT(runtime/int): libcurl
        static_cast<long>(options_.max_connections_per_host);  // NOLINT(runtime/int)
    if (curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, per_host) != CURLM_OK) {
      return Status(StatusCode::kInternal, "curl_multi_setopt failed");
    }
  }
  shards_.push_back(std::move(shard));
  return Status::Ok();
}

CurlTransport::Shard& CurlTransport::PickShard() {
  // A shard with an idle connection reuses it. Otherwise the least busy one
  // opens a connection, which keeps the shards' connection counts even.
  Shard* best = shards_.front().get();
  for (const auto& s : shards_) {
    if (s->sockets > s->active) return *s;
    if (s->active < best->active) best = s.get();
  }
  return *best;
}

CurlTransport::~CurlTransport() {
  closing_ = true;
  for (auto& [id, t] : active_) {
    curl_multi_remove_handle(t->shard->multi.get(), t->easy.get());
    --t->shard->active;
    t->response = HttpResponse();
    t->response.transport_result = E_ABORT;
    t->response.error_detail = "transport closed";
    ready_.push_back(std::move(t));
  }
  active_.clear();
  // Completions may start transfers; those fail at once (closing_).
  while (!ready_.empty()) DeliverReady();
}

Status CurlTransport::AddWakeFd(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = WaitData(kWaitWake, 0);
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Status(StatusCode::kInternal, std::string("epoll_ctl: ") + ErrnoText(errno));
  }
  wake_fd_ = fd;
  return Status::Ok();
}

TransferId CurlTransport::Start(HttpRequest request, CompletionFn done) {
  TransferId id = next_id_++;
  StartWithId(id, std::move(request), std::move(done));
  return id;
}

void CurlTransport::StartWithId(TransferId id, HttpRequest request, CompletionFn done) {
  std::unique_ptr<Transfer> t = TakeTransfer();
  t->id = id;
  t->request = std::move(request);
  t->done = std::move(done);
  if (closing_) return FailLater(std::move(t), E_ABORT, "transport closed");
  if (active_.size() >= options_.max_in_flight) {
    return FailLater(std::move(t), SR_E_TOO_MANY_IN_FLIGHT, "admission cap reached");
  }
  if (t->easy == nullptr) return FailLater(std::move(t), E_OUTOFMEMORY, "curl_easy_init failed");
  if (HasLineBreak(t->request.method) || HasLineBreak(t->request.url)) {
    return FailLater(std::move(t), E_INVALIDARG, "line break in method or URL");
  }
  for (const auto& [name, value] : t->request.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find(':') != std::string::npos) {
      return FailLater(std::move(t), E_INVALIDARG, "malformed request header");
    }
  }
  t->shard = &PickShard();
  CURLcode code = ConfigureRequest(t.get());
  if (code != CURLE_OK) {
    return FailLater(std::move(t), HResultFromCurlCode(code), curl_easy_strerror(code));
  }
  if (curl_multi_add_handle(t->shard->multi.get(), t->easy.get()) != CURLM_OK) {
    return FailLater(std::move(t), E_OUTOFMEMORY, "curl_multi_add_handle failed");
  }
  ++t->shard->active;
  active_.emplace(id, std::move(t));
}

CURLcode CurlTransport::ConfigureEasy(Transfer* t) {
  CURL* e = t->easy.get();
  CURLcode c = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (c == CURLE_OK) c = curl_easy_setopt(e, option, value);
  };
  set(CURLOPT_PRIVATE, static_cast<void*>(t));
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  // libcurl's defaults stay: TCP_NODELAY on (requests are written whole);
  // the 16 KiB receive buffer costs resident memory only for the pages a
  // response fills (10,000 transfers in flight: the same RSS with 8 KiB).
  set(CURLOPT_ERRORBUFFER, t->error);
  set(CURLOPT_HEADERFUNCTION, &CurlTransport::OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(t));
  set(CURLOPT_WRITEFUNCTION, &CurlTransport::OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(t));
  set(CURLOPT_OPENSOCKETFUNCTION, &CurlTransport::OnOpenSocket);
  set(CURLOPT_CLOSESOCKETFUNCTION, &CurlTransport::OnCloseSocket);
  set(CURLOPT_HTTP_VERSION, CurlHttpVersion(options_.http_version));
  if (options_.http_version == TransportOptions::HttpVersion::kHttp2PriorKnowledge) {
    if (H2cReuseBroken()) {
      // libcurl before 8.0.0 fails every reuse of an h2c prior-knowledge
      // connection ("Error in the HTTP2 framing layer", curl #10634): one
      // connection per transfer there.
      set(CURLOPT_FRESH_CONNECT, 1L);
      set(CURLOPT_FORBID_REUSE, 1L);
    } else {
      // h2 for sure: wait for a connection that can multiplex instead of
      // opening another.
      set(CURLOPT_PIPEWAIT, 1L);
    }
  }
  return c;
}

CURLcode CurlTransport::ConfigureRequest(Transfer* t) {
  CURL* e = t->easy.get();
  const HttpRequest& req = t->request;
  long timeout_ms = std::max<long>(0, static_cast<long>(req.timeout.count()));  // NOLINT
  CURLcode c = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (c == CURLE_OK) c = curl_easy_setopt(e, option, value);
  };
  set(CURLOPT_URL, req.url.c_str());
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  // A connection opened for this transfer belongs to its shard's cache
  // (libcurl keeps the close callback's data with the connection).
  set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(t->shard));
  set(CURLOPT_CLOSESOCKETDATA, static_cast<void*>(t->shard));

  // Every method option is set each time: the handle keeps the previous
  // request's otherwise.
  const char* no_custom_method = nullptr;
  bool sends_body = false;
  if (req.method == "GET") {
    set(CURLOPT_CUSTOMREQUEST, no_custom_method);
    set(CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    set(CURLOPT_CUSTOMREQUEST, no_custom_method);
    set(CURLOPT_NOBODY, 1L);
  } else if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
             !req.body.empty()) {
    // The body is sent in place with a Content-Length (never chunked).
    set(CURLOPT_NOBODY, 0L);
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    set(CURLOPT_POSTFIELDS, req.body.data());
    set(CURLOPT_CUSTOMREQUEST, req.method == "POST" ? no_custom_method : req.method.c_str());
    sends_body = true;
  } else {
    set(CURLOPT_HTTPGET, 1L);
    set(CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  // The header lines, NUL-separated, then the list linking them.
  std::string& text = t->header_text;
  text.clear();
  for (const auto& [name, value] : req.headers) {
    // "Name;" is libcurl's way to send a header with an empty value.
    text.append(name).append(value.empty() ? ";" : ": ").append(value).push_back('\0');
  }
  text.append("Expect:").push_back('\0');  // no 100-continue round trip
  if (sends_body && !HasHeader(req.headers, "Content-Type")) {
    text.append("Content-Type:").push_back('\0');  // not libcurl's form-urlencoded default
  }
  std::vector<curl_slist>& nodes = t->header_nodes;
  nodes.clear();
  for (size_t at = 0; at < text.size(); at = text.find('\0', at) + 1) {
    nodes.push_back(curl_slist{text.data() + at, nullptr});
  }
  for (size_t i = 0; i + 1 < nodes.size(); ++i) nodes[i].next = &nodes[i + 1];
  set(CURLOPT_HTTPHEADER, nodes.data());
  return c;
}

std::unique_ptr<CurlTransport::Transfer> CurlTransport::TakeTransfer() {
  if (!spare_.empty()) {
    std::unique_ptr<Transfer> t = std::move(spare_.back());
    spare_.pop_back();
    return t;
  }
  auto t = std::make_unique<Transfer>();
  t->owner = this;
  t->easy.reset(curl_easy_init());
  if (t->easy != nullptr && ConfigureEasy(t.get()) != CURLE_OK) t->easy.reset();
  return t;
}

void CurlTransport::Recycle(std::unique_ptr<Transfer> t) {
  if (t->easy == nullptr || spare_.size() >= kMaxSpareTransfers || closing_) return;
  t->request = HttpRequest();
  t->done = nullptr;
  t->response = HttpResponse();
  t->too_large = false;
  t->error[0] = '\0';
  spare_.push_back(std::move(t));
}

void CurlTransport::FailLater(std::unique_ptr<Transfer> t, HRESULT hr, const char* detail) {
  t->response = HttpResponse();
  t->response.transport_result = hr;
  t->response.error_detail = detail;
  ready_.push_back(std::move(t));
  SignalSelf();
}

void CurlTransport::Cancel(TransferId id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;  // unknown, or finished and about to be delivered
  std::unique_ptr<Transfer> t = std::move(it->second);
  active_.erase(it);
  curl_multi_remove_handle(t->shard->multi.get(), t->easy.get());
  --t->shard->active;
  FailLater(std::move(t), E_ABORT, "canceled");
}

uint32_t CurlTransport::InFlight() const {
  return static_cast<uint32_t>(active_.size() + ready_.size());
}

void CurlTransport::SignalSelf() {
  // Inside Poll the loop sees the work itself; outside, an owner waiting on
  // wait_fd() must see it readable.
  if (in_poll_ || self_signaled_) return;
  uint64_t one = 1;
  if (write(event_fd_.get(), &one, sizeof(one)) == sizeof(one)) self_signaled_ = true;
}

uint32_t CurlTransport::Poll(int timeout_ms) {
  in_poll_ = true;
  if (!ready_.empty() || !due_.empty()) timeout_ms = 0;
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epoll_fd_.get(), events, kMaxEvents, timeout_ms);
  for (int i = 0; i < n; ++i) {
    const auto tag = static_cast<WaitTag>(events[i].data.u64 >> 32);
    const auto value = static_cast<uint32_t>(events[i].data.u64);
    if (tag == kWaitTimer) {
      Shard& shard = *shards_[value];
      uint64_t expirations = 0;
      if (read(shard.timer_fd.get(), &expirations, sizeof(expirations)) < 0) {
        // EAGAIN: the timer was re-armed since; nothing is due.
        continue;
      }
      OnTimerFired(shard);
    } else if (tag == kWaitEvent || tag == kWaitWake) {
      int fd = tag == kWaitEvent ? event_fd_.get() : wake_fd_;
      uint64_t count = 0;
      while (read(fd, &count, sizeof(count)) > 0) {
      }
      if (tag == kWaitEvent) self_signaled_ = false;
    } else {
      int fd = static_cast<int>(value);
      FdState* st = FindFd(fd);
      if (st == nullptr || st->shard == nullptr || !st->wanted) {
        // An idle cached connection became readable or hung up (the server
        // closed it): stop watching it. libcurl finds it dead when it next
        // considers it, and closes it (OnCloseSocket).
        epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
        if (st != nullptr) st->registered = 0;
        continue;
      }
      uint32_t ev = events[i].events;
      int mask = 0;
      if ((ev & EPOLLIN) != 0) mask |= CURL_CSELECT_IN;
      if ((ev & EPOLLOUT) != 0) mask |= CURL_CSELECT_OUT;
      if ((ev & (EPOLLERR | EPOLLHUP)) != 0) mask |= CURL_CSELECT_ERR;
      SocketAction(*st->shard, fd, mask);
    }
  }
  RunDueTimeouts();
  // Only the shards libcurl ran in can have finished transfers.
  for (size_t i = 0; i < touched_.size(); ++i) {
    touched_[i]->touched = false;
    CollectFinished(*touched_[i]);
  }
  touched_.clear();
  in_poll_ = false;
  DeliverReady();
  return InFlight();
}

void CurlTransport::SocketAction(Shard& shard, curl_socket_t socket, int mask) {
  if (!shard.touched) {
    shard.touched = true;
    touched_.push_back(&shard);
  }
  int running = 0;
  curl_multi_socket_action(shard.multi.get(), socket, mask, &running);
}

void CurlTransport::RunDueTimeouts() {
  // libcurl asks for 0 ms timeouts (e.g. right after a handle is added):
  // serve them here rather than with a wait. Serving one may ask for
  // another; each shard gets a bounded number of rounds per Poll.
  for (int round = 0; round < 16 && !due_.empty(); ++round) {
    std::vector<Shard*> due;
    due.swap(due_);
    for (Shard* shard : due) {
      if (!shard->timeout_due) continue;
      shard->timeout_due = false;
      SocketAction(*shard, CURL_SOCKET_TIMEOUT, 0);
    }
  }
}

void CurlTransport::CollectFinished(Shard& shard) {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(shard.multi.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    Transfer* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    curl_multi_remove_handle(shard.multi.get(), easy);
    --shard.active;
    auto it = active_.find(raw->id);
    if (it == active_.end()) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    active_.erase(it);

    HttpResponse& r = t->response;
    if (t->too_large) {
      r.transport_result = SR_E_RESPONSE_TOO_LARGE;
      r.error_detail =
          "response body over " + std::to_string(options_.max_response_bytes) + " bytes";
    } else if (code != CURLE_OK) {
      long os_errno = 0;  // NOLINT(runtime/int): libcurl
      curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
      r.transport_result = HResultFromCurlResult(code, os_errno);
      r.error_detail = t->error[0] != '\0' ? t->error : curl_easy_strerror(code);
    } else {
      r.transport_result = S_OK;
    }
    long status = 0;  // NOLINT(runtime/int): libcurl
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    r.status = static_cast<uint32_t>(status);
    curl_off_t connect_us = 0;
    curl_off_t total_us = 0;
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
    r.connect_us = static_cast<int64_t>(connect_us);
    r.total_us = static_cast<int64_t>(total_us);
    ready_.push_back(std::move(t));
  }
}

void CurlTransport::DeliverReady() {
  // Only what is ready now: completions that start failing transfers must
  // not keep this loop (and the owner) busy.
  size_t count = ready_.size();
  for (size_t i = 0; i < count && !ready_.empty(); ++i) {
    std::unique_ptr<Transfer> t = std::move(ready_.front());
    ready_.pop_front();
    CompletionFn done = std::move(t->done);
    HttpResponse response = std::move(t->response);
    Recycle(std::move(t));
    if (done) done(std::move(response));
    if (observer_ != nullptr) observer_(observer_arg_);
  }
}

CurlTransport::FdState* CurlTransport::FindFd(int fd) {
  return fd >= 0 && static_cast<size_t>(fd) < fds_.size() ? &fds_[static_cast<size_t>(fd)]
                                                          : nullptr;
}

CurlTransport::FdState& CurlTransport::Fd(int fd) {
  auto index = static_cast<size_t>(fd);
  if (index >= fds_.size()) fds_.resize(std::max(index + 1, fds_.size() * 2));
  return fds_[index];
}

int CurlTransport::OnSocket(CURL* /*easy*/, curl_socket_t socket, int what, void* user,
                            void* /*socket_user*/) {
  auto* shard = static_cast<Shard*>(user);
  shard->owner->SetInterest(*shard, socket, what);
  return 0;
}

void CurlTransport::SetInterest(Shard& shard, curl_socket_t socket, int what) {
  if (socket < 0) return;
  FdState& st = Fd(socket);
  int epfd = epoll_fd_.get();
  if (what == CURL_POLL_REMOVE) {
    st.wanted = false;
    if (!st.owned) {
      // Not one of our connections (e.g. a resolver's socket): libcurl may
      // close it without telling us, so it leaves the set now.
      if (st.registered != 0) epoll_ctl(epfd, EPOLL_CTL_DEL, socket, nullptr);
      st.registered = 0;
    } else if ((st.registered & EPOLLOUT) != 0) {
      // Usually a connection going idle in libcurl's cache, which the next
      // transfer reuses wanting to read: it stays registered for reading,
      // but not for writing (an idle socket is always writable).
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = WaitData(kWaitSocket, static_cast<uint32_t>(socket));
      if (epoll_ctl(epfd, EPOLL_CTL_MOD, socket, &ev) == 0) {
        st.registered = EPOLLIN;
      } else {
        epoll_ctl(epfd, EPOLL_CTL_DEL, socket, nullptr);
        st.registered = 0;
      }
    }
    return;
  }
  uint32_t events = 0;
  if ((what & CURL_POLL_IN) != 0) events |= EPOLLIN;
  if ((what & CURL_POLL_OUT) != 0) events |= EPOLLOUT;
  st.wanted = true;
  st.shard = &shard;
  // Only our own sockets' registrations are known for sure (closing them
  // goes through OnCloseSocket); any other is (re)registered.
  if (st.owned && st.registered == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = WaitData(kWaitSocket, static_cast<uint32_t>(socket));
  if (epoll_ctl(epfd, st.registered != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &ev) != 0) {
    // The set disagreed with what we knew (a socket closed behind our
    // back, or a new one on a reused number): take the other operation.
    epoll_ctl(epfd, errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, socket, &ev);
  }
  st.registered = events;
}

curl_socket_t CurlTransport::OnOpenSocket(void* user, curlsocktype /*purpose*/,
                                          curl_sockaddr* address) {
  auto* shard = static_cast<Shard*>(user);
  int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  // A new socket may reuse the number of one closed elsewhere: start clean.
  shard->owner->Fd(fd) = FdState{0, true, false, shard};
  ++shard->sockets;
  return fd;
}

int CurlTransport::OnCloseSocket(void* user, curl_socket_t socket) {
  auto* shard = static_cast<Shard*>(user);
  // Closing the socket removes it from the epoll set (it is never dup'ed).
  if (FdState* st = shard->owner->FindFd(socket)) *st = FdState{};
  if (shard->sockets > 0) --shard->sockets;
  return close(socket);
}

int CurlTransport::OnTimer(CURLM* /*multi*/, long timeout_ms, void* user) {  // NOLINT
  auto* shard = static_cast<Shard*>(user);
  CurlTransport* self = shard->owner;
  if (timeout_ms < 0) {
    // No timeout: an armed timer may still fire; OnTimerFired ignores it.
    shard->curl_deadline.reset();
    shard->timeout_due = false;
  } else if (timeout_ms == 0) {
    // Due now: served in Poll (RunDueTimeouts), not through the timerfd.
    shard->curl_deadline.reset();
    if (!shard->timeout_due) {
      shard->timeout_due = true;
      self->due_.push_back(shard);
    }
    self->SignalSelf();
  } else {
    shard->timeout_due = false;
    Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    shard->curl_deadline = deadline;
    // An armed timer that fires earlier re-arms itself for this deadline.
    if (!shard->armed || deadline < *shard->armed) self->ArmTimer(*shard, deadline);
  }
  return 0;
}

void CurlTransport::OnTimerFired(Shard& shard) {
  shard.armed.reset();
  if (!shard.curl_deadline) return;  // libcurl dropped its timeout since
  if (Clock::now() < *shard.curl_deadline) {
    ArmTimer(shard, *shard.curl_deadline);  // armed for an earlier deadline that moved later
    return;
  }
  shard.curl_deadline.reset();
  SocketAction(shard, CURL_SOCKET_TIMEOUT, 0);
}

void CurlTransport::ArmTimer(Shard& shard, Clock::time_point deadline) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch());
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns.count() / 1000000000);
  spec.it_value.tv_nsec = static_cast<long>(ns.count() % 1000000000);  // NOLINT(runtime/int)
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  if (timerfd_settime(shard.timer_fd.get(), TFD_TIMER_ABSTIME, &spec, nullptr) == 0) {
    shard.armed = deadline;
  }
}

size_t CurlTransport::OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * count;
  if (len == 0) return 0;
  std::string_view line(data, len);
  HeaderList& headers = t->response.headers;
  // A status line starts a response: only the final one's headers are kept
  // (1xx interim responses come first).
  if (line.substr(0, 5) == "HTTP/") {
    headers.clear();
    headers.reserve(kExpectedResponseHeaders);
    return len;
  }
  if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
    std::string_view more = TrimHttpSpace(line);
    if (!headers.empty() && !more.empty()) {
      headers.back().second.append(" ").append(more);
    }
    return len;
  }
  std::string_view trimmed = TrimHttpSpace(line);
  if (trimmed.empty()) return len;  // end of the header block
  size_t colon = trimmed.find(':');
  if (colon == std::string_view::npos) return len;
  std::string_view name = trimmed.substr(0, colon);
  std::string_view value = TrimHttpSpace(trimmed.substr(colon + 1));
  if (EqualsIgnoreCase(name, "Content-Length")) {
    uint64_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec == std::errc() && end == value.data() + value.size()) {
      uint64_t cap = t->owner->options_.max_response_bytes;
      if (length > cap) {
        t->too_large = true;
        return 0;  // fails the transfer now instead of after the download
      }
      t->response.body.reserve(static_cast<size_t>(length));
    }
  }
  headers.emplace_back(std::string(name), std::string(value));
  return len;
}

size_t CurlTransport::OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * count;
  if (t->response.body.size() + len > t->owner->options_.max_response_bytes) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR; reported as SR_E_RESPONSE_TOO_LARGE
  }
  t->response.body.append(data, len);
  return len;
}

}  // namespace sessionrig
