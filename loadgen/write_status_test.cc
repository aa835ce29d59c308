// What loadgen counts for a write, as a user would check it: real HTTP
// responses (played by a scripted loopback server) go through the real core
// (XblMultiplayerWriteSessionAsync/Result), and the counted status is what
// ClassifyWriteResult makes of the Result call. The expected column is the
// behaviour docs/contracts.md "What a write is counted as" documents, not
// a copy of the code's switch.
#include "loadgen/write_status.h"

#include <XAsync.h>
#include <gtest/gtest.h>
#include <sessionrig/sessionrig_c.h>

#include <set>
#include <string>
#include <vector>

#include "testing/scripted_server.h"
#include "testing/session_examples.h"

namespace sessionrig::loadgen {
namespace {

using testing::HttpResponseBytes;
using testing::Script;
using testing::ScriptedServer;

const std::vector<std::pair<std::string, std::string>> kJson = {
    {"Content-Type", "application/json"}, {"ETag", "\"e-1\""}};

struct Case {
  const char* what;
  Script script;
  std::optional<WriteStatus> counted;  // nullopt: not a completed write
};

// One write through the core against `script`; its counted status.
std::optional<WriteStatus> CountedStatusOf(Script script, uint32_t timeout_ms = 5000) {
  ScriptedServer server({std::move(script)});
  EXPECT_TRUE(server.ok());
  const std::string endpoint = server.Url("");
  SrContextArgs args{};
  args.Xuid = testing::kExampleXuid0;
  args.Endpoint = endpoint.c_str();
  args.Authorization = "XBL3.0 x=1;t";
  args.TimeoutMs = timeout_ms;
  XblContextHandle ctx = nullptr;
  EXPECT_EQ(SrContextCreate(&args, &ctx), S_OK);
  const XblMultiplayerSessionReference ref =
      XblMultiplayerSessionReferenceCreate("00000000-0000-0000-0000-00000000abcd", "lobby", "s");
  XblMultiplayerSessionHandle session =
      XblMultiplayerSessionCreateHandle(testing::kExampleXuid0, &ref, nullptr);
  EXPECT_EQ(XblMultiplayerSessionJoin(session, nullptr, false, true), S_OK);
  XAsyncBlock block{};
  EXPECT_EQ(XblMultiplayerWriteSessionAsync(
                ctx, session, XblMultiplayerSessionWriteMode::SynchronizedUpdate, &block),
            S_OK);
  EXPECT_NE(XAsyncGetStatus(&block, true), E_PENDING);
  XblMultiplayerSessionHandle result = nullptr;
  const HRESULT hr = XblMultiplayerWriteSessionResult(&block, &result);
  const std::optional<WriteStatus> counted =
      ClassifyWriteResult(hr, XblMultiplayerSessionWriteStatus(result));
  XblMultiplayerSessionCloseHandle(result);
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
  return counted;
}

Script Answer(int status, const std::string& body = "",
              const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return Script().ReadRequest().Send(HttpResponseBytes(status, body, headers));
}

TEST(WriteStatusTest, EveryServiceAnswerIsCountedAsTheUserWouldExpect) {
  const std::string doc = testing::kExampleSession;
  const std::vector<Case> cases = {
      {"200 with the session", Answer(200, doc, kJson), WriteStatus::kUpdated},
      {"201 with the session", Answer(201, doc, kJson), WriteStatus::kCreated},
      {"204: the last member left", Answer(204), WriteStatus::kSessionDeleted},
      {"412 with the winner's state", Answer(412, doc, kJson), WriteStatus::kOutOfSync},
      {"412 without a body", Answer(412), WriteStatus::kOutOfSync},
      {"409 session full", Answer(409, "session full\n"), WriteStatus::kConflict},
      {"401", Answer(401, "no token\n"), WriteStatus::kAccessDenied},
      {"403", Answer(403, "not yours\n"), WriteStatus::kAccessDenied},
      {"404", Answer(404, "no such\n"), WriteStatus::kNotFound},
      {"429", Answer(429, "{}", {{"Retry-After", "1"}}), WriteStatus::kHttpError},
      {"500", Answer(500, "x\n"), WriteStatus::kHttpError},
      {"503", Answer(503, "", {{"Retry-After", "1"}}), WriteStatus::kHttpError},
      {"200 with HTML", Answer(200, "<html/>", {{"Content-Type", "text/html"}, {"ETag", "\"e\""}}),
       WriteStatus::kParseError},
      {"200 with a weak ETag",
       Answer(200, doc, {{"Content-Type", "application/json"}, {"ETag", "W/\"e\""}}),
       WriteStatus::kParseError},
      {"reset before any byte", Script().ReadRequest().Reset(), WriteStatus::kTransportError},
      {"closed before any byte", Script().ReadRequest().CloseNow(), WriteStatus::kTransportError},
      {"garbage status line", Script().ReadRequest().Send("HTTP/1.1 abc\r\n\r\n"),
       WriteStatus::kTransportError},
  };
  std::set<WriteStatus> seen;
  for (const Case& c : cases) {
    const std::optional<WriteStatus> got = CountedStatusOf(c.script);
    EXPECT_EQ(got, c.counted) << c.what;
    if (got) seen.insert(*got);
  }
  // A server that never answers is a timeout.
  EXPECT_EQ(CountedStatusOf(Script().ReadRequest().Delay(3000), /*timeout_ms=*/300),
            WriteStatus::kTimeout);
  seen.insert(WriteStatus::kTimeout);
  // Every status of the schema can actually be produced by some answer.
  EXPECT_EQ(seen.size(), kWriteStatusCount);
}

TEST(WriteStatusTest, NamesRoundTripAndPartitionErrors) {
  std::set<std::string_view> names;
  int errors = 0;
  for (WriteStatus s : kAllWriteStatuses) {
    EXPECT_EQ(WriteStatusFromName(WriteStatusName(s)), s);
    EXPECT_TRUE(names.insert(WriteStatusName(s)).second);
    errors += IsErrorStatus(s) ? 1 : 0;
    // A transport failure is always an error.
    if (IsTransportFailure(s)) {
      EXPECT_TRUE(IsErrorStatus(s));
    }
  }
  // Successes (updated, created, session_deleted) and contention (out_of_sync)
  // are not errors; the other seven are.
  EXPECT_EQ(errors, 7);
  EXPECT_FALSE(IsErrorStatus(WriteStatus::kOutOfSync));
  EXPECT_FALSE(WriteStatusFromName("Updated").has_value());
  EXPECT_FALSE(WriteStatusFromName("").has_value());
}

}  // namespace
}  // namespace sessionrig::loadgen
