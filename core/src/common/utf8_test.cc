#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace sessionrig {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));       // é
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));      // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x8e\xae"));  // 🎮
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST(Utf8, RefusesMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(Utf8, TruncateKeepsWholeCodePoints) {
  const std::string euro3 = "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac";  // 9 bytes
  EXPECT_EQ(TruncateUtf8(euro3, 9), euro3);
  EXPECT_EQ(TruncateUtf8(euro3, 8), euro3.substr(0, 6));
  EXPECT_EQ(TruncateUtf8(euro3, 7), euro3.substr(0, 6));
  EXPECT_EQ(TruncateUtf8(euro3, 6), euro3.substr(0, 6));
  EXPECT_EQ(TruncateUtf8(euro3, 2), "");
  EXPECT_EQ(TruncateUtf8("abcdef", 3), "abc");
  EXPECT_EQ(TruncateUtf8("ab\xf0\x9f\x8e\xae", 5), "ab");
  EXPECT_EQ(TruncateUtf8("ab\xf0\x9f\x8e\xae", 6), "ab\xf0\x9f\x8e\xae");
  for (std::size_t n = 0; n <= euro3.size(); ++n) {
    EXPECT_TRUE(IsValidUtf8(TruncateUtf8(euro3, n))) << n;
  }
}

}  // namespace
}  // namespace sessionrig
