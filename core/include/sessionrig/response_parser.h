// sessionrig/response_parser.h: the strict parser of MPSD responses, a pure
// function (HTTP status, headers, body) -> result with no I/O. The C API's
// Write/Get Result calls use it, and so do the fuzzers.
//
// Rules (docs/protocol.md, "Responses and status mapping" and "Write status"):
//  - hr is S_OK for 2xx and SrHResultFromHttpStatus(status) otherwise, except:
//    a 2xx that must carry a session (every 2xx but 204) and does not carry a
//    usable one gives WEB_E_INVALID_JSON_STRING; a 412 with a usable session
//    gives S_OK (write_status OutOfSync).
//  - A "usable session" means, checked in this order: body within
//    limits.json.max_bytes (kSizeLimit); a non-empty body (kMissingField);
//    exactly one strong ETag value, <= limits.max_etag_bytes (kBadEtag:
//    absent, weak W/"..", unquoted, bad characters, too long, or several ETag
//    headers that disagree); Content-Type application/json, parameters
//    allowed but a charset must be utf-8 (kContentType); then
//    ParseSessionDocument's checks. The body never reaches the JSON parser
//    before the size, ETag and Content-Type checks pass.
//  - A 200/201 whose ETag is missing or bad is WEB_E_INVALID_JSON_STRING with
//    detail kBadEtag: without a strong ETag the session cannot be used for a
//    SynchronizedUpdate, so it is treated like a broken body.
//  - SUCCEEDED(hr) == detail.ok() always; session != null implies etag is a
//    valid strong ETag; a success without a session happens only for 204.
//  - Header names compare case-insensitively; values have surrounding
//    spaces/tabs trimmed.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sessionrig/hresult.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"
#include "sessionrig/status.h"
#include "sessionrig/transport.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig {

struct ParserLimits {
  JsonLimits json;
  SessionLimits session;
  std::size_t max_etag_bytes = 256;  // whole ETag value including its quotes, bytes
};

struct ParsedResponse {
  // What XblMultiplayerWriteSessionResult / GetSessionResult returns.
  HRESULT hr = E_UNEXPECTED;
  // From the HTTP status (spec table). Always Unknown for a GET: no write happened.
  XblWriteSessionStatus write_status = XblWriteSessionStatus::Unknown;
  // The validated strong ETag as received (with its quotes); "" when none.
  std::string etag;
  // The session; null when none. Shared so handles need not copy it.
  std::shared_ptr<const SessionDocument> session;
  // Ok, or the typed reason for the failure: the body's problem (kSizeLimit,
  // kBadEtag, kContentType, kJsonSyntax, kMemberChain, ...) when a session
  // was required and unusable, else one derived from the status: kNotFound
  // (404), kConflict (409), kPreconditionFailed (412 without body),
  // kUnavailable (503), kHttpStatus (any other failure status).
  Status detail;
  uint32_t http_status = 0;
  // Members of `session` whose gamertag is longer than kMaxGamertagBytes
  // (the C view cuts them; the caller counts them).
  uint32_t gamertags_truncated = 0;
};

// Parses the response to a session PUT.
//  200 Updated, 201 Created, other 2xx Unknown: S_OK with session + ETag, or
//      WEB_E_INVALID_JSON_STRING if the session is not usable.
//  204 SessionDeleted: S_OK, no session, no ETag; the body is ignored.
//  412 OutOfSync: S_OK with session + ETag if usable, else
//      HTTP_E_STATUS_PRECOND_FAILED (detail: why, or kPreconditionFailed).
//  401/403 AccessDenied: failure HRESULT; a 403 whose body is a usable
//      session (as above, ETag included) also returns it, for diagnostics
//      (spec: "readable but not writable"); detail stays kHttpStatus.
//  404 HandleNotFound, 409 Conflict, anything else Unknown: failure
//      HRESULT, no session, the body is not parsed.
ParsedResponse ParseWriteResponse(uint32_t http_status, const HeaderList& headers,
                                  std::string_view body, const ParserLimits& limits = {});

// Parses the response to a session GET. write_status is always Unknown.
//  200 and other 2xx except 204: S_OK with session + ETag, or
//      WEB_E_INVALID_JSON_STRING.
//  204: S_OK, null session (the session does not exist).
//  304: HTTP_E_STATUS_NOT_MODIFIED, no session. The core never sends a
//      conditional GET, so "not modified" has no state to return.
//  Failures: as for writes (403 may carry a session; 412 is not special).
ParsedResponse ParseGetResponse(uint32_t http_status, const HeaderList& headers,
                                std::string_view body, const ParserLimits& limits = {});

// True if `value` is a strong entity-tag per RFC 9110: DQUOTE *etagc DQUOTE,
// etagc = %x21 / %x23-7E / %x80-FF.
bool IsStrongEtag(std::string_view value);

}  // namespace sessionrig
