// session/session_handle.h (private to core): the object behind
// XblMultiplayerSessionHandle, and what the service calls in core/src/api
// need from it.
//
// A session object holds, for one user (xuid), a session reference, the
// document of the last response (or an empty one for a handle created
// locally), that response's ETag and write status, and the DELTA: what the
// setters changed since, which the next write sends (docs/protocol.md, "The write request").
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
//  - Getters report what the document says (docs/protocol.md "Reading a
//    session"): absent timeouts are 0, absent JSON strings "{}" (custom) or
//    "" (cloud compute package, matchmaking target constants), absent
//    member TeamId/InitialTeam/SecureDeviceBaseAddress64 are null,
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

#include "session/session_delta.h"
#include "session/session_views.h"
#include "sessionrig/response_parser.h"
#include "sessionrig/session_document.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig {

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
