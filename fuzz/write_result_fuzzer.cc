// fuzz/write_result_fuzzer.cc: raw HTTP response bytes -> the core's strict
// response parser -> the result of XblMultiplayerWriteSessionResult.
//
// Input: the bytes of one HTTP/1.x response (status line, headers, body),
// followed by a trailer read from the END (fuzz_input.h):
//   last byte          flags: bit0 tight limits (exercise every limit path),
//                      bits 4-7 which member's xuid is the handle's user
//   byte before        n = slice count (mod 8)
//   n bytes before     the slice lengths (body re-assembly, see below)
// Responses the framer (http_response_split.h) cannot cut, as libcurl would
// fail them, are skipped.
//
// Invariants, beyond "no crash, no sanitizer report":
//  - SUCCEEDED(hr) == detail.ok(); write_status follows the spec's HTTP
//    status table; hr is S_OK (2xx), WEB_E_INVALID_JSON_STRING (unusable 2xx),
//    S_OK or HTTP_E_STATUS_PRECOND_FAILED (412), else the status's HRESULT.
//  - A success carries a session with a strong ETag, except 204 (none).
//    412 succeeds only with a valid session and write status OutOfSync.
//  - The handle the Result call would return (MakeSessionFromResponse, as
//    core/src/api does) shows the same write status, ETag, members (in chain
//    order; a large session's "me" as the current user), current user,
//    turn flags, gamertags (cut at a UTF-8 boundary), timeouts, metrics and
//    counters, and has no pending delta ("{}").
//  - A parsed session satisfies CheckSessionLimits and CheckRoundTrip.
//  - The same bytes parse identically whole, re-assembled from fuzzer-chosen
//    slices, and with garbage after the end of the view (see the header of
//    http_response_split.h for what this proves and what it does not).
//  - ParseGetResponse agrees with ParseWriteResponse except where the spec
//    says they differ (write status, 412), and never reports a write status.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "http_response_split.h"
#include "session/session_handle.h"
#include "session/session_request.h"
#include "session_checks.h"
#include "sessionrig/hresult.h"
#include "sessionrig/response_parser.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig::fuzz {
namespace {

XblWriteSessionStatus ExpectedWriteStatus(uint32_t status) {
  switch (status) {
    case 200:
      return XblWriteSessionStatus::Updated;
    case 201:
      return XblWriteSessionStatus::Created;
    case 204:
      return XblWriteSessionStatus::SessionDeleted;
    case 401:
    case 403:
      return XblWriteSessionStatus::AccessDenied;
    case 404:
      return XblWriteSessionStatus::HandleNotFound;
    case 409:
      return XblWriteSessionStatus::Conflict;
    case 412:
      return XblWriteSessionStatus::OutOfSync;
    default:
      return XblWriteSessionStatus::Unknown;
  }
}

bool SameResult(const ParsedResponse& a, const ParsedResponse& b) {
  if (a.hr != b.hr || a.write_status != b.write_status || a.etag != b.etag ||
      !(a.detail == b.detail) || a.http_status != b.http_status) {
    return false;
  }
  if ((a.session == nullptr) != (b.session == nullptr)) return false;
  return a.session == nullptr || *a.session == *b.session;
}

// Rules every result obeys, write or get. `round_tripped`: a session that
// already passed CheckRoundTrip under the same limits; the round trip is a
// function of the document and the limits, so an equal session skips it.
void CheckCommon(const ParsedResponse& r, uint32_t status, const ParserLimits& limits,
                 const SessionDocument* round_tripped = nullptr) {
  FUZZ_CHECK(SUCCEEDED(r.hr) == r.detail.ok(),
             "hr " << SrHResultToString(r.hr) << " vs detail " << r.detail.ToString());
  FUZZ_CHECK(r.http_status == status, "http_status " << r.http_status);
  if (r.session != nullptr) {
    FUZZ_CHECK(IsStrongEtag(r.etag), "session with ETag [" << r.etag << "]");
    FUZZ_CHECK(r.etag.size() <= limits.max_etag_bytes, "ETag of " << r.etag.size() << " bytes");
    CheckSessionLimits(*r.session, limits.session);
    if (round_tripped == nullptr || !(*round_tripped == *r.session)) {
      CheckRoundTrip(*r.session, limits.json, limits.session);
    }
  } else {
    FUZZ_CHECK(r.etag.empty(), "ETag [" << r.etag << "] without a session");
  }
  if (SUCCEEDED(r.hr)) {
    FUZZ_CHECK(r.hr == S_OK, "success other than S_OK: " << SrHResultToString(r.hr));
    FUZZ_CHECK(
        (r.session != nullptr) == (status != 204),
        "HTTP " << status << " success " << (r.session ? "with" : "without") << " a session");
  }
  if (status >= 200 && status < 300 && status != 204) {
    FUZZ_CHECK(r.hr == S_OK || r.hr == WEB_E_INVALID_JSON_STRING,
               "HTTP " << status << " gave " << SrHResultToString(r.hr));
  }
  if (status == 204) FUZZ_CHECK(r.hr == S_OK, "204 gave " << SrHResultToString(r.hr));
}

void CheckWrite(const ParsedResponse& r, uint32_t status, const ParserLimits& limits) {
  CheckCommon(r, status, limits);
  FUZZ_CHECK(r.write_status == ExpectedWriteStatus(status),
             "HTTP " << status << " write status " << static_cast<int>(r.write_status));
  if (status == 412) {
    FUZZ_CHECK(r.hr == S_OK || r.hr == HTTP_E_STATUS_PRECOND_FAILED,
               "412 gave " << SrHResultToString(r.hr));
    FUZZ_CHECK(SUCCEEDED(r.hr) == (r.session != nullptr), "412 success without a session");
  } else if (status < 200 || status >= 300) {
    FUZZ_CHECK(r.hr == SrHResultFromHttpStatus(status),
               "HTTP " << status << " gave " << SrHResultToString(r.hr));
    FUZZ_CHECK(r.session == nullptr || status == 403, "HTTP " << status << " kept a session");
  }
}

void CheckGet(const ParsedResponse& get, const ParsedResponse& write, uint32_t status,
              const ParserLimits& limits) {
  // CheckWrite round-tripped the PUT's session.
  CheckCommon(get, status, limits, write.session.get());
  FUZZ_CHECK(get.write_status == XblWriteSessionStatus::Unknown, "a GET with a write status");
  if (status == 412 || status == 304) return;  // the two calls differ here by design
  FUZZ_CHECK(get.hr == write.hr && get.etag == write.etag && get.detail == write.detail,
             "GET and PUT disagree on HTTP " << status);
  FUZZ_CHECK((get.session == nullptr) == (write.session == nullptr) &&
                 (get.session == nullptr || *get.session == *write.session),
             "GET and PUT sessions differ");
}

// The handle XblMultiplayerWriteSessionResult would hand out.
void CheckHandle(const ParsedResponse& r, uint8_t member_pick) {
  uint64_t xuid = 0;
  if (r.session != nullptr && !r.session->members.empty()) {
    const SessionMember& m = r.session->members[member_pick % r.session->members.size()];
    xuid = m.xuid.value_or(0);
  }
  const XblMultiplayerSessionReference ref =
      XblMultiplayerSessionReferenceCreate("00000000-0000-0000-0000-000076029b4d", "lobby", "s1");
  XblMultiplayerSessionHandle h = MakeSessionFromResponse(xuid, ref, r);
  FUZZ_CHECK(h != nullptr, "MakeSessionFromResponse returned null");
  FUZZ_CHECK(XblMultiplayerSessionWriteStatus(h) == r.write_status, "handle write status");
  FUZZ_CHECK(std::string(XblMultiplayerSessionEtag(h)) == r.etag, "handle ETag");
  FUZZ_CHECK(BuildWriteRequestBody(*h) == "{}", "a fresh result handle has a pending delta");

  const XblMultiplayerSessionMember* members = nullptr;
  size_t count = 0;
  FUZZ_CHECK(SUCCEEDED(XblMultiplayerSessionMembers(h, &members, &count)), "Members failed");
  const std::size_t expected = r.session == nullptr ? 0 : r.session->members.size();
  FUZZ_CHECK(count == expected, count << " members in the handle, " << expected << " parsed");
  const XblMultiplayerSessionMember* me = XblMultiplayerSessionCurrentUser(h);
  bool me_found = false;
  for (std::size_t i = 0; i < count; ++i) {
    const SessionMember& m = r.session->members[i];
    FUZZ_CHECK(members[i].MemberId == m.index, "member order");
    FUZZ_CHECK(members[i].Xuid == m.xuid.value_or(0), "member xuid");
    FUZZ_CHECK(std::memchr(members[i].Gamertag, '\0', sizeof(members[i].Gamertag)) != nullptr,
               "gamertag not NUL-terminated");
    FUZZ_CHECK(
        members[i].CustomConstantsJson != nullptr && members[i].CustomPropertiesJson != nullptr,
        "null member JSON");
    FUZZ_CHECK(members[i].IsTurnAvailable == m.turn.value_or(false), "IsTurnAvailable");
    // The gamertag is the model's, cut at a UTF-8 boundary to the buffer.
    const std::string_view gamertag(members[i].Gamertag);
    FUZZ_CHECK(
        gamertag.size() <= kMaxGamertagBytes &&
            std::string_view(m.gamertag.value_or("")).substr(0, gamertag.size()) == gamertag &&
            gamertag.size() + 3 >=
                std::min(m.gamertag.value_or("").size(), std::size_t{kMaxGamertagBytes}),
        "gamertag " << gamertag << " of " << m.gamertag.value_or(""));
    if (r.session->members_as_me) {
      // A large session's listing is the caller alone.
      FUZZ_CHECK(members[i].IsCurrentUser && me == &members[i], "\"me\" is not the current user");
      me_found = true;
    } else if (xuid != 0 && members[i].Xuid == xuid && !me_found) {
      me_found = true;
      FUZZ_CHECK(me != nullptr && me->Xuid == xuid, "current user not found");
    }
  }
  if (!me_found) FUZZ_CHECK(me == nullptr, "a current user that is not a member");

  const XblMultiplayerSessionConstants* c = XblMultiplayerSessionSessionConstants(h);
  const XblMultiplayerSessionProperties* p = XblMultiplayerSessionSessionProperties(h);
  const XblMultiplayerSessionInfo* info = XblMultiplayerSessionGetInfo(h);
  FUZZ_CHECK(c != nullptr && p != nullptr && info != nullptr, "null views");
  FUZZ_CHECK(c->CustomJson != nullptr && p->SessionCustomPropertiesJson != nullptr,
             "null custom JSON");
  if (r.session != nullptr) {
    const SessionDocument& d = *r.session;
    FUZZ_CHECK(info->ChangeNumber == d.change_number.value_or(0), "ChangeNumber");
    const SessionConstantsSystem& cs = d.constants.system;
    FUZZ_CHECK(c->MaxMembersInSession == cs.max_members_count.value_or(100), "MaxMembersInSession");
    // Timeouts and metrics are what the document says (absent: 0 / false).
    FUZZ_CHECK(c->MemberReservedTimeout == cs.reserved_removal_timeout.value_or(0) &&
                   c->MemberInactiveTimeout == cs.inactive_removal_timeout.value_or(0) &&
                   c->MemberReadyTimeout == cs.ready_removal_timeout.value_or(0) &&
                   c->SessionEmptyTimeout == cs.session_empty_timeout.value_or(0),
               "timeouts");
    const SessionMetricsConstants metrics = cs.metrics.value_or(SessionMetricsConstants{});
    FUZZ_CHECK(c->EnableMetricsLatency == metrics.latency.value_or(false) &&
                   c->EnableMetricsBandwidthDown == metrics.bandwidth_down.value_or(false) &&
                   c->EnableMetricsBandwidthUp == metrics.bandwidth_up.value_or(false) &&
                   c->EnableMetricsCustom == metrics.custom.value_or(false),
               "EnableMetrics*");
    FUZZ_CHECK(p->KeywordCount ==
                   (d.properties.system.keywords ? d.properties.system.keywords->size() : 0),
               "KeywordCount");
    for (std::size_t i = 0; i < p->KeywordCount; ++i) {
      FUZZ_CHECK(p->Keywords[i] != nullptr &&
                     std::string_view(p->Keywords[i]) == (*d.properties.system.keywords)[i],
                 "keyword " << i);
    }
  }
  XblMultiplayerSessionCloseHandle(h);
}

}  // namespace
}  // namespace sessionrig::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sessionrig;
  using namespace sessionrig::fuzz;
  FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const uint32_t slice_count = in.Below(8);
  std::vector<std::size_t> slices;
  for (uint32_t i = 0; i < slice_count; ++i) slices.push_back(in.Byte());

  std::optional<SplitResponse> split = SplitHttpResponse(in.Rest());
  if (!split) return 0;
  const uint32_t status = split->status;

  ParserLimits limits;
  if ((flags & 1) != 0) {
    limits.json.max_bytes = 512;
    limits.json.max_depth = 4;
    limits.json.max_string_bytes = 24;
    limits.json.max_container_items = 8;
    limits.session.max_members = 3;
    limits.session.max_string_bytes = 16;
    limits.session.max_list_items = 2;
    limits.max_etag_bytes = 12;
  }

  const ParsedResponse whole = ParseWriteResponse(status, split->headers, split->body, limits);
  CheckWrite(whole, status, limits);

  // Whole vs. re-assembled from slices into an exact-size buffer.
  std::string assembled;
  std::string_view rest = split->body;
  for (std::size_t len : slices) {
    if (len > rest.size()) len = rest.size();
    assembled.append(rest.substr(0, len));
    rest.remove_prefix(len);
  }
  assembled.append(rest);
  FUZZ_CHECK(assembled == split->body, "slices lost bytes");
  std::unique_ptr<char[]> exact;
  std::string_view exact_view;
  if (!assembled.empty()) {
    exact.reset(new char[assembled.size()]);  // exactly the body: ASan sees any over-read
    std::memcpy(exact.get(), assembled.data(), assembled.size());
    exact_view = std::string_view(exact.get(), assembled.size());
  }
  const ParsedResponse sliced = ParseWriteResponse(status, split->headers, exact_view, limits);
  FUZZ_CHECK(SameResult(whole, sliced), "whole and sliced bodies parse differently");

  // Garbage right after the view.
  std::string padded = split->body;
  padded.append("}]\"\\");
  padded.push_back('\0');
  padded.append("garbage");
  padded.push_back('\xff');
  const ParsedResponse bounded = ParseWriteResponse(
      status, split->headers, std::string_view(padded.data(), split->body.size()), limits);
  FUZZ_CHECK(SameResult(whole, bounded), "bytes after the body changed the result");

  const ParsedResponse get = ParseGetResponse(status, split->headers, split->body, limits);
  CheckGet(get, whole, status, limits);

  // XblMultiplayerWriteSessionResult: a failure returns the HRESULT and no
  // handle; a success returns a new handle (core/src/api/session_calls.cc).
  if (SUCCEEDED(whole.hr)) CheckHandle(whole, static_cast<uint8_t>(flags >> 4));
  return 0;
}
