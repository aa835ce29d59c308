// loadgen/readback.h: the consistency checks need the final document of
// every session the run wrote (the append history's final token list, the
// membership invariants' last state): this reads them back after the run,
// up to kFinalReadsInFlight at once, through the same request pump as the
// workers (pump.h).
//
// Thread-safety: the functions block the calling thread and share nothing.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "loadgen/config.h"
#include "loadgen/consistency.h"
#include "loadgen/users.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig::loadgen {

// Final-document reads in flight at once.
inline constexpr std::size_t kFinalReadsInFlight = 64;

// Reads the sessions `names` (of config.scenario) back from `endpoint` as
// `reader`, up to kFinalReadsInFlight at once, each within config.timeout
// (plus 5 s for all of them), and calls take(i, session) on this thread for
// each that was answered (session null: there is no such session; the
// handle is closed after the call). Returns the indices that could not be
// read (transport error, failure status, no answer in time), in increasing
// order.
std::vector<std::size_t> ReadSessionsBack(
    const Config& config, const std::string& endpoint, const UserCredential& reader,
    const std::vector<std::string>& names,
    const std::function<void(std::size_t, XblMultiplayerSessionHandle)>& take);

// The append check's final documents: ReadSessionsBack of `sessions`,
// filling their final_etag and final_tokens.
std::vector<std::size_t> ReadFinalDocuments(const Config& config, const std::string& endpoint,
                                            const UserCredential& reader,
                                            std::vector<SessionHistory>* sessions);

}  // namespace sessionrig::loadgen
