#include "loadgen/users.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <unordered_set>

extern char** environ;

namespace sessionrig::loadgen {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ParseXuid(std::string_view text, std::uint64_t* xuid) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *xuid);
  return !text.empty() && ec == std::errc() && ptr == end && *xuid != 0;
}

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// Runs `command` with /bin/sh -c and returns its standard output.
StatusOr<std::string> RunCommand(const std::string& command) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Invalid(std::string("--token-command: pipe: ") + ErrnoText(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return Invalid(std::string("--token-command: cannot run /bin/sh: ") + ErrnoText(spawned));
  }
  const auto deadline = std::chrono::steady_clock::now() + kTokenCommandTimeout;
  std::string out;
  std::string failure;
  char chunk[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = "--token-command: did not finish within " +
                std::to_string(kTokenCommandTimeout.count()) + " s";
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends it
    const ssize_t n = ::read(pipe_fds[0], chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output (or an error: the exit status says more)
    out.append(chunk, static_cast<std::size_t>(n));
    if (out.size() > kMaxTokenTextBytes) {
      failure =
          "--token-command: printed more than " + std::to_string(kMaxTokenTextBytes) + " bytes";
      break;
    }
  }
  ::close(pipe_fds[0]);
  if (!failure.empty()) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!failure.empty()) return Invalid(failure);
  if (WIFSIGNALED(status)) {
    return Invalid("--token-command: killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Invalid("--token-command: exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  return out;
}

}  // namespace

StatusOr<std::vector<UserCredential>> ParseTokenFile(std::string_view text) {
  std::vector<UserCredential> users;
  std::unordered_set<std::uint64_t> seen;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = Trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(line_number) + ": ";
    UserCredential user;
    constexpr std::string_view kXbl = "XBL3.0 x=";
    if (line.rfind(kXbl, 0) == 0) {
      const std::size_t semicolon = line.find(';', kXbl.size());
      if (semicolon == std::string_view::npos || semicolon + 1 == line.size() ||
          !ParseXuid(line.substr(kXbl.size(), semicolon - kXbl.size()), &user.xuid)) {
        return Status(StatusCode::kInvalidArgument,
                      where + "want 'XBL3.0 x=<xuid>;<token>' or '<xuid> <Authorization>'");
      }
      user.authorization = std::string(line);
    } else {
      const std::size_t space = line.find_first_of(" \t");
      if (space == std::string_view::npos || !ParseXuid(line.substr(0, space), &user.xuid) ||
          Trim(line.substr(space)).empty()) {
        return Status(StatusCode::kInvalidArgument,
                      where + "want '<xuid> <Authorization>' or 'XBL3.0 x=<xuid>;<token>'");
      }
      user.authorization = std::string(Trim(line.substr(space)));
    }
    if (!seen.insert(user.xuid).second) {
      return Status(StatusCode::kInvalidArgument,
                    where + "xuid " + std::to_string(user.xuid) + " is listed twice");
    }
    users.push_back(std::move(user));
  }
  if (users.empty()) return Status(StatusCode::kInvalidArgument, "no users (one per line)");
  return users;
}

StatusOr<std::vector<UserCredential>> ReadUsers(const std::string& token_file,
                                                const std::string& token_command) {
  if (!token_command.empty()) {
    StatusOr<std::string> text = RunCommand(token_command);
    if (!text.ok()) return text.status();
    StatusOr<std::vector<UserCredential>> users = ParseTokenFile(*text);
    if (!users.ok()) return Invalid("--token-command: " + users.status().message());
    return users;
  }
  std::ifstream in(token_file, std::ios::binary);
  if (!in) return Invalid("--token-file: cannot read " + token_file);
  std::ostringstream text;
  text << in.rdbuf();
  StatusOr<std::vector<UserCredential>> users = ParseTokenFile(text.str());
  if (!users.ok()) return Invalid("--token-file " + token_file + ": " + users.status().message());
  return users;
}

Credentials::Credentials(const std::vector<UserCredential>& users) {
  auto table = std::make_shared<Table>();
  for (const UserCredential& u : users) {
    if (table->emplace(u.xuid, u.authorization).second) order_.push_back(u.xuid);
  }
  table_ = std::move(table);
}

std::vector<UserCredential> Credentials::Users() const {
  std::shared_ptr<const Table> table = Snapshot();
  std::vector<UserCredential> out;
  out.reserve(order_.size());
  for (std::uint64_t xuid : order_) out.push_back({xuid, table->at(xuid)});
  return out;
}

Status Credentials::Replace(const std::vector<UserCredential>& fresh) {
  std::unordered_map<std::uint64_t, const std::string*> by_xuid;
  for (const UserCredential& u : fresh) by_xuid[u.xuid] = &u.authorization;
  std::shared_ptr<const Table> current = Snapshot();
  auto next = std::make_shared<Table>();
  for (const auto& [xuid, value] : *current) {
    auto it = by_xuid.find(xuid);
    if (it == by_xuid.end()) {
      return Invalid("no token for xuid " + std::to_string(xuid) + " (a user of this run)");
    }
    (*next)[xuid] = *it->second;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    table_ = std::move(next);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return Status::Ok();
}

std::string Credentials::Find(std::uint64_t xuid) const {
  std::shared_ptr<const Table> table = Snapshot();
  auto it = table->find(xuid);
  return it == table->end() ? std::string() : it->second;
}

std::shared_ptr<const Credentials::Table> Credentials::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return table_;
}

CredentialReader::CredentialReader(const Credentials* source) : source_(source) {}

bool CredentialReader::Get(std::uint64_t xuid, char* buffer, std::size_t size) {
  // Read the generation first: a Replace between the two reads is seen on
  // the next call at the latest.
  const std::uint64_t generation = source_->generation();
  if (table_ == nullptr || generation != generation_) {
    table_ = source_->Snapshot();
    generation_ = generation;
  }
  auto it = table_->find(xuid);
  if (it == table_->end() || it->second.size() + 1 > size) return false;
  std::memcpy(buffer, it->second.data(), it->second.size());
  buffer[it->second.size()] = '\0';
  return true;
}

HRESULT CALLBACK CredentialReader::Provide(void* reader, uint64_t xuid, char* buffer,
                                           size_t buffer_size) noexcept {
  if (reader == nullptr || buffer == nullptr) return E_INVALIDARG;
  return static_cast<CredentialReader*>(reader)->Get(xuid, buffer, buffer_size) ? S_OK : E_FAIL;
}

CredentialRefresher::CredentialRefresher(std::shared_ptr<Credentials> credentials, Options options)
    : credentials_(std::move(credentials)), options_(std::move(options)) {
  thread_ = std::thread([this] { Loop(); });
}

CredentialRefresher::~CredentialRefresher() { Stop(); }

void CredentialRefresher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CredentialRefresher::Loop() {
  // The request flag is set from a signal handler, which cannot notify a
  // condition variable: it is polled this often.
  constexpr std::chrono::milliseconds kPoll{100};
  auto next = std::chrono::steady_clock::now() + options_.period;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, kPoll, [this] { return stop_; });
    if (stop_) break;
    const char* why = nullptr;
    if (options_.request != nullptr && options_.request->exchange(false)) {
      why = "on request";
    } else if (options_.period.count() > 0 && std::chrono::steady_clock::now() >= next) {
      why = "periodic";
    }
    if (why == nullptr) continue;
    lock.unlock();
    RefreshOnce(why);
    next = std::chrono::steady_clock::now() + options_.period;
    lock.lock();
  }
}

void CredentialRefresher::RefreshOnce(const char* why) {
  StatusOr<std::vector<UserCredential>> users =
      ReadUsers(options_.token_file, options_.token_command);
  Status replaced = users.ok() ? credentials_->Replace(*users) : users.status();
  if (!replaced.ok()) {
    failures_.fetch_add(1);
    if (options_.log != nullptr) {  // one insertion per line: other threads write too
      *options_.log << std::string("loadgen: token refresh (") + why +
                           ") failed, keeping the previous tokens: " + replaced.message() + "\n";
    }
    return;
  }
  refreshes_.fetch_add(1);
  if (options_.log != nullptr) {
    *options_.log << std::string("loadgen: tokens refreshed (") + why + ", " +
                         std::to_string(users->size()) + " users)\n";
  }
}

}  // namespace sessionrig::loadgen
