#include "core/money.h"

#include <gtest/gtest.h>

namespace netfin::core {
namespace {

TEST(Money, AdditionRefusesOverflowAndNeverWraps) {
  AmountMinor sum = 7;
  EXPECT_TRUE(TryAddAmount(kAmountMax - 1, 1, &sum));
  EXPECT_EQ(sum, kAmountMax);
  sum = 7;
  EXPECT_FALSE(TryAddAmount(kAmountMax, 1, &sum));
  EXPECT_EQ(sum, 7u);  // untouched on failure
  EXPECT_FALSE(TryAddAmount(UINT64_MAX, 1, &sum));  // past u64 too
  EXPECT_TRUE(TryAddAmount(0, 0, &sum));
  EXPECT_EQ(sum, 0u);
}

TEST(Money, SubtractionRefusesNegative) {
  AmountMinor d = 9;
  EXPECT_TRUE(TrySubtractAmount(5, 5, &d));
  EXPECT_EQ(d, 0u);
  d = 9;
  EXPECT_FALSE(TrySubtractAmount(5, 6, &d));
  EXPECT_EQ(d, 9u);
}

struct RoundCase {
  uint64_t numerator, denominator, expected;
};

TEST(Money, DivideRoundsHalfToEven) {
  const RoundCase cases[] = {
      {5, 2, 2},   {7, 2, 4},   {1, 2, 0},  {3, 2, 2},  {25, 10, 2}, {35, 10, 4},
      {26, 10, 3}, {24, 10, 2}, {0, 7, 0},  {14, 7, 2}, {UINT64_MAX, 1, UINT64_MAX},
      {UINT64_MAX, UINT64_MAX, 1}, {UINT64_MAX - 1, UINT64_MAX, 1}, {1, UINT64_MAX, 0},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DivideRoundHalfEven(c.numerator, c.denominator), c.expected)
        << c.numerator << "/" << c.denominator;
  }
}

TEST(Money, RateMultiplicationRoundsOnceAndChecksOverflow) {
  AmountMinor fee = 0;
  ASSERT_TRUE(MultiplyRateRoundHalfEven(1234, 60, 10000, &fee));  // 7.404
  EXPECT_EQ(fee, 7u);
  ASSERT_TRUE(MultiplyRateRoundHalfEven(1250, 60, 10000, &fee));  // 7.5 -> 8
  EXPECT_EQ(fee, 8u);
  ASSERT_TRUE(MultiplyRateRoundHalfEven(1083, 60, 10000, &fee));  // 6.498 -> 6
  EXPECT_EQ(fee, 6u);
  ASSERT_TRUE(MultiplyRateRoundHalfEven(kAmountMax, 10000, 10000, &fee));  // no 64-bit overflow
  EXPECT_EQ(fee, kAmountMax);
  EXPECT_FALSE(MultiplyRateRoundHalfEven(kAmountMax, 10001, 10000, &fee));
}

TEST(FormatMinorUnitsTest, ExactDecimalText) {
  EXPECT_EQ(FormatMinorUnits(123456), "1234.56");
  EXPECT_EQ(FormatMinorUnits(5), "0.05");
  EXPECT_EQ(FormatMinorUnits(50), "0.50");
  EXPECT_EQ(FormatMinorUnits(0), "0.00");
  EXPECT_EQ(FormatMinorUnits(7, 0), "7");
  EXPECT_EQ(FormatMinorUnits(12345, 4), "1.2345");
  EXPECT_EQ(FormatMinorUnits(kAmountMax), "92233720368547758.07");
}

}  // namespace
}  // namespace netfin::core
