// loadgen/write_status.h: the outcome vocabulary of one session write as the
// load generator counts it. The names are the keys of `writes.by_status` in
// the summary schema sessionrig.loadgen.summary/v1 and the `status` label of
// `sessionrig_writes_total`. Thread-safe: constants and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "xsapi-c/multiplayer_c.h"

namespace sessionrig::loadgen {

// Order is the order of the schema's by_status keys (and of every table that
// prints them). Values index arrays; do not reorder without bumping the schema.
enum class WriteStatus : std::uint8_t {
  kUpdated = 0,     // 200: the write was applied to an existing session
  kCreated,         // 201: the write created the session
  kOutOfSync,       // 412: lost the If-Match race (expected contention)
  kSessionDeleted,  // 204: the write emptied the session and it was deleted
  kConflict,        // 409: the service refused the write (e.g. session full)
  kAccessDenied,    // 401/403
  kNotFound,        // 404
  kHttpError,       // any other HTTP failure status (4xx/5xx)
  kTransportError,  // the connection failed (refused, reset, TLS, ...)
  kTimeout,         // no response within the per-call timeout
  kParseError,      // a response arrived but the strict parser refused it
};

inline constexpr std::size_t kWriteStatusCount = 11;

// All statuses in schema order.
inline constexpr std::array<WriteStatus, kWriteStatusCount> kAllWriteStatuses = {
    WriteStatus::kUpdated,        WriteStatus::kCreated,    WriteStatus::kOutOfSync,
    WriteStatus::kSessionDeleted, WriteStatus::kConflict,   WriteStatus::kAccessDenied,
    WriteStatus::kNotFound,       WriteStatus::kHttpError,  WriteStatus::kTransportError,
    WriteStatus::kTimeout,        WriteStatus::kParseError,
};

// Schema key of `status`: "updated", "created", "out_of_sync", "session_deleted",
// "conflict", "access_denied", "not_found", "http_error", "transport_error",
// "timeout", "parse_error".
std::string_view WriteStatusName(WriteStatus status);

// Inverse of WriteStatusName; nullopt for anything else (case-sensitive).
std::optional<WriteStatus> WriteStatusFromName(std::string_view name);

// True for the statuses that count as errors in `error_rate`:
// conflict, access_denied, not_found, http_error, transport_error, timeout,
// parse_error. Not errors: updated, created, session_deleted (successful
// writes) and out_of_sync (expected contention, reported as conflict_rate).
bool IsErrorStatus(WriteStatus status);

// Classifies one completed write: `hr` is what XblMultiplayerWriteSessionResult
// returned and `status` the result handle's XblMultiplayerSessionWriteStatus
// (only read when SUCCEEDED(hr)). Every completed write maps to exactly one
// status: S_OK with Updated/Created/SessionDeleted/OutOfSync by its write
// status (any other write status on S_OK is http_error); failures by HRESULT:
// HTTP_E_STATUS_PRECOND_FAILED (a 412 without a usable session) out_of_sync,
// HTTP_E_STATUS_CONFLICT conflict, HTTP_E_STATUS_DENIED/FORBIDDEN
// access_denied, HTTP_E_STATUS_NOT_FOUND not_found, any other HTTP_E_STATUS_*
// http_error, SR_E_TIMEOUT timeout, WEB_E_INVALID_JSON_STRING parse_error,
// anything else (connection refused/reset, TLS, protocol, client-side
// failures) transport_error. E_ABORT (the call was cancelled) is not a
// completed write: nullopt.
std::optional<WriteStatus> ClassifyWriteResult(HRESULT hr, XblWriteSessionStatus status);

// True for transport-level outcomes (the target did not answer with HTTP):
// transport_error and timeout.
inline bool IsTransportFailure(WriteStatus status) {
  return status == WriteStatus::kTransportError || status == WriteStatus::kTimeout;
}

inline constexpr std::size_t WriteStatusIndex(WriteStatus status) {
  return static_cast<std::size_t>(status);
}

}  // namespace sessionrig::loadgen
