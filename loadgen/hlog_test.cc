// The HdrHistogram V2 encoding and interval log, checked with a decoder
// written here from the format's description (zlib's inflate, big-endian
// fields, ZigZag LEB128-64b9B counts), not with anything of loadgen's
// encoder, and against encodings written by HdrHistogram's Java and C
// libraries.
#include "loadgen/hlog.h"

#include <zlib.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

std::string FromBase64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    const std::size_t v = kAlphabet.find(c);
    EXPECT_NE(v, std::string::npos) << "bad base64 byte " << c;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

std::uint64_t BigEndian(const std::string& bytes, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i)
    v = (v << 8) | static_cast<std::uint8_t>(bytes.at(at + i));
  return v;
}

struct Decoded {
  std::uint32_t cookie = 0;
  std::int32_t digits = 0;
  std::int64_t lowest = 0;
  std::int64_t highest = 0;
  double ratio = 0;
  std::string payload;
  std::vector<std::int64_t> counts;  // index order, up to the last one encoded
  std::int64_t total = 0;
};

// Parses a compressed V2 histogram (bytes).
Decoded DecodeCompressed(const std::string& bytes) {
  Decoded d;
  EXPECT_EQ(BigEndian(bytes, 0, 4), 0x1c849314u);
  const std::uint64_t length = BigEndian(bytes, 4, 4);
  EXPECT_EQ(length + 8, bytes.size());
  std::string raw(1 << 20, '\0');
  uLongf raw_length = raw.size();
  EXPECT_EQ(
      uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_length,
                 reinterpret_cast<const Bytef*>(bytes.data() + 8), static_cast<uLong>(length)),
      Z_OK);
  raw.resize(raw_length);
  d.cookie = static_cast<std::uint32_t>(BigEndian(raw, 0, 4));
  const std::uint64_t payload_length = BigEndian(raw, 4, 4);
  EXPECT_EQ(BigEndian(raw, 8, 4), 0u) << "normalizing index offset";
  d.digits = static_cast<std::int32_t>(BigEndian(raw, 12, 4));
  d.lowest = static_cast<std::int64_t>(BigEndian(raw, 16, 8));
  d.highest = static_cast<std::int64_t>(BigEndian(raw, 24, 8));
  const std::uint64_t ratio_bits = BigEndian(raw, 32, 8);
  std::memcpy(&d.ratio, &ratio_bits, sizeof(d.ratio));
  d.payload = raw.substr(40);
  EXPECT_EQ(d.payload.size(), payload_length);
  std::size_t pos = 0;
  while (pos < d.payload.size()) {
    std::uint64_t v = 0;
    int shift = 0;
    for (int i = 0; i < 9; ++i) {
      const auto byte = static_cast<std::uint8_t>(d.payload.at(pos++));
      if (i == 8) {
        v |= static_cast<std::uint64_t>(byte) << 56;  // the 9th byte: 8 bits
        break;
      }
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) break;
    }
    const auto value = static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
    if (value < 0) {
      d.counts.insert(d.counts.end(), static_cast<std::size_t>(-value), 0);
    } else {
      d.counts.push_back(value);
      d.total += value;
    }
  }
  return d;
}

TEST(HlogTest, ForeignEncodingsDecodeWithThisDecoder) {
  // Java's and C's HdrHistogram (1, 2048, 3) after recordValue(2048).
  Decoded a =
      DecodeCompressed(FromBase64("HISTFAAAACB4nJNpmSzMwMDAzAABMJoRQnEw2H+AsP7LMwEARZgDpQ=="));
  EXPECT_EQ(a.cookie, 0x1c849313u);
  EXPECT_EQ(a.digits, 3);
  EXPECT_EQ(a.highest, 2048);
  EXPECT_EQ(a.total, 1);
  ASSERT_EQ(a.counts.size(), 2049u);
  EXPECT_EQ(a.counts[2048], 1);
  // (1, 300, 3) after 100, 200, 250.
  Decoded b =
      DecodeCompressed(FromBase64("HISTFAAAACV4nJNpmSzMwMDAwQABzFCaEUrp2H+AsI4zMh1lZEpkAgBdIQSk"));
  EXPECT_EQ(b.total, 3);
  ASSERT_EQ(b.counts.size(), 251u);
  EXPECT_EQ(b.counts[100] + b.counts[200] + b.counts[250], 3);
}

TEST(HlogTest, OurEncodingHasTheForeignPayloadAndHeader) {
  // The counts layout depends only on the lowest value and the digits, so
  // loadgen's payload must equal the foreign libraries' byte for byte; the
  // header differs only in the highest trackable value.
  HdrHistogram h(3);
  h.Record(2048);
  StatusOr<std::string> ours = EncodeCompressedV2(h);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  EXPECT_EQ(Base64Encode(*ours).rfind("HISTFAAAA", 0), 0u) << Base64Encode(*ours);
  const Decoded mine = DecodeCompressed(*ours);
  const Decoded java =
      DecodeCompressed(FromBase64("HISTFAAAACB4nJNpmSzMwMDAzAABMJoRQnEw2H+AsP7LMwEARZgDpQ=="));
  EXPECT_EQ(mine.payload, java.payload);
  EXPECT_EQ(mine.cookie, java.cookie);
  EXPECT_EQ(mine.digits, java.digits);
  EXPECT_EQ(mine.lowest, 1);
  EXPECT_EQ(mine.highest, HdrHistogram::kHighestTrackableValue);
  EXPECT_DOUBLE_EQ(mine.ratio, 1.0);

  HdrHistogram three(3);
  for (std::int64_t v : {100, 200, 250}) three.Record(v);
  const Decoded c = DecodeCompressed(*EncodeCompressedV2(three));
  const Decoded foreign =
      DecodeCompressed(FromBase64("HISTFAAAACV4nJNpmSzMwMDAwQABzFCaEUrp2H+AsI4zMh1lZEpkAgBdIQSk"));
  EXPECT_EQ(c.payload, foreign.payload);
}

TEST(HlogTest, CountsRoundTripAtEveryMagnitude) {
  for (int digits : {2, 3}) {
    HdrHistogram h(digits);
    std::uint64_t x = 12345;
    for (int i = 0; i < 20000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      h.Record(static_cast<std::int64_t>((x >> 20) % (1ull << (10 + i % 22))));
    }
    h.Record(HdrHistogram::kHighestTrackableValue);
    h.Record(0, 1ll << 40);  // a count that needs 6 varint bytes
    const Decoded d = DecodeCompressed(*EncodeCompressedV2(h));
    EXPECT_EQ(d.digits, digits);
    EXPECT_EQ(d.total, h.TotalCount());
    ASSERT_EQ(d.counts.size(), h.IndexOfValue(h.MaxRecorded()) + 1);
    for (std::size_t i = 0; i < d.counts.size(); ++i) {
      ASSERT_EQ(d.counts[i], h.CountAtIndex(i)) << "index " << i;
    }
  }
  // Empty: one zero count, as HdrHistogram writes it.
  const Decoded empty = DecodeCompressed(*EncodeCompressedV2(HdrHistogram(2)));
  EXPECT_EQ(empty.total, 0);
  EXPECT_EQ(empty.counts.size(), 1u);
}

TEST(HlogTest, IntervalLogHasTheHeaderAndOneLinePerIntervalAndTag) {
  Summary s;
  s.scenario = "mixed";
  s.mode = "sync";
  s.target = "embedded";
  s.start_unix_s = 1700000000.25;
  s.interval_s = 1;
  IntervalRecorder r(0, 2'500'000, 1'000'000);
  for (int i = 0; i < 50; ++i) {
    r.RecordWrite(i * 40'000, WriteStatus::kUpdated, 1000 + i * 100, 900);
    if (i % 2 == 0) r.RecordRead(i * 40'000 + 5, false, 2'000'000 - i * 10'000, 500);
  }
  s.timeseries = r.Finish();
  s.reads.total = 25;
  std::ostringstream out;
  ASSERT_TRUE(WriteHistogramLog(out, s).ok());
  std::istringstream in(out.str());
  std::string line;
  std::vector<std::string> header;
  std::vector<std::string> data;
  while (std::getline(in, line)) (line[0] == '#' || line[0] == '"' ? header : data).push_back(line);
  ASSERT_GE(header.size(), 4u);
  EXPECT_NE(out.str().find("#[Histogram log format version 1.3]\n"), std::string::npos);
  EXPECT_NE(out.str().find("#[StartTime: 1700000000.250 (seconds since epoch), Tue Nov 14 "
                           "22:13:20 UTC 2023]\n"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("#[BaseTime: 1700000000.250 (seconds since epoch)]\n"),
            std::string::npos);
  EXPECT_EQ(
      header.back(),
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"");
  ASSERT_EQ(data.size(), 6u);  // 3 intervals, writes and reads
  std::int64_t writes = 0;
  std::int64_t reads = 0;
  for (const std::string& d : data) {
    const bool read = d.rfind("Tag=read,", 0) == 0;
    std::vector<std::string> fields;
    std::stringstream ss(read ? d.substr(9) : d);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
    ASSERT_EQ(fields.size(), 4u) << d;
    const Decoded h = DecodeCompressed(FromBase64(fields[3]));
    EXPECT_EQ(h.digits, kIntervalDigits);
    (read ? reads : writes) += h.total;
  }
  EXPECT_EQ(data[0].substr(0, 12), "0.000,1.000,");
  EXPECT_EQ(data[4].substr(0, 12), "2.000,0.500,");  // the last interval is half a second
  EXPECT_EQ(writes, 50);
  EXPECT_EQ(reads, 25);
}

}  // namespace
}  // namespace sessionrig::loadgen
