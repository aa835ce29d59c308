#include "loadgen/config.h"

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

using std::chrono::microseconds;

TEST(ConfigTest, DurationFieldsTakeTheGrammarAndBareSeconds) {
  // The grammar itself is tested with sessionrig/duration.h; here, that
  // duration fields use it and read a bare number as seconds (as k6 does).
  struct Case {
    const char* text;
    microseconds want;
  } cases[] = {{"250us", microseconds(250)},
               {"20ms", microseconds(20000)},
               {"1.5s", microseconds(1500000)},
               {"2m", microseconds(120000000)},
               {"0.5h", microseconds(1800000000)},
               {"30", microseconds(30000000)},
               {"0", microseconds(0)}};
  for (const Case& c : cases) {
    Config config;
    ASSERT_TRUE(SetField("think_time", c.text, &config).ok()) << c.text;
    EXPECT_EQ(config.think_time, c.want) << c.text;
  }
  for (const char* bad : {"", "s", "ten", "5 s", "5sec", "-1s", "1e400s", "nan", "101d"}) {
    Config config;
    EXPECT_FALSE(SetField("duration", bad, &config).ok()) << bad;
  }
  Config config;
  EXPECT_NE(SetField("timeout", "5sec", &config).message().find("unknown unit 'sec'"),
            std::string::npos);
}

TEST(ConfigTest, StagesParse) {
  StatusOr<std::vector<Stage>> s = ParseStages("10s:100,20s:500,0s:0");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[0].duration, microseconds(10000000));
  EXPECT_EQ((*s)[0].target_rate, 100);
  EXPECT_EQ((*s)[1].target_rate, 500);
  EXPECT_EQ((*s)[2].duration, microseconds(0));
  const Status missing = ParseStages("10s:100,20s").status();
  EXPECT_EQ(missing.message(), "stage 2 '20s': want DURATION:RATE, e.g. 10s:100");
  EXPECT_NE(ParseStages("10s:-5").status().message().find("stage 1 '10s:-5': rate"),
            std::string::npos);
  EXPECT_FALSE(ParseStages("").ok());
  EXPECT_FALSE(ParseStages("10s:100,").ok());
}

TEST(ConfigTest, FlagNames) {
  EXPECT_EQ(FlagName("max_inflight"), "--max-inflight");
  EXPECT_EQ(FlagName("rate"), "--rate");
  for (const ConfigField& f : ConfigFields()) {
    EXPECT_EQ(std::string(f.key).find('-'), std::string::npos) << f.key;
    EXPECT_NE(std::string(f.help), "") << f.key;
  }
}

TEST(ConfigTest, SetFieldValidatesValues) {
  Config c;
  EXPECT_TRUE(SetField("rate", "250.5", &c).ok());
  EXPECT_EQ(c.rate, 250.5);
  EXPECT_TRUE(SetField("mode", "upsert", &c).ok());
  EXPECT_EQ(c.mode, WriteMode::kUpsert);
  EXPECT_TRUE(SetField("scenario", "append", &c).ok());
  EXPECT_EQ(c.scenario, ScenarioKind::kAppend);
  EXPECT_TRUE(SetField("shard", "1/3", &c).ok());
  EXPECT_EQ(c.shard_index, 1u);
  EXPECT_EQ(c.shard_count, 3u);
  EXPECT_TRUE(SetField("threshold", "p99<50ms", &c).ok());
  EXPECT_TRUE(SetField("threshold", "error_rate<0.01", &c).ok());
  EXPECT_EQ(c.thresholds.size(), 2u);
  EXPECT_TRUE(SetField("target", "http://127.0.0.1:8080/", &c).ok());
  EXPECT_EQ(c.target, "http://127.0.0.1:8080");
  EXPECT_EQ(c.set_fields.count("rate"), 1u);

  EXPECT_EQ(SetField("rate", "abc", &c).message(), "'abc' is not a number");
  EXPECT_EQ(SetField("rate", "0", &c).message(), "must be greater than 0");
  EXPECT_EQ(SetField("capacity", "101", &c).message(), "'101' is not in 1..100");
  EXPECT_EQ(SetField("users", "-3", &c).message(), "'-3' is not a non-negative integer");
  EXPECT_EQ(SetField("mode", "fast", &c).message(),
            "'fast' is not a mode (sync, update, create, upsert)");
  EXPECT_EQ(SetField("scenario", "raid", &c).message(),
            "'raid' is not a scenario (lobby, append, churn, mixed)");
  EXPECT_EQ(SetField("target", "127.0.0.1:80", &c).message(),
            "'127.0.0.1:80' is not an http:// or https:// URL");
  EXPECT_EQ(SetField("run_id", "a b", &c).message(), "'a b' is not 1-32 characters [A-Za-z0-9-]");
  EXPECT_FALSE(SetField("threshold", "p99<50", &c).ok());
  EXPECT_FALSE(SetField("shard", "3/3", &c).ok());
  EXPECT_EQ(SetField("nope", "1", &c).message(), "unknown field");

  // The time series and its HdrHistogram log.
  EXPECT_EQ(c.interval, std::chrono::seconds(1));
  EXPECT_TRUE(SetField("interval", "250ms", &c).ok());
  EXPECT_EQ(c.interval, std::chrono::milliseconds(250));
  EXPECT_EQ(SetField("interval", "50ms", &c).message(), "must be at least 100ms");
  EXPECT_EQ(SetField("interval", "2h", &c).message(), "must be at most 1h");
  EXPECT_TRUE(SetField("hlog", "run.hlog", &c).ok());
  EXPECT_EQ(c.hlog_path, "run.hlog");
}

TEST(ConfigTest, ConfigFileSetsFieldsAndNamesBadOnes) {
  Config c;
  ASSERT_TRUE(ApplyConfigJson(R"({"scenario": "churn", "rate": 300, "duration": "10s",
                                  "warmup": 2, "threshold": ["p99<1s", "dropped<1"],
                                  "quiet": true, "zipf": 1.2})",
                              &c)
                  .ok());
  EXPECT_EQ(c.scenario, ScenarioKind::kChurn);
  EXPECT_EQ(c.rate, 300);
  EXPECT_EQ(c.duration, microseconds(10000000));
  EXPECT_EQ(c.warmup, microseconds(2000000));
  EXPECT_EQ(c.thresholds, (std::vector<std::string>{"p99<1s", "dropped<1"}));
  EXPECT_TRUE(c.quiet);
  EXPECT_EQ(c.zipf, 1.2);

  Config d;
  EXPECT_EQ(ApplyConfigJson(R"({"rat": 5})", &d).message(), "config field 'rat' is unknown");
  EXPECT_EQ(ApplyConfigJson(R"({"rate": "5"})", &d).message(),
            "config field 'rate': expected a number");
  EXPECT_EQ(ApplyConfigJson(R"({"duration": true})", &d).message(),
            "config field 'duration': expected a duration such as \"10s\"");
  EXPECT_EQ(ApplyConfigJson(R"({"capacity": 0})", &d).message(),
            "config field 'capacity': '0' is not in 1..100");
  EXPECT_EQ(ApplyConfigJson(R"({"threshold": [1]})", &d).message(),
            "config field 'threshold': expected an array of strings");
  EXPECT_EQ(ApplyConfigJson(R"({"quiet": "yes"})", &d).message(),
            "config field 'quiet': expected true or false");
  EXPECT_EQ(ApplyConfigJson("[1]", &d).message(), "expected a JSON object of fields");
  EXPECT_EQ(ApplyConfigJson("{", &d).message().rfind("not valid JSON", 0), 0u);
  EXPECT_FALSE(ApplyConfigJson(R"({"rate": 1, "rate": 2})", &d).ok());  // duplicate key
}

TEST(ConfigTest, ResolveFillsScenarioDefaults) {
  Config lobby;
  ASSERT_TRUE(ResolveAndValidate(&lobby).ok());
  EXPECT_EQ(lobby.users, 1000u);
  EXPECT_EQ(lobby.sessions, 100u);
  EXPECT_EQ(lobby.capacity, 8u);
  EXPECT_EQ(lobby.zipf, 0.0);
  EXPECT_EQ(lobby.max_inflight, 4000u);  // embedded sessiond
  EXPECT_GE(lobby.threads, 1u);
  EXPECT_FALSE(lobby.run_id.empty());

  Config mixed;
  ASSERT_TRUE(SetField("scenario", "mixed", &mixed).ok());
  ASSERT_TRUE(SetField("target", "http://127.0.0.1:1", &mixed).ok());
  ASSERT_TRUE(SetField("token_file", "/dev/null", &mixed).ok());
  ASSERT_TRUE(ResolveAndValidate(&mixed).ok());
  EXPECT_EQ(mixed.users, 0u);  // one per line of the token file
  EXPECT_EQ(mixed.zipf, 0.99);
  EXPECT_EQ(mixed.max_inflight, 10000u);

  Config staged;
  ASSERT_TRUE(SetField("stages", "1s:10,2s:20", &staged).ok());
  ASSERT_TRUE(ResolveAndValidate(&staged).ok());
  EXPECT_EQ(MainDuration(staged), microseconds(3000000));
}

TEST(ConfigTest, ShardAutoTakesTheIndexFromJobCompletionIndex) {
  Config c;
  ASSERT_TRUE(SetField("shard", "auto/4", &c).ok());
  EXPECT_TRUE(c.shard_from_env);
  EXPECT_EQ(c.shard_count, 4u);
  // Not resolved yet: ResolveAndValidate refuses rather than run shard 0.
  EXPECT_EQ(ResolveAndValidate(&c).message(),
            "--shard auto/4: the index was not read from JOB_COMPLETION_INDEX");

  Config missing = c;
  EXPECT_EQ(ResolveAutoShard(nullptr, &missing).message(),
            "--shard auto/4: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it "
            "in each pod; elsewhere set it to 0..3 or use --shard I/N)");
  for (const char* bad : {"4", "-1", "", "1.0", "x", "99999999999"}) {
    Config out_of_range = c;
    EXPECT_EQ(ResolveAutoShard(bad, &out_of_range).message(),
              "--shard auto/4: JOB_COMPLETION_INDEX='" + std::string(bad) + "' is not in 0..3")
        << bad;
  }

  ASSERT_TRUE(ResolveAutoShard("3", &c).ok());
  EXPECT_EQ(c.shard_index, 3u);
  EXPECT_EQ(c.shard_count, 4u);
  EXPECT_FALSE(c.shard_from_env);
  EXPECT_TRUE(ResolveAndValidate(&c).ok());

  // Without auto the variable is ignored; a later I/N replaces auto/N.
  Config fixed;
  ASSERT_TRUE(SetField("shard", "auto/2", &fixed).ok());
  ASSERT_TRUE(SetField("shard", "1/2", &fixed).ok());
  ASSERT_TRUE(ResolveAutoShard("0", &fixed).ok());
  EXPECT_EQ(fixed.shard_index, 1u);
  EXPECT_FALSE(fixed.shard_from_env);

  Config bad;
  EXPECT_EQ(SetField("shard", "auto/0", &bad).message(),
            "'auto/0': expected auto/N with an integer N >= 1");
  EXPECT_EQ(SetField("shard", "auto/", &bad).message(),
            "'auto/': expected auto/N with an integer N >= 1");
  EXPECT_TRUE(SetField("shard", "auto/1", &bad).ok());
}

TEST(ConfigTest, StartAtTakesUnixSecondsOrRfc3339) {
  EXPECT_EQ(*ParseStartAt("1714564800"), 1714564800.0);
  EXPECT_EQ(*ParseStartAt("1714564800.25"), 1714564800.25);
  EXPECT_EQ(*ParseStartAt("2024-05-01T12:00:00Z"), 1714564800.0);
  EXPECT_EQ(*ParseStartAt("2024-05-01T14:00:00+02:00"), 1714564800.0);
  // The fraction ParseRfc3339 drops is kept.
  EXPECT_DOUBLE_EQ(*ParseStartAt("2024-05-01T12:00:00.5Z"), 1714564800.5);
  EXPECT_DOUBLE_EQ(*ParseStartAt("2024-05-01T14:00:00.125+02:00"), 1714564800.125);
  EXPECT_EQ(ParseStartAt("2024-05-01 12:00:00Z").status().message(),
            "'2024-05-01 12:00:00Z' is neither unix seconds nor an RFC 3339 time (e.g. "
            "2025-06-01T12:00:00Z)");
  EXPECT_FALSE(ParseStartAt("2024-05-01T12:00:00").ok());  // no offset
  EXPECT_FALSE(ParseStartAt("").ok());
  EXPECT_FALSE(ParseStartAt("-5").ok());
  EXPECT_EQ(ParseStartAt("0").status().message(), "'0' is not a unix time in seconds (> 0)");
  EXPECT_FALSE(ParseStartAt("1970-01-01T00:00:00Z").ok());

  Config c;
  ASSERT_TRUE(SetField("start_at", "2024-05-01T12:00:00.5Z", &c).ok());
  EXPECT_DOUBLE_EQ(*c.start_at, 1714564800.5);
  Config file;
  ASSERT_TRUE(ApplyConfigJson(R"({"start_at": "2024-05-01T12:00:00Z"})", &file).ok());
  EXPECT_EQ(*file.start_at, 1714564800.0);
  ASSERT_TRUE(ApplyConfigJson(R"({"start_at": 1714564801})", &file).ok());
  EXPECT_EQ(*file.start_at, 1714564801.0);
  EXPECT_EQ(ApplyConfigJson(R"({"start_at": true})", &file).message(),
            "config field 'start_at': expected unix seconds or an RFC 3339 time string");
}

// Applies flags (key, value) and returns ResolveAndValidate's message.
std::string Conflict(std::initializer_list<std::pair<const char*, const char*>> flags) {
  Config c;
  for (const auto& [key, value] : flags) {
    Status s = SetField(key, value, &c);
    if (!s.ok()) return "SetField: " + s.message();
  }
  return ResolveAndValidate(&c).message();
}

TEST(ConfigTest, ConflictsNameTheFlags) {
  EXPECT_EQ(Conflict({{"stages", "1s:10"}, {"duration", "5s"}}),
            "--stages and --duration both set the run length");
  EXPECT_EQ(Conflict({{"vus", "10"}, {"rate", "5"}}),
            "--vus and --rate: choose closed loop (--vus) or open loop");
  EXPECT_EQ(Conflict({{"think_time", "1s"}}), "--think-time: only with --vus (closed loop)");
  EXPECT_EQ(Conflict({{"target", "http://x:1"}}),
            "--target: needs --token-file or --token-command (one Authorization value per user)");
  EXPECT_EQ(Conflict({{"token_file", "f"}}),
            "--token-file: only with --target (the embedded sessiond mints its tokens)");
  EXPECT_EQ(Conflict({{"token_command", "true"}}),
            "--token-command: only with --target (the embedded sessiond mints its tokens)");
  EXPECT_EQ(Conflict({{"target", "http://x:1"}, {"token_file", "f"}, {"token_command", "true"}}),
            "--token-file and --token-command: give one source of tokens");
  EXPECT_EQ(Conflict({{"token_refresh", "10s"}}),
            "--token-refresh: needs --token-file or --token-command to re-read");
  EXPECT_EQ(Conflict({{"token_refresh", "10ms"}}), "SetField: must be 0 (off) or at least 100ms");
  EXPECT_EQ(Conflict({{"token_command", ""}}), "SetField: must not be empty");
  EXPECT_EQ(
      Conflict({{"target", "http://x:1"}, {"token_command", "true"}, {"token_refresh", "5m"}}), "");
  EXPECT_EQ(
      Conflict({{"target", "http://x:1"}, {"token_file", "f"}, {"inject", "stall=at:1s,for:1s"}}),
      "--inject: only for the embedded sessiond (without --target)");
  EXPECT_EQ(Conflict({{"start_rate", "5"}}), "--start-rate: only with --stages");
  EXPECT_EQ(Conflict({{"scenario", "append"}, {"capacity", "5"}}),
            "--capacity: the append scenario has no members");
  EXPECT_EQ(Conflict({{"shard", "0/5"}, {"sessions", "3"}}),
            "--shard: 5 shards but only 3 sessions (--sessions)");
  EXPECT_EQ(Conflict({{"append_max_tokens", "5"}}),
            "--append-max-tokens: only for --scenario append");
  EXPECT_EQ(Conflict({{"linger", "5s"}}),
            "--linger: keeps /metrics up after the run; needs --metrics-addr or "
            "--sessiond-metrics-addr");
  EXPECT_EQ(Conflict({{"linger", "2h"}, {"metrics_addr", "127.0.0.1:0"}}),
            "SetField: must be at most 1h");
  EXPECT_EQ(Conflict({{"target", "http://x:1"},
                      {"token_file", "f"},
                      {"sessiond_metrics_addr", "127.0.0.1:0"}}),
            "--sessiond-metrics-addr: only for the embedded sessiond (without --target; a "
            "separate sessiond serves its own --metrics-addr)");
  EXPECT_EQ(Conflict({{"linger", "5s"}, {"sessiond_metrics_addr", "127.0.0.1:0"}}), "");
  EXPECT_EQ(Conflict({{"vus", "3"}, {"think_time", "10ms"}}), "");
  EXPECT_EQ(Conflict({{"duration", "20h"}, {"interval", "100ms"}}),
            "--interval: the run would have 720000 intervals, more than 100000 (use a longer "
            "--interval)");
  EXPECT_EQ(Conflict({{"duration", "24h"}, {"interval", "1s"}}), "");
}

}  // namespace
}  // namespace sessionrig::loadgen
