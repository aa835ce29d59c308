#include "loadgen/hdr_histogram.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>

namespace sessionrig::loadgen {

namespace {

constexpr std::string_view kEncodingPrefix = "hdr1:";
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

Status DecodeError(std::string_view what) {
  return Status(StatusCode::kInvalidArgument, "histogram: " + std::string(what));
}

// ---- varint / zigzag -------------------------------------------------------

void PutVarint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

std::uint64_t ZigZag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t UnZigZag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

// Reads bytes of a decoded payload; every read is bounds-checked.
class PayloadReader {
 public:
  explicit PayloadReader(const std::string& bytes) : bytes_(&bytes) {}
  bool AtEnd() const { return pos_ >= bytes_->size(); }

  // Errors on truncation and on varints longer than 10 bytes or whose 10th
  // byte carries more than the 64th bit.
  Status ReadVarint(std::uint64_t* value) {
    std::uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= bytes_->size()) return DecodeError("truncated varint");
      const auto byte = static_cast<std::uint8_t>((*bytes_)[pos_++]);
      if (shift == 63 && byte > 1) return DecodeError("varint overflows 64 bits");
      result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return Status::Ok();
      }
    }
    return DecodeError("varint longer than 10 bytes");
  }

 private:
  const std::string* bytes_;
  std::size_t pos_ = 0;
};

// ---- base64 (RFC 4648, standard alphabet, padded) --------------------------

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t chunk =
        (static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i + 1])) << 8) |
        static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i + 2]));
    out.push_back(kBase64Alphabet[(chunk >> 18) & 0x3f]);
    out.push_back(kBase64Alphabet[(chunk >> 12) & 0x3f]);
    out.push_back(kBase64Alphabet[(chunk >> 6) & 0x3f]);
    out.push_back(kBase64Alphabet[chunk & 0x3f]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t chunk = static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i])) << 16;
    if (rest == 2)
      chunk |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i + 1])) << 8;
    out.push_back(kBase64Alphabet[(chunk >> 18) & 0x3f]);
    out.push_back(kBase64Alphabet[(chunk >> 12) & 0x3f]);
    out.push_back(rest == 2 ? kBase64Alphabet[(chunk >> 6) & 0x3f] : '=');
    out.push_back('=');
  }
  return out;
}

namespace {

// -1 for bytes outside the alphabet.
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict: length a multiple of 4, '=' only as the last one or two bytes,
// unused bits of the last symbol zero.
Status Base64Decode(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return DecodeError("base64 length is not a multiple of 4");
  out->clear();
  out->reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::size_t padding = 0;
    if (last) {
      if (text[i + 3] == '=') padding = (text[i + 2] == '=') ? 2 : 1;
    }
    std::array<int, 4> v{};
    for (std::size_t k = 0; k < 4 - padding; ++k) {
      v[k] = Base64Value(text[i + k]);
      if (v[k] < 0) {
        return DecodeError("invalid base64 byte at offset " + std::to_string(i + k));
      }
    }
    const std::uint32_t chunk =
        (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
        (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    out->push_back(static_cast<char>((chunk >> 16) & 0xff));
    if (padding == 2) {
      if ((chunk & 0xffff) != 0) return DecodeError("non-canonical base64 padding");
      continue;
    }
    out->push_back(static_cast<char>((chunk >> 8) & 0xff));
    if (padding == 1) {
      if ((chunk & 0xff) != 0) return DecodeError("non-canonical base64 padding");
      continue;
    }
    out->push_back(static_cast<char>(chunk & 0xff));
  }
  return Status::Ok();
}

}  // namespace

// ---- construction ----------------------------------------------------------

HdrHistogram::HdrHistogram(int significant_digits) : HdrHistogram(significant_digits, true) {}

HdrHistogram::HdrHistogram(int significant_digits, bool allocate)
    : significant_digits_(
          std::clamp(significant_digits, kMinSignificantDigits, kMaxSignificantDigits)) {
  // As in HdrHistogram with lowest discernible value 1 (unit magnitude 0).
  std::int64_t largest_value_with_single_unit_resolution = 2;
  for (int i = 0; i < significant_digits_; ++i) largest_value_with_single_unit_resolution *= 10;
  int sub_bucket_count_magnitude = 0;
  while ((std::int64_t{1} << sub_bucket_count_magnitude) <
         largest_value_with_single_unit_resolution) {
    ++sub_bucket_count_magnitude;
  }
  sub_bucket_half_count_magnitude_ = std::max(sub_bucket_count_magnitude, 1) - 1;
  sub_bucket_count_ = std::int64_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = sub_bucket_count_ - 1;
  leading_zero_count_base_ = 64 - sub_bucket_half_count_magnitude_ - 1;

  std::int64_t smallest_untrackable_value = sub_bucket_count_;
  int buckets_needed = 1;
  while (smallest_untrackable_value <= kHighestTrackableValue) {
    smallest_untrackable_value <<= 1;
    ++buckets_needed;
  }
  bucket_count_ = buckets_needed;
  counts_len_ = CountsIndexFor(kHighestTrackableValue) + 1;
  if (allocate) counts_.assign(counts_len_, 0);
  min_value_ = kInt64Max;
  max_value_ = 0;
}

StatusOr<HdrHistogram> HdrHistogram::Create(int significant_digits) {
  if (significant_digits < kMinSignificantDigits || significant_digits > kMaxSignificantDigits) {
    return Status(StatusCode::kInvalidArgument, "histogram: significant digits must be 1..5, got " +
                                                    std::to_string(significant_digits));
  }
  return HdrHistogram(significant_digits);
}

// ---- index math ------------------------------------------------------------

std::int64_t HdrHistogram::ValueFromIndex(std::size_t index) const {
  const auto signed_index = static_cast<std::int64_t>(index);
  std::int64_t bucket_index = (signed_index >> sub_bucket_half_count_magnitude_) - 1;
  std::int64_t sub_bucket_index =
      (signed_index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  if (bucket_index < 0) {
    sub_bucket_index -= sub_bucket_half_count_;
    bucket_index = 0;
  }
  return sub_bucket_index << bucket_index;
}

std::int64_t HdrHistogram::SizeOfEquivalentRange(std::int64_t value) const {
  const int bucket_index = BucketIndex(value);
  const std::int64_t sub_bucket_index = value >> bucket_index;
  const int adjusted_bucket =
      sub_bucket_index >= sub_bucket_count_ ? bucket_index + 1 : bucket_index;
  return std::int64_t{1} << adjusted_bucket;
}

std::int64_t HdrHistogram::LowestEquivalentValue(std::int64_t value) const {
  value = std::clamp<std::int64_t>(value, 0, kHighestTrackableValue);
  const int bucket_index = BucketIndex(value);
  return (value >> bucket_index) << bucket_index;
}

std::int64_t HdrHistogram::HighestEquivalentValue(std::int64_t value) const {
  value = std::clamp<std::int64_t>(value, 0, kHighestTrackableValue);
  return LowestEquivalentValue(value) + SizeOfEquivalentRange(value) - 1;
}

std::int64_t HdrHistogram::MedianEquivalentValue(std::int64_t value) const {
  return LowestEquivalentValue(value) + (SizeOfEquivalentRange(value) >> 1);
}

// ---- recording and merging --------------------------------------------------

Status HdrHistogram::Merge(const HdrHistogram& other) {
  if (other.significant_digits_ != significant_digits_) {
    return Status(StatusCode::kInvalidArgument, "histogram: cannot merge a histogram with " +
                                                    std::to_string(other.significant_digits_) +
                                                    " significant digits into one with " +
                                                    std::to_string(significant_digits_));
  }
  std::int64_t total = 0;
  std::int64_t clamped = 0;
  if (__builtin_add_overflow(total_count_, other.total_count_, &total) ||
      __builtin_add_overflow(clamped_count_, other.clamped_count_, &clamped)) {
    return Status(StatusCode::kInvalidArgument, "histogram: merged total count overflows");
  }
  if (other.total_count_ == 0) return Status::Ok();
  // Every count is <= its histogram's total, so no per-index sum overflows.
  for (std::size_t i = 0; i < counts_len_; ++i) counts_[i] += other.counts_[i];
  total_count_ = total;
  clamped_count_ = clamped;
  min_value_ = std::min(min_value_, other.min_value_);
  max_value_ = std::max(max_value_, other.max_value_);
  return Status::Ok();
}

void HdrHistogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  clamped_count_ = 0;
  min_value_ = kInt64Max;
  max_value_ = 0;
}

void HdrHistogram::RecomputeMinMax() {
  min_value_ = kInt64Max;
  max_value_ = 0;
  for (std::size_t i = 0; i < counts_len_; ++i) {
    if (counts_[i] == 0) continue;
    const std::int64_t value = ValueFromIndex(i);
    min_value_ = std::min(min_value_, value);
    max_value_ = std::max(max_value_, value);
  }
}

// ---- queries ----------------------------------------------------------------

std::int64_t HdrHistogram::ValueAtPercentile(double percentile) const {
  if (total_count_ == 0) return 0;
  if (!(percentile >= 0.0)) percentile = 0.0;  // also catches NaN
  if (percentile > 100.0) percentile = 100.0;
  // Rank ceil(p/100 * n); a product within rounding noise of an integer is
  // that integer (0.07 * 100 must be rank 7, not 8).
  const double fp_rank = percentile / 100.0 * static_cast<double>(total_count_);
  const double nearest = std::round(fp_rank);
  const double rank =
      std::fabs(fp_rank - nearest) <= 1e-9 * std::max(1.0, fp_rank) ? nearest : std::ceil(fp_rank);
  std::int64_t count_at_percentile =
      rank >= static_cast<double>(total_count_) ? total_count_ : static_cast<std::int64_t>(rank);
  count_at_percentile = std::max<std::int64_t>(count_at_percentile, 1);
  std::int64_t running = 0;
  for (std::size_t i = 0; i < counts_len_; ++i) {
    running += counts_[i];
    if (running >= count_at_percentile) {
      const std::int64_t value = ValueFromIndex(i);
      return percentile == 0.0 ? LowestEquivalentValue(value) : HighestEquivalentValue(value);
    }
  }
  return HighestEquivalentValue(max_value_);
}

std::int64_t HdrHistogram::Min() const {
  return total_count_ == 0 ? 0 : LowestEquivalentValue(min_value_);
}

std::int64_t HdrHistogram::Max() const {
  return total_count_ == 0 ? 0 : HighestEquivalentValue(max_value_);
}

double HdrHistogram::Mean() const {
  if (total_count_ == 0) return 0.0;
  double total_value = 0.0;
  for (std::size_t i = 0; i < counts_len_; ++i) {
    if (counts_[i] == 0) continue;
    total_value += static_cast<double>(MedianEquivalentValue(ValueFromIndex(i))) *
                   static_cast<double>(counts_[i]);
  }
  return total_value / static_cast<double>(total_count_);
}

double HdrHistogram::StdDev() const {
  if (total_count_ == 0) return 0.0;
  const double mean = Mean();
  double deviation_total = 0.0;
  for (std::size_t i = 0; i < counts_len_; ++i) {
    if (counts_[i] == 0) continue;
    const double deviation = static_cast<double>(MedianEquivalentValue(ValueFromIndex(i))) - mean;
    deviation_total += deviation * deviation * static_cast<double>(counts_[i]);
  }
  return std::sqrt(deviation_total / static_cast<double>(total_count_));
}

std::int64_t HdrHistogram::CountAtValue(std::int64_t value) const {
  value = std::clamp<std::int64_t>(value, 0, kHighestTrackableValue);
  return counts_[CountsIndexFor(value)];
}

// ---- encoding ---------------------------------------------------------------

std::string HdrHistogram::Encode() const {
  std::string payload;
  PutVarint(static_cast<std::uint64_t>(significant_digits_), &payload);
  PutVarint(static_cast<std::uint64_t>(total_count_), &payload);
  PutVarint(static_cast<std::uint64_t>(clamped_count_), &payload);
  std::int64_t zero_run = 0;
  for (std::size_t i = 0; i < counts_len_; ++i) {
    if (counts_[i] == 0) {
      ++zero_run;
      continue;
    }
    if (zero_run > 0) {
      PutVarint(ZigZag(-zero_run), &payload);
      zero_run = 0;
    }
    PutVarint(ZigZag(counts_[i]), &payload);
  }
  return std::string(kEncodingPrefix) + Base64Encode(payload);
}

StatusOr<HdrHistogram> HdrHistogram::Decode(std::string_view encoded) {
  if (encoded.substr(0, kEncodingPrefix.size()) != kEncodingPrefix) {
    return DecodeError("expected the 'hdr1:' prefix");
  }
  encoded.remove_prefix(kEncodingPrefix.size());
  if (encoded.size() > kMaxEncodedBytes) {
    return DecodeError("encoded form longer than " + std::to_string(kMaxEncodedBytes) + " bytes");
  }
  std::string payload;
  if (Status s = Base64Decode(encoded, &payload); !s.ok()) return s;

  PayloadReader reader(payload);
  std::uint64_t digits = 0;
  std::uint64_t total = 0;
  std::uint64_t clamped = 0;
  if (Status s = reader.ReadVarint(&digits); !s.ok()) return s;
  if (digits < static_cast<std::uint64_t>(kMinSignificantDigits) ||
      digits > static_cast<std::uint64_t>(kMaxSignificantDigits)) {
    return DecodeError("significant digits must be 1..5, got " + std::to_string(digits));
  }
  if (Status s = reader.ReadVarint(&total); !s.ok()) return s;
  if (total > static_cast<std::uint64_t>(kInt64Max)) return DecodeError("total count too large");
  if (Status s = reader.ReadVarint(&clamped); !s.ok()) return s;
  if (clamped > total) return DecodeError("clamped count exceeds total count");

  // Two passes over the runs: validate everything first, so rejected input
  // never allocates the counts array (up to ~16 MiB); then fill it.
  HdrHistogram histogram(static_cast<int>(digits), /*allocate=*/false);
  const PayloadReader counts_start = reader;
  std::int64_t sum = 0;
  for (const bool fill : {false, true}) {
    if (fill) histogram.counts_.assign(histogram.counts_len_, 0);
    reader = counts_start;
    std::size_t index = 0;
    sum = 0;
    while (!reader.AtEnd()) {
      std::uint64_t raw = 0;
      if (Status s = reader.ReadVarint(&raw); !s.ok()) return s;
      const std::int64_t item = UnZigZag(raw);
      const std::size_t remaining = histogram.counts_len_ - index;
      if (item < 0) {
        // -item without overflow for INT64_MIN.
        const std::uint64_t run = static_cast<std::uint64_t>(-(item + 1)) + 1;
        if (run > remaining) return DecodeError("zero run past the trackable range");
        index += static_cast<std::size_t>(run);
        continue;
      }
      if (remaining == 0) return DecodeError("count past the trackable range");
      if (__builtin_add_overflow(sum, item, &sum)) return DecodeError("counts overflow");
      if (fill) histogram.counts_[index] = item;
      ++index;
    }
    if (static_cast<std::uint64_t>(sum) != total) {
      return DecodeError("counts sum to " + std::to_string(sum) + " but total count is " +
                         std::to_string(total) + " (truncated?)");
    }
  }
  histogram.total_count_ = sum;
  histogram.clamped_count_ = static_cast<std::int64_t>(clamped);
  histogram.RecomputeMinMax();
  return histogram;
}

// ---- .hgrm output -----------------------------------------------------------

void HdrHistogram::WriteHgrm(std::ostream& out, double unit_divisor) const {
  if (!(unit_divisor > 0.0)) unit_divisor = 1.0;
  const int digits = significant_digits_;
  char line[256];
  std::snprintf(line, sizeof(line), "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                "1/(1-Percentile)");
  out << line;

  // HdrHistogram's PercentileIterator with 5 ticks per half distance.
  constexpr std::int64_t kTicksPerHalfDistance = 5;
  if (total_count_ > 0) {
    const double total = static_cast<double>(total_count_);
    double level = 0.0;
    bool reached_last = false;
    std::size_t index = 0;
    std::int64_t running = 0;
    bool fresh = true;
    while (true) {
      if (running >= total_count_) {
        if (reached_last) break;
        level = 100.0;
        reached_last = true;
      }
      bool emitted = false;
      while (index < counts_len_) {
        const std::int64_t count = counts_[index];
        if (fresh) {
          running += count;
          fresh = false;
        }
        if (count != 0 && 100.0 * static_cast<double>(running) / total >= level) {
          const double value =
              static_cast<double>(HighestEquivalentValue(ValueFromIndex(index))) / unit_divisor;
          if (level != 100.0) {
            std::snprintf(line, sizeof(line), "%12.*f %2.12f %10lld %14.2f\n", digits, value,
                          level / 100.0, static_cast<long long>(running),
                          1.0 / (1.0 - level / 100.0));
          } else {
            std::snprintf(line, sizeof(line), "%12.*f %2.12f %10lld\n", digits, value,
                          level / 100.0, static_cast<long long>(running));
          }
          out << line;
          emitted = true;
          if (!reached_last) {
            const auto halvings =
                static_cast<std::int64_t>(std::log(100.0 / (100.0 - level)) / std::log(2.0)) + 1;
            const std::int64_t ticks =
                kTicksPerHalfDistance * (std::int64_t{1} << std::min<std::int64_t>(halvings, 52));
            const double next_level = level + 100.0 / static_cast<double>(ticks);
            // Guarantees progress once the increment drops below one ulp.
            level = next_level > level ? next_level : std::nextafter(level, 200.0);
          }
          break;
        }
        ++index;
        fresh = true;
      }
      if (!emitted) break;
    }
  }

  std::snprintf(line, sizeof(line), "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", digits,
                Mean() / unit_divisor, digits, StdDev() / unit_divisor);
  out << line;
  std::snprintf(line, sizeof(line), "#[Max     = %12.*f, Total count    = %12lld]\n", digits,
                static_cast<double>(Max()) / unit_divisor, static_cast<long long>(total_count_));
  out << line;
  std::snprintf(line, sizeof(line), "#[Buckets = %12d, SubBuckets     = %12d]\n", bucket_count_,
                static_cast<int>(sub_bucket_count_));
  out << line;
}

}  // namespace sessionrig::loadgen
