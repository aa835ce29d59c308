// loadgen: thousands of contending session writes through the SDK-shaped
// async core, measured the way wrk2 and k6 measure (open loop, latency from
// the intended start time).
//
//   loadgen run [--scenario lobby|append|churn|mixed] [--config FILE.json]
//               [--target URL (--token-file F | --token-command CMD) [--token-refresh D]]
//               [--rate N | --stages S | --vus N]
//               [--duration 30s] ... (loadgen run --help lists every flag)
//   loadgen merge A.json B.json ... [--json OUT] [--hgrm OUT] [--hlog OUT]
//               [--threshold EXPR]... [--html OUT]
//   loadgen report SUMMARY.json --html OUT
//   loadgen compare BASE.json... -- NEW.json... [--html OUT] [--json OUT]
//               [--max-regression p99=10%,...] [--alpha 0.05] [--min-effect 1%]
//
// `run --html`, `merge --html` and `report` write the self-contained HTML
// report (loadgen/report/report.h); `compare` says whether NEW is slower
// than BASE, with statistics (loadgen/compare.h), and exits 99 when a
// metric regresses significantly beyond its --max-regression bound.
//
// Output: progress on stderr (a live line on a terminal, periodic lines
// otherwise), the end-of-run summary on stdout, files as asked.
// Exit codes: 0 ok; 1 usage or setup error; 97 the target stopped
// answering; 98 a consistency violation; 99 a threshold failed
// (verdicts.h); 128 + the signal when SIGINT/SIGTERM ended the run early
// (after the summary and files, like k6: the first Ctrl-C stops the run, a
// second one kills). SIGHUP (with --target) re-reads --token-file or re-runs
// --token-command and replaces the users' tokens while the run goes on.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "loadgen/compare.h"
#include "loadgen/config.h"
#include "loadgen/hlog.h"
#include "loadgen/report/report.h"
#include "loadgen/runner.h"
#include "loadgen/summary.h"
#include "loadgen/thresholds.h"
#include "loadgen/users.h"
#include "sessionrig/duration.h"

namespace sessionrig::loadgen {
namespace {

std::atomic<bool> g_interrupt{false};  // lock-free: safe to set from a signal handler
std::atomic<int> g_signal{0};
std::atomic<std::int64_t> g_first_signal_ns{0};
std::atomic<bool> g_refresh_tokens{false};  // set by SIGHUP; lock-free

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

extern "C" void OnHangup(int) { g_refresh_tokens.store(true); }

// SIGHUP: refresh the tokens (CredentialRefresher polls the flag).
void InstallHangupHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnHangup;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &sa, nullptr);
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
  if (key == "token_command") return "CMD";
  if (key == "metrics_addr" || key == "sessiond_metrics_addr") return "HOST:PORT";
  if (key == "shard") return "I/N|auto/N";
  if (key == "stages") return "DUR:RATE,...";
  if (key == "inject") return "SPEC";
  if (key == "threshold") return "EXPR";
  if (key == "scenario" || key == "mode") return "NAME";
  if (key == "run_id") return "ID";
  if (key == "start_at") return "UNIX_S|RFC3339";
  switch (field.kind) {
    case ConfigField::Kind::kNumber:
      return "N";
    case ConfigField::Kind::kDuration:
      return "DURATION";
    default:
      return "TEXT";
  }
}

// One line on what was asked, printed above the summary.
std::string DescribeLoad(const Config& c) {
  std::ostringstream out;
  out << "  load: ";
  if (c.closed_loop()) {
    out << "closed loop, " << c.vus << " virtual users, think time "
        << FormatDuration(c.think_time);
  } else if (!c.stages.empty()) {
    out << "open loop, ramping from " << c.start_rate << "/s through " << c.stages.size()
        << " stages";
  } else {
    out << "open loop, " << c.rate << " arrivals/s";
  }
  out << ", " << FormatDuration(MainDuration(c));
  if (c.warmup.count() > 0) out << " after " << FormatDuration(c.warmup) << " of warm-up";
  out << "; " << c.threads << " worker threads, at most " << c.max_inflight
      << " actions in flight, max lag " << FormatDuration(c.max_lag) << ", timeout "
      << FormatDuration(c.timeout) << "\n        ";
  if (c.users > 0) {
    out << c.users << " users";
  } else if (!c.token_command.empty()) {
    out << "users from --token-command";
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

// The load model for the report header: DescribeLoad on one line.
std::string LoadForReport(const Config& config) {
  std::string text = DescribeLoad(config);
  constexpr std::string_view kPrefix = "  load: ";
  if (text.rfind(kPrefix, 0) == 0) text.erase(0, kPrefix.size());
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// --html for run, merge and report. Returns 0 or kExitUsage.
int WriteHtml(const std::string& path, const nlohmann::json& summary,
              const ReportContext& context) {
  StatusOr<std::string> html = RenderReportHtml(summary, context);
  if (!html.ok()) return Fail("--html: " + html.status().message());
  if (Status s = WriteTextFile(path, *html); !s.ok()) return Fail("--html: " + s.message());
  std::cerr << "loadgen: wrote the report " << path << " (" << html->size() / 1024 << " KiB)\n";
  return 0;
}

int RunCommand(const std::string& config_path,
               const std::vector<std::pair<const ConfigField*, CLI::Option*>>& options,
               const std::deque<std::vector<std::string>>& values, const std::string& html_path) {
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
  // --shard auto/N: the index of this pod in a Kubernetes Indexed Job.
  // Read before any thread starts.
  const char* index = std::getenv(kJobCompletionIndexEnv);  // NOLINT(concurrency-mt-unsafe)
  if (Status s = ResolveAutoShard(index, &config); !s.ok()) {
    return Fail(s.message());
  }
  if (Status s = ResolveAndValidate(&config); !s.ok()) return Fail(s.message());

  RunOptions run_options;
  InstallInterruptHandlers();
  run_options.interrupt = &g_interrupt;
  if (!config.quiet) {
    run_options.progress = &std::cerr;
    run_options.progress_is_tty = isatty(STDERR_FILENO) != 0;
  }
  // Tokens expire: against --target they are refreshed while the run goes,
  // every --token-refresh and on SIGHUP.
  std::unique_ptr<CredentialRefresher> refresher;
  if (!config.target.empty()) {
    StatusOr<std::vector<UserCredential>> users =
        ReadUsers(config.token_file, config.token_command);
    if (!users.ok()) return Fail(users.status().message());
    run_options.credentials = std::make_shared<Credentials>(*users);
    CredentialRefresher::Options refresh;
    refresh.token_file = config.token_file;
    refresh.token_command = config.token_command;
    refresh.period = config.token_refresh;
    refresh.request = &g_refresh_tokens;
    refresh.log = &std::cerr;
    InstallHangupHandler();
    refresher = std::make_unique<CredentialRefresher>(run_options.credentials, refresh);
    std::cerr << std::string("loadgen: ") + std::to_string(users->size()) + " users; tokens " +
                     (config.token_command.empty() ? "re-read" : "re-minted") + " on SIGHUP" +
                     (config.token_refresh.count() > 0
                          ? " and every " + FormatDuration(config.token_refresh)
                          : std::string()) +
                     "\n";
  }
  StatusOr<RunResult> result = Run(config, run_options);
  if (refresher) refresher->Stop();
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
  if (!html_path.empty()) {
    ReportContext context;
    context.load = LoadForReport(config);
    context.shards = config.shard_count;
    if (config.shard_count > 1) {
      context.shard = std::to_string(config.shard_index) + "/" + std::to_string(config.shard_count);
    }
    context.target_reachable = !result->target_unreachable;
    context.reachability_note = result->unreachable_reason;
    context.exit_code = result->interrupted ? 128 + g_signal.load() : result->exit_code;
    context.generated_at = NowIso8601();
    if (int rc = WriteHtml(html_path, ToJson(result->summary), context); rc != 0) return rc;
  }
  if (result->interrupted) return 128 + g_signal.load();
  if (result->lingering) Linger(std::move(result->lingering), config.linger, config);
  return result->exit_code;
}

int MergeCommand(const std::vector<std::string>& files, const std::string& json_path,
                 const std::string& hgrm_path, const std::string& hlog_path,
                 const std::vector<std::string>& threshold_exprs, const std::string& html_path) {
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
  if (!html_path.empty()) {
    ReportContext context;
    context.shards = static_cast<std::uint32_t>(files.size());
    context.sources = files;
    context.generated_at = NowIso8601();
    if (int rc = WriteHtml(html_path, ToJson(*merged), context); rc != 0) return rc;
  }
  return ExitCodeFor(*merged, false);
}

int ReportCommand(const std::string& file, const std::string& html_path) {
  StatusOr<nlohmann::json> summary = ReadSummaryFile(file);
  if (!summary.ok()) return Fail(summary.status().message());
  ReportContext context;
  context.sources = {file};
  context.generated_at = NowIso8601();
  return WriteHtml(html_path, *summary, context);
}

// The side separator of `compare BASE... -- NEW...`: CLI11 would take "--"
// as the end of the options, so Main() swaps it for this before parsing.
constexpr std::string_view kSideSeparator = "\x1f--";

int CompareCommand(const std::vector<std::string>& files, const std::string& html_path,
                   const std::string& json_path, const std::vector<std::string>& bounds,
                   double alpha, const std::string& min_effect) {
  std::vector<std::string> base_files;
  std::vector<std::string> new_files;
  bool after = false;
  for (const std::string& f : files) {
    if (f == kSideSeparator) {
      if (after) return Fail("compare: more than one -- (expected BASE.json... -- NEW.json...)");
      after = true;
      continue;
    }
    (after ? new_files : base_files).push_back(f);
  }
  if (!after || base_files.empty() || new_files.empty()) {
    return Fail(
        "compare: expected BASE.json... -- NEW.json... (at least one summary on each side of --)");
  }
  CompareOptions options;
  if (!(alpha > 0 && alpha < 1)) return Fail("--alpha: expected a number between 0 and 1");
  options.alpha = alpha;
  StatusOr<double> effect = ParsePercent(min_effect);
  if (!effect.ok()) return Fail("--min-effect: " + effect.status().message());
  options.min_effect = *effect;
  for (const std::string& spec : bounds) {
    if (Status s = ParseMaxRegression(spec, &options.max_regression); !s.ok()) {
      return Fail("--max-regression: " + s.message());
    }
  }
  std::vector<nlohmann::json> base;
  std::vector<nlohmann::json> next;
  for (const auto& [names, side] : {std::pair{&base_files, &base}, std::pair{&new_files, &next}}) {
    for (const std::string& f : *names) {
      StatusOr<nlohmann::json> s = ReadSummaryFile(f);
      if (!s.ok()) return Fail(s.status().message());
      side->push_back(std::move(s).value());
    }
  }
  StatusOr<CompareResult> result = Compare(base, next, options);
  if (!result.ok()) return Fail(result.status().message());
  PrintCompare(std::cout, *result);
  std::cout.flush();
  if (!json_path.empty()) {
    if (Status s = WriteTextFile(json_path, ToJson(*result).dump(2) + "\n"); !s.ok()) {
      return Fail("--json: " + s.message());
    }
  }
  if (!html_path.empty()) {
    CompareContext context;
    context.base_sources = base_files;
    context.new_sources = new_files;
    context.generated_at = NowIso8601();
    StatusOr<std::string> html = RenderCompareHtml(*result, base, next, context);
    if (!html.ok()) return Fail("--html: " + html.status().message());
    if (Status s = WriteTextFile(html_path, *html); !s.ok()) return Fail("--html: " + s.message());
    std::cerr << "loadgen: wrote the comparison " << html_path << "\n";
  }
  return result->regression ? kExitThreshold : kExitOk;
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
  std::string merge_html;
  merge->add_option("--html", merge_html, "write the merged run's self-contained HTML report")
      ->type_name("FILE");

  std::string run_html;
  run->add_option("--html", run_html,
                  "write a self-contained HTML report of the run (charts and tables, opens "
                  "offline; command line only)")
      ->type_name("FILE");

  CLI::App* report = app.add_subcommand(
      "report", "write the self-contained HTML report of a summary written by --json");
  std::string report_file;
  std::string report_html;
  report->add_option("summary", report_file, "summary JSON file")->required()->type_name("FILE");
  report->add_option("--html", report_html, "the HTML file to write")
      ->required()
      ->type_name("FILE");

  CLI::App* compare = app.add_subcommand(
      "compare",
      "is NEW slower than BASE? compare BASE.json... -- NEW.json... (exit 99: a significant "
      "regression beyond --max-regression)");
  compare->footer(
      "Several runs a side: per metric, the Mann-Whitney U test across runs, the median change "
      "(Hodges-Lehmann) with its confidence interval, \"~\" when not significant. One run a "
      "side: the differences, a warning, and batch means of the per-interval values. "
      "loadgen/README.md, \"Comparing runs\", has the method and its limits.");
  std::vector<std::string> compare_files;
  std::string compare_html;
  std::string compare_json;
  std::vector<std::string> compare_bounds;
  double compare_alpha = 0.05;
  std::string compare_min_effect = "1%";
  compare->add_option("files", compare_files, "BASE.json... -- NEW.json...")
      ->required()
      ->type_name("FILE");
  compare->add_option("--html", compare_html, "write the comparison as a self-contained page")
      ->type_name("FILE");
  compare->add_option("--json", compare_json, "write the comparison as JSON")->type_name("FILE");
  compare
      ->add_option("--max-regression", compare_bounds,
                   "largest tolerated regression per metric, e.g. p99=10%,throughput=5% "
                   "(metrics: p50 p90 p99 throughput conflict_rate attempts read_p99, or all); "
                   "beyond it, when significant: exit 99")
      ->type_name("METRIC=PCT,...");
  compare->add_option("--alpha", compare_alpha, "significance level (default 0.05)")
      ->type_name("P");
  compare
      ->add_option("--min-effect", compare_min_effect,
                   "changes smaller than this are \"~\" whatever p says (default 1%)")
      ->type_name("PCT");

  // `compare BASE... -- NEW...`: keep the first "--" after "compare" as a
  // positional side separator (CLI11 would end option parsing there).
  std::vector<std::string> args(argv, argv + argc);
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] != "compare") continue;
    for (std::size_t j = i + 1; j < args.size(); ++j) {
      if (args[j] == "--") {
        args[j] = std::string(kSideSeparator);
        break;
      }
    }
    break;
  }
  std::vector<char*> arg_pointers;
  for (std::string& a : args) arg_pointers.push_back(a.data());

  try {
    app.parse(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "loadgen: " << e.what() << "\n(see loadgen --help, loadgen run --help)\n";
    return kExitUsage;
  }
  if (run->parsed()) return RunCommand(config_path, options, values, run_html);
  if (report->parsed()) return ReportCommand(report_file, report_html);
  if (compare->parsed()) {
    return CompareCommand(compare_files, compare_html, compare_json, compare_bounds, compare_alpha,
                          compare_min_effect);
  }
  return MergeCommand(merge_files, merge_json, merge_hgrm, merge_hlog, merge_thresholds,
                      merge_html);
}

}  // namespace
}  // namespace sessionrig::loadgen

int main(int argc, char** argv) { return sessionrig::loadgen::Main(argc, argv); }
