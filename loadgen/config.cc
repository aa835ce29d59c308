#include "loadgen/config.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "loadgen/thresholds.h"
#include "sessionrig/duration.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"

namespace sessionrig::loadgen {

namespace {

using std::chrono::microseconds;
using Kind = ConfigField::Kind;

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

std::string Quote(std::string_view text) { return "'" + std::string(text) + "'"; }

StatusOr<double> ParseNumber(std::string_view text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return Invalid(Quote(text) + " is not a number");
  }
  return value;
}

// A non-negative integer up to `max`.
template <typename T>
StatusOr<T> ParseCount(std::string_view text, std::uint64_t max) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return Invalid(Quote(text) + " is not a non-negative integer");
  }
  if (value > max) return Invalid(Quote(text) + " is larger than " + std::to_string(max));
  return static_cast<T>(value);
}

StatusOr<double> ParseNonNegative(std::string_view text) {
  StatusOr<double> v = ParseNumber(text);
  if (!v.ok()) return v.status();
  if (*v < 0) return Invalid(Quote(text) + " is negative");
  return *v;
}

StatusOr<bool> ParseBool(std::string_view text) {
  if (text == "true" || text == "1" || text.empty()) return true;
  if (text == "false" || text == "0") return false;
  return Invalid(Quote(text) + " is not true or false");
}

const std::vector<ConfigField>& Fields() {
  static const std::vector<ConfigField> kFields = {
      {"scenario", Kind::kString, "lobby | append | churn | mixed (default lobby)"},
      {"mode", Kind::kString,
       "write mode of an action's first write: sync | update | create | upsert (default sync)"},
      {"target", Kind::kString,
       "base URL of an MPSD-compatible service; default: sessiond embedded in this process"},
      {"token_file", Kind::kString,
       "with --target: one user per line, 'XUID AUTHORIZATION' or 'XBL3.0 x=XUID;TOKEN'; "
       "re-read on SIGHUP"},
      {"token_command", Kind::kString,
       "with --target, instead of --token-file: a /bin/sh command printing the token file "
       "(e.g. sessionctl token --count N ...); re-run on SIGHUP"},
      {"token_refresh", Kind::kDuration,
       "re-read --token-file / re-run --token-command this often, so expiring tokens are "
       "replaced during the run (default 0: only on SIGHUP)"},
      {"rate", Kind::kNumber, "open loop: arrivals (actions) per second (default 500)"},
      {"stages", Kind::kString,
       "ramping open loop, DURATION:RATE,...: e.g. 10s:100,20s:500 (sets the run length)"},
      {"start_rate", Kind::kNumber, "arrivals per second where --stages start (default 0)"},
      {"vus", Kind::kNumber, "closed loop with N virtual users instead of an arrival rate"},
      {"think_time", Kind::kDuration, "closed loop: pause after each action (default 0)"},
      {"duration", Kind::kDuration, "measured run length (default 30s)"},
      {"warmup", Kind::kDuration, "run this long first at the start rate; excluded (default 0)"},
      {"max_lag", Kind::kDuration,
       "an arrival that cannot start within this of its intended time is dropped (default 1s)"},
      {"max_inflight", Kind::kNumber,
       "actions (connections) in flight at once, whole process (default: 10000, embedded "
       "sessiond 4000: it serves 4096 connections)"},
      {"max_attempts", Kind::kNumber, "writes per action before it fails (default 20)"},
      {"timeout", Kind::kDuration, "per-request timeout (default 10s)"},
      {"threads", Kind::kNumber, "worker threads (default: hardware threads)"},
      {"users", Kind::kNumber, "distinct users (default per scenario)"},
      {"sessions", Kind::kNumber, "sessions / lobbies (default per scenario)"},
      {"capacity", Kind::kNumber, "seats per session, 1..100 (lobby 8, churn and mixed 100)"},
      {"zipf", Kind::kNumber,
       "session popularity exponent theta: 0 uniform .. 1.2 a few hot sessions "
       "(mixed 0.99, others 0)"},
      {"append_max_tokens", Kind::kNumber, "append: roll a session over at this many tokens (200)"},
      {"update_fraction", Kind::kNumber, "mixed: share of property updates; rest join/leave (0.8)"},
      {"seed", Kind::kNumber, "seed of every random choice (default 1)"},
      {"run_id", Kind::kString, "session-name prefix ([A-Za-z0-9-], default from the clock)"},
      {"shard", Kind::kString,
       "I/N: run shard I (0-based) of N; users and sessions partitioned; auto/N: I from "
       "$JOB_COMPLETION_INDEX (set in the pods of a Kubernetes Indexed Job)"},
      {"start_at", Kind::kTime,
       "start the schedule at this time (align shards): unix seconds or RFC 3339, e.g. "
       "2025-06-01T12:00:00Z"},
      {"server_threads", Kind::kNumber, "embedded sessiond io threads (default 1)"},
      {"inject", Kind::kList,
       "embedded sessiond fault, sessiond --inject grammar, e.g. stall=at:5s,for:2s (from the "
       "start of the run; repeatable)"},
      {"sessiond_metrics_addr", Kind::kString,
       "embedded sessiond: serve its Prometheus metrics (sessiond_*) on HOST:PORT"},
      {"json", Kind::kString, "write the summary JSON (schema sessionrig.loadgen.summary/v1)"},
      {"hgrm", Kind::kString, "write the corrected-latency distribution (HdrHistogram .hgrm, ms)"},
      {"hlog", Kind::kString,
       "write each interval's corrected write (and read) latency histogram as an HdrHistogram "
       "interval log (V2 compressed, as jHiccup writes it; values in us)"},
      {"interval", Kind::kDuration,
       "length of one interval of the time series (--json timeseries, --hlog), 100ms..1h "
       "(default 1s)"},
      {"metrics_addr", Kind::kString, "serve live Prometheus metrics on HOST:PORT"},
      {"linger", Kind::kDuration,
       "after the run keep /metrics (and the embedded sessiond) up this long, so Prometheus "
       "scrapes the final counts; at most 1h, Ctrl-C ends it (default 0)"},
      {"threshold", Kind::kList, "pass/fail rule, e.g. 'p99<50ms' (repeatable; failing: exit 99)"},
      {"quiet", Kind::kBool, "no progress output"},
      {"progress_interval", Kind::kDuration,
       "period of progress lines when stderr is not a terminal (default 5s)"},
      {"hdr_digits", Kind::kNumber, "significant digits of latency histograms, 1..5 (default 3)"},
  };
  return kFields;
}

Status SetDuration(std::string_view value, microseconds* out) {
  StatusOr<microseconds> d = ParseDuration(value, BareNumber::kSeconds);
  if (!d.ok()) return d.status();
  *out = *d;
  return Status::Ok();
}

// The scenario's defaults for fields left at 0.
struct ScenarioDefaults {
  std::uint32_t users;
  std::uint32_t sessions;
  std::uint32_t capacity;
  double zipf;
};

ScenarioDefaults DefaultsFor(ScenarioKind kind) {
  switch (kind) {
    case ScenarioKind::kLobby:
      return {1000, 100, 8, 0.0};
    case ScenarioKind::kAppend:
      return {64, 4, 100, 0.0};
    case ScenarioKind::kChurn:
      return {400, 100, 100, 0.0};
    case ScenarioKind::kMixed:
      return {2000, 1000, 100, 0.99};
  }
  return {1000, 40, 8, 0.0};
}

bool ValidRunId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

const char* ScenarioName(ScenarioKind kind) {
  switch (kind) {
    case ScenarioKind::kLobby:
      return "lobby";
    case ScenarioKind::kAppend:
      return "append";
    case ScenarioKind::kChurn:
      return "churn";
    case ScenarioKind::kMixed:
      return "mixed";
  }
  return "unknown";
}

std::optional<ScenarioKind> ScenarioFromName(std::string_view name) {
  for (ScenarioKind k :
       {ScenarioKind::kLobby, ScenarioKind::kAppend, ScenarioKind::kChurn, ScenarioKind::kMixed}) {
    if (name == ScenarioName(k)) return k;
  }
  return std::nullopt;
}

const char* WriteModeName(WriteMode mode) {
  switch (mode) {
    case WriteMode::kSync:
      return "sync";
    case WriteMode::kUpdate:
      return "update";
    case WriteMode::kCreate:
      return "create";
    case WriteMode::kUpsert:
      return "upsert";
  }
  return "unknown";
}

std::optional<WriteMode> WriteModeFromName(std::string_view name) {
  for (WriteMode m :
       {WriteMode::kSync, WriteMode::kUpdate, WriteMode::kCreate, WriteMode::kUpsert}) {
    if (name == WriteModeName(m)) return m;
  }
  return std::nullopt;
}

const std::vector<ConfigField>& ConfigFields() { return Fields(); }

std::string FlagName(std::string_view key) {
  std::string flag = "--" + std::string(key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

StatusOr<double> ParseStartAt(std::string_view text) {
  const bool numeric = !text.empty() && std::all_of(text.begin(), text.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '+';
  });
  if (numeric) {
    StatusOr<double> v = ParseNumber(text);
    if (!v.ok()) return v.status();
    if (*v <= 0) return Invalid(Quote(text) + " is not a unix time in seconds (> 0)");
    return *v;
  }
  int64_t seconds = 0;
  if (!ParseRfc3339(text, &seconds)) {
    return Invalid(Quote(text) +
                   " is neither unix seconds nor an RFC 3339 time (e.g. 2025-06-01T12:00:00Z)");
  }
  // ParseRfc3339 drops the fraction; shards aligned to the millisecond need
  // it. It follows "YYYY-MM-DDTHH:MM:SS" (19 characters), which ParseRfc3339
  // has just checked.
  double fraction = 0;
  constexpr std::size_t kSecondsEnd = 19;
  if (text.size() > kSecondsEnd && text[kSecondsEnd] == '.') {
    double scale = 0.1;
    for (std::size_t i = kSecondsEnd + 1; i < text.size() && text[i] >= '0' && text[i] <= '9';
         ++i) {
      fraction += scale * (text[i] - '0');
      scale /= 10;
    }
  }
  const double unix_seconds = static_cast<double>(seconds) + fraction;
  if (unix_seconds <= 0) return Invalid(Quote(text) + " is not after 1970-01-01T00:00:00Z");
  return unix_seconds;
}

Status ResolveAutoShard(const char* job_completion_index, Config* config) {
  if (!config->shard_from_env) return Status::Ok();
  const std::string flag = "--shard auto/" + std::to_string(config->shard_count);
  const std::string range = "0.." + std::to_string(config->shard_count - 1);
  if (job_completion_index == nullptr) {
    return Invalid(flag + ": " + kJobCompletionIndexEnv +
                   " is not set (a Kubernetes Indexed Job sets it in each pod; elsewhere set it "
                   "to " +
                   range + " or use --shard I/N)");
  }
  const std::string_view text = job_completion_index;
  StatusOr<std::uint32_t> index = ParseCount<std::uint32_t>(text, UINT32_MAX);
  if (!index.ok() || *index >= config->shard_count) {
    return Invalid(flag + ": " + kJobCompletionIndexEnv + "=" + Quote(text) + " is not in " +
                   range);
  }
  config->shard_index = *index;
  config->shard_from_env = false;
  return Status::Ok();
}

StatusOr<std::vector<Stage>> ParseStages(std::string_view text) {
  std::vector<Stage> stages;
  if (text.empty()) return Invalid("empty stage list (want e.g. 10s:100,20s:500)");
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(pos, comma - pos);
    const std::size_t colon = item.find(':');
    const std::string label = "stage " + std::to_string(stages.size() + 1) + " " + Quote(item);
    if (colon == std::string_view::npos) {
      return Invalid(label + ": want DURATION:RATE, e.g. 10s:100");
    }
    StatusOr<microseconds> d = ParseDuration(item.substr(0, colon), BareNumber::kSeconds);
    if (!d.ok()) return Invalid(label + ": " + d.status().message());
    StatusOr<double> r = ParseNonNegative(item.substr(colon + 1));
    if (!r.ok()) return Invalid(label + ": rate " + r.status().message());
    stages.push_back(Stage{*r, *d});
    pos = comma + 1;
    if (comma == text.size()) break;
  }
  return stages;
}

Status SetField(std::string_view key, std::string_view value, Config* c) {
  if (key == "scenario") {
    auto k = ScenarioFromName(value);
    if (!k) return Invalid(Quote(value) + " is not a scenario (lobby, append, churn, mixed)");
    c->scenario = *k;
  } else if (key == "mode") {
    auto m = WriteModeFromName(value);
    if (!m) return Invalid(Quote(value) + " is not a mode (sync, update, create, upsert)");
    c->mode = *m;
  } else if (key == "target") {
    if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
      return Invalid(Quote(value) + " is not an http:// or https:// URL");
    }
    std::string url(value);
    while (!url.empty() && url.back() == '/') url.pop_back();
    c->target = url;
  } else if (key == "token_file") {
    c->token_file = std::string(value);
  } else if (key == "token_command") {
    if (value.empty()) return Invalid("must not be empty");
    c->token_command = std::string(value);
  } else if (key == "token_refresh") {
    if (Status s = SetDuration(value, &c->token_refresh); !s.ok()) return s;
    if (c->token_refresh.count() > 0 && c->token_refresh < std::chrono::milliseconds(100)) {
      return Invalid("must be 0 (off) or at least 100ms");
    }
  } else if (key == "rate" || key == "start_rate" || key == "update_fraction" || key == "zipf") {
    StatusOr<double> v = ParseNonNegative(value);
    if (!v.ok()) return v.status();
    if (key == "rate") {
      if (*v <= 0) return Invalid("must be greater than 0");
      c->rate = *v;
    } else if (key == "start_rate") {
      c->start_rate = *v;
    } else if (key == "update_fraction") {
      if (*v > 1) return Invalid(Quote(value) + " is not in [0, 1]");
      c->update_fraction = *v;
    } else {
      if (*v > 10) return Invalid(Quote(value) + " is not in [0, 10]");
      c->zipf = *v;
    }
  } else if (key == "stages") {
    StatusOr<std::vector<Stage>> s = ParseStages(value);
    if (!s.ok()) return s.status();
    c->stages = *s;
  } else if (key == "vus" || key == "max_inflight" || key == "max_attempts" || key == "threads" ||
             key == "users" || key == "sessions" || key == "capacity" ||
             key == "append_max_tokens" || key == "server_threads" || key == "hdr_digits") {
    StatusOr<std::uint32_t> v = ParseCount<std::uint32_t>(value, 100'000'000);
    if (!v.ok()) return v.status();
    if (key == "vus") {
      c->vus = *v;
    } else if (key == "max_inflight") {
      if (*v < 1 || *v > 1'000'000) return Invalid(Quote(value) + " is not in 1..1000000");
      c->max_inflight = *v;
    } else if (key == "max_attempts") {
      if (*v < 1) return Invalid("must be at least 1");
      c->max_attempts = *v;
    } else if (key == "threads") {
      if (*v > 256) return Invalid(Quote(value) + " is more than 256");
      c->threads = *v;
    } else if (key == "users") {
      if (*v < 1) return Invalid("must be at least 1");
      c->users = *v;
    } else if (key == "sessions") {
      if (*v < 1) return Invalid("must be at least 1");
      c->sessions = *v;
    } else if (key == "capacity") {
      if (*v < 1 || *v > 100) return Invalid(Quote(value) + " is not in 1..100");
      c->capacity = *v;
    } else if (key == "append_max_tokens") {
      if (*v < 1 || *v > 2000) return Invalid(Quote(value) + " is not in 1..2000");
      c->append_max_tokens = *v;
    } else if (key == "server_threads") {
      if (*v < 1 || *v > 256) return Invalid(Quote(value) + " is not in 1..256");
      c->server_threads = *v;
    } else {
      if (*v < 1 || *v > 5) return Invalid(Quote(value) + " is not in 1..5");
      c->hdr_digits = static_cast<int>(*v);
    }
  } else if (key == "think_time") {
    if (Status s = SetDuration(value, &c->think_time); !s.ok()) return s;
  } else if (key == "duration") {
    if (Status s = SetDuration(value, &c->duration); !s.ok()) return s;
    if (c->duration.count() <= 0) return Invalid("must be longer than 0");
  } else if (key == "warmup") {
    if (Status s = SetDuration(value, &c->warmup); !s.ok()) return s;
  } else if (key == "max_lag") {
    if (Status s = SetDuration(value, &c->max_lag); !s.ok()) return s;
  } else if (key == "timeout") {
    if (Status s = SetDuration(value, &c->timeout); !s.ok()) return s;
    if (c->timeout < std::chrono::milliseconds(1)) return Invalid("must be at least 1ms");
    if (c->timeout > std::chrono::hours(1)) return Invalid("must be at most 1h");
  } else if (key == "progress_interval") {
    if (Status s = SetDuration(value, &c->progress_interval); !s.ok()) return s;
    if (c->progress_interval < std::chrono::milliseconds(100)) {
      return Invalid("must be at least 100ms");
    }
  } else if (key == "seed") {
    StatusOr<std::uint64_t> v = ParseCount<std::uint64_t>(value, UINT64_MAX);
    if (!v.ok()) return v.status();
    c->seed = *v;
  } else if (key == "run_id") {
    if (!ValidRunId(value)) return Invalid(Quote(value) + " is not 1-32 characters [A-Za-z0-9-]");
    c->run_id = std::string(value);
  } else if (key == "shard") {
    constexpr std::string_view kAuto = "auto/";
    const bool from_env = value.substr(0, kAuto.size()) == kAuto;
    // auto/N: checked as 0/N now; the index comes from ResolveAutoShard.
    const std::string spec =
        from_env ? "0/" + std::string(value.substr(kAuto.size())) : std::string(value);
    StatusOr<ArrivalPartition> p = ParseShard(spec);
    if (!p.ok()) {
      if (from_env) {
        return Invalid(Quote(value) + ": expected auto/N with an integer N >= 1");
      }
      return p.status();
    }
    c->shard_index = p->shard_index;
    c->shard_count = p->shard_count;
    c->shard_from_env = from_env;
  } else if (key == "start_at") {
    StatusOr<double> v = ParseStartAt(value);
    if (!v.ok()) return v.status();
    c->start_at = *v;
  } else if (key == "inject") {
    c->inject.emplace_back(value);
  } else if (key == "json") {
    c->json_path = std::string(value);
  } else if (key == "hgrm") {
    c->hgrm_path = std::string(value);
  } else if (key == "hlog") {
    c->hlog_path = std::string(value);
  } else if (key == "interval") {
    if (Status s = SetDuration(value, &c->interval); !s.ok()) return s;
    if (c->interval < std::chrono::milliseconds(100)) return Invalid("must be at least 100ms");
    if (c->interval > std::chrono::hours(1)) return Invalid("must be at most 1h");
  } else if (key == "metrics_addr") {
    c->metrics_addr = std::string(value);
  } else if (key == "sessiond_metrics_addr") {
    c->sessiond_metrics_addr = std::string(value);
  } else if (key == "linger") {
    if (Status s = SetDuration(value, &c->linger); !s.ok()) return s;
    if (c->linger > std::chrono::hours(1)) return Invalid("must be at most 1h");
  } else if (key == "threshold") {
    StatusOr<Threshold> t = ParseThreshold(value);
    if (!t.ok()) return t.status();
    c->thresholds.emplace_back(value);
  } else if (key == "quiet") {
    StatusOr<bool> v = ParseBool(value);
    if (!v.ok()) return v.status();
    c->quiet = *v;
  } else {
    return Invalid("unknown field");
  }
  c->set_fields.insert(std::string(key));
  return Status::Ok();
}

Status ApplyConfigJson(std::string_view text, Config* config) {
  StatusOr<nlohmann::json> parsed = ParseJsonStrict(text);
  if (!parsed.ok()) return Invalid("not valid JSON: " + parsed.status().message());
  if (!parsed->is_object()) return Invalid("expected a JSON object of fields");
  for (const auto& field : parsed->items()) {
    // Named copies, not structured bindings: the lambdas below capture them.
    const std::string& key = field.key();
    const nlohmann::json& value = field.value();
    const auto& fields = Fields();
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const ConfigField& f) { return key == f.key; });
    const std::string name = "config field " + Quote(key);
    if (it == fields.end()) return Invalid(name + " is unknown");
    auto apply = [&](std::string_view item) -> Status {
      if (Status s = SetField(key, item, config); !s.ok())
        return Invalid(name + ": " + s.message());
      return Status::Ok();
    };
    switch (it->kind) {
      case Kind::kString:
        if (!value.is_string()) return Invalid(name + ": expected a string");
        if (Status s = apply(value.get<std::string>()); !s.ok()) return s;
        break;
      case Kind::kNumber:
        if (!value.is_number()) return Invalid(name + ": expected a number");
        if (Status s = apply(value.dump()); !s.ok()) return s;
        break;
      case Kind::kDuration:
      case Kind::kTime:
        // A number or a string, parsed as the flag parses its text.
        if (value.is_number()) {
          if (Status s = apply(value.dump()); !s.ok()) return s;
        } else if (value.is_string()) {
          if (Status s = apply(value.get<std::string>()); !s.ok()) return s;
        } else {
          return Invalid(name + (it->kind == Kind::kDuration
                                     ? ": expected a duration such as \"10s\""
                                     : ": expected unix seconds or an RFC 3339 time string"));
        }
        break;
      case Kind::kBool:
        if (!value.is_boolean()) return Invalid(name + ": expected true or false");
        if (Status s = apply(value.get<bool>() ? "true" : "false"); !s.ok()) return s;
        break;
      case Kind::kList: {
        // A file replaces the list (defaults and earlier entries).
        if (key == "inject") config->inject.clear();
        if (key == "threshold") config->thresholds.clear();
        if (value.is_string()) {
          if (Status s = apply(value.get<std::string>()); !s.ok()) return s;
        } else if (value.is_array()) {
          for (const auto& item : value) {
            if (!item.is_string()) return Invalid(name + ": expected an array of strings");
            if (Status s = apply(item.get<std::string>()); !s.ok()) return s;
          }
        } else {
          return Invalid(name + ": expected an array of strings");
        }
        break;
      }
    }
  }
  return Status::Ok();
}

std::chrono::microseconds MainDuration(const Config& config) {
  if (config.stages.empty()) return config.duration;
  microseconds total{0};
  for (const Stage& s : config.stages) total += s.duration;
  return total;
}

Status ResolveAndValidate(Config* c) {
  auto set = [&](const char* key) { return c->set_fields.count(key) > 0; };
  if (!c->target.empty() && c->token_file.empty() && c->token_command.empty()) {
    return Invalid(
        "--target: needs --token-file or --token-command (one Authorization value per user)");
  }
  if (c->target.empty() && !c->token_file.empty()) {
    return Invalid("--token-file: only with --target (the embedded sessiond mints its tokens)");
  }
  if (c->target.empty() && !c->token_command.empty()) {
    return Invalid("--token-command: only with --target (the embedded sessiond mints its tokens)");
  }
  if (!c->token_file.empty() && !c->token_command.empty()) {
    return Invalid("--token-file and --token-command: give one source of tokens");
  }
  if (c->token_refresh.count() > 0 && c->token_file.empty() && c->token_command.empty()) {
    return Invalid("--token-refresh: needs --token-file or --token-command to re-read");
  }
  if (!c->target.empty() && !c->inject.empty()) {
    return Invalid("--inject: only for the embedded sessiond (without --target)");
  }
  if (!c->target.empty() && !c->sessiond_metrics_addr.empty()) {
    return Invalid(
        "--sessiond-metrics-addr: only for the embedded sessiond (without --target; a separate "
        "sessiond serves its own --metrics-addr)");
  }
  if (c->linger.count() > 0 && c->metrics_addr.empty() && c->sessiond_metrics_addr.empty()) {
    return Invalid(
        "--linger: keeps /metrics up after the run; needs --metrics-addr or "
        "--sessiond-metrics-addr");
  }
  if (!c->target.empty() && set("server_threads")) {
    return Invalid("--server-threads: only for the embedded sessiond (without --target)");
  }
  if (c->closed_loop()) {
    if (set("rate")) return Invalid("--vus and --rate: choose closed loop (--vus) or open loop");
    if (!c->stages.empty()) return Invalid("--vus and --stages: stages ramp an arrival rate");
    if (set("max_lag")) return Invalid("--max-lag: only for open loop (a closed loop never drops)");
  } else if (set("think_time")) {
    return Invalid("--think-time: only with --vus (closed loop)");
  }
  if (!c->stages.empty()) {
    if (set("duration")) return Invalid("--stages and --duration both set the run length");
    if (set("rate")) return Invalid("--stages and --rate: use --start-rate and the stages' rates");
    microseconds total = MainDuration(*c);
    if (total.count() <= 0) return Invalid("--stages: the stages last 0 s in total");
  } else if (set("start_rate")) {
    return Invalid("--start-rate: only with --stages");
  }
  if (c->shard_from_env) {
    return Invalid("--shard auto/" + std::to_string(c->shard_count) +
                   ": the index was not read from " + kJobCompletionIndexEnv);
  }
  if (c->shard_index >= c->shard_count) return Invalid("--shard: index must be below the count");
  if (const std::int64_t intervals =
          (MainDuration(*c).count() + c->interval.count() - 1) / c->interval.count();
      intervals > kMaxIntervals) {
    return Invalid("--interval: the run would have " + std::to_string(intervals) +
                   " intervals, more than " + std::to_string(kMaxIntervals) +
                   " (use a longer --interval)");
  }

  const ScenarioDefaults d = DefaultsFor(c->scenario);
  // With --token-file/--token-command, users stays 0 unless given: one user per line.
  if (c->users == 0 && c->token_file.empty() && c->token_command.empty()) c->users = d.users;
  if (c->sessions == 0) c->sessions = d.sessions;
  if (c->capacity == 0) c->capacity = d.capacity;
  if (!c->zipf) c->zipf = d.zipf;
  if (c->users > 0 && c->shard_count > c->users) {
    return Invalid("--shard: " + std::to_string(c->shard_count) + " shards but only " +
                   std::to_string(c->users) + " users (--users)");
  }
  if (c->shard_count > c->sessions) {
    return Invalid("--shard: " + std::to_string(c->shard_count) + " shards but only " +
                   std::to_string(c->sessions) + " sessions (--sessions)");
  }
  if (set("capacity") && c->scenario == ScenarioKind::kAppend) {
    return Invalid("--capacity: the append scenario has no members");
  }
  if (set("append_max_tokens") && c->scenario != ScenarioKind::kAppend) {
    return Invalid("--append-max-tokens: only for --scenario append");
  }
  if (set("update_fraction") && c->scenario != ScenarioKind::kMixed) {
    return Invalid("--update-fraction: only for --scenario mixed");
  }
  if (c->max_inflight == 0) c->max_inflight = c->target.empty() ? 4000 : 10000;
  if (c->threads == 0) {
    c->threads = std::max(1u, std::thread::hardware_concurrency());
  }
  if (c->run_id.empty()) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "r%llx",
                  static_cast<unsigned long long>(us) & 0xFFFFFFFFFFull);
    c->run_id = buffer;
  }
  return Status::Ok();
}

}  // namespace sessionrig::loadgen
