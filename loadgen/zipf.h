// loadgen/zipf.h: the random choices of a worker: a small fast PRNG and a
// Zipf(theta) sampler over n items, so session popularity is a dial
// (theta 0: uniform; 0.99: YCSB's skew; 1.2: a few very hot sessions).
//
// Item of rank r (0-based) has probability proportional to 1 / (r+1)^theta.
// The sampler precomputes the cumulative distribution once (O(n) memory)
// and samples by binary search: O(log n), no allocation, exact for every
// theta >= 0 (unlike YCSB's closed form, which needs theta < 1).
//
// Thread-safety: Rng is thread-compatible (one per worker); ZipfSampler is
// immutable after construction and may be shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sessionrig::loadgen {

// xoshiro256** seeded through splitmix64 (Blackman and Vigna).
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t Next();
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); n > 0.
  std::uint64_t Below(std::uint64_t n) {
    return static_cast<std::uint64_t>(NextDouble() * static_cast<double>(n)) % n;
  }

 private:
  std::uint64_t s_[4];
};

class ZipfSampler {
 public:
  // REQUIRES: n >= 1, theta >= 0 and finite.
  ZipfSampler(std::size_t n, double theta);
  // A rank in [0, n).
  std::size_t Sample(Rng& rng) const;
  // Probability of rank `r`.
  double Probability(std::size_t r) const;
  std::size_t size() const { return cdf_.size(); }

 private:
  // Constant after construction: cdf_[r] = P(rank <= r); cdf_.back() == 1.
  std::vector<double> cdf_;
};

}  // namespace sessionrig::loadgen
