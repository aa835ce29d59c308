#include "sessiond/auth.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace sessionrig::sessiond {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";

TEST(SessiondAuth, TokenIsHmacSha256OfTheXuid) {
  // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
  EXPECT_EQ(MintDevToken("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(MintDevToken(kSecret, "123").size(), 64u);
  EXPECT_NE(MintDevToken(kSecret, "123"), MintDevToken(kSecret, "124"));
  EXPECT_EQ(DevAuthorizationHeader(kSecret, "123"), "XBL3.0 x=123;" + MintDevToken(kSecret, "123"));
}

TEST(SessiondAuth, DevModeAcceptsOnlyValidTokens) {
  Authenticator auth(AuthMode::kDev, kSecret);
  auto ok = auth.Authenticate(DevAuthorizationHeader(kSecret, "2533274790412345"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "2533274790412345");
  const std::string other_secret = DevAuthorizationHeader("another-secret-of-16b", "123");
  for (const std::string& bad :
       {std::string(), std::string("Bearer abc"), std::string("XBL3.0 x=123"),
        std::string("XBL3.0 x=12a;tok"), std::string("XBL3.0 x=123;"), other_secret,
        "XBL3.0 x=124;" + MintDevToken(kSecret, "123"),
        "XBL3.0 x=123;" + MintDevToken(kSecret, "123") + "0"}) {
    EXPECT_FALSE(auth.Authenticate(bad).ok()) << bad;
  }
}

TEST(SessiondAuth, NoneModeTrustsTheHeaderAndAllowsNone) {
  Authenticator auth(AuthMode::kNone, "");
  auto anonymous = auth.Authenticate("");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(*anonymous, "");
  auto named = auth.Authenticate("XBL3.0 x=77;anything");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(*named, "77");
  EXPECT_FALSE(auth.Authenticate("XBL3.0 x=abc;t").ok());
}

TEST(SessiondAuth, SecretFiles) {
  auto generated = GenerateSecret();
  ASSERT_TRUE(generated.ok());
  EXPECT_EQ(generated->size(), 64u);
  EXPECT_NE(*generated, *GenerateSecret());
  const std::string path = ::testing::TempDir() + "/sessiond_secret_" + std::to_string(::getpid());
  std::remove(path.c_str());
  ASSERT_TRUE(WriteSecretFile(path, *generated).ok());
  EXPECT_FALSE(WriteSecretFile(path, *generated).ok());  // never overwrites
  auto read = ReadSecretFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, *generated);
  std::remove(path.c_str());
  EXPECT_EQ(ReadSecretFile(path).status().code(), StatusCode::kNotFound);
  { std::ofstream(path) << "short\n"; }
  EXPECT_EQ(ReadSecretFile(path).status().code(), StatusCode::kInvalidArgument);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace sessionrig::sessiond
