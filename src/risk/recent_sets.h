#pragma once

// Small fixed-size memories of an entity's recent past, each a few hundred
// bytes with no heap, used by FeatureEngine:
//
//   RecentSet<N>     the N most recently used distinct keys (a customer's
//                    payees, devices, IPs); older keys are forgotten.
//   RecentPayers<N>  the N most recently seen distinct payers of a payee with
//                    when each was last seen, for fan-in: Scan gives
//                    min(true distinct payers in the window, N), exactly.
//   Ring<T, N>       the N newest values added (a customer's amounts and
//                    locations: AmountHistory, LocationHistory).
//   TimeRing<N>      a Ring of the timestamps of the N newest events (a
//                    customer's failed attempts): CountSince gives
//                    min(true count, N).
//
// Keys are 64-bit fingerprints of 128-bit ids (Fingerprint); two ids share a
// fingerprint with probability 2^-64 per pair.
//
// Thread-compatible. Time only moves forward (FeatureEngine clamps it).

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "core/id.h"

namespace netfin::risk {

inline uint64_t Fingerprint(const core::Id128& id) {
  return static_cast<uint64_t>(core::Id128Hash{}(id));
}

// A set of at most N keys ordered from most to least recently touched.
template <uint32_t N>
class RecentSet {
 public:
  bool Contains(uint64_t key) const {
    return std::find(keys_.begin(), keys_.begin() + size_, key) != keys_.begin() + size_;
  }
  // Makes key the most recent, forgetting the least recent key when full.
  void Touch(uint64_t key) {
    auto end = keys_.begin() + size_;
    auto found = std::find(keys_.begin(), end, key);
    if (found == end) {
      if (size_ < N) ++size_;
      found = keys_.begin() + size_ - 1;  // the slot to drop (or the new one)
    }
    std::copy_backward(keys_.begin(), found, found + 1);
    keys_[0] = key;
  }
  uint32_t size() const { return size_; }
  bool IsValid() const { return size_ <= N; }

 private:
  // Sizes first, so that a small set is read in one cache line.
  uint32_t size_ = 0;
  uint32_t reserved_ = 0;  // keeps the layout free of padding (snapshots)
  std::array<uint64_t, N> keys_{};
};

// Distinct payers of one payee with when each last paid.
template <uint32_t N>
class RecentPayers {
 public:
  // REQUIRES: ts_ns is no earlier than any earlier Touch.
  void Touch(uint64_t payer, uint64_t ts_ns) {
    uint32_t slot = Find(payer);
    if (slot == N) slot = size_ < N ? size_++ : OldestSlot();
    entries_[slot] = Entry{payer, ts_ns};
  }
  // For each window, the distinct payers last seen in (now_ns - window_ns,
  // now_ns], at most N, and whether payer is among them, in one pass over
  // the table. Exact up to N: the table keeps the N most recently seen
  // payers, and every payer seen in a window is more recent than every one
  // that is not.
  template <size_t K>
  void Scan(uint64_t payer, uint64_t now_ns, const std::array<uint64_t, K>& windows_ns,
            std::array<uint32_t, K>* counts, std::array<bool, K>* payer_seen) const {
    counts->fill(0);
    payer_seen->fill(false);
    for (uint32_t i = 0; i < size_; ++i) {
      for (size_t w = 0; w < K; ++w) {
        if (entries_[i].ts_ns + windows_ns[w] <= now_ns) continue;
        ++(*counts)[w];
        if (entries_[i].payer == payer) (*payer_seen)[w] = true;
      }
    }
  }
  uint32_t size() const { return size_; }
  bool IsValid() const { return size_ <= N; }

 private:
  struct Entry {
    uint64_t payer;
    uint64_t ts_ns;
  };
  uint32_t Find(uint64_t payer) const {
    for (uint32_t i = 0; i < size_; ++i) {
      if (entries_[i].payer == payer) return i;
    }
    return N;
  }
  uint32_t OldestSlot() const {
    uint32_t oldest = 0;
    for (uint32_t i = 1; i < size_; ++i) {
      if (entries_[i].ts_ns < entries_[oldest].ts_ns) oldest = i;
    }
    return oldest;
  }

  uint32_t size_ = 0;
  uint32_t reserved_ = 0;
  std::array<Entry, N> entries_{};
};

// The newest N values added, in no particular order.
template <typename T, uint32_t N>
class Ring {
 public:
  // Adds value, overwriting the oldest when full.
  void Add(const T& value) {
    values_[next_] = value;
    next_ = (next_ + 1) % N;
    if (size_ < N) ++size_;
  }
  // The values held, oldest and newest mixed. REQUIRES: IsValid().
  std::span<const T> values() const { return std::span<const T>(values_.data(), size_); }
  uint32_t size() const { return size_; }
  bool IsValid() const { return size_ <= N && next_ < N && (size_ == N || next_ == size_); }

 private:
  uint32_t next_ = 0;  // where the next value goes
  uint32_t size_ = 0;
  std::array<T, N> values_{};
};

// The timestamps of the newest N events. REQUIRES: they are added in time
// order (each no earlier than the newest held).
template <uint32_t N>
class TimeRing : public Ring<uint64_t, N> {
 public:
  // Events in (now_ns - window_ns, now_ns], at most N.
  uint32_t CountSince(uint64_t now_ns, uint64_t window_ns) const {
    uint32_t count = 0;
    for (const uint64_t ts_ns : this->values()) count += ts_ns + window_ns > now_ns ? 1 : 0;
    return count;
  }
};

}  // namespace netfin::risk
