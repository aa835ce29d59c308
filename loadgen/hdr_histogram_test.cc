#include "loadgen/hdr_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

// Lognormal-ish latencies around 2 ms with a long tail, microseconds.
std::vector<std::int64_t> RandomLatencies(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> body(std::log(2000.0), 0.8);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<std::int64_t> values;
  values.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    double v = body(rng);
    if (coin(rng) < 0.001) v *= 500;  // rare multi-second stalls
    values.push_back(static_cast<std::int64_t>(v));
  }
  return values;
}

// Nearest-rank percentile with integer arithmetic: p given in thousandths.
std::int64_t ExactPercentile(const std::vector<std::int64_t>& sorted, std::uint64_t p_milli) {
  const std::uint64_t n = sorted.size();
  std::uint64_t rank = (p_milli * n + 99999) / 100000;  // ceil(p/100 * n)
  rank = std::max<std::uint64_t>(rank, 1);
  return sorted[rank - 1];
}

TEST(HdrHistogramTest, ConfigurationMatchesHdrHistogram) {
  const HdrHistogram h(3);
  EXPECT_EQ(h.SubBucketCount(), 2048);
  EXPECT_EQ(h.BucketCount(), 22);
  EXPECT_EQ(HdrHistogram(1).SubBucketCount(), 32);
  EXPECT_EQ(HdrHistogram(5).SubBucketCount(), 262144);
  EXPECT_FALSE(HdrHistogram::Create(0).ok());
  EXPECT_FALSE(HdrHistogram::Create(6).ok());
  EXPECT_TRUE(HdrHistogram::Create(5).ok());
}

TEST(HdrHistogramTest, SmallValuesAreExact) {
  HdrHistogram h(3);
  for (std::int64_t v = 0; v < 2048; ++v) h.Record(v);
  EXPECT_EQ(h.TotalCount(), 2048);
  EXPECT_EQ(h.Min(), 0);
  EXPECT_EQ(h.Max(), 2047);
  EXPECT_EQ(h.ValueAtPercentile(50), 1023);
  EXPECT_EQ(h.ValueAtPercentile(100), 2047);
  EXPECT_EQ(h.CountAtValue(17), 1);
  EXPECT_DOUBLE_EQ(h.Mean(), 1023.5);
}

TEST(HdrHistogramTest, EmptyHistogramIsAllZero) {
  const HdrHistogram h;
  EXPECT_EQ(h.TotalCount(), 0);
  EXPECT_EQ(h.Min(), 0);
  EXPECT_EQ(h.Max(), 0);
  EXPECT_EQ(h.ValueAtPercentile(99), 0);
  EXPECT_EQ(h.Mean(), 0);
  EXPECT_EQ(h.StdDev(), 0);
}

TEST(HdrHistogramTest, ClampsOutOfRangeValuesAndCountsThem) {
  HdrHistogram h;
  h.Record(-5);
  h.Record(HdrHistogram::kHighestTrackableValue + 1, 3);
  h.Record(10);
  EXPECT_EQ(h.TotalCount(), 5);
  EXPECT_EQ(h.ClampedCount(), 4);
  EXPECT_EQ(h.Min(), 0);
  EXPECT_EQ(h.CountAtValue(HdrHistogram::kHighestTrackableValue), 3);
  EXPECT_GE(h.Max(), HdrHistogram::kHighestTrackableValue);
  h.Record(7, 0);
  h.Record(7, -2);
  EXPECT_EQ(h.TotalCount(), 5);
}

TEST(HdrHistogramTest, EquivalentRangesHonourThePrecision) {
  for (int digits = 1; digits <= 5; ++digits) {
    const HdrHistogram h(digits);
    const double precision = std::pow(10.0, -digits);
    for (std::int64_t v : {1LL, 999LL, 12345LL, 1000000LL, 123456789LL, 3600000000LL}) {
      const std::int64_t low = h.LowestEquivalentValue(v);
      const std::int64_t high = h.HighestEquivalentValue(v);
      EXPECT_LE(low, v);
      EXPECT_GE(high, v);
      EXPECT_LE(static_cast<double>(high - low), static_cast<double>(v) * precision + 1.0)
          << "digits " << digits << " value " << v;
    }
  }
}

class HdrHistogramAccuracyTest : public ::testing::TestWithParam<int> {};

TEST_P(HdrHistogramAccuracyTest, PercentilesMatchExactWithinPrecision) {
  const int digits = GetParam();
  std::vector<std::int64_t> values = RandomLatencies(1000000, 42);
  HdrHistogram h(digits);
  for (std::int64_t v : values) h.Record(v);
  std::sort(values.begin(), values.end());
  const double precision = std::pow(10.0, -digits);
  for (std::uint64_t p_milli : {1000ULL, 10000ULL, 25000ULL, 50000ULL, 75000ULL, 90000ULL, 99000ULL,
                                99900ULL, 99990ULL, 99999ULL, 100000ULL}) {
    const std::int64_t exact = ExactPercentile(values, p_milli);
    const std::int64_t reported = h.ValueAtPercentile(static_cast<double>(p_milli) / 1000.0);
    // HdrHistogram semantics: the highest equivalent of the exact value.
    EXPECT_EQ(reported, h.HighestEquivalentValue(exact)) << "p_milli " << p_milli;
    EXPECT_GE(reported, exact);
    EXPECT_LE(static_cast<double>(reported - exact), static_cast<double>(exact) * precision)
        << "p_milli " << p_milli << " digits " << digits;
  }
  EXPECT_EQ(h.Max(), h.HighestEquivalentValue(values.back()));
  EXPECT_EQ(h.Min(), h.LowestEquivalentValue(values.front()));
  double exact_mean = 0;
  for (std::int64_t v : values) exact_mean += static_cast<double>(v);
  exact_mean /= static_cast<double>(values.size());
  EXPECT_NEAR(h.Mean(), exact_mean, exact_mean * precision);
}

INSTANTIATE_TEST_SUITE_P(Digits, HdrHistogramAccuracyTest, ::testing::Values(2, 3, 4));

TEST(HdrHistogramTest, PercentileRankIsNotBumpedByRoundingNoise) {
  HdrHistogram h;
  for (std::int64_t v = 1; v <= 100; ++v) h.Record(v);
  // 0.07 * 100 is 7.000000000000001 in binary floating point.
  EXPECT_EQ(h.ValueAtPercentile(7), 7);
  EXPECT_EQ(h.ValueAtPercentile(7.5), 8);
  EXPECT_EQ(h.ValueAtPercentile(0), 1);
}

TEST(HdrHistogramTest, MergeOfHalvesEqualsRecordingEverything) {
  const std::vector<std::int64_t> values = RandomLatencies(200000, 7);
  HdrHistogram all(3);
  HdrHistogram first(3);
  HdrHistogram second(3);
  for (std::size_t i = 0; i < values.size(); ++i) {
    all.Record(values[i]);
    (i % 2 == 0 ? first : second).Record(values[i]);
  }
  first.Record(-1);  // clamped values merge too
  all.Record(-1);
  ASSERT_TRUE(first.Merge(second).ok());
  EXPECT_EQ(first.Encode(), all.Encode());
  EXPECT_EQ(first.TotalCount(), all.TotalCount());
  EXPECT_EQ(first.ClampedCount(), 1);
  EXPECT_EQ(first.Min(), all.Min());
  EXPECT_EQ(first.Max(), all.Max());
  EXPECT_EQ(first.ValueAtPercentile(99.9), all.ValueAtPercentile(99.9));
}

TEST(HdrHistogramTest, MergeRefusesDifferentDigits) {
  HdrHistogram a(3);
  HdrHistogram b(2);
  b.Record(5);
  const Status s = a.Merge(b);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("significant digits"), std::string::npos);
  EXPECT_EQ(a.TotalCount(), 0);
}

TEST(HdrHistogramTest, ResetForgetsValues) {
  HdrHistogram h;
  h.Record(100);
  h.Record(-1);
  h.Reset();
  EXPECT_EQ(h.TotalCount(), 0);
  EXPECT_EQ(h.ClampedCount(), 0);
  EXPECT_EQ(h.Encode(), HdrHistogram().Encode());
}

TEST(HdrHistogramTest, EncodeDecodeRoundTrip) {
  for (int digits = 1; digits <= 5; ++digits) {
    HdrHistogram h(digits);
    for (std::int64_t v : RandomLatencies(20000, static_cast<std::uint64_t>(digits))) h.Record(v);
    h.Record(HdrHistogram::kHighestTrackableValue * 2);
    h.Record(0, 5);
    const std::string encoded = h.Encode();
    ASSERT_EQ(encoded.rfind("hdr1:", 0), 0u);
    StatusOr<HdrHistogram> decoded = HdrHistogram::Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->Encode(), encoded);
    EXPECT_EQ(decoded->SignificantDigits(), digits);
    EXPECT_EQ(decoded->TotalCount(), h.TotalCount());
    EXPECT_EQ(decoded->ClampedCount(), 1);
    EXPECT_EQ(decoded->Min(), h.Min());
    EXPECT_EQ(decoded->Max(), h.Max());
    EXPECT_EQ(decoded->ValueAtPercentile(99), h.ValueAtPercentile(99));
    EXPECT_DOUBLE_EQ(decoded->Mean(), h.Mean());
  }
  StatusOr<HdrHistogram> empty = HdrHistogram::Decode(HdrHistogram(2).Encode());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->TotalCount(), 0);
  EXPECT_EQ(empty->SignificantDigits(), 2);
}

// Base64 of raw payload bytes, for hand-made hostile inputs.
std::string Encoded(const std::string& payload) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "hdr1:";
  for (std::size_t i = 0; i < payload.size(); i += 3) {
    std::uint32_t chunk = static_cast<std::uint32_t>(static_cast<std::uint8_t>(payload[i])) << 16;
    if (i + 1 < payload.size())
      chunk |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(payload[i + 1])) << 8;
    if (i + 2 < payload.size()) chunk |= static_cast<std::uint8_t>(payload[i + 2]);
    out.push_back(kAlphabet[(chunk >> 18) & 63]);
    out.push_back(kAlphabet[(chunk >> 12) & 63]);
    out.push_back(i + 1 < payload.size() ? kAlphabet[(chunk >> 6) & 63] : '=');
    out.push_back(i + 2 < payload.size() ? kAlphabet[chunk & 63] : '=');
  }
  return out;
}

void ExpectRejected(const std::string& input, const std::string& why) {
  StatusOr<HdrHistogram> decoded = HdrHistogram::Decode(input);
  ASSERT_FALSE(decoded.ok()) << "accepted: " << why;
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument) << why;
  EXPECT_NE(decoded.status().message().find("histogram: "), std::string::npos) << why;
}

TEST(HdrHistogramTest, DecodeRejectsGarbage) {
  ExpectRejected("", "empty");
  ExpectRejected("hdr2:AAAA", "unknown version");
  ExpectRejected("hdr1:", "no payload");
  ExpectRejected("hdr1:!!!!", "bad base64 bytes");
  ExpectRejected("hdr1:AAA", "base64 length");
  ExpectRejected("hdr1:A===", "bad padding");
  ExpectRejected("hdr1:AB==", "non-canonical padding bits");
  ExpectRejected(Encoded(std::string("\x00\x00\x00", 3)), "zero digits");
  ExpectRejected(Encoded(std::string("\x06\x00\x00", 3)), "six digits");
  ExpectRejected(Encoded(std::string("\x03\x01\x02\x02", 4)), "clamped > total");
  ExpectRejected(Encoded(std::string("\x03\x05\x00\x02", 4)), "counts sum to 1, total 5");
  ExpectRejected(Encoded(std::string(12, '\xff')), "varint longer than 10 bytes");
  ExpectRejected(Encoded(std::string("\x03\x80", 2)), "truncated varint");
}

TEST(HdrHistogramTest, DecodeRejectsTruncation) {
  HdrHistogram h;
  for (std::int64_t v : RandomLatencies(5000, 3)) h.Record(v);
  const std::string encoded = h.Encode();
  // Every truncation to a multiple of 4 is valid base64 but loses counts.
  for (std::size_t length = 5; length < encoded.size(); length += 4) {
    EXPECT_FALSE(HdrHistogram::Decode(encoded.substr(0, length)).ok()) << "length " << length;
  }
}

TEST(HdrHistogramTest, DecodeRejectsHugeClaims) {
  // A zero run far past the trackable range.
  std::string payload("\x03\x01\x00", 3);
  payload += std::string("\xfd\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);  // zigzag(INT64_MIN + 1)
  ExpectRejected(Encoded(payload), "zero run of 2^63-1");
  // INT64_MIN as a run length must not overflow.
  std::string min_run("\x03\x01\x00", 3);
  min_run += std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
  ExpectRejected(Encoded(min_run), "zero run of 2^63");
  // Counts that overflow int64 when summed.
  std::string overflow("\x03\xfe\xff\xff\xff\xff\xff\xff\xff\x7f\x00", 11);
  overflow += std::string("\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);  // INT64_MAX
  overflow += std::string("\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);  // INT64_MAX
  ExpectRejected(Encoded(overflow), "count overflow");
  // A total count beyond int64.
  std::string total("\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00", 12);
  ExpectRejected(Encoded(total), "total > INT64_MAX");
  // More counts than the index space: 2^31 single counts claimed is
  // refused long before memory grows (each count is one byte here).
  std::string too_many("\x03\x00\x00", 3);
  HdrHistogram reference(3);
  too_many += std::string(static_cast<std::size_t>(reference.BucketCount()) * 2048 + 10, '\x02');
  ExpectRejected(Encoded(too_many), "count past the trackable range");
}

TEST(HdrHistogramTest, DecodeSurvivesRandomMutations) {
  HdrHistogram h;
  for (std::int64_t v : RandomLatencies(2000, 11)) h.Record(v);
  const std::string encoded = h.Encode();
  std::mt19937_64 rng(5);
  int accepted = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = encoded;
    const std::size_t pos = 5 + rng() % (mutated.size() - 5);
    mutated[pos] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="[rng() % 65];
    StatusOr<HdrHistogram> decoded = HdrHistogram::Decode(mutated);
    if (decoded.ok()) {
      ++accepted;
      // Whatever decodes is self-consistent.
      EXPECT_EQ(HdrHistogram::Decode(decoded->Encode())->Encode(), decoded->Encode());
    }
  }
  // Most single-byte mutations break the total-count check.
  EXPECT_LT(accepted, 2000);
}

TEST(HdrHistogramTest, WritesHgrmFormat) {
  HdrHistogram h(3);
  for (std::int64_t v = 1; v <= 1000; ++v) h.Record(v * 1000);  // 1..1000 ms in us
  std::ostringstream out;
  h.WriteHgrm(out, 1000.0);
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("       Value     Percentile TotalCount 1/(1-Percentile)\n\n", 0), 0u);
  // First line: the minimum at percentile 0.
  EXPECT_NE(text.find("       1.000 0.000000000000          1           1.00\n"),
            std::string::npos);
  // Median: 500 ms.
  EXPECT_NE(text.find("     500.223 0.500000000000        500           2.00\n"), std::string::npos)
      << text;
  // Last line: 100% without the 1/(1-p) column.
  EXPECT_NE(text.find("1.000000000000       1000\n#[Mean"), std::string::npos) << text;
  EXPECT_NE(text.find("#[Mean    =      500.505, StdDeviation   =      288.676]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("#[Max     =     1000.447, Total count    =         1000]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("#[Buckets =           22, SubBuckets     =         2048]\n"),
            std::string::npos);
  // Percentiles never decrease.
  std::istringstream lines(text);
  std::string line;
  double last = -1;
  int rows = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line.find("Value") != std::string::npos) continue;
    double value = 0;
    double percentile = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf %lf", &value, &percentile), 2) << line;
    EXPECT_GE(percentile, last);
    last = percentile;
    ++rows;
  }
  EXPECT_GT(rows, 50);
  EXPECT_EQ(last, 1.0);
}

TEST(HdrHistogramTest, WritesHgrmForEmptyHistogram) {
  std::ostringstream out;
  HdrHistogram().WriteHgrm(out, 1000.0);
  EXPECT_NE(out.str().find("Total count    =            0]"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace sessionrig::loadgen
