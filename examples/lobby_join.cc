// lobby_join: N users race to join one lobby through the SDK's C API.
//
// Written only against the SDK's signatures (multiplayer_c.h, XAsync.h) plus
// SrContextCreate, the one call the SDK gets from the platform. Each user is
// a thread that does what a title does: read the session, join with
// SynchronizedUpdate, and on OutOfSync (412) reapply the join to the
// returned latest state and write again. A full lobby answers 409.
//
//   lobby_join --endpoint http://127.0.0.1:PORT --tokens FILE
//              [--lobby NAME] [--capacity N]
// FILE holds one line per user: "<xuid> <Authorization header value>".
// Prints one line per user and a summary; exits 0 if every user ended in the
// lobby or was refused because it was full, 1 otherwise.
#include <XAsync.h>
#include <sessionrig/sessionrig_c.h>
#include <xsapi-c/multiplayer_c.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr char kScid[] = "00000000-0000-0000-0000-0000626c6f62";  // 36 chars
constexpr int kMaxAttempts = 200;

struct User {
  uint64_t xuid = 0;
  std::string authorization;
  // Outcome.
  int attempts = 0;
  bool joined = false;
  bool full = false;
  HRESULT last_hr = S_OK;
  double millis = 0;
};

HRESULT Wait(XAsyncBlock* block) { return XAsyncGetStatus(block, true); }

// Reads the session; null when it does not exist yet.
HRESULT ReadSession(XblContextHandle ctx, const XblMultiplayerSessionReference& ref,
                    XblMultiplayerSessionHandle* out) {
  XAsyncBlock block{};
  HRESULT hr = XblMultiplayerGetSessionAsync(ctx, &ref, &block);
  if (FAILED(hr)) return hr;
  Wait(&block);
  return XblMultiplayerGetSessionResult(&block, out);
}

void JoinLobby(const std::string& endpoint, const std::string& lobby, uint32_t capacity,
               User* user) {
  auto start = std::chrono::steady_clock::now();
  SrContextArgs args{};
  args.Xuid = user->xuid;
  args.Endpoint = endpoint.c_str();
  args.Authorization = user->authorization.c_str();
  XblContextHandle ctx = nullptr;
  user->last_hr = SrContextCreate(&args, &ctx);
  if (FAILED(user->last_hr)) return;

  auto ref = XblMultiplayerSessionReferenceCreate(kScid, "lobby", lobby.c_str());
  XblMultiplayerSessionHandle session = nullptr;
  user->last_hr = ReadSession(ctx, ref, &session);
  while (SUCCEEDED(user->last_hr) && user->attempts < kMaxAttempts) {
    if (session == nullptr) {  // first one in creates it
      XblMultiplayerSessionInitArgs init{};
      init.MaxMembersInSession = capacity;
      init.Visibility = XblMultiplayerSessionVisibility::Open;
      session = XblMultiplayerSessionCreateHandle(user->xuid, &ref, &init);
      XblMultiplayerSessionConstantsSetTimeouts(session, 30000, 0, 180000, 0);
    }
    XblMultiplayerSessionJoin(session, nullptr, false, true);
    ++user->attempts;
    XAsyncBlock block{};
    user->last_hr = XblMultiplayerWriteSessionAsync(
        ctx, session, XblMultiplayerSessionWriteMode::SynchronizedUpdate, &block);
    if (FAILED(user->last_hr)) break;
    Wait(&block);
    XblMultiplayerSessionHandle latest = nullptr;
    user->last_hr = XblMultiplayerWriteSessionResult(&block, &latest);
    XblMultiplayerSessionCloseHandle(session);
    session = latest;
    if (user->last_hr == HTTP_E_STATUS_CONFLICT) {  // 409: the lobby is full
      user->full = true;
      user->last_hr = S_OK;
      session = nullptr;
      break;
    }
    if (FAILED(user->last_hr)) break;
    XblWriteSessionStatus status = XblMultiplayerSessionWriteStatus(session);
    if (status == XblWriteSessionStatus::Updated || status == XblWriteSessionStatus::Created) {
      user->joined = XblMultiplayerSessionCurrentUser(session) != nullptr;
      break;
    }
    // OutOfSync: `session` now holds the winner's state; join again on top of it.
  }
  XblMultiplayerSessionCloseHandle(session);
  XblContextCloseHandle(ctx);
  user->millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

int Usage(const char* why) {
  std::fprintf(stderr,
               "lobby_join: %s\nusage: lobby_join --endpoint URL --tokens FILE [--lobby NAME] "
               "[--capacity N]\n",
               why);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoint, tokens_path, lobby = "demo-lobby";
  uint32_t capacity = 8;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(("flag " + flag + " needs a value").c_str());
    std::string value = argv[++i];
    if (flag == "--endpoint") {
      endpoint = value;
    } else if (flag == "--tokens") {
      tokens_path = value;
    } else if (flag == "--lobby") {
      lobby = value;
    } else if (flag == "--capacity") {
      char* end = nullptr;
      unsigned long v = std::strtoul(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || v < 1 || v > 100) {
        return Usage("--capacity must be an integer in 1..100");
      }
      capacity = static_cast<uint32_t>(v);
    } else {
      return Usage(("unknown flag " + flag).c_str());
    }
  }
  if (endpoint.empty()) return Usage("--endpoint is required");
  if (tokens_path.empty()) return Usage("--tokens is required");

  std::ifstream in(tokens_path);
  if (!in) return Usage(("--tokens: cannot read " + tokens_path).c_str());
  std::vector<User> users;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    User u;
    fields >> u.xuid;
    std::getline(fields >> std::ws, u.authorization);
    if (u.xuid == 0 || u.authorization.empty()) {
      return Usage(("--tokens: bad line '" + line + "' (want: <xuid> <Authorization>)").c_str());
    }
    users.push_back(std::move(u));
  }
  if (users.empty()) return Usage("--tokens: no users");

  std::vector<std::thread> threads;
  for (User& u : users) {
    threads.emplace_back(JoinLobby, endpoint, lobby, capacity, &u);
  }
  for (auto& t : threads) t.join();

  int joined = 0, full = 0, failed = 0, attempts = 0;
  for (const User& u : users) {
    const char* outcome = u.joined ? "joined" : u.full ? "full" : "FAILED";
    std::printf("user %llu  %-6s  attempts %2d  %8.1f ms  %s\n",
                static_cast<unsigned long long>(u.xuid), outcome, u.attempts, u.millis,
                SrHResultToString(u.last_hr));
    joined += u.joined;
    full += u.full;
    failed += !u.joined && !u.full;
    attempts += u.attempts;
  }
  std::printf(
      "\n%zu users, lobby capacity %u: %d joined, %d refused (full), %d failed; "
      "%d writes, %.2f writes per user (412 retries included)\n",
      users.size(), capacity, joined, full, failed, attempts,
      static_cast<double>(attempts) / static_cast<double>(users.size()));
  bool ok = failed == 0 && joined == static_cast<int>(std::min<size_t>(capacity, users.size()));
  return ok ? 0 : 1;
}
