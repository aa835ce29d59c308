#include "session/enum_maps.h"

namespace sessionrig {

bool VisibilityFromC(XblMultiplayerSessionVisibility v, SessionVisibility* out) {
  switch (v) {
    case XblMultiplayerSessionVisibility::PrivateSession:
      *out = SessionVisibility::kPrivate;
      return true;
    case XblMultiplayerSessionVisibility::Visible:
      *out = SessionVisibility::kVisible;
      return true;
    case XblMultiplayerSessionVisibility::Open:
      *out = SessionVisibility::kOpen;
      return true;
    case XblMultiplayerSessionVisibility::Full:
      *out = SessionVisibility::kFull;
      return true;
    default:
      return false;
  }
}

XblMultiplayerSessionVisibility VisibilityToC(const std::optional<SessionVisibility>& v) {
  if (!v) return XblMultiplayerSessionVisibility::Unknown;
  switch (*v) {
    case SessionVisibility::kPrivate:
      return XblMultiplayerSessionVisibility::PrivateSession;
    case SessionVisibility::kVisible:
      return XblMultiplayerSessionVisibility::Visible;
    case SessionVisibility::kOpen:
      return XblMultiplayerSessionVisibility::Open;
    case SessionVisibility::kFull:
      return XblMultiplayerSessionVisibility::Full;
  }
  return XblMultiplayerSessionVisibility::Unknown;
}

bool RestrictionFromC(XblMultiplayerSessionRestriction r, SessionRestriction* out) {
  switch (r) {
    case XblMultiplayerSessionRestriction::None:
      *out = SessionRestriction::kNone;
      return true;
    case XblMultiplayerSessionRestriction::Local:
      *out = SessionRestriction::kLocal;
      return true;
    case XblMultiplayerSessionRestriction::Followed:
      *out = SessionRestriction::kFollowed;
      return true;
    default:
      return false;
  }
}

XblMultiplayerSessionRestriction RestrictionToC(const std::optional<SessionRestriction>& r) {
  if (!r) return XblMultiplayerSessionRestriction::Unknown;
  switch (*r) {
    case SessionRestriction::kNone:
      return XblMultiplayerSessionRestriction::None;
    case SessionRestriction::kLocal:
      return XblMultiplayerSessionRestriction::Local;
    case SessionRestriction::kFollowed:
      return XblMultiplayerSessionRestriction::Followed;
  }
  return XblMultiplayerSessionRestriction::Unknown;
}

}  // namespace sessionrig
