// sessionrig/session_document.h: the typed, validated MPSD session document
// (docs/protocol.md, "The session document") that responses are parsed into and that session
// handles show through the C getters.
//
// ParseSessionDocument() checks every field it types (JSON types, ranges,
// string lengths, member keys and indices, the `next` chain) and fails with a
// typed Status; it never loops, never reads out of bounds and never truncates.
// Fields it does not type are kept verbatim in the `extra` object of their
// level (a JsonObject, json_object.h: most are empty, and an empty one
// allocates nothing), so SerializeSessionDocument() loses nothing:
//   ParseSessionDocument(json::parse(SerializeSessionDocument(d))) == d
// for every `d` that ParseSessionDocument produced (a fuzz invariant).
//
// Thread-safety: value types and pure functions; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessionrig/json_codec.h"
#include "sessionrig/json_object.h"
#include "sessionrig/status.h"

namespace sessionrig {

// Limits that ParseSessionDocument enforces beyond those of the JSON codec.
struct SessionLimits {
  std::size_t max_members = 1000;       // entries in `members` (kTooManyMembers)
  std::size_t max_string_bytes = 4096;  // any typed string, gamertags too, bytes (kStringTooLong)
  std::size_t max_list_items = 1000;    // keywords, initiators, turn, owners (kTooManyMembers)
};

// The bytes of a gamertag the C member struct holds (XBL_GAMERTAG_CHAR_SIZE
// - 1). A longer gamertag is kept whole in the model and cut to this many
// bytes, at a UTF-8 boundary, in the C view, as the shipped SDK cuts it
// (docs/protocol.md "Reading a session"); responses count such gamertags.
inline constexpr std::size_t kMaxGamertagBytes = 15;

// constants.system.visibility.
enum class SessionVisibility { kPrivate, kVisible, kOpen, kFull };
// properties.system.joinRestriction / readRestriction.
enum class SessionRestriction { kNone, kLocal, kFollowed };

// The MPSD spelling of each value ("private", "followed", ...).
const char* SessionVisibilityName(SessionVisibility v);
const char* SessionRestrictionName(SessionRestriction r);

// constants.system.metrics: the quality metrics the session's members
// report (the C constants' EnableMetrics* flags).
struct SessionMetricsConstants {
  std::optional<bool> latency;         // latency
  std::optional<bool> bandwidth_down;  // bandwidthDown
  std::optional<bool> bandwidth_up;    // bandwidthUp
  std::optional<bool> custom;          // custom
  JsonObject extra;

  friend bool operator==(const SessionMetricsConstants&, const SessionMetricsConstants&) = default;
};

struct SessionConstantsSystem {
  std::optional<uint32_t> version;
  std::optional<uint32_t> max_members_count;  // 1..SessionLimits::max_members
  std::optional<SessionVisibility> visibility;
  std::optional<std::vector<uint64_t>> initiators;  // xuids (decimal strings in JSON)
  // Capability name ("connectivity", "large", "crossPlay", ...) -> value.
  std::optional<std::map<std::string, bool>> capabilities;
  // Timeouts, milliseconds; absent (and JSON null: see ParseSessionDocument)
  // when the document does not carry them.
  std::optional<uint64_t> reserved_removal_timeout;  // reservedRemovalTimeout
  std::optional<uint64_t> inactive_removal_timeout;  // inactiveRemovalTimeout
  std::optional<uint64_t> ready_removal_timeout;     // readyRemovalTimeout
  std::optional<uint64_t> session_empty_timeout;     // sessionEmptyTimeout
  std::optional<SessionMetricsConstants> metrics;    // metrics
  JsonObject extra;                                  // untyped keys, verbatim

  friend bool operator==(const SessionConstantsSystem&, const SessionConstantsSystem&) = default;
};

struct SessionConstants {
  SessionConstantsSystem system;
  JsonObject custom;  // empty when absent
  JsonObject extra;

  friend bool operator==(const SessionConstants&, const SessionConstants&) = default;
};

struct SessionPropertiesSystem {
  std::optional<std::vector<std::string>> keywords;
  std::optional<std::vector<uint32_t>> turn;  // member indices
  std::optional<SessionRestriction> join_restriction;
  std::optional<SessionRestriction> read_restriction;
  std::optional<bool> closed;
  std::optional<bool> locked;
  std::optional<std::string> host;
  std::optional<std::vector<uint32_t>> owners;  // member indices
  std::optional<nlohmann::json> matchmaking;    // an object when present
  JsonObject extra;

  friend bool operator==(const SessionPropertiesSystem&, const SessionPropertiesSystem&) = default;
};

struct SessionProperties {
  SessionPropertiesSystem system;
  JsonObject custom;  // empty when absent
  JsonObject extra;

  friend bool operator==(const SessionProperties&, const SessionProperties&) = default;
};

struct MembersInfo {
  std::optional<uint32_t> first;  // index of the first member of the chain
  std::optional<uint32_t> next;   // the index the next member to join will get
  std::optional<uint32_t> count;
  std::optional<uint32_t> accepted;
  std::optional<uint32_t> active;
  JsonObject extra;

  friend bool operator==(const MembersInfo&, const MembersInfo&) = default;
};

struct SessionMember {
  // The member's key in `members`; constants.system.index, when present, equals it.
  uint32_t index = 0;
  // constants.system
  std::optional<uint64_t> xuid;  // a decimal string in JSON
  std::optional<bool> initialize;
  JsonObject constants_system_extra;
  JsonObject constants_custom;
  JsonObject constants_extra;
  // properties.system
  std::optional<bool> active;
  std::optional<bool> ready;
  std::optional<std::string> secure_device_address;  // secureDeviceAddress (base64)
  JsonObject properties_system_extra;
  JsonObject properties_custom;
  JsonObject properties_extra;
  // Top level of the member.
  std::optional<std::string> gamertag;  // whole; the C view cuts it to kMaxGamertagBytes
  std::optional<bool> reserved;
  std::optional<uint32_t> active_title_id;  // a decimal string or a number in JSON
  std::optional<std::string> join_time;     // RFC 3339 timestamp
  std::optional<nlohmann::json> roles;      // an object when present
  std::optional<uint32_t> next;             // index of the following member
  std::optional<bool> turn;                 // the service's "turn": IsTurnAvailable
  JsonObject extra;

  friend bool operator==(const SessionMember&, const SessionMember&) = default;
};

struct SessionDocument {
  std::optional<uint32_t> contract_version;
  std::optional<std::string> branch;
  std::optional<uint64_t> change_number;
  std::optional<std::string> correlation_id;
  std::optional<std::string> search_handle;
  std::optional<std::string> start_time;  // RFC 3339 timestamp
  std::optional<std::string> next_timer;  // RFC 3339 timestamp
  SessionConstants constants;
  SessionProperties properties;
  MembersInfo members_info;
  // In `next`-chain order starting at members_info.first. Empty when the
  // document has no members (or no `members` key: the two are not told apart).
  std::vector<SessionMember> members;
  // `members` was {"me": {...}}: a large session (capabilities.large) lists
  // only the caller, keyed "me"; `members` then holds that one member (its
  // index from constants.system.index, else 0) and there is no chain.
  bool members_as_me = false;
  JsonObject extra;  // e.g. servers, roleTypes

  friend bool operator==(const SessionDocument&, const SessionDocument&) = default;
};

// Validates and types `doc`. A JSON null where a number is typed (a
// timeout, maxMembersCount, a membersInfo count, changeNumber, a member's
// next...) reads as absent, and its siblings are read as usual: a
// deliberate difference from the shipped SDK, which drops the rest of the
// object (docs/protocol.md). Errors (the message names the field path):
//  kWrongType      a field has the wrong JSON type or is out of range (incl.
//                  an xuid that is not a decimal uint64, a member key that is
//                  not a canonical decimal index, an unknown enum string, a
//                  timestamp that is not RFC 3339);
//  kNullMember     a member entry is null;
//  kTooManyMembers more than limits.max_members members, or a list longer
//                  than limits.max_list_items;
//  kStringTooLong  a typed string over its limit;
//  kMissingField   members exist but membersInfo.first is absent;
//  kMemberChain    constants.system.index differs from the member's key, or
//                  the chain from membersInfo.first does not visit every
//                  member exactly once (loop, skip, dangling `next`), or the
//                  last member's `next` differs from membersInfo.next, or
//                  membersInfo.count disagrees with `members` (it must equal
//                  the members listed; in a large session, or with "me", be
//                  at least that many);
//  kWrongType      also: `members` mixes "me" with other keys.
// Runs in time linear in the size of `doc`.
[[nodiscard]] StatusOr<SessionDocument> ParseSessionDocument(const nlohmann::json& doc,
                                                             const SessionLimits& limits = {});

// Parses `text` with ParseJsonStrict(text, json_limits), then as above: the
// same result and the same Status (code and message) for every text, though
// it types the fields straight from the text in one pass, reading the text
// again through the DOM only to name a typing refusal.
[[nodiscard]] StatusOr<SessionDocument> ParseSessionDocument(std::string_view text,
                                                             const JsonLimits& json_limits = {},
                                                             const SessionLimits& limits = {});
// Text overloads for strings, so that they do not convert to a JSON string.
[[nodiscard]] inline StatusOr<SessionDocument> ParseSessionDocument(
    const char* text, const JsonLimits& json_limits = {}, const SessionLimits& limits = {}) {
  return ParseSessionDocument(std::string_view(text), json_limits, limits);
}
[[nodiscard]] inline StatusOr<SessionDocument> ParseSessionDocument(
    const std::string& text, const JsonLimits& json_limits = {}, const SessionLimits& limits = {}) {
  return ParseSessionDocument(std::string_view(text), json_limits, limits);
}

// The document as a JSON value / compact JSON text. Deterministic (keys in
// nlohmann's sorted order). Members are keyed by their index; absent
// optional fields are omitted, empty custom objects too. Never throws on
// content: strings that are not valid UTF-8 (possible only in documents built
// by hand) are written with U+FFFD replacements.
nlohmann::json SessionDocumentToJson(const SessionDocument& doc);
std::string SerializeSessionDocument(const SessionDocument& doc);

// Parses an RFC 3339 date-time ("2024-05-01T12:00:00.123Z", offsets
// allowed) to seconds since the Unix epoch (fraction dropped). Returns false,
// leaving *unix_seconds unchanged, if `text` is not one.
bool ParseRfc3339(std::string_view text, int64_t* unix_seconds);

}  // namespace sessionrig
