// loadgen/hlog.h: loadgen's histograms in HdrHistogram's own interchange
// formats, so a run can be analysed with the tools users already have
// (HistogramLogAnalyzer, HistogramLogProcessor, jHiccup's scripts, the
// HdrHistogram libraries in Java, C, Go, Python, Rust, JavaScript):
//
// The V2 encoding of one histogram (all integers big-endian):
//   int32   cookie 0x1c849313 (V2, the 0x10 bit: ZigZag LEB128 counts)
//   int32   payload length, bytes
//   int32   normalizing index offset: 0
//   int32   significant digits
//   int64   lowest discernible value: 1
//   int64   highest trackable value: 3,600,000,000 (HdrHistogram's range)
//   float64 integer-to-double conversion ratio: 1.0
//   payload the counts from index 0 up to the index of the largest value,
//           each a ZigZag LEB128-64b9B varint (at most 9 bytes; the 9th
//           carries 8 bits): a count n >= 0 is n, and a run of k > 1
//           zero counts is -k.
// The compressed V2 encoding: int32 cookie 0x1c849314, int32 length of the
// zlib stream, then the zlib (deflate) stream of the V2 encoding. Its
// base64 starts "HISTFAAAA".
//
// The histogram interval log (HistogramLogWriter's format 1.3, as jHiccup
// writes it): comment lines "#...", "#[StartTime: S (seconds since epoch),
// DATE]", "#[BaseTime: S (seconds since epoch)]", the legend line, then one
// line per interval "[Tag=T,]START,LENGTH,MAX,BASE64" with START relative to
// the base time and LENGTH in seconds, MAX the interval's largest value in
// milliseconds, BASE64 its compressed V2 encoding.
//
// Thread-safety: pure functions.
#pragma once

#include <iosfwd>
#include <string>

#include "loadgen/hdr_histogram.h"
#include "loadgen/summary.h"
#include "sessionrig/status.h"

namespace sessionrig::loadgen {

inline constexpr std::uint32_t kV2EncodingCookie = 0x1c849313;
inline constexpr std::uint32_t kV2CompressedEncodingCookie = 0x1c849314;

// The V2 encoding of `histogram` (bytes).
std::string EncodeV2(const HdrHistogram& histogram);

// The compressed V2 encoding (bytes), deflated at `level` (zlib's 0..9;
// HistogramLogWriter uses 9). Errors: kInternal when zlib fails.
StatusOr<std::string> EncodeCompressedV2(const HdrHistogram& histogram, int level = 9);

// Writes `summary`'s time series as a histogram interval log: per
// interval, the corrected write latency histogram (no tag) and, when the
// run read anything, the corrected read latency histogram (Tag=read);
// values in microseconds (HistogramLogProcessor: -outputValueUnitRatio
// 1000 prints milliseconds). The base time is the start of the measured
// phase (summary.start_unix_s). Errors: kInvalidArgument when an interval
// histogram does not decode, kInternal when zlib fails.
Status WriteHistogramLog(std::ostream& out, const Summary& summary);

}  // namespace sessionrig::loadgen
