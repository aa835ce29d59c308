#include "loadgen/hlog.h"

#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <ostream>

namespace sessionrig::loadgen {

namespace {

void PutInt32(std::uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

void PutInt64(std::uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

// ZigZag, then LEB128 with at most 9 bytes: 8 groups of 7 bits, and a 9th
// byte with the last 8 bits (HdrHistogram's ZigZagEncoding.putLong).
void PutZigZag64b9B(std::int64_t value, std::string* out) {
  std::uint64_t v =
      (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
  for (int i = 0; i < 8; ++i) {
    if ((v >> 7) == 0) {
      out->push_back(static_cast<char>(v));
      return;
    }
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v & 0xff));
}

// "Tue Nov 14 22:13:20 UTC 2023", as Java's Date.toString() in UTC.
std::string DateText(double unix_s) {
  const auto t = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buffer;
}

std::string Fixed3(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.3f", v);
  return buffer;
}

}  // namespace

std::string EncodeV2(const HdrHistogram& h) {
  std::string payload;
  const std::size_t limit = h.IndexOfValue(h.MaxRecorded()) + 1;
  for (std::size_t i = 0; i < limit;) {
    const std::int64_t count = h.CountAtIndex(i++);
    std::int64_t zeros = 0;
    if (count == 0) {
      zeros = 1;
      while (i < limit && h.CountAtIndex(i) == 0) {
        ++zeros;
        ++i;
      }
    }
    PutZigZag64b9B(zeros > 1 ? -zeros : count, &payload);
  }
  std::string out;
  out.reserve(40 + payload.size());
  PutInt32(kV2EncodingCookie, &out);
  PutInt32(static_cast<std::uint32_t>(payload.size()), &out);
  PutInt32(0, &out);  // normalizing index offset
  PutInt32(static_cast<std::uint32_t>(h.SignificantDigits()), &out);
  PutInt64(static_cast<std::uint64_t>(HdrHistogram::kLowestDiscernibleValue), &out);
  PutInt64(static_cast<std::uint64_t>(HdrHistogram::kHighestTrackableValue), &out);
  std::uint64_t ratio_bits = 0;
  const double ratio = 1.0;
  std::memcpy(&ratio_bits, &ratio, sizeof(ratio_bits));
  PutInt64(ratio_bits, &out);
  return out + payload;
}

StatusOr<std::string> EncodeCompressedV2(const HdrHistogram& h, int level) {
  const std::string raw = EncodeV2(h);
  uLongf length = compressBound(static_cast<uLong>(raw.size()));
  std::string out(8 + length, '\0');
  const int rc =
      compress2(reinterpret_cast<Bytef*>(out.data() + 8), &length,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), level);
  if (rc != Z_OK) {
    return Status(StatusCode::kInternal, "zlib compress2 failed: " + std::to_string(rc));
  }
  out.resize(8 + length);
  std::string header;
  PutInt32(kV2CompressedEncodingCookie, &header);
  PutInt32(static_cast<std::uint32_t>(length), &header);
  out.replace(0, 8, header);
  return out;
}

Status WriteHistogramLog(std::ostream& out, const Summary& s) {
  out << "#[Logged with sessionrig loadgen: scenario " << s.scenario << ", mode " << s.mode
      << ", target " << s.target << "]\n";
  out << "#[Values in microseconds, Interval_Max in milliseconds. Untagged: corrected write "
         "latency; Tag=read: corrected read latency]\n";
  out << "#[Histogram log format version 1.3]\n";
  out << "#[StartTime: " << Fixed3(s.start_unix_s) << " (seconds since epoch), "
      << DateText(s.start_unix_s) << "]\n";
  out << "#[BaseTime: " << Fixed3(s.start_unix_s) << " (seconds since epoch)]\n";
  out << "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_"
         "Histogram\"\n";
  const bool reads = s.reads.total > 0;
  for (std::size_t i = 0; i < s.timeseries.size(); ++i) {
    const TimeseriesInterval& in = s.timeseries[i];
    for (const auto& [tag, encoded] :
         {std::pair{"", &in.histogram}, std::pair{"read", &in.read_histogram}}) {
      if (*tag != '\0' && !reads) continue;
      StatusOr<HdrHistogram> h = HdrHistogram::Decode(*encoded);
      if (!h.ok()) {
        return Status(StatusCode::kInvalidArgument,
                      "timeseries." + std::to_string(i) + ": " + h.status().message());
      }
      StatusOr<std::string> compressed = EncodeCompressedV2(*h);
      if (!compressed.ok()) return compressed.status();
      if (*tag != '\0') out << "Tag=" << tag << ",";
      out << Fixed3(in.t_s) << "," << Fixed3(in.duration_s) << ","
          << Fixed3(static_cast<double>(h->Max()) / 1000.0) << "," << Base64Encode(*compressed)
          << "\n";
    }
  }
  return Status::Ok();
}

}  // namespace sessionrig::loadgen
