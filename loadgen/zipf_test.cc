#include "loadgen/zipf.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace sessionrig::loadgen {
namespace {

TEST(ZipfTest, RngIsDeterministicAndUniform) {
  Rng a(42);
  Rng b(42);
  Rng c(43);
  EXPECT_EQ(a.Next(), b.Next());
  EXPECT_NE(a.Next(), c.Next());
  Rng r(7);
  std::vector<int> buckets(10);
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) {
    const double u = r.NextDouble();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ++buckets[static_cast<std::size_t>(u * 10)];
  }
  for (int count : buckets) EXPECT_NEAR(count, kDraws / 10.0, kDraws / 100.0);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.Below(7), 7u);
}

TEST(ZipfTest, ThetaZeroIsUniform) {
  ZipfSampler z(50, 0.0);
  for (std::size_t i = 0; i < 50; ++i) EXPECT_NEAR(z.Probability(i), 0.02, 1e-12);
}

TEST(ZipfTest, ProbabilitiesFollowThePowerLaw) {
  ZipfSampler z(1000, 1.2);
  double sum = 0;
  for (std::size_t i = 0; i < 1000; ++i) sum += z.Probability(i);
  EXPECT_NEAR(sum, 1.0, 1e-9);
  // p(r) / p(0) = 1 / (r+1)^theta.
  EXPECT_NEAR(z.Probability(9) / z.Probability(0), 1.0 / std::pow(10.0, 1.2), 1e-9);
  EXPECT_EQ(z.Probability(1000), 0.0);
}

TEST(ZipfTest, SamplesMatchTheDistribution) {
  for (double theta : {0.0, 0.99, 1.2}) {
    ZipfSampler z(100, theta);
    Rng rng(1);
    std::vector<int> counts(100);
    constexpr int kDraws = 200000;
    for (int i = 0; i < kDraws; ++i) {
      const std::size_t s = z.Sample(rng);
      ASSERT_LT(s, 100u);
      ++counts[s];
    }
    for (std::size_t r : {0u, 1u, 9u, 50u, 99u}) {
      const double expected = z.Probability(r) * kDraws;
      // Within 5 binomial standard deviations.
      EXPECT_NEAR(counts[r], expected, 5 * std::sqrt(expected) + 1)
          << "theta " << theta << " rank " << r;
    }
  }
}

TEST(ZipfTest, HotSessionsGetMostWritesAtHighTheta) {
  ZipfSampler z(1000, 1.2);
  double top10 = 0;
  for (std::size_t i = 0; i < 10; ++i) top10 += z.Probability(i);
  EXPECT_GT(top10, 0.55);  // H(10,1.2) / H(1000,1.2) = 0.569
  ZipfSampler single(1, 1.2);
  Rng rng(3);
  EXPECT_EQ(single.Sample(rng), 0u);
}

}  // namespace
}  // namespace sessionrig::loadgen
