// session/handle_test_util.h: what the session handle's tests share: a
// handle owner, a local handle, and a handle as the service returns the
// shared example document.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include <nlohmann/json.hpp>

#include "session/session_handle.h"
#include "session/session_request.h"
#include "testing/session_examples.h"

namespace sessionrig::testing {

inline constexpr uint64_t kMe = kExampleXuid0;
inline constexpr uint64_t kOther = kExampleXuid1;
inline constexpr char kEtag[] = "\"etag-1\"";

inline XblMultiplayerSessionReference Ref() {
  return XblMultiplayerSessionReferenceCreate("00000000-0000-0000-0000-000076029b4d", "lobby",
                                              "session-1");
}

// Owns a handle for the duration of a test.
class Handle {
 public:
  explicit Handle(XblMultiplayerSessionHandle h) : h_(h) {}
  ~Handle() { XblMultiplayerSessionCloseHandle(h_); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  XblMultiplayerSessionHandle get() const { return h_; }
  // The body the next write would send, parsed.
  nlohmann::json Body() const { return nlohmann::json::parse(BuildWriteRequestBody(*h_)); }

 private:
  XblMultiplayerSessionHandle h_;
};

// A handle created locally (no ETag, empty document).
inline XblMultiplayerSessionHandle Local(uint64_t xuid = kMe) {
  XblMultiplayerSessionReference ref = Ref();
  return XblMultiplayerSessionCreateHandle(xuid, &ref, nullptr);
}

// A handle as a write answered with the example document (200, with ETag) gives it.
inline XblMultiplayerSessionHandle FromService(uint64_t xuid = kMe) {
  ParsedResponse r = ParseWriteResponse(
      200, {{"Content-Type", "application/json"}, {"ETag", kEtag}}, kExampleSession);
  EXPECT_EQ(r.hr, S_OK) << r.detail.ToString();
  return MakeSessionFromResponse(xuid, Ref(), r);
}

}  // namespace sessionrig::testing
