// HTTP/2 (h2c, prior knowledge) against nghttpd on 127.0.0.1. Built only
// when CMake found nghttpd (SESSIONRIG_NGHTTPD is its path).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sessionrig/transport.h"
#include "testing/scripted_server.h"

extern char** environ;

namespace sessionrig {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kWaitLimit{15000};  // upper bound for anything expected to finish

bool CanConnect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// nghttpd serving a temporary directory over h2c on 127.0.0.1.
class Nghttpd {
 public:
  Nghttpd() {
    char dir_template[] = "/tmp/sessionrig_h2_XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return;
    dir_ = dir_template;
    std::ofstream(dir_ + "/hello.txt") << "hello over h2";
    port_ = testing::UnusedLoopbackPort();
    std::string port = std::to_string(port_);
    std::vector<std::string> args = {
        SESSIONRIG_NGHTTPD, "--no-tls", "-a", "127.0.0.1", "-d", dir_, port};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, SESSIONRIG_NGHTTPD, nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      return;
    }
    auto deadline = Clock::now() + kWaitLimit;
    while (!CanConnect(port_) && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  ~Nghttpd() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      auto deadline = Clock::now() + milliseconds(3000);
      while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          kill(pid_, SIGKILL);
          waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(milliseconds(10));
      }
    }
    if (!dir_.empty()) {
      std::remove((dir_ + "/hello.txt").c_str());
      rmdir(dir_.c_str());
    }
  }
  bool running() const { return pid_ > 0 && CanConnect(port_); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST(TransportH2Test, PriorKnowledgeAgainstNghttpd) {
  // Registered only when configure found nghttpd: its absence now is a
  // broken machine, not a reason to pass.
  ASSERT_EQ(access(SESSIONRIG_NGHTTPD, X_OK), 0)
      << "nghttpd not found at " << SESSIONRIG_NGHTTPD << " (install the nghttp2-server package)";
  Nghttpd server;
  ASSERT_TRUE(server.running()) << "nghttpd did not start";
  TransportOptions options;
  options.http_version = TransportOptions::HttpVersion::kHttp2PriorKnowledge;
  auto created = OwnerDrivenTransport::Create(options);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<OwnerDrivenTransport> t = std::move(created).value();

  // Several concurrent streams on the h2 connection.
  constexpr size_t kStreams = 8;
  std::vector<HttpResponse> responses;
  for (size_t i = 0; i < kStreams; ++i) {
    HttpRequest req;
    req.url = server.Url("/hello.txt");
    t->Start(std::move(req), [&](HttpResponse&& r) { responses.push_back(std::move(r)); });
  }
  auto deadline = Clock::now() + kWaitLimit;
  while (responses.size() < kStreams && Clock::now() < deadline) t->Poll(50);
  ASSERT_EQ(responses.size(), kStreams);
  for (const HttpResponse& r : responses) {
    ASSERT_EQ(r.transport_result, S_OK)
        << SrHResultToString(r.transport_result) << " " << r.error_detail;
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "hello over h2");
    // HTTP/2 header names arrive lower-case; nghttpd names itself.
    bool saw_server = false;
    for (const auto& [name, value] : r.headers) {
      if (name == "server") saw_server = value.find("nghttpd") != std::string::npos;
    }
    EXPECT_TRUE(saw_server);
  }

  HttpRequest missing;
  missing.url = server.Url("/missing.txt");
  bool done = false;
  t->Start(std::move(missing), [&](HttpResponse&& r) {
    EXPECT_EQ(r.transport_result, S_OK);
    EXPECT_EQ(r.status, 404u);
    done = true;
  });
  deadline = Clock::now() + kWaitLimit;
  while (!done && Clock::now() < deadline) t->Poll(50);
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace sessionrig
