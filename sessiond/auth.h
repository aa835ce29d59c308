// sessiond/auth.h: XBL3.0-style caller identity for sessiond.
//
// A request names its user with `Authorization: XBL3.0 x=<xuid>;<token>`.
// In dev mode (the default) the token carries its own expiry, like the real
// service's tokens:
//
//   <token> = <expiry>.<mac>
//   <expiry> = unix time in whole seconds (decimal) after which it is refused
//   <mac>    = hex(HMAC-SHA256(secret, "<xuid>:<expiry>")), 64 lowercase hex
//
// so anyone holding the server's secret (sessionctl, an embedding loadgen)
// can mint tokens, nobody else can, and a token cannot be moved to another
// xuid or given a later expiry. An expired token is refused (HTTP 401) with a
// message that says it expired and when. Tokens of the format before expiry
// existed (a bare 64-hex MAC of the xuid) are refused with a message saying
// so: a token that never expires is what expiry exists to rule out. In none
// mode the token is not checked and the header is optional (local use only).
//
// Thread-safety: Authenticator is immutable after construction; all
// methods are safe to call concurrently. Free functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sessionrig/status.h"

namespace sessionrig::sessiond {

enum class AuthMode {
  kDev,   // HMAC-SHA256 tokens under a server secret
  kNone,  // no verification; the xuid of the header (if any) is trusted
};

// "dev" / "none".
const char* AuthModeName(AuthMode mode);

// Minimum length of a dev secret, bytes.
inline constexpr std::size_t kMinSecretBytes = 16;

// Lifetime of a token when none is given (`sessionctl token` without --ttl).
inline constexpr std::chrono::seconds kDefaultTokenTtl{3600};
// Longest lifetime a token may be minted with (100 days).
inline constexpr std::chrono::seconds kMaxTokenTtl{100LL * 24 * 3600};

// hex(HMAC-SHA256(key, message)): 64 lowercase hex characters.
std::string HmacSha256Hex(std::string_view key, std::string_view message);

// The expiry (unix seconds) of a token minted at `now` to live `ttl`:
// now + ttl rounded up to the next whole second, so the token lives at least
// `ttl` (and less than `ttl` + 1 s).
std::int64_t TokenExpiryAfter(std::chrono::microseconds ttl,
                              std::chrono::system_clock::time_point now);

// "<expiry>.<hex(HMAC-SHA256(secret, "<xuid>:<expiry>"))>".
std::string MintDevToken(std::string_view secret, std::string_view xuid,
                         std::int64_t expiry_unix_s);
// The same, valid for kDefaultTokenTtl from now.
std::string MintDevToken(std::string_view secret, std::string_view xuid);

// The full header value: "XBL3.0 x=<xuid>;<MintDevToken(...)>".
std::string DevAuthorizationHeader(std::string_view secret, std::string_view xuid,
                                   std::int64_t expiry_unix_s);
// The same, valid for kDefaultTokenTtl from now.
std::string DevAuthorizationHeader(std::string_view secret, std::string_view xuid);

// Parses a token lifetime: a decimal number with a unit us, ms, s, m or h
// ("90s", "1.5h", "250ms"); a bare number is seconds. Errors
// (kInvalidArgument, naming the text): no number, an unknown unit, zero or
// negative, or longer than kMaxTokenTtl.
[[nodiscard]] StatusOr<std::chrono::microseconds> ParseTokenTtl(std::string_view text);

// A fresh random secret (32 random bytes from OpenSSL's RAND_bytes, as 64
// hex characters: printable, so it can be pasted into a secret file).
// Errors: kInternal when the RNG fails.
StatusOr<std::string> GenerateSecret();

// Reads a secret file: its bytes with trailing whitespace removed.
// Errors: kNotFound (cannot open), kInvalidArgument (shorter than
// kMinSecretBytes).
StatusOr<std::string> ReadSecretFile(const std::string& path);

// Writes `secret` and a newline to `path`, created with mode 0600.
// Errors: kInvalidArgument (cannot create or write).
Status WriteSecretFile(const std::string& path, std::string_view secret);

// Splits "XBL3.0 x=<xuid>;<token>". Errors: kInvalidArgument naming what is
// wrong (scheme, missing "x=", xuid not decimal, missing token).
struct XblCredentials {
  std::string xuid;
  std::string token;
};
StatusOr<XblCredentials> ParseXblAuthorization(std::string_view header);

// A connection's cache of the last Authorization header it verified: a
// keep-alive connection sends the same token on every request, so a repeat
// costs a string compare and the expiry check instead of an HMAC. Owned by
// one connection (not thread-safe); Authenticate fills it.
struct VerifiedToken {
  std::string header;         // the verified Authorization value ("" : none yet)
  std::string xuid;           // its caller
  std::int64_t expiry_s = 0;  // its expiry (unix seconds), still enforced on a hit
};

class Authenticator {
 public:
  // REQUIRES: mode == kNone or secret.size() >= kMinSecretBytes.
  Authenticator(AuthMode mode, std::string secret);

  // The caller's xuid for an Authorization header value (empty view: no
  // header) at wall-clock time `now` (default: the current time). In none
  // mode a missing header yields "" (unknown caller) and the token is not
  // checked. Errors (HTTP 401): kInvalidArgument with a message the client
  // can act on: a malformed header, a token of another xuid or secret, a
  // token of the old format without expiry, or an expired token (the
  // message then says "expired" and when).
  StatusOr<std::string> Authenticate(std::string_view header) const;
  StatusOr<std::string> Authenticate(std::string_view header,
                                     std::chrono::system_clock::time_point now) const;
  // The same, consulting and updating `cache` (may be null) in dev mode: a
  // header equal to the cached one is not verified again, but its expiry
  // is checked at `now` (an expired token is then verified in full, so it
  // gets the same 401 message). A header that verifies replaces the cache.
  StatusOr<std::string> Authenticate(std::string_view header,
                                     std::chrono::system_clock::time_point now,
                                     VerifiedToken* cache) const;

  AuthMode mode() const { return mode_; }
  const std::string& secret() const { return secret_; }

 private:
  // HMAC-SHA256 keyed with the secret once; each MAC starts from a copy, so
  // a request pays neither the algorithm fetch nor the key schedule.
  class KeyedMac;
  // hex(HMAC-SHA256(secret, "<xuid>:<expiry>")).
  std::string Mac(std::string_view xuid, std::string_view expiry) const;

  // Constant after construction.
  const AuthMode mode_;
  const std::string secret_;
  std::shared_ptr<const KeyedMac> mac_;  // null in none mode
};

}  // namespace sessionrig::sessiond
