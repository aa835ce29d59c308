// xsapi-c/multiplayer_c.h: the subset of the SDK's multiplayer C API that
// session writes need, with the SDK's names, enums and signatures, so code
// written against the SDK compiles against sessionrig.
//
// Ownership: XblMultiplayerSessionHandle is reference counted
// (Duplicate/Close). Pointers returned by getters stay valid until the handle
// is closed or the session is modified through it.
// Thread-safety: a handle may be read from many threads; modifying it
// (setters, Join, Leave) requires that no other thread uses it at the time,
// as in the SDK. A write never modifies its input handle.
#pragma once

#include "XAsync.h"
#include "xsapi-c/pal.h"
#include "xsapi-c/xbox_live_context_c.h"

#define XBL_SCID_LENGTH 37
#define XBL_MULTIPLAYER_SESSION_TEMPLATE_NAME_MAX_LENGTH 100
#define XBL_MULTIPLAYER_SESSION_NAME_MAX_LENGTH 100
#define XBL_GAMERTAG_CHAR_SIZE 16
#define XBL_GUID_LENGTH 40

enum class XblMultiplayerSessionVisibility : uint32_t {
  Unknown,
  Any,
  PrivateSession,
  Visible,
  Full,
  Open
};

enum class XblMultiplayerSessionRestriction : uint32_t { Unknown, None, Local, Followed };

enum class XblMultiplayerSessionMemberStatus : uint32_t { Reserved, Inactive, Ready, Active };

enum class XblMultiplayerSessionWriteMode : uint32_t {
  CreateNew,           // If-None-Match: *
  UpdateOrCreateNew,   // no conditional header
  UpdateExisting,      // If-Match: *
  SynchronizedUpdate,  // If-Match: <etag>, or If-None-Match: * without an ETag
};

enum class XblWriteSessionStatus : uint32_t {
  Unknown,
  AccessDenied,
  Created,
  Conflict,
  HandleNotFound,
  OutOfSync,
  SessionDeleted,
  Updated
};

typedef struct XblMultiplayerSession* XblMultiplayerSessionHandle;

struct XblMultiplayerSessionReference {
  char Scid[XBL_SCID_LENGTH];
  char SessionTemplateName[XBL_MULTIPLAYER_SESSION_TEMPLATE_NAME_MAX_LENGTH];
  char SessionName[XBL_MULTIPLAYER_SESSION_NAME_MAX_LENGTH];
};

struct XblMultiplayerSessionCapabilities {
  bool Connectivity;
  bool SuppressPresenceActivityCheck;
  bool Gameplay;
  bool Large;
  bool ConnectionRequiredForActiveMembers;
  bool UserAuthorizationStyle;
  bool Crossplay;
  bool Searchable;
  bool HasOwners;
};

struct XblMultiplayerSessionInitArgs {
  uint32_t MaxMembersInSession;  // 0: service default
  XblMultiplayerSessionVisibility Visibility;
  const uint64_t* InitiatorXuids;
  size_t InitiatorXuidsCount;
  const char* CustomJson;  // custom constants, a JSON object or null
};

struct XblMultiplayerSessionConstants {
  uint32_t MaxMembersInSession;
  XblMultiplayerSessionVisibility Visibility;
  uint64_t* InitiatorXuids;
  size_t InitiatorXuidsCount;
  const char* CustomJson;  // "{}" when absent
  const char* SessionCloudComputePackageConstantsJson;
  uint64_t MemberReservedTimeout;  // ms
  uint64_t MemberInactiveTimeout;  // ms
  uint64_t MemberReadyTimeout;     // ms
  uint64_t SessionEmptyTimeout;    // ms
  uint64_t ArbitrationTimeout;     // ms
  uint64_t ForfeitTimeout;         // ms
  bool EnableMetricsLatency;
  bool EnableMetricsBandwidthDown;
  bool EnableMetricsBandwidthUp;
  bool EnableMetricsCustom;
  XblMultiplayerSessionCapabilities SessionCapabilities;
};

struct XblMultiplayerSessionProperties {
  const char** Keywords;
  size_t KeywordCount;
  XblMultiplayerSessionRestriction JoinRestriction;
  XblMultiplayerSessionRestriction ReadRestriction;
  uint32_t* TurnCollection;
  size_t TurnCollectionCount;
  const char* MatchmakingTargetSessionConstantsJson;
  const char* SessionCustomPropertiesJson;  // "{}" when absent
  const char* MatchmakingServerConnectionString;
  const char** ServerConnectionStringCandidates;
  size_t ServerConnectionStringCandidatesCount;
  uint32_t* SessionOwnerMemberIds;
  size_t SessionOwnerMemberIdsCount;
  bool Closed;
  bool Locked;
  bool AllocateCloudCompute;
};

struct XblMultiplayerSessionInfo {
  uint32_t ContractVersion;
  const char* Branch;
  uint64_t ChangeNumber;
  const char* CorrelationId;
  time_t StartTime;
  time_t NextTimer;
  const char* SearchHandleId;
};

struct XblMultiplayerSessionMember {
  uint32_t MemberId;
  const char* TeamId;
  const char* InitialTeam;
  uint64_t Xuid;
  const char* CustomConstantsJson;  // "{}" when absent
  const char* SecureDeviceBaseAddress64;
  const char* CustomPropertiesJson;  // "{}" when absent
  char Gamertag[XBL_GAMERTAG_CHAR_SIZE];
  XblMultiplayerSessionMemberStatus Status;
  bool IsTurnAvailable;
  bool IsCurrentUser;
  bool InitializeRequested;
  uint32_t ActiveTitleId;
  time_t JoinTime;
};

// ---- Session references ---------------------------------------------------

// Builds a reference; fields longer than their buffers are cut to fit and
// end with NUL (as in the SDK; use XblMultiplayerSessionReferenceIsValid).
STDAPI_(XblMultiplayerSessionReference)
XblMultiplayerSessionReferenceCreate(const char* scid, const char* sessionTemplateName,
                                     const char* sessionName) XBL_NOEXCEPT;

// True if every field is non-empty, fits its buffer and is a URI-safe
// segment (no '/', '?', '#', '%', spaces or control characters).
STDAPI_(bool)
XblMultiplayerSessionReferenceIsValid(const XblMultiplayerSessionReference* sessionReference)
    XBL_NOEXCEPT;

// ---- Handles ----------------------------------------------------------------

// Creates a local session for user `xuid` (0: no current user). The handle has
// no ETag until written. Returns null if `initArgs->CustomJson` is not a JSON
// object. The caller owns the handle.
STDAPI_(XblMultiplayerSessionHandle)
XblMultiplayerSessionCreateHandle(uint64_t xuid,
                                  const XblMultiplayerSessionReference* sessionReference,
                                  const XblMultiplayerSessionInitArgs* initArgs) XBL_NOEXCEPT;

// Adds a reference (the same session object, as in the SDK).
STDAPI XblMultiplayerSessionDuplicateHandle(
    XblMultiplayerSessionHandle handle, XblMultiplayerSessionHandle* duplicatedHandle) XBL_NOEXCEPT;

// Drops a reference; the last one frees the session. Null is ignored.
STDAPI_(void) XblMultiplayerSessionCloseHandle(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;

// ---- Getters ----------------------------------------------------------------

STDAPI_(const XblMultiplayerSessionReference*)
XblMultiplayerSessionSessionReference(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;
STDAPI_(const XblMultiplayerSessionConstants*)
XblMultiplayerSessionSessionConstants(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;
STDAPI_(const XblMultiplayerSessionProperties*)
XblMultiplayerSessionSessionProperties(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;
STDAPI_(const XblMultiplayerSessionInfo*)
XblMultiplayerSessionGetInfo(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;
// The ETag of the last response ("" for a session never written/read).
STDAPI_(const char*) XblMultiplayerSessionEtag(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;
// The status of the write that produced this handle (Unknown for local ones).
STDAPI_(XblWriteSessionStatus)
XblMultiplayerSessionWriteStatus(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;
// Members in `next`-chain order; pointers valid as described above.
STDAPI XblMultiplayerSessionMembers(XblMultiplayerSessionHandle handle,
                                    const XblMultiplayerSessionMember** members,
                                    size_t* membersCount) XBL_NOEXCEPT;
// The member whose xuid is the handle's user, or null.
STDAPI_(const XblMultiplayerSessionMember*)
XblMultiplayerSessionCurrentUser(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;

// ---- Setters (recorded in the handle's delta; sent by the next write) -------

// Constants may only be set on a session not yet written (E_UNEXPECTED otherwise,
// rather than silently sending a change the service rejects with 409).
STDAPI XblMultiplayerSessionConstantsSetMaxMembersInSession(
    XblMultiplayerSessionHandle handle, uint32_t maxMembersInSession) XBL_NOEXCEPT;
STDAPI XblMultiplayerSessionConstantsSetVisibility(
    XblMultiplayerSessionHandle handle, XblMultiplayerSessionVisibility visibility) XBL_NOEXCEPT;
// Timeouts in milliseconds.
STDAPI XblMultiplayerSessionConstantsSetTimeouts(XblMultiplayerSessionHandle handle,
                                                 uint64_t memberReservedTimeout,
                                                 uint64_t memberInactiveTimeout,
                                                 uint64_t memberReadyTimeout,
                                                 uint64_t sessionEmptyTimeout) XBL_NOEXCEPT;
STDAPI XblMultiplayerSessionConstantsSetCapabilities(XblMultiplayerSessionHandle handle,
                                                     XblMultiplayerSessionCapabilities capabilities)
    XBL_NOEXCEPT;

STDAPI_(void)
XblMultiplayerSessionPropertiesSetJoinRestriction(XblMultiplayerSessionHandle handle,
                                                  XblMultiplayerSessionRestriction joinRestriction)
    XBL_NOEXCEPT;
STDAPI_(void)
XblMultiplayerSessionPropertiesSetReadRestriction(XblMultiplayerSessionHandle handle,
                                                  XblMultiplayerSessionRestriction readRestriction)
    XBL_NOEXCEPT;
STDAPI_(void)
XblMultiplayerSessionPropertiesSetClosed(XblMultiplayerSessionHandle handle,
                                         bool closed) XBL_NOEXCEPT;
STDAPI_(void)
XblMultiplayerSessionPropertiesSetLocked(XblMultiplayerSessionHandle handle,
                                         bool locked) XBL_NOEXCEPT;
STDAPI XblMultiplayerSessionPropertiesSetKeywords(XblMultiplayerSessionHandle handle,
                                                  const char** keywords,
                                                  size_t keywordsCount) XBL_NOEXCEPT;

// `valueJson` must be valid JSON (E_INVALIDARG otherwise; nothing recorded).
STDAPI XblMultiplayerSessionSetCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                  const char* name,
                                                  const char* valueJson) XBL_NOEXCEPT;
STDAPI XblMultiplayerSessionDeleteCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                     const char* name) XBL_NOEXCEPT;

// Joins as the handle's user ("me"). `memberCustomConstantsJson` may be null.
STDAPI XblMultiplayerSessionJoin(XblMultiplayerSessionHandle handle,
                                 const char* memberCustomConstantsJson, bool initializeRequested,
                                 bool joinWithActiveStatus) XBL_NOEXCEPT;
// Leaves ("me": null).
STDAPI XblMultiplayerSessionLeave(XblMultiplayerSessionHandle handle) XBL_NOEXCEPT;
// Active or Inactive only (E_INVALIDARG otherwise), as in the SDK.
STDAPI XblMultiplayerSessionCurrentUserSetStatus(
    XblMultiplayerSessionHandle handle, XblMultiplayerSessionMemberStatus status) XBL_NOEXCEPT;
STDAPI XblMultiplayerSessionCurrentUserSetCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                             const char* name,
                                                             const char* valueJson) XBL_NOEXCEPT;
STDAPI XblMultiplayerSessionCurrentUserDeleteCustomPropertyJson(XblMultiplayerSessionHandle handle,
                                                                const char* name) XBL_NOEXCEPT;
// Reserves a seat for another user (key "reserve_N" in the write).
STDAPI XblMultiplayerSessionAddMemberReservation(XblMultiplayerSessionHandle handle, uint64_t xuid,
                                                 const char* memberCustomConstantsJson,
                                                 bool initializeRequested) XBL_NOEXCEPT;

// ---- Service calls ------------------------------------------------------------

// Writes the handle's delta with `writeMode`'s conditional header. Any mode
// outside the enum completes the call with E_INVALIDARG. E_INVALIDARG at once
// for null arguments or a block already in flight.
STDAPI XblMultiplayerWriteSessionAsync(XblContextHandle xblContext,
                                       XblMultiplayerSessionHandle multiplayerSession,
                                       XblMultiplayerSessionWriteMode writeMode,
                                       XAsyncBlock* async) XBL_NOEXCEPT;

// On success `*handle` gets a NEW session with the service's latest state
// (caller closes it); null `handle` releases it at once. 412 with a valid
// session succeeds with WriteStatus OutOfSync. 204 (deleted) succeeds with a
// handle whose WriteStatus is SessionDeleted and no members. A second call on
// the same block returns E_ILLEGAL_METHOD_CALL.
STDAPI XblMultiplayerWriteSessionResult(XAsyncBlock* async,
                                        XblMultiplayerSessionHandle* handle) XBL_NOEXCEPT;

// GET of the session. Result: S_OK with a handle, or S_OK with *handle null
// when the session does not exist (HTTP 204), as in the SDK.
STDAPI XblMultiplayerGetSessionAsync(XblContextHandle xblContext,
                                     const XblMultiplayerSessionReference* sessionReference,
                                     XAsyncBlock* async) XBL_NOEXCEPT;
STDAPI XblMultiplayerGetSessionResult(XAsyncBlock* async,
                                      XblMultiplayerSessionHandle* handle) XBL_NOEXCEPT;
