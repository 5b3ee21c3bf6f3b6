// The journal's canonical record encoding and the checksum chain.

#include "core/checksum.h"
#include "store/store.h"

namespace netfin::store {
namespace {

void HashId(core::ChecksumBuilder& h, const Id128& id) {
  h.UpdateU64(id.hi);
  h.UpdateU64(id.lo);
}

void HashAccount(core::ChecksumBuilder& h, const Account& a) {
  HashId(h, a.id);
  h.UpdateU64(a.debits_pending);
  h.UpdateU64(a.debits_posted);
  h.UpdateU64(a.credits_pending);
  h.UpdateU64(a.credits_posted);
  HashId(h, a.user_data_128);
  h.UpdateU64(a.user_data_64);
  h.UpdateU32(a.user_data_32);
  h.UpdateU32(a.ledger);
  h.UpdateU16(a.code);
  h.UpdateU16(a.flags);
  h.UpdateU64(a.timestamp);
}

void HashTransfer(core::ChecksumBuilder& h, const Transfer& t) {
  HashId(h, t.id);
  HashId(h, t.debit_account_id);
  HashId(h, t.credit_account_id);
  h.UpdateU64(t.amount);
  HashId(h, t.pending_id);
  HashId(h, t.user_data_128);
  h.UpdateU64(t.user_data_64);
  h.UpdateU32(t.user_data_32);
  h.UpdateU32(t.timeout);
  h.UpdateU32(t.ledger);
  h.UpdateU16(t.code);
  h.UpdateU16(t.flags);
  h.UpdateU64(t.timestamp);
}

}  // namespace

core::Checksum ChainChecksum(const core::Checksum& previous, uint64_t batch_number,
                             const Batch& batch) {
  // Only the immutable records are covered: accounts as created, transfers,
  // expiries. Current balances and history are derived from them, and
  // `netfin verify` recomputes those separately.
  core::ChecksumBuilder h;
  h.Update(previous.data(), previous.size());
  h.UpdateU64(batch_number);
  h.UpdateU64(batch.accounts_created.size());
  for (const Account& a : batch.accounts_created) HashAccount(h, a);
  h.UpdateU64(batch.transfers_created.size());
  for (const Transfer& t : batch.transfers_created) HashTransfer(h, t);
  h.UpdateU64(batch.expiries.size());
  for (const Expiry& e : batch.expiries) {
    HashId(h, e.pending_id);
    h.UpdateU64(e.timestamp);
  }
  return h.Final();
}

}  // namespace netfin::store
