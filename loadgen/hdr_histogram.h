// loadgen/hdr_histogram.h: a small HdrHistogram (log-linear buckets) for
// latencies in microseconds, mergeable exactly and encodable into the
// summary JSON so that shards merge exactly (`loadgen merge`).
//
// Bucketing is HdrHistogram's: with `d` significant digits every recorded
// value v is kept in an equivalence range no wider than v / 10^d (values
// below 2 * 10^d are exact). The trackable range is fixed: lowest
// discernible value 1, highest trackable value 3,600,000,000 (one hour in
// microseconds). Values outside [0, 3.6e9] are clamped into it and counted
// in ClampedCount().
//
// Thread-safety: thread-compatible. One owner records (the worker thread
// that owns it); merge after the owners are done. Record() neither
// allocates nor locks.
//
// Encoded form (Encode/Decode), version 1:
//   "hdr1:" + standard base64 (RFC 4648 alphabet, '=' padding, no line
//   breaks) of the payload
//     varint  significant_digits       1..5
//     varint  total_count              sum of all counts, < 2^63
//     varint  clamped_count            <= total_count
//     then the counts array from index 0 in HdrHistogram index order, as
//     zigzag-encoded varints:
//       n >= 1   the count at the next index is n
//       n == 0   the count at the next index is 0 (Encode never writes it)
//       n <= -1  the next -n indices have count 0
//     Indices past the last one written have count 0.
//   Varints are unsigned LEB128, at most 10 bytes. "hdr1" also fixes the
//   range (lowest 1, highest 3.6e9) and so the index layout. Decode
//   rejects anything else: unknown prefix, bad base64, a varint longer than
//   10 bytes, digits out of range, an index past the trackable range, count
//   overflow, or counts that do not sum to total_count (which catches
//   truncation). Memory is bounded by the digits (at most ~16 MiB for 5).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "sessionrig/status.h"

namespace sessionrig::loadgen {

class HdrHistogram {
 public:
  static constexpr std::int64_t kLowestDiscernibleValue = 1;
  static constexpr std::int64_t kHighestTrackableValue = 3'600'000'000;  // 1 h in us
  static constexpr int kMinSignificantDigits = 1;
  static constexpr int kMaxSignificantDigits = 5;
  static constexpr int kDefaultSignificantDigits = 3;
  // Decode refuses encoded strings longer than this, in bytes.
  static constexpr std::size_t kMaxEncodedBytes = 64u << 20;

  // REQUIRES: kMinSignificantDigits <= significant_digits <= kMaxSignificantDigits.
  // Out-of-range values are clamped into that range (use Create() to get an
  // error instead).
  explicit HdrHistogram(int significant_digits = kDefaultSignificantDigits);

  // Errors: kInvalidArgument when significant_digits is outside 1..5.
  static StatusOr<HdrHistogram> Create(int significant_digits);

  // A moved-from histogram may only be assigned to or destroyed.
  HdrHistogram(const HdrHistogram&) = default;
  HdrHistogram& operator=(const HdrHistogram&) = default;
  HdrHistogram(HdrHistogram&&) noexcept = default;
  HdrHistogram& operator=(HdrHistogram&&) noexcept = default;

  // Records `count` occurrences of `value` (microseconds for latencies).
  // Values below 0 are recorded as 0, values above kHighestTrackableValue
  // as kHighestTrackableValue; both add `count` to ClampedCount().
  // Non-positive counts are ignored. REQUIRES: TotalCount() + count < 2^63.
  void Record(std::int64_t value, std::int64_t count = 1) {
    if (count <= 0) return;
    if (value < 0) {
      value = 0;
      clamped_count_ += count;
    } else if (value > kHighestTrackableValue) {
      value = kHighestTrackableValue;
      clamped_count_ += count;
    }
    counts_[CountsIndexFor(value)] += count;
    total_count_ += count;
    if (value < min_value_) min_value_ = value;
    if (value > max_value_) max_value_ = value;
  }

  // Adds every count of `other` to this histogram. Exact: the result equals
  // recording both streams into one histogram (Encode() is identical).
  // Errors: kInvalidArgument when the significant digits differ, or when the
  // total count would overflow; this histogram is unchanged then.
  Status Merge(const HdrHistogram& other);

  // Forgets every recorded value; keeps the configuration.
  void Reset();

  // HdrHistogram semantics: the highest value equivalent to the recorded
  // value of rank ceil(p/100 * TotalCount()) (at least rank 1); p is clamped
  // into [0, 100]; p == 0 gives the lowest equivalent value of the minimum.
  // 0 when empty.
  std::int64_t ValueAtPercentile(double percentile) const;

  // Lowest equivalent value of the smallest recorded value; 0 when empty.
  std::int64_t Min() const;
  // Highest equivalent value of the largest recorded value; 0 when empty.
  std::int64_t Max() const;
  // Mean and standard deviation over the median equivalent value of each
  // bucket (HdrHistogram semantics); 0 when empty.
  double Mean() const;
  double StdDev() const;
  std::int64_t TotalCount() const { return total_count_; }
  // Values that were outside [0, kHighestTrackableValue] when recorded.
  std::int64_t ClampedCount() const { return clamped_count_; }
  // Number of recorded values equivalent to `value`.
  std::int64_t CountAtValue(std::int64_t value) const;

  // The counts array in HdrHistogram index order (the layout of HdrHistogram
  // with lowest discernible value 1): its length, the count at `index`
  // (0 past the end), and the index of `value` (clamped into the range).
  std::size_t CountsLength() const { return counts_len_; }
  std::int64_t CountAtIndex(std::size_t index) const {
    return index < counts_len_ ? counts_[index] : 0;
  }
  std::size_t IndexOfValue(std::int64_t value) const {
    return CountsIndexFor(value < 0 ? 0 : std::min(value, kHighestTrackableValue));
  }
  // The raw largest recorded value (not its equivalence range); 0 when empty.
  std::int64_t MaxRecorded() const { return max_value_; }

  int SignificantDigits() const { return significant_digits_; }
  int BucketCount() const { return bucket_count_; }
  int SubBucketCount() const { return static_cast<int>(sub_bucket_count_); }

  // Equivalence range of `value` (clamped into the trackable range first):
  // every value in [LowestEquivalentValue(v), HighestEquivalentValue(v)]
  // lands in the same bucket.
  std::int64_t LowestEquivalentValue(std::int64_t value) const;
  std::int64_t HighestEquivalentValue(std::int64_t value) const;

  // The encoded form described at the top of this file. Allocates.
  std::string Encode() const;
  // Parses the encoded form. Safe on untrusted input: bounds-checked,
  // memory bounded by kMaxEncodedBytes and the digits. Errors:
  // kInvalidArgument with a message naming what is wrong.
  static StatusOr<HdrHistogram> Decode(std::string_view encoded);

  // Writes the HdrHistogram percentile distribution text format (.hgrm):
  // columns "Value Percentile TotalCount 1/(1-Percentile)", 5 percentile
  // ticks per half distance, then the #[Mean...], #[Max...] and
  // #[Buckets...] footer lines. Values are divided by `unit_divisor` (1000
  // turns microseconds into milliseconds); REQUIRES unit_divisor > 0 (a
  // non-positive divisor is treated as 1).
  void WriteHgrm(std::ostream& out, double unit_divisor) const;

 private:
  // Computes the layout; allocates the counts only when `allocate`.
  HdrHistogram(int significant_digits, bool allocate);

  std::size_t CountsIndexFor(std::int64_t value) const {
    const int bucket_index = BucketIndex(value);
    const int sub_bucket_index = static_cast<int>(value >> bucket_index);
    return CountsIndex(bucket_index, sub_bucket_index);
  }
  int BucketIndex(std::int64_t value) const {
    // value | mask is never 0, so clzll is defined.
    return leading_zero_count_base_ -
           __builtin_clzll(static_cast<unsigned long long>(value | sub_bucket_mask_));
  }
  std::size_t CountsIndex(int bucket_index, int sub_bucket_index) const {
    const std::int64_t bucket_base_index = static_cast<std::int64_t>(bucket_index + 1)
                                           << sub_bucket_half_count_magnitude_;
    return static_cast<std::size_t>(bucket_base_index + sub_bucket_index - sub_bucket_half_count_);
  }
  std::int64_t ValueFromIndex(std::size_t index) const;
  std::int64_t SizeOfEquivalentRange(std::int64_t value) const;
  std::int64_t MedianEquivalentValue(std::int64_t value) const;
  void RecomputeMinMax();

  // Constant after construction.
  int significant_digits_;
  int sub_bucket_half_count_magnitude_;
  std::int64_t sub_bucket_count_;
  std::int64_t sub_bucket_half_count_;
  std::int64_t sub_bucket_mask_;
  int bucket_count_;
  int leading_zero_count_base_;
  std::size_t counts_len_;  // one past the index of kHighestTrackableValue

  // Recorded state.
  std::vector<std::int64_t> counts_;
  std::int64_t total_count_ = 0;
  std::int64_t clamped_count_ = 0;
  std::int64_t min_value_;  // raw, INT64_MAX when empty
  std::int64_t max_value_;  // raw, 0 when empty
};

// Standard base64 (RFC 4648 alphabet, '=' padding, no line breaks), as the
// encoded form above uses; also HdrHistogram's V2 log lines (hlog.h).
std::string Base64Encode(std::string_view bytes);

}  // namespace sessionrig::loadgen
