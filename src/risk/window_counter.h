#pragma once

// WindowCounter: the count and the amount sum of one entity's events over
// the four sliding windows (1 minute, 1 hour, 24 hours, 30 days), in a fixed
// 1,392 bytes.
//
// How: the newest kRingEventsMax events are kept exactly (timestamp, amount)
// in a ring. An event pushed out of the ring is added to two sets of
// coarse buckets: its hour (kHourBuckets of them) and its day (kDayBuckets).
// A window (t - W, t] sums the ring's events with timestamps in it, plus
// every bucket that starts inside it (start > t - W: all the bucket's events
// are then inside); the 1m, 1h and 24h windows read the hour buckets, the
// 30d window the day buckets.
//
// So every figure is exact while the entity has at most kRingEventsMax
// events in the window. Beyond that it is a lower bound: it misses the
// pushed-out events of the one bucket that straddles the window's start
// (for the 1m window that is most of the pushed-out events of the current
// hour). It never counts an event twice or counts one outside the window.
//
// Thread-compatible. Time only moves forward: Add needs timestamps in
// non-decreasing order and Totals a time no earlier than the newest event
// (FeatureEngine clamps both).

#include <array>
#include <cstddef>
#include <cstdint>

#include "risk/features.h"

namespace netfin::risk {

struct WindowTotals {
  std::array<uint64_t, kWindowCount> count{};
  std::array<uint64_t, kWindowCount> sum_minor{};  // saturates at UINT64_MAX
};

// a + b, or UINT64_MAX when that overflows.
inline uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  uint64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

class WindowCounter {
 public:
  // Exact events per entity. 32 covers a normal customer's day; busier
  // entities (merchants, shared IPs) fall back to the buckets.
  static constexpr uint32_t kRingEventsMax = 32;
  // 24 hour buckets: the 24h window (t - 24h, t] only ever includes the
  // hours t's hour - 23 .. t's hour.
  static constexpr uint32_t kHourBuckets = 24;
  static constexpr uint32_t kDayBuckets = 30;

  // REQUIRES: ts_ns >= newest_ns() when not empty(); amount_minor <= kAmountMax.
  void Add(uint64_t ts_ns, uint64_t amount_minor);
  // REQUIRES: now_ns >= newest_ns() when not empty().
  WindowTotals Totals(uint64_t now_ns) const;

  // A hint: starts loading the header and the ring (what Add and Totals
  // read first) into the cache.
  void Prefetch() const {
    const char* p = reinterpret_cast<const char*>(this);
    for (size_t off = 0; off < offsetof(WindowCounter, hours_); off += 64) {
      __builtin_prefetch(p + off);
    }
  }

  bool empty() const { return size_ == 0; }
  // REQUIRES: !empty().
  uint64_t newest_ns() const;
  // Whether the fields hold together (for snapshots read from outside).
  bool IsValid() const;

 private:
  struct Entry {
    uint64_t ts_ns;
    uint64_t amount_minor;
  };
  // One hour or one day of pushed-out events. index is the hour (day)
  // number since the epoch modulo 2^32; count == 0 means empty.
  struct Bucket {
    uint32_t index;
    uint32_t count;  // saturates at UINT32_MAX
    uint64_t sum_minor;
  };

  uint32_t OldestSlot() const { return (next_ + kRingEventsMax - size_) % kRingEventsMax; }
  uint32_t NewestSlot() const { return (next_ + kRingEventsMax - 1) % kRingEventsMax; }
  static void AddToBucket(Bucket* bucket, uint32_t index, uint64_t amount_minor);
  // Adds to parts the buckets (newest first) that start inside windows
  // first_window .. last_window, each to the shortest such window.
  static void AddBuckets(const Bucket* buckets, uint32_t bucket_count, uint64_t bucket_ns,
                         uint64_t now_ns, size_t first_window, size_t last_window,
                         WindowTotals* parts);

  // The header first: Totals reads it before deciding which buckets it
  // needs, and an entity that never overflowed never touches them.
  uint16_t next_ = 0;                // the ring slot the next event goes to
  uint16_t size_ = 0;                // events in the ring
  uint32_t overflowed_ = 0;          // 1 once an event has moved to the buckets
  uint64_t overflow_newest_ns_ = 0;  // the newest event moved to the buckets
  std::array<Entry, kRingEventsMax> ring_{};
  std::array<Bucket, kHourBuckets> hours_{};
  std::array<Bucket, kDayBuckets> days_{};
};

static_assert(sizeof(WindowCounter) == 1392);
static_assert(WindowCounter::kRingEventsMax <= UINT16_MAX);

}  // namespace netfin::risk
