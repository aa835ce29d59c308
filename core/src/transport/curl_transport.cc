// The owner-driven libcurl transport. See transport/curl_transport.h.
#include "transport/curl_transport.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
// response being assembled and the easy handle, which is kept for reuse.
struct CurlTransport::Transfer {
  CurlTransport* owner = nullptr;
  TransferId id = 0;
  CurlEasyPtr easy;
  CurlSlistPtr headers;
  HttpRequest request;
  CompletionFn done;
  HttpResponse response;
  bool too_large = false;  // the body cap aborted the transfer
  char error[CURL_ERROR_SIZE] = {};
};

namespace {

constexpr int kMaxEvents = 64;             // epoll events taken per wait
constexpr size_t kMaxSpareTransfers = 64;  // easy handles kept for reuse

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

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

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
  t->timer_fd_ = UniqueFd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  t->event_fd_ = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!t->epoll_fd_.valid() || !t->timer_fd_.valid() || !t->event_fd_.valid()) {
    return Status(StatusCode::kInternal, std::string("transport fds: ") + std::strerror(errno));
  }
  for (int fd : {t->timer_fd_.get(), t->event_fd_.get()}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(t->epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return Status(StatusCode::kInternal, std::string("epoll_ctl: ") + std::strerror(errno));
    }
  }
  t->multi_.reset(curl_multi_init());
  if (t->multi_ == nullptr) return Status(StatusCode::kInternal, "curl_multi_init failed");
  CURLM* m = t->multi_.get();
  CurlTransport* self = t.get();
  // Never more connections than admitted transfers: a transfer admitted by
  // the cap always gets a connection and never waits in libcurl's queue.
  long cap = static_cast<long>(t->options_.max_in_flight);  // NOLINT(runtime/int): libcurl
  if (curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &CurlTransport::OnSocket) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_SOCKETDATA, self) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &CurlTransport::OnTimer) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_TIMERDATA, self) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, cap) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, cap) != CURLM_OK ||
      curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX) != CURLM_OK) {
    return Status(StatusCode::kInternal, "curl_multi_setopt failed");
  }
  if (t->options_.max_connections_per_host != 0) {
    long per_host =                                               // NOLINT(runtime/int): libcurl
        static_cast<long>(t->options_.max_connections_per_host);  // NOLINT(runtime/int)
    if (curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, per_host) != CURLM_OK) {
      return Status(StatusCode::kInternal, "curl_multi_setopt failed");
    }
  }
  return t;
}

CurlTransport::~CurlTransport() {
  closing_ = true;
  for (auto& [id, t] : active_) {
    curl_multi_remove_handle(multi_.get(), t->easy.get());
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
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Status(StatusCode::kInternal, std::string("epoll_ctl: ") + std::strerror(errno));
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
  CURLcode code = Configure(t.get());
  if (code != CURLE_OK) {
    return FailLater(std::move(t), HResultFromCurlCode(code), curl_easy_strerror(code));
  }
  if (curl_multi_add_handle(multi_.get(), t->easy.get()) != CURLM_OK) {
    return FailLater(std::move(t), E_OUTOFMEMORY, "curl_multi_add_handle failed");
  }
  active_.emplace(id, std::move(t));
}

CURLcode CurlTransport::Configure(Transfer* t) {
  CURL* e = t->easy.get();
  const HttpRequest& req = t->request;
  long timeout_ms = std::max<long>(0, static_cast<long>(req.timeout.count()));  // NOLINT
  CURLcode c = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (c == CURLE_OK) c = curl_easy_setopt(e, option, value);
  };
  set(CURLOPT_PRIVATE, static_cast<void*>(t));
  set(CURLOPT_URL, req.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_ERRORBUFFER, t->error);
  set(CURLOPT_HEADERFUNCTION, &CurlTransport::OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(t));
  set(CURLOPT_WRITEFUNCTION, &CurlTransport::OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(t));
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

  bool sends_body = false;
  if (req.method == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
             !req.body.empty()) {
    // The body is sent in place with a Content-Length (never chunked).
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    set(CURLOPT_POSTFIELDS, req.body.data());
    if (req.method != "POST") set(CURLOPT_CUSTOMREQUEST, req.method.c_str());
    sends_body = true;
  } else {
    set(CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  curl_slist* list = nullptr;
  auto append = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      list = nullptr;
      return false;
    }
    list = next;
    return true;
  };
  bool ok = true;
  std::string line;
  for (const auto& [name, value] : req.headers) {
    // "Name;" is libcurl's way to send a header with an empty value.
    line = value.empty() ? name + ";" : name + ": " + value;
    ok = ok && append(line);
  }
  ok = ok && append("Expect:");  // no 100-continue round trip
  if (sends_body && !HasHeader(req.headers, "Content-Type")) {
    ok = ok && append("Content-Type:");  // not libcurl's form-urlencoded default
  }
  if (!ok) return CURLE_OUT_OF_MEMORY;
  t->headers.reset(list);
  set(CURLOPT_HTTPHEADER, list);
  return c;
}

std::unique_ptr<CurlTransport::Transfer> CurlTransport::TakeTransfer() {
  std::unique_ptr<Transfer> t;
  if (!spare_.empty()) {
    t = std::move(spare_.back());
    spare_.pop_back();
    curl_easy_reset(t->easy.get());
  } else {
    t = std::make_unique<Transfer>();
    t->owner = this;
    t->easy.reset(curl_easy_init());
  }
  return t;
}

void CurlTransport::Recycle(std::unique_ptr<Transfer> t) {
  if (t->easy == nullptr || spare_.size() >= kMaxSpareTransfers || closing_) return;
  t->headers.reset();
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
  curl_multi_remove_handle(multi_.get(), t->easy.get());
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
  if (!ready_.empty() || timeout_due_) timeout_ms = 0;
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epoll_fd_.get(), events, kMaxEvents, timeout_ms);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == timer_fd_.get()) {
      uint64_t expirations = 0;
      if (read(fd, &expirations, sizeof(expirations)) < 0) {
        // EAGAIN: the timer was re-armed since; nothing is due.
        continue;
      }
      SocketAction(CURL_SOCKET_TIMEOUT, 0);
    } else if (fd == event_fd_.get() || fd == wake_fd_) {
      uint64_t count = 0;
      while (read(fd, &count, sizeof(count)) > 0) {
      }
      if (fd == event_fd_.get()) self_signaled_ = false;
    } else {
      uint32_t ev = events[i].events;
      int mask = 0;
      if ((ev & EPOLLIN) != 0) mask |= CURL_CSELECT_IN;
      if ((ev & EPOLLOUT) != 0) mask |= CURL_CSELECT_OUT;
      if ((ev & (EPOLLERR | EPOLLHUP)) != 0) mask |= CURL_CSELECT_ERR;
      SocketAction(fd, mask);
    }
  }
  RunDueTimeouts();
  CollectFinished();
  in_poll_ = false;
  DeliverReady();
  return InFlight();
}

void CurlTransport::SocketAction(curl_socket_t socket, int mask) {
  int running = 0;
  curl_multi_socket_action(multi_.get(), socket, mask, &running);
}

void CurlTransport::RunDueTimeouts() {
  // libcurl asks for 0 ms timeouts (e.g. right after a handle is added):
  // serve them here rather than with a wait.
  for (int guard = 0; timeout_due_ && guard < 16; ++guard) {
    timeout_due_ = false;
    SocketAction(CURL_SOCKET_TIMEOUT, 0);
  }
}

void CurlTransport::CollectFinished() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    Transfer* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    curl_multi_remove_handle(multi_.get(), easy);
    auto it = active_.find(raw->id);
    if (it == active_.end()) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    active_.erase(it);

    HttpResponse& r = t->response;
    long os_errno = 0;  // NOLINT(runtime/int): libcurl
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
    if (t->too_large) {
      r.transport_result = SR_E_RESPONSE_TOO_LARGE;
      r.error_detail =
          "response body over " + std::to_string(options_.max_response_bytes) + " bytes";
    } else if (code != CURLE_OK) {
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

int CurlTransport::OnSocket(CURL* /*easy*/, curl_socket_t socket, int what, void* user,
                            void* /*socket_user*/) {
  auto* self = static_cast<CurlTransport*>(user);
  int epfd = self->epoll_fd_.get();
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, socket, nullptr);
    return 0;
  }
  epoll_event ev{};
  if ((what & CURL_POLL_IN) != 0) ev.events |= EPOLLIN;
  if ((what & CURL_POLL_OUT) != 0) ev.events |= EPOLLOUT;
  ev.data.fd = socket;
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, socket, &ev) != 0 && errno == ENOENT) {
    epoll_ctl(epfd, EPOLL_CTL_ADD, socket, &ev);
  }
  return 0;
}

int CurlTransport::OnTimer(CURLM* /*multi*/, long timeout_ms, void* user) {  // NOLINT
  auto* self = static_cast<CurlTransport*>(user);
  itimerspec spec{};
  self->timeout_due_ = false;
  if (timeout_ms == 0) {
    self->timeout_due_ = true;
    self->SignalSelf();
  } else if (timeout_ms > 0) {
    spec.it_value.tv_sec = static_cast<time_t>(timeout_ms / 1000);
    spec.it_value.tv_nsec = static_cast<long>((timeout_ms % 1000) * 1000000);  // NOLINT
  }
  // A zero it_value disarms the timer (for -1 and for the inline 0 ms case).
  timerfd_settime(self->timer_fd_.get(), 0, &spec, nullptr);
  return 0;
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
