#include "loadgen/users.h"

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

TEST(UsersTest, ReadsBothLineFormats) {
  StatusOr<std::vector<UserCredential>> users = ParseTokenFile(
      "# users\n"
      "XBL3.0 x=1001;abcdef\r\n"
      "\n"
      "  1002   XBL3.0 x=hash;tok  \n"
      "1003 Bearer token with spaces");
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].xuid, 1001u);
  EXPECT_EQ((*users)[0].authorization, "XBL3.0 x=1001;abcdef");
  EXPECT_EQ((*users)[1].xuid, 1002u);
  EXPECT_EQ((*users)[1].authorization, "XBL3.0 x=hash;tok");
  EXPECT_EQ((*users)[2].authorization, "Bearer token with spaces");
}

TEST(UsersTest, ErrorsNameTheLine) {
  EXPECT_EQ(ParseTokenFile("1001 a\nnonsense\n").status().message(),
            "line 2: want '<xuid> <Authorization>' or 'XBL3.0 x=<xuid>;<token>'");
  EXPECT_EQ(ParseTokenFile("XBL3.0 x=abc;t").status().message(),
            "line 1: want 'XBL3.0 x=<xuid>;<token>' or '<xuid> <Authorization>'");
  EXPECT_EQ(ParseTokenFile("XBL3.0 x=5;").status().message().rfind("line 1:", 0), 0u);
  EXPECT_EQ(ParseTokenFile("1001 a\n1001 b\n").status().message(),
            "line 2: xuid 1001 is listed twice");
  EXPECT_EQ(ParseTokenFile("0 a").status().message().rfind("line 1:", 0), 0u);
  EXPECT_EQ(ParseTokenFile("# only a comment\n\n").status().message(), "no users (one per line)");
}

TEST(UsersTest, EmbeddedXuidsAreDistinctAndNonZero) {
  EXPECT_EQ(EmbeddedXuid(0), 2533274790400001u);
  EXPECT_EQ(EmbeddedXuid(9), 2533274790400010u);
}

}  // namespace
}  // namespace sessionrig::loadgen
