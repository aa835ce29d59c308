// session/session_views.h (private to core): the C structs that the
// session handle's getters return (XblMultiplayerSessionConstants,
// ...Properties, ...Info, ...Member), built from a session document, and
// the storage their pointers point into. docs/protocol.md "Reading a
// session" gives the rule for each field.
//
// Thread-safety: BuildViews is a pure function; a built SessionCViews is
// immutable and may be read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sessionrig/session_document.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig {

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
    std::optional<std::string> team;          // null TeamId when absent
    std::optional<std::string> initial_team;  // null InitialTeam when absent
    std::string custom_constants;
    std::string custom_properties;
  };
  std::vector<MemberStrings> member_strings;
};

// The views of `doc` as user `user_xuid` sees it (IsCurrentUser, the
// current user). Throws std::bad_alloc only.
std::unique_ptr<SessionCViews> BuildViews(const SessionDocument& doc, uint64_t user_xuid);

}  // namespace sessionrig
