// session/session_delta.h (private to core): what a session handle's
// setters recorded since its last response: the DELTA that the next write
// sends (docs/protocol.md "The write request"). The setters in
// session_handle.cc fill it; api/session_request.cc serialises it.
//
// Thread-safety: a value type; the handle's rules apply (setters require
// exclusive use of the handle).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessionrig/session_document.h"

namespace sessionrig {

// A reservation recorded by XblMultiplayerSessionAddMemberReservation.
struct MemberReservation {
  uint64_t xuid = 0;
  bool initialize = false;
  std::optional<nlohmann::json> custom_constants;  // an object when set
};

// What the setters recorded; BuildWriteRequestBody serialises it.
struct SessionDelta {
  // constants.system / constants.custom: recorded only while there is no ETag.
  std::optional<uint32_t> max_members_count;
  std::optional<SessionVisibility> visibility;
  std::optional<std::vector<uint64_t>> initiators;
  std::optional<std::map<std::string, bool>> capabilities;
  bool timeouts_set = false;
  uint64_t reserved_removal_timeout_ms = 0;
  uint64_t inactive_removal_timeout_ms = 0;
  uint64_t ready_removal_timeout_ms = 0;
  uint64_t session_empty_timeout_ms = 0;
  std::optional<nlohmann::json> constants_custom;

  // properties.system fields that were set.
  std::optional<SessionRestriction> join_restriction;
  std::optional<SessionRestriction> read_restriction;
  std::optional<bool> closed;
  std::optional<bool> locked;
  std::optional<std::vector<std::string>> keywords;

  // properties.custom: sent whole (the view's object, deleted keys as null).
  bool custom_dirty = false;
  std::set<std::string> custom_deleted;

  // members."me".
  enum class MeChange { kNone, kUpdate, kLeave };
  MeChange me = MeChange::kNone;
  bool me_join = false;  // constants.system {xuid, initialize}
  bool me_initialize = false;
  std::optional<nlohmann::json> me_custom_constants;
  std::optional<bool> me_active;
  bool me_custom_dirty = false;
  nlohmann::json me_custom = nlohmann::json::object();  // the member's whole custom object
  std::set<std::string> me_custom_deleted;

  // members."reserve_N", N = position.
  std::vector<MemberReservation> reservations;
};

}  // namespace sessionrig
