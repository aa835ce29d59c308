#include "common/json_reader.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "sessionrig/json_codec.h"

namespace sessionrig {
namespace {

using nlohmann::json;

// The whole text through the reader, as a DOM; nullopt when refused.
std::optional<json> ReadAll(std::string_view text, const JsonLimits& limits = {}) {
  JsonReader r(text, limits);
  json out;
  if (!r.Begin() || !r.ReadValue(&out) || !r.End()) return std::nullopt;
  return out;
}

// The reader must accept exactly what ParseJsonStrict accepts, with the same
// DOM (ParseJsonStrict is now built on the reader, so nlohmann's own parser is
// the independent oracle: what the codec accepts, nlohmann accepts with the
// same DOM and number types; what the codec refuses as a syntax error that is
// not a duplicate key, nlohmann refuses too).
void ExpectSameAsStrict(const std::string& text, const JsonLimits& limits = {}) {
  SCOPED_TRACE(testing::Message() << "text: " << text.substr(0, 80));
  const StatusOr<json> strict = ParseJsonStrict(text, limits);
  const std::optional<json> read = ReadAll(text, limits);
  ASSERT_EQ(strict.ok(), read.has_value()) << strict.status().ToString();
  const json oracle = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (read) {
    EXPECT_EQ(*read, *strict);
    EXPECT_EQ(read->dump(), strict->dump());  // same number types too
    ASSERT_FALSE(oracle.is_discarded());
    EXPECT_EQ(oracle.dump(), strict->dump());
  } else if (strict.status().code() == StatusCode::kJsonSyntax &&
             strict.status().message().find("duplicate key") == std::string::npos) {
    EXPECT_TRUE(oracle.is_discarded()) << strict.status().ToString();
  }
}

TEST(JsonReaderTest, AgreesWithStrictOnScalarsAndContainers) {
  const std::vector<std::string> texts = {"null",
                                          "true",
                                          "false",
                                          "nul",
                                          "tru",
                                          "falsey",
                                          "\"\"",
                                          "\"a\"",
                                          "[]",
                                          "{}",
                                          "[1,2,3]",
                                          "[1,]",
                                          "[,1]",
                                          "{\"a\":1,}",
                                          "{,}",
                                          "{\"a\" : [ {} , [] ] }",
                                          " \t\r\n[ 1 ] \n",
                                          "",
                                          "   ",
                                          "[1] x",
                                          "[1]]",
                                          "{\"a\":1}}",
                                          "{\"a\"}",
                                          "{\"a\":}",
                                          "{1:2}",
                                          "[\"a\" \"b\"]",
                                          "{\"a\":1 \"b\":2}",
                                          "\xEF\xBB\xBF[1]",
                                          "\xEF\xBB[1]",
                                          "\xEF\xBB\xBF"};
  for (const std::string& t : texts) ExpectSameAsStrict(t);
  // nlohmann ends the input at a NUL byte between tokens, so whatever
  // follows the value after one is ignored.
  ExpectSameAsStrict(std::string("[1]\0", 4));
  ExpectSameAsStrict(std::string("[1] \0garbage", 12));
  ExpectSameAsStrict(std::string("1\0", 2));
  ExpectSameAsStrict(std::string("\0", 1));
  ExpectSameAsStrict(std::string("[1\0]", 4));
  ExpectSameAsStrict(std::string("[1,\0]", 5));
  ExpectSameAsStrict(std::string("{\"a\"\0:1}", 8));
  ExpectSameAsStrict(std::string("[\"a\0\"]", 6));
}

TEST(JsonReaderTest, AgreesWithStrictOnNumbers) {
  const std::vector<std::string> texts = {"0",
                                          "-0",
                                          "00",
                                          "01",
                                          "-01",
                                          "1.",
                                          ".5",
                                          "1.5",
                                          "-1.5",
                                          "1e5",
                                          "1E+5",
                                          "1e-5",
                                          "1e",
                                          "1e+",
                                          "+1",
                                          "-",
                                          "--1",
                                          "0x10",
                                          "1.5e3",
                                          "18446744073709551615",
                                          "18446744073709551616",
                                          "-9223372036854775808",
                                          "-9223372036854775809",
                                          "123456789012345678901234567890",
                                          "1e308",
                                          "1e309",
                                          "-1e309",
                                          "1e-400",
                                          "2.2250738585072014e-308",
                                          "4.9e-324",
                                          "0.1e1",
                                          "[1.0,2]",
                                          "[-0.0]",
                                          "1.7976931348623157e308",
                                          "1.7976931348623159e308"};
  for (const std::string& t : texts) ExpectSameAsStrict(t);
}

TEST(JsonReaderTest, AgreesWithStrictOnStringsAndEscapes) {
  const std::vector<std::string> texts = {R"("\"\\\/\b\f\n\r\t")",
                                          R"("\u0041\u00e9\u20AC")",
                                          R"("\u0000")",
                                          R"("\uD83D\uDE00")",
                                          R"("\uD83D")",
                                          R"("\uD83Dx")",
                                          R"("\uD83D\u0041")",
                                          R"("\uDE00")",
                                          R"("\uDE00\uD83D")",
                                          R"("\u12")",
                                          R"("\u12G4")",
                                          R"("\x")",
                                          R"("\)",
                                          "\"abc",
                                          "\"a\tb\"",
                                          "\"a\nb\"",
                                          "\"\x7f\"",
                                          "\"\xc3\xa9\"",
                                          "\"\xc3\"",
                                          "\"\xc0\xaf\"",
                                          "\"\xc1\xbf\"",
                                          "\"\xe0\x80\xaf\"",
                                          "\"\xe0\xa0\x80\"",
                                          "\"\xed\xa0\x80\"",
                                          "\"\xed\x9f\xbf\"",
                                          "\"\xef\xbf\xbf\"",
                                          "\"\xf0\x8f\xbf\xbf\"",
                                          "\"\xf0\x90\x80\x80\"",
                                          "\"\xf4\x8f\xbf\xbf\"",
                                          "\"\xf4\x90\x80\x80\"",
                                          "\"\xf5\x80\x80\x80\"",
                                          "\"\xff\"",
                                          "\"\x80\"",
                                          "\"\xe2\x82\"",
                                          "{\"\xc3\xa9\":1}",
                                          "{\"\\u00e9\":1}",
                                          "{\"a\\nb\":[\"\\ud834\\udd1e\"]}"};
  for (const std::string& t : texts) ExpectSameAsStrict(t);
}

TEST(JsonReaderTest, RefusesDuplicateKeysLikeStrict) {
  ExpectSameAsStrict(R"({"a":1,"a":2})");
  ExpectSameAsStrict(R"({"a":1,"b":{"c":1,"c":1}})");
  ExpectSameAsStrict(R"({"a":1,"\u0061":2})");
  ExpectSameAsStrict(R"([{"a":1},{"a":1}])");
}

TEST(JsonReaderTest, EnforcesTheLimitsLikeStrict) {
  JsonLimits tight;
  tight.max_bytes = 64;
  tight.max_depth = 3;
  tight.max_string_bytes = 4;
  tight.max_container_items = 3;
  const std::vector<std::string> texts = {"[[[1]]]",
                                          "[[[[1]]]]",
                                          "[[[{}]]]",
                                          "{\"a\":{\"b\":{}}}",
                                          "{\"a\":{\"b\":{\"c\":1}}}",
                                          "\"abcd\"",
                                          "\"abcde\"",
                                          "\"\\u00e9\\u00e9\"",
                                          "\"\\u00e9\\u00e9a\"",
                                          "{\"abcd\":1}",
                                          "{\"abcde\":1}",
                                          "[1,2,3]",
                                          "[1,2,3,4]",
                                          "{\"a\":1,\"b\":2,\"c\":3}",
                                          "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}",
                                          std::string(64, ' ') + "1",
                                          std::string(63, ' ') + "1"};
  for (const std::string& t : texts) ExpectSameAsStrict(t, tight);
  // Deep nesting is refused without recursion.
  ExpectSameAsStrict(std::string(200000, '['));
  JsonLimits deep;
  deep.max_depth = 500;
  ExpectSameAsStrict(std::string(500, '[') + std::string(500, ']'), deep);
  ExpectSameAsStrict(std::string(501, '[') + std::string(501, ']'), deep);
}

TEST(JsonReaderTest, PullsTypedValues) {
  const std::string text = R"( {"n":-3,"u":7,"f":2.5,"s":"x\ny","b":true,"z":null,"a":[1]} )";
  JsonLimits limits;
  JsonReader r(text, limits);
  ASSERT_TRUE(r.Begin());
  ASSERT_TRUE(r.BeginObject());
  std::string_view key;
  bool more = false;
  JsonReader::Number num;
  ASSERT_TRUE(r.NextKey(&key, &more));
  EXPECT_TRUE(more);
  EXPECT_EQ(key, "n");
  ASSERT_TRUE(r.ReadNumber(&num));
  EXPECT_EQ(num.kind, JsonReader::Number::Kind::kInteger);
  EXPECT_EQ(num.i, -3);
  ASSERT_TRUE(r.NextKey(&key, &more));
  ASSERT_TRUE(r.ReadNumber(&num));
  EXPECT_EQ(num.kind, JsonReader::Number::Kind::kUnsigned);
  EXPECT_EQ(num.u, 7u);
  ASSERT_TRUE(r.NextKey(&key, &more));
  ASSERT_TRUE(r.ReadNumber(&num));
  EXPECT_EQ(num.kind, JsonReader::Number::Kind::kFloat);
  EXPECT_EQ(num.f, 2.5);
  ASSERT_TRUE(r.NextKey(&key, &more));
  std::string_view s;
  ASSERT_TRUE(r.ReadString(&s));
  EXPECT_EQ(s, "x\ny");
  ASSERT_TRUE(r.NextKey(&key, &more));
  bool b = false;
  ASSERT_TRUE(r.ReadBool(&b));
  EXPECT_TRUE(b);
  ASSERT_TRUE(r.NextKey(&key, &more));
  EXPECT_EQ(r.Peek(), JsonReader::Type::kNull);
  ASSERT_TRUE(r.ReadNull());
  ASSERT_TRUE(r.NextKey(&key, &more));
  EXPECT_EQ(key, "a");
  ASSERT_TRUE(r.BeginArray());
  ASSERT_TRUE(r.NextItem(&more));
  EXPECT_TRUE(more);
  ASSERT_TRUE(r.ReadNumber(&num));
  ASSERT_TRUE(r.NextItem(&more));
  EXPECT_FALSE(more);
  ASSERT_TRUE(r.NextKey(&key, &more));
  EXPECT_FALSE(more);
  EXPECT_TRUE(r.End());
}

// A read of another type is a mismatch for the caller to judge: false, the
// reader not failed. A read where no value starts is a refusal: the reader
// fails, says why, and stays failed.
TEST(JsonReaderTest, TellsATypeMismatchFromARefusal) {
  JsonLimits limits;
  JsonReader r("[1, x]", limits);
  ASSERT_TRUE(r.Begin());
  EXPECT_FALSE(r.ReadBool(nullptr));  // the value is an array
  EXPECT_FALSE(r.failed());
  ASSERT_TRUE(r.BeginArray());
  bool more = false;
  ASSERT_TRUE(r.NextItem(&more));
  std::string_view s;
  EXPECT_FALSE(r.ReadString(&s));  // a number
  EXPECT_FALSE(r.failed());
  JsonReader::Number n;
  ASSERT_TRUE(r.ReadNumber(&n));
  ASSERT_TRUE(r.NextItem(&more));
  EXPECT_FALSE(r.ReadNumber(&n));  // no value starts at 'x'
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.status(),
            Status(StatusCode::kJsonSyntax, "invalid JSON at byte 4: expected a value"));
  EXPECT_EQ(r.Peek(), JsonReader::Type::kInvalid);
  EXPECT_FALSE(r.End());
  EXPECT_EQ(r.status().message(), "invalid JSON at byte 4: expected a value");  // the first
}

TEST(JsonReaderTest, SaysWhyItRefused) {
  const auto why = [](std::string_view text, const JsonLimits& limits = {}) {
    return ParseJsonStrict(text, limits).status();
  };
  EXPECT_EQ(why("{x"), Status(StatusCode::kJsonSyntax, "invalid JSON at byte 1: expected a key"));
  EXPECT_EQ(why(R"({"a":1 "b")"),
            Status(StatusCode::kJsonSyntax, "invalid JSON at byte 7: expected ',' or '}'"));
  EXPECT_EQ(why(R"({"a":1,"a":2})"),
            Status(StatusCode::kJsonSyntax, "invalid JSON at byte 11: duplicate key \"a\""));
  EXPECT_EQ(why("[1,"),
            Status(StatusCode::kJsonSyntax, "invalid JSON at byte 3: unexpected end of input"));
  EXPECT_EQ(why("[1] x"), Status(StatusCode::kJsonSyntax,
                                 "invalid JSON at byte 4: unexpected bytes after the value"));
  JsonLimits tight;
  tight.max_bytes = 16;
  tight.max_depth = 2;
  tight.max_string_bytes = 3;
  tight.max_container_items = 2;
  EXPECT_EQ(why("[[[]]]", tight),
            Status(StatusCode::kJsonDepthLimit, "nesting deeper than 2 at byte 2"));
  EXPECT_EQ(why(R"(["abcd"])", tight),
            Status(StatusCode::kStringTooLong, "string of 4 bytes exceeds 3 at byte 7"));
  EXPECT_EQ(why(R"({"abcd":1})", tight),
            Status(StatusCode::kStringTooLong, "object key of 4 bytes exceeds 3 at byte 7"));
  EXPECT_EQ(why("[1,2,3]", tight),
            Status(StatusCode::kTooManyMembers, "container has more than 2 items at byte 6"));
  EXPECT_EQ(why("[1,2,3,4,5,6,7,8,9]", tight),
            Status(StatusCode::kSizeLimit, "JSON text of 19 bytes exceeds 16"));
}

}  // namespace
}  // namespace sessionrig
