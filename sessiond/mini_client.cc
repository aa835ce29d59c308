#include "sessiond/mini_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "sessionrig/ascii.h"

namespace sessionrig::sessiond {
namespace {

Status Transport(std::string what) { return Status(StatusCode::kTransport, std::move(what)); }

}  // namespace

std::string ClientResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

bool ClientResponse::HasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

StatusOr<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status(StatusCode::kInvalidArgument, "URL must start with http://");
  }
  url.remove_prefix(kScheme.size());
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::size_t colon = std::string_view::npos;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Status(StatusCode::kInvalidArgument, "bad IPv6 host in URL");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') colon = close + 1;
  } else {
    colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
  }
  if (colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Status(StatusCode::kInvalidArgument, "bad port in URL");
    }
    for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
    if (value == 0 || value > 65535) return Status(StatusCode::kInvalidArgument, "bad port in URL");
    out.port = static_cast<std::uint16_t>(value);
  }
  if (out.host.empty()) return Status(StatusCode::kInvalidArgument, "URL has no host");
  return out;
}

StatusOr<HttpConnection> HttpConnection::Connect(const std::string& host, std::uint16_t port,
                                                 std::chrono::milliseconds timeout,
                                                 const std::string& source_address) {
  addrinfo* source = nullptr;
  if (!source_address.empty()) {
    addrinfo source_hints{};
    source_hints.ai_family = AF_UNSPEC;
    source_hints.ai_socktype = SOCK_STREAM;
    source_hints.ai_flags = AI_NUMERICHOST;
    if (int rc = getaddrinfo(source_address.c_str(), "0", &source_hints, &source); rc != 0) {
      return Transport("bad source address " + source_address + ": " + gai_strerror(rc));
    }
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result); rc != 0) {
    return Transport("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  int fd = -1;
  std::string last_error = "no address";
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (source != nullptr && source->ai_family != ai->ai_family) continue;
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if ((source == nullptr || ::bind(fd, source->ai_addr, source->ai_addrlen) == 0) &&
        ::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      break;
    }
    last_error = ErrnoText(errno);
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(result);
  if (source != nullptr) freeaddrinfo(source);
  if (fd < 0) return Transport("cannot connect to " + host + ":" + service + ": " + last_error);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return HttpConnection(fd, host + ":" + service, timeout);
}

HttpConnection::HttpConnection(int fd, std::string host, std::chrono::milliseconds timeout)
    : fd_(fd), host_(std::move(host)), timeout_(timeout) {}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      host_(std::move(other.host_)),
      timeout_(other.timeout_),
      buffer_(std::move(other.buffer_)) {}

HttpConnection& HttpConnection::operator=(HttpConnection&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    host_ = std::move(other.host_);
    timeout_ = other.timeout_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status HttpConnection::SendRaw(std::string_view bytes) {
  if (fd_ < 0) return Transport("connection is closed");
  while (!bytes.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) return Transport("send timed out");
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Transport(std::string("send failed: ") + ErrnoText(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

StatusOr<std::size_t> HttpConnection::Fill() {
  if (fd_ < 0) return Transport("connection is closed");
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  if (ready == 0) return Transport("receive timed out");
  if (ready < 0) return Transport(std::string("poll failed: ") + ErrnoText(errno));
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Status(StatusCode::kTransport, errno == ECONNRESET
                                                ? "connection reset"
                                                : std::string("recv failed: ") + ErrnoText(errno));
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return static_cast<std::size_t>(n);
  }
}

StatusOr<ClientResponse> HttpConnection::ReadResponse() {
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    auto n = Fill();
    if (!n.ok()) return n.status();
    if (*n == 0) return Transport("connection closed before a complete response header");
  }
  ClientResponse res;
  std::string_view head(buffer_.data(), header_end);
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.substr(0, 9) != "HTTP/1.1 " && status_line.substr(0, 9) != "HTTP/1.0 ") {
    return Status(StatusCode::kHttpStatus, "not an HTTP/1.x status line");
  }
  if (status_line.size() < 12) return Status(StatusCode::kHttpStatus, "short status line");
  for (char c : status_line.substr(9, 3)) {
    if (c < '0' || c > '9') return Status(StatusCode::kHttpStatus, "bad status code");
    res.status = res.status * 10 + static_cast<unsigned>(c - '0');
  }
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    const std::size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Status(StatusCode::kHttpStatus, "bad header line");
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    res.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 2);
  }
  buffer_.erase(0, header_end + 4);
  const bool no_body = res.status / 100 == 1 || res.status == 204 || res.status == 304;
  const std::string length = res.Header("content-length");
  res.closed = EqualsIgnoreCase(res.Header("connection"), "close");
  if (no_body) return res;
  if (!length.empty()) {
    std::size_t n = 0;
    for (char c : length) {
      if (c < '0' || c > '9' || n > (std::size_t{1} << 40)) {
        return Status(StatusCode::kHttpStatus, "bad Content-Length");
      }
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    while (buffer_.size() < n) {
      auto got = Fill();
      if (!got.ok()) return got.status();
      if (*got == 0) {
        return Transport("connection closed after " + std::to_string(buffer_.size()) + " of " +
                         std::to_string(n) + " body bytes");
      }
    }
    res.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    if (res.closed) Close();
    return res;
  }
  // No length: the body runs to the close.
  for (;;) {
    auto got = Fill();
    if (!got.ok()) return got.status();
    if (*got == 0) break;
  }
  res.body = std::move(buffer_);
  buffer_.clear();
  res.closed = true;
  Close();
  return res;
}

StatusOr<std::string> HttpConnection::ReadUntilClose(std::size_t max_bytes, bool* reset) {
  *reset = false;
  while (buffer_.size() < max_bytes) {
    auto got = Fill();
    if (!got.ok()) {
      if (got.status().message() == "connection reset") {
        *reset = true;
        break;
      }
      return got.status();
    }
    if (*got == 0) break;
  }
  std::string out = std::move(buffer_);
  buffer_.clear();
  Close();
  return out;
}

Status HttpConnection::WaitReadable() {
  if (fd_ < 0) return Transport("connection is closed");
  if (!buffer_.empty()) return Status::Ok();
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Transport("nothing to read within the timeout");
    return Status::Ok();
  }
}

StatusOr<ClientResponse> HttpConnection::Request(std::string_view method, std::string_view target,
                                                 const HeaderList& headers, std::string_view body) {
  std::string req;
  req.reserve(256 + body.size());
  req.append(method);
  req.push_back(' ');
  req.append(target);
  req += " HTTP/1.1\r\nHost: " + host_ + "\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "PUT" || method == "POST") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req.append(body);
  if (Status s = SendRaw(req); !s.ok()) return s;
  return ReadResponse();
}

}  // namespace sessionrig::sessiond
