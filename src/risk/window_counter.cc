#include "risk/window_counter.h"

#include "core/assert.h"
#include "core/money.h"

namespace netfin::risk {

namespace {

// The 30d window needs days t's day - 29 .. t's day, the 24h window hours
// t's hour - 23 .. t's hour: the bucket counts are just enough.
static_assert(WindowCounter::kDayBuckets * kDayNs == kWindowNs[3]);
static_assert(WindowCounter::kHourBuckets * kHourNs == kWindowNs[2]);

constexpr size_t k1m = static_cast<size_t>(Window::k1m);
constexpr size_t k24h = static_cast<size_t>(Window::k24h);
constexpr size_t k30d = static_cast<size_t>(Window::k30d);

// The windows are nested (1m inside 1h inside 24h inside 30d), so Totals
// collects, per window, the part that is in it but in no shorter window
// (AddToPart), then adds these parts up (AddNested).
void AddToPart(size_t window, uint64_t count, uint64_t amount_minor, WindowTotals* parts) {
  parts->count[window] += count;
  parts->sum_minor[window] = SaturatingAdd(parts->sum_minor[window], amount_minor);
}

// Adds parts of windows first .. last to totals, each part to its window and
// every longer one up to last.
void AddNested(const WindowTotals& parts, size_t first, size_t last, WindowTotals* totals) {
  uint64_t count = 0;
  uint64_t sum_minor = 0;
  for (size_t w = first; w <= last; ++w) {
    count += parts.count[w];
    sum_minor = SaturatingAdd(sum_minor, parts.sum_minor[w]);
    AddToPart(w, count, sum_minor, totals);
  }
}

}  // namespace

void WindowCounter::Add(uint64_t ts_ns, uint64_t amount_minor) {
  NETFIN_ASSERT(amount_minor <= core::kAmountMax);
  NETFIN_ASSERT(empty() || ts_ns >= newest_ns());
  if (size_ == kRingEventsMax) {
    // The ring is full: its oldest event moves to the buckets.
    const Entry& oldest = ring_[next_];
    const uint64_t hour = oldest.ts_ns / kHourNs;
    const uint64_t day = oldest.ts_ns / kDayNs;
    AddToBucket(&hours_[hour % kHourBuckets], static_cast<uint32_t>(hour), oldest.amount_minor);
    AddToBucket(&days_[day % kDayBuckets], static_cast<uint32_t>(day), oldest.amount_minor);
    overflowed_ = 1;
    overflow_newest_ns_ = oldest.ts_ns;
  } else {
    ++size_;
  }
  ring_[next_] = Entry{ts_ns, amount_minor};
  next_ = (next_ + 1) % kRingEventsMax;
  NETFIN_ASSERT(size_ <= kRingEventsMax);
}

void WindowCounter::AddToBucket(Bucket* bucket, uint32_t index, uint64_t amount_minor) {
  // Pushed-out events arrive in time order, so a slot holding another index
  // holds an older hour (day) that no window needs any more.
  if (bucket->count == 0 || bucket->index != index) *bucket = Bucket{index, 0, 0};
  if (bucket->count != UINT32_MAX) ++bucket->count;
  bucket->sum_minor = SaturatingAdd(bucket->sum_minor, amount_minor);
}

WindowTotals WindowCounter::Totals(uint64_t now_ns) const {
  NETFIN_ASSERT(empty() || now_ns >= newest_ns());
  WindowTotals ring_parts;
  // Newest first; w is the shortest window the entry is in, and only grows.
  size_t w = 0;
  for (uint32_t i = 0, slot = NewestSlot(); i < size_; ++i) {
    const Entry& e = ring_[slot];
    while (w < kWindowCount && e.ts_ns + kWindowNs[w] <= now_ns) ++w;  // W old: outside
    if (w == kWindowCount) break;  // and so is every older entry
    AddToPart(w, 1, e.amount_minor, &ring_parts);
    slot = slot == 0 ? kRingEventsMax - 1 : slot - 1;
  }
  WindowTotals totals;
  AddNested(ring_parts, k1m, k30d, &totals);
  // Pushed-out events are in both an hour and a day bucket: the hours serve
  // 1m, 1h and 24h, the days 30d. A bucket starts no later than its events,
  // so buckets matter only while the newest pushed-out event is inside the
  // windows they serve.
  if (overflowed_ != 0 && overflow_newest_ns_ + kDayNs > now_ns) {
    WindowTotals hour_parts;
    AddBuckets(hours_.data(), kHourBuckets, kHourNs, now_ns, k1m, k24h, &hour_parts);
    AddNested(hour_parts, k1m, k24h, &totals);
  }
  if (overflowed_ != 0 && overflow_newest_ns_ + kWindowNs[k30d] > now_ns) {
    WindowTotals day_parts;
    AddBuckets(days_.data(), kDayBuckets, kDayNs, now_ns, k30d, k30d, &day_parts);
    AddNested(day_parts, k30d, k30d, &totals);
  }
  return totals;
}

void WindowCounter::AddBuckets(const Bucket* buckets, uint32_t bucket_count, uint64_t bucket_ns,
                               uint64_t now_ns, size_t first_window, size_t last_window,
                               WindowTotals* parts) {
  const uint64_t now_index = now_ns / bucket_ns;
  size_t w = first_window;
  // Newest bucket first, as in the ring: w only grows.
  for (uint64_t age = 0; age < bucket_count && age <= now_index; ++age) {
    const uint64_t index = now_index - age;
    const Bucket& bucket = buckets[index % bucket_count];
    if (bucket.count == 0 || bucket.index != static_cast<uint32_t>(index)) continue;
    // Every event of the bucket is at or after its start; the bucket
    // counts in a window only when that start is inside it.
    const uint64_t start_ns = index * bucket_ns;
    while (w <= last_window && start_ns + kWindowNs[w] <= now_ns) ++w;
    if (w > last_window) break;
    AddToPart(w, bucket.count, bucket.sum_minor, parts);
  }
}

uint64_t WindowCounter::newest_ns() const {
  NETFIN_ASSERT(!empty());
  return ring_[NewestSlot()].ts_ns;
}

bool WindowCounter::IsValid() const {
  if (size_ > kRingEventsMax || next_ >= kRingEventsMax || overflowed_ > 1) return false;
  if (size_ < kRingEventsMax && (next_ != size_ || overflowed_ != 0)) return false;
  uint64_t previous_ns = 0;
  for (uint32_t i = 0; i < size_; ++i) {
    const Entry& e = ring_[(OldestSlot() + i) % kRingEventsMax];
    if (e.ts_ns < previous_ns || e.amount_minor > core::kAmountMax) return false;
    previous_ns = e.ts_ns;
  }
  return true;
}

}  // namespace netfin::risk
