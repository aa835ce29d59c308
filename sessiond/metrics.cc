#include "sessiond/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "sessionrig/metric_buckets.h"

namespace sessionrig::sessiond {
namespace {

// Request duration buckets, seconds: loadgen's list, so server-side and
// client-side quantiles come from the same bounds.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets(kLatencyBucketsSeconds.begin(),
                                                                kLatencyBucketsSeconds.end());
  return kBuckets;
}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kLatency:
      return "latency";
    case FaultKind::kStall:
      return "stall";
    case FaultKind::kError429:
      return "error_429";
    case FaultKind::kError500:
      return "error_500";
    case FaultKind::kError503:
      return "error_503";
    case FaultKind::kTruncated:
      return "truncated";
    case FaultKind::kWrongLength:
      return "wrong_length";
    case FaultKind::kInvalidJson:
      return "invalid_json";
    case FaultKind::kBadEtag:
      return "bad_etag";
    case FaultKind::kReset:
      return "reset";
  }
  return "unknown";
}

const char* ConnectionRejectReasonName(ConnectionRejectReason reason) {
  switch (reason) {
    case ConnectionRejectReason::kMaxConnections:
      return "max_connections";
    case ConnectionRejectReason::kPeerShare:
      return "peer_share";
    case ConnectionRejectReason::kHeaderTimeout:
      return "header_timeout";
    case ConnectionRejectReason::kBodyTimeout:
      return "body_timeout";
  }
  return "unknown";
}

const char* MemberRemovalReasonName(MemberRemovalReason reason) {
  switch (reason) {
    case MemberRemovalReason::kReserved:
      return "reserved";
    case MemberRemovalReason::kInactive:
      return "inactive";
    case MemberRemovalReason::kReady:
      return "ready";
  }
  return "unknown";
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_by_(
          std::make_unique<std::array<std::array<std::atomic<prometheus::Counter*>, kMaxCode>,
                                      kMethods.size()>>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("sessiond_requests_total")
                   .Help("HTTP requests answered, by method and status code")
                   .Register(*registry_);
  auto& durations = prometheus::BuildHistogram()
                        .Name("sessiond_request_duration_seconds")
                        .Help("Seconds from a request fully received to its response fully written")
                        .Register(*registry_);
  for (std::size_t i = 0; i < kMethods.size(); ++i) {
    durations_[i] = &durations.Add({{"method", std::string(kMethods[i])}}, DurationBuckets());
  }
  for (auto& row : *requests_by_) {
    for (auto& slot : row) slot.store(nullptr, std::memory_order_relaxed);
  }
  sessions_ = &prometheus::BuildGauge()
                   .Name("sessiond_sessions")
                   .Help("Sessions currently stored")
                   .Register(*registry_)
                   .Add({});
  members_ = &prometheus::BuildGauge()
                  .Name("sessiond_members")
                  .Help("Members (including reservations) across all sessions")
                  .Register(*registry_)
                  .Add({});
  precondition_failed_ = &prometheus::BuildCounter()
                              .Name("sessiond_precondition_failed_total")
                              .Help("Writes answered 412 Precondition Failed")
                              .Register(*registry_)
                              .Add({});
  sessions_deleted_ = &prometheus::BuildCounter()
                           .Name("sessiond_sessions_deleted_total")
                           .Help("Sessions deleted (last member left, or empty timeout)")
                           .Register(*registry_)
                           .Add({});
  auto& faults = prometheus::BuildCounter()
                     .Name("sessiond_faults_injected_total")
                     .Help("Faults injected, by kind")
                     .Register(*registry_);
  for (std::size_t i = 0; i < kFaultKindCount; ++i) {
    faults_[i] = &faults.Add({{"kind", FaultKindName(static_cast<FaultKind>(i))}});
  }
  auto& rejected = prometheus::BuildCounter()
                       .Name("sessiond_connections_rejected_total")
                       .Help("Connections answered and closed without being served, by reason")
                       .Register(*registry_);
  for (std::size_t i = 0; i < kConnectionRejectReasonCount; ++i) {
    rejected_[i] = &rejected.Add(
        {{"reason", ConnectionRejectReasonName(static_cast<ConnectionRejectReason>(i))}});
  }
  auto& removed = prometheus::BuildCounter()
                      .Name("sessiond_members_removed_total")
                      .Help("Members removed by a lifecycle timeout, by the member's status")
                      .Register(*registry_);
  for (std::size_t i = 0; i < kMemberRemovalReasonCount; ++i) {
    removed_[i] =
        &removed.Add({{"reason", MemberRemovalReasonName(static_cast<MemberRemovalReason>(i))}});
  }
}

Metrics::~Metrics() = default;

std::size_t Metrics::MethodSlot(std::string_view method) const {
  for (std::size_t i = 0; i + 1 < kMethods.size(); ++i) {
    if (kMethods[i] == method) return i;
  }
  return kMethods.size() - 1;
}

void Metrics::RecordRequest(std::string_view method, unsigned status, double seconds) {
  const std::size_t m = MethodSlot(method);
  durations_[m]->Observe(seconds);
  const std::size_t code = status < kMaxCode ? status : 0;
  std::atomic<prometheus::Counter*>& slot = (*requests_by_)[m][code];
  prometheus::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add is idempotent and thread-safe; racing resolvers get the same counter.
    counter = &requests_->Add({{"method", std::string(kMethods[m])},
                               {"code", std::to_string(status < kMaxCode ? status : 0)}});
    slot.store(counter, std::memory_order_release);
  }
  counter->Increment();
}

void Metrics::AddSessions(std::int64_t delta) { sessions_->Increment(static_cast<double>(delta)); }
void Metrics::AddMembers(std::int64_t delta) { members_->Increment(static_cast<double>(delta)); }
void Metrics::PreconditionFailed() { precondition_failed_->Increment(); }
void Metrics::SessionDeleted() { sessions_deleted_->Increment(); }
void Metrics::FaultInjected(FaultKind kind) {
  faults_[static_cast<std::size_t>(kind)]->Increment();
}

void Metrics::ConnectionRejected(ConnectionRejectReason reason) {
  rejected_[static_cast<std::size_t>(reason)]->Increment();
}
void Metrics::MembersRemoved(MemberRemovalReason reason, std::int64_t count) {
  if (count > 0) removed_[static_cast<std::size_t>(reason)]->Increment(static_cast<double>(count));
}

double Metrics::connections_rejected(ConnectionRejectReason reason) const {
  return rejected_[static_cast<std::size_t>(reason)]->Value();
}
double Metrics::members_removed(MemberRemovalReason reason) const {
  return removed_[static_cast<std::size_t>(reason)]->Value();
}

double Metrics::faults_injected(FaultKind kind) const {
  return faults_[static_cast<std::size_t>(kind)]->Value();
}
double Metrics::sessions() const { return sessions_->Value(); }
double Metrics::members() const { return members_->Value(); }

}  // namespace sessionrig::sessiond
