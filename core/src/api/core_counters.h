// api/core_counters.h (private to core): the process-wide counters behind
// SrGetCoreCounters (sessionrig_c.h).
//
// Thread-safety: thread-safe (relaxed atomics; counts only grow).
#pragma once

#include <cstdint>

namespace sessionrig {

// Adds `n` member gamertags that the C views cut to fit.
void CountTruncatedGamertags(uint64_t n);

}  // namespace sessionrig
