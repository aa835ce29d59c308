#include "sessionrig/json_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace sessionrig {
namespace {

TEST(JsonCodec, ParsesOrdinaryDocuments) {
  auto v = ParseJsonStrict(R"({"a":[1,2,{"b":null}],"c":"x","d":1.5,"e":true})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ((*v)["a"][2]["b"], nullptr);
  EXPECT_EQ((*v)["c"], "x");
}

TEST(JsonCodec, RefusesHostileNestingWithoutRecursing) {
  std::string deep(200000, '[');
  auto v = ParseJsonStrict(deep, JsonLimits{.max_bytes = 1u << 20});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kJsonDepthLimit);
}

TEST(JsonCodec, DepthLimitIsExact) {
  JsonLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(ParseJsonStrict("[[[1]]]", limits).ok());
  EXPECT_EQ(ParseJsonStrict("[[[[1]]]]", limits).status().code(), StatusCode::kJsonDepthLimit);
}

TEST(JsonCodec, EnforcesSizeStringAndContainerLimits) {
  JsonLimits limits;
  limits.max_bytes = 10;
  EXPECT_EQ(ParseJsonStrict(R"({"a":"bcdefgh"})", limits).status().code(), StatusCode::kSizeLimit);
  limits = JsonLimits{};
  limits.max_string_bytes = 4;
  EXPECT_EQ(ParseJsonStrict(R"(["abcde"])", limits).status().code(), StatusCode::kStringTooLong);
  EXPECT_EQ(ParseJsonStrict(R"({"abcde":1})", limits).status().code(), StatusCode::kStringTooLong);
  limits = JsonLimits{};
  limits.max_container_items = 2;
  EXPECT_TRUE(ParseJsonStrict("[1,2]", limits).ok());
  EXPECT_EQ(ParseJsonStrict("[1,2,3]", limits).status().code(), StatusCode::kTooManyMembers);
  EXPECT_EQ(ParseJsonStrict(R"({"a":1,"b":2,"c":3})", limits).status().code(),
            StatusCode::kTooManyMembers);
}

TEST(JsonCodec, RefusesSyntaxErrorsDuplicatesTrailingBytesAndBadUtf8) {
  EXPECT_EQ(ParseJsonStrict("").status().code(), StatusCode::kJsonSyntax);
  EXPECT_EQ(ParseJsonStrict("{").status().code(), StatusCode::kJsonSyntax);
  EXPECT_EQ(ParseJsonStrict("{} x").status().code(), StatusCode::kJsonSyntax);
  EXPECT_EQ(ParseJsonStrict(R"({"a":1,"a":2})").status().code(), StatusCode::kJsonSyntax);
  EXPECT_EQ(ParseJsonStrict("\"\xff\"").status().code(), StatusCode::kJsonSyntax);
  EXPECT_EQ(ParseJsonStrict("[1,]").status().code(), StatusCode::kJsonSyntax);
}

}  // namespace
}  // namespace sessionrig
