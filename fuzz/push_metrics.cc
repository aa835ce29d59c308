// fuzz/push_metrics.cc: pushes the nightly fuzzing results to a Prometheus
// Pushgateway with prometheus-cpp's push client.
//
//   push_metrics --gateway http://HOST:PORT --summary out/fuzz/summary.json
//                [--job sessionrig_fuzz] [--instance NAME]
//
// Reads the summary scripts/fuzz-nightly writes (schema
// "sessionrig.fuzz.summary/v1") and replaces the metric group
// job=<job>[,instance=<name>] with (names from dashboards/prometheus/metric_names.md):
//   sessionrig_fuzz_execs_per_second{target}   gauge: average over the run
//   sessionrig_fuzz_corpus_files{target}       gauge: files in fuzz/corpus/<target> after merging
//   sessionrig_fuzz_edges{target}              gauge: libFuzzer's "cov" at the end of the run
//   sessionrig_fuzz_crashes_total{target}      counter: unique new crashes the run found
//   sessionrig_fuzz_last_run_timestamp_seconds gauge: when the run finished, Unix seconds
// A push replaces the whole group (HTTP PUT), so crashes_total is per run:
// alert on sessionrig_fuzz_crashes_total > 0.
// Exit status: 0 pushed; 1 usage, unreadable summary or a failed push.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/gateway.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <nlohmann/json.hpp>

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: push_metrics --gateway http://HOST:PORT --summary FILE "
               "[--job NAME] [--instance NAME]\n");
  return 1;
}

// "http://127.0.0.1:9091[/]" -> ("http://127.0.0.1", "9091"); Gateway joins
// them with ':' again.
bool SplitUrl(std::string url, std::string* host, std::string* port) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::size_t scheme = url.find("://");
  const std::size_t colon = url.rfind(':');
  if (scheme == std::string::npos || colon == std::string::npos || colon < scheme + 3) {
    return false;
  }
  *host = url.substr(0, colon);
  *port = url.substr(colon + 1);
  return !port->empty() && port->find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  std::string gateway_url;
  std::string summary_path;
  std::string job = "sessionrig_fuzz";
  std::string instance;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return Usage();
    if (arg == "--gateway") {
      gateway_url = argv[++i];
    } else if (arg == "--summary") {
      summary_path = argv[++i];
    } else if (arg == "--job") {
      job = argv[++i];
    } else if (arg == "--instance") {
      instance = argv[++i];
    } else {
      return Usage();
    }
  }
  std::string host;
  std::string port;
  if (summary_path.empty() || !SplitUrl(gateway_url, &host, &port)) return Usage();

  std::ifstream in(summary_path);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json summary = nlohmann::json::parse(text.str(), nullptr, false);
  if (!in || summary.is_discarded() || !summary.is_object() ||
      summary.value("schema", "") != "sessionrig.fuzz.summary/v1" || !summary.contains("targets") ||
      !summary["targets"].is_array()) {
    std::fprintf(stderr, "push_metrics: %s is not a sessionrig.fuzz.summary/v1 file\n",
                 summary_path.c_str());
    return 1;
  }

  auto registry = std::make_shared<prometheus::Registry>();
  auto& execs = prometheus::BuildGauge()
                    .Name("sessionrig_fuzz_execs_per_second")
                    .Help("Average executions per second of the last nightly run")
                    .Register(*registry);
  auto& corpus = prometheus::BuildGauge()
                     .Name("sessionrig_fuzz_corpus_files")
                     .Help("Files in the target's checked-in corpus after the run")
                     .Register(*registry);
  auto& edges = prometheus::BuildGauge()
                    .Name("sessionrig_fuzz_edges")
                    .Help("Coverage edges (libFuzzer cov) at the end of the run")
                    .Register(*registry);
  auto& crashes = prometheus::BuildCounter()
                      .Name("sessionrig_fuzz_crashes_total")
                      .Help("Unique new crashes found by the last nightly run")
                      .Register(*registry);
  auto& last_run = prometheus::BuildGauge()
                       .Name("sessionrig_fuzz_last_run_timestamp_seconds")
                       .Help("When the last nightly fuzzing run finished, Unix seconds")
                       .Register(*registry);
  for (const auto& t : summary["targets"]) {
    if (!t.is_object() || !t.contains("target") || !t["target"].is_string()) continue;
    const prometheus::Labels labels = {{"target", t["target"].get<std::string>()}};
    execs.Add(labels).Set(t.value("execs_per_second", 0.0));
    corpus.Add(labels).Set(t.value("corpus_files", 0.0));
    edges.Add(labels).Set(t.value("edges", 0.0));
    crashes.Add(labels).Increment(t.value("new_crashes", 0.0));
  }
  last_run.Add({}).Set(summary.value("finished_at", 0.0));

  prometheus::Labels grouping;
  if (!instance.empty()) grouping["instance"] = instance;
  prometheus::Gateway gateway(host, port, job, grouping);
  gateway.RegisterCollectable(registry);
  const int status = gateway.Push();
  if (status < 200 || status >= 300) {
    std::fprintf(stderr, "push_metrics: push to %s failed (HTTP %d)\n", gateway_url.c_str(),
                 status);
    return 1;
  }
  std::printf("push_metrics: pushed %zu targets to %s (job %s)\n", summary["targets"].size(),
              gateway_url.c_str(), job.c_str());
  return 0;
}
