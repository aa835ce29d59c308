// session/enum_maps.h (private to core): the mapping between the C API's
// enums (multiplayer_c.h) and the session model's (session_document.h), and
// MPSD's capability names in the order of XblMultiplayerSessionCapabilities.
//
// Thread-safety: pure functions and constants.
#pragma once

#include <optional>

#include "sessionrig/session_document.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig {

// The capability names of MPSD in the order of XblMultiplayerSessionCapabilities.
inline constexpr const char* kCapConnectivity = "connectivity";
inline constexpr const char* kCapSuppressPresence = "suppressPresenceActivityCheck";
inline constexpr const char* kCapGameplay = "gameplay";
inline constexpr const char* kCapLarge = "large";
inline constexpr const char* kCapConnectionRequired = "connectionRequiredForActiveMembers";
inline constexpr const char* kCapUserAuthorizationStyle = "userAuthorizationStyle";
inline constexpr const char* kCapCrossPlay = "crossPlay";
inline constexpr const char* kCapSearchable = "searchable";
inline constexpr const char* kCapHasOwners = "hasOwners";

// Values outside None/Local/Followed (Private..Full for visibility) have no
// model value: the *FromC functions return false for them.
bool VisibilityFromC(XblMultiplayerSessionVisibility v, SessionVisibility* out);
XblMultiplayerSessionVisibility VisibilityToC(const std::optional<SessionVisibility>& v);
bool RestrictionFromC(XblMultiplayerSessionRestriction r, SessionRestriction* out);
XblMultiplayerSessionRestriction RestrictionToC(const std::optional<SessionRestriction>& r);

}  // namespace sessionrig
