#include "session/session_document_reader.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "testing/session_examples.h"

namespace sessionrig {
namespace {

using nlohmann::json;

// The DOM path the reader must agree with.
StatusOr<SessionDocument> ParseThenType(std::string_view text, const JsonLimits& jl,
                                        const SessionLimits& sl) {
  StatusOr<json> parsed = ParseJsonStrict(text, jl);
  if (!parsed.ok()) return parsed.status();
  return ParseSessionDocument(*parsed, sl);
}

// The reader accepts `text` exactly when parse-then-type does, with the
// same document; the text overload gives parse-then-type's result.
// Returns whether the text was accepted.
bool ExpectAgreement(const std::string& text, const JsonLimits& jl = {},
                     const SessionLimits& sl = {}) {
  SCOPED_TRACE(::testing::Message() << "text: " << text.substr(0, 120));
  const StatusOr<SessionDocument> dom = ParseThenType(text, jl, sl);
  const std::optional<SessionDocument> read = ReadSessionDocument(text, jl, sl);
  EXPECT_EQ(dom.ok(), read.has_value()) << dom.status().ToString();
  if (read && dom.ok()) {
    EXPECT_EQ(*read, *dom);
  }
  const StatusOr<SessionDocument> via_text = ParseSessionDocument(text, jl, sl);
  EXPECT_EQ(via_text.status(), dom.status());
  if (dom.ok() && via_text.ok()) {
    EXPECT_EQ(*via_text, *dom);
  }
  return dom.ok();
}

TEST(SessionDocumentReader, AgreesOnTheExampleAndItsSerialisation) {
  EXPECT_TRUE(ExpectAgreement(::sessionrig::testing::kExampleSession));
  const StatusOr<SessionDocument> doc =
      ParseSessionDocument(::sessionrig::testing::kExampleSession);
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(ExpectAgreement(SerializeSessionDocument(*doc)));
}

TEST(SessionDocumentReader, AgreesOnUntypedAndNullFields) {
  const std::vector<std::string> texts = {
      "{}",
      R"({"members":{}})",
      R"({"constants":{"system":{"reservedRemovalTimeout":null,"maxMembersCount":null,
        "x":[1,{"y":null}]},"custom":{"a":{"b":[]}},"z":1.5}})",
      R"({"properties":{"system":{"keywords":["a","b\n\u00e9"],"turn":[0],"owners":[],
        "matchmaking":{},"host":"h"},"custom":{}},"servers":{"s":{}}})",
      R"({"membersInfo":{"first":5,"next":6,"count":1},"members":{"5":{"constants":{"system":
        {"index":null,"xuid":"007"}},"activeTitleId":12,"next":null,"roles":{"r":1},
        "turn":true,"joinTime":"2024-05-01T12:00:01Z","extra":[-0,-1,1e2]}}})",
      R"({"constants":{"system":{"capabilities":{"large":true}}},"membersInfo":{"count":5},
        "members":{"me":{"constants":{"system":{"index":4}},"gamertag":"Someone"}}})",
      R"({"changeNumber":-0,"contractVersion":4294967295})",
  };
  for (const std::string& t : texts) EXPECT_TRUE(ExpectAgreement(t)) << t;
}

TEST(SessionDocumentReader, RefusesWhatParseThenTypeRefuses) {
  const std::vector<std::string> texts = {
      "[]",
      "",
      R"({"contractVersion":4294967296})",
      R"({"contractVersion":-1})",
      R"({"contractVersion":1.0})",
      R"({"changeNumber":18446744073709551616})",
      R"({"branch":null})",
      R"({"startTime":"yesterday"})",
      R"({"constants":{"system":{"visibility":"secret"}}})",
      R"({"constants":{"system":{"maxMembersCount":0}}})",
      R"({"constants":{"system":{"capabilities":{"large":1}}}})",
      R"({"constants":{"custom":[]}})",
      R"({"properties":{"system":{"joinRestriction":"everyone"}}})",
      R"({"members":{"01":{}}})",
      R"({"members":{"0":null}})",
      R"({"members":{"me":{},"0":{}}})",
      R"({"members":{"0":{},"me":{}}})",
      R"({"members":{"0":{"constants":{"system":{"index":1}}}}})",
      R"({"membersInfo":{"first":0},"members":{"0":{"next":0},"1":{}}})",
      R"({"membersInfo":{"count":3}})",
      // Duplicate keys, typed and untyped, at every level.
      R"({"branch":"a","branch":"b"})",
      R"({"x":1,"x":1})",
      R"({"constants":{"system":{},"system":{}}})",
      R"({"constants":{"system":{"capabilities":{"a":true,"a":true}}}})",
      R"({"constants":{"custom":{"a":1,"a":2}}})",
      R"({"membersInfo":{"first":0},"members":{"0":{},"0":{}}})",
      R"({"members":{"me":{},"me":{}}})",
      R"({"members":{"0":{"gamertag":"a","gamertag":"a"}}})",
      // JSON errors after a typing error, and trailing bytes.
      R"({"contractVersion":"x",)",
      R"({} x)",
  };
  for (const std::string& t : texts) EXPECT_FALSE(ExpectAgreement(t)) << t;
}

// Each pair: at the limit (accepted), then one over it (refused).
TEST(SessionDocumentReader, AppliesEveryLimit) {
  JsonLimits jl;
  jl.max_depth = 4;
  jl.max_string_bytes = 12;  // "membersInfo" fits
  jl.max_container_items = 3;
  SessionLimits sl;
  sl.max_members = 1;
  sl.max_string_bytes = 4;
  sl.max_list_items = 1;
  const std::vector<std::string> texts = {
      R"({"branch":"abcd"})",
      R"({"branch":"abcde"})",
      R"({"x":"abcdefghijkl"})",
      R"({"x":"abcdefghijklm"})",
      R"({"a":1,"b":2,"c":3})",
      R"({"a":1,"b":2,"c":3,"d":4})",
      R"({"a":{"b":{"c":{}}}})",
      R"({"a":{"b":{"c":{"d":{}}}}})",
      R"({"properties":{"system":{"turn":[0]}}})",
      R"({"properties":{"system":{"turn":[0,1]}}})",
      R"({"membersInfo":{"first":0},"members":{"0":{}}})",
      R"({"membersInfo":{"first":0},"members":{"0":{"next":1},"1":{}}})",
  };
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(ExpectAgreement(texts[i], jl, sl), i % 2 == 0) << texts[i];
  }
}

}  // namespace
}  // namespace sessionrig
