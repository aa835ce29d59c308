// loadgen/measure.h: the measurement rule of runner.h as code, the one
// place that decides the instant a request is measured from.
//
// Every request of an action (a read, a write, a retry after 412) is
// measured corrected (completion - intended start) and uncorrected
// (completion - send). The FIRST request of an action is intended at the
// action's intended start (its schedule lag and any wait before it was
// sent are charged to it); every LATER request is intended at its own send
// time, because it is issued at once when the one before completes. So each
// moment of an action is charged to exactly one request, except the client
// time between one request completing and the next being sent: the
// request gap, measured here and reported beside the schedule lag. Per
// action:
//
//   action latency = sum of its requests' corrected latencies
//                    + sum of its request gaps
//                    (+ the client time after its last request completes)
//
// Thread-safety: a value type; one per action in flight, on its worker.
#pragma once

#include <cstdint>
#include <limits>

namespace sessionrig::loadgen {

// How one request of an action is measured.
struct RequestStart {
  std::int64_t intended_us = 0;  // corrected latency = completion - this
  std::int64_t send_us = 0;      // uncorrected latency = completion - this
  // Client time since the action's previous request completed; -1 for the
  // action's first request (its lateness is the schedule lag, inside its
  // corrected latency).
  std::int64_t gap_us = -1;
};

class ActionClock {
 public:
  // A new action whose intended start is `intended_us`.
  void Begin(std::int64_t intended_us) {
    intended_us_ = intended_us;
    previous_end_us_ = kNone;
  }

  // A request of the action is sent at `send_us`.
  RequestStart Send(std::int64_t send_us) const {
    if (previous_end_us_ == kNone) return RequestStart{intended_us_, send_us, -1};
    return RequestStart{send_us, send_us, send_us - previous_end_us_};
  }

  // The request sent last completed at `end_us`.
  void Complete(std::int64_t end_us) { previous_end_us_ = end_us; }

  std::int64_t intended_us() const { return intended_us_; }

 private:
  static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();
  std::int64_t intended_us_ = 0;
  std::int64_t previous_end_us_ = kNone;  // kNone until the first request completed
};

}  // namespace sessionrig::loadgen
