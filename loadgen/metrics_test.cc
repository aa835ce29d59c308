#include "loadgen/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

// GET /metrics over a plain socket; returns the whole response (headers and
// body), or "" on a connection failure.
std::string Scrape(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, 0);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

MetricsOptions Options() { return MetricsOptions{"lobby", "sync", {"join", "leave"}}; }

void ExpectLine(const std::string& text, const std::string& line) {
  EXPECT_NE(text.find(line + "\n"), std::string::npos) << "missing line: " << line << "\n" << text;
}

TEST(MetricsTest, BucketBoundariesAreFixedAndLogSpaced) {
  EXPECT_DOUBLE_EQ(kLatencyBucketsSeconds.front(), 0.0001);
  EXPECT_DOUBLE_EQ(kLatencyBucketsSeconds.back(), 60.0);
  for (std::size_t i = 1; i < kLatencyBucketsSeconds.size(); ++i) {
    EXPECT_GT(kLatencyBucketsSeconds[i], kLatencyBucketsSeconds[i - 1]);
    EXPECT_LE(kLatencyBucketsSeconds[i] / kLatencyBucketsSeconds[i - 1], 3.0);
  }
  EXPECT_EQ(metrics_internal::kLatencyBoundsUs.front(), 100);
  EXPECT_EQ(metrics_internal::kLatencyBoundsUs[3], 1000);
  EXPECT_EQ(metrics_internal::kLatencyBoundsUs.back(), 60'000'000);
}

TEST(MetricsTest, RendersEveryFamilySummedOverWorkers) {
  Metrics metrics(Options());
  WorkerMetrics* a = metrics.AddWorker();
  WorkerMetrics* b = metrics.AddWorker();
  a->RecordWrite(WriteStatus::kUpdated, 1500, 900);                 // le 0.002 / le 0.001
  b->RecordWrite(WriteStatus::kUpdated, 100, 100);                  // exactly on the 100 us bound
  b->RecordWrite(WriteStatus::kOutOfSync, 90'000'000, 80'000'000);  // beyond 60 s
  a->RecordAction(1, 3000, 2);
  a->RecordAction(7, 3000, 2);  // unknown action index: ignored
  b->RecordScheduleLag(250);
  a->RecordRead(2'500'000);  // a read that waited out a stall: le 5, not le 2
  b->RecordRead(300);
  a->RecordDropped(3);
  a->AddInflight(2);
  b->AddInflight(1);
  a->AddInflight(-1);
  metrics.SetTargetRate(250.5);
  metrics.AddConsistencyViolations("acknowledged_join", 2);

  const std::string text = metrics.RenderText();
  ExpectLine(text,
             "sessionrig_writes_total{mode=\"sync\",scenario=\"lobby\",status=\"updated\"} 2");
  ExpectLine(text,
             "sessionrig_writes_total{mode=\"sync\",scenario=\"lobby\",status=\"out_of_sync\"} 1");
  ExpectLine(text,
             "sessionrig_writes_total{mode=\"sync\",scenario=\"lobby\",status=\"parse_error\"} 0");
  ExpectLine(text, "sessionrig_write_duration_seconds_count 3");
  ExpectLine(text, "sessionrig_write_duration_seconds_bucket{le=\"0.0001\"} 1");
  ExpectLine(text, "sessionrig_write_duration_seconds_bucket{le=\"0.002\"} 2");
  ExpectLine(text, "sessionrig_write_duration_seconds_bucket{le=\"60\"} 2");
  ExpectLine(text, "sessionrig_write_duration_seconds_bucket{le=\"+Inf\"} 3");
  ExpectLine(text, "sessionrig_write_service_seconds_bucket{le=\"0.001\"} 2");
  ExpectLine(text, "sessionrig_read_duration_seconds_count 2");
  ExpectLine(text, "sessionrig_read_duration_seconds_bucket{le=\"0.0005\"} 1");
  ExpectLine(text, "sessionrig_read_duration_seconds_bucket{le=\"2\"} 1");
  ExpectLine(text, "sessionrig_read_duration_seconds_bucket{le=\"5\"} 2");
  ExpectLine(text, "sessionrig_read_duration_seconds_sum 2.5003");
  ExpectLine(text,
             "sessionrig_action_duration_seconds_count{action=\"leave\",scenario=\"lobby\"} 1");
  ExpectLine(text,
             "sessionrig_action_duration_seconds_count{action=\"join\",scenario=\"lobby\"} 0");
  ExpectLine(text,
             "sessionrig_action_duration_seconds_bucket{action=\"leave\",scenario=\"lobby\",le=\"0."
             "005\"} 1");
  ExpectLine(text, "sessionrig_action_attempts_bucket{le=\"1\"} 0");
  ExpectLine(text, "sessionrig_action_attempts_bucket{le=\"2\"} 1");
  ExpectLine(text, "sessionrig_action_attempts_sum 2");
  ExpectLine(text, "sessionrig_schedule_lag_seconds_bucket{le=\"0.0005\"} 1");
  ExpectLine(text, "sessionrig_dropped_total 3");
  ExpectLine(text, "sessionrig_inflight 2");
  ExpectLine(text, "sessionrig_target_rate 250.5");
  ExpectLine(text, "sessionrig_consistency_violations_total{invariant=\"acknowledged_join\"} 2");
  // Every invariant is exported from the start.
  ExpectLine(text, "sessionrig_consistency_violations_total{invariant=\"append_history\"} 0");
  // One bucket line per boundary plus +Inf, for every latency histogram.
  std::size_t buckets = 0;
  for (std::size_t pos = 0;
       (pos = text.find("sessionrig_write_duration_seconds_bucket", pos)) != std::string::npos;
       ++pos) {
    ++buckets;
  }
  EXPECT_EQ(buckets, kLatencyBucketsSeconds.size() + 1);
}

TEST(MetricsTest, ServesScrapesOnAnEphemeralPort) {
  Metrics metrics(Options());
  EXPECT_EQ(metrics.Port(), 0);
  ASSERT_TRUE(metrics.Start("127.0.0.1:0").ok());
  const int port = metrics.Port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(metrics.Start("127.0.0.1:0").code(), StatusCode::kInvalidArgument);

  WorkerMetrics* worker = metrics.AddWorker();
  // Writers on another thread while scraping: counters only grow.
  std::thread writer([worker] {
    for (int i = 0; i < 10000; ++i) worker->RecordWrite(WriteStatus::kCreated, 5000, 4000);
  });
  const std::string during = Scrape(port);
  writer.join();
  EXPECT_NE(during.find("200 OK"), std::string::npos) << during;

  const std::string response = Scrape(port);
  ASSERT_NE(response.find("200 OK"), std::string::npos) << response;
  ExpectLine(response,
             "sessionrig_writes_total{mode=\"sync\",scenario=\"lobby\",status=\"created\"} 10000");
  ExpectLine(response, "sessionrig_write_duration_seconds_bucket{le=\"0.0001\"} 0");
  ExpectLine(response, "sessionrig_write_duration_seconds_bucket{le=\"0.005\"} 10000");
  ExpectLine(response, "sessionrig_write_duration_seconds_bucket{le=\"+Inf\"} 10000");
  ExpectLine(response, "sessionrig_write_duration_seconds_sum 50");
  ExpectLine(response, "# TYPE sessionrig_write_service_seconds histogram");
  ExpectLine(response, "# TYPE sessionrig_writes_total counter");
  ExpectLine(response, "# TYPE sessionrig_inflight gauge");
}

TEST(MetricsTest, StartFailsCleanlyOnABadAddress) {
  Metrics first(Options());
  ASSERT_TRUE(first.Start("127.0.0.1:0").ok());
  Metrics second(Options());
  const Status s = second.Start("127.0.0.1:" + std::to_string(first.Port()));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("metrics: cannot serve on '127.0.0.1:"), std::string::npos)
      << s.message();
  EXPECT_EQ(second.Port(), 0);
}

}  // namespace
}  // namespace sessionrig::loadgen
