#include "sessiond/auth.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

namespace sessionrig::sessiond {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point At(std::int64_t unix_s, milliseconds extra = milliseconds(0)) {
  return system_clock::time_point(seconds(unix_s)) + extra;
}

TEST(SessiondAuth, TokenIsExpiryAndHmacSha256OfXuidAndExpiry) {
  // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(MintDevToken(kSecret, "123", 1700000000),
            "1700000000." + HmacSha256Hex(kSecret, "123:1700000000"));
  EXPECT_NE(MintDevToken(kSecret, "123", 1700000000), MintDevToken(kSecret, "124", 1700000000));
  EXPECT_NE(MintDevToken(kSecret, "123", 1700000000), MintDevToken(kSecret, "123", 1700000001));
  EXPECT_EQ(DevAuthorizationHeader(kSecret, "123", 1700000000),
            "XBL3.0 x=123;" + MintDevToken(kSecret, "123", 1700000000));
  // Without an expiry: kDefaultTokenTtl (1 h) from now, rounded up to a second.
  const std::string token = MintDevToken(kSecret, "123");
  const std::int64_t expiry = std::stoll(token.substr(0, token.find('.')));
  const std::int64_t now_s =
      std::chrono::duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  EXPECT_GE(expiry, now_s + 3600);
  EXPECT_LE(expiry, now_s + 3600 + 5);
}

TEST(SessiondAuth, VerifiedTokenCacheSkipsTheMacButNotTheExpiry) {
  Authenticator auth(AuthMode::kDev, kSecret);
  const std::string header = DevAuthorizationHeader(kSecret, "123", 1700000010);
  VerifiedToken cache;
  auto first = auth.Authenticate(header, At(1700000000), &cache);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, "123");
  EXPECT_EQ(cache.header, header);
  EXPECT_EQ(cache.xuid, "123");
  EXPECT_EQ(cache.expiry_s, 1700000010);
  // A repeat is served from the cache, until the token expires.
  auto again = auth.Authenticate(header, At(1700000009, milliseconds(999)), &cache);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, "123");
  auto expired = auth.Authenticate(header, At(1700000010), &cache);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().message(),
            "token for xuid 123 expired at 2023-11-14T22:13:30Z (0 s ago); mint a fresh one "
            "(sessionctl token)");
  // Another header is verified in full: a forged one fails and leaves the
  // cache as it was; a valid one replaces it.
  std::string forged = header;
  forged.back() = forged.back() == '0' ? '1' : '0';
  auto bad = auth.Authenticate(forged, At(1700000000), &cache);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid token for xuid 123");
  EXPECT_EQ(cache.header, header);
  const std::string other = DevAuthorizationHeader(kSecret, "456", 1700000020);
  auto next = auth.Authenticate(other, At(1700000000), &cache);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, "456");
  EXPECT_EQ(cache.header, other);
  EXPECT_EQ(cache.expiry_s, 1700000020);
  // In none mode nothing is verified, so nothing is cached.
  Authenticator none(AuthMode::kNone, "");
  VerifiedToken unused;
  auto trusted = none.Authenticate("XBL3.0 x=9;anything", At(1700000000), &unused);
  ASSERT_TRUE(trusted.ok());
  EXPECT_EQ(*trusted, "9");
  EXPECT_TRUE(unused.header.empty());
}

TEST(SessiondAuth, ExpiryIsTheTtlRoundedUpToASecond) {
  EXPECT_EQ(TokenExpiryAfter(seconds(1), At(100)), 101);
  EXPECT_EQ(TokenExpiryAfter(seconds(1), At(100, milliseconds(500))), 102);
  EXPECT_EQ(TokenExpiryAfter(milliseconds(1), At(100)), 101);
  EXPECT_EQ(TokenExpiryAfter(hours(1), At(100)), 3700);
}

TEST(SessiondAuth, DevModeAcceptsOnlyValidTokens) {
  Authenticator auth(AuthMode::kDev, kSecret);
  const std::int64_t expiry = 1700003600;
  const auto now = At(1700000000);
  auto ok = auth.Authenticate(DevAuthorizationHeader(kSecret, "2533274790412345", expiry), now);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "2533274790412345");
  const std::string good = MintDevToken(kSecret, "123", expiry);
  const std::string mac = good.substr(good.find('.') + 1);
  const std::string other_secret = DevAuthorizationHeader("another-secret-of-16b", "123", expiry);
  for (const std::string& bad : {
           std::string(), std::string("Bearer abc"), std::string("XBL3.0 x=123"),
           std::string("XBL3.0 x=12a;tok"), std::string("XBL3.0 x=123;"), other_secret,
           "XBL3.0 x=124;" + good,                          // another user's token
           "XBL3.0 x=123;" + good + "0",                    // a longer MAC
           "XBL3.0 x=123;1700007200." + mac,                // a later expiry, same MAC
           "XBL3.0 x=123;." + mac,                          // no expiry digits
           "XBL3.0 x=123;-1." + mac,                        // not unix seconds
           "XBL3.0 x=123;99999999999999999999." + mac,      // too long
           "XBL3.0 x=123;" + std::to_string(expiry) + ".",  // no MAC
       }) {
    auto r = auth.Authenticate(bad, now);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message().find("expired"), std::string::npos) << r.status().message();
  }
}

TEST(SessiondAuth, ExpiredTokensAreRefusedWithAMessageSayingSo) {
  Authenticator auth(AuthMode::kDev, kSecret);
  const std::string header = DevAuthorizationHeader(kSecret, "123", 1700000000);
  EXPECT_TRUE(auth.Authenticate(header, At(1699999999, milliseconds(999))).ok());
  auto at_expiry = auth.Authenticate(header, At(1700000000));
  ASSERT_FALSE(at_expiry.ok());
  EXPECT_EQ(at_expiry.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(at_expiry.status().message(),
            "token for xuid 123 expired at 2023-11-14T22:13:20Z (0 s ago); mint a fresh one "
            "(sessionctl token)");
  auto later = auth.Authenticate(header, At(1700000090));
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.status().message().find("expired at 2023-11-14T22:13:20Z (90 s ago)"),
            std::string::npos)
      << later.status().message();
  // A token that never expired is refused for what it is.
  auto old = auth.Authenticate("XBL3.0 x=123;" + HmacSha256Hex(kSecret, "123"), At(1700000000));
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("has no expiry"), std::string::npos)
      << old.status().message();
}

TEST(SessiondAuth, TtlGrammar) {
  EXPECT_EQ(*ParseTokenTtl("1h"), hours(1));
  EXPECT_EQ(*ParseTokenTtl("1.5h"), seconds(5400));
  EXPECT_EQ(*ParseTokenTtl("2m"), seconds(120));
  EXPECT_EQ(*ParseTokenTtl("90s"), seconds(90));
  EXPECT_EQ(*ParseTokenTtl("30"), seconds(30));
  EXPECT_EQ(*ParseTokenTtl("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseTokenTtl("0.5s"), milliseconds(500));
  EXPECT_EQ(*ParseTokenTtl("750us"), microseconds(750));
  EXPECT_EQ(*ParseTokenTtl("2400h"), kMaxTokenTtl);
  for (const char* bad :
       {"", "h", "1x", "-1s", "0", "0s", "1.2.3s", "2401h", "1e3s", "5 s", ".", "1hh", "0.1us"}) {
    auto r = ParseTokenTtl(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(ParseTokenTtl("5sec").status().message(),
            "\"5sec\": unknown unit \"sec\" (us, ms, s, m or h)");
  EXPECT_EQ(ParseTokenTtl("2401h").status().message(),
            "\"2401h\": longer than the longest token lifetime (100 days)");
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

// One spelling per user: a caller whose xuid the store would refuse as
// constants.system.xuid is refused here (401), not by the merge (was a 500).
TEST(SessiondAuth, XuidsAreCanonicalDecimalUint64s) {
  for (AuthMode mode : {AuthMode::kNone, AuthMode::kDev}) {
    Authenticator auth(mode, kSecret);
    for (const char* xuid :
         {"0123", "00", "18446744073709551616", "99999999999999999999", "+1", "1 ", ""}) {
      const std::string header =
          "XBL3.0 x=" + std::string(xuid) + ";" + MintDevToken(kSecret, xuid, 1700003600);
      auto caller = auth.Authenticate(header, At(1700000000));
      ASSERT_FALSE(caller.ok()) << AuthModeName(mode) << " " << xuid;
      EXPECT_EQ(caller.status().message(),
                "Authorization xuid is not a decimal uint64 without leading zeros");
    }
    for (const char* xuid : {"0", "7", "18446744073709551615"}) {
      const std::string header =
          "XBL3.0 x=" + std::string(xuid) + ";" + MintDevToken(kSecret, xuid, 1700003600);
      auto caller = auth.Authenticate(header, At(1700000000));
      ASSERT_TRUE(caller.ok()) << AuthModeName(mode) << " " << xuid << ": "
                               << caller.status().message();
      EXPECT_EQ(*caller, xuid);
    }
  }
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
