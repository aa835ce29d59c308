// session/session_request.h (private to core): the HTTP request of a session
// call, built in one place: the URL of a session, the headers every call
// sends, the conditional header of a write mode, and the write's body, the
// DELTA of the handle's pending changes (docs/protocol.md "The write
// request").
//
// Thread-safety: pure functions. BuildWriteRequest reads the handle, which
// the caller must not change concurrently (multiplayer_c.h: setters need
// exclusive use).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "session/session_handle.h"
#include "sessionrig/transport.h"
#include "xsapi-c/multiplayer_c.h"

namespace sessionrig {

// Who a request goes to, as the caller's context says.
struct RequestTarget {
  std::string_view endpoint;  // scheme://host[:port][/prefix], no trailing '/'
  std::string authorization;  // the Authorization value; "" sends none
  std::chrono::milliseconds timeout{20000};
};

// {endpoint}/serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}.
std::string SessionUrl(std::string_view endpoint, const XblMultiplayerSessionReference& ref);

// The GET of a session.
HttpRequest BuildGetRequest(RequestTarget target, const XblMultiplayerSessionReference& ref);

// The PUT of `session`'s pending delta with the conditional header of
// `mode`: CreateNew If-None-Match: *; UpdateOrCreateNew none;
// UpdateExisting If-Match: *; SynchronizedUpdate If-Match: <the handle's
// ETag>, or If-None-Match: * when the handle has none yet. Returns
// E_INVALIDARG (and leaves *out unspecified) for a mode outside the enum.
[[nodiscard]] HRESULT BuildWriteRequest(RequestTarget target, const XblMultiplayerSession& session,
                                        XblMultiplayerSessionWriteMode mode, HttpRequest* out);

// The body of the PUT for the handle's pending delta: "{}" if nothing was
// changed. Compact JSON with keys in sorted order.
std::string BuildWriteRequestBody(const XblMultiplayerSession& s);

}  // namespace sessionrig
