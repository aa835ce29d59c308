// sessiond/metrics.h: sessiond's Prometheus metrics (names fixed by
// shared/design.md; no session names, ETags or users as labels).
//
//   sessiond_requests_total{method,code}        counter
//   sessiond_request_duration_seconds{method}   histogram (received -> written)
//   sessiond_sessions                           gauge
//   sessiond_members                            gauge
//   sessiond_precondition_failed_total          counter
//   sessiond_sessions_deleted_total             counter
//   sessiond_faults_injected_total{kind}        counter
//
// Thread-safety: every method is safe to call concurrently. The hot-path
// counters are resolved once at construction, so recording takes no lock
// beyond prometheus-cpp's own per-histogram one.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace sessionrig::sessiond {

// Label values of sessiond_faults_injected_total{kind}.
enum class FaultKind {
  kLatency,
  kStall,
  kError429,
  kError500,
  kError503,
  kTruncated,
  kWrongLength,
  kInvalidJson,
  kBadEtag,
  kReset,
};
inline constexpr std::size_t kFaultKindCount = 10;
const char* FaultKindName(FaultKind kind);

class Metrics {
 public:
  // Registers every family in a new registry.
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The registry to expose (sessiond's own exposer, or an embedder's).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // One request answered: `method` as sent ("GET", ...), final status code,
  // seconds from fully received to fully written.
  void RecordRequest(std::string_view method, unsigned status, double seconds);
  void AddSessions(std::int64_t delta);
  void AddMembers(std::int64_t delta);
  void PreconditionFailed();
  void SessionDeleted();
  void FaultInjected(FaultKind kind);

  // Read-back for tests and embedders.
  double faults_injected(FaultKind kind) const;
  double sessions() const;
  double members() const;

 private:
  // Methods with their own pre-resolved label set; others count as "OTHER".
  static constexpr std::array<std::string_view, 6> kMethods = {"GET",  "PUT",  "DELETE",
                                                               "POST", "HEAD", "OTHER"};
  static constexpr std::size_t kMaxCode = 600;

  std::size_t MethodSlot(std::string_view method) const;

  // Constant after construction (the metric objects are thread-safe).
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  std::array<prometheus::Histogram*, kMethods.size()> durations_{};
  // requests_by_[method][code]: resolved lazily; codes < kMaxCode.
  std::unique_ptr<
      std::array<std::array<std::atomic<prometheus::Counter*>, kMaxCode>, kMethods.size()>>
      requests_by_;
  prometheus::Gauge* sessions_ = nullptr;
  prometheus::Gauge* members_ = nullptr;
  prometheus::Counter* precondition_failed_ = nullptr;
  prometheus::Counter* sessions_deleted_ = nullptr;
  std::array<prometheus::Counter*, kFaultKindCount> faults_{};
};

}  // namespace sessionrig::sessiond
