// loadgen/config.h: what one `loadgen run` does, as a plain struct (h2load
// style: every field defaulted, every unit stated), and the one table of
// settable fields that both the command line (`--rate 500`) and scenario
// files (`{"rate": 500}`) go through, so a flag and its config key always
// mean the same thing and fail with the same message.
//
// Precedence: defaults < scenario file (--config) < command-line flags.
// Flag `--some-name` is config key `some_name`.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/schedule.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

enum class ScenarioKind { kLobby, kAppend, kChurn, kMixed };
// "lobby", "append", "churn", "mixed".
const char* ScenarioName(ScenarioKind kind);
std::optional<ScenarioKind> ScenarioFromName(std::string_view name);

// --mode: the write mode of an action's first write. Retries after a 412
// always use SynchronizedUpdate on the returned state (scenario.h).
enum class WriteMode {
  kSync,    // SynchronizedUpdate after a read (If-Match: <etag>)
  kUpdate,  // UpdateExisting, blind (If-Match: *)
  kCreate,  // CreateNew, blind (If-None-Match: *): create-or-join
  kUpsert,  // UpdateOrCreateNew, blind (no precondition)
};
// "sync", "update", "create", "upsert".
const char* WriteModeName(WriteMode mode);
std::optional<WriteMode> WriteModeFromName(std::string_view name);

struct Config {
  // ---- What runs, against what.
  ScenarioKind scenario = ScenarioKind::kLobby;
  WriteMode mode = WriteMode::kSync;
  std::string target;      // base URL "http://host:port"; "" = embedded sessiond
  std::string token_file;  // with --target: one Authorization value per user
  // With --target, instead of token_file: a shell command that prints the
  // token file's contents (e.g. `sessionctl token --count N --ttl 1h ...`).
  std::string token_command;
  // Re-read token_file / re-run token_command this often during the run,
  // so tokens that expire are replaced; 0 = only on SIGHUP.
  std::chrono::microseconds token_refresh{0};

  // ---- Load model. Open loop (rate or stages) unless vus > 0.
  double rate = 500;                        // arrivals per second (constant open loop)
  std::vector<Stage> stages;                // ramping open loop; replaces rate and duration
  double start_rate = 0;                    // arrivals per second where the stages start
  std::uint32_t vus = 0;                    // > 0: closed loop with this many virtual users
  std::chrono::microseconds think_time{0};  // closed loop: pause after each action
  std::chrono::microseconds duration{std::chrono::seconds(30)};  // measured phase
  std::chrono::microseconds warmup{0};  // before the measured phase; excluded from results
  std::chrono::microseconds max_lag{std::chrono::seconds(1)};  // later than this: dropped
  std::uint32_t max_inflight = 0;   // actions in flight at once, whole process; 0 = 10000
                                    // (embedded sessiond: 4000, it serves 4096 connections)
  std::uint32_t max_attempts = 20;  // writes per action before it fails
  std::chrono::microseconds timeout{std::chrono::seconds(10)};  // per request
  std::uint32_t threads = 0;  // worker threads; 0 = hardware threads

  // ---- Population. 0 = the scenario's default (ResolveDefaults).
  std::uint32_t users = 0;                // distinct users; --token-file: 0 = every line
  std::uint32_t sessions = 0;             // sessions (lobbies) the users contend for
  std::uint32_t capacity = 0;             // seats per session (lobby: 8, churn/mixed: 100)
  std::optional<double> zipf;             // session popularity exponent; 0 = uniform
  std::uint32_t append_max_tokens = 200;  // append: roll the session over at this length
  double update_fraction = 0.8;           // mixed: share of property updates (rest join/leave)
  std::uint64_t seed = 1;                 // all random choices
  std::string run_id;                     // session name prefix; "" = generated from the clock

  // ---- Sharding (several processes, one run).
  std::uint32_t shard_index = 0;  // --shard I/N: this process is shard I ...
  std::uint32_t shard_count = 1;  // ... of N
  // --shard auto/N: shard_index is still to be read from the environment
  // variable JOB_COMPLETION_INDEX (a Kubernetes Indexed Job sets it in each
  // pod) by ResolveAutoShard, which clears this flag.
  bool shard_from_env = false;
  std::optional<double> start_at;  // unix time, seconds: start the schedule then

  // ---- Embedded sessiond (no --target).
  unsigned server_threads = 1;        // its io threads
  std::vector<std::string> inject;    // its fault specs (sessiond --inject grammar); times
                                      // count from the start of the run (warm-up included)
  std::string sessiond_metrics_addr;  // "host:port" for its Prometheus /metrics

  // ---- Outputs.
  std::string json_path;  // summary JSON (schema sessionrig.loadgen.summary/v1)
  std::string hgrm_path;  // corrected-latency percentile distribution, ms
  std::string hlog_path;  // interval histograms, HdrHistogram interval log (V2), us
  // Length of one interval of the time series (--json "timeseries", --hlog).
  std::chrono::microseconds interval{std::chrono::seconds(1)};
  std::string metrics_addr;  // "host:port" for live Prometheus /metrics
  // After the run, keep /metrics (and the embedded sessiond) up this long so
  // Prometheus scrapes the final counts (k6 --linger; bounded, Ctrl-C ends it).
  std::chrono::microseconds linger{0};
  std::vector<std::string> thresholds;  // e.g. "p99<50ms"; any failing: exit 99
  bool quiet = false;                   // no progress output
  std::chrono::microseconds progress_interval{std::chrono::seconds(5)};  // when not a TTY
  int hdr_digits = 3;  // significant digits of the latency histograms (1..5)

  // Keys of the fields a scenario file or flag set (to detect conflicts
  // such as --stages with --duration).
  std::set<std::string> set_fields;

  bool closed_loop() const { return vus > 0; }
};

// The most intervals a run's time series may have (--interval against the
// run length): bounds the per-worker interval records allocated at setup.
inline constexpr std::int64_t kMaxIntervals = 100'000;

// One settable field. `key` is the config-file key; the flag is
// "--" + key with '_' replaced by '-'.
struct ConfigField {
  enum class Kind {
    kString,    // text
    kNumber,    // a JSON number in files; decimal text on the command line
    kDuration,  // "250us", "20ms", "1.5s", "2m", "1h"; a bare number is seconds
    kList,      // repeatable flag; a JSON array of strings (or one string)
    kBool,      // a flag without value; JSON true/false
    kTime,      // a point in time: unix seconds or RFC 3339 text; JSON number or string
  };
  const char* key;
  Kind kind;
  const char* help;
};

// Every field, in --help order.
const std::vector<ConfigField>& ConfigFields();
// "--" + key with '_' -> '-'.
std::string FlagName(std::string_view key);

// "--stages" text: comma-separated DURATION:RATE pairs, e.g.
// "10s:100,20s:500" (ramp to 100/s over 10 s, then to 500/s over 20 s).
StatusOr<std::vector<Stage>> ParseStages(std::string_view text);

// "--start-at" text: unix time in seconds ("1717243200", "1717243200.25")
// or an RFC 3339 date-time ("2024-06-01T12:00:00Z",
// "2024-06-01T14:00:00.25+02:00"; the fraction is kept). Returns unix
// seconds. Errors: kInvalidArgument quoting the text.
StatusOr<double> ParseStartAt(std::string_view text);

// The environment variable a Kubernetes Indexed Job sets to the pod's
// completion index (0..completions-1); what --shard auto/N reads.
inline constexpr const char* kJobCompletionIndexEnv = "JOB_COMPLETION_INDEX";

// Completes --shard auto/N: sets shard_index from `job_completion_index`,
// the value of JOB_COMPLETION_INDEX (nullptr when the variable is not set),
// and clears shard_from_env. Does nothing unless config->shard_from_env.
// Errors (kInvalidArgument, naming the flag and the variable): the variable
// is missing, not a decimal integer, or not in 0..N-1. Pure: the caller
// reads the environment.
Status ResolveAutoShard(const char* job_completion_index, Config* config);

// Sets field `key` from its text, as the flag does (list fields append).
// Errors: kInvalidArgument "unknown field" or what is wrong with the value;
// the caller prefixes the flag or config field name.
Status SetField(std::string_view key, std::string_view value, Config* config);

// Applies a scenario file: a JSON object whose keys are field keys (parsed
// with ParseJsonStrict). Errors name the field: "config field 'rat' is
// unknown", "config field 'rate': expected a number". List fields given in
// a file replace the defaults.
Status ApplyConfigJson(std::string_view text, Config* config);

// Fills scenario defaults (users, sessions, capacity, zipf, run_id, threads)
// and checks rules across fields. Errors name the flag, e.g. "--stages and
// --duration both set the run length". --shard auto/N must have been
// resolved (ResolveAutoShard) first.
Status ResolveAndValidate(Config* config);

// The measured run length: the stages' total, else `duration`.
std::chrono::microseconds MainDuration(const Config& config);

}  // namespace sessionrig::loadgen
