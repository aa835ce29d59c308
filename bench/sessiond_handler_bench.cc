// bench/sessiond_handler_bench.cc: one request through sessiond's Handler
// (no sockets), the work a connection does per request between reading it
// and writing it, on an 8-member session:
//   BM_HandlerPut       a one-property update of the caller's member (200),
//                       the response head rendered as the transport does
//   BM_HandlerStalePut  the same PUT with a stale If-Match (412)
//   BM_HandlerGet       a GET of the session (200)
// Each request carries the same dev token, as a keep-alive connection's
// requests do (RequestInfo::verified caches its verification), and the
// document comes back as the store's cached bytes (share_document), as the
// transport asks for it.
//
//   build/release/bench/sessiond_handler_bench
//
// For instruction counts (callgrind), `--iterations=OP:N` runs OP (put,
// stale_put or get) N times outside Google Benchmark; the difference
// between two runs (N and 2N) divided by N is the cost of one request:
//
//   valgrind --tool=callgrind build/release/bench/sessiond_handler_bench --iterations=put:2000
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

#include "sessiond/handler.h"

namespace sessionrig::sessiond {
namespace {

namespace http = boost::beast::http;

constexpr char kSecret[] = "bench-secret-0123456789abcdef";
constexpr char kUrl[] =
    "/serviceconfigs/00000000-0000-0000-0000-000000000001/sessionTemplates/lobby/sessions/bench";
constexpr int kMembers = 8;
constexpr std::uint64_t kFirstXuid = 2533274790400001;

// A handler holding one session of kMembers members, and the requests.
struct Fixture {
  Fixture() : handler(Options(), nullptr) {
    for (int m = 0; m < kMembers; ++m) {
      const std::string xuid = std::to_string(kFirstXuid + static_cast<std::uint64_t>(m));
      std::string body = R"({"members":{"me":{"properties":{"system":{"active":true},)"
                         R"("custom":{"skill":)" +
                         std::to_string(1000 + m) + R"(,"team":"red","ready":false}}}}})";
      if (m == 0) {
        body.insert(1, R"("constants":{"system":{"maxMembersCount":8,"visibility":"open"}},)"
                       R"("properties":{"custom":{"map":"dunes","mode":"ctf"}},)");
      }
      HttpRequest req = Request(http::verb::put, xuid, body);
      RequestInfo info;
      const HandlerResult r = handler.HandleRequest(req, info);
      if (r.response.result_int() != 200 && r.response.result_int() != 201) {
        std::fprintf(stderr, "setup PUT: %u %s\n", r.response.result_int(),
                     r.response.body().c_str());
        std::abort();
      }
      if (m == 0) stale_etag = std::string(r.response[http::field::etag]);
    }
    const std::string caller = std::to_string(kFirstXuid);
    put = Request(http::verb::put, caller,
                  R"({"members":{"me":{"properties":{"custom":{"ready":true}}}}})");
    stale_put = put;
    stale_put.set(http::field::if_match, stale_etag);
    get = Request(http::verb::get, caller, "");
  }

  static HandlerOptions Options() {
    HandlerOptions o;
    o.secret = kSecret;
    return o;
  }

  static HttpRequest Request(http::verb verb, const std::string& xuid, std::string body) {
    HttpRequest req{verb, kUrl, 11};
    req.set(http::field::host, "127.0.0.1:8080");
    req.set(http::field::authorization, DevAuthorizationHeader(kSecret, xuid));
    req.set("x-xbl-contract-version", "107");
    if (verb == http::verb::put) req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
  }

  // One request as a connection handles it; returns the status.
  unsigned Handle(const HttpRequest& req) {
    RequestInfo info;
    info.verified = &verified;
    info.share_document = true;
    HandlerResult r = handler.HandleRequest(req, info);
    head.clear();
    AppendResponseHead(r.response, &head);
    benchmark::DoNotOptimize(head.data());
    return r.response.result_int();
  }

  Handler handler;
  std::string stale_etag;  // the ETag of a version before the current one
  HttpRequest put;
  HttpRequest stale_put;
  HttpRequest get;
  VerifiedToken verified;  // the connection's cache
  std::string head;        // the connection's head buffer
};

void Run(benchmark::State& state, const HttpRequest Fixture::*request, unsigned want) {
  Fixture f;
  for (auto _ : state) {
    if (f.Handle(f.*request) != want) state.SkipWithError("unexpected status");
  }
}

void BM_HandlerPut(benchmark::State& state) { Run(state, &Fixture::put, 200); }
void BM_HandlerStalePut(benchmark::State& state) { Run(state, &Fixture::stale_put, 412); }
void BM_HandlerGet(benchmark::State& state) { Run(state, &Fixture::get, 200); }

BENCHMARK(BM_HandlerPut)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HandlerStalePut)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HandlerGet)->Unit(benchmark::kMicrosecond);

// --iterations=OP:N (see the top of the file). Returns the exit code.
int RunIterations(std::string_view spec) {
  const std::size_t colon = spec.find(':');
  const std::string op(spec.substr(0, colon));
  const long n = colon == std::string_view::npos
                     ? 0
                     : std::strtol(std::string(spec.substr(colon + 1)).c_str(), nullptr, 10);
  const HttpRequest Fixture::*request = nullptr;
  unsigned want = 200;
  if (op == "put") {
    request = &Fixture::put;
  } else if (op == "stale_put") {
    request = &Fixture::stale_put;
    want = 412;
  } else if (op == "get") {
    request = &Fixture::get;
  }
  if (request == nullptr || n <= 0) {
    std::fprintf(stderr, "--iterations wants put|stale_put|get:N, N > 0\n");
    return 2;
  }
  Fixture f;
  for (long i = 0; i < n; ++i) {
    if (f.Handle(f.*request) != want) {
      std::fprintf(stderr, "unexpected status\n");
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace sessionrig::sessiond

int main(int argc, char** argv) {
  constexpr std::string_view kFlag = "--iterations=";
  if (argc == 2 && std::string_view(argv[1]).substr(0, kFlag.size()) == kFlag) {
    return sessionrig::sessiond::RunIterations(std::string_view(argv[1]).substr(kFlag.size()));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
