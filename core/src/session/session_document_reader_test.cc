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
// same document; a JSON error it names is parse-then-type's; the text
// overload gives parse-then-type's result. Returns whether the text was
// accepted.
bool ExpectAgreement(const std::string& text, const JsonLimits& jl = {},
                     const SessionLimits& sl = {}) {
  SCOPED_TRACE(::testing::Message() << "text: " << text.substr(0, 120));
  const StatusOr<SessionDocument> dom = ParseThenType(text, jl, sl);
  const SessionDocumentRead read = ReadSessionDocument(text, jl, sl);
  EXPECT_EQ(dom.ok(), read.document.has_value()) << dom.status().ToString();
  if (read.document && dom.ok()) {
    EXPECT_EQ(*read.document, *dom);
  }
  if (!read.json_error.ok()) {
    EXPECT_FALSE(read.document.has_value());
    EXPECT_EQ(read.json_error, dom.status());
    EXPECT_EQ(read.json_error, ParseJsonStrict(text, jl).status());
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

// JSON errors are named by the one pass, also after typed fields, inside
// members, and after a repeated member key (which the codec names first).
TEST(SessionDocumentReader, NamesJsonErrorsInOnePass) {
  const std::vector<std::string> one_pass = {
      "",
      "{",
      R"({"branch":"a",)",
      R"({"branch":"a","branch":"b"})",
      R"({"contractVersion":1,"constants":{"system":{"version":2,"version":2}}})",
      R"({"constants":{"system":{"capabilities":{"a":true,"a":true}}}})",
      R"({"membersInfo":{"first":0},"members":{"0":{"gamertag":"a",}}})",
      R"({"branch":x})",
      R"({"branch":"a"} x)",
      R"({"x":[1,2,tru]})",
      R"({"changeNumber":1e999})",
  };
  for (const std::string& t : one_pass) {
    EXPECT_FALSE(ExpectAgreement(t)) << t;
    EXPECT_FALSE(ReadSessionDocument(t, {}, {}).json_error.ok()) << t;
  }
  // Read twice: a typing refusal, or a repeated member key before the error.
  const std::vector<std::string> two_passes = {
      R"({"branch":1,"x":})",
      R"({"membersInfo":{"first":0},"members":{"0":{},"0":{"x":}}})",
  };
  for (const std::string& t : two_passes) {
    EXPECT_FALSE(ExpectAgreement(t)) << t;
    EXPECT_TRUE(ReadSessionDocument(t, {}, {}).json_error.ok()) << t;
  }
}

// The StatusCode of a text crossing a JSON limit and another rule is the
// one the nlohmann-based codec gave: the item count of a container is
// checked once a value is read, after its syntax and depth.
TEST(SessionDocumentReader, KeepsTheCodecsOrderOfChecks) {
  JsonLimits jl;
  jl.max_depth = 2;
  jl.max_container_items = 2;
  const auto code = [&](std::string_view text) {
    return ParseJsonStrict(text, jl).status().code();
  };
  EXPECT_EQ(code("[1,2,3]"), StatusCode::kTooManyMembers);
  EXPECT_EQ(code("[1,2,-]"), StatusCode::kJsonSyntax);
  EXPECT_EQ(code("[1,2,[]]"), StatusCode::kTooManyMembers);
  EXPECT_EQ(code("[[1,2,[]]]"), StatusCode::kJsonDepthLimit);
  EXPECT_EQ(code(R"({"a":1,"b":2,"a":3})"), StatusCode::kJsonSyntax);
  EXPECT_EQ(code(R"({"a":1,"b":2,"c":3})"), StatusCode::kTooManyMembers);
  for (std::string_view t : {"[1,2,3]", "[1,2,-]", "[[1,2,[]]]", R"({"a":1,"b":2,"a":3})"}) {
    EXPECT_TRUE(ExpectAgreement(std::string(t), jl) == false) << t;
  }
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
