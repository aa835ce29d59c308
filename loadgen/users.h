// loadgen/users.h: who the load generator acts as. Against the embedded
// sessiond loadgen mints a dev token for each user itself; against
// --target it reads one Authorization value per user from --token-file, or
// from what --token-command prints.
//
// Tokens expire (sessiond's dev tokens after `sessionctl token --ttl`, the
// real service's after hours), so a long run replaces them while it runs:
// Credentials holds the current value per user and can be replaced at any
// time; each worker reads it through its own CredentialReader, which the
// core calls as the contexts' token provider (SrContextArgs::TokenProvider)
// on every request. CredentialRefresher re-reads the source every
// --token-refresh and whenever asked (loadgen's SIGHUP handler sets the flag
// it watches).
//
// Thread-safety: ParseTokenFile, ReadUsers are pure / self-contained.
// Credentials is thread-safe. A CredentialReader is used by one thread at a
// time (its worker). CredentialRefresher: Start/Stop from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sessionrig/sessionrig_c.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

struct UserCredential {
  std::uint64_t xuid = 0;
  std::string authorization;  // the Authorization header value
};

// The xuid of embedded user `index` (0-based): 2533274790400001 + index.
inline std::uint64_t EmbeddedXuid(std::uint64_t index) { return 2533274790400001ull + index; }

// Parses --token-file contents: one user per line, either
//   "<xuid> <Authorization value>"          (any scheme; e.g. a real XBL3.0 token)
//   "XBL3.0 x=<xuid>;<token>"               (what `sessionctl token` prints)
// Blank lines and lines starting with '#' are skipped; surrounding spaces
// and a trailing '\r' are ignored. Errors: kInvalidArgument naming the line
// ("line 3: ..."), no users, or one xuid listed twice.
StatusOr<std::vector<UserCredential>> ParseTokenFile(std::string_view text);

// Longest a --token-command may run, and most bytes it may print.
inline constexpr std::chrono::seconds kTokenCommandTimeout{30};
inline constexpr std::size_t kMaxTokenTextBytes = std::size_t{64} << 20;

// Reads the users from exactly one source: `token_file` (its contents) or
// `token_command` (run with /bin/sh -c; its standard output, in the same
// format; its standard error passes through). Errors: kInvalidArgument
// whose message starts with the flag: "--token-file: cannot read F",
// "--token-file F: line 2: ...", "--token-command: exited with status 3",
// "--token-command: did not finish within 30 s", "--token-command: line 1: ...".
StatusOr<std::vector<UserCredential>> ReadUsers(const std::string& token_file,
                                                const std::string& token_command);

// The current Authorization value of every user of a run.
class Credentials {
 public:
  explicit Credentials(const std::vector<UserCredential>& users);
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  // Replaces the values with those in `fresh`, which must name every user
  // of the run (users it adds are ignored: the run's users are fixed).
  // Errors: kInvalidArgument naming a missing xuid; nothing changes then.
  Status Replace(const std::vector<UserCredential>& fresh);

  // The users in the order they were given, with their current values.
  std::vector<UserCredential> Users() const;
  // The current value of `xuid`'s Authorization ("" for a user not in the run).
  std::string Find(std::uint64_t xuid) const;
  // How many times the values were replaced.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  friend class CredentialReader;
  using Table = std::unordered_map<std::uint64_t, std::string>;

  std::shared_ptr<const Table> Snapshot() const;

  std::vector<std::uint64_t> order_;  // constant after construction
  mutable std::mutex mu_;
  std::shared_ptr<const Table> table_;  // Guarded by mu_; replaced whole, never changed
  std::atomic<std::uint64_t> generation_{0};
};

// One worker's view of a Credentials: lock-free while nothing changed (an
// atomic load), one short lock after each Replace.
class CredentialReader {
 public:
  // `source` must outlive the reader.
  explicit CredentialReader(const Credentials* source);

  // Copies `xuid`'s current value and a NUL into `buffer`. False for an
  // unknown xuid or a buffer too small.
  bool Get(std::uint64_t xuid, char* buffer, std::size_t size);

  // SrAuthTokenProvider over Get: `reader` is a CredentialReader*. E_FAIL
  // for an unknown xuid or a buffer too small (the call then fails).
  static HRESULT CALLBACK Provide(void* reader, uint64_t xuid, char* buffer,
                                  size_t buffer_size) noexcept;

 private:
  const Credentials* const source_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<const Credentials::Table> table_;
};

// Re-reads the users (ReadUsers) and Replace()s the credentials every
// `period` (0: never by itself) and soon after `*request` is set (it is
// cleared then). A failed re-read keeps the old values and is reported on
// `log` (if not null), as is each refresh.
class CredentialRefresher {
 public:
  struct Options {
    std::string token_file;
    std::string token_command;
    std::chrono::microseconds period{0};
    std::atomic<bool>* request = nullptr;  // e.g. set by a SIGHUP handler
    std::ostream* log = nullptr;           // one line per refresh or failure
  };

  CredentialRefresher(std::shared_ptr<Credentials> credentials, Options options);
  ~CredentialRefresher();  // Stop()s
  CredentialRefresher(const CredentialRefresher&) = delete;
  CredentialRefresher& operator=(const CredentialRefresher&) = delete;

  // Ends the thread (a re-read in progress finishes first). Idempotent.
  void Stop();

  std::uint64_t refreshes() const { return refreshes_.load(); }
  std::uint64_t failures() const { return failures_.load(); }

 private:
  void Loop();
  void RefreshOnce(const char* why);

  const std::shared_ptr<Credentials> credentials_;
  const Options options_;
  std::atomic<std::uint64_t> refreshes_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // Guarded by mu_
  std::thread thread_;
};

}  // namespace sessionrig::loadgen
