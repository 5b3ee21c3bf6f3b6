#include "ledger/state_machine.h"

#include <algorithm>
#include <limits>
#include <map>

#include "core/assert.h"
#include "core/limits.h"

namespace netfin::ledger {
namespace {

using store::AccountFlag;
using store::Has;
using store::IsBalancing;
using store::IsPostOrVoid;
using store::TransferFlag;
using AR = CreateAccountResult;
using TR = CreateTransferResult;

// What a post or void makes of its pending transfer.
PendingStatus ResolvedStatus(uint16_t flags) {
  return Has(flags, TransferFlag::kPostPendingTransfer) ? PendingStatus::kPosted
                                                        : PendingStatus::kVoided;
}

// When a pending transfer created at t.timestamp expires; 0 for never.
uint64_t ExpiresAtNs(const Transfer& t) {
  return t.timeout == 0 ? 0 : t.timestamp + uint64_t{t.timeout} * core::kNanosPerSecond;
}

// Adds an amount that the checks have already proven cannot overflow.
void AddChecked(AmountMinor* balance, AmountMinor amount) {
  NETFIN_ASSERT(core::TryAddAmount(*balance, amount, balance));
}
void SubtractChecked(AmountMinor* balance, AmountMinor amount) {
  NETFIN_ASSERT(core::TrySubtractAmount(*balance, amount, balance));
}

// What is left before `used` reaches `limit`, or 0 when it already has.
AmountMinor Headroom(AmountMinor limit, AmountMinor used) { return limit > used ? limit - used : 0; }

// Sums of two balances never exceed 2 * INT64_MAX < 2^64, so they cannot wrap.
AmountMinor Sum(AmountMinor a, AmountMinor b) { return a + b; }

bool Overflows(AmountMinor a, AmountMinor b) {
  AmountMinor ignored;
  return !core::TryAddAmount(a, b, &ignored);
}

CreateAccountResult AccountExists(const Account& a, const Account& e) {
  if (a.flags != e.flags) return AR::kExistsWithDifferentFlags;
  if (a.user_data_128 != e.user_data_128) return AR::kExistsWithDifferentUserData128;
  if (a.user_data_64 != e.user_data_64) return AR::kExistsWithDifferentUserData64;
  if (a.user_data_32 != e.user_data_32) return AR::kExistsWithDifferentUserData32;
  if (a.ledger != e.ledger) return AR::kExistsWithDifferentLedger;
  if (a.code != e.code) return AR::kExistsWithDifferentCode;
  return AR::kExists;
}

// A retry must answer `exists` whatever happened since, so this runs before
// any check of balances or pending state. Fields a post/void may leave zero
// (accounts, ledger, code) are compared only when given.
CreateTransferResult TransferExists(const Transfer& t, const Transfer& e) {
  if (t.flags != e.flags) return TR::kExistsWithDifferentFlags;
  if (t.pending_id != e.pending_id) return TR::kExistsWithDifferentPendingId;
  if (t.timeout != e.timeout) return TR::kExistsWithDifferentTimeout;
  if (!t.debit_account_id.IsZero() && t.debit_account_id != e.debit_account_id) {
    return TR::kExistsWithDifferentDebitAccountId;
  }
  if (!t.credit_account_id.IsZero() && t.credit_account_id != e.credit_account_id) {
    return TR::kExistsWithDifferentCreditAccountId;
  }
  // The stored amount is what moved; an "up to" request matches anything below it.
  const bool up_to = IsBalancing(t.flags) || t.amount == store::kAmountUpToMax;
  if (up_to ? t.amount < e.amount : t.amount != e.amount) return TR::kExistsWithDifferentAmount;
  if (t.user_data_128 != e.user_data_128) return TR::kExistsWithDifferentUserData128;
  if (t.user_data_64 != e.user_data_64) return TR::kExistsWithDifferentUserData64;
  if (t.user_data_32 != e.user_data_32) return TR::kExistsWithDifferentUserData32;
  if (t.ledger != 0 && t.ledger != e.ledger) return TR::kExistsWithDifferentLedger;
  if (t.code != 0 && t.code != e.code) return TR::kExistsWithDifferentCode;
  return TR::kExists;
}

// Runs events through `apply` with TigerBeetle's linked-chain rule: a chain
// commits all or nothing. `apply(event, timestamp, &outcome)` checks and, if
// every check passes, mutates; `open()` starts a chain and returns its mark,
// `rollback(mark)` undoes it, `close()` ends it (committed or rolled back).
template <typename Event, typename Outcome, typename Result, typename NextTimestamp,
          typename Apply, typename OpenFn, typename RollbackFn, typename CloseFn>
void RunLinked(std::span<const Event> events, std::vector<Outcome>* outcomes,
               NextTimestamp next_timestamp, Apply apply, OpenFn open, RollbackFn rollback,
               CloseFn close) {
  // Accounts and transfers share the bit of `linked`.
  static_assert(static_cast<uint16_t>(TransferFlag::kLinked) ==
                static_cast<uint16_t>(AccountFlag::kLinked));
  outcomes->assign(events.size(), Outcome{});
  constexpr size_t kNoChain = std::numeric_limits<size_t>::max();
  size_t chain_start = kNoChain;
  bool chain_failed = false;
  decltype(open()) chain_mark{};
  for (size_t i = 0; i < events.size(); ++i) {
    const bool linked = (events[i].flags & static_cast<uint16_t>(TransferFlag::kLinked)) != 0;
    const uint64_t timestamp = next_timestamp();
    if (linked && chain_start == kNoChain) {
      chain_start = i;
      chain_failed = false;
      chain_mark = open();
    }
    Outcome& outcome = (*outcomes)[i];
    // As in TigerBeetle, an open chain is reported even when the chain
    // had already failed.
    if (linked && i + 1 == events.size()) {
      outcome.result = Result::kLinkedEventChainOpen;
    } else if (chain_failed) {
      outcome.result = Result::kLinkedEventFailed;
    } else {
      apply(events[i], timestamp, &outcome);
    }
    if (outcome.result != Result::kOk && chain_start != kNoChain && !chain_failed) {
      chain_failed = true;
      rollback(chain_mark);
      for (size_t j = chain_start; j < i; ++j) (*outcomes)[j] = Outcome{Result::kLinkedEventFailed};
    }
    if (chain_start != kNoChain && (!linked || i + 1 == events.size())) {
      chain_start = kNoChain;
      chain_failed = false;
      close();
    }
  }
  NETFIN_ASSERT(chain_start == kNoChain);
}

}  // namespace

// ---------------------------------------------------------------------------
// Batches and time.

void StateMachine::BeginBatch() {
  NETFIN_ASSERT(!in_batch_);
  NETFIN_ASSERT(!in_chain_);
  in_batch_ = true;
  ++epoch_;
  touched_.clear();
  changes_ = store::Batch{};
}

void StateMachine::FinishBatch(store::Batch* batch) {
  NETFIN_ASSERT(in_batch_);
  NETFIN_ASSERT(!in_chain_);
  changes_.accounts_updated.reserve(touched_.size());
  for (const Id128& id : touched_) {
    auto it = accounts_.find(id);
    NETFIN_ASSERT(it != accounts_.end());
    changes_.accounts_updated.push_back(it->second.account);
  }
  *batch = std::move(changes_);
  changes_ = store::Batch{};
  touched_.clear();
  in_batch_ = false;
}

uint64_t StateMachine::NextTimestamp(uint64_t now_ns) {
  // Strictly increasing even if the wall clock steps back.
  const uint64_t timestamp = std::max(timestamp_last_ + 1, now_ns);
  NETFIN_ASSERT(timestamp > timestamp_last_);
  timestamp_last_ = timestamp;
  return timestamp;
}

// ---------------------------------------------------------------------------
// Accounts.

void StateMachine::CreateAccounts(std::span<const Account> events, uint64_t now_ns,
                                  std::vector<AccountOutcome>* outcomes) {
  NETFIN_ASSERT(in_batch_);
  NETFIN_ASSERT(events.size() <= core::kBatchEventsMax);
  auto apply = [this](const Account& a, uint64_t timestamp, AccountOutcome* outcome) {
    outcome->result = CheckAccount(a);
    if (outcome->result != AR::kOk) return;
    // Point of no return.
    Account created = a;
    created.timestamp = timestamp;
    ApplyAccount(created);
    outcome->timestamp = timestamp;
  };
  RunLinked<Account, AccountOutcome, CreateAccountResult>(
      events, outcomes, [this, now_ns] { return NextTimestamp(now_ns); }, apply,
      [this] { return OpenChain(); }, [this](const ChainMark& m) { Rollback(m); },
      [this] { CloseChain(); });
}

CreateAccountResult StateMachine::CheckAccount(const Account& a) const {
  if (a.timestamp != 0) return AR::kTimestampMustBeZero;
  if ((a.flags & ~store::kAccountFlagsKnown) != 0) return AR::kReservedFlag;
  if (a.id.IsZero()) return AR::kIdMustNotBeZero;
  if (a.id.IsMax()) return AR::kIdMustNotBeIntMax;
  if (Has(a.flags, AccountFlag::kDebitsMustNotExceedCredits) &&
      Has(a.flags, AccountFlag::kCreditsMustNotExceedDebits)) {
    return AR::kFlagsAreMutuallyExclusive;
  }
  if (a.debits_pending != 0) return AR::kDebitsPendingMustBeZero;
  if (a.debits_posted != 0) return AR::kDebitsPostedMustBeZero;
  if (a.credits_pending != 0) return AR::kCreditsPendingMustBeZero;
  if (a.credits_posted != 0) return AR::kCreditsPostedMustBeZero;
  if (a.ledger == 0) return AR::kLedgerMustNotBeZero;
  if (a.code == 0) return AR::kCodeMustNotBeZero;
  if (auto it = accounts_.find(a.id); it != accounts_.end()) {
    return AccountExists(a, it->second.account);
  }
  return AR::kOk;
}

void StateMachine::ApplyAccount(const Account& a) {
  const bool inserted = accounts_.emplace(a.id, AccountState{a, 0}).second;
  NETFIN_ASSERT(inserted);
  if (in_chain_) undo_.push_back(Undo{Undo::Kind::kAccountCreated, a.id, {}, {}});
  changes_.accounts_created.push_back(a);
}

// ---------------------------------------------------------------------------
// Transfers.

void StateMachine::CreateTransfers(std::span<const Transfer> events, uint64_t now_ns,
                                   std::vector<TransferOutcome>* outcomes) {
  NETFIN_ASSERT(in_batch_);
  NETFIN_ASSERT(events.size() <= core::kBatchEventsMax);
  ExpirePending(now_ns);
  auto apply = [this](const Transfer& t, uint64_t timestamp, TransferOutcome* outcome) {
    Transfer resolved;
    outcome->result = CheckTransfer(t, timestamp, &resolved);
    if (outcome->result != TR::kOk) return;
    // Point of no return.
    ApplyTransfer(resolved);
    outcome->timestamp = timestamp;
    outcome->amount = resolved.amount;
  };
  RunLinked<Transfer, TransferOutcome, CreateTransferResult>(
      events, outcomes, [this, now_ns] { return NextTimestamp(now_ns); }, apply,
      [this] { return OpenChain(); }, [this](const ChainMark& m) { Rollback(m); },
      [this] { CloseChain(); });
}

CreateTransferResult StateMachine::CheckTransfer(const Transfer& t, uint64_t timestamp,
                                                 Transfer* resolved) const {
  if (t.timestamp != 0) return TR::kTimestampMustBeZero;
  if ((t.flags & ~store::kTransferFlagsKnown) != 0) return TR::kReservedFlag;
  if (t.id.IsZero()) return TR::kIdMustNotBeZero;
  if (t.id.IsMax()) return TR::kIdMustNotBeIntMax;
  const bool post = Has(t.flags, TransferFlag::kPostPendingTransfer);
  const bool void_ = Has(t.flags, TransferFlag::kVoidPendingTransfer);
  if ((post && void_) ||
      ((post || void_) && (Has(t.flags, TransferFlag::kPending) || IsBalancing(t.flags)))) {
    return TR::kFlagsAreMutuallyExclusive;
  }
  if (post || void_) return CheckPostOrVoid(t, timestamp, resolved);

  if (t.debit_account_id.IsZero()) return TR::kDebitAccountIdMustNotBeZero;
  if (t.debit_account_id.IsMax()) return TR::kDebitAccountIdMustNotBeIntMax;
  if (t.credit_account_id.IsZero()) return TR::kCreditAccountIdMustNotBeZero;
  if (t.credit_account_id.IsMax()) return TR::kCreditAccountIdMustNotBeIntMax;
  if (t.debit_account_id == t.credit_account_id) return TR::kAccountsMustBeDifferent;
  if (!t.pending_id.IsZero()) return TR::kPendingIdMustBeZero;
  if (t.timeout != 0 && !Has(t.flags, TransferFlag::kPending)) {
    return TR::kTimeoutReservedForPendingTransfer;
  }
  if (t.amount == 0) return TR::kAmountMustNotBeZero;
  if (t.ledger == 0) return TR::kLedgerMustNotBeZero;
  if (t.code == 0) return TR::kCodeMustNotBeZero;

  const Account* dr = LookupAccount(t.debit_account_id);
  if (dr == nullptr) return TR::kDebitAccountNotFound;
  const Account* cr = LookupAccount(t.credit_account_id);
  if (cr == nullptr) return TR::kCreditAccountNotFound;
  if (dr->ledger != cr->ledger) return TR::kAccountsMustHaveTheSameLedger;
  if (t.ledger != dr->ledger) return TR::kTransferMustHaveTheSameLedgerAsAccounts;
  if (const Transfer* e = LookupTransfer(t.id)) return TransferExists(t, *e);
  if (Has(dr->flags, AccountFlag::kClosed)) return TR::kDebitAccountAlreadyClosed;
  if (Has(cr->flags, AccountFlag::kClosed)) return TR::kCreditAccountAlreadyClosed;

  *resolved = t;
  resolved->timestamp = timestamp;
  if (Has(t.flags, TransferFlag::kBalancingDebit)) {
    resolved->amount = std::min(
        resolved->amount, Headroom(dr->credits_posted, Sum(dr->debits_pending, dr->debits_posted)));
  }
  if (Has(t.flags, TransferFlag::kBalancingCredit)) {
    resolved->amount = std::min(
        resolved->amount, Headroom(cr->debits_posted, Sum(cr->credits_pending, cr->credits_posted)));
  }
  return CheckBalances(*resolved, *dr, *cr);
}

CreateTransferResult StateMachine::CheckBalances(const Transfer& t, const Account& dr,
                                                 const Account& cr) const {
  const AmountMinor amount = t.amount;
  if (Has(t.flags, TransferFlag::kPending)) {
    if (Overflows(dr.debits_pending, amount)) return TR::kOverflowsDebitsPending;
    if (Overflows(cr.credits_pending, amount)) return TR::kOverflowsCreditsPending;
  } else {
    if (Overflows(dr.debits_posted, amount)) return TR::kOverflowsDebitsPosted;
    if (Overflows(cr.credits_posted, amount)) return TR::kOverflowsCreditsPosted;
  }
  const AmountMinor dr_debits = Sum(dr.debits_pending, dr.debits_posted);
  const AmountMinor cr_credits = Sum(cr.credits_pending, cr.credits_posted);
  if (Overflows(dr_debits, amount)) return TR::kOverflowsDebits;
  if (Overflows(cr_credits, amount)) return TR::kOverflowsCredits;
  if (Has(t.flags, TransferFlag::kPending) && t.timeout != 0) {
    uint64_t expires_at;
    if (__builtin_add_overflow(t.timestamp, uint64_t{t.timeout} * core::kNanosPerSecond,
                               &expires_at)) {
      return TR::kOverflowsTimeout;
    }
  }
  if (Has(dr.flags, AccountFlag::kDebitsMustNotExceedCredits) &&
      dr_debits + amount > dr.credits_posted) {
    return TR::kExceedsCredits;
  }
  if (Has(cr.flags, AccountFlag::kCreditsMustNotExceedDebits) &&
      cr_credits + amount > cr.debits_posted) {
    return TR::kExceedsDebits;
  }
  return TR::kOk;
}

CreateTransferResult StateMachine::CheckPostOrVoid(const Transfer& t, uint64_t timestamp,
                                                   Transfer* resolved) const {
  const bool post = Has(t.flags, TransferFlag::kPostPendingTransfer);
  if (t.pending_id.IsZero()) return TR::kPendingIdMustNotBeZero;
  if (t.pending_id.IsMax()) return TR::kPendingIdMustNotBeIntMax;
  if (t.pending_id == t.id) return TR::kPendingIdMustBeDifferent;
  if (t.timeout != 0) return TR::kTimeoutReservedForPendingTransfer;
  if (t.amount == 0) return TR::kAmountMustNotBeZero;

  const TransferState* found = transfers_.Find(t.pending_id);
  if (found == nullptr) return TR::kPendingTransferNotFound;
  const TransferState& p = *found;
  if (!Has(p.transfer.flags, TransferFlag::kPending)) return TR::kPendingTransferNotPending;
  if (!t.debit_account_id.IsZero() && t.debit_account_id != p.transfer.debit_account_id) {
    return TR::kPendingTransferHasDifferentDebitAccountId;
  }
  if (!t.credit_account_id.IsZero() && t.credit_account_id != p.transfer.credit_account_id) {
    return TR::kPendingTransferHasDifferentCreditAccountId;
  }
  if (t.ledger != 0 && t.ledger != p.transfer.ledger) return TR::kPendingTransferHasDifferentLedger;
  if (t.code != 0 && t.code != p.transfer.code) return TR::kPendingTransferHasDifferentCode;

  AmountMinor amount = t.amount;
  if (amount == store::kAmountUpToMax) {
    amount = p.transfer.amount;
  } else if (post && amount > p.transfer.amount) {
    return TR::kExceedsPendingTransferAmount;
  } else if (!post && amount != p.transfer.amount) {
    return TR::kPendingTransferHasDifferentAmount;
  }
  if (const Transfer* e = LookupTransfer(t.id)) return TransferExists(t, *e);

  switch (p.pending_status) {
    case PendingStatus::kPosted: return TR::kPendingTransferAlreadyPosted;
    case PendingStatus::kVoided: return TR::kPendingTransferAlreadyVoided;
    case PendingStatus::kExpired: return TR::kPendingTransferExpired;
    case PendingStatus::kPending: break;
    case PendingStatus::kNone: NETFIN_ASSERT(false && "a pending transfer has a status"); break;
  }
  if (p.expires_at_ns != 0 && p.expires_at_ns <= timestamp) return TR::kPendingTransferExpired;

  const Account* dr = LookupAccount(p.transfer.debit_account_id);
  const Account* cr = LookupAccount(p.transfer.credit_account_id);
  NETFIN_ASSERT(dr != nullptr && cr != nullptr);
  if (post) {
    // The pending amount is released first, so total debits cannot grow.
    if (Overflows(dr->debits_posted, amount)) return TR::kOverflowsDebitsPosted;
    if (Overflows(cr->credits_posted, amount)) return TR::kOverflowsCreditsPosted;
  }

  *resolved = t;
  resolved->debit_account_id = p.transfer.debit_account_id;
  resolved->credit_account_id = p.transfer.credit_account_id;
  resolved->ledger = p.transfer.ledger;
  resolved->code = p.transfer.code;
  resolved->amount = amount;
  resolved->timestamp = timestamp;
  return TR::kOk;
}

void StateMachine::ApplyTransfer(const Transfer& t) {
  NETFIN_ASSERT(t.timestamp == timestamp_last_);
  AccountState& dr = MutableAccount(t.debit_account_id);
  AccountState& cr = MutableAccount(t.credit_account_id);
  NETFIN_ASSERT(dr.account.ledger == t.ledger && cr.account.ledger == t.ledger);
  TransferState created{t, 0, PendingStatus::kNone};

  if (IsPostOrVoid(t.flags)) {
    TransferState& p = transfers_.At(t.pending_id);
    if (in_chain_) undo_.push_back(Undo{Undo::Kind::kPendingStatus, t.pending_id, {}, p.pending_status});
    const PendingStatus to = ResolvedStatus(t.flags);
    ReleasePending(p, dr.account, cr.account, to);
    if (to == PendingStatus::kPosted) {
      AddChecked(&dr.account.debits_posted, t.amount);
      AddChecked(&cr.account.credits_posted, t.amount);
    }
  } else if (Has(t.flags, TransferFlag::kPending)) {
    AddChecked(&dr.account.debits_pending, t.amount);
    AddChecked(&cr.account.credits_pending, t.amount);
    created.pending_status = PendingStatus::kPending;
    created.expires_at_ns = ExpiresAtNs(t);
  } else {
    AddChecked(&dr.account.debits_posted, t.amount);
    AddChecked(&cr.account.credits_posted, t.amount);
  }

  RecordBalance(dr.account, t.timestamp);
  RecordBalance(cr.account, t.timestamp);
  if (created.expires_at_ns != 0) expiry_queue_.emplace(created.expires_at_ns, t.id);
  const bool inserted = transfers_.Insert(t.id, created);
  NETFIN_ASSERT(inserted);
  if (in_chain_) undo_.push_back(Undo{Undo::Kind::kTransferCreated, t.id, {}, {}});
  changes_.transfers_created.push_back(t);
}

size_t StateMachine::ExpirePending(uint64_t now_ns) {
  NETFIN_ASSERT(in_batch_);
  NETFIN_ASSERT(!in_chain_);
  size_t expired = 0;
  while (TransferState* pending = LiveExpiryAtTop()) {
    if (pending->expires_at_ns > now_ns) break;
    expiry_queue_.pop();
    const uint64_t timestamp = NextTimestamp(now_ns);
    const Transfer& p = pending->transfer;
    AccountState& dr = MutableAccount(p.debit_account_id);
    AccountState& cr = MutableAccount(p.credit_account_id);
    ReleasePending(*pending, dr.account, cr.account, PendingStatus::kExpired);
    changes_.expiries.push_back(Expiry{p.id, timestamp});
    RecordBalance(dr.account, timestamp);
    RecordBalance(cr.account, timestamp);
    ++expired;
  }
  return expired;
}

StateMachine::TransferState* StateMachine::LiveExpiryAtTop() {
  while (!expiry_queue_.empty()) {
    const auto& [expires_at_ns, id] = expiry_queue_.top();
    TransferState* state = transfers_.Find(id);
    // Stale entries: resolved already, or left by a rolled-back chain.
    if (state != nullptr && state->pending_status == PendingStatus::kPending &&
        state->expires_at_ns == expires_at_ns) {
      return state;
    }
    expiry_queue_.pop();
  }
  return nullptr;
}

void StateMachine::ReleasePending(TransferState& pending, Account& dr, Account& cr,
                                  PendingStatus to) {
  NETFIN_ASSERT(pending.pending_status == PendingStatus::kPending);
  NETFIN_ASSERT(dr.id == pending.transfer.debit_account_id);
  NETFIN_ASSERT(cr.id == pending.transfer.credit_account_id);
  SubtractChecked(&dr.debits_pending, pending.transfer.amount);
  SubtractChecked(&cr.credits_pending, pending.transfer.amount);
  pending.pending_status = to;
}

std::optional<uint64_t> StateMachine::NextExpiryNs() {
  const TransferState* pending = LiveExpiryAtTop();
  if (pending == nullptr) return std::nullopt;
  return pending->expires_at_ns;
}

// ---------------------------------------------------------------------------
// Accounts touched by a batch, history, chains.

StateMachine::AccountState& StateMachine::MutableAccount(const Id128& id) {
  auto it = accounts_.find(id);
  NETFIN_ASSERT(it != accounts_.end());
  if (in_chain_) undo_.push_back(Undo{Undo::Kind::kBalances, id, it->second.account, {}});
  Touch(it->second);
  return it->second;
}

void StateMachine::Touch(AccountState& state) {
  if (state.touched_epoch == epoch_) return;
  state.touched_epoch = epoch_;
  touched_.push_back(state.account.id);
}

void StateMachine::RecordBalance(const Account& account, uint64_t timestamp) {
  if (!Has(account.flags, AccountFlag::kHistory)) return;
  changes_.balances.push_back(AccountBalance{account.id, timestamp, account.debits_pending,
                                             account.debits_posted, account.credits_pending,
                                             account.credits_posted});
}

StateMachine::ChainMark StateMachine::OpenChain() {
  NETFIN_ASSERT(!in_chain_);
  NETFIN_ASSERT(undo_.empty());
  in_chain_ = true;
  return ChainMark{changes_.accounts_created.size(), changes_.transfers_created.size(),
                   changes_.balances.size(), undo_.size(), touched_.size()};
}

// The undo log serves the open chain only: kept past it, it would grow by
// every linked event for the life of the process (and stall the applier
// each time the vector doubled).
void StateMachine::CloseChain() {
  NETFIN_ASSERT(in_chain_);
  in_chain_ = false;
  undo_.clear();
}

void StateMachine::Rollback(const ChainMark& mark) {
  NETFIN_ASSERT(in_chain_);
  NETFIN_ASSERT(undo_.size() >= mark.undo);
  for (size_t i = undo_.size(); i > mark.undo; --i) {
    const Undo& u = undo_[i - 1];
    switch (u.kind) {
      case Undo::Kind::kAccountCreated: accounts_.erase(u.id); break;
      case Undo::Kind::kTransferCreated: transfers_.Erase(u.id); break;
      case Undo::Kind::kBalances: accounts_.at(u.id).account = u.balances_before; break;
      case Undo::Kind::kPendingStatus: transfers_.At(u.id).pending_status = u.status_before; break;
    }
  }
  undo_.resize(mark.undo);
  // Accounts first touched inside the chain are untouched again.
  for (size_t i = mark.touched; i < touched_.size(); ++i) {
    if (auto it = accounts_.find(touched_[i]); it != accounts_.end()) it->second.touched_epoch = 0;
  }
  touched_.resize(mark.touched);
  changes_.accounts_created.resize(mark.accounts_created);
  changes_.transfers_created.resize(mark.transfers_created);
  changes_.balances.resize(mark.balances);
}

// ---------------------------------------------------------------------------
// Lookups and invariants.

const Account* StateMachine::LookupAccount(const Id128& id) const {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : &it->second.account;
}

const Transfer* StateMachine::LookupTransfer(const Id128& id) const {
  const TransferState* state = transfers_.Find(id);
  return state == nullptr ? nullptr : &state->transfer;
}

PendingStatus StateMachine::GetPendingStatus(const Id128& pending_id) const {
  const TransferState* state = transfers_.Find(pending_id);
  return state == nullptr ? PendingStatus::kNone : state->pending_status;
}

void StateMachine::AssertInvariants() const {
  // Outside a chain the undo log is empty: it must not outlive the chain.
  NETFIN_ASSERT(in_chain_ || undo_.empty());
  __extension__ typedef unsigned __int128 U128;  // sums over many accounts exceed 2^64
  struct Sums { U128 debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0, pending = 0; };
  std::map<uint32_t, Sums> by_ledger;
  for (const auto& [id, state] : accounts_) {
    const Account& a = state.account;
    Sums& s = by_ledger[a.ledger];
    s.debits_pending += a.debits_pending;
    s.debits_posted += a.debits_posted;
    s.credits_pending += a.credits_pending;
    s.credits_posted += a.credits_posted;
    NETFIN_ASSERT(Sum(a.debits_pending, a.debits_posted) <= core::kAmountMax);
    NETFIN_ASSERT(Sum(a.credits_pending, a.credits_posted) <= core::kAmountMax);
    if (Has(a.flags, AccountFlag::kDebitsMustNotExceedCredits)) {
      NETFIN_ASSERT(a.debits_pending + a.debits_posted <= a.credits_posted);
    }
    if (Has(a.flags, AccountFlag::kCreditsMustNotExceedDebits)) {
      NETFIN_ASSERT(a.credits_pending + a.credits_posted <= a.debits_posted);
    }
  }
  transfers_.ForEach([&](const Id128&, const TransferState& state) {
    if (state.pending_status == PendingStatus::kPending) by_ledger[state.transfer.ledger].pending += state.transfer.amount;
  });
  for (const auto& [ledger, s] : by_ledger) {
    NETFIN_ASSERT(s.debits_posted == s.credits_posted);
    NETFIN_ASSERT(s.debits_pending == s.credits_pending);
    NETFIN_ASSERT(s.debits_pending == s.pending);
  }
}

// ---------------------------------------------------------------------------
// Recovery.

class StateMachine::RestoreVisitor final : public store::StateVisitor {
 public:
  explicit RestoreVisitor(StateMachine& sm) : sm_(sm) {}

  void OnAccount(const Account& a) override {
    NETFIN_ASSERT(sm_.accounts_.emplace(a.id, AccountState{a, 0}).second);
    sm_.timestamp_last_ = std::max(sm_.timestamp_last_, a.timestamp);
  }

  void OnTransfer(const Transfer& t) override {
    TransferState state{t, 0, PendingStatus::kNone};
    if (IsPostOrVoid(t.flags)) {
      TransferState& p = sm_.transfers_.At(t.pending_id);
      NETFIN_ASSERT(p.pending_status == PendingStatus::kPending);
      p.pending_status = ResolvedStatus(t.flags);
    } else if (Has(t.flags, TransferFlag::kPending)) {
      state.pending_status = PendingStatus::kPending;
      state.expires_at_ns = ExpiresAtNs(t);
      if (state.expires_at_ns != 0) sm_.expiry_queue_.emplace(state.expires_at_ns, t.id);
    }
    NETFIN_ASSERT(sm_.transfers_.Insert(t.id, state));
    sm_.timestamp_last_ = std::max(sm_.timestamp_last_, t.timestamp);
  }

  void OnExpiry(const Expiry& e) override {
    TransferState& p = sm_.transfers_.At(e.pending_id);
    NETFIN_ASSERT(p.pending_status == PendingStatus::kPending);
    p.pending_status = PendingStatus::kExpired;
    sm_.timestamp_last_ = std::max(sm_.timestamp_last_, e.timestamp);
  }

 private:
  StateMachine& sm_;
};

store::StateVisitor& StateMachine::Restorer() {
  NETFIN_ASSERT(!in_batch_);
  if (!restorer_) restorer_ = std::make_unique<RestoreVisitor>(*this);
  return *restorer_;
}

StateMachine::StateMachine() = default;
StateMachine::~StateMachine() = default;

}  // namespace netfin::ledger
