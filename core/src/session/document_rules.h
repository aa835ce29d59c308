// session/document_rules.h (private to core): the rules of the session
// document that both of its parsers apply, the DOM typing path
// (session_document.cc) and the reader that types fields straight from the
// text (session_document_reader.cc), so that the two cannot drift apart.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "sessionrig/session_document.h"
#include "sessionrig/status.h"

namespace sessionrig::document_rules {

// 1 to 20 decimal digits with value <= `max`; leading zeros allowed only
// when `canonical` is false.
inline bool ParseDecimal(std::string_view text, bool canonical, uint64_t max, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  if (canonical && text.size() > 1 && text[0] == '0') return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

inline bool VisibilityFromName(std::string_view name, SessionVisibility* out) {
  static constexpr SessionVisibility kAll[] = {SessionVisibility::kPrivate,
                                               SessionVisibility::kVisible,
                                               SessionVisibility::kOpen, SessionVisibility::kFull};
  for (SessionVisibility v : kAll) {
    if (name == SessionVisibilityName(v)) {
      *out = v;
      return true;
    }
  }
  return false;
}

inline bool RestrictionFromName(std::string_view name, SessionRestriction* out) {
  static constexpr SessionRestriction kAll[] = {
      SessionRestriction::kNone, SessionRestriction::kLocal, SessionRestriction::kFollowed};
  for (SessionRestriction r : kAll) {
    if (name == SessionRestrictionName(r)) {
      *out = r;
      return true;
    }
  }
  return false;
}

// Orders `parsed` (the members keyed by index, in any order, indices set;
// a deque so that parsers grow it without moving members)
// along the `next` chain from doc->members_info.first into doc->members.
// Errors: kMissingField, kMemberChain; kJsonSyntax if two members share an
// index (only a reader that has not refused duplicate keys can pass that).
// REQUIRES: 0 < parsed.size(); doc->members_info is parsed.
Status OrderMembers(std::deque<SessionMember> parsed, SessionDocument* doc);

// membersInfo.count against the members listed (kMemberChain).
// REQUIRES: members and membersInfo are parsed.
Status CheckMembersCount(const SessionDocument& doc);

}  // namespace sessionrig::document_rules
