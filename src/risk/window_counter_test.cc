#include "risk/window_counter.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/money.h"
#include "risk/test_events.h"

namespace netfin::risk {
namespace {

using testing::kT0;

constexpr size_t k1m = static_cast<size_t>(Window::k1m);
constexpr size_t k1h = static_cast<size_t>(Window::k1h);
constexpr size_t k24h = static_cast<size_t>(Window::k24h);
constexpr size_t k30d = static_cast<size_t>(Window::k30d);

TEST(WindowCounterTest, EmptyCountsNothing) {
  const WindowCounter counter;
  EXPECT_TRUE(counter.empty());
  const WindowTotals totals = counter.Totals(kT0);
  for (size_t w = 0; w < kWindowCount; ++w) {
    EXPECT_EQ(totals.count[w], 0u);
    EXPECT_EQ(totals.sum_minor[w], 0u);
  }
}

// The window at t is (t - W, t]: an event at t is in; an event exactly W
// old is out; one nanosecond younger is in.
TEST(WindowCounterTest, EdgesAreHalfOpen) {
  for (size_t w = 0; w < kWindowCount; ++w) {
    SCOPED_TRACE(w);
    WindowCounter counter;
    counter.Add(kT0, 250);
    EXPECT_EQ(counter.Totals(kT0).count[w], 1u);
    EXPECT_EQ(counter.Totals(kT0).sum_minor[w], 250u);
    EXPECT_EQ(counter.Totals(kT0 + kWindowNs[w] - 1).count[w], 1u);
    EXPECT_EQ(counter.Totals(kT0 + kWindowNs[w] - 1).sum_minor[w], 250u);
    EXPECT_EQ(counter.Totals(kT0 + kWindowNs[w]).count[w], 0u);
    EXPECT_EQ(counter.Totals(kT0 + kWindowNs[w]).sum_minor[w], 0u);
  }
}

TEST(WindowCounterTest, EachWindowSeesItsOwnSpan) {
  WindowCounter counter;
  counter.Add(kT0, 1);                                    // 30 days - 1 ns before the end
  counter.Add(kT0 + 10 * kDayNs, 10);                     // 20 days before
  counter.Add(kT0 + 29 * kDayNs + kHourNs, 100);          // 23 hours before
  counter.Add(kT0 + 30 * kDayNs - 30 * kMinuteNs, 1000);  // 30 minutes before
  counter.Add(kT0 + 30 * kDayNs - 2 * kSecondNs, 10000);  // 1 s before
  counter.Add(kT0 + 30 * kDayNs - 1, 100000);             // 0 s before
  const WindowTotals t = counter.Totals(kT0 + 30 * kDayNs - 1);
  EXPECT_EQ(t.count[k1m], 2u);
  EXPECT_EQ(t.sum_minor[k1m], 110000u);
  EXPECT_EQ(t.count[k1h], 3u);
  EXPECT_EQ(t.sum_minor[k1h], 111000u);
  EXPECT_EQ(t.count[k24h], 4u);
  EXPECT_EQ(t.sum_minor[k24h], 111100u);
  EXPECT_EQ(t.count[k30d], 6u);
  EXPECT_EQ(t.sum_minor[k30d], 111111u);
  // One nanosecond later the first event is exactly 30 days old.
  EXPECT_EQ(counter.Totals(kT0 + 30 * kDayNs).count[k30d], 5u);
}

TEST(WindowCounterTest, EventsAtTheSameInstantAllCount) {
  WindowCounter counter;
  for (int i = 0; i < 5; ++i) counter.Add(kT0, 7);
  EXPECT_EQ(counter.Totals(kT0).count[k1m], 5u);
  EXPECT_EQ(counter.Totals(kT0).sum_minor[k1m], 35u);
}

TEST(WindowCounterTest, ExactUpToTheRingThenBucketsCarryTheLongWindows) {
  // 32 events exactly fill the ring: all windows exact.
  WindowCounter counter;
  const uint64_t start = kT0 + 10 * kMinuteNs;
  for (uint32_t i = 0; i < WindowCounter::kRingEventsMax; ++i) {
    counter.Add(start + i * kSecondNs, 1);
  }
  const uint64_t now = start + 59 * kSecondNs;
  EXPECT_EQ(counter.Totals(now).count[k1m], 32u);
  // 8 more in the same minute push the 8 oldest into the bucket of the hour
  // that started at kT0: inside the 1h and 24h windows, not the 1m window.
  for (uint32_t i = 32; i < 40; ++i) counter.Add(start + i * kSecondNs, 1);
  const WindowTotals t = counter.Totals(now);
  EXPECT_EQ(t.count[k1m], 32u);  // a lower bound: the newest 32 of 40
  EXPECT_EQ(t.count[k1h], 40u);
  EXPECT_EQ(t.count[k24h], 40u);
  EXPECT_EQ(t.count[k30d], 40u);
  EXPECT_EQ(t.sum_minor[k30d], 40u);
}

TEST(WindowCounterTest, AnHourBucketThatStartedWithinTheMinuteCountsInIt) {
  WindowCounter counter;
  for (uint32_t i = 0; i < 40; ++i) counter.Add(kT0 + i * kSecondNs, 1);
  // The hour began 39 s ago, so its bucket lies inside the 1m window.
  EXPECT_EQ(counter.Totals(kT0 + 39 * kSecondNs).count[k1m], 40u);
  // At kT0 + 60 s the window (kT0, kT0 + 60 s] starts at the hour's start:
  // the bucket is out, the ring's 32 events (kT0 + 8 s .. 39 s) are in.
  EXPECT_EQ(counter.Totals(kT0 + 60 * kSecondNs).count[k1m], 32u);
  // At kT0 + 80 s only the ring's events after kT0 + 20 s are left.
  EXPECT_EQ(counter.Totals(kT0 + 80 * kSecondNs).count[k1m], 19u);
}

TEST(WindowCounterTest, AStraddlingBucketIsLeftOut) {
  // 40 events at 10:30 .. 10:30 + 39 s; the 8 oldest are pushed to the
  // 10:00 bucket. At 11:15 the 1h window starts at 10:15: the 10:00 bucket
  // straddles it and is left out, so 1h reads 32 (the true count is 40).
  WindowCounter counter;
  const uint64_t start = kT0 + 30 * kMinuteNs;
  for (uint32_t i = 0; i < 40; ++i) counter.Add(start + i * kSecondNs, 1);
  const WindowTotals t = counter.Totals(kT0 + 75 * kMinuteNs);
  EXPECT_EQ(t.count[k1h], 32u);
  EXPECT_EQ(t.count[k24h], 40u);  // the 10:00 bucket starts inside the day
}

TEST(WindowCounterTest, SumsSaturate) {
  WindowCounter counter;
  for (int i = 0; i < 40; ++i) counter.Add(kT0, core::kAmountMax);
  const WindowTotals t = counter.Totals(kT0);
  EXPECT_EQ(t.sum_minor[k1m], UINT64_MAX);
  EXPECT_EQ(t.sum_minor[k30d], UINT64_MAX);
  EXPECT_EQ(t.count[k30d], 40u);
}

// The documented rule, computed from every event: the newest 32 events
// count by their own timestamps; the older ones count when their bucket (hour
// for 1m/1h/24h, day for 30d) starts inside the window.
WindowTotals Reference(const std::vector<std::pair<uint64_t, uint64_t>>& events, uint64_t now) {
  WindowTotals t;
  const size_t ring_start = events.size() > WindowCounter::kRingEventsMax
                                ? events.size() - WindowCounter::kRingEventsMax
                                : 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto [ts, amount] = events[i];
    for (size_t w = 0; w < kWindowCount; ++w) {
      uint64_t at = ts;
      if (i < ring_start) {
        const uint64_t bucket_ns = w == k30d ? kDayNs : kHourNs;
        at = ts / bucket_ns * bucket_ns;
      }
      if (at + kWindowNs[w] > now) {
        ++t.count[w];
        t.sum_minor[w] += amount;
      }
    }
  }
  return t;
}

TEST(WindowCounterTest, MatchesTheReferenceOnRandomWorkloads) {
  std::mt19937_64 rng(20261125);
  for (int round = 0; round < 40; ++round) {
    WindowCounter counter;
    std::vector<std::pair<uint64_t, uint64_t>> events;
    uint64_t now = kT0 + rng() % kDayNs;
    // Gaps from bursts (ns) to days, so every window and bucket is exercised.
    const uint64_t gaps[] = {0,       kSecondNs,   7 * kSecondNs, kMinuteNs, 17 * kMinuteNs,
                             kHourNs, 5 * kHourNs, kDayNs,        3 * kDayNs};
    for (int i = 0; i < 300; ++i) {
      now += rng() % (gaps[rng() % std::size(gaps)] + 1);
      const uint64_t amount = rng() % 100'000;
      counter.Add(now, amount);
      events.emplace_back(now, amount);
      const uint64_t query = now + rng() % (2 * kHourNs);
      const WindowTotals got = counter.Totals(query);
      const WindowTotals want = Reference(events, query);
      for (size_t w = 0; w < kWindowCount; ++w) {
        ASSERT_EQ(got.count[w], want.count[w]) << "round " << round << " event " << i << " w " << w;
        ASSERT_EQ(got.sum_minor[w], want.sum_minor[w]);
      }
    }
    EXPECT_TRUE(counter.IsValid());
  }
}

TEST(WindowCounterTest, NeverOverCountsAndIsExactUpToTheRing) {
  std::mt19937_64 rng(7);
  WindowCounter counter;
  std::vector<uint64_t> times;
  uint64_t now = kT0;
  for (int i = 0; i < 2000; ++i) {
    now += rng() % (3 * kMinuteNs);
    counter.Add(now, 1);
    times.push_back(now);
    const WindowTotals got = counter.Totals(now);
    for (size_t w = 0; w < kWindowCount; ++w) {
      uint64_t exact = 0;
      for (uint64_t ts : times) exact += ts + kWindowNs[w] > now ? 1 : 0;
      ASSERT_LE(got.count[w], exact);
      if (exact <= WindowCounter::kRingEventsMax) {
        ASSERT_EQ(got.count[w], exact);
      }
    }
  }
}

TEST(WindowCounterTest, IsValid) {
  WindowCounter counter;
  EXPECT_TRUE(counter.IsValid());
  for (int i = 0; i < 100; ++i) counter.Add(kT0 + i, 1);
  EXPECT_TRUE(counter.IsValid());
  EXPECT_EQ(counter.newest_ns(), kT0 + 99);
}

}  // namespace
}  // namespace netfin::risk
