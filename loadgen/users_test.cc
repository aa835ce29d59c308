#include "loadgen/users.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sessionrig::loadgen {
namespace {

TEST(UsersTest, ReadsBothLineFormats) {
  StatusOr<std::vector<UserCredential>> users = ParseTokenFile(
      "# users\n"
      "XBL3.0 x=1001;abcdef\r\n"
      "\n"
      "  1002   XBL3.0 x=hash;tok  \n"
      "1003 Bearer token with spaces");
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].xuid, 1001u);
  EXPECT_EQ((*users)[0].authorization, "XBL3.0 x=1001;abcdef");
  EXPECT_EQ((*users)[1].xuid, 1002u);
  EXPECT_EQ((*users)[1].authorization, "XBL3.0 x=hash;tok");
  EXPECT_EQ((*users)[2].authorization, "Bearer token with spaces");
}

TEST(UsersTest, ErrorsNameTheLine) {
  EXPECT_EQ(ParseTokenFile("1001 a\nnonsense\n").status().message(),
            "line 2: want '<xuid> <Authorization>' or 'XBL3.0 x=<xuid>;<token>'");
  EXPECT_EQ(ParseTokenFile("XBL3.0 x=abc;t").status().message(),
            "line 1: want 'XBL3.0 x=<xuid>;<token>' or '<xuid> <Authorization>'");
  EXPECT_EQ(ParseTokenFile("XBL3.0 x=5;").status().message().rfind("line 1:", 0), 0u);
  EXPECT_EQ(ParseTokenFile("1001 a\n1001 b\n").status().message(),
            "line 2: xuid 1001 is listed twice");
  EXPECT_EQ(ParseTokenFile("0 a").status().message().rfind("line 1:", 0), 0u);
  EXPECT_EQ(ParseTokenFile("# only a comment\n\n").status().message(), "no users (one per line)");
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/" + name + "_" + std::to_string(::getpid());
}

TEST(UsersTest, ReadUsersFromAFileOrACommand) {
  const std::string path = TempPath("users_test_tokens");
  { std::ofstream(path) << "XBL3.0 x=11;a\n12 Bearer b\n"; }
  auto from_file = ReadUsers(path, "");
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  ASSERT_EQ(from_file->size(), 2u);
  EXPECT_EQ((*from_file)[1].authorization, "Bearer b");
  auto from_command = ReadUsers("", "cat '" + path + "'; echo 'XBL3.0 x=13;c'");
  ASSERT_TRUE(from_command.ok()) << from_command.status().ToString();
  ASSERT_EQ(from_command->size(), 3u);
  EXPECT_EQ((*from_command)[2].xuid, 13u);
  std::remove(path.c_str());

  EXPECT_EQ(ReadUsers(path, "").status().message(), "--token-file: cannot read " + path);
  { std::ofstream(path) << "junk\n"; }
  EXPECT_EQ(ReadUsers(path, "").status().message().rfind("--token-file " + path + ": line 1:", 0),
            0u);
  std::remove(path.c_str());
  EXPECT_EQ(ReadUsers("", "echo 'XBL3.0 x=1;t'; exit 3").status().message(),
            "--token-command: exited with status 3");
  EXPECT_EQ(ReadUsers("", "echo junk").status().message().rfind("--token-command: line 1:", 0), 0u);
  EXPECT_EQ(ReadUsers("", "kill -9 $$").status().message(), "--token-command: killed by signal 9");
}

TEST(UsersTest, CredentialsAreReplacedWhole) {
  Credentials creds({{1, "XBL3.0 x=1;old"}, {2, "XBL3.0 x=2;old"}});
  EXPECT_EQ(creds.generation(), 0u);
  CredentialReader reader(&creds);
  char buffer[64];
  ASSERT_TRUE(reader.Get(1, buffer, sizeof(buffer)));
  EXPECT_STREQ(buffer, "XBL3.0 x=1;old");
  EXPECT_FALSE(reader.Get(3, buffer, sizeof(buffer)));  // not a user of the run
  EXPECT_FALSE(reader.Get(1, buffer, 14));              // no room for the NUL
  EXPECT_EQ(CredentialReader::Provide(&reader, 1, buffer, 14), E_FAIL);
  EXPECT_EQ(CredentialReader::Provide(&reader, 1, buffer, sizeof(buffer)), S_OK);

  // A refresh must cover every user of the run; extra users are ignored.
  Status partial = creds.Replace({{1, "XBL3.0 x=1;new"}});
  EXPECT_EQ(partial.message(), "no token for xuid 2 (a user of this run)");
  EXPECT_EQ(creds.Find(1), "XBL3.0 x=1;old");
  ASSERT_TRUE(creds.Replace({{2, "XBL3.0 x=2;new"}, {1, "XBL3.0 x=1;new"}, {9, "x"}}).ok());
  EXPECT_EQ(creds.generation(), 1u);
  ASSERT_TRUE(reader.Get(1, buffer, sizeof(buffer)));
  EXPECT_STREQ(buffer, "XBL3.0 x=1;new");
  EXPECT_EQ(creds.Find(9), "");
  // Users() keeps the original order.
  const std::vector<UserCredential> users = creds.Users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].xuid, 1u);
  EXPECT_EQ(users[1].authorization, "XBL3.0 x=2;new");
}

TEST(UsersTest, ReadersSeeReplacementsWhileTheyRead) {
  Credentials creds({{1, "v0"}});
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= 200; ++i) ASSERT_TRUE(creds.Replace({{1, "v" + std::to_string(i)}}).ok());
    done = true;
  });
  CredentialReader reader(&creds);
  char buffer[16];
  int last = 0;
  while (!done.load() || last < 200) {
    ASSERT_TRUE(reader.Get(1, buffer, sizeof(buffer)));
    const int seen = std::stoi(std::string(buffer + 1));
    EXPECT_GE(seen, last);  // never goes back
    last = seen;
  }
  writer.join();
  EXPECT_EQ(last, 200);
}

TEST(UsersTest, RefresherRereadsPeriodicallyAndOnRequest) {
  // A command that prints a new token each time it runs.
  const std::string counter = TempPath("users_test_counter");
  { std::ofstream(counter) << "0\n"; }
  const std::string command =
      "n=$(cat '" + counter + "'); echo $((n + 1)) > '" + counter + "'; echo \"XBL3.0 x=5;t$n\"";
  auto first = ReadUsers("", command);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto creds = std::make_shared<Credentials>(*first);
  EXPECT_EQ(creds->Find(5), "XBL3.0 x=5;t0");

  // On request: with no period, only the flag makes it re-run.
  std::atomic<bool> request{false};
  {
    CredentialRefresher::Options o;
    o.token_command = command;
    o.request = &request;
    CredentialRefresher refresher(creds, o);
    request = true;
    for (int i = 0; i < 2000 && creds->generation() < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(creds->generation(), 1u);
    EXPECT_EQ(creds->Find(5), "XBL3.0 x=5;t1");
    EXPECT_FALSE(request.load());  // taken
  }
  // Periodically, at least three times; and a failing re-read keeps the tokens.
  {
    CredentialRefresher::Options o;
    o.token_command = command;
    o.period = std::chrono::milliseconds(100);
    CredentialRefresher refresher(creds, o);
    for (int i = 0; i < 2000 && creds->generation() < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    refresher.Stop();
    EXPECT_GE(refresher.refreshes(), 3u);
    EXPECT_EQ(refresher.failures(), 0u);
    EXPECT_NE(creds->Find(5), "XBL3.0 x=5;t1");
  }
  {
    std::ostringstream log;
    CredentialRefresher::Options o;
    o.token_command = "exit 4";
    o.request = &request;
    o.log = &log;
    const std::string before = creds->Find(5);
    CredentialRefresher refresher(creds, o);
    request = true;
    for (int i = 0; i < 2000 && refresher.failures() < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    refresher.Stop();
    EXPECT_EQ(refresher.failures(), 1u);
    EXPECT_EQ(creds->Find(5), before);
    EXPECT_EQ(log.str(),
              "loadgen: token refresh (on request) failed, keeping the previous tokens: "
              "--token-command: exited with status 4\n");
  }
  std::remove(counter.c_str());
}

TEST(UsersTest, EmbeddedXuidsAreDistinctAndNonZero) {
  EXPECT_EQ(EmbeddedXuid(0), 2533274790400001u);
  EXPECT_EQ(EmbeddedXuid(9), 2533274790400010u);
}

}  // namespace
}  // namespace sessionrig::loadgen
