#pragma once

// EntityTable<State>: the states of one kind of entity (customers, devices,
// ...), keyed by 128-bit id, at most capacity() of them. When a new entity
// arrives at a full table, the least recently updated one is evicted and its
// slot reused: memory is bounded by capacity() * sizeof(Slot), and an evicted
// entity that comes back starts with no history.
//
// Slots live in fixed chunks that are never moved, so a State reference
// stays valid until that entity is evicted, and memory grows only with the
// entities actually seen. Lookups go through an absl::flat_hash_map from id
// to slot number; recency is a doubly linked list over slot numbers, kept in
// its own dense array (8 bytes a slot) rather than in the slots, so that
// moving an entity to the front touches a few cache lines of that array and
// not the states of its neighbours.
//
// Thread-compatible: Find may run on several threads at once only while no
// thread calls FindOrInsert.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include <sys/mman.h>

#include <absl/container/flat_hash_map.h>

#include "core/assert.h"
#include "core/id.h"

namespace netfin::risk {

template <typename State>
class EntityTable {
 public:
  // Slot numbers are 32-bit.
  static constexpr size_t kCapacityMax = size_t{1} << 31;

  // REQUIRES: 1 <= capacity <= kCapacityMax.
  explicit EntityTable(size_t capacity) : capacity_(capacity) {
    NETFIN_ASSERT(capacity >= 1 && capacity <= kCapacityMax);
    chunk_slots_ = capacity < kChunkSlotsMax ? capacity : kChunkSlotsMax;
  }

  // The state of id, or null when the table does not hold it. Does not count
  // as a use.
  const State* Find(const core::Id128& id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? nullptr : &SlotAt(it->second).state;
  }

  // A hint: starts loading id's index entry into the cache, so that several
  // lookups issued one after another overlap their cache misses.
  void Prefetch(const core::Id128& id) const { index_.prefetch(id); }

  // The state of id, created empty (State{}) when absent, and made the most
  // recently used. *created says whether it was absent.
  State& FindOrInsert(const core::Id128& id, bool* created) {
    const auto it = index_.find(id);
    *created = it == index_.end();
    if (!*created) {
      MoveToFront(it->second);
      return SlotAt(it->second).state;
    }
    // Evict before inserting, so the index never holds more than capacity_.
    const uint32_t slot = used_ < capacity_ ? NewSlot() : EvictOldest();
    index_.emplace(id, slot);
    Slot& s = SlotAt(slot);
    s.id = id;
    s.state = State{};
    LinkFront(slot);
    NETFIN_ASSERT(index_.size() <= capacity_);
    return s.state;
  }

  // Calls f(id, state) for every entity from least to most recently used.
  template <typename F>
  void ForEachOldestFirst(F&& f) const {
    size_t visited = 0;
    for (uint32_t slot = tail_; slot != kNone; slot = links_[slot].prev) {
      f(SlotAt(slot).id, SlotAt(slot).state);
      ++visited;
      NETFIN_ASSERT(visited <= index_.size());
    }
  }

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t evictions() const { return evictions_; }
  static constexpr size_t SlotBytes() { return sizeof(Slot) + sizeof(Link); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // Slots per chunk: big enough that the chunk vector stays short, small
  // enough that a small table does not allocate much more than it needs.
  static constexpr size_t kChunkSlotsMax = 1024;

  struct Slot {
    core::Id128 id;
    State state;
  };
  // Chunks are 2 MiB-aligned and marked for transparent huge pages (a hint
  // the kernel may ignore): the tables are far larger than what the TLB
  // covers with 4 KiB pages, and every lookup lands on a random page. On the
  // development machine this cut a random read from about 320 to 180 ns and
  // FeatureEngine::Compute by a quarter.
  static constexpr size_t kHugePageBytes = size_t{2} << 20;
  struct ChunkDeleter {
    size_t slots;
    void operator()(Slot* p) const {
      std::destroy_n(p, slots);
      std::free(p);
    }
  };
  using Chunk = std::unique_ptr<Slot[], ChunkDeleter>;
  static Chunk NewChunk(size_t slots) {
    const size_t needed = slots * sizeof(Slot);
    void* memory = nullptr;
    if (needed < kHugePageBytes) {
      memory = std::malloc(needed);  // a small table: not worth a huge page
    } else {
      const size_t bytes = (needed + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
      memory = std::aligned_alloc(kHugePageBytes, bytes);
      if (memory != nullptr) (void)madvise(memory, bytes, MADV_HUGEPAGE);  // only a hint
    }
    NETFIN_ASSERT(memory != nullptr);
    Slot* first = static_cast<Slot*>(memory);
    std::uninitialized_value_construct_n(first, slots);
    return Chunk(first, ChunkDeleter{slots});
  }

  struct Link {
    uint32_t prev = kNone;  // towards the most recent
    uint32_t next = kNone;  // towards the least recent
  };

  Slot& SlotAt(uint32_t slot) { return chunks_[slot / chunk_slots_][slot % chunk_slots_]; }
  const Slot& SlotAt(uint32_t slot) const {
    return chunks_[slot / chunk_slots_][slot % chunk_slots_];
  }

  uint32_t NewSlot() {
    if (used_ % chunk_slots_ == 0) chunks_.push_back(NewChunk(chunk_slots_));
    links_.emplace_back();
    return static_cast<uint32_t>(used_++);
  }

  // Unlinks the least recently used entity and returns its slot.
  uint32_t EvictOldest() {
    const uint32_t slot = tail_;
    NETFIN_ASSERT(slot != kNone);
    Unlink(slot);
    const size_t erased = index_.erase(SlotAt(slot).id);
    NETFIN_ASSERT(erased == 1);
    ++evictions_;
    return slot;
  }

  void MoveToFront(uint32_t slot) {
    if (slot == head_) return;
    Unlink(slot);
    LinkFront(slot);
  }

  void Unlink(uint32_t slot) {
    Link& l = links_[slot];
    if (l.prev != kNone)
      links_[l.prev].next = l.next;
    else
      head_ = l.next;
    if (l.next != kNone)
      links_[l.next].prev = l.prev;
    else
      tail_ = l.prev;
    l.prev = l.next = kNone;
  }

  void LinkFront(uint32_t slot) {
    Link& l = links_[slot];
    l.prev = kNone;
    l.next = head_;
    if (head_ != kNone) links_[head_].prev = slot;
    head_ = slot;
    if (tail_ == kNone) tail_ = slot;
  }

  size_t capacity_;
  size_t chunk_slots_;
  absl::flat_hash_map<core::Id128, uint32_t, core::Id128Hash> index_;
  std::vector<Chunk> chunks_;
  std::vector<Link> links_;  // by slot number
  size_t used_ = 0;          // slots handed out so far
  uint32_t head_ = kNone;    // most recently used
  uint32_t tail_ = kNone;    // least recently used
  uint64_t evictions_ = 0;
};

}  // namespace netfin::risk
