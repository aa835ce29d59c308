// session/session_handle.h (private to core): the object behind
// XblMultiplayerSessionHandle, and what the service calls in core/src/api
// need from it.
//
// A session object holds, for one user (xuid), a session reference, the
// document of the last response (or an empty one for a handle created
// locally), that response's ETag and write status, and the DELTA: what the
// setters changed since, which the next write sends (spec section 3).
//
// Getters show the handle's document with the session-level setters applied
// (constants, properties, custom properties) and the current user's status
// and member custom properties applied if the user is a member. Join, Leave
// and reservations are not shown until the write returns the new state.
//
// Reference counted (atomic). Thread-safety, as multiplayer_c.h says: readers
// (getters, BuildWriteRequestBody) may run concurrently; the C structs they
// return are built lazily under `views_mu`. Setters require that no other
// thread uses the handle.
//
// Behaviour the public header leaves open, decided here:
//  - Setters of constants on a handle with an ETag return E_UNEXPECTED and
//    record nothing. MaxMembersInSession must be 1..1000 and Visibility one
//    of PrivateSession/Visible/Open/Full (E_INVALIDARG otherwise).
//  - PropertiesSetJoin/ReadRestriction ignore values other than
//    None/Local/Followed (they return void).
//  - Join needs a handle with a non-zero xuid (E_UNEXPECTED otherwise); its
//    member custom constants must be a JSON object (E_INVALIDARG).
//  - Leave discards pending changes to "me"; a later Join/SetStatus/member
//    custom property starts a new "me" update (the last call wins).
//  - AddMemberReservation: xuid 0 is E_INVALIDARG; reserving an xuid already
//    reserved in the pending delta replaces that reservation.
//  - Keywords and property names must be valid UTF-8 (E_INVALIDARG).
//  - CreateHandle returns null also for MaxMembersInSession > 1000, a
//    Visibility outside the enum, or InitiatorXuids null with a count.
//  - Getters: strings are never null ("" or "{}" when absent); timeouts that
//    are absent show the service defaults (reserved 30000, inactive 0,
//    ready 180000, sessionEmpty 0 ms), null (never) shows UINT64_MAX;
//    MaxMembersInSession absent shows 100. A null handle gives null/Unknown.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessionrig/response_parser.h"
#include "sessionrig/session_document.h"
#include "xsapi-c/multiplayer_c.h"

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

// The C structs the getters return, and the storage their pointers point
// into. Built once per state of the document; never resized after the build.
struct SessionCViews {
  XblMultiplayerSessionConstants constants{};
  XblMultiplayerSessionProperties properties{};
  XblMultiplayerSessionInfo info{};
  std::vector<XblMultiplayerSessionMember> members;
  const XblMultiplayerSessionMember* current_user = nullptr;

  std::vector<uint64_t> initiators;
  std::string constants_custom;
  std::string cloud_compute_package;
  std::vector<std::string> keyword_storage;
  std::vector<const char*> keywords;
  std::vector<uint32_t> turn;
  std::string matchmaking_target_constants;
  std::string matchmaking_connection;
  std::vector<std::string> candidate_storage;
  std::vector<const char*> candidates;
  std::vector<uint32_t> owners;
  std::string properties_custom;
  std::string branch;
  std::string correlation_id;
  std::string search_handle;
  struct MemberStrings {
    std::string team;
    std::string initial_team;
    std::string custom_constants;
    std::string secure_device_address;
    std::string custom_properties;
  };
  std::vector<MemberStrings> member_strings;
};

// The shared, always-present empty document (local and deleted sessions).
std::shared_ptr<const SessionDocument> EmptySessionDocument();

}  // namespace sessionrig

struct XblMultiplayerSession {
  std::atomic<uint32_t> refcount{1};

  // Constant after construction.
  uint64_t xuid = 0;
  XblMultiplayerSessionReference reference{};
  std::string etag;  // "" until written or read
  XblWriteSessionStatus write_status = XblWriteSessionStatus::Unknown;

  // Changed only by setters (exclusive use). `doc` is never null; once a
  // setter changes it, `local` is a private copy and `doc` points at it.
  std::shared_ptr<const sessionrig::SessionDocument> doc;
  std::shared_ptr<sessionrig::SessionDocument> local;
  sessionrig::SessionDelta delta;

  // Built by getters on first use; reset by setters.
  std::mutex views_mu;
  std::unique_ptr<sessionrig::SessionCViews> views;  // Guarded by views_mu
};

namespace sessionrig {

// Body of the PUT for the handle's pending delta (spec section 3): "{}" if
// nothing was changed. Compact JSON with keys in sorted order.
std::string BuildWriteRequestBody(const XblMultiplayerSession& s);

// The handle's user, session reference and ETag ("" if none). The references
// stay valid while the caller holds a reference to the handle.
uint64_t SessionXuid(const XblMultiplayerSession& s);
const XblMultiplayerSessionReference& SessionRef(const XblMultiplayerSession& s);
const std::string& SessionEtag(const XblMultiplayerSession& s);

// A new handle (refcount 1, owned by the caller) holding `response`'s
// session, ETag and write status for user `xuid`, with no pending delta. A
// response without a session (204) gives an empty document: no members,
// empty ETag, WriteStatus as in the response (SessionDeleted for a 204 PUT).
// Returns null only if memory runs out.
XblMultiplayerSessionHandle MakeSessionFromResponse(uint64_t xuid,
                                                    const XblMultiplayerSessionReference& ref,
                                                    const ParsedResponse& response);

}  // namespace sessionrig
