#include "risk/recent_sets.h"

#include <gtest/gtest.h>

#include "risk/features.h"
#include "risk/test_events.h"

namespace netfin::risk {
namespace {

using testing::kT0;

TEST(RecentSetTest, ForgetsTheLeastRecentlyTouched) {
  RecentSet<3> set;
  EXPECT_FALSE(set.Contains(1));
  set.Touch(1);
  set.Touch(2);
  set.Touch(3);
  EXPECT_EQ(set.size(), 3u);
  set.Touch(1);  // 1 is now the most recent; 2 the least
  set.Touch(4);  // forgets 2
  EXPECT_TRUE(set.Contains(1));
  EXPECT_FALSE(set.Contains(2));
  EXPECT_TRUE(set.Contains(3));
  EXPECT_TRUE(set.Contains(4));
  EXPECT_EQ(set.size(), 3u);
  set.Touch(4);  // touching the most recent changes nothing
  set.Touch(5);  // forgets 3
  EXPECT_FALSE(set.Contains(3));
  EXPECT_TRUE(set.Contains(1));
  EXPECT_TRUE(set.IsValid());
}

TEST(RecentSetTest, OneSlot) {
  RecentSet<1> set;
  set.Touch(9);
  EXPECT_TRUE(set.Contains(9));
  set.Touch(8);
  EXPECT_FALSE(set.Contains(9));
  EXPECT_TRUE(set.Contains(8));
}

TEST(RecentPayersTest, CountsDistinctPayersInTheWindow) {
  RecentPayers<4> payers;
  payers.Touch(1, kT0);
  payers.Touch(2, kT0 + kMinuteNs);
  payers.Touch(1, kT0 + 2 * kMinuteNs);  // the same payer again: still 2
  EXPECT_EQ(payers.CountSince(kT0 + 2 * kMinuteNs, kHourNs), 2u);
  // Payer 2 was last seen exactly an hour before: out.
  EXPECT_EQ(payers.CountSince(kT0 + kMinuteNs + kHourNs, kHourNs), 1u);
  EXPECT_TRUE(payers.SeenSince(1, kT0 + kMinuteNs + kHourNs, kHourNs));
  EXPECT_FALSE(payers.SeenSince(2, kT0 + kMinuteNs + kHourNs, kHourNs));
  EXPECT_FALSE(payers.SeenSince(3, kT0, kHourNs));
}

TEST(RecentPayersTest, SaturatesAtCapacityKeepingTheNewest) {
  RecentPayers<4> payers;
  for (uint64_t p = 1; p <= 10; ++p) payers.Touch(p, kT0 + p * kSecondNs);
  EXPECT_EQ(payers.size(), 4u);
  EXPECT_EQ(payers.CountSince(kT0 + 10 * kSecondNs, kHourNs), 4u);  // 10 really: capped
  // The four newest are kept, so a window holding three payers is exact.
  EXPECT_EQ(payers.CountSince(kT0 + 10 * kSecondNs, 3 * kSecondNs), 3u);
  EXPECT_TRUE(payers.Contains(7));
  EXPECT_FALSE(payers.Contains(6));
}

TEST(TimeRingTest, CountsUpToCapacity) {
  TimeRing<3> ring;
  EXPECT_EQ(ring.CountSince(kT0, kHourNs), 0u);
  ring.Add(kT0);
  ring.Add(kT0 + kMinuteNs);
  EXPECT_EQ(ring.CountSince(kT0 + kHourNs - 1, kHourNs), 2u);
  EXPECT_EQ(ring.CountSince(kT0 + kHourNs, kHourNs), 1u);
  for (int i = 0; i < 5; ++i) ring.Add(kT0 + 2 * kMinuteNs);
  EXPECT_EQ(ring.CountSince(kT0 + 2 * kMinuteNs, kHourNs), 3u);
  EXPECT_TRUE(ring.IsValid());
}

}  // namespace
}  // namespace netfin::risk
