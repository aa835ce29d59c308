// loadgen/readback.h: the append scenario's consistency check needs the
// final document of every session it wrote: this reads them back after the
// run, up to kFinalReadsInFlight at once, through the same request pump as
// the workers (pump.h).
//
// Thread-safety: ReadFinalDocuments blocks the calling thread and shares
// nothing.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "loadgen/config.h"
#include "loadgen/consistency.h"
#include "loadgen/users.h"

namespace sessionrig::loadgen {

// Final-document reads in flight at once.
inline constexpr std::size_t kFinalReadsInFlight = 64;

// Reads the final documents of `sessions` (of config.scenario, named by
// SessionHistory::session) from `endpoint` as `reader`, each within
// config.timeout (plus 5 s for all of them), and fills their final_etag
// and final_tokens. Returns the indices of the sessions that could not be
// read, in increasing order.
std::vector<std::size_t> ReadFinalDocuments(const Config& config, const std::string& endpoint,
                                            const UserCredential& reader,
                                            std::vector<SessionHistory>* sessions);

}  // namespace sessionrig::loadgen
