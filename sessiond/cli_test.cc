// The sessiond and sessionctl binaries: the ready line, tokens, signals,
// and bad flags.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "sessiond/auth.h"
#include "sessiond/mini_client.h"

namespace sessionrig::sessiond {
namespace {

using std::chrono::milliseconds;

// A child process with its stdout and stderr on pipes.
class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    int out[2];
    int err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }

  // Reads stdout until a newline (or timeout); returns the line.
  std::string ReadLine(milliseconds timeout) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(out_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  static std::string Drain(int fd) {
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) all.append(buf, static_cast<std::size_t>(n));
    return all;
  }

  // Waits for exit; returns the exit code (-1: killed by a signal).
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string Stdout() { return Drain(out_); }
  std::string Stderr() { return Drain(err_); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool exited_ = false;
};

std::string TempPath(const char* name) {
  return ::testing::TempDir() + "/" + name + "_" + std::to_string(getpid());
}

TEST(SessiondCli, ServesUntilSigtermWithMintedTokens) {
  const std::string secret_file = TempPath("sessiond_cli_secret");
  std::remove(secret_file.c_str());
  Child server(
      {SESSIOND_BINARY, "--listen", "127.0.0.1:0", "--threads", "2", "--secret-file", secret_file});
  const std::string ready = server.ReadLine(milliseconds(20000));
  std::smatch m;
  ASSERT_TRUE(std::regex_match(ready, m, std::regex(R"(sessiond listening on 127\.0\.0\.1:(\d+))")))
      << ready;
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  ASSERT_NE(port, 0);

  // sessionctl mints tokens the server accepts, from the written secret,
  // valid for an hour by default.
  auto secret = ReadSecretFile(secret_file);
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  const Authenticator auth(AuthMode::kDev, *secret);
  const auto minted_at = std::chrono::system_clock::now();
  Child token(
      {SESSIONCTL_BINARY, "token", "--xuid", "2533274790412345", "--secret-file", secret_file});
  const std::string header = token.ReadLine(milliseconds(10000));
  EXPECT_EQ(token.Wait(), 0);
  auto who = auth.Authenticate(header, minted_at + std::chrono::minutes(59));
  EXPECT_TRUE(who.ok()) << header << ": " << who.status().ToString();
  EXPECT_FALSE(auth.Authenticate(header, minted_at + std::chrono::minutes(61)).ok());
  // --ttl and --count: one line per consecutive xuid, in loadgen's
  // --token-file format.
  Child tokens({SESSIONCTL_BINARY, "token", "--xuid", "1001", "--count", "3", "--ttl", "1.5m",
                "--secret-file", secret_file});
  for (const char* xuid : {"1001", "1002", "1003"}) {
    const std::string line = tokens.ReadLine(milliseconds(10000));
    EXPECT_EQ(line.rfind(std::string("XBL3.0 x=") + xuid + ";", 0), 0u) << line;
    auto ok = auth.Authenticate(line, minted_at + std::chrono::seconds(85));
    ASSERT_TRUE(ok.ok()) << line << ": " << ok.status().ToString();
    EXPECT_EQ(*ok, xuid);
    EXPECT_FALSE(auth.Authenticate(line, minted_at + std::chrono::seconds(95)).ok());
  }
  EXPECT_EQ(tokens.Wait(), 0);

  const std::string url = "http://127.0.0.1:" + std::to_string(port) +
                          "/serviceconfigs/scid/sessionTemplates/t/sessions/cli";
  Child put({SESSIONCTL_BINARY, "put", url, "--xuid", "7", "--secret-file", secret_file, "--body",
             R"({"members":{"me":{}}})", "--if-none-match", "*"});
  EXPECT_EQ(put.ReadLine(milliseconds(10000)), "HTTP 201");
  EXPECT_EQ(put.Wait(), 0);
  Child again({SESSIONCTL_BINARY, "put", url, "--xuid", "7", "--secret-file", secret_file, "--body",
               "{}", "--if-none-match", "*"});
  EXPECT_EQ(again.ReadLine(milliseconds(10000)), "HTTP 412");
  EXPECT_EQ(again.Wait(), 2);
  Child get({SESSIONCTL_BINARY, "get", url});  // no credentials
  EXPECT_EQ(get.ReadLine(milliseconds(10000)), "HTTP 401");
  EXPECT_EQ(get.Wait(), 2);

  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  EXPECT_EQ(server.Wait(), 0);
  const std::string log = server.Stderr();
  EXPECT_NE(log.find("msg=listening"), std::string::npos) << log;
  EXPECT_NE(log.find("msg=stopped"), std::string::npos) << log;
  std::remove(secret_file.c_str());
}

TEST(SessiondCli, AuthNoneWarnsAtStart) {
  Child server({SESSIOND_BINARY, "--listen", "127.0.0.1:0", "--threads", "1", "--auth", "none"});
  ASSERT_NE(server.ReadLine(milliseconds(20000)).find("sessiond listening on"), std::string::npos);
  ASSERT_EQ(kill(server.pid(), SIGINT), 0);
  EXPECT_EQ(server.Wait(), 0);
  const std::string log = server.Stderr();
  EXPECT_NE(log.find("level=warn"), std::string::npos) << log;
  EXPECT_NE(log.find("--auth none"), std::string::npos) << log;
}

TEST(SessiondCli, BadFlagsNameTheFlagAndExit1) {
  struct Case {
    std::vector<std::string> args;
    const char* flag;
  };
  const std::vector<Case> cases = {
      {{"--threads", "abc"}, "--threads"},
      {{"--threads", "0"}, "--threads"},
      {{"--auth", "maybe"}, "--auth"},
      {{"--listen", "127.0.0.1"}, "--listen"},
      {{"--listen", "127.0.0.1:99999"}, "--listen"},
      {{"--metrics-addr", "nowhere"}, "--metrics-addr"},
      {{"--inject", "latency=sometimes"}, "--inject"},
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--header-timeout-ms", "0"}, "--header-timeout-ms"},
      {{"--body-timeout-ms", "x"}, "--body-timeout-ms"},
      {{"--linger-idle-ms", "0"}, "--linger-idle-ms"},
      {{"--max-connections-per-peer", "-1"}, "--max-connections-per-peer"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {SESSIOND_BINARY};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    Child child(argv);
    EXPECT_EQ(child.Wait(), 1) << c.flag;
    const std::string err = child.Stderr();
    EXPECT_NE(err.find(c.flag), std::string::npos) << c.flag << ": " << err;
  }
  Child ctl({SESSIONCTL_BINARY, "token"});
  EXPECT_EQ(ctl.Wait(), 1);
  EXPECT_NE(ctl.Stderr().find("--xuid"), std::string::npos);
  const std::string secret_file = TempPath("sessiond_cli_ttl_secret");
  std::remove(secret_file.c_str());
  ASSERT_TRUE(WriteSecretFile(secret_file, "0123456789abcdef0123456789abcdef").ok());
  for (const char* ttl : {"0s", "soon", "2401h", "-1m"}) {
    Child bad_ttl(
        {SESSIONCTL_BINARY, "token", "--xuid", "1", "--ttl", ttl, "--secret-file", secret_file});
    EXPECT_EQ(bad_ttl.Wait(), 1) << ttl;
    EXPECT_NE(bad_ttl.Stderr().find("--ttl"), std::string::npos) << ttl;
  }
  std::remove(secret_file.c_str());
}

}  // namespace
}  // namespace sessionrig::sessiond
