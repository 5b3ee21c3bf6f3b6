#pragma once

// Builders shared by the store backends' tests: small records, batches of
// immutable records, account queries and a visitor that records Load().

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/append_rules.h"
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

// A role event concerning parties a and b (0: none).
RoleEvent NewEvent(uint64_t sequence, uint64_t a, uint64_t b, std::string payload,
                   uint64_t timestamp = 1000) {
  RoleEvent e;
  e.sequence = sequence;
  e.timestamp = timestamp;
  e.role = 1;
  e.type = static_cast<uint16_t>(sequence);
  e.subject_a = Id128::FromU64(a);
  e.subject_b = Id128::FromU64(b);
  e.payload = std::move(payload);
  return e;
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

// Records what Load hands over, and in which order: `kinds` gets one letter
// per call (a account, t transfer, x expiry, e role event).
class RecordingVisitor : public StateVisitor {
 public:
  void OnAccount(const Account& a) override {
    accounts.push_back(a);
    kinds += 'a';
  }
  void OnTransfer(const Transfer& t) override {
    transfers.push_back(t);
    kinds += 't';
  }
  void OnExpiry(const Expiry& e) override {
    expiries.push_back(e);
    kinds += 'x';
  }
  void OnEvent(const RoleEvent& e) override {
    events.push_back(e);
    kinds += 'e';
  }

  std::vector<Account> accounts;
  std::vector<Transfer> transfers;
  std::vector<Expiry> expiries;
  std::vector<RoleEvent> events;
  std::string kinds;
};

inline void MustAppend(Store& store, const Batch& batch) {
  const core::Status status = store.Append(batch);
  ASSERT_TRUE(status.ok()) << status.ToString();
}

// Three batches: (1) accounts 1, 2, 3 at timestamps 1..3; (2) transfers at
// 10 (pending, timeout 5 s) and 20 and the pending one's expiry at 25;
// (3) account 4 at 35 and transfers at 30 and 40.
inline void AppendThreeBatches(Store& store) {
  MustAppend(store, NewBatch({NewAccount(1, 1), NewAccount(2, 2), NewAccount(3, 3)}));
  Transfer pending = NewTransfer(10, 1, 2, 10);
  pending.flags = static_cast<uint16_t>(TransferFlag::kPending);
  pending.timeout = 5;
  MustAppend(store, NewBatch({}, {pending, NewTransfer(20, 2, 3, 20)}, {{pending.id, 25}}));
  MustAppend(store,
             NewBatch({NewAccount(4, 35)}, {NewTransfer(30, 3, 1, 30), NewTransfer(40, 1, 4, 40)}));
}

// Three batches with role events: (1) accounts 1 and 2 at 1..2 with events
// 1 (party 1) and 2 (parties 2 and 1); (2) events 3 (no party) and 4
// (party 1) only; (3) a transfer 1 -> 2 at 10, an expiry at 11 and event 5
// (party 2).
inline std::vector<Batch> BatchesWithEvents() {
  Batch first = NewBatch({NewAccount(1, 1), NewAccount(2, 2)});
  first.events = {NewEvent(1, 1, 0, "opened"), NewEvent(2, 2, 1, "linked")};
  Batch second;
  second.events = {NewEvent(3, 0, 0, ""), NewEvent(4, 1, 0, std::string("\0\xff", 2))};
  Batch third = NewBatch({}, {NewTransfer(7, 1, 2, 10)}, {{Id128::FromU64(7), 11}});
  third.events = {NewEvent(5, 2, 0, "paid")};
  return {first, second, third};
}

inline void AppendBatchesWithEvents(Store& store) {
  for (const Batch& batch : BatchesWithEvents()) MustAppend(store, batch);
}

// One batch whose every field sits at its limit: ids with the high bits set,
// user_data_64 above INT64_MAX (stored bit-cast), amounts and balances at
// kAmountMax, the last timestamp at kTimestampMax, a role event with the
// largest payload (every byte value) and its own fields at their limits.
struct RecordsAtLimits {
  Account account;      // as created
  Account account_now;  // after the batch: every balance at kAmountMax
  Account other;
  Transfer transfer;
  Expiry expiry;
  AccountBalance balance;
  RoleEvent event;
  Batch batch;
};

inline RecordsAtLimits MakeRecordsAtLimits() {
  RecordsAtLimits r;
  const uint64_t t = kTimestampMax - 10;
  r.account.id = {UINT64_MAX, UINT64_MAX - 1};
  r.account.user_data_128 = {1ull << 63, 0};
  r.account.user_data_64 = UINT64_MAX;
  r.account.user_data_32 = UINT32_MAX;
  r.account.ledger = UINT32_MAX;
  r.account.code = UINT16_MAX;
  r.account.flags = UINT16_MAX;
  r.account.timestamp = t;
  r.other = NewAccount(1, t + 1);
  r.transfer.id = {1ull << 63, 1};
  r.transfer.debit_account_id = r.account.id;
  r.transfer.credit_account_id = r.other.id;
  r.transfer.amount = core::kAmountMax;
  r.transfer.pending_id = {UINT64_MAX, 0};
  r.transfer.user_data_128 = Id128::Max();
  r.transfer.user_data_64 = (1ull << 63) + 5;
  r.transfer.user_data_32 = UINT32_MAX;
  r.transfer.timeout = UINT32_MAX;
  r.transfer.ledger = UINT32_MAX;
  r.transfer.code = UINT16_MAX;
  r.transfer.flags = UINT16_MAX;
  r.transfer.timestamp = t + 2;
  r.expiry = Expiry{{UINT64_MAX, 7}, kTimestampMax};
  r.account_now = r.account;
  r.account_now.debits_pending = r.account_now.debits_posted = core::kAmountMax;
  r.account_now.credits_pending = r.account_now.credits_posted = core::kAmountMax;
  r.balance = NewBalance(0, t + 2, core::kAmountMax);
  r.balance.account_id = r.account.id;
  r.event = NewEvent(1, 0, 0, std::string(kRoleEventPayloadBytesMax, '\0'), kTimestampMax);
  for (size_t i = 0; i < r.event.payload.size(); ++i) r.event.payload[i] = static_cast<char>(i);
  r.event.role = UINT16_MAX;
  r.event.type = UINT16_MAX;
  r.event.subject_a = Id128::Max();
  r.event.subject_b = {1ull << 63, 0};
  r.batch = NewBatch({r.account, r.other}, {r.transfer}, {r.expiry});
  r.batch.events = {r.event};
  r.batch.accounts_updated = {r.account_now};
  r.batch.balances = {r.balance};
  return r;
}

// Checks that a store (reopened after appending r.batch) gives every field
// back through Load, the lookups and both queries.
inline void ExpectRecordsAtLimits(Store& store, const RecordsAtLimits& r) {
  RecordingVisitor loaded;
  ASSERT_TRUE(store.Load(loaded).ok());
  std::sort(loaded.accounts.begin(), loaded.accounts.end(),
            [](const Account& x, const Account& y) { return x.timestamp < y.timestamp; });
  EXPECT_EQ(loaded.accounts, (std::vector<Account>{r.account_now, r.other}));
  EXPECT_EQ(loaded.transfers, std::vector<Transfer>{r.transfer});
  EXPECT_EQ(loaded.expiries, std::vector<Expiry>{r.expiry});
  EXPECT_EQ(store.LookupAccount(r.account.id).value(), r.account_now);
  EXPECT_EQ(store.LookupTransfer(r.transfer.id).value(), r.transfer);
  AccountFilter filter = Query{}.Filter();
  filter.account_id = r.account.id;
  EXPECT_EQ(store.GetAccountBalances(filter).value(), std::vector<AccountBalance>{r.balance});
  EXPECT_EQ(store.GetAccountTransfers(filter).value(), std::vector<Transfer>{r.transfer});
  EXPECT_EQ(store.Head().timestamp_max, kTimestampMax);
  EXPECT_EQ(loaded.events, std::vector<RoleEvent>{r.event});
  for (const Id128& subject : {Id128::Zero(), r.event.subject_a, r.event.subject_b}) {
    EXPECT_EQ(store.ReadEvents({.after_sequence = 0, .subject = subject, .limit = 1}).value(),
              std::vector<RoleEvent>{r.event});
  }
  EXPECT_EQ(store.Head().event_sequence_max, 1u);
}

}  // namespace netfin::store::testing
