#pragma once

// Builders shared by the store backends' tests: small records, batches of
// immutable records, account queries and a visitor that records Load().

#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace netfin::store::testing {

Account NewAccount(uint64_t id, uint64_t timestamp) {
  Account a;
  a.id = Id128::FromU64(id);
  a.ledger = 1;
  a.code = 1;
  a.timestamp = timestamp;
  return a;
}

Transfer NewTransfer(uint64_t id, uint64_t debit, uint64_t credit, uint64_t timestamp) {
  Transfer t;
  t.id = Id128::FromU64(id);
  t.debit_account_id = Id128::FromU64(debit);
  t.credit_account_id = Id128::FromU64(credit);
  t.amount = 1;
  t.ledger = 1;
  t.code = 1;
  t.timestamp = timestamp;
  return t;
}

// The immutable records of a batch (no derived state).
Batch NewBatch(std::vector<Account> accounts, std::vector<Transfer> transfers = {},
               std::vector<Expiry> expiries = {}) {
  Batch batch;
  batch.accounts_created = std::move(accounts);
  batch.transfers_created = std::move(transfers);
  batch.expiries = std::move(expiries);
  return batch;
}

AccountBalance NewBalance(uint64_t account, uint64_t timestamp, AmountMinor amount) {
  return AccountBalance{Id128::FromU64(account), timestamp, amount, amount, amount, amount};
}

// An account query; the fields a table row leaves out stay at their defaults.
struct Query {
  uint64_t account = 1;
  uint64_t timestamp_min = 0;
  uint64_t timestamp_max = 0;
  uint32_t limit = 100;
  bool debits = true;
  bool credits = true;
  bool reversed = false;

  AccountFilter Filter() const {
    return AccountFilter{
        Id128::FromU64(account), timestamp_min, timestamp_max, limit, debits, credits, reversed};
  }
};

class RecordingVisitor : public StateVisitor {
 public:
  void OnAccount(const Account& a) override { accounts.push_back(a); }
  void OnTransfer(const Transfer& t) override { transfers.push_back(t); }
  void OnExpiry(const Expiry& e) override { expiries.push_back(e); }

  std::vector<Account> accounts;
  std::vector<Transfer> transfers;
  std::vector<Expiry> expiries;
};

}  // namespace netfin::store::testing
