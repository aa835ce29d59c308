// fuzz/session_checks.h: invariants of a parsed session document, shared by
// the fuzz targets that produce one (write_result_fuzzer,
// session_document_fuzzer, transport_fuzzer).
//
//  CheckSessionLimits  what ParseSessionDocument promises about a document it
//                      accepted: limits respected and the members ordered
//                      along a complete, loop-free `next` chain.
//  CheckRoundTrip      session_document.h's documented invariant
//                        ParseSessionDocument(json::parse(Serialize(d))) == d
//                      plus: serialisation is a fixed point, and the strict
//                      text parser accepts the serialisation too unless it
//                      grew past a limit in one of the known ways (see the
//                      function).
//
// Each failed check aborts through FUZZ_CHECK. Thread-safety: pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"
#include "sessionrig/status.h"

namespace sessionrig::fuzz {

inline void CheckSessionLimits(const SessionDocument& d, const SessionLimits& limits) {
  FUZZ_CHECK(d.members.size() <= limits.max_members, d.members.size() << " members");
  auto check_string = [&](const std::optional<std::string>& s, std::size_t max, const char* what) {
    FUZZ_CHECK(!s || s->size() <= max, what << " is " << s->size() << " bytes");
  };
  check_string(d.branch, limits.max_string_bytes, "branch");
  check_string(d.correlation_id, limits.max_string_bytes, "correlationId");
  check_string(d.search_handle, limits.max_string_bytes, "searchHandle");
  check_string(d.start_time, limits.max_string_bytes, "startTime");
  check_string(d.next_timer, limits.max_string_bytes, "nextTimer");
  check_string(d.properties.system.host, limits.max_string_bytes, "host");
  const auto& ps = d.properties.system;
  FUZZ_CHECK(!ps.keywords || ps.keywords->size() <= limits.max_list_items, "keywords");
  if (ps.keywords) {
    for (const std::string& k : *ps.keywords) {
      FUZZ_CHECK(k.size() <= limits.max_string_bytes, "keyword of " << k.size() << " bytes");
    }
  }
  FUZZ_CHECK(!ps.turn || ps.turn->size() <= limits.max_list_items, "turn");
  FUZZ_CHECK(!ps.owners || ps.owners->size() <= limits.max_list_items, "owners");
  const auto& cs = d.constants.system;
  FUZZ_CHECK(!cs.initiators || cs.initiators->size() <= limits.max_list_items, "initiators");
  FUZZ_CHECK(!cs.max_members_count ||
                 (*cs.max_members_count >= 1 && *cs.max_members_count <= limits.max_members),
             "maxMembersCount " << *cs.max_members_count);

  // membersInfo.count agrees with the members listed (a large session's
  // "me" listing shows one of count members).
  if (d.members_info.count) {
    const auto& caps = d.constants.system.capabilities;
    const bool large = caps && caps->count("large") != 0 && caps->at("large");
    FUZZ_CHECK((d.members_as_me || large) ? *d.members_info.count >= d.members.size()
                                          : *d.members_info.count == d.members.size(),
               "membersInfo.count " << *d.members_info.count << " with " << d.members.size()
                                    << " members");
  }
  if (d.members_as_me) {
    FUZZ_CHECK(d.members.size() == 1, "a \"me\" listing of " << d.members.size() << " members");
    check_string(d.members.front().gamertag, limits.max_string_bytes, "gamertag");
    return;
  }

  // The chain: members[0] is membersInfo.first, each `next` names the
  // following member, indices are distinct, and the chain leaves the member
  // set only at the end (membersInfo.next when both are present).
  if (d.members.empty()) return;
  FUZZ_CHECK(d.members_info.first.has_value(), "members without membersInfo.first");
  FUZZ_CHECK(d.members.front().index == *d.members_info.first, "chain does not start at first");
  std::unordered_set<uint32_t> indices;
  for (std::size_t i = 0; i < d.members.size(); ++i) {
    const SessionMember& m = d.members[i];
    FUZZ_CHECK(indices.insert(m.index).second, "duplicate member index " << m.index);
    check_string(m.gamertag, limits.max_string_bytes, "gamertag");
    check_string(m.secure_device_address, limits.max_string_bytes, "secureDeviceAddress");
    check_string(m.join_time, limits.max_string_bytes, "joinTime");
    if (i + 1 < d.members.size()) {
      FUZZ_CHECK(m.next && *m.next == d.members[i + 1].index,
                 "member " << m.index << " does not link to " << d.members[i + 1].index);
    }
  }
  const SessionMember& last = d.members.back();
  if (last.next) {
    FUZZ_CHECK(indices.count(*last.next) == 0, "the last member links back into the chain");
    FUZZ_CHECK(!d.members_info.next || *d.members_info.next == *last.next,
               "the last member's next differs from membersInfo.next");
  }
  FUZZ_CHECK(!d.members_info.next || indices.count(*d.members_info.next) == 0,
             "membersInfo.next is a member");
}

inline void CheckRoundTrip(const SessionDocument& d, const JsonLimits& json_limits,
                           const SessionLimits& limits) {
  const std::string text = SerializeSessionDocument(d);
  // json::parse, by the strict codec without limits: for every text nlohmann
  // accepts without a repeated key (a serialisation never repeats one) it
  // builds the same DOM (session_document_fuzzer checks it), in half the
  // instructions.
  static constexpr JsonLimits kNoLimits{SIZE_MAX, UINT32_MAX, SIZE_MAX, SIZE_MAX};
  const StatusOr<nlohmann::json> reparsed_json = ParseJsonStrict(text, kNoLimits);
  FUZZ_CHECK(reparsed_json.ok(), "serialisation is not JSON: " << reparsed_json.status().ToString()
                                                               << " " << text.substr(0, 200));
  StatusOr<SessionDocument> again = ParseSessionDocument(*reparsed_json, limits);
  FUZZ_CHECK(again.ok(), "serialisation does not re-parse: " << again.status().ToString());
  FUZZ_CHECK(*again == d, "round trip changed the document: "
                              << text.substr(0, 300) << " vs "
                              << SerializeSessionDocument(*again).substr(0, 300));
  FUZZ_CHECK(SerializeSessionDocument(*again) == text, "serialisation is not a fixed point");

  // The ways serialising can grow a document past a limit that the input
  // met: more bytes; members gain constants.system.index (one more item, and
  // nesting 5 deep); numeric activeTitleIds become strings of up to 10 bytes.
  StatusOr<SessionDocument> strict = ParseSessionDocument(text, json_limits, limits);
  if (!strict.ok()) {
    const StatusCode c = strict.status().code();
    const std::string why = strict.status().ToString();
    bool title_id_string = false;
    for (const SessionMember& m : d.members) {
      if (m.active_title_id &&
          std::to_string(*m.active_title_id).size() > json_limits.max_string_bytes) {
        title_id_string = true;
      }
    }
    switch (c) {
      case StatusCode::kSizeLimit:
        FUZZ_CHECK(text.size() > json_limits.max_bytes, why);
        break;
      case StatusCode::kTooManyMembers:
        FUZZ_CHECK(!d.members.empty(), why);
        break;
      case StatusCode::kJsonDepthLimit:
        FUZZ_CHECK(!d.members.empty() && json_limits.max_depth < 5, why);
        break;
      case StatusCode::kStringTooLong:
        FUZZ_CHECK(title_id_string, why);
        break;
      default:
        FUZZ_CHECK(false, "strict re-parse failed: " << why);
    }
  } else {
    FUZZ_CHECK(*strict == d, "strict re-parse differs");
  }
}

}  // namespace sessionrig::fuzz
