// sessiond/metrics.h: sessiond's Prometheus metrics (the names are the
// repository's metric contract, dashboards/prometheus/metric_names.md; no
// session names, ETags, users or peer addresses as labels).
//
//   sessiond_requests_total{method,code}        counter
//   sessiond_request_duration_seconds{method}   histogram (received -> written)
//   sessiond_sessions                           gauge
//   sessiond_members                            gauge
//   sessiond_precondition_failed_total          counter
//   sessiond_sessions_deleted_total             counter
//   sessiond_faults_injected_total{kind}        counter
//   sessiond_connections_rejected_total{reason} counter (ConnectionRejectReason)
//   sessiond_members_removed_total{reason}      counter (MemberRemovalReason)
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

// Label values of sessiond_connections_rejected_total{reason}: why a
// connection was refused service (answered and closed, never served).
enum class ConnectionRejectReason {
  kMaxConnections,  // "max_connections": every connection slot was taken (503)
  kPeerShare,       // "peer_share": the peer address held its share of the slots (503)
  kHeaderTimeout,   // "header_timeout": the request header did not arrive in time (408)
  kBodyTimeout,     // "body_timeout": the request body did not arrive in time (408)
};
inline constexpr std::size_t kConnectionRejectReasonCount = 4;
const char* ConnectionRejectReasonName(ConnectionRejectReason reason);

// Label values of sessiond_members_removed_total{reason}: which lifecycle
// timeout removed a member (the member's status when it timed out).
enum class MemberRemovalReason {
  kReserved,  // "reserved": reservedRemovalTimeout
  kInactive,  // "inactive": inactiveRemovalTimeout
  kReady,     // "ready": readyRemovalTimeout
};
inline constexpr std::size_t kMemberRemovalReasonCount = 3;
const char* MemberRemovalReasonName(MemberRemovalReason reason);

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
  void ConnectionRejected(ConnectionRejectReason reason);
  void MembersRemoved(MemberRemovalReason reason, std::int64_t count);

  // Read-back for tests and embedders.
  double faults_injected(FaultKind kind) const;
  double connections_rejected(ConnectionRejectReason reason) const;
  double members_removed(MemberRemovalReason reason) const;
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
  std::array<prometheus::Counter*, kConnectionRejectReasonCount> rejected_{};
  std::array<prometheus::Counter*, kMemberRemovalReasonCount> removed_{};
};

}  // namespace sessionrig::sessiond
