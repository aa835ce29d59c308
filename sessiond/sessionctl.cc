// sessionctl: a small client for sessiond (and MPSD-shaped endpoints).
//
//   sessionctl token --xuid X [--secret-file F] [--ttl 1h] [--count N] [--raw]
//   sessionctl get URL [--xuid X --secret-file F | --authorization H]
//                      [--if-none-match ETAG] [--contract-version V]
//   sessionctl put URL --body JSON [--if-match ETAG] [--if-none-match ETAG]
//                      [--xuid X --secret-file F | --authorization H]
//
// `token` prints an Authorization header value ("XBL3.0 x=X;TOKEN"; with
// --raw only TOKEN), valid for --ttl (us, ms, s, m or h, decimals allowed;
// default 1h). --count N prints N lines, for xuids X, X+1, ..., X+N-1:
// loadgen's --token-file format, so `sessionctl token ... --count N` can be
// loadgen's --token-command. get/put print "HTTP <status>", the ETag line if any,
// then the body. Exit: 0 for 2xx/304, 2 for any other HTTP status, 1 for
// usage or transport errors. --secret-file falls back to
// $SESSIOND_SECRET_FILE.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "sessiond/auth.h"
#include "sessiond/mini_client.h"

namespace {

namespace sd = sessionrig::sessiond;

struct CommonFlags {
  std::string url;
  std::string xuid;
  std::string secret_file;
  std::string authorization;
  std::string contract_version = "107";
  int timeout_ms = 10000;
};

void AddCommon(CLI::App* cmd, CommonFlags* f) {
  cmd->add_option("url", f->url, "http://HOST:PORT/serviceconfigs/.../sessions/NAME")->required();
  cmd->add_option("--xuid", f->xuid, "act as this user (token minted with --secret-file)");
  cmd->add_option("--secret-file", f->secret_file, "the sessiond dev secret")
      ->envname("SESSIOND_SECRET_FILE");
  cmd->add_option("--authorization", f->authorization,
                  "send this Authorization header value as is");
  cmd->add_option("--contract-version", f->contract_version, "x-xbl-contract-version")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", f->timeout_ms, "per-call timeout, ms")
      ->check(CLI::Range(1, 3600000));
}

int Run(const CommonFlags& f, const std::string& method, const sessionrig::HeaderList& extra,
        const std::string& body) {
  auto url = sd::ParseHttpUrl(f.url);
  if (!url.ok()) {
    std::cerr << "sessionctl: url: " << url.status().message() << "\n";
    return 1;
  }
  sessionrig::HeaderList headers = {{"x-xbl-contract-version", f.contract_version}};
  if (!f.authorization.empty()) {
    headers.emplace_back("Authorization", f.authorization);
  } else if (!f.xuid.empty()) {
    if (f.secret_file.empty()) {
      std::cerr << "sessionctl: --xuid: needs --secret-file (or $SESSIOND_SECRET_FILE)\n";
      return 1;
    }
    auto secret = sd::ReadSecretFile(f.secret_file);
    if (!secret.ok()) {
      std::cerr << "sessionctl: --secret-file: " << secret.status().message() << "\n";
      return 1;
    }
    headers.emplace_back("Authorization", sd::DevAuthorizationHeader(*secret, f.xuid));
  }
  for (const auto& h : extra) headers.push_back(h);
  if (method == "PUT") headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  auto conn =
      sd::HttpConnection::Connect(url->host, url->port, std::chrono::milliseconds(f.timeout_ms));
  if (!conn.ok()) {
    std::cerr << "sessionctl: " << conn.status().message() << "\n";
    return 1;
  }
  auto res = conn->Request(method, url->target, headers, body);
  if (!res.ok()) {
    std::cerr << "sessionctl: " << res.status().ToString() << "\n";
    return 1;
  }
  std::cout << "HTTP " << res->status << "\n";
  if (res->HasHeader("etag")) std::cout << "ETag: " << res->Header("etag") << "\n";
  if (res->HasHeader("retry-after"))
    std::cout << "Retry-After: " << res->Header("retry-after") << "\n";
  if (!res->body.empty()) {
    std::cout << res->body;
    if (res->body.back() != '\n') std::cout << "\n";
  }
  return (res->status / 100 == 2 || res->status == 304) ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sessionctl: talk to sessiond"};
  app.require_subcommand(1);

  std::string token_xuid;
  std::string token_secret_file;
  std::string token_ttl = "1h";
  std::uint32_t token_count = 1;
  bool raw = false;
  CLI::App* token = app.add_subcommand("token", "mint a dev-auth Authorization value");
  token->add_option("--xuid", token_xuid, "decimal xuid (the first, with --count)")->required();
  token->add_option("--secret-file", token_secret_file, "the sessiond dev secret")
      ->envname("SESSIOND_SECRET_FILE");
  token
      ->add_option("--ttl", token_ttl,
                   "lifetime: a number with us, ms, s, m or h (at most 100 days)")
      ->capture_default_str();
  token->add_option("--count", token_count, "mint for this many consecutive xuids, one per line")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  token->add_flag("--raw", raw, "print only the token");

  CommonFlags get_flags;
  std::string get_if_none_match;
  CLI::App* get = app.add_subcommand("get", "GET a session");
  AddCommon(get, &get_flags);
  get->add_option("--if-none-match", get_if_none_match, "send If-None-Match");

  CommonFlags put_flags;
  std::string body;
  std::string if_match;
  std::string if_none_match;
  CLI::App* put = app.add_subcommand("put", "PUT a delta to a session");
  AddCommon(put, &put_flags);
  put->add_option("--body", body, "the JSON delta")->required();
  put->add_option("--if-match", if_match, "send If-Match (an ETag, or *)");
  put->add_option("--if-none-match", if_none_match, "send If-None-Match (usually *)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "sessionctl: " << e.what() << "\n";
    return 1;
  }

  if (token->parsed()) {
    if (token_secret_file.empty()) {
      std::cerr << "sessionctl: --secret-file: required (or set $SESSIOND_SECRET_FILE)\n";
      return 1;
    }
    auto secret = sd::ReadSecretFile(token_secret_file);
    if (!secret.ok()) {
      std::cerr << "sessionctl: --secret-file: " << secret.status().message() << "\n";
      return 1;
    }
    auto creds = sd::ParseXblAuthorization("XBL3.0 x=" + token_xuid + ";t");
    std::uint64_t first = 0;
    const char* end = token_xuid.data() + token_xuid.size();
    const auto [parsed_end, parse_ec] = std::from_chars(token_xuid.data(), end, first);
    if (!creds.ok() || parse_ec != std::errc() || parsed_end != end ||
        first > UINT64_MAX - (token_count - 1)) {
      std::cerr << "sessionctl: --xuid: must be a decimal xuid (below 2^64 - --count)\n";
      return 1;
    }
    auto ttl = sd::ParseTokenTtl(token_ttl);
    if (!ttl.ok()) {
      std::cerr << "sessionctl: --ttl: " << ttl.status().message() << "\n";
      return 1;
    }
    const std::int64_t expiry = sd::TokenExpiryAfter(*ttl, std::chrono::system_clock::now());
    std::string out;
    for (std::uint64_t i = 0; i < token_count; ++i) {
      const std::string xuid = std::to_string(first + i);
      out += raw ? sd::MintDevToken(*secret, xuid, expiry)
                 : sd::DevAuthorizationHeader(*secret, xuid, expiry);
      out += "\n";
    }
    std::cout << out;
    std::cout.flush();
    return std::cout ? 0 : 1;
  }
  if (get->parsed()) {
    sessionrig::HeaderList extra;
    if (!get_if_none_match.empty()) extra.emplace_back("If-None-Match", get_if_none_match);
    return Run(get_flags, "GET", extra, "");
  }
  sessionrig::HeaderList extra;
  if (!if_match.empty()) extra.emplace_back("If-Match", if_match);
  if (!if_none_match.empty()) extra.emplace_back("If-None-Match", if_none_match);
  return Run(put_flags, "PUT", extra, body);
}
