// sessiond/auth.h: XBL3.0-style caller identity for sessiond.
//
// A request names its user with `Authorization: XBL3.0 x=<xuid>;<token>`.
// In dev mode (the default) the token is hex(HMAC-SHA256(secret, xuid)),
// so anyone holding the server's secret (sessionctl, an embedding loadgen)
// can mint tokens, and nobody else can. In none mode the token is not
// checked and the header is optional (local use only).
//
// Thread-safety: Authenticator is immutable after construction; all
// methods are safe to call concurrently. Free functions are pure.
#pragma once

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

// hex(HMAC-SHA256(secret, xuid)): 64 lowercase hex characters.
std::string MintDevToken(std::string_view secret, std::string_view xuid);

// The full header value: "XBL3.0 x=<xuid>;<MintDevToken(secret, xuid)>".
std::string DevAuthorizationHeader(std::string_view secret, std::string_view xuid);

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

class Authenticator {
 public:
  // REQUIRES: mode == kNone or secret.size() >= kMinSecretBytes.
  Authenticator(AuthMode mode, std::string secret);

  // The caller's xuid for an Authorization header value (empty view: no
  // header). In none mode a missing header yields "" (unknown caller) and
  // the token is not checked. Errors (HTTP 401): kInvalidArgument.
  StatusOr<std::string> Authenticate(std::string_view header) const;

  AuthMode mode() const { return mode_; }
  const std::string& secret() const { return secret_; }

 private:
  // Constant after construction.
  const AuthMode mode_;
  const std::string secret_;
};

}  // namespace sessionrig::sessiond
