#include "loadgen/target.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "sessiond/faults.h"

namespace sessionrig::loadgen {

namespace {

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

StatusOr<Target> StartTarget(Config* config) {
  Target target;
  if (config->target.empty()) {
    if (StatusOr<sessiond::FaultPlan> plan = sessiond::ParseFaultSpecs(config->inject);
        !plan.ok()) {
      return Status(StatusCode::kInvalidArgument, "--inject: " + plan.status().message());
    }
    sessiond::ServerOptions so;
    so.threads = config->server_threads;
    // The run is over when the server stops: do not wait for requests a
    // stall fault still holds.
    so.limits.shutdown_grace = std::chrono::milliseconds(200);
    so.metrics_addr = config->sessiond_metrics_addr;
    StatusOr<std::unique_ptr<sessiond::Server>> started = sessiond::Server::Start(so);
    if (!started.ok()) {
      return Status(started.status().code(), std::string(config->sessiond_metrics_addr.empty()
                                                             ? "embedded sessiond: "
                                                             : "--sessiond-metrics-addr: ") +
                                                 started.status().message());
    }
    target.server = std::move(started).value();
    target.endpoint = target.server->base_url();
    target.users.reserve(config->users);
    for (std::uint32_t u = 0; u < config->users; ++u) {
      UserCredential c;
      c.xuid = EmbeddedXuid(u);
      c.authorization = target.server->AuthorizationFor(std::to_string(c.xuid));
      target.users.push_back(std::move(c));
    }
    return target;
  }
  target.endpoint = config->target;
  StatusOr<std::string> text = ReadFile(config->token_file);
  if (!text.ok()) {
    return Status(StatusCode::kInvalidArgument, "--token-file: " + text.status().message());
  }
  StatusOr<std::vector<UserCredential>> parsed = ParseTokenFile(*text);
  if (!parsed.ok()) {
    return Status(StatusCode::kInvalidArgument,
                  "--token-file " + config->token_file + ": " + parsed.status().message());
  }
  target.users = std::move(parsed).value();
  if (config->set_fields.count("users") > 0) {
    if (config->users > target.users.size()) {
      return Status(StatusCode::kInvalidArgument, "--users: " + std::to_string(config->users) +
                                                      " users but --token-file has " +
                                                      std::to_string(target.users.size()));
    }
    target.users.resize(config->users);
  }
  config->users = static_cast<std::uint32_t>(target.users.size());
  return target;
}

}  // namespace sessionrig::loadgen
