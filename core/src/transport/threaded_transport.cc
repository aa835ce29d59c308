// The threaded transport: one thread owns a CurlTransport and drives it;
// other threads hand it Start/Cancel commands through a mutex-protected
// queue and wake it with an eventfd that sits in the transport's epoll set.
//
// State shared with the thread lives in a refcounted block so the thread can
// finish shutting down even when the last reference to the transport was
// dropped from one of its own completions (the destructor then detaches the
// thread instead of joining itself).
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "transport/curl_transport.h"

namespace sessionrig {
namespace {

struct Command {
  TransferId id = 0;
  bool cancel = false;  // false: start `request`
  HttpRequest request;
  CompletionFn done;
};

struct Shared {
  // Constant after construction. `wake_fd` outlives `inner` (declared first).
  UniqueFd wake_fd;
  std::unique_ptr<CurlTransport> inner;  // used only on the transport thread once it runs

  std::atomic<TransferId> next_id{1};
  std::atomic<uint32_t> in_flight{0};  // started, completion not yet returned
  std::atomic<bool> wake_pending{false};

  std::mutex mu;
  std::vector<Command> commands;  // Guarded by mu.
  bool stop = false;              // Guarded by mu.

  // Any thread. Coalesces wakeups: at most one unread signal at a time.
  void Wake() {
    if (wake_pending.exchange(true, std::memory_order_acq_rel)) return;
    uint64_t one = 1;
    // Only EAGAIN (counter full) can fail here, and then a signal is pending anyway.
    (void)!write(wake_fd.get(), &one, sizeof(one));
  }

  void Push(Command command) {
    {
      std::lock_guard<std::mutex> lock(mu);
      commands.push_back(std::move(command));
    }
    Wake();
  }

  static void OnCompletion(void* arg) {
    static_cast<Shared*>(arg)->in_flight.fetch_sub(1, std::memory_order_acq_rel);
  }

  // The transport thread.
  void Run() {
    std::vector<Command> batch;
    for (;;) {
      // Cleared before taking commands: a Push after the swap wakes us again.
      wake_pending.store(false, std::memory_order_release);
      bool stopping = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        batch.swap(commands);
        stopping = stop;
      }
      for (Command& c : batch) {
        if (c.cancel) {
          inner->Cancel(c.id);
        } else {
          inner->StartWithId(c.id, std::move(c.request), std::move(c.done));
        }
      }
      batch.clear();
      if (stopping) break;
      inner->Poll(-1);
    }
    inner.reset();  // aborts transfers in flight: their completions run here with E_ABORT
    // Starts queued by those completions (or racing the stop) end aborted too.
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        batch.swap(commands);
      }
      if (batch.empty()) break;
      for (Command& c : batch) {
        if (c.cancel) continue;
        HttpResponse r;
        r.transport_result = E_ABORT;
        r.error_detail = "transport closed";
        if (c.done) c.done(std::move(r));
        in_flight.fetch_sub(1, std::memory_order_acq_rel);
      }
      batch.clear();
    }
  }
};

class ThreadedTransport final : public Transport {
 public:
  explicit ThreadedTransport(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {
    thread_ = std::thread([s = shared_] { s->Run(); });
  }

  // Stops the thread; transfers in flight complete with E_ABORT on it first.
  ~ThreadedTransport() override {
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->stop = true;
    }
    shared_->Wake();
    if (thread_.get_id() == std::this_thread::get_id()) {
      // Dropped from one of our own completions: the thread finishes the
      // shutdown after that completion returns, holding its own reference.
      thread_.detach();
    } else {
      thread_.join();
    }
  }

  TransferId Start(HttpRequest request, CompletionFn done) override {
    TransferId id = shared_->next_id.fetch_add(1, std::memory_order_relaxed);
    shared_->in_flight.fetch_add(1, std::memory_order_acq_rel);
    shared_->Push(Command{id, false, std::move(request), std::move(done)});
    return id;
  }

  void Cancel(TransferId id) override {
    if (id == 0) return;
    shared_->Push(Command{id, true, HttpRequest(), nullptr});
  }

  uint32_t InFlight() const override { return shared_->in_flight.load(std::memory_order_acquire); }

  bool owner_driven() const override { return false; }

 private:
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace

StatusOr<std::unique_ptr<Transport>> CreateThreadedTransport(const TransportOptions& options) {
  auto shared = std::make_shared<Shared>();
  shared->wake_fd = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!shared->wake_fd.valid()) {
    return Status(StatusCode::kInternal, std::string("eventfd: ") + ErrnoText(errno));
  }
  auto inner = CurlTransport::Create(options);
  if (!inner.ok()) return inner.status();
  shared->inner = std::move(inner).value();
  Status added = shared->inner->AddWakeFd(shared->wake_fd.get());
  if (!added.ok()) return added;
  shared->inner->SetCompletionObserver(&Shared::OnCompletion, shared.get());
  return std::unique_ptr<Transport>(new ThreadedTransport(std::move(shared)));
}

}  // namespace sessionrig
