// loadgen/target.h: what a run writes to and as whom. Without --target,
// a sessiond embedded in this process (one io thread by default, its own
// /metrics with --sessiond-metrics-addr) and users whose dev tokens
// loadgen mints itself; with --target, the URL and the users of
// --token-file.
//
// Thread-safety: StartTarget is called once, on the runner's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "loadgen/config.h"
#include "loadgen/users.h"
#include "sessiond/server.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

struct Target {
  std::unique_ptr<sessiond::Server> server;  // the embedded sessiond; null with --target
  std::string endpoint;                      // base URL
  std::vector<UserCredential> users;         // every shard's users, in order
  // With --target: the users' current tokens, which a refresh (users.h)
  // replaces during the run; workers read them per request. Null for the
  // embedded sessiond, whose tokens loadgen mints to outlive the run.
  std::shared_ptr<Credentials> credentials;
};

// Starts the target of `config`. The embedded sessiond's faults (--inject)
// are only checked here: the runner installs them when the run starts, so
// that a stall's `at` counts from the start of the run. With --target,
// config->users becomes the number of users read (--users, when given,
// keeps that many of them). Errors, naming the flag: kInvalidArgument
// (--inject, --token-file, --users), kUnavailable (the embedded sessiond or
// --sessiond-metrics-addr cannot bind).
// `credentials`, when not null, are the --target users and their tokens as
// the caller keeps them fresh (loadgen's --token-refresh and SIGHUP); when
// null, StartTarget reads --token-file or runs --token-command once.
StatusOr<Target> StartTarget(Config* config, std::shared_ptr<Credentials> credentials = nullptr);

}  // namespace sessionrig::loadgen
