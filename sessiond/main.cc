// sessiond: the reference MPSD-compatible session directory server.
//
//   sessiond [--listen 127.0.0.1:PORT] [--metrics-addr HOST:PORT]
//            [--threads N] [--auth dev|none] [--secret-file F]
//            [--inject SPEC]... [limit flags]
//
// Prints "sessiond listening on HOST:PORT" on stdout once ready (the real
// port when PORT is 0), logs one-line records on stderr, and exits 0 after
// SIGTERM/SIGINT once in-flight requests are done. Bad flags: a message
// naming the flag, exit 1.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "sessiond/auth.h"
#include "sessiond/faults.h"
#include "sessiond/log.h"
#include "sessiond/server.h"

namespace {

using sessionrig::Status;
using sessionrig::StatusCode;
using sessionrig::StatusOr;
namespace sd = sessionrig::sessiond;

constexpr std::uint16_t kDefaultPort = 8080;

// "HOST:PORT" or "[V6]:PORT" -> host, port.
Status ParseHostPort(const std::string& text, std::string* host, std::uint16_t* port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return Status(StatusCode::kInvalidArgument, "expected HOST:PORT, got \"" + text + "\"");
  }
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = text.substr(colon + 1);
  unsigned long value = 0;
  for (char c : p) {
    if (c < '0' || c > '9' || value > 65535) {
      return Status(StatusCode::kInvalidArgument, "bad port in \"" + text + "\"");
    }
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value > 65535 || h.empty())
    return Status(StatusCode::kInvalidArgument, "bad HOST:PORT \"" + text + "\"");
  *host = h;
  *port = static_cast<std::uint16_t>(value);
  return Status::Ok();
}

int Fail(const std::string& flag, const std::string& message) {
  std::cerr << "sessiond: " << flag << ": " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sessiond: reference MPSD-compatible session directory server"};
  std::string listen = "127.0.0.1:" + std::to_string(kDefaultPort);
  std::string metrics_addr;
  unsigned threads = 0;
  std::string auth = "dev";
  std::string secret_file;
  std::vector<std::string> inject;
  sd::Limits limits;
  auto ms = [](std::chrono::milliseconds d) { return static_cast<std::size_t>(d.count()); };
  std::size_t idle_timeout_ms = ms(limits.idle_timeout);
  std::size_t header_timeout_ms = ms(limits.header_timeout);
  std::size_t body_timeout_ms = ms(limits.body_timeout);
  std::size_t linger_ms = ms(limits.linger_time);
  std::size_t linger_idle_ms = ms(limits.linger_idle_timeout);

  app.add_option("--listen", listen, "HOST:PORT to serve on (PORT 0: a free port)")
      ->capture_default_str();
  app.add_option("--metrics-addr", metrics_addr,
                 "HOST:PORT for Prometheus /metrics (default: off)");
  app.add_option("--threads", threads, "io threads (default: number of cores)")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--auth", auth, "dev: HMAC tokens under the server secret; none: no checks")
      ->check(CLI::IsMember({"dev", "none"}))
      ->capture_default_str();
  app.add_option("--secret-file", secret_file,
                 "dev-auth secret; created with a fresh secret if it does not exist");
  app.add_option("--inject", inject, "fault spec, repeatable (see sessiond/README.md)");
  app.add_option("--max-body-bytes", limits.max_body_bytes, "largest request body, bytes (413)")
      ->check(CLI::Range(std::size_t{2}, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-sessions", limits.max_sessions, "most sessions stored (503 beyond)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}))
      ->capture_default_str();
  app.add_option("--max-connections", limits.max_connections, "most open connections (503 beyond)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", idle_timeout_ms,
                 "close keep-alive connections idle this long, ms")
      ->check(CLI::Range(std::size_t{1}, std::size_t{86400000}))
      ->capture_default_str();
  app.add_option("--max-connections-per-peer", limits.max_connections_per_peer,
                 "most open connections from one peer address (503 beyond; default 0: "
                 "--max-connections minus 1/64 of it)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000000}))
      ->capture_default_str();
  app.add_option("--header-timeout-ms", header_timeout_ms,
                 "a request's header must be complete this long after its first byte, ms (408)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{86400000}))
      ->capture_default_str();
  app.add_option("--body-timeout-ms", body_timeout_ms,
                 "a request's body must be complete this long after its header, ms (408)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{86400000}))
      ->capture_default_str();
  app.add_option("--linger-max-bytes", limits.linger_max_bytes,
                 "lingering close: discard at most this many bytes a client still sends after "
                 "a closing response")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 34))
      ->capture_default_str();
  app.add_option("--linger-ms", linger_ms,
                 "lingering close: at most this long in all, ms (0: close at once)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{3600000}))
      ->capture_default_str();
  app.add_option("--linger-idle-ms", linger_idle_ms,
                 "lingering close: wait at most this long for the client's next bytes, ms")
      ->check(CLI::Range(std::size_t{1}, std::size_t{3600000}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "sessiond: " << e.what() << "\n";
    return 1;
  }

  sd::ServerOptions options;
  options.limits = limits;
  options.limits.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  options.limits.header_timeout = std::chrono::milliseconds(header_timeout_ms);
  options.limits.body_timeout = std::chrono::milliseconds(body_timeout_ms);
  options.limits.linger_time = std::chrono::milliseconds(linger_ms);
  options.limits.linger_idle_timeout = std::chrono::milliseconds(linger_idle_ms);
  if (Status s = ParseHostPort(listen, &options.listen_host, &options.listen_port); !s.ok()) {
    return Fail("--listen", s.message());
  }
  if (!metrics_addr.empty()) {
    std::string host;
    std::uint16_t port = 0;
    if (Status s = ParseHostPort(metrics_addr, &host, &port); !s.ok()) {
      return Fail("--metrics-addr", s.message());
    }
  }
  options.metrics_addr = metrics_addr;
  options.threads = threads;
  options.auth = auth == "none" ? sd::AuthMode::kNone : sd::AuthMode::kDev;
  if (auto plan = sd::ParseFaultSpecs(inject); !plan.ok())
    return Fail("--inject", plan.status().message());
  options.inject = inject;

  bool generated_secret = false;
  if (options.auth == sd::AuthMode::kDev) {
    if (!secret_file.empty() && std::filesystem::exists(secret_file)) {
      auto secret = sd::ReadSecretFile(secret_file);
      if (!secret.ok()) return Fail("--secret-file", secret.status().message());
      options.secret = std::move(secret).value();
    } else {
      auto secret = sd::GenerateSecret();
      if (!secret.ok()) return Fail("--secret-file", secret.status().message());
      options.secret = std::move(secret).value();
      generated_secret = true;
      if (!secret_file.empty()) {
        if (Status s = sd::WriteSecretFile(secret_file, options.secret); !s.ok()) {
          return Fail("--secret-file", s.message());
        }
      }
    }
  } else {
    sd::LogLine("warn", "authentication disabled (--auth none): any caller may act as any xuid");
  }

  // SIGTERM/SIGINT are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = sd::Server::Start(options);
  if (!server.ok()) {
    const StatusCode code = server.status().code();
    return Fail(code == StatusCode::kInvalidArgument ? "options" : "--listen/--metrics-addr",
                server.status().message());
  }
  sd::Server& s = **server;
  if (generated_secret) {
    if (secret_file.empty()) {
      sd::LogLine(
          "info",
          "generated dev secret (mint tokens with sessionctl token --xuid X --secret-file F "
          "after saving it to F)",
          {{"secret", s.secret()}});
    } else {
      sd::LogLine("info", "generated dev secret", {{"secret_file", secret_file}});
    }
  }
  const std::string addr = s.host() + ":" + std::to_string(s.port());
  sd::LogLine("info", "listening",
              {{"addr", addr},
               {"threads", std::to_string(options.threads == 0 ? std::thread::hardware_concurrency()
                                                               : options.threads)},
               {"auth", sd::AuthModeName(options.auth)},
               {"metrics", s.metrics_port() == 0 ? std::string("off") : metrics_addr},
               {"metrics_port", std::to_string(s.metrics_port())},
               {"faults", std::to_string(inject.size())}});
  std::printf("sessiond listening on %s\n", addr.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  sd::LogLine("info", "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  s.Stop();
  sd::LogLine("info", "stopped");
  return 0;
}
