#include "ml/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace netfin::ml {
namespace {

TEST(Prng, IsTheStandardMersenneTwister) {
  // The C++ standard fixes this value: the 10000th output of a
  // default-seeded (5489) mt19937_64 ([rand.predef]).
  Prng prng(5489);
  for (int i = 1; i < 10000; ++i) prng.Next();
  EXPECT_EQ(prng.Next(), 9981545732273789042ull);
}

TEST(Prng, BelowStaysInRange) {
  Prng prng(1);
  EXPECT_EQ(prng.Below(1), 0u);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 7000; ++i) ++seen[prng.Below(7)];
  for (int count : seen) EXPECT_GT(count, 800);   // about 1000 each
  const uint64_t huge = (uint64_t{1} << 63) + 1;  // rejects almost half the draws
  for (int i = 0; i < 100; ++i) EXPECT_LT(prng.Below(huge), huge);
}

TEST(Prng, ShuffleIsPinnedForASeed) {
  // A change here changes every split netfin has made: do not update the
  // expectation without saying so in the change.
  std::vector<size_t> items(10);
  std::iota(items.begin(), items.end(), size_t{0});
  Prng(42).Shuffle(items);
  EXPECT_EQ(items, (std::vector<size_t>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6}));
}

std::vector<uint8_t> Labels(size_t rows, size_t positives) {
  std::vector<uint8_t> labels(rows, 0);
  for (size_t i = 0; i < positives; ++i) labels[i * rows / positives] = 1;
  return labels;
}

size_t Positives(const std::vector<size_t>& rows, const std::vector<uint8_t>& labels) {
  return std::count_if(rows.begin(), rows.end(), [&](size_t row) { return labels[row] == 1; });
}

TEST(StratifiedSplit, KeepsThePositiveRateInBothParts) {
  const std::vector<uint8_t> labels = Labels(1000, 37);
  core::Result<SplitIndices> split = StratifiedSplit(labels, 0.2, 7);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->test.size(), 200u);  // round(963 * 0.2) + round(37 * 0.2) = 193 + 7
  EXPECT_EQ(Positives(split->test, labels), 7u);
  EXPECT_EQ(Positives(split->train, labels), 30u);
  EXPECT_TRUE(std::is_sorted(split->train.begin(), split->train.end()));
  EXPECT_TRUE(std::is_sorted(split->test.begin(), split->test.end()));
  std::vector<size_t> all = split->train;
  all.insert(all.end(), split->test.begin(), split->test.end());
  std::sort(all.begin(), all.end());
  std::vector<size_t> expected(1000);
  std::iota(expected.begin(), expected.end(), size_t{0});
  EXPECT_EQ(all, expected);  // a partition of every row
}

TEST(StratifiedSplit, SameSeedSameSplitOtherSeedOtherSplit) {
  const std::vector<uint8_t> labels = Labels(500, 50);
  core::Result<SplitIndices> a = StratifiedSplit(labels, 0.3, 11);
  core::Result<SplitIndices> b = StratifiedSplit(labels, 0.3, 11);
  core::Result<SplitIndices> c = StratifiedSplit(labels, 0.3, 12);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->test, b->test);
  EXPECT_EQ(a->train, b->train);
  EXPECT_NE(a->test, c->test);
}

TEST(StratifiedSplit, SmallClassesRoundPerClass) {
  const std::vector<uint8_t> labels = {0, 1, 0};
  core::Result<SplitIndices> split = StratifiedSplit(labels, 0.5, 3);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->test.size(), 2u);  // one of each: round(2 * 0.5) + round(1 * 0.5)
  EXPECT_EQ(Positives(split->test, labels), 1u);
}

TEST(StratifiedSplit, RefusesBadInput) {
  const std::vector<uint8_t> labels = {0, 1};
  const double bad_fractions[] = {0.0, 1.0, -0.1, 1.5, std::numeric_limits<double>::quiet_NaN()};
  for (double fraction : bad_fractions) {
    EXPECT_EQ(StratifiedSplit(labels, fraction, 1).status().code(),
              core::StatusCode::kInvalidArgument)
        << fraction;
  }
  EXPECT_EQ(StratifiedSplit({}, 0.5, 1).status().code(), core::StatusCode::kInvalidArgument);
  const std::vector<uint8_t> not_binary = {0, 2};
  EXPECT_EQ(StratifiedSplit(not_binary, 0.5, 1).status().code(),
            core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace netfin::ml
