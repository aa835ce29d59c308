#include "sessiond/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <utility>

namespace sessionrig::sessiond {
namespace {

// Longest xuid accepted, digits (a 64-bit unsigned has 20).
constexpr std::size_t kMaxXuidDigits = 20;

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

bool IsXuid(std::string_view s) {
  return !s.empty() && s.size() <= kMaxXuidDigits &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const char* AuthModeName(AuthMode mode) { return mode == AuthMode::kDev ? "dev" : "none"; }

std::string MintDevToken(std::string_view secret, std::string_view xuid) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(xuid.data()), xuid.size(), mac.data(), &mac_len);
  return Hex(mac.data(), mac_len);
}

std::string DevAuthorizationHeader(std::string_view secret, std::string_view xuid) {
  std::string out = "XBL3.0 x=";
  out.append(xuid);
  out.push_back(';');
  out += MintDevToken(secret, xuid);
  return out;
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
    return Status(StatusCode::kInvalidArgument, "Authorization xuid is not a decimal number");
  }
  if (out.token.empty())
    return Status(StatusCode::kInvalidArgument, "Authorization token is empty");
  return out;
}

Authenticator::Authenticator(AuthMode mode, std::string secret)
    : mode_(mode), secret_(std::move(secret)) {}

StatusOr<std::string> Authenticator::Authenticate(std::string_view header) const {
  if (header.empty()) {
    if (mode_ == AuthMode::kNone) return std::string();
    return Status(StatusCode::kInvalidArgument, "missing Authorization header");
  }
  auto creds = ParseXblAuthorization(header);
  if (!creds.ok()) return creds.status();
  if (mode_ == AuthMode::kNone) return std::move(creds->xuid);
  const std::string expected = MintDevToken(secret_, creds->xuid);
  if (creds->token.size() != expected.size() ||
      CRYPTO_memcmp(creds->token.data(), expected.data(), expected.size()) != 0) {
    return Status(StatusCode::kInvalidArgument, "invalid token for xuid " + creds->xuid);
  }
  return std::move(creds->xuid);
}

}  // namespace sessionrig::sessiond
