#include "testing/scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace sessionrig::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kSlice{50};           // stop-flag check interval
constexpr std::chrono::milliseconds kReadTimeout{10000};  // ReadRequest gives up after this

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  }
  return true;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 412:
      return "Precondition Failed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Bytes of the request at the start of `buf` if it is complete, else 0.
size_t CompleteRequestLength(std::string_view buf) {
  size_t header_end = buf.find("\r\n\r\n");
  if (header_end == std::string_view::npos) return 0;
  size_t body_start = header_end + 4;
  std::string_view head = buf.substr(0, header_end + 2);
  uint64_t content_length = 0;
  bool chunked = false;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t end = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(pos + 2, end - pos - 2);
    if (StartsWithIgnoreCase(line, "content-length:")) {
      std::string_view v = line.substr(15);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      std::from_chars(v.data(), v.data() + v.size(), content_length);
    } else if (StartsWithIgnoreCase(line, "transfer-encoding:") &&
               line.find("chunked") != std::string_view::npos) {
      chunked = true;
    }
    pos = end;
  }
  if (chunked) {
    size_t last = buf.find("\r\n0\r\n\r\n", header_end);
    return last == std::string_view::npos ? 0 : last + 7;
  }
  size_t total = body_start + static_cast<size_t>(content_length);
  return buf.size() >= total ? total : 0;
}

}  // namespace

Script& Script::Send(std::string bytes) {
  steps_.push_back(Step{Kind::kSend, std::move(bytes), 0, 0});
  return *this;
}

Script& Script::SendSlowly(std::string bytes, size_t chunk_bytes, int delay_ms) {
  steps_.push_back(Step{Kind::kSend, std::move(bytes), std::max<size_t>(1, chunk_bytes), delay_ms});
  return *this;
}

Script& Script::Delay(int delay_ms) {
  steps_.push_back(Step{Kind::kDelay, {}, 0, delay_ms});
  return *this;
}

Script& Script::ReadRequest() {
  steps_.push_back(Step{Kind::kReadRequest, {}, 0, 0});
  return *this;
}

Script& Script::CloseNow() {
  steps_.push_back(Step{Kind::kClose, {}, 0, 0});
  return *this;
}

Script& Script::Reset() {
  steps_.push_back(Step{Kind::kReset, {}, 0, 0});
  return *this;
}

Script& Script::Repeat() {
  repeat_ = true;
  return *this;
}

std::string HttpResponseBytes(int status, std::string_view body,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(body);
  return out;
}

uint16_t UnusedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

ScriptedServer::ScriptedServer(std::vector<Script> scripts) : scripts_(std::move(scripts)) {
  if (scripts_.empty()) scripts_.emplace_back();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return;
  }
  listen_fd_ = fd;
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

ScriptedServer::~ScriptedServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  // The acceptor has stopped: connections_ no longer grows.
  std::vector<std::thread> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections.swap(connections_);
  }
  for (std::thread& t : connections) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

std::string ScriptedServer::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::vector<std::string> ScriptedServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

bool ScriptedServer::WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void ScriptedServer::AcceptLoop() {
  while (!stop_) {
    if (!WaitFd(listen_fd_, POLLIN, Clock::now() + kSlice)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int index = accepted_.fetch_add(1);
    const Script& script = scripts_[std::min(static_cast<size_t>(index), scripts_.size() - 1)];
    std::lock_guard<std::mutex> lock(mu_);
    connections_.emplace_back([this, fd, &script] { Serve(fd, script); });
  }
}

bool ScriptedServer::WaitFd(int fd, short events, Clock::time_point deadline) {
  while (!stop_) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    auto slice = std::min<Clock::duration>(deadline - now, kSlice);
    pollfd p{fd, events, 0};
    int timeout_ms =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(slice).count()) + 1;
    int n = poll(&p, 1, timeout_ms);
    if (n > 0) return true;  // readable/writable, or an error the next call reports
    if (n < 0 && errno != EINTR) return false;
  }
  return false;
}

bool ScriptedServer::Sleep(int delay_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(delay_ms), [this] { return stop_.load(); });
}

bool ScriptedServer::SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!WaitFd(fd, POLLOUT, Clock::now() + kReadTimeout)) return false;
      continue;
    }
    return false;  // the peer is gone
  }
  return true;
}

bool ScriptedServer::ReadOneRequest(int fd, std::string* buffer) {
  auto deadline = Clock::now() + kReadTimeout;
  for (;;) {
    size_t length = CompleteRequestLength(*buffer);
    if (length != 0) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(buffer->substr(0, length));
      }
      cv_.notify_all();
      buffer->erase(0, length);
      return true;
    }
    if (!WaitFd(fd, POLLIN, deadline)) return false;
    char chunk[4096];
    ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n == 0) return false;  // peer closed
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return false;
    }
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

void ScriptedServer::Serve(int fd, const Script& script) {
  std::string buffer;  // bytes read but not yet part of a recorded request
  bool open = true;
  do {
    for (const Script::Step& step : script.steps_) {
      switch (step.kind) {
        case Script::Kind::kSend:
          if (step.chunk_bytes == 0) {
            open = SendAll(fd, step.bytes);
          } else {
            std::string_view rest = step.bytes;
            while (open && !rest.empty()) {
              size_t n = std::min(step.chunk_bytes, rest.size());
              open = SendAll(fd, rest.substr(0, n));
              rest.remove_prefix(n);
              if (open && !rest.empty()) open = Sleep(step.delay_ms);
            }
          }
          break;
        case Script::Kind::kDelay:
          open = Sleep(step.delay_ms);
          break;
        case Script::Kind::kReadRequest:
          open = ReadOneRequest(fd, &buffer);
          break;
        case Script::Kind::kClose:
          close(fd);
          return;
        case Script::Kind::kReset: {
          linger l{1, 0};
          setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
          close(fd);
          return;
        }
      }
      if (!open) break;
    }
  } while (open && script.repeat_ && !stop_);
  // Hold the connection until the peer closes it or the server stops.
  while (open && !stop_) {
    if (!WaitFd(fd, POLLIN, Clock::now() + kSlice)) continue;
    char chunk[4096];
    ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;
  }
  close(fd);
}

}  // namespace sessionrig::testing
