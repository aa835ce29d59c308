// transport/curl_transport.h (private): the owner-driven libcurl transport
// behind sessionrig/transport.h, with the few extra hooks the threaded
// transport needs.
//
// libcurl multi handles driven by curl_multi_socket_action: libcurl's
// sockets and a timerfd per multi handle (its timeout) sit in one epoll
// set, plus an eventfd that makes Poll return for completions queued
// outside libcurl (cancel, admission failures) and an optional wake fd
// owned by someone else.
//
// Several multi handles ("shards", each with its own connection cache) when
// many HTTP/1.1 connections may be open: libcurl 7.88 looks for a reusable
// connection by walking every connection to the host, so with thousands in
// flight each new transfer cost a walk over thousands of connections (10,000
// in flight ran at a few hundred requests a second). A shard holds about
// kConnectionsPerShard of them; a transfer goes to a shard with an idle
// connection, else to the least busy one, so the shards grow evenly and no
// more connections open than one shard would have opened.
//
// Per request it costs what libcurl costs and little more: easy handles are
// configured once and reused (only the request's URL, method, body, timeout
// and header lines are set per transfer, the header list in storage the
// transfer keeps), and the system calls are libcurl's own send and receive:
//  - the epoll set changes only when a socket's interest changes. The
//    connections libcurl opens (through OnOpenSocket, so their closing is
//    seen in OnCloseSocket) stay registered for reading while idle in its
//    connection cache, so a transfer reusing one costs no epoll_ctl;
//  - the timerfd is re-armed only when libcurl's deadline moves EARLIER
//    than the armed one. A later deadline (every new transfer's timeout)
//    leaves it armed; when it fires early it is re-armed for libcurl's
//    current deadline without calling libcurl.
//
// Thread-safety: none. Every method must be called on the owning thread,
// except as noted. Completions run on that thread, inside Poll() or the
// destructor, never inside Start() or Cancel().
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "sessionrig/transport.h"

namespace sessionrig {

// RAII owners of libcurl handles.
struct CurlMultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using CurlMultiPtr = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Calls curl_global_init once per process (thread-safe).
void EnsureCurlGlobalInit();

class CurlTransport final : public OwnerDrivenTransport {
 public:
  static StatusOr<std::unique_ptr<CurlTransport>> Create(const TransportOptions& options);

  // Aborts transfers in flight: each completion runs here with E_ABORT
  // (completions already queued keep their result). Completions that start
  // new transfers get E_ABORT for those too.
  // REQUIRES: not called from one of this transport's completions.
  ~CurlTransport() override;

  TransferId Start(HttpRequest request, CompletionFn done) override;
  void Cancel(TransferId id) override;
  uint32_t InFlight() const override;
  uint32_t Poll(int timeout_ms) override;
  int wait_fd() const override { return epoll_fd_.get(); }

  // How many multi handles the transport drives (see the top of the file).
  size_t shard_count() const { return shards_.size(); }

  // Start() with an id chosen by the caller (the threaded transport hands
  // out ids on other threads). REQUIRES: `id` is non-zero and not in use.
  void StartWithId(TransferId id, HttpRequest request, CompletionFn done);

  // Adds `fd` (an eventfd owned by the caller, which must outlive this
  // transport) to the wait set: Poll returns when it is readable and reads
  // it to clear it. Writing to it is how other threads wake the owner.
  [[nodiscard]] Status AddWakeFd(int fd);

  // Called on the owning thread after each completion has returned.
  void SetCompletionObserver(void (*observer)(void* arg), void* arg) {
    observer_ = observer;
    observer_arg_ = arg;
  }

 private:
  struct Transfer;
  using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as the timerfds

  // One multi handle with its own connections and timer. Used only on the
  // owning thread.
  struct Shard {
    CurlTransport* owner = nullptr;
    uint32_t index = 0;
    UniqueFd timer_fd;                               // this libcurl's timeout
    bool timeout_due = false;                        // it asked for a 0 ms timeout
    std::optional<Clock::time_point> curl_deadline;  // its timeout, if it has one
    std::optional<Clock::time_point> armed;          // when timer_fd fires, if armed
    bool touched = false;                            // libcurl ran in this Poll
    uint32_t active = 0;                             // transfers in the multi handle
    uint32_t sockets = 0;  // its connections' sockets open now (OnOpenSocket - OnCloseSocket)
    // Last: destroyed first, while the rest (used by its callbacks) is intact.
    CurlMultiPtr multi;
  };

  // What the epoll set holds for one socket fd.
  struct FdState {
    uint32_t registered = 0;  // epoll events it is registered with; 0: not in the set
    bool owned = false;       // opened by OnOpenSocket; OnCloseSocket sees it closed
    bool wanted = false;      // libcurl watches it (between its POLL_IN/OUT and POLL_REMOVE)
    Shard* shard = nullptr;   // the multi handle that watches (or opened) it
  };

  explicit CurlTransport(const TransportOptions& options);

  // libcurl callbacks. `user` is the Shard for the multi handle's socket and
  // timer callbacks and for the socket open/close callbacks.
  static int OnSocket(CURL* easy, curl_socket_t socket, int what, void* user, void* socket_user);
  static int OnTimer(CURLM* multi, long timeout_ms, void* user);  // NOLINT(runtime/int): libcurl
  static size_t OnHeader(char* data, size_t size, size_t count, void* user);
  static size_t OnBody(char* data, size_t size, size_t count, void* user);
  static curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address);
  static int OnCloseSocket(void* user, curl_socket_t socket);

  [[nodiscard]] Status AddShard();
  Shard& PickShard();
  std::unique_ptr<Transfer> TakeTransfer();
  void Recycle(std::unique_ptr<Transfer> t);
  // The options every transfer of this transport shares, set once per easy handle.
  [[nodiscard]] CURLcode ConfigureEasy(Transfer* t);
  // The request's own options: URL, method, body, timeout, header lines, shard.
  [[nodiscard]] CURLcode ConfigureRequest(Transfer* t);
  void FailLater(std::unique_ptr<Transfer> t, HRESULT hr, const char* detail);
  void SocketAction(Shard& shard, curl_socket_t socket, int mask);
  void SetInterest(Shard& shard, curl_socket_t socket, int what);
  void OnTimerFired(Shard& shard);
  void ArmTimer(Shard& shard, Clock::time_point deadline);
  void RunDueTimeouts();
  void CollectFinished(Shard& shard);
  void DeliverReady();
  void SignalSelf();
  FdState* FindFd(int fd);
  FdState& Fd(int fd);

  // Constant after construction.
  TransportOptions options_;
  UniqueFd epoll_fd_;
  UniqueFd event_fd_;  // readable while completions wait in ready_
  int wake_fd_ = -1;   // AddWakeFd; not owned
  void (*observer_)(void*) = nullptr;
  void* observer_arg_ = nullptr;

  // Owner-thread state that libcurl's callbacks use, declared before the
  // shards so it outlives libcurl's cleanup, which still closes sockets and
  // may call OnSocket.
  std::vector<FdState> fds_;     // indexed by fd
  std::vector<Shard*> due_;      // shards whose timeout_due is set
  std::vector<Shard*> touched_;  // shards whose touched is set
  bool in_poll_ = false;
  bool self_signaled_ = false;                  // event_fd_ holds an unread signal
  std::vector<std::unique_ptr<Shard>> shards_;  // at least one; constant after Create

  // Owner-thread state.
  TransferId next_id_ = 1;
  std::unordered_map<TransferId, std::unique_ptr<Transfer>> active_;  // in libcurl
  std::deque<std::unique_ptr<Transfer>> ready_;   // finished; completion not yet run
  std::vector<std::unique_ptr<Transfer>> spare_;  // reusable, with their easy handles
  bool closing_ = false;                          // in the destructor
};

// Maps a finished transfer's CURLcode to an HRESULT, refining
// CURLE_COULDNT_CONNECT with the OS errno (ECONNREFUSED or not).
HRESULT HResultFromCurlResult(CURLcode code, long os_errno);  // NOLINT(runtime/int): libcurl

}  // namespace sessionrig
