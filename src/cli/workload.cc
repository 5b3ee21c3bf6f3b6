#include "cli/workload.h"

#include "core/assert.h"

namespace netfin::cli {

std::vector<store::Account> MakeAccounts(uint64_t first_id, uint64_t count) {
  std::vector<store::Account> accounts(count);
  for (uint64_t i = 0; i < count; ++i) {
    accounts[i].id = core::Id128::FromU64(first_id + i);
    accounts[i].ledger = kWorkloadLedger;
    accounts[i].code = kWorkloadCode;
  }
  return accounts;
}

TransferGenerator::TransferGenerator(uint64_t account_first_id, uint64_t accounts,
                                     uint64_t transfer_first_id, uint64_t seed)
    : account_first_id_(account_first_id),
      accounts_(accounts),
      next_id_(transfer_first_id),
      random_(seed) {
  NETFIN_ASSERT(accounts >= 2);
}

std::vector<store::Transfer> TransferGenerator::Next(size_t count) {
  std::vector<store::Transfer> transfers(count);
  for (store::Transfer& t : transfers) {
    const uint64_t debit = random_() % accounts_;
    const uint64_t credit = (debit + 1 + random_() % (accounts_ - 1)) % accounts_;
    t.id = core::Id128::FromU64(next_id_++);
    t.debit_account_id = core::Id128::FromU64(account_first_id_ + debit);
    t.credit_account_id = core::Id128::FromU64(account_first_id_ + credit);
    t.amount = 1 + random_() % 1000;
    t.ledger = kWorkloadLedger;
    t.code = kWorkloadCode;
  }
  return transfers;
}

}  // namespace netfin::cli
