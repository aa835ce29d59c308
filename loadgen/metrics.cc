#include "loadgen/metrics.h"

#include <cmath>
#include <exception>
#include <limits>
#include <sstream>
#include <utility>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "loadgen/membership.h"

namespace sessionrig::loadgen {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Sums one histogram over all workers into `metric` (cumulative buckets).
template <std::size_t N, typename Get>
void FillHistogram(const std::vector<std::unique_ptr<WorkerMetrics>>& workers, Get get,
                   const std::array<double, N>& bounds, double sum_scale, ClientMetric* metric) {
  std::array<std::uint64_t, N + 1> counts{};
  std::uint64_t sum = 0;
  for (const auto& worker : workers) {
    const metrics_internal::AtomicHistogram<N>& h = get(*worker);
    for (std::size_t i = 0; i <= N; ++i) counts[i] += h.buckets[i].load(std::memory_order_relaxed);
    sum += h.sum.load(std::memory_order_relaxed);
  }
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < N; ++i) {
    cumulative += counts[i];
    metric->histogram.bucket.push_back(ClientMetric::Bucket{cumulative, bounds[i]});
  }
  cumulative += counts[N];
  metric->histogram.bucket.push_back(
      ClientMetric::Bucket{cumulative, std::numeric_limits<double>::infinity()});
  metric->histogram.sample_count = cumulative;
  metric->histogram.sample_sum = static_cast<double>(sum) * sum_scale;
}

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

}  // namespace

class Metrics::Collector : public prometheus::Collectable {
 public:
  explicit Collector(const Metrics* metrics) : metrics_(metrics) {}

  std::vector<MetricFamily> Collect() const override {
    const Metrics& m = *metrics_;
    const MetricsOptions& o = m.options_;
    std::lock_guard<std::mutex> lock(m.mu_);
    const auto& workers = m.workers_;
    std::vector<MetricFamily> families;

    MetricFamily writes = Family("sessionrig_writes_total", "Completed session writes by outcome.",
                                 MetricType::Counter);
    for (WriteStatus status : kAllWriteStatuses) {
      std::uint64_t total = 0;
      for (const auto& w : workers)
        total += w->writes_[WriteStatusIndex(status)].load(std::memory_order_relaxed);
      ClientMetric metric;
      metric.label = {{"mode", o.mode},
                      {"scenario", o.scenario},
                      {"status", std::string(WriteStatusName(status))}};
      metric.counter.value = static_cast<double>(total);
      writes.metric.push_back(std::move(metric));
    }
    families.push_back(std::move(writes));

    auto latency_family = [&](std::string name, std::string help, auto get) {
      MetricFamily family = Family(std::move(name), std::move(help), MetricType::Histogram);
      ClientMetric metric;
      FillHistogram(workers, get, kLatencyBucketsSeconds, 1e-6, &metric);
      family.metric.push_back(std::move(metric));
      families.push_back(std::move(family));
    };
    latency_family(
        "sessionrig_write_duration_seconds",
        "Write latency from the intended start time (corrected), seconds.",
        [](const WorkerMetrics& w) -> const auto& { return w.write_duration_; });
    latency_family(
        "sessionrig_write_service_seconds",
        "Write latency from the actual send (uncorrected), seconds.",
        [](const WorkerMetrics& w) -> const auto& { return w.write_service_; });
    latency_family(
        "sessionrig_read_duration_seconds",
        "Read latency from the intended start time (corrected), seconds.",
        [](const WorkerMetrics& w) -> const auto& { return w.read_duration_; });

    MetricFamily actions =
        Family("sessionrig_action_duration_seconds",
               "Action latency including every attempt, seconds.", MetricType::Histogram);
    for (std::size_t a = 0; a < o.actions.size(); ++a) {
      ClientMetric metric;
      metric.label = {{"action", o.actions[a]}, {"scenario", o.scenario}};
      FillHistogram(
          workers, [a](const WorkerMetrics& w) -> const auto& { return w.actions_[a]; },
          kLatencyBucketsSeconds, 1e-6, &metric);
      actions.metric.push_back(std::move(metric));
    }
    families.push_back(std::move(actions));

    MetricFamily attempts =
        Family("sessionrig_action_attempts", "Write attempts per action.", MetricType::Histogram);
    {
      ClientMetric metric;
      FillHistogram(
          workers, [](const WorkerMetrics& w) -> const auto& { return w.attempts_; },
          kAttemptsBuckets, 1.0, &metric);
      attempts.metric.push_back(std::move(metric));
    }
    families.push_back(std::move(attempts));

    latency_family(
        "sessionrig_schedule_lag_seconds",
        "Actual start minus intended start of started operations, seconds.",
        [](const WorkerMetrics& w) -> const auto& { return w.schedule_lag_; });

    std::uint64_t dropped = 0;
    std::int64_t inflight = 0;
    for (const auto& w : workers) {
      dropped += w->dropped_.load(std::memory_order_relaxed);
      inflight += w->inflight_.load(std::memory_order_relaxed);
    }
    families.push_back(Scalar("sessionrig_dropped_total",
                              "Operations not started because they were too late.",
                              MetricType::Counter, static_cast<double>(dropped)));
    families.push_back(Scalar("sessionrig_inflight", "Operations started and not yet completed.",
                              MetricType::Gauge, static_cast<double>(inflight)));
    families.push_back(Scalar("sessionrig_target_rate",
                              "Target arrival rate, operations per second.", MetricType::Gauge,
                              m.target_rate_.load(std::memory_order_relaxed)));
    {
      MetricFamily family =
          Family("sessionrig_consistency_violations_total",
                 "Consistency violations found, by invariant.", MetricType::Counter);
      const std::vector<std::string>& names = ConsistencyInvariants();
      for (std::size_t i = 0; i < names.size(); ++i) {
        ClientMetric metric;
        metric.label = {{"invariant", names[i]}};
        metric.counter.value =
            static_cast<double>(m.consistency_violations_[i].load(std::memory_order_relaxed));
        family.metric.push_back(std::move(metric));
      }
      families.push_back(std::move(family));
    }
    return families;
  }

 private:
  static MetricFamily Scalar(std::string name, std::string help, MetricType type, double value) {
    MetricFamily family = Family(std::move(name), std::move(help), type);
    ClientMetric metric;
    if (type == MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    family.metric.push_back(std::move(metric));
    return family;
  }

  const Metrics* metrics_;
};

struct Metrics::ExposerHolder {
  std::unique_ptr<prometheus::Exposer> exposer;
};

Metrics::Metrics(MetricsOptions options)
    : options_(std::move(options)),
      collector_(std::make_shared<Collector>(this)),
      exposer_(std::make_unique<ExposerHolder>()) {}

Metrics::~Metrics() { exposer_.reset(); }

Status Metrics::Start(const std::string& address) {
  if (exposer_->exposer != nullptr) {
    return Status(StatusCode::kInvalidArgument, "metrics: already serving");
  }
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(address, 1);
    exposer->RegisterCollectable(collector_);
    exposer_->exposer = std::move(exposer);
  } catch (const std::exception& e) {
    return Status(StatusCode::kUnavailable,
                  "metrics: cannot serve on '" + address + "': " + e.what());
  }
  return Status::Ok();
}

int Metrics::Port() const {
  if (exposer_->exposer == nullptr) return 0;
  const std::vector<int> ports = exposer_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

WorkerMetrics* Metrics::AddWorker() {
  auto worker = std::make_unique<WorkerMetrics>(options_.actions.size());
  WorkerMetrics* raw = worker.get();
  std::lock_guard<std::mutex> lock(mu_);
  workers_.push_back(std::move(worker));
  return raw;
}

void Metrics::SetTargetRate(double ops_per_second) {
  target_rate_.store(ops_per_second, std::memory_order_relaxed);
}

void Metrics::AddConsistencyViolations(std::string_view invariant, std::uint64_t count) {
  const std::vector<std::string>& names = ConsistencyInvariants();
  for (std::size_t i = 0; i < names.size() && i < consistency_violations_.size(); ++i) {
    if (names[i] == invariant)
      consistency_violations_[i].fetch_add(count, std::memory_order_relaxed);
  }
}

std::string Metrics::RenderText() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collector_->Collect());
  return out.str();
}

}  // namespace sessionrig::loadgen
