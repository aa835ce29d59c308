// bench/curl_floor.cc: the libcurl floor, a peer for scripts/compare.
//
//   curl_floor --url URL --connections N --duration SECONDS
//              [--header 'Name: value']... [--token-file FILE] [--body TEXT]
//
// The least a libcurl multi client can do per request: N easy handles, each
// configured once (method, body, header list, Authorization from the
// token file's line i when given) and re-added to one multi handle as soon
// as its transfer ends, driven by curl_multi_socket_action over epoll on one
// thread, the way core/src/transport/curl_transport.cc drives libcurl. No
// request is built, no response parsed, nothing measured but counts: what
// loadgen costs per write beyond this is sessionrig's own work (the SDK
// write path, the parse, the checks, the histograms), and what this costs
// beyond wrk is libcurl's. It prints one JSON line:
//   {"requests":N,"status":{"200":N,...},"errors":N,"seconds":S}
// Exit code: 0 when it ran, 2 on a usage error.
#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string url;
  int connections = 32;
  double duration_s = 10;
  std::vector<std::string> headers;
  std::string token_file;
  std::string body = R"({"properties":{"custom":{"n":1}}})";
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "curl_floor: %s\nusage: curl_floor --url URL --connections N --duration SECONDS "
               "[--header 'Name: value']... [--token-file FILE] [--body TEXT]\n",
               why.c_str());
  std::exit(2);  // NOLINT(concurrency-mt-unsafe): before any thread exists
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--url") {
      o.url = value;
    } else if (flag == "--connections") {
      o.connections = std::atoi(value.c_str());
      if (o.connections < 1) Usage("--connections must be a positive integer");
    } else if (flag == "--duration") {
      o.duration_s = std::atof(value.c_str());
      if (!(o.duration_s > 0)) Usage("--duration must be a positive number of seconds");
    } else if (flag == "--header") {
      o.headers.push_back(value);
    } else if (flag == "--token-file") {
      o.token_file = value;
    } else if (flag == "--body") {
      o.body = value;
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (o.url.empty()) Usage("--url is required");
  return o;
}

struct Loop {
  int epoll_fd = -1;
  long timeout_ms = -1;  // NOLINT(google-runtime-int): libcurl's type
  CURLM* multi = nullptr;
};

int OnSocket(CURL* /*easy*/, curl_socket_t fd, int what, void* userp, void* /*socketp*/) {
  auto* loop = static_cast<Loop*>(userp);
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.events =
      ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0U) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0U);
  ev.data.fd = fd;
  if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0) {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
  return 0;
}

int OnTimer(CURLM* /*multi*/, long timeout_ms, void* userp) {  // NOLINT(google-runtime-int)
  static_cast<Loop*>(userp)->timeout_ms = timeout_ms;
  return 0;
}

size_t Discard(char* /*data*/, size_t size, size_t count, void* /*userp*/) { return size * count; }

std::vector<std::string> ReadTokens(const std::string& path) {
  std::vector<std::string> tokens;
  std::ifstream in(path);
  if (!in) Usage("--token-file: cannot read " + path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) tokens.push_back(line);
  }
  if (tokens.empty()) Usage("--token-file: " + path + " holds no token");
  return tokens;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const std::vector<std::string> tokens =
      o.token_file.empty() ? std::vector<std::string>() : ReadTokens(o.token_file);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  Loop loop;
  loop.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  loop.multi = curl_multi_init();
  curl_multi_setopt(loop.multi, CURLMOPT_SOCKETFUNCTION, &OnSocket);
  curl_multi_setopt(loop.multi, CURLMOPT_SOCKETDATA, &loop);
  curl_multi_setopt(loop.multi, CURLMOPT_TIMERFUNCTION, &OnTimer);
  curl_multi_setopt(loop.multi, CURLMOPT_TIMERDATA, &loop);

  std::vector<curl_slist*> header_lists;
  for (int i = 0; i < o.connections; ++i) {
    curl_slist* list = nullptr;
    for (const std::string& h : o.headers) list = curl_slist_append(list, h.c_str());
    if (!tokens.empty()) {
      const std::string auth = "Authorization: " + tokens[static_cast<size_t>(i) % tokens.size()];
      list = curl_slist_append(list, auth.c_str());
    }
    list = curl_slist_append(list, "Expect:");
    header_lists.push_back(list);
    CURL* e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, o.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(o.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, o.body.data());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Discard);
    curl_multi_add_handle(loop.multi, e);
  }

  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const Clock::time_point stop = start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(o.duration_s));
  std::map<long, long> status;  // NOLINT(google-runtime-int): libcurl's type
  long requests = 0;            // NOLINT(google-runtime-int)
  long errors = 0;              // NOLINT(google-runtime-int)
  int running = 0;
  bool stopping = false;
  curl_multi_socket_action(loop.multi, CURL_SOCKET_TIMEOUT, 0, &running);
  std::vector<epoll_event> events(static_cast<size_t>(o.connections) + 1);
  while (!stopping || running > 0) {
    const int wait_ms = loop.timeout_ms < 0 ? 100 : static_cast<int>(loop.timeout_ms);
    const int n =
        epoll_wait(loop.epoll_fd, events.data(), static_cast<int>(events.size()), wait_ms);
    for (size_t i = 0; i < static_cast<size_t>(std::max(n, 0)); ++i) {
      int mask = 0;
      if ((events[i].events & EPOLLIN) != 0) mask |= CURL_CSELECT_IN;
      if ((events[i].events & EPOLLOUT) != 0) mask |= CURL_CSELECT_OUT;
      if ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0) mask |= CURL_CSELECT_ERR;
      curl_multi_socket_action(loop.multi, events[i].data.fd, mask, &running);
    }
    // A due timer (0: libcurl wants to start the transfers just added).
    if (n <= 0 || loop.timeout_ms == 0) {
      loop.timeout_ms = -1;
      curl_multi_socket_action(loop.multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    if (!stopping && Clock::now() >= stop) stopping = true;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(loop.multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* e = msg->easy_handle;
      ++requests;
      if (msg->data.result == CURLE_OK) {
        long code = 0;  // NOLINT(google-runtime-int)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        ++status[code];
      } else {
        ++errors;
      }
      curl_multi_remove_handle(loop.multi, e);
      if (stopping) {
        curl_easy_cleanup(e);
      } else {
        curl_multi_add_handle(loop.multi, e);
        running = 1;
      }
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::string by_status;
  for (const auto& [code, count] : status) {
    by_status += (by_status.empty() ? "" : ",") + std::string("\"") + std::to_string(code) +
                 "\":" + std::to_string(count);
  }
  std::printf("{\"requests\":%ld,\"status\":{%s},\"errors\":%ld,\"seconds\":%.3f}\n", requests,
              by_status.c_str(), errors, seconds);
  for (curl_slist* list : header_lists) curl_slist_free_all(list);
  curl_multi_cleanup(loop.multi);
  close(loop.epoll_fd);
  curl_global_cleanup();
  return 0;
}
