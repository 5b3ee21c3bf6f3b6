#include "risk/recent_sets.h"

#include <gtest/gtest.h>

#include <array>

#include "risk/features.h"
#include "risk/test_events.h"

namespace netfin::risk {
namespace {

using testing::kT0;

// RecentPayers answers through Scan, the one pass FeatureEngine makes over
// several windows; these read one window of it.
template <uint32_t N>
uint32_t CountSince(const RecentPayers<N>& payers, uint64_t now_ns, uint64_t window_ns) {
  std::array<uint32_t, 1> counts{};
  std::array<bool, 1> seen{};
  payers.Scan(0, now_ns, std::array<uint64_t, 1>{window_ns}, &counts, &seen);
  return counts[0];
}
template <uint32_t N>
bool SeenSince(const RecentPayers<N>& payers, uint64_t payer, uint64_t now_ns, uint64_t window_ns) {
  std::array<uint32_t, 1> counts{};
  std::array<bool, 1> seen{};
  payers.Scan(payer, now_ns, std::array<uint64_t, 1>{window_ns}, &counts, &seen);
  return seen[0];
}

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
  EXPECT_EQ(CountSince(payers, kT0 + 2 * kMinuteNs, kHourNs), 2u);
  // Payer 2 was last seen exactly an hour before: out.
  EXPECT_EQ(CountSince(payers, kT0 + kMinuteNs + kHourNs, kHourNs), 1u);
  EXPECT_TRUE(SeenSince(payers, 1, kT0 + kMinuteNs + kHourNs, kHourNs));
  EXPECT_FALSE(SeenSince(payers, 2, kT0 + kMinuteNs + kHourNs, kHourNs));
  EXPECT_FALSE(SeenSince(payers, 3, kT0, kHourNs));
}

TEST(RecentPayersTest, ScanAnswersEveryWindowInOnePass) {
  RecentPayers<4> payers;
  payers.Touch(1, kT0);
  payers.Touch(2, kT0 + 30 * kMinuteNs);
  std::array<uint32_t, 2> counts{};
  std::array<bool, 2> seen{};
  const std::array<uint64_t, 2> windows_ns = {kHourNs, kDayNs};
  payers.Scan(1, kT0 + kHourNs, windows_ns, &counts, &seen);
  EXPECT_EQ(counts, (std::array<uint32_t, 2>{1, 2}));  // payer 1 is exactly 1h old
  EXPECT_EQ(seen, (std::array<bool, 2>{false, true}));
  payers.Scan(2, kT0 + kHourNs, windows_ns, &counts, &seen);
  EXPECT_EQ(seen, (std::array<bool, 2>{true, true}));
}

TEST(RecentPayersTest, SaturatesAtCapacityKeepingTheNewest) {
  RecentPayers<4> payers;
  for (uint64_t p = 1; p <= 10; ++p) payers.Touch(p, kT0 + p * kSecondNs);
  EXPECT_EQ(payers.size(), 4u);
  EXPECT_EQ(CountSince(payers, kT0 + 10 * kSecondNs, kHourNs), 4u);  // 10 really: capped
  // The four newest are kept, so a window holding three payers is exact.
  EXPECT_EQ(CountSince(payers, kT0 + 10 * kSecondNs, 3 * kSecondNs), 3u);
  // All ten paid within the hour; only the four newest are still held.
  EXPECT_TRUE(SeenSince(payers, 7, kT0 + 10 * kSecondNs, kHourNs));
  EXPECT_FALSE(SeenSince(payers, 6, kT0 + 10 * kSecondNs, kHourNs));
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
