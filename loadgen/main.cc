// loadgen: thousands of contending session writes through the SDK-shaped
// async core, measured the way wrk2 and k6 measure (open loop, latency from
// the intended start time).
//
//   loadgen run [--scenario lobby|append|churn|mixed] [--config FILE.json]
//               [--target URL --token-file F] [--rate N | --stages S | --vus N]
//               [--duration 30s] ... (loadgen run --help lists every flag)
//   loadgen merge A.json B.json ... [--json OUT] [--hgrm OUT] [--hlog OUT] [--threshold EXPR]...
//
// Output: progress on stderr (a live line on a terminal, periodic lines
// otherwise), the end-of-run summary on stdout, files as asked.
// Exit codes: 0 ok; 1 usage or setup error; 97 the target stopped
// answering; 98 a consistency violation; 99 a threshold failed
// (verdicts.h); 128 + the signal when SIGINT/SIGTERM ended the run early
// (after the summary and files, like k6: the first Ctrl-C stops the run, a
// second one kills).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "loadgen/config.h"
#include "loadgen/hlog.h"
#include "loadgen/runner.h"
#include "loadgen/summary.h"
#include "loadgen/thresholds.h"

namespace sessionrig::loadgen {
namespace {

std::atomic<bool> g_interrupt{false};  // lock-free: safe to set from a signal handler
std::atomic<int> g_signal{0};
std::atomic<std::int64_t> g_first_signal_ns{0};

std::int64_t MonotonicNs() {  // async-signal-safe
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

extern "C" void OnInterrupt(int signo) {
  if (g_interrupt.exchange(true)) {
    // The second one kills, the default way; but not a duplicate within
    // 500 ms: timeout(1) forwards its signal to the child and to the
    // process group, so the child gets it twice.
    if (MonotonicNs() - g_first_signal_ns.load() < 500'000'000) return;
    signal(signo, SIG_DFL);
    raise(signo);
    return;
  }
  g_first_signal_ns.store(MonotonicNs());
  g_signal.store(signo);
  static const char kMessage[] =
      "\nloadgen: interrupted: ending the run, then the summary (again to quit at once)\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
}

void InstallInterruptHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// --linger: keep `lingering` (metrics, embedded sessiond) up for `linger`
// or until interrupted.
void Linger(std::shared_ptr<Lingering> lingering, std::chrono::microseconds linger,
            const Config& config) {
  std::cerr << "loadgen: the run is over; serving";
  if (!config.metrics_addr.empty()) std::cerr << " " << config.metrics_addr << "/metrics";
  if (!config.sessiond_metrics_addr.empty()) {
    std::cerr << " (sessiond " << config.sessiond_metrics_addr << "/metrics)";
  }
  std::cerr << " for " << static_cast<double>(linger.count()) / 1e6
            << " s more (--linger; Ctrl-C ends it)\n";
  const auto until = std::chrono::steady_clock::now() + linger;
  while (!g_interrupt.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  lingering.reset();
}

int Fail(const std::string& message) {
  std::cerr << "loadgen: " << message << "\n";
  return kExitUsage;
}

// Writes the outputs both subcommands share. Returns 0 or kExitUsage.
int WriteOutputs(const Summary& summary, const std::string& json_path, const std::string& hgrm_path,
                 const std::string& hlog_path) {
  if (!json_path.empty()) {
    if (Status s = ValidateSummaryJson(ToJson(summary)); !s.ok()) {
      return Fail("internal error: the summary does not validate against the schema: " +
                  s.ToString());
    }
    std::ofstream out(json_path, std::ios::trunc);
    out << SummaryJsonText(summary);
    out.close();
    if (!out) return Fail("--json: cannot write " + json_path);
  }
  if (!hlog_path.empty()) {
    std::ofstream out(hlog_path, std::ios::trunc);
    const Status s = WriteHistogramLog(out, summary);
    out.close();
    if (!s.ok()) return Fail("--hlog: " + s.message());
    if (!out) return Fail("--hlog: cannot write " + hlog_path);
  }
  if (!hgrm_path.empty()) {
    std::ofstream out(hgrm_path, std::ios::trunc);
    summary.corrected_us.WriteHgrm(out, 1000.0);
    out.close();
    if (!out) return Fail("--hgrm: cannot write " + hgrm_path);
  }
  return 0;
}

StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value placeholder --help shows for a field.
std::string ValueName(const ConfigField& field) {
  const std::string_view key = field.key;
  if (key == "target") return "URL";
  if (key == "token_file" || key == "json" || key == "hgrm" || key == "hlog") return "FILE";
  if (key == "metrics_addr" || key == "sessiond_metrics_addr") return "HOST:PORT";
  if (key == "shard") return "I/N";
  if (key == "stages") return "DUR:RATE,...";
  if (key == "inject") return "SPEC";
  if (key == "threshold") return "EXPR";
  if (key == "scenario" || key == "mode") return "NAME";
  if (key == "run_id") return "ID";
  if (key == "start_at") return "UNIX_TIME";
  switch (field.kind) {
    case ConfigField::Kind::kNumber:
      return "N";
    case ConfigField::Kind::kDuration:
      return "DURATION";
    default:
      return "TEXT";
  }
}

std::string Seconds(std::chrono::microseconds d) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g s", static_cast<double>(d.count()) / 1e6);
  return buffer;
}

// One line on what was asked, printed above the summary.
std::string DescribeLoad(const Config& c) {
  std::ostringstream out;
  out << "  load: ";
  if (c.closed_loop()) {
    out << "closed loop, " << c.vus << " virtual users, think time " << Seconds(c.think_time);
  } else if (!c.stages.empty()) {
    out << "open loop, ramping from " << c.start_rate << "/s through " << c.stages.size()
        << " stages";
  } else {
    out << "open loop, " << c.rate << " arrivals/s";
  }
  out << ", " << Seconds(MainDuration(c));
  if (c.warmup.count() > 0) out << " after " << Seconds(c.warmup) << " of warm-up";
  out << "; " << c.threads << " worker threads, at most " << c.max_inflight
      << " actions in flight, max lag " << Seconds(c.max_lag) << ", timeout " << Seconds(c.timeout)
      << "\n        ";
  if (c.users > 0) {
    out << c.users << " users";
  } else {
    out << "users from " << c.token_file;
  }
  out << ", " << c.sessions << " sessions";
  if (c.scenario != ScenarioKind::kAppend) out << " of " << c.capacity << " seats";
  out << ", zipf " << c.zipf.value_or(0.0);
  if (c.shard_count > 1) out << ", shard " << c.shard_index << "/" << c.shard_count;
  if (c.target.empty()) {
    out << ", embedded sessiond (" << c.server_threads << " io thread"
        << (c.server_threads == 1 ? "" : "s") << ")";
  }
  for (const std::string& spec : c.inject) out << ", inject " << spec;
  return out.str();
}

int RunCommand(const std::string& config_path,
               const std::vector<std::pair<const ConfigField*, CLI::Option*>>& options,
               const std::deque<std::vector<std::string>>& values) {
  Config config;
  if (!config_path.empty()) {
    StatusOr<std::string> text = ReadText(config_path);
    if (!text.ok()) return Fail("--config: " + text.status().message());
    if (Status s = ApplyConfigJson(*text, &config); !s.ok()) {
      return Fail("--config " + config_path + ": " + s.message());
    }
  }
  // Flags override the file; a repeated list flag replaces the file's list.
  for (std::size_t i = 0; i < options.size(); ++i) {
    const ConfigField& field = *options[i].first;
    if (options[i].second->count() == 0) continue;
    if (field.kind == ConfigField::Kind::kList) {
      if (std::string_view(field.key) == "inject") config.inject.clear();
      if (std::string_view(field.key) == "threshold") config.thresholds.clear();
    }
    if (field.kind == ConfigField::Kind::kBool) {
      if (Status s = SetField(field.key, "true", &config); !s.ok()) {
        return Fail(FlagName(field.key) + ": " + s.message());
      }
      continue;
    }
    for (const std::string& value : values[i]) {
      if (Status s = SetField(field.key, value, &config); !s.ok()) {
        return Fail(FlagName(field.key) + ": " + s.message());
      }
    }
  }
  if (Status s = ResolveAndValidate(&config); !s.ok()) return Fail(s.message());

  RunOptions run_options;
  InstallInterruptHandlers();
  run_options.interrupt = &g_interrupt;
  if (!config.quiet) {
    run_options.progress = &std::cerr;
    run_options.progress_is_tty = isatty(STDERR_FILENO) != 0;
  }
  StatusOr<RunResult> result = Run(config, run_options);
  if (!result.ok()) return Fail(result.status().message());

  PrintSummary(std::cout, result->summary, DescribeLoad(config));
  std::cout.flush();
  for (const std::string& warning : result->warnings) {
    std::cerr << "loadgen: warning: " << warning << "\n";
  }
  if (result->target_unreachable) {
    std::cerr << "loadgen: " << result->unreachable_reason << " (exit " << kExitUnreachable
              << ")\n";
  }
  if (int rc = WriteOutputs(result->summary, config.json_path, config.hgrm_path, config.hlog_path);
      rc != 0) {
    return rc;
  }
  if (result->interrupted) return 128 + g_signal.load();
  if (result->lingering) Linger(std::move(result->lingering), config.linger, config);
  return result->exit_code;
}

int MergeCommand(const std::vector<std::string>& files, const std::string& json_path,
                 const std::string& hgrm_path, const std::string& hlog_path,
                 const std::vector<std::string>& threshold_exprs) {
  std::vector<Threshold> thresholds;
  for (const std::string& expr : threshold_exprs) {
    StatusOr<Threshold> t = ParseThreshold(expr);
    if (!t.ok()) return Fail("--threshold: " + t.status().message());
    thresholds.push_back(*t);
  }
  std::vector<Summary> summaries;
  for (const std::string& file : files) {
    StatusOr<std::string> text = ReadText(file);
    if (!text.ok()) return Fail(text.status().message());
    StatusOr<Summary> s = ParseSummary(*text);
    if (!s.ok()) return Fail(file + ": " + s.status().message());
    summaries.push_back(std::move(s).value());
  }
  StatusOr<Summary> merged = Merge(summaries, files);
  if (!merged.ok()) return Fail("merge: " + merged.status().message());
  EvaluateAll(thresholds, *merged, &merged->thresholds);
  PrintSummary(std::cout, *merged);
  std::cout.flush();
  if (int rc = WriteOutputs(*merged, json_path, hgrm_path, hlog_path); rc != 0) return rc;
  return ExitCodeFor(*merged, false);
}

int Main(int argc, char** argv) {
  CLI::App app{
      "loadgen: contending multiplayer session writes through the SDK's async write path,\n"
      "measured open loop from each operation's intended start (coordinated-omission safe)."};
  app.require_subcommand(1, 1);

  CLI::App* run = app.add_subcommand(
      "run", "run a scenario (default: lobby against sessiond embedded in this process)");
  std::string config_path;
  run->add_option("--config", config_path,
                  "scenario file: a JSON object with the flags below as keys, e.g. "
                  "{\"scenario\": \"append\", \"rate\": 200, \"duration\": \"10s\"}; "
                  "flags given on the command line win")
      ->type_name("FILE");
  std::vector<std::pair<const ConfigField*, CLI::Option*>> options;
  std::deque<std::vector<std::string>> values;  // stable addresses for CLI11
  for (const ConfigField& field : ConfigFields()) {
    values.emplace_back();
    CLI::Option* option = nullptr;
    const std::string flag = FlagName(field.key);
    if (field.kind == ConfigField::Kind::kBool) {
      option = run->add_flag(flag, field.help);
    } else {
      option = run->add_option(flag, values.back(), field.help)->type_name(ValueName(field));
      if (field.kind != ConfigField::Kind::kList) option->expected(1);
    }
    options.emplace_back(&field, option);
  }

  CLI::App* merge = app.add_subcommand(
      "merge", "merge shard summaries exactly (counters summed, histograms merged)");
  std::vector<std::string> merge_files;
  std::string merge_json;
  std::string merge_hgrm;
  std::string merge_hlog;
  std::vector<std::string> merge_thresholds;
  merge->add_option("files", merge_files, "summary JSON files written by loadgen run --json")
      ->required()
      ->type_name("FILE");
  merge->add_option("--json", merge_json, "write the merged summary JSON")->type_name("FILE");
  merge->add_option("--hgrm", merge_hgrm, "write the merged corrected-latency distribution")
      ->type_name("FILE");
  merge
      ->add_option("--hlog", merge_hlog,
                   "write the merged interval histograms as an HdrHistogram interval log")
      ->type_name("FILE");
  merge->add_option("--threshold", merge_thresholds, "pass/fail rule on the merged summary")
      ->type_name("EXPR");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "loadgen: " << e.what() << "\n(see loadgen --help, loadgen run --help)\n";
    return kExitUsage;
  }
  if (run->parsed()) return RunCommand(config_path, options, values);
  return MergeCommand(merge_files, merge_json, merge_hgrm, merge_hlog, merge_thresholds);
}

}  // namespace
}  // namespace sessionrig::loadgen

int main(int argc, char** argv) { return sessionrig::loadgen::Main(argc, argv); }
