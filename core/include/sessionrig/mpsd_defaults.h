// sessionrig/mpsd_defaults.h: the session directory's (MPSD's) defaults and
// ranges for a session's constants, shared by the client (the handle's
// setters and getters, core/src/session) and the reference server
// (sessiond/merge.cc), so the two never disagree. docs/protocol.md
// "The session document" explains each.
//
// Thread-safety: constants only.
#pragma once

#include <cstdint>

namespace sessionrig::mpsd {

// constants.system.maxMembersCount: the value a created session gets when
// the creator sets none, and the upper bounds without and with
// capabilities.large ("large" sessions list only the caller as "me").
inline constexpr std::int64_t kDefaultMaxMembersCount = 100;
inline constexpr std::int64_t kMaxMembersCountSmall = 100;
inline constexpr std::int64_t kMaxMembersCountLarge = 1000;

// The member and session timeouts of constants.system, in milliseconds, that
// the service fills in at creation when the creator sets none. 0 means
// "immediately" for sessionEmptyTimeout and "never" for
// inactiveRemovalTimeout, as MPSD defines them.
inline constexpr std::int64_t kDefaultReservedRemovalTimeoutMs = 30000;
inline constexpr std::int64_t kDefaultInactiveRemovalTimeoutMs = 0;
inline constexpr std::int64_t kDefaultReadyRemovalTimeoutMs = 180000;
inline constexpr std::int64_t kDefaultSessionEmptyTimeoutMs = 0;
// Largest timeout sessiond accepts, ms (about 115 days).
inline constexpr std::int64_t kMaxTimeoutMs = 10'000'000'000;

// x-xbl-contract-version the core sends and sessiond accepts by default.
inline constexpr int kContractVersion = 107;

}  // namespace sessionrig::mpsd
