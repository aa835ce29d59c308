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

// The reader must accept exactly what ParseJsonStrict accepts, with the same DOM.
void ExpectSameAsStrict(const std::string& text, const JsonLimits& limits = {}) {
  SCOPED_TRACE(testing::Message() << "text: " << text.substr(0, 80));
  const StatusOr<json> strict = ParseJsonStrict(text, limits);
  const std::optional<json> read = ReadAll(text, limits);
  ASSERT_EQ(strict.ok(), read.has_value()) << strict.status().ToString();
  if (read) {
    EXPECT_EQ(*read, *strict);
    EXPECT_EQ(read->dump(), strict->dump());  // same number types too
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

TEST(JsonReaderTest, StaysFailedAfterARefusal) {
  JsonLimits limits;
  JsonReader r("[1, true]", limits);
  ASSERT_TRUE(r.Begin());
  EXPECT_FALSE(r.ReadBool(nullptr));  // the value is an array
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.Peek(), JsonReader::Type::kInvalid);
  EXPECT_FALSE(r.End());
}

}  // namespace
}  // namespace sessionrig
