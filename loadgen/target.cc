#include "loadgen/target.h"

#include <chrono>
#include <utility>

#include "sessiond/faults.h"

namespace sessionrig::loadgen {

StatusOr<Target> StartTarget(Config* config, std::shared_ptr<Credentials> credentials) {
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
    // Dev tokens expire: these outlive the run by an hour.
    const auto token_ttl = config->warmup + MainDuration(*config) + std::chrono::hours(1);
    for (std::uint32_t u = 0; u < config->users; ++u) {
      UserCredential c;
      c.xuid = EmbeddedXuid(u);
      c.authorization = target.server->AuthorizationFor(std::to_string(c.xuid), token_ttl);
      target.users.push_back(std::move(c));
    }
    return target;
  }
  target.endpoint = config->target;
  if (credentials == nullptr) {
    StatusOr<std::vector<UserCredential>> read =
        ReadUsers(config->token_file, config->token_command);
    if (!read.ok()) return read.status();
    credentials = std::make_shared<Credentials>(*read);
    target.users = std::move(read).value();
  } else {
    target.users = credentials->Users();
  }
  target.credentials = std::move(credentials);
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
