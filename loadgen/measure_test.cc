#include "loadgen/measure.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

TEST(ActionClockTest, FirstRequestFromTheActionsIntendedStartLaterOnesFromTheirSend) {
  ActionClock clock;
  clock.Begin(1000);
  // Sent 300 us late (schedule lag): charged to the first request.
  const RequestStart read = clock.Send(1300);
  EXPECT_EQ(read.intended_us, 1000);
  EXPECT_EQ(read.send_us, 1300);
  EXPECT_EQ(read.gap_us, -1);
  clock.Complete(5000);
  const RequestStart write = clock.Send(5040);
  EXPECT_EQ(write.intended_us, 5040);
  EXPECT_EQ(write.send_us, 5040);
  EXPECT_EQ(write.gap_us, 40);
  clock.Complete(6000);
  // A new action starts over.
  clock.Begin(7000);
  EXPECT_EQ(clock.Send(7000).gap_us, -1);
  EXPECT_EQ(clock.Send(7000).intended_us, 7000);
}

TEST(ActionClockTest, CorrectedLatenciesAndGapsAddUpToTheActionLatency) {
  // An action of a read and three writes (two lost races), with client
  // time before each request.
  struct Request {
    std::int64_t send_us;
    std::int64_t end_us;
  };
  const std::int64_t intended = 10'000;
  const std::vector<Request> requests = {
      {10'250, 2'010'000},  // the read, held by a 2 s stall
      {2'010'030, 2'011'000},
      {2'011'010, 2'012'500},
      {2'012'600, 2'013'000},
  };
  ActionClock clock;
  clock.Begin(intended);
  std::int64_t corrected_sum = 0;
  std::int64_t gap_sum = 0;
  std::int64_t uncorrected_first = 0;
  for (const Request& r : requests) {
    const RequestStart start = clock.Send(r.send_us);
    corrected_sum += r.end_us - start.intended_us;
    if (start.gap_us >= 0) gap_sum += start.gap_us;
    if (uncorrected_first == 0) uncorrected_first = r.end_us - start.send_us;
    clock.Complete(r.end_us);
  }
  const std::int64_t action_latency = requests.back().end_us - intended;
  EXPECT_EQ(corrected_sum + gap_sum, action_latency);
  EXPECT_EQ(gap_sum, 30 + 10 + 100);
  // The stall is in the first request's row, from the intended start.
  EXPECT_EQ(uncorrected_first, 1'999'750);
}

}  // namespace
}  // namespace sessionrig::loadgen
