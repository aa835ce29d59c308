// Concurrent writers racing on one session from many threads over real
// sockets: exactly one winner per ETag, and no lost update.
#include <gtest/gtest.h>

#include <barrier>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sessiond/merge.h"
#include "sessiond/mini_client.h"
#include "sessiond/server.h"
#include "sessionrig/json_codec.h"

namespace sessionrig::sessiond {
namespace {

using std::chrono::milliseconds;

constexpr char kUrl[] = "/serviceconfigs/scid/sessionTemplates/race/sessions/hot";
constexpr int kThreads = 8;

std::unique_ptr<Server> StartServer(bool ignore_if_match = false) {
  ServerOptions o;
  o.threads = 2;
  o.limits.max_json_container_items = 1 << 15;  // the append list grows past 4096
  o.limits.max_body_bytes = 4u << 20;
  o.testing_ignore_if_match = ignore_if_match;
  auto s = Server::Start(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

HeaderList As(const Server& s, int thread, HeaderList extra = {}) {
  HeaderList h = {{"Authorization", s.AuthorizationFor(std::to_string(1000 + thread))},
                  {"x-xbl-contract-version", "107"}};
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

Json MustParse(const std::string& body) {
  auto j =
      ParseJsonStrict(body, JsonLimits{.max_bytes = 8u << 20, .max_container_items = 1u << 16});
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? std::move(j).value() : Json();
}

TEST(SessiondRace, ExactlyOneWinnerPerEtag) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  auto setup = HttpConnection::Connect("127.0.0.1", s->port());
  ASSERT_TRUE(setup.ok());
  auto created =
      setup->Request("PUT", kUrl, As(*s, 0), R"({"properties":{"custom":{"winner":-1}}})");
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201u);

  constexpr int kRounds = 60;
  std::string etag = created->Header("etag");
  struct Outcome {
    unsigned status = 0;
    std::string etag;
    std::string body;
  };
  std::vector<Outcome> outcomes(kThreads);
  std::barrier sync(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = HttpConnection::Connect("127.0.0.1", s->port());
      ASSERT_TRUE(c.ok());
      for (int round = 0; round < kRounds; ++round) {
        sync.arrive_and_wait();  // etag of this round published
        auto r = c->Request("PUT", kUrl, As(*s, t, {{"If-Match", etag}}),
                            R"({"properties":{"custom":{"winner":)" + std::to_string(t) + "}}}");
        Outcome& o = outcomes[static_cast<std::size_t>(t)];
        o = r.ok() ? Outcome{r->status, r->Header("etag"), r->body} : Outcome{};
        sync.arrive_and_wait();  // round done
      }
    });
  }
  std::set<std::string> all_etags = {etag};
  for (int round = 0; round < kRounds; ++round) {
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    int winners = 0;
    const Outcome* winner = nullptr;
    for (const Outcome& o : outcomes) {
      if (o.status == 200) {
        ++winners;
        winner = &o;
      } else {
        ASSERT_EQ(o.status, 412u);
      }
    }
    ASSERT_EQ(winners, 1) << "round " << round;
    const int winner_thread = MustParse(winner->body)["properties"]["custom"]["winner"].get<int>();
    for (const Outcome& o : outcomes) {
      if (&o == winner) continue;
      // Every loser sees the winner's state and ETag.
      EXPECT_EQ(o.etag, winner->etag);
      EXPECT_EQ(MustParse(o.body)["properties"]["custom"]["winner"], winner_thread);
    }
    EXPECT_TRUE(all_etags.insert(winner->etag).second) << "ETag reused";
    etag = winner->etag;
  }
  for (auto& th : threads) th.join();
}

// One acknowledged write, for the history check.
struct Ack {
  std::string prior_etag;
  std::string new_etag;
  std::string token;
};

// 8 threads x 1250 racing read-modify-write attempts = 10,000 racing
// writes. Each attempt appends a fresh token to properties.custom.log under
// If-Match and, on 412, retries from the state the 412 returned.
struct AppendRun {
  std::vector<Ack> acks;
  std::set<std::string> refused;  // tokens whose write got 412
  std::vector<std::string> final_log;
  std::string first_etag;
  std::string final_etag;
};

// The items of properties.custom.log in a session document, as JSON text
// ("\"0:1\",\"3:4\""). Tokens hold only digits and ':', so no full parse is
// needed: this keeps the client cheap, and the final state is parsed fully.
std::string LogItems(const std::string& body) {
  const std::size_t start = body.find("\"log\":[");
  if (start == std::string::npos) {
    ADD_FAILURE() << "no log in " << body.substr(0, 200);
    return "";
  }
  const std::size_t from = start + 7;
  return body.substr(from, body.find(']', from) - from);
}

AppendRun RunAppendRace(Server& s, int attempts_per_thread) {
  AppendRun run;
  auto setup = HttpConnection::Connect("127.0.0.1", s.port());
  EXPECT_TRUE(setup.ok());
  auto created = setup->Request("PUT", kUrl, As(s, 0), R"({"properties":{"custom":{"log":[]}}})");
  EXPECT_TRUE(created.ok() && created->status == 201u);
  run.first_etag = created->Header("etag");
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = HttpConnection::Connect("127.0.0.1", s.port());
      ASSERT_TRUE(c.ok());
      auto cur = c->Request("GET", kUrl, As(s, t));
      ASSERT_TRUE(cur.ok() && cur->status == 200u);
      std::string etag = cur->Header("etag");
      std::string items = LogItems(cur->body);
      std::vector<Ack> acks;
      std::vector<std::string> refused;
      for (int i = 0; i < attempts_per_thread; ++i) {
        const std::string token = std::to_string(t) + ":" + std::to_string(i);
        const std::string delta = R"({"properties":{"custom":{"log":[)" + items +
                                  (items.empty() ? "" : ",") + "\"" + token + "\"]}}}";
        auto r = c->Request("PUT", kUrl, As(s, t, {{"If-Match", etag}}), delta);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ASSERT_TRUE(r->status == 200u || r->status == 412u) << r->status << " " << r->body;
        if (r->status == 200u) {
          acks.push_back({etag, r->Header("etag"), token});
        } else {
          refused.push_back(token);
        }
        // Either way the response carries the latest state to build on.
        etag = r->Header("etag");
        items = LogItems(r->body);
      }
      std::lock_guard<std::mutex> lock(mu);
      run.acks.insert(run.acks.end(), acks.begin(), acks.end());
      run.refused.insert(refused.begin(), refused.end());
    });
  }
  for (auto& th : threads) th.join();
  auto reader = HttpConnection::Connect("127.0.0.1", s.port());  // setup may have idled out
  EXPECT_TRUE(reader.ok());
  auto final_state = reader->Request("GET", kUrl, As(s, 0));
  EXPECT_TRUE(final_state.ok() && final_state->status == 200u);
  run.final_etag = final_state->Header("etag");
  run.final_log =
      MustParse(final_state->body)["properties"]["custom"]["log"].get<std::vector<std::string>>();
  return run;
}

// The linear-time history check (loadgen/consistency.h states its rules);
// returns the violations found.
std::vector<std::string> CheckHistory(const AppendRun& run) {
  std::vector<std::string> violations;
  std::map<std::string, const Ack*> by_prior;
  for (const Ack& a : run.acks) {
    if (!by_prior.emplace(a.prior_etag, &a).second)
      violations.push_back("two acks share prior " + a.prior_etag);
  }
  // The ETag chain from the creation ETag covers every ack, in list order.
  std::vector<std::string> chain_tokens;
  std::string at = run.first_etag;
  for (auto it = by_prior.find(at); it != by_prior.end(); it = by_prior.find(at)) {
    chain_tokens.push_back(it->second->token);
    at = it->second->new_etag;
    if (chain_tokens.size() > run.acks.size()) break;
  }
  if (chain_tokens.size() != run.acks.size())
    violations.push_back("ETag chain does not cover every ack");
  if (at != run.final_etag) violations.push_back("ETag chain does not end at the final ETag");
  if (run.final_log != chain_tokens)
    violations.push_back("final list differs from the acknowledged chain");
  for (const std::string& t : run.final_log) {
    if (run.refused.count(t) > 0) violations.push_back("refused token " + t + " is in the list");
  }
  return violations;
}

TEST(SessiondRace, NoLostUpdateAcross10000RacingWrites) {
  auto s = StartServer();
  ASSERT_TRUE(s);
  constexpr int kAttemptsPerThread = 1250;
  const AppendRun run = RunAppendRace(*s, kAttemptsPerThread);
  EXPECT_EQ(run.acks.size() + run.refused.size(), std::size_t{kThreads} * kAttemptsPerThread);
  EXPECT_GT(run.acks.size(), 0u);
  EXPECT_EQ(run.final_log.size(), run.acks.size());
  const std::set<std::string> unique(run.final_log.begin(), run.final_log.end());
  EXPECT_EQ(unique.size(), run.final_log.size()) << "a token appears twice";
  EXPECT_EQ(CheckHistory(run), std::vector<std::string>());
  std::printf("racing writes: %zu acknowledged, %zu refused (412)\n", run.acks.size(),
              run.refused.size());
}

// The same check catches the deliberate ignore-If-Match bug.
TEST(SessiondRace, TheHistoryCheckCatchesIgnoredIfMatch) {
  auto s = StartServer(/*ignore_if_match=*/true);
  ASSERT_TRUE(s);
  const AppendRun run = RunAppendRace(*s, 150);
  EXPECT_TRUE(run.refused.empty());  // nothing is ever refused
  EXPECT_FALSE(CheckHistory(run).empty());
  EXPECT_LT(run.final_log.size(), run.acks.size()) << "expected lost updates";
}

}  // namespace
}  // namespace sessionrig::sessiond
