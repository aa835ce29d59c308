#include "sessionrig/ascii.h"

#include <gtest/gtest.h>

namespace sessionrig {
namespace {

TEST(Ascii, EqualsIgnoreCaseFoldsOnlyAsciiLetters) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-type"));
  EXPECT_TRUE(EqualsIgnoreCase("ETAG", "etag"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("etag", "etags"));
  EXPECT_FALSE(EqualsIgnoreCase("a-b", "a_b"));
  // Bytes outside A-Z are compared as they are: no locale folding.
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\x89", "\xc3\xa9"));  // É vs é
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));                // 0x5B vs 0x7B differ by 0x20
  EXPECT_EQ(ToLowerAscii("X-Xbl-Contract-Version"), "x-xbl-contract-version");
}

}  // namespace
}  // namespace sessionrig
