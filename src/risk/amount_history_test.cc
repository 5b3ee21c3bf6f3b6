#include "risk/amount_history.h"

#include <gtest/gtest.h>

#include <cmath>

namespace netfin::risk {
namespace {

TEST(AmountHistoryTest, OddAndEvenMedians) {
  AmountHistory h;
  EXPECT_EQ(h.count(), 0u);
  h.Add(300);
  EXPECT_EQ(h.Stats().median, 300);
  h.Add(100);
  EXPECT_EQ(h.Stats().median, 200);  // (100 + 300) / 2
  h.Add(200);
  const AmountStats s = h.Stats();
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.median, 200);
  EXPECT_DOUBLE_EQ(s.mean, 200);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(20000.0 / 3));
  h.Add(1000);
  EXPECT_EQ(h.Stats().median, 250);  // (200 + 300) / 2
}

TEST(AmountHistoryTest, KeepsTheLast32) {
  AmountHistory h;
  for (uint64_t i = 0; i < AmountHistory::kAmountsMax; ++i) h.Add(1);
  EXPECT_EQ(h.Stats().median, 1);
  for (uint64_t i = 0; i < AmountHistory::kAmountsMax; ++i) h.Add(5);
  const AmountStats s = h.Stats();
  EXPECT_EQ(s.count, AmountHistory::kAmountsMax);
  EXPECT_EQ(s.median, 5);
  EXPECT_EQ(s.stddev, 0);
  h.Add(9);  // one 5 leaves
  EXPECT_DOUBLE_EQ(h.Stats().mean, (31 * 5 + 9) / 32.0);
  EXPECT_TRUE(h.IsValid());
}

}  // namespace
}  // namespace netfin::risk
