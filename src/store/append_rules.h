#pragma once

// What every store checks of a batch before it reaches the disk, whatever
// the backend: the rules the ledger guarantees, so a violation is a bug
// upstream and stops the process (NETFIN_ASSERT) instead of being stored.
// Private to src/store.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "core/assert.h"
#include "core/limits.h"
#include "store/store.h"

namespace netfin::store {

// Timestamps are stored in signed 64-bit integers in every backend (SQLite
// INTEGER columns order the tables by them), so that a ledger can move
// between stores: at most INT64_MAX, the year 2262 in ns.
inline constexpr uint64_t kTimestampMax = static_cast<uint64_t>(INT64_MAX);

// Role event sequences are SQLite rowids (INTEGER PRIMARY KEY), so at most
// INT64_MAX; counted from 1 without gaps, they never get near it.
inline constexpr uint64_t kEventSequenceMax = static_cast<uint64_t>(INT64_MAX);

// The ledger gives every record a unique timestamp, strictly increasing
// across batches and within each list; stores key and verify by it.
template <typename Record>
void AssertIncreasing(const std::vector<Record>& records, uint64_t after) {
  for (const Record& r : records) {
    NETFIN_ASSERT(r.timestamp > after);
    after = r.timestamp;
  }
  NETFIN_ASSERT(after <= kTimestampMax);
}

// Role events continue the store's sequence without a gap (the events
// feed's cursor and the roles' recovery rely on it) and fit what every
// backend stores.
inline void AssertEventsAppendable(const std::vector<RoleEvent>& events, uint64_t sequence_after) {
  for (const RoleEvent& e : events) {
    NETFIN_ASSERT(e.sequence == sequence_after + 1);
    NETFIN_ASSERT(e.timestamp <= kTimestampMax);
    NETFIN_ASSERT(e.payload.size() <= kRoleEventPayloadBytesMax);
    sequence_after = e.sequence;
  }
  NETFIN_ASSERT(sequence_after <= kEventSequenceMax);
}

// A batch may hold ledger records, role events or both, never nothing.
inline void AssertAppendable(const Batch& batch, const ChainHead& head) {
  NETFIN_ASSERT(!batch.Empty());
  NETFIN_ASSERT(batch.EventCount() <= core::kBatchEventsMax);
  AssertIncreasing(batch.accounts_created, head.timestamp_max);
  AssertIncreasing(batch.transfers_created, head.timestamp_max);
  AssertIncreasing(batch.expiries, head.timestamp_max);
  for (const Account& a : batch.accounts_created) {
    NETFIN_ASSERT(a.debits_pending == 0 && a.debits_posted == 0);
    NETFIN_ASSERT(a.credits_pending == 0 && a.credits_posted == 0);
  }
  AssertEventsAppendable(batch.events, head.event_sequence_max);
}

// The head after batch, whose chain checksum is given; asserts nothing, so
// that recovery and verification can use it on what they read. A batch of
// role events only has no ledger timestamp (TimestampMax() is 0): the
// largest one stays the previous batch's.
inline ChainHead HeadAfter(const ChainHead& head, const Batch& batch,
                           const core::Checksum& checksum) {
  return ChainHead{.batch_number = head.batch_number + 1,
                   .checksum = checksum,
                   .timestamp_max = std::max(head.timestamp_max, batch.TimestampMax()),
                   .event_sequence_max = batch.events.empty() ? head.event_sequence_max
                                                              : batch.events.back().sequence};
}

// Checks a batch (AssertAppendable) and returns the chain's head once it is
// appended: the next number, the checksum chained to head's, the largest
// timestamp and the last event sequence.
inline ChainHead NextHead(const ChainHead& head, const Batch& batch) {
  AssertAppendable(batch, head);
  return HeadAfter(head, batch, ChainChecksum(head.checksum, head.batch_number + 1, batch));
}

// What every store remembers of its appends: the first failure, after which
// it refuses every later append (its caller's memory no longer matches the
// disk), and the counters of Stats().
class AppendRecord {
 public:
  // Ok while no append has failed. REQUIRES: the writer's lock.
  Status Refusal() const {
    if (failed_.ok()) return Status::Ok();
    return core::Unavailable("the store refuses appends after a failed one: " + failed_.message());
  }
  // Remembers status (not ok) and returns it. REQUIRES: the writer's lock.
  Status Fail(Status status) {
    NETFIN_ASSERT(!status.ok());
    failed_ = status;
    return status;
  }
  // Counts a batch made durable.
  void Committed(const Batch& batch) {
    batches_.fetch_add(1, std::memory_order_relaxed);
    events_.fetch_add(batch.EventCount(), std::memory_order_relaxed);
  }
  StoreStats Stats(uint64_t fsyncs) const {
    return StoreStats{.batches = batches_.load(std::memory_order_relaxed),
                      .events = events_.load(std::memory_order_relaxed),
                      .fsyncs = fsyncs};
  }

 private:
  Status failed_;  // guarded by the writer's lock
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> events_{0};
};

}  // namespace netfin::store
