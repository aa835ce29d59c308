#include "loadgen/write_status.h"

namespace sessionrig::loadgen {

namespace {

constexpr std::array<std::string_view, kWriteStatusCount> kNames = {
    "updated",   "created",    "out_of_sync",     "session_deleted", "conflict",    "access_denied",
    "not_found", "http_error", "transport_error", "timeout",         "parse_error",
};

}  // namespace

std::string_view WriteStatusName(WriteStatus status) {
  const std::size_t index = WriteStatusIndex(status);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

std::optional<WriteStatus> WriteStatusFromName(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return kAllWriteStatuses[i];
  }
  return std::nullopt;
}

bool IsErrorStatus(WriteStatus status) {
  switch (status) {
    case WriteStatus::kUpdated:
    case WriteStatus::kCreated:
    case WriteStatus::kOutOfSync:
    case WriteStatus::kSessionDeleted:
      return false;
    case WriteStatus::kConflict:
    case WriteStatus::kAccessDenied:
    case WriteStatus::kNotFound:
    case WriteStatus::kHttpError:
    case WriteStatus::kTransportError:
    case WriteStatus::kTimeout:
    case WriteStatus::kParseError:
      return true;
  }
  return true;
}

}  // namespace sessionrig::loadgen
