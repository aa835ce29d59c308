// testing/scripted_server.h: a tiny real TCP server on 127.0.0.1 that plays
// back scripted raw bytes per connection, so transport and parser tests can
// reproduce what real networks do (slow slices, truncated bodies, resets,
// malformed status lines, keep-alive reuse) without mocks.
//
// Thread-safety: a ScriptedServer runs its own accept thread and one thread
// per connection; its accessors may be called from any thread. Every wait
// inside it is bounded, and the destructor stops everything (within about
// 50 ms plus the time to join).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sessionrig::testing {

// What the server does on one connection, step by step.
class Script {
 public:
  // Sends `bytes` at once.
  Script& Send(std::string bytes);
  // Sends `bytes` in slices of `chunk_bytes`, waiting `delay_ms` ms between slices.
  Script& SendSlowly(std::string bytes, size_t chunk_bytes, int delay_ms);
  // Waits `delay_ms` ms.
  Script& Delay(int delay_ms);
  // Reads one request (headers up to the blank line, then a Content-Length
  // or chunked body) and records its bytes. Ends the connection if the peer
  // closes or nothing arrives within 10 s.
  Script& ReadRequest();
  // Closes the connection (FIN) and ends the script.
  Script& CloseNow();
  // Aborts the connection (SO_LINGER 0, then close: the peer sees RST).
  Script& Reset();
  // After the last step, starts over at the first (until a read fails).
  Script& Repeat();

 private:
  friend class ScriptedServer;
  enum class Kind { kSend, kDelay, kReadRequest, kClose, kReset };
  struct Step {
    Kind kind = Kind::kSend;
    std::string bytes;
    size_t chunk_bytes = 0;  // kSend: 0 sends everything at once
    int delay_ms = 0;        // kSend: between chunks; kDelay: the delay
  };
  std::vector<Step> steps_;
  bool repeat_ = false;
};

// "HTTP/1.1 <status> <reason>\r\n" + headers + Content-Length + "\r\n" + body.
std::string HttpResponseBytes(int status, std::string_view body,
                              const std::vector<std::pair<std::string, std::string>>& headers = {});

// A port on 127.0.0.1 that nothing listens on (bound to pick it, then closed).
uint16_t UnusedLoopbackPort();

class ScriptedServer {
 public:
  // Starts listening on 127.0.0.1 with an ephemeral port. Connection i plays
  // scripts[i]; connections past the end replay the last script. After its
  // script ends without a close, a connection stays open until the peer
  // closes it or the server stops.
  explicit ScriptedServer(std::vector<Script> scripts);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // False if the listening socket could not be set up.
  bool ok() const { return listen_fd_ >= 0; }
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port><path>"
  std::string Url(std::string_view path = "/") const;

  int accepted_connections() const { return accepted_.load(); }
  // Raw bytes of every request read so far, in the order they completed.
  std::vector<std::string> requests() const;
  // Waits up to `timeout` for at least `n` recorded requests.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;

 private:
  void AcceptLoop();
  void Serve(int fd, const Script& script);
  bool Sleep(int delay_ms);  // false if stopped
  bool SendAll(int fd, std::string_view bytes);
  bool ReadOneRequest(int fd, std::string* buffer);
  bool WaitFd(int fd, short events, std::chrono::steady_clock::time_point deadline);

  // Constant after construction.
  std::vector<Script> scripts_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;

  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;    // signalled on new requests and on stop
  std::vector<std::string> requests_;     // Guarded by mu_.
  std::vector<std::thread> connections_;  // Guarded by mu_.
  std::thread acceptor_;
};

}  // namespace sessionrig::testing
