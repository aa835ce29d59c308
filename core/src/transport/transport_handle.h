// transport/transport_handle.h (private): what SrTransportHandle points to,
// for the core's C API code (contexts keep a reference to their transport).
//
// A handle is reference counted; the last SrTransportCloseHandle destroys the
// transport, which aborts transfers in flight (each completes with E_ABORT).
// The refcount is thread-safe; using the transport itself follows its kind's
// rules (sessionrig/transport.h): an owner-driven one only on its thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "sessionrig/sessionrig_c.h"
#include "sessionrig/transport.h"

struct SrTransport {
  std::atomic<uint32_t> refs{1};
  // Constant after creation.
  std::unique_ptr<sessionrig::Transport> transport;
  sessionrig::OwnerDrivenTransport* owner_driven = nullptr;  // `transport` if owner-driven
};

// Adds a reference (released with SrTransportCloseHandle). REQUIRES: the
// handle is open.
void SrTransportAddRef(SrTransportHandle transport);

namespace sessionrig {

// The transport behind an open handle (never null for one). The pointer is
// valid while the caller holds a reference.
Transport* TransportFromHandle(SrTransportHandle transport);

// The process-default threaded transport (default TransportOptions), created
// on first use; returns a new reference, or null if it could not be created.
// It lives until the process exits (the process holds one reference).
SrTransportHandle DefaultTransportHandle();

}  // namespace sessionrig
