#pragma once

// The ledger's state machine: accounts, transfers, two-phase transfers,
// linked chains, balancing transfers, expiry. Deterministic and single
// threaded: it takes time as an input (now_ns) and never reads a clock, does
// no I/O, and records every change it makes into a store::Batch that the
// caller persists.
//
// Lifecycle of one group commit:
//
//   BeginBatch() ─► { ExpirePending | CreateAccounts | CreateTransfers }* ─► FinishBatch(&batch)
//
// Every event is checked in full first; only an event that passes every check
// mutates state ("point of no return"). A linked chain that fails is rolled
// back through an undo log, leaving no trace in state or in the batch.
//
// Pending transfer states (each pending transfer leaves `pending` at most once):
//
//            ┌──── post_pending_transfer ───► posted
//   pending ─┼──── void_pending_transfer ───► voided
//            └──── timeout reached ─────────► expired
//
// Invariants (asserted): per ledger, Σ debits_posted = Σ credits_posted and
// Σ debits_pending = Σ credits_pending; timestamps strictly increase; no
// balance exceeds kAmountMax; flag limits hold for every account.
//
// Thread: one thread at a time (the LedgerService's applier). Lookups are
// not safe concurrently with mutation.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/id_map.h"
#include "core/id.h"
#include "ledger/results.h"
#include "store/records.h"
#include "store/store.h"

namespace netfin::ledger {

using core::AmountMinor;
using core::Id128;
using store::Account;
using store::AccountBalance;
using store::Expiry;
using store::Transfer;

enum class PendingStatus : uint8_t { kNone = 0, kPending = 1, kPosted = 2, kVoided = 3, kExpired = 4 };

// The outcome of one event: its result, and for an ok event the timestamp the
// ledger assigned (and for a transfer the amount that actually moved).
struct AccountOutcome {
  CreateAccountResult result = CreateAccountResult::kOk;
  uint64_t timestamp = 0;
};
struct TransferOutcome {
  CreateTransferResult result = CreateTransferResult::kOk;
  uint64_t timestamp = 0;
  AmountMinor amount = 0;
};

class StateMachine {
 public:
  StateMachine();
  ~StateMachine();
  StateMachine(const StateMachine&) = delete;
  StateMachine& operator=(const StateMachine&) = delete;

  void BeginBatch();
  // Moves the changes since BeginBatch into *batch (accounts_updated filled in).
  void FinishBatch(store::Batch* batch);

  // REQUIRES: inside BeginBatch/FinishBatch; events.size() <= kBatchEventsMax.
  // outcomes gets one entry per event, in order.
  void CreateAccounts(std::span<const Account> events, uint64_t now_ns,
                      std::vector<AccountOutcome>* outcomes);
  void CreateTransfers(std::span<const Transfer> events, uint64_t now_ns,
                       std::vector<TransferOutcome>* outcomes);
  // Expires every pending transfer whose timeout has passed at now_ns.
  // Returns how many expired.
  size_t ExpirePending(uint64_t now_ns);

  // The pointers stay valid only until the next mutating call.
  const Account* LookupAccount(const Id128& id) const;
  const Transfer* LookupTransfer(const Id128& id) const;
  PendingStatus GetPendingStatus(const Id128& pending_id) const;
  // When the earliest pending transfer expires (ns), if any does.
  std::optional<uint64_t> NextExpiryNs();
  uint64_t timestamp_last() const { return timestamp_last_; }
  size_t account_count() const { return accounts_.size(); }
  size_t transfer_count() const { return transfers_.size(); }

  // Recovery: rebuilds state from durable records (store::Store::Load), which
  // arrive as accounts (with current balances), then transfers and expiries in
  // timestamp order. Balances are taken as stored; pending states are replayed.
  store::StateVisitor& Restorer();
  // Checks the in-memory invariants; aborts on a broken one (a bug).
  void AssertInvariants() const;

 private:
  struct TransferState {
    Transfer transfer;
    uint64_t expires_at_ns = 0;  // 0: never
    PendingStatus pending_status = PendingStatus::kNone;
  };
  struct AccountState {
    Account account;
    uint64_t touched_epoch = 0;  // == epoch_ when already in touched_
  };
  // One entry of the undo log kept while a linked chain is open (emptied
  // when it closes).
  struct Undo {
    enum class Kind : uint8_t { kAccountCreated, kTransferCreated, kBalances, kPendingStatus };
    Kind kind;
    Id128 id;
    Account balances_before;  // kBalances
    PendingStatus status_before = PendingStatus::kNone;  // kPendingStatus
  };
  struct ChainMark {
    size_t accounts_created, transfers_created, balances, undo, touched;
  };
  class RestoreVisitor;

  uint64_t NextTimestamp(uint64_t now_ns);
  CreateAccountResult CheckAccount(const Account& a) const;
  CreateTransferResult CheckTransfer(const Transfer& t, uint64_t timestamp, Transfer* resolved) const;
  CreateTransferResult CheckPostOrVoid(const Transfer& t, uint64_t timestamp, Transfer* resolved) const;
  CreateTransferResult CheckBalances(const Transfer& t, const Account& dr, const Account& cr) const;
  void ApplyAccount(const Account& a);
  void ApplyTransfer(const Transfer& t);
  // Releases a pending transfer's amount from its accounts (their states,
  // already fetched for mutation) and moves it to `to`.
  void ReleasePending(TransferState& pending, Account& dr, Account& cr, PendingStatus to);
  // The earliest expiry queue entry that is still live, dropping stale ones
  // (resolved already, or left by a rolled-back chain); nullptr when none.
  TransferState* LiveExpiryAtTop();
  AccountState& MutableAccount(const Id128& id);
  void Touch(AccountState& state);
  void RecordBalance(const Account& account, uint64_t timestamp);

  ChainMark OpenChain();
  void Rollback(const ChainMark& mark);
  void CloseChain();

  // Open addressing (absl's Swiss tables): two to three times faster than
  // std::unordered_map here. Inserting into accounts_ may move its
  // elements, so no AccountState reference is held across an account's
  // creation. Transfers grow with traffic: an IdMap rehashes without moving
  // them (core/id_map.h), and their addresses are stable.
  absl::flat_hash_map<Id128, AccountState, core::Id128Hash> accounts_;
  core::IdMap<TransferState> transfers_;
  // (expires_at_ns, pending id), earliest first; entries whose transfer is no
  // longer pending (or was rolled back) are skipped when popped.
  std::priority_queue<std::pair<uint64_t, Id128>, std::vector<std::pair<uint64_t, Id128>>,
                      std::greater<>>
      expiry_queue_;
  uint64_t timestamp_last_ = 0;

  // The group commit being built.
  bool in_batch_ = false;
  uint64_t epoch_ = 0;
  std::vector<Id128> touched_;
  store::Batch changes_;
  bool in_chain_ = false;
  std::vector<Undo> undo_;
  std::unique_ptr<RestoreVisitor> restorer_;
};

}  // namespace netfin::ledger
