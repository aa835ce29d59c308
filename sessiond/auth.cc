#include "sessiond/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <time.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <utility>

#include "sessiond/merge.h"

namespace sessionrig::sessiond {
namespace {

using SystemClock = std::chrono::system_clock;

// Length of a MAC in hex (SHA-256: 32 bytes).
constexpr std::size_t kMacHexChars = 64;
// Longest expiry accepted, digits (int64 has 19; tokens carry 10 until 2286).
constexpr std::size_t kMaxExpiryDigits = 18;

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The MAC a dev token carries: over "<xuid>:<expiry>", so neither the xuid
// nor the expiry can be changed without the secret.
std::string TokenMac(std::string_view secret, std::string_view xuid, std::string_view expiry) {
  std::string message(xuid);
  message.push_back(':');
  message.append(expiry);
  return HmacSha256Hex(secret, message);
}

// "2024-01-02T03:04:05Z".
std::string UnixToIso8601(std::int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm_utc {};
  if (gmtime_r(&t, &tm_utc) == nullptr) return std::to_string(unix_s);
  char buf[40];
  const std::size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
  return std::string(buf, n);
}

double UnixSeconds(SystemClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

const char* AuthModeName(AuthMode mode) { return mode == AuthMode::kDev ? "dev" : "none"; }

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
       &mac_len);
  return Hex(mac.data(), mac_len);
}

std::int64_t TokenExpiryAfter(std::chrono::microseconds ttl, SystemClock::time_point now) {
  const auto at = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) +
                  std::max(ttl, std::chrono::microseconds(0));
  const std::int64_t us = at.count();
  return us / 1'000'000 + (us % 1'000'000 > 0 ? 1 : 0);
}

std::string MintDevToken(std::string_view secret, std::string_view xuid,
                         std::int64_t expiry_unix_s) {
  const std::string expiry = std::to_string(expiry_unix_s);
  return expiry + "." + TokenMac(secret, xuid, expiry);
}

std::string MintDevToken(std::string_view secret, std::string_view xuid) {
  return MintDevToken(secret, xuid, TokenExpiryAfter(kDefaultTokenTtl, SystemClock::now()));
}

std::string DevAuthorizationHeader(std::string_view secret, std::string_view xuid,
                                   std::int64_t expiry_unix_s) {
  std::string out = "XBL3.0 x=";
  out.append(xuid);
  out.push_back(';');
  out += MintDevToken(secret, xuid, expiry_unix_s);
  return out;
}

std::string DevAuthorizationHeader(std::string_view secret, std::string_view xuid) {
  return DevAuthorizationHeader(secret, xuid,
                                TokenExpiryAfter(kDefaultTokenTtl, SystemClock::now()));
}

StatusOr<std::chrono::microseconds> ParseTokenTtl(std::string_view text) {
  const std::string quoted = "\"" + std::string(text.substr(0, 40)) + "\"";
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  const std::string_view number = text.substr(0, i);
  const std::string_view unit = text.substr(i);
  if (number.empty() || number == "." || std::count(number.begin(), number.end(), '.') > 1) {
    return Status(StatusCode::kInvalidArgument,
                  quoted + " is not a duration (a number with a unit us, ms, s, m or h)");
  }
  double scale_us = 0;
  if (unit.empty() || unit == "s") {
    scale_us = 1e6;
  } else if (unit == "us") {
    scale_us = 1;
  } else if (unit == "ms") {
    scale_us = 1e3;
  } else if (unit == "m") {
    scale_us = 60e6;
  } else if (unit == "h") {
    scale_us = 3600e6;
  } else {
    return Status(
        StatusCode::kInvalidArgument,
        quoted + ": unknown unit \"" + std::string(unit.substr(0, 8)) + "\" (us, ms, s, m or h)");
  }
  // Digits and one '.': strtod cannot fail, and cannot read past the number.
  const double value = std::strtod(std::string(number).c_str(), nullptr) * scale_us;
  const double max_us = static_cast<double>(kMaxTokenTtl.count()) * 1e6;
  if (!(value >= 1.0)) {
    return Status(StatusCode::kInvalidArgument, quoted + ": a token lifetime must be positive");
  }
  if (value > max_us) {
    return Status(StatusCode::kInvalidArgument,
                  quoted + ": longer than the longest token lifetime (100 days)");
  }
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(value)));
}

StatusOr<std::string> GenerateSecret() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Status(StatusCode::kInternal, "RAND_bytes failed");
  }
  return Hex(bytes.data(), bytes.size());
}

StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot open secret file " + path);
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == ' ' || secret.back() == '\t')) {
    secret.pop_back();
  }
  if (secret.size() < kMinSecretBytes) {
    return Status(StatusCode::kInvalidArgument,
                  "secret file " + path + " holds " + std::to_string(secret.size()) +
                      " bytes; at least " + std::to_string(kMinSecretBytes) + " needed");
  }
  return secret;
}

Status WriteSecretFile(const std::string& path, std::string_view secret) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status(StatusCode::kInvalidArgument, "cannot create secret file " + path);
  std::string text(secret);
  text.push_back('\n');
  const ssize_t n = ::write(fd, text.data(), text.size());
  const bool ok = n == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return Status(StatusCode::kInvalidArgument, "cannot write secret file " + path);
  return Status::Ok();
}

StatusOr<XblCredentials> ParseXblAuthorization(std::string_view header) {
  constexpr std::string_view kPrefix = "XBL3.0 x=";
  if (header.substr(0, kPrefix.size()) != kPrefix) {
    return Status(StatusCode::kInvalidArgument,
                  "Authorization must be \"XBL3.0 x=<xuid>;<token>\"");
  }
  header.remove_prefix(kPrefix.size());
  const std::size_t semi = header.find(';');
  if (semi == std::string_view::npos) {
    return Status(StatusCode::kInvalidArgument, "Authorization has no ';<token>' after the xuid");
  }
  XblCredentials out{std::string(header.substr(0, semi)), std::string(header.substr(semi + 1))};
  if (!IsXuid(out.xuid)) {
    return Status(StatusCode::kInvalidArgument,
                  "Authorization xuid is not a decimal uint64 without leading zeros");
  }
  if (out.token.empty())
    return Status(StatusCode::kInvalidArgument, "Authorization token is empty");
  return out;
}

// An HMAC-SHA256 context keyed once. HMAC() re-fetches the algorithm and
// re-derives the key pads on every call (most of a request's auth cost);
// a copy of this context starts from the keyed state.
class Authenticator::KeyedMac {
 public:
  explicit KeyedMac(std::string_view key) {
    mac_ = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    ctx_ = mac_ != nullptr ? EVP_MAC_CTX_new(mac_) : nullptr;
    char digest[] = OSSL_DIGEST_NAME_SHA2_256;
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    if (ctx_ == nullptr || EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()),
                                        key.size(), params) != 1) {
      Free();  // Hex2 then declines and Mac falls back to the one-shot HMAC
    }
  }
  ~KeyedMac() { Free(); }
  KeyedMac(const KeyedMac&) = delete;
  KeyedMac& operator=(const KeyedMac&) = delete;

  // hex(HMAC-SHA256(key, a + ':' + b)) into *out; false if the keyed context
  // could not be set up or copied.
  bool Hex2(std::string_view a, std::string_view b, std::string* out) const {
    if (ctx_ == nullptr) return false;
    EVP_MAC_CTX* c = EVP_MAC_CTX_dup(ctx_);
    if (c == nullptr) return false;
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t mac_len = 0;
    const bool ok =
        EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(a.data()), a.size()) == 1 &&
        EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(":"), 1) == 1 &&
        EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(b.data()), b.size()) == 1 &&
        EVP_MAC_final(c, mac.data(), &mac_len, mac.size()) == 1;
    EVP_MAC_CTX_free(c);
    if (ok) *out = Hex(mac.data(), mac_len);
    return ok;
  }

 private:
  void Free() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
    ctx_ = nullptr;
    mac_ = nullptr;
  }

  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;  // keyed; only ever copied after construction
};

Authenticator::Authenticator(AuthMode mode, std::string secret)
    : mode_(mode),
      secret_(std::move(secret)),
      mac_(mode_ == AuthMode::kDev ? std::make_shared<const KeyedMac>(secret_) : nullptr) {}

std::string Authenticator::Mac(std::string_view xuid, std::string_view expiry) const {
  std::string out;
  if (mac_ != nullptr && mac_->Hex2(xuid, expiry, &out)) return out;
  return TokenMac(secret_, xuid, expiry);
}

StatusOr<std::string> Authenticator::Authenticate(std::string_view header) const {
  return Authenticate(header, SystemClock::now(), nullptr);
}

StatusOr<std::string> Authenticator::Authenticate(std::string_view header,
                                                  SystemClock::time_point now) const {
  return Authenticate(header, now, nullptr);
}

StatusOr<std::string> Authenticator::Authenticate(std::string_view header,
                                                  SystemClock::time_point now,
                                                  VerifiedToken* cache) const {
  if (cache != nullptr && mode_ == AuthMode::kDev && !header.empty() && header == cache->header &&
      UnixSeconds(now) < static_cast<double>(cache->expiry_s)) {
    return cache->xuid;
  }
  if (header.empty()) {
    if (mode_ == AuthMode::kNone) return std::string();
    return Status(StatusCode::kInvalidArgument, "missing Authorization header");
  }
  auto creds = ParseXblAuthorization(header);
  if (!creds.ok()) return creds.status();
  if (mode_ == AuthMode::kNone) return std::move(creds->xuid);
  const std::string_view token = creds->token;
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) {
    if (token.size() == kMacHexChars && IsLowerHex(token)) {
      return Status(StatusCode::kInvalidArgument,
                    "token for xuid " + creds->xuid +
                        " has no expiry (the format before dev tokens expired); mint a new one "
                        "with sessionctl token");
    }
    return Status(StatusCode::kInvalidArgument,
                  "invalid token for xuid " + creds->xuid + " (want <expiry>.<mac>)");
  }
  const std::string_view expiry_text = token.substr(0, dot);
  const std::string_view mac = token.substr(dot + 1);
  std::int64_t expiry = 0;
  if (expiry_text.size() > kMaxExpiryDigits || !IsDigits(expiry_text) ||
      std::from_chars(expiry_text.data(), expiry_text.data() + expiry_text.size(), expiry).ec !=
          std::errc()) {
    return Status(StatusCode::kInvalidArgument,
                  "invalid token for xuid " + creds->xuid + " (the expiry is not unix seconds)");
  }
  const std::string expected = Mac(creds->xuid, expiry_text);
  if (mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return Status(StatusCode::kInvalidArgument, "invalid token for xuid " + creds->xuid);
  }
  // Checked only once the MAC holds: the expiry is then the one minted.
  const double now_s = UnixSeconds(now);
  if (now_s >= static_cast<double>(expiry)) {
    char ago[32];
    std::snprintf(ago, sizeof(ago), "%.0f", std::floor(now_s - static_cast<double>(expiry)));
    return Status(StatusCode::kInvalidArgument, "token for xuid " + creds->xuid + " expired at " +
                                                    UnixToIso8601(expiry) + " (" + ago +
                                                    " s ago); mint a fresh one (sessionctl token)");
  }
  if (cache != nullptr) {
    cache->header.assign(header);
    cache->xuid = creds->xuid;
    cache->expiry_s = expiry;
  }
  return std::move(creds->xuid);
}

}  // namespace sessionrig::sessiond
