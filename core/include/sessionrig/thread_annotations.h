// sessionrig/thread_annotations.h: clang's thread-safety analysis
// (-Wthread-safety) for sessionrig's locks, and the mutex and lock types it
// can see through.
//
// State a mutex protects is declared GUARDED_BY(mu_); a function that must
// be called with the mutex held is REQUIRES(mu_). With clang and
// -Wthread-safety (scripts/lint runs it over every source through
// clang-tidy), reading or writing guarded state without holding its mutex is
// a compile-time finding. With gcc the annotations compile to nothing.
//
// std::mutex and std::unique_lock carry no annotations in libstdc++, so
// annotated code uses sessionrig::Mutex and sessionrig::MutexLock, thin
// wrappers with the same cost. Waits on a condition variable go through
// MutexLock::Wait in a loop written in the caller (a predicate lambda would
// hide the guarded reads from the analysis).
//
// Thread-safety: Mutex is a mutex; MutexLock belongs to one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define SR_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SR_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) SR_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY SR_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) SR_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) SR_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) SR_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define REQUIRES(...) SR_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) SR_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) SR_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) SR_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS SR_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace sessionrig {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds `mu` for its scope (may be released and taken again in between).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.mu_) {}
  ~MutexLock() RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Waits on `cv` (releasing the mutex meanwhile, holding it again on
  // return). Spurious wake-ups happen: call it in a loop on the condition.
  void Wait(std::condition_variable& cv) { cv.wait(lock_); }
  // As Wait, until `deadline` at most; false when it passed.
  template <typename Clock, typename Duration>
  bool WaitUntil(std::condition_variable& cv,
                 const std::chrono::time_point<Clock, Duration>& deadline) {
    return cv.wait_until(lock_, deadline) == std::cv_status::no_timeout;
  }

  // Releases the mutex early (for instance before running a user callback);
  // Lock() takes it again.
  void Unlock() RELEASE() { lock_.unlock(); }
  void Lock() ACQUIRE() { lock_.lock(); }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace sessionrig
