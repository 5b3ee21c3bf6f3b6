#pragma once

// IdMap: a hash map from Id128 to large records (payments, transfers) that
// grows without stalling its thread.
//
// A flat hash map holding the records themselves moves every record when it
// doubles: at 65,536 payments of 368 bytes that is ~25 MB copied into freshly
// faulted pages, 10-30 ms during which the ledger's applier answers nobody
// (measured: the slowest answers of `netfin bench payments` all fell in such
// rehashes). Here the table holds (id, pointer) slots of 24 bytes, so a
// rehash moves those alone and never touches a record (the key is in the
// slot), and records keep their address for life, so a reference taken
// before an insertion stays valid after it.
//
// Threads: none of its own; as safe as the absl map underneath (one writer,
// or readers only).

#include <cstddef>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "core/assert.h"
#include "core/id.h"

namespace netfin::core {

template <typename Record>
class IdMap {
 public:
  // nullptr when absent.
  Record* Find(const Id128& id) {
    auto it = slots_.find(id);
    return it == slots_.end() ? nullptr : it->second.get();
  }
  const Record* Find(const Id128& id) const {
    auto it = slots_.find(id);
    return it == slots_.end() ? nullptr : it->second.get();
  }

  // REQUIRES: id is present (a missing one is a bug upstream).
  Record& At(const Id128& id) {
    Record* r = Find(id);
    NETFIN_ASSERT(r != nullptr);
    return *r;
  }
  const Record& At(const Id128& id) const {
    const Record* r = Find(id);
    NETFIN_ASSERT(r != nullptr);
    return *r;
  }

  bool Contains(const Id128& id) const { return slots_.contains(id); }

  // Inserts id -> record unless id is present; false (and nothing moved
  // from record) when it is.
  template <typename R>
  bool Insert(const Id128& id, R&& record) {
    auto [it, inserted] = slots_.try_emplace(id);
    if (inserted) it->second = std::make_unique<Record>(std::forward<R>(record));
    return inserted;
  }

  // Sets id's record, inserting it or replacing the one there (which keeps
  // its address).
  template <typename R>
  void InsertOrAssign(const Id128& id, R&& record) {
    auto [it, inserted] = slots_.try_emplace(id);
    if (inserted) {
      it->second = std::make_unique<Record>(std::forward<R>(record));
    } else {
      *it->second = std::forward<R>(record);
    }
  }

  // False when id was absent.
  bool Erase(const Id128& id) { return slots_.erase(id) == 1; }

  size_t size() const { return slots_.size(); }

  // Calls visit(id, record) for every entry, in no particular order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (const auto& [id, record] : slots_) visit(id, *record);
  }

 private:
  absl::flat_hash_map<Id128, std::unique_ptr<Record>, Id128Hash> slots_;
};

}  // namespace netfin::core
