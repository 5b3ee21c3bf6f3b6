// The journal's canonical record encoding and the checksum chain.

#include "core/checksum.h"
#include "core/little_endian.h"
#include "store/store.h"

namespace netfin::store {
namespace {

// Lays one record's fields out as fixed-width little-endian 64-bit words (ids
// as two words, narrower fields widened), then hashes the record in one
// update: a libsodium update per field would cost three times as much.
class RecordWords {
 public:
  void Put(uint64_t value) {
    core::StoreLittleEndian(value, 8, bytes_ + size_);
    size_ += 8;
  }
  void Put(const Id128& id) {
    Put(id.hi);
    Put(id.lo);
  }
  void HashInto(core::ChecksumBuilder& h) {
    h.Update(bytes_, size_);
    size_ = 0;
  }

 private:
  unsigned char bytes_[8 * 20];  // the widest record, a transfer, has 19 words
  size_t size_ = 0;
};

template <typename Record>
void HashRecord(core::ChecksumBuilder& h, RecordWords& w, const Record& record) {
  ForEachField(record, [&w](const auto& field, FieldKind) { w.Put(field); });
  w.HashInto(h);
}

// The fixed fields, the payload's length, then the payload itself: the
// length keeps one event's payload from being read as the next event.
void HashEvent(core::ChecksumBuilder& h, RecordWords& w, const RoleEvent& e) {
  w.Put(e.sequence);
  w.Put(e.timestamp);
  w.Put(e.role);
  w.Put(e.type);
  w.Put(e.subject_a);
  w.Put(e.subject_b);
  w.Put(e.payload.size());
  w.HashInto(h);
  h.Update(e.payload.data(), e.payload.size());
}

}  // namespace

core::Checksum ChainChecksum(const core::Checksum& previous, uint64_t batch_number,
                             const Batch& batch) {
  // Only the immutable records are covered: accounts as created, transfers,
  // expiries, role events. Current balances and history are derived from
  // them, and `netfin verify` recomputes those separately.
  core::ChecksumBuilder h;
  RecordWords w;
  h.Update(previous.data(), previous.size());
  h.UpdateU64(batch_number);
  h.UpdateU64(batch.accounts_created.size());
  for (const Account& a : batch.accounts_created) HashRecord(h, w, a);
  h.UpdateU64(batch.transfers_created.size());
  for (const Transfer& t : batch.transfers_created) HashRecord(h, w, t);
  h.UpdateU64(batch.expiries.size());
  for (const Expiry& e : batch.expiries) HashRecord(h, w, e);
  // Role events come last, and only when there are some, so that a batch
  // without them hashes exactly as before they existed: every chain written
  // then still verifies. No ambiguity follows: the expiries' count fixes
  // where they end, and the events' count follows only if the input goes on.
  if (!batch.events.empty()) {
    h.UpdateU64(batch.events.size());
    for (const RoleEvent& e : batch.events) HashEvent(h, w, e);
  }
  return h.Final();
}

}  // namespace netfin::store
