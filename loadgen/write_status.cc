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

std::optional<WriteStatus> ClassifyWriteResult(HRESULT hr, XblWriteSessionStatus status) {
  if (hr == E_ABORT) return std::nullopt;
  if (SUCCEEDED(hr)) {
    switch (status) {
      case XblWriteSessionStatus::Updated:
        return WriteStatus::kUpdated;
      case XblWriteSessionStatus::Created:
        return WriteStatus::kCreated;
      case XblWriteSessionStatus::SessionDeleted:
        return WriteStatus::kSessionDeleted;
      case XblWriteSessionStatus::OutOfSync:
        return WriteStatus::kOutOfSync;
      default:
        return WriteStatus::kHttpError;
    }
  }
  switch (hr) {
    case HTTP_E_STATUS_PRECOND_FAILED:
      return WriteStatus::kOutOfSync;
    case HTTP_E_STATUS_CONFLICT:
      return WriteStatus::kConflict;
    case HTTP_E_STATUS_DENIED:
    case HTTP_E_STATUS_FORBIDDEN:
      return WriteStatus::kAccessDenied;
    case HTTP_E_STATUS_NOT_FOUND:
      return WriteStatus::kNotFound;
    case SR_E_TIMEOUT:
      return WriteStatus::kTimeout;
    case WEB_E_INVALID_JSON_STRING:
      return WriteStatus::kParseError;
    default:
      break;
  }
  // HTTP_E_STATUS_*: facility 0x019 (FACILITY_HTTP), 0x80190000 | status.
  const auto code = static_cast<std::uint32_t>(hr);
  if ((code & 0xFFFF0000u) == 0x80190000u) return WriteStatus::kHttpError;
  return WriteStatus::kTransportError;
}

}  // namespace sessionrig::loadgen
