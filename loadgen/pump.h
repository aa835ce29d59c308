// loadgen/pump.h: the one loop every request of loadgen completes through
// (the workers' and the consistency read-back's): an owner-driven libcurl
// transport and a Manual/Manual XTaskQueue, both driven by the thread that
// owns them. Poll waits for network events (epoll, millisecond
// resolution), then Dispatch runs every ready work and completion callback.
//
// Thread-safety: thread-compatible; everything on the owning thread.
#pragma once

#include <cstdint>

#include "XTaskQueue.h"
#include "sessionrig/sessionrig_c.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

class RequestPump {
 public:
  RequestPump() = default;
  ~RequestPump() { Close(); }
  RequestPump(const RequestPump&) = delete;
  RequestPump& operator=(const RequestPump&) = delete;

  // Creates the transport (at most `max_in_flight` transfers) and the
  // queue. Errors: kUnavailable naming what could not be created.
  Status Open(std::uint32_t max_in_flight);

  // Waits up to `wait_ms` for network events, then dispatches.
  void Poll(std::uint32_t wait_ms);
  // Runs every ready work and completion callback, until none is ready.
  void Dispatch();

  // Closes both. Call on the owning thread once nothing is in flight; a
  // pump whose requests may still complete must be Leak()ed instead.
  void Close();
  // Forgets both without closing them (callbacks may still reference them).
  void Leak() {
    transport_ = nullptr;
    queue_ = nullptr;
  }

  SrTransportHandle transport() const { return transport_; }
  XTaskQueueHandle queue() const { return queue_; }

 private:
  SrTransportHandle transport_ = nullptr;
  XTaskQueueHandle queue_ = nullptr;
};

}  // namespace sessionrig::loadgen
