// A reference-model auditor for the state machine. A deliberately simple
// model of the ledger (std::map, straight-line code that follows
// docs/ledger.md rule by rule, a linked chain handled by copying the whole
// model at the chain's start and putting the copy back if the chain fails)
// replays random workloads beside the real StateMachine, from fixed seeds.
// After every call it compares every outcome (result, timestamp, amount),
// every account, every transfer and its pending status, and at every
// FinishBatch the batch's contents.
//
// The model is slow and obvious on purpose; the StateMachine is fast and
// clever (an undo log, an expiry queue). They share nothing but the records.
//
// NETFIN_PROPERTY_SEEDS sets the number of seeds (default 2000).

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/limits.h"
#include "ledger/results.h"
#include "ledger/state_machine.h"
#include "store/records.h"
#include "store/store.h"

namespace netfin::ledger {
namespace {

using AR = CreateAccountResult;
using TR = CreateTransferResult;

// 128-bit arithmetic, so that the model's sums cannot overflow and need no
// care; __extension__ keeps -Wpedantic quiet.
__extension__ typedef unsigned __int128 U128;

constexpr uint64_t kSecond = core::kNanosPerSecond;
constexpr AmountMinor kMax = core::kAmountMax;
constexpr AmountMinor kUpTo = store::kAmountUpToMax;

constexpr uint16_t kLinked = 1, kPending = 2, kPost = 4, kVoid = 8, kBalancingDebit = 16,
                   kBalancingCredit = 32, kTransferFlagsKnown = 0x3F;
constexpr uint16_t kDebitsLimit = 2, kCreditsLimit = 4, kHistory = 8, kClosed = 16,
                   kAccountFlagsKnown = 0x1F;

// The model. -----------------------------------------------------------------

struct ModelTransfer {
  Transfer transfer;  // as stored
  uint64_t expires_at_ns = 0;
  PendingStatus status = PendingStatus::kNone;
};

class Model {
 public:
  void BeginBatch() {
    state_.batch = {};
    state_.touched.clear();
  }

  std::vector<AccountOutcome> CreateAccounts(std::span<const Account> events, uint64_t now_ns) {
    return RunChains<Account, AccountOutcome, AR>(
        events, now_ns, [&](const Account& a, uint64_t ts) { return CreateAccount(a, ts); });
  }

  std::vector<TransferOutcome> CreateTransfers(std::span<const Transfer> events, uint64_t now_ns) {
    ExpirePending(now_ns);
    return RunChains<Transfer, TransferOutcome, TR>(
        events, now_ns, [&](const Transfer& t, uint64_t ts) { return CreateTransfer(t, ts); });
  }

  size_t ExpirePending(uint64_t now_ns) {
    std::vector<std::pair<uint64_t, Id128>> due;
    for (const auto& [id, mt] : state_.transfers) {
      if (mt.status == PendingStatus::kPending && mt.expires_at_ns != 0 &&
          mt.expires_at_ns <= now_ns) {
        due.emplace_back(mt.expires_at_ns, id);
      }
    }
    std::sort(due.begin(), due.end());
    for (const auto& [expires_at_ns, id] : due) {
      const uint64_t ts = NextTimestamp(now_ns);
      ModelTransfer& p = state_.transfers.at(id);
      Account& dr = state_.accounts.at(p.transfer.debit_account_id);
      Account& cr = state_.accounts.at(p.transfer.credit_account_id);
      dr.debits_pending -= p.transfer.amount;
      cr.credits_pending -= p.transfer.amount;
      p.status = PendingStatus::kExpired;
      state_.batch.expiries.push_back({id, ts});
      Touched(dr, cr, ts);
    }
    return due.size();
  }

  const std::map<Id128, Account>& accounts() const { return state_.accounts; }
  const std::map<Id128, ModelTransfer>& transfers() const { return state_.transfers; }
  const store::Batch& batch() const { return state_.batch; }
  const std::set<Id128>& touched() const { return state_.touched; }
  uint64_t timestamp_last() const { return timestamp_last_; }

  std::optional<uint64_t> NextExpiryNs() const {
    std::optional<uint64_t> next;
    for (const auto& [id, mt] : state_.transfers) {
      if (mt.status != PendingStatus::kPending || mt.expires_at_ns == 0) continue;
      if (!next || mt.expires_at_ns < *next) next = mt.expires_at_ns;
    }
    return next;
  }

 private:
  // Everything a failed chain must put back: the whole model but the clock.
  struct State {
    std::map<Id128, Account> accounts;
    std::map<Id128, ModelTransfer> transfers;
    store::Batch batch;       // what FinishBatch must hand over (accounts_updated aside)
    std::set<Id128> touched;  // accounts an ok transfer or expiry touched in this batch
  };

  uint64_t NextTimestamp(uint64_t now_ns) {
    timestamp_last_ = std::max(timestamp_last_ + 1, now_ns);
    return timestamp_last_;
  }

  // Linked chains: evaluate(event, ts) checks one event and, when it is ok,
  // applies it. A chain that fails is undone by restoring the copy taken at
  // its first event.
  template <typename Event, typename Outcome, typename Result, typename Evaluate>
  std::vector<Outcome> RunChains(std::span<const Event> events, uint64_t now_ns,
                                 Evaluate evaluate) {
    std::vector<Outcome> outcomes(events.size());
    std::optional<State> chain_start;
    size_t chain_first = 0;
    bool chain_failed = false;
    for (size_t i = 0; i < events.size(); ++i) {
      const uint64_t ts = NextTimestamp(now_ns);
      const bool linked = (events[i].flags & kLinked) != 0;
      if (linked && !chain_start) {
        chain_start = state_;
        chain_first = i;
        chain_failed = false;
      }
      Outcome outcome{};
      if (linked && i + 1 == events.size()) {
        outcome.result = Result::kLinkedEventChainOpen;
      } else if (chain_failed) {
        outcome.result = Result::kLinkedEventFailed;
      } else {
        outcome = evaluate(events[i], ts);
      }
      outcomes[i] = outcome;
      if (outcome.result != Result::kOk && chain_start && !chain_failed) {
        state_ = *chain_start;
        for (size_t j = chain_first; j < i; ++j) {
          outcomes[j] = Outcome{};
          outcomes[j].result = Result::kLinkedEventFailed;
        }
        chain_failed = true;
      }
      if (!linked) {
        chain_start.reset();
        chain_failed = false;
      }
    }
    return outcomes;
  }

  AccountOutcome CreateAccount(const Account& a, uint64_t ts) {
    const AR result = CheckAccount(a);
    if (result != AR::kOk) return {result, 0};
    Account created = a;
    created.timestamp = ts;
    state_.accounts[a.id] = created;
    state_.batch.accounts_created.push_back(created);
    return {AR::kOk, ts};
  }

  AR CheckAccount(const Account& a) const {
    if (a.timestamp != 0) return AR::kTimestampMustBeZero;
    if ((a.flags & ~kAccountFlagsKnown) != 0) return AR::kReservedFlag;
    if (a.id.IsZero()) return AR::kIdMustNotBeZero;
    if (a.id.IsMax()) return AR::kIdMustNotBeIntMax;
    if ((a.flags & kDebitsLimit) && (a.flags & kCreditsLimit)) return AR::kFlagsAreMutuallyExclusive;
    if (a.debits_pending != 0) return AR::kDebitsPendingMustBeZero;
    if (a.debits_posted != 0) return AR::kDebitsPostedMustBeZero;
    if (a.credits_pending != 0) return AR::kCreditsPendingMustBeZero;
    if (a.credits_posted != 0) return AR::kCreditsPostedMustBeZero;
    if (a.ledger == 0) return AR::kLedgerMustNotBeZero;
    if (a.code == 0) return AR::kCodeMustNotBeZero;
    const auto it = state_.accounts.find(a.id);
    if (it == state_.accounts.end()) return AR::kOk;
    const Account& e = it->second;
    if (a.flags != e.flags) return AR::kExistsWithDifferentFlags;
    if (a.user_data_128 != e.user_data_128) return AR::kExistsWithDifferentUserData128;
    if (a.user_data_64 != e.user_data_64) return AR::kExistsWithDifferentUserData64;
    if (a.user_data_32 != e.user_data_32) return AR::kExistsWithDifferentUserData32;
    if (a.ledger != e.ledger) return AR::kExistsWithDifferentLedger;
    if (a.code != e.code) return AR::kExistsWithDifferentCode;
    return AR::kExists;
  }

  TransferOutcome CreateTransfer(const Transfer& t, uint64_t ts) {
    Transfer stored;
    const TR result = CheckTransfer(t, ts, &stored);
    if (result != TR::kOk) return {result, 0, 0};
    if (t.flags & (kPost | kVoid)) {
      ApplyPostOrVoid(stored, ts);
    } else {
      ApplyNew(stored, ts);
    }
    state_.batch.transfers_created.push_back(stored);
    return {TR::kOk, ts, stored.amount};
  }

  TR CheckTransfer(const Transfer& t, uint64_t ts, Transfer* stored) const {
    if (t.timestamp != 0) return TR::kTimestampMustBeZero;
    if ((t.flags & ~kTransferFlagsKnown) != 0) return TR::kReservedFlag;
    if (t.id.IsZero()) return TR::kIdMustNotBeZero;
    if (t.id.IsMax()) return TR::kIdMustNotBeIntMax;
    const bool post = t.flags & kPost, void_ = t.flags & kVoid, pending = t.flags & kPending;
    const bool balancing = t.flags & (kBalancingDebit | kBalancingCredit);
    if ((post && void_) || ((post || void_) && (pending || balancing))) {
      return TR::kFlagsAreMutuallyExclusive;
    }
    if (post || void_) return CheckPostOrVoid(t, ts, stored);
    if (t.debit_account_id.IsZero()) return TR::kDebitAccountIdMustNotBeZero;
    if (t.debit_account_id.IsMax()) return TR::kDebitAccountIdMustNotBeIntMax;
    if (t.credit_account_id.IsZero()) return TR::kCreditAccountIdMustNotBeZero;
    if (t.credit_account_id.IsMax()) return TR::kCreditAccountIdMustNotBeIntMax;
    if (t.debit_account_id == t.credit_account_id) return TR::kAccountsMustBeDifferent;
    if (!t.pending_id.IsZero()) return TR::kPendingIdMustBeZero;
    if (t.timeout != 0 && !pending) return TR::kTimeoutReservedForPendingTransfer;
    if (t.amount == 0) return TR::kAmountMustNotBeZero;
    if (t.ledger == 0) return TR::kLedgerMustNotBeZero;
    if (t.code == 0) return TR::kCodeMustNotBeZero;
    const auto dr_it = state_.accounts.find(t.debit_account_id);
    if (dr_it == state_.accounts.end()) return TR::kDebitAccountNotFound;
    const auto cr_it = state_.accounts.find(t.credit_account_id);
    if (cr_it == state_.accounts.end()) return TR::kCreditAccountNotFound;
    const Account& dr = dr_it->second;
    const Account& cr = cr_it->second;
    if (dr.ledger != cr.ledger) return TR::kAccountsMustHaveTheSameLedger;
    if (t.ledger != dr.ledger) return TR::kTransferMustHaveTheSameLedgerAsAccounts;
    const auto e = state_.transfers.find(t.id);
    if (e != state_.transfers.end()) return CompareExisting(t, e->second.transfer);
    if (dr.flags & kClosed) return TR::kDebitAccountAlreadyClosed;
    if (cr.flags & kClosed) return TR::kCreditAccountAlreadyClosed;

    U128 amount = t.amount;
    if (t.flags & kBalancingDebit) {
      const U128 used = U128{dr.debits_pending} + dr.debits_posted;
      const U128 room = dr.credits_posted > used ? dr.credits_posted - used : 0;
      amount = std::min(amount, room);
    }
    if (t.flags & kBalancingCredit) {
      const U128 used = U128{cr.credits_pending} + cr.credits_posted;
      const U128 room = cr.debits_posted > used ? cr.debits_posted - used : 0;
      amount = std::min(amount, room);
    }
    if (pending) {
      if (dr.debits_pending + amount > kMax) return TR::kOverflowsDebitsPending;
      if (cr.credits_pending + amount > kMax) return TR::kOverflowsCreditsPending;
    } else {
      if (dr.debits_posted + amount > kMax) return TR::kOverflowsDebitsPosted;
      if (cr.credits_posted + amount > kMax) return TR::kOverflowsCreditsPosted;
    }
    const U128 dr_debits = U128{dr.debits_pending} + dr.debits_posted + amount;
    const U128 cr_credits = U128{cr.credits_pending} + cr.credits_posted + amount;
    if (dr_debits > kMax) return TR::kOverflowsDebits;
    if (cr_credits > kMax) return TR::kOverflowsCredits;
    if (pending && t.timeout > 0 && U128{ts} + U128{t.timeout} * kSecond > UINT64_MAX) {
      return TR::kOverflowsTimeout;
    }
    if ((dr.flags & kDebitsLimit) && dr_debits > dr.credits_posted) return TR::kExceedsCredits;
    if ((cr.flags & kCreditsLimit) && cr_credits > cr.debits_posted) return TR::kExceedsDebits;
    *stored = t;
    stored->amount = static_cast<AmountMinor>(amount);
    stored->timestamp = ts;
    return TR::kOk;
  }

  TR CheckPostOrVoid(const Transfer& t, uint64_t ts, Transfer* stored) const {
    const bool post = t.flags & kPost;
    if (t.pending_id.IsZero()) return TR::kPendingIdMustNotBeZero;
    if (t.pending_id.IsMax()) return TR::kPendingIdMustNotBeIntMax;
    if (t.pending_id == t.id) return TR::kPendingIdMustBeDifferent;
    if (t.timeout != 0) return TR::kTimeoutReservedForPendingTransfer;
    if (t.amount == 0) return TR::kAmountMustNotBeZero;
    const auto p_it = state_.transfers.find(t.pending_id);
    if (p_it == state_.transfers.end()) return TR::kPendingTransferNotFound;
    const ModelTransfer& mp = p_it->second;
    const Transfer& p = mp.transfer;
    if (!(p.flags & kPending)) return TR::kPendingTransferNotPending;
    if (!t.debit_account_id.IsZero() && t.debit_account_id != p.debit_account_id) {
      return TR::kPendingTransferHasDifferentDebitAccountId;
    }
    if (!t.credit_account_id.IsZero() && t.credit_account_id != p.credit_account_id) {
      return TR::kPendingTransferHasDifferentCreditAccountId;
    }
    if (t.ledger != 0 && t.ledger != p.ledger) return TR::kPendingTransferHasDifferentLedger;
    if (t.code != 0 && t.code != p.code) return TR::kPendingTransferHasDifferentCode;
    AmountMinor amount = t.amount;
    if (t.amount == kUpTo) {
      amount = p.amount;
    } else if (post && t.amount > p.amount) {
      return TR::kExceedsPendingTransferAmount;
    } else if (!post && t.amount != p.amount) {
      return TR::kPendingTransferHasDifferentAmount;
    }
    const auto e = state_.transfers.find(t.id);
    if (e != state_.transfers.end()) return CompareExisting(t, e->second.transfer);
    if (mp.status == PendingStatus::kPosted) return TR::kPendingTransferAlreadyPosted;
    if (mp.status == PendingStatus::kVoided) return TR::kPendingTransferAlreadyVoided;
    if (mp.status == PendingStatus::kExpired) return TR::kPendingTransferExpired;
    if (mp.expires_at_ns != 0 && mp.expires_at_ns <= ts) return TR::kPendingTransferExpired;
    if (post) {
      const Account& dr = state_.accounts.at(p.debit_account_id);
      const Account& cr = state_.accounts.at(p.credit_account_id);
      if (U128{dr.debits_posted} + amount > kMax) return TR::kOverflowsDebitsPosted;
      if (U128{cr.credits_posted} + amount > kMax) return TR::kOverflowsCreditsPosted;
    }
    *stored = t;
    stored->debit_account_id = p.debit_account_id;
    stored->credit_account_id = p.credit_account_id;
    stored->ledger = p.ledger;
    stored->code = p.code;
    stored->amount = post ? amount : p.amount;
    stored->timestamp = ts;
    return TR::kOk;
  }

  static TR CompareExisting(const Transfer& t, const Transfer& e) {
    if (t.flags != e.flags) return TR::kExistsWithDifferentFlags;
    if (t.pending_id != e.pending_id) return TR::kExistsWithDifferentPendingId;
    if (t.timeout != e.timeout) return TR::kExistsWithDifferentTimeout;
    if (!t.debit_account_id.IsZero() && t.debit_account_id != e.debit_account_id) {
      return TR::kExistsWithDifferentDebitAccountId;
    }
    if (!t.credit_account_id.IsZero() && t.credit_account_id != e.credit_account_id) {
      return TR::kExistsWithDifferentCreditAccountId;
    }
    const bool balancing = t.flags & (kBalancingDebit | kBalancingCredit);
    if (balancing || t.amount == kUpTo) {
      if (t.amount < e.amount) return TR::kExistsWithDifferentAmount;
    } else if (t.amount != e.amount) {
      return TR::kExistsWithDifferentAmount;
    }
    if (t.user_data_128 != e.user_data_128) return TR::kExistsWithDifferentUserData128;
    if (t.user_data_64 != e.user_data_64) return TR::kExistsWithDifferentUserData64;
    if (t.user_data_32 != e.user_data_32) return TR::kExistsWithDifferentUserData32;
    if (t.ledger != 0 && t.ledger != e.ledger) return TR::kExistsWithDifferentLedger;
    if (t.code != 0 && t.code != e.code) return TR::kExistsWithDifferentCode;
    return TR::kExists;
  }

  void ApplyNew(const Transfer& t, uint64_t ts) {
    Account& dr = state_.accounts.at(t.debit_account_id);
    Account& cr = state_.accounts.at(t.credit_account_id);
    ModelTransfer mt{t, 0, PendingStatus::kNone};
    if (t.flags & kPending) {
      dr.debits_pending += t.amount;
      cr.credits_pending += t.amount;
      mt.status = PendingStatus::kPending;
      mt.expires_at_ns = t.timeout == 0 ? 0 : ts + uint64_t{t.timeout} * kSecond;
    } else {
      dr.debits_posted += t.amount;
      cr.credits_posted += t.amount;
    }
    state_.transfers[t.id] = mt;
    Touched(dr, cr, ts);
  }

  void ApplyPostOrVoid(const Transfer& t, uint64_t ts) {
    ModelTransfer& p = state_.transfers.at(t.pending_id);
    Account& dr = state_.accounts.at(p.transfer.debit_account_id);
    Account& cr = state_.accounts.at(p.transfer.credit_account_id);
    dr.debits_pending -= p.transfer.amount;
    cr.credits_pending -= p.transfer.amount;
    if (t.flags & kPost) {
      dr.debits_posted += t.amount;
      cr.credits_posted += t.amount;
      p.status = PendingStatus::kPosted;
    } else {
      p.status = PendingStatus::kVoided;
    }
    state_.transfers[t.id] = ModelTransfer{t, 0, PendingStatus::kNone};
    Touched(dr, cr, ts);
  }

  // An ok transfer or an expiry touched dr and cr: history rows, debit first.
  void Touched(const Account& dr, const Account& cr, uint64_t ts) {
    for (const Account* a : {&dr, &cr}) {
      state_.touched.insert(a->id);
      if (a->flags & kHistory) {
        state_.batch.balances.push_back({a->id, ts, a->debits_pending, a->debits_posted,
                                         a->credits_pending, a->credits_posted});
      }
    }
  }

  State state_;
  uint64_t timestamp_last_ = 0;
};

// The workload. --------------------------------------------------------------

constexpr uint64_t kAccountIdsMax = 12;  // a small id space, so ids collide often
constexpr uint64_t kStartNs = 1'700'000'000 * kSecond;

struct Call {
  enum class Kind { kAccounts, kTransfers, kExpire };
  Kind kind = Kind::kTransfers;
  uint64_t now_ns = 0;
  std::vector<Account> accounts;
  std::vector<Transfer> transfers;
};

// Random calls from one seed. It peeks at the model to aim posts and voids at
// real pending transfers and debits at accounts that exist, so that most
// events get past validation and exercise the interesting rules.
class Workload {
 public:
  explicit Workload(uint64_t seed) : rng_(seed), huge_amounts_(seed % 4 == 0) {}

  size_t CallsInNextBatch() { return Uniform(1, 3); }

  Call Next(const Model& model) {
    Call call;
    AdvanceClock();
    call.now_ns = now_ns_;
    if (calls_++ == 0) {
      call.kind = Call::Kind::kAccounts;
      for (uint64_t id = 1; id <= kAccountIdsMax; ++id) call.accounts.push_back(NewAccount(id));
      return call;
    }
    const uint64_t r = Uniform(0, 99);
    if (r < 12) {
      call.kind = Call::Kind::kAccounts;
      const size_t n = Uniform(1, 8);
      for (size_t i = 0; i < n; ++i) call.accounts.push_back(AnyAccount());
    } else if (r < 20) {
      call.kind = Call::Kind::kExpire;
    } else {
      call.kind = Call::Kind::kTransfers;
      const size_t n = Uniform(1, 20);
      for (size_t i = 0; i < n; ++i) call.transfers.push_back(AnyTransfer(model));
    }
    return call;
  }

 private:
  uint64_t Uniform(uint64_t lo, uint64_t hi) { return lo + rng_() % (hi - lo + 1); }
  bool Chance(uint64_t percent) { return Uniform(0, 99) < percent; }
  static Id128 Id(uint64_t v) { return Id128::FromU64(v); }

  // Mostly forward in small or large steps, now and then back.
  void AdvanceClock() {
    const uint64_t r = Uniform(0, 99);
    if (r < 35) {
      now_ns_ += Uniform(0, 1000);
    } else if (r < 65) {
      now_ns_ += Uniform(0, kSecond);
    } else if (r < 90) {
      now_ns_ += Uniform(kSecond, 3 * kSecond);
    } else {
      now_ns_ -= std::min(now_ns_ - kStartNs, Uniform(0, 3 * kSecond));
    }
  }

  Account NewAccount(uint64_t id) {
    Account a;
    a.id = Id(id);
    a.ledger = Chance(90) ? 1 : 2;
    a.code = static_cast<uint16_t>(Uniform(1, 2));
    if (Chance(20)) a.flags |= kDebitsLimit;
    if (Chance(20)) a.flags |= kCreditsLimit;
    if (Chance(30)) a.flags |= kHistory;
    if (Chance(3)) a.flags |= kClosed;
    a.user_data_128 = Id(Uniform(0, 2));
    a.user_data_64 = Uniform(0, 2);
    a.user_data_32 = static_cast<uint32_t>(Uniform(0, 2));
    return a;
  }

  Account AnyAccount() {
    Account a;
    if (!accounts_sent_.empty() && Chance(20)) {
      a = accounts_sent_[Uniform(0, accounts_sent_.size() - 1)];  // a retry
    } else {
      a = NewAccount(Uniform(1, kAccountIdsMax + 3));
      if (Chance(15)) a.flags |= kLinked;
      if (Chance(6)) BreakAccount(a);
    }
    accounts_sent_.push_back(a);
    return a;
  }

  void BreakAccount(Account& a) {
    switch (Uniform(0, 9)) {
      case 0: a.timestamp = Uniform(1, 5); break;
      case 1: a.flags |= static_cast<uint16_t>(1u << Uniform(5, 15)); break;
      case 2: a.id = {}; break;
      case 3: a.id = Id128::Max(); break;
      case 4: a.debits_pending = 1; break;
      case 5: a.debits_posted = 1; break;
      case 6: a.credits_pending = 1; break;
      case 7: a.credits_posted = 1; break;
      case 8: a.ledger = 0; break;
      default: a.code = 0; break;
    }
  }

  Transfer AnyTransfer(const Model& model) {
    const uint64_t r = Uniform(0, 99);
    Transfer t;
    if (r < 12 && !transfers_sent_.empty()) {
      t = transfers_sent_[Uniform(0, transfers_sent_.size() - 1)];
      if (Chance(50)) Mutate(t, model);
    } else if (r < 37) {
      t = PostOrVoid(model);
    } else {
      t = NewTransfer(model);
      if (r < 44) BreakTransfer(t);
    }
    transfers_sent_.push_back(t);
    return t;
  }

  Id128 NextTransferId() {
    if (!transfers_sent_.empty() && Chance(3)) {
      return transfers_sent_[Uniform(0, transfers_sent_.size() - 1)].id;  // a collision
    }
    return Id(transfer_id_next_++);
  }

  // Mostly the accounts created first; now and then one created later (13 to
  // 15) or one that never exists (17).
  Id128 AccountRef() {
    if (Chance(3)) return Id(kAccountIdsMax + 5);
    return Id(Chance(90) ? Uniform(1, kAccountIdsMax) : Uniform(1, kAccountIdsMax + 3));
  }

  AmountMinor Amount(bool balancing) {
    const uint64_t r = Uniform(0, 99);
    if (r < 3) return 0;
    if (balancing && r < 40) return kUpTo;
    if (huge_amounts_ && r < 5) return kMax - Uniform(0, 100);
    if (r < 75) return Uniform(1, 100);
    return Uniform(1, 10'000);
  }

  Transfer NewTransfer(const Model& model) {
    Transfer t;
    t.id = NextTransferId();
    t.debit_account_id = AccountRef();
    t.credit_account_id = AccountRef();
    const auto dr = model.accounts().find(t.debit_account_id);
    t.ledger = (dr != model.accounts().end() && Chance(95)) ? dr->second.ledger
                                                            : static_cast<uint32_t>(Uniform(1, 2));
    t.code = static_cast<uint16_t>(Uniform(1, 2));
    if (Chance(35)) {
      t.flags |= kPending;
      t.timeout = Chance(40) ? 0 : static_cast<uint32_t>(Uniform(1, 3));
    }
    if (Chance(10)) t.flags |= kBalancingDebit;
    if (Chance(10)) t.flags |= kBalancingCredit;
    if (Chance(12)) t.flags |= kLinked;
    t.amount = Amount(t.flags & (kBalancingDebit | kBalancingCredit));
    t.user_data_128 = Id(Uniform(0, 2));
    t.user_data_64 = Uniform(0, 2);
    t.user_data_32 = static_cast<uint32_t>(Uniform(0, 2));
    return t;
  }

  // A post or void, mostly of a transfer that is (or was) pending.
  Transfer PostOrVoid(const Model& model) {
    Transfer t;
    t.id = NextTransferId();
    t.flags = Chance(60) ? kPost : kVoid;
    if (Chance(15)) t.flags |= kLinked;
    const std::optional<Transfer> p = PickPending(model);
    if (p) {
      t.pending_id = p->id;
    } else {
      switch (Uniform(0, 3)) {
        case 0: t.pending_id = {}; break;
        case 1: t.pending_id = Id128::Max(); break;
        case 2: t.pending_id = t.id; break;
        default: t.pending_id = Id(transfer_id_next_ + 1000); break;
      }
    }
    const AmountMinor p_amount = p ? p->amount : Uniform(1, 100);
    const uint64_t r = Uniform(0, 99);
    if (r < 40) {
      t.amount = kUpTo;
    } else if (r < 65) {
      t.amount = p_amount == 0 ? kUpTo : p_amount;
    } else if (r < 85) {
      t.amount = Uniform(1, std::max<AmountMinor>(1, std::min<AmountMinor>(p_amount, 1'000'000)));
    } else if (r < 92) {
      t.amount = p_amount + 1;
    } else if (r < 96) {
      t.amount = 0;
    } else {
      t.amount = Uniform(1, 200);
    }
    if (Chance(10)) t.debit_account_id = (p && Chance(60)) ? p->debit_account_id : AccountRef();
    if (Chance(10)) t.credit_account_id = (p && Chance(60)) ? p->credit_account_id : AccountRef();
    if (Chance(10)) t.ledger = (p && Chance(60)) ? p->ledger : static_cast<uint32_t>(Uniform(1, 2));
    if (Chance(10)) t.code = (p && Chance(60)) ? p->code : static_cast<uint16_t>(Uniform(1, 2));
    if (Chance(3)) t.timeout = 1;
    t.user_data_64 = Uniform(0, 1);
    return t;
  }

  std::optional<Transfer> PickPending(const Model& model) {
    if (Chance(8)) {
      // Not a pending transfer: a plain one, if any.
      for (int tries = 0; tries < 4 && !transfers_sent_.empty(); ++tries) {
        const auto it = model.transfers().find(
            transfers_sent_[Uniform(0, transfers_sent_.size() - 1)].id);
        if (it != model.transfers().end()) return it->second.transfer;
      }
      return std::nullopt;
    }
    // Prefer the recent: pick among the last few pending transfers.
    std::vector<const Transfer*> pending;
    for (auto it = model.transfers().rbegin(); it != model.transfers().rend(); ++it) {
      if (it->second.transfer.flags & kPending) pending.push_back(&it->second.transfer);
    }
    if (pending.empty()) return std::nullopt;
    const size_t recent = std::min<size_t>(pending.size(), 16);
    return *pending[Uniform(0, recent - 1)];
  }

  // A retry with one field changed (or a flag toggled).
  void Mutate(Transfer& t, const Model& model) {
    switch (Uniform(0, 10)) {
      case 0: t.amount = t.amount == kUpTo ? 1 : t.amount + 1; break;
      case 1: t.amount = t.amount > 1 && t.amount != kUpTo ? t.amount - 1 : kUpTo; break;
      case 2: t.user_data_128 = Id(Uniform(3, 4)); break;
      case 3: t.user_data_64 = Uniform(3, 4); break;
      case 4: t.user_data_32 = static_cast<uint32_t>(Uniform(3, 4)); break;
      case 5: t.code = static_cast<uint16_t>(t.code == 1 ? 2 : 1); break;
      case 6: t.timeout = t.timeout == 0 ? 2 : 0; break;
      case 7: t.flags ^= static_cast<uint16_t>(1u << Uniform(0, 5)); break;
      case 8: t.debit_account_id = AccountRef(); break;
      case 9: t.credit_account_id = AccountRef(); break;
      default: {
        const std::optional<Transfer> p = PickPending(model);
        if (p) t.pending_id = p->id;
        break;
      }
    }
  }

  void BreakTransfer(Transfer& t) {
    switch (Uniform(0, 15)) {
      case 0: t.timestamp = Uniform(1, 5); break;
      case 1: t.flags |= static_cast<uint16_t>(1u << Uniform(6, 15)); break;
      case 2: t.id = {}; break;
      case 3: t.id = Id128::Max(); break;
      case 4: t.flags |= kPost | kVoid; break;
      case 5: t.flags |= kPost | kPending; break;
      case 6: t.debit_account_id = {}; break;
      case 7: t.debit_account_id = Id128::Max(); break;
      case 8: t.credit_account_id = {}; break;
      case 9: t.credit_account_id = Id128::Max(); break;
      case 10: t.credit_account_id = t.debit_account_id; break;
      case 11: t.pending_id = Id(5); break;
      case 12: t.flags &= static_cast<uint16_t>(~kPending); t.timeout = 1; break;
      case 13: t.amount = 0; break;
      case 14: t.ledger = 0; break;
      default: t.code = 0; break;
    }
  }

  std::mt19937_64 rng_;
  bool huge_amounts_;  // a quarter of the seeds push balances towards kAmountMax
  uint64_t now_ns_ = kStartNs;
  size_t calls_ = 0;
  uint64_t transfer_id_next_ = 1000;
  std::vector<Account> accounts_sent_;
  std::vector<Transfer> transfers_sent_;
};

// The comparison. ------------------------------------------------------------

std::string Str(const Id128& id) { return id.ToDecimal(); }

std::string Describe(const Account& a) {
  char text[256];
  std::snprintf(text, sizeof text,
                "account{id=%s ledger=%u code=%u flags=0x%x ud=%s/%llu/%u ts=%llu "
                "balances=%llu/%llu/%llu/%llu}",
                Str(a.id).c_str(), a.ledger, a.code, a.flags, Str(a.user_data_128).c_str(),
                static_cast<unsigned long long>(a.user_data_64), a.user_data_32,
                static_cast<unsigned long long>(a.timestamp),
                static_cast<unsigned long long>(a.debits_pending),
                static_cast<unsigned long long>(a.debits_posted),
                static_cast<unsigned long long>(a.credits_pending),
                static_cast<unsigned long long>(a.credits_posted));
  return text;
}

std::string Describe(const Transfer& t) {
  char text[320];
  std::snprintf(text, sizeof text,
                "transfer{id=%s dr=%s cr=%s amount=%llu pending_id=%s timeout=%u ledger=%u "
                "code=%u flags=0x%x ud=%s/%llu/%u ts=%llu}",
                Str(t.id).c_str(), Str(t.debit_account_id).c_str(),
                Str(t.credit_account_id).c_str(), static_cast<unsigned long long>(t.amount),
                Str(t.pending_id).c_str(), t.timeout, t.ledger, t.code, t.flags,
                Str(t.user_data_128).c_str(), static_cast<unsigned long long>(t.user_data_64),
                t.user_data_32, static_cast<unsigned long long>(t.timestamp));
  return text;
}

std::string Describe(const Expiry& e) {
  return "expiry{" + Str(e.pending_id) + " ts=" + std::to_string(e.timestamp) + "}";
}

std::string Describe(const AccountBalance& b) {
  return "balance{" + Str(b.account_id) + " ts=" + std::to_string(b.timestamp) + " " +
         std::to_string(b.debits_pending) + "/" + std::to_string(b.debits_posted) + "/" +
         std::to_string(b.credits_pending) + "/" + std::to_string(b.credits_posted) + "}";
}

template <typename Record>
std::string Describe(const std::vector<Record>& records) {
  std::string text = "[";
  for (const Record& r : records) text += "\n    " + Describe(r);
  return text + "]";
}

struct Totals {
  uint64_t seeds = 0;
  uint64_t calls = 0;
  uint64_t events = 0;
  uint64_t expiries = 0;
  std::map<AR, uint64_t> account_results;
  std::map<TR, uint64_t> transfer_results;
};

// Runs one seed; returns false (after reporting) at the first disagreement.
class Audit {
 public:
  Audit(uint64_t seed, size_t calls, Totals* totals)
      : seed_(seed), calls_(calls), workload_(seed), totals_(totals) {}

  bool Run() {
    while (step_ < calls_) {
      sm_.BeginBatch();
      model_.BeginBatch();
      const size_t n = workload_.CallsInNextBatch();
      for (size_t i = 0; i < n && step_ < calls_; ++i, ++step_) {
        if (!RunCall(workload_.Next(model_))) return false;
        if (!CompareState()) return false;
      }
      store::Batch batch;
      sm_.FinishBatch(&batch);
      if (!CompareBatch(batch)) return false;
    }
    return true;
  }

 private:
  bool Fail(const std::string& what) {
    ADD_FAILURE() << "seed " << seed_ << ", call " << step_ << ": " << what
                  << "\n  (replay: this seed alone reproduces it)";
    return false;
  }

  bool RunCall(const Call& call) {
    ++totals_->calls;
    switch (call.kind) {
      case Call::Kind::kAccounts: return RunAccounts(call);
      case Call::Kind::kTransfers: return RunTransfers(call);
      case Call::Kind::kExpire: {
        const size_t got = sm_.ExpirePending(call.now_ns);
        const size_t want = model_.ExpirePending(call.now_ns);
        totals_->expiries += want;
        if (got != want) {
          return Fail("ExpirePending(" + std::to_string(call.now_ns) + ") expired " +
                      std::to_string(got) + ", model " + std::to_string(want));
        }
        return true;
      }
    }
    return Fail("unknown call kind");
  }

  bool RunAccounts(const Call& call) {
    std::vector<AccountOutcome> got;
    sm_.CreateAccounts(call.accounts, call.now_ns, &got);
    const std::vector<AccountOutcome> want = model_.CreateAccounts(call.accounts, call.now_ns);
    if (got.size() != want.size()) return Fail("CreateAccounts: wrong number of outcomes");
    for (size_t i = 0; i < want.size(); ++i) {
      ++totals_->events;
      ++totals_->account_results[want[i].result];
      if (got[i].result != want[i].result || got[i].timestamp != want[i].timestamp) {
        return Fail("CreateAccounts event " + std::to_string(i) + " of " +
                    std::to_string(want.size()) + " " + Describe(call.accounts[i]) + " at now " +
                    std::to_string(call.now_ns) + ": got " + std::string(ResultName(got[i].result)) +
                    " ts " + std::to_string(got[i].timestamp) + ", model " +
                    std::string(ResultName(want[i].result)) + " ts " +
                    std::to_string(want[i].timestamp) + "\n  call: " + Describe(call.accounts));
      }
    }
    return true;
  }

  bool RunTransfers(const Call& call) {
    const size_t expiries_before = model_.batch().expiries.size();
    std::vector<TransferOutcome> got;
    sm_.CreateTransfers(call.transfers, call.now_ns, &got);
    const std::vector<TransferOutcome> want = model_.CreateTransfers(call.transfers, call.now_ns);
    totals_->expiries += model_.batch().expiries.size() - expiries_before;
    if (got.size() != want.size()) return Fail("CreateTransfers: wrong number of outcomes");
    for (size_t i = 0; i < want.size(); ++i) {
      ++totals_->events;
      ++totals_->transfer_results[want[i].result];
      if (got[i].result != want[i].result || got[i].timestamp != want[i].timestamp ||
          got[i].amount != want[i].amount) {
        return Fail("CreateTransfers event " + std::to_string(i) + " of " +
                    std::to_string(want.size()) + " " + Describe(call.transfers[i]) + " at now " +
                    std::to_string(call.now_ns) + ": got " + std::string(ResultName(got[i].result)) +
                    " ts " + std::to_string(got[i].timestamp) + " amount " +
                    std::to_string(got[i].amount) + ", model " +
                    std::string(ResultName(want[i].result)) + " ts " +
                    std::to_string(want[i].timestamp) + " amount " +
                    std::to_string(want[i].amount) + "\n  call: " + Describe(call.transfers));
      }
    }
    return true;
  }

  bool CompareState() {
    sm_.AssertInvariants();
    if (sm_.timestamp_last() != model_.timestamp_last()) {
      return Fail("timestamp_last " + std::to_string(sm_.timestamp_last()) + ", model " +
                  std::to_string(model_.timestamp_last()));
    }
    if (sm_.account_count() != model_.accounts().size()) return Fail("account_count differs");
    if (sm_.transfer_count() != model_.transfers().size()) return Fail("transfer_count differs");
    std::map<uint32_t, std::array<U128, 4>> per_ledger;
    for (const auto& [id, want] : model_.accounts()) {
      const Account* got = sm_.LookupAccount(id);
      if (got == nullptr) return Fail("missing " + Describe(want));
      if (!(*got == want)) return Fail("got " + Describe(*got) + "\n  model " + Describe(want));
      std::array<U128, 4>& sums = per_ledger[got->ledger];
      sums[0] += got->debits_pending;
      sums[1] += got->debits_posted;
      sums[2] += got->credits_pending;
      sums[3] += got->credits_posted;
    }
    for (const auto& [ledger, sums] : per_ledger) {
      if (sums[0] != sums[2] || sums[1] != sums[3]) {
        return Fail("ledger " + std::to_string(ledger) + " does not balance");
      }
    }
    for (const auto& [id, want] : model_.transfers()) {
      const Transfer* got = sm_.LookupTransfer(id);
      if (got == nullptr) return Fail("missing " + Describe(want.transfer));
      if (!(*got == want.transfer)) {
        return Fail("got " + Describe(*got) + "\n  model " + Describe(want.transfer));
      }
      if (sm_.GetPendingStatus(id) != want.status) {
        return Fail("pending status of " + Str(id) + ": got " +
                    std::to_string(static_cast<int>(sm_.GetPendingStatus(id))) + ", model " +
                    std::to_string(static_cast<int>(want.status)));
      }
    }
    if (sm_.NextExpiryNs() != model_.NextExpiryNs()) return Fail("NextExpiryNs differs");
    return true;
  }

  bool CompareBatch(const store::Batch& got) {
    const store::Batch& want = model_.batch();
    if (got.accounts_created != want.accounts_created) {
      return Fail("batch.accounts_created: got " + Describe(got.accounts_created) + "\n  model " +
                  Describe(want.accounts_created));
    }
    if (got.transfers_created != want.transfers_created) {
      return Fail("batch.transfers_created: got " + Describe(got.transfers_created) +
                  "\n  model " + Describe(want.transfers_created));
    }
    if (got.expiries != want.expiries) {
      return Fail("batch.expiries: got " + Describe(got.expiries) + "\n  model " +
                  Describe(want.expiries));
    }
    if (got.balances != want.balances) {
      return Fail("batch.balances: got " + Describe(got.balances) + "\n  model " +
                  Describe(want.balances));
    }
    return CompareAccountsUpdated(got.accounts_updated);
  }

  // Every account an ok transfer or expiry touched, once, in its final
  // state; besides those, only accounts created in this batch may appear.
  bool CompareAccountsUpdated(const std::vector<Account>& updated) {
    std::set<Id128> seen;
    std::set<Id128> created;
    for (const Account& a : model_.batch().accounts_created) created.insert(a.id);
    for (const Account& a : updated) {
      if (!seen.insert(a.id).second) return Fail("accounts_updated lists twice " + Describe(a));
      const auto it = model_.accounts().find(a.id);
      if (it == model_.accounts().end() || !(it->second == a)) {
        return Fail("accounts_updated has " + Describe(a) + ", not the final state");
      }
      if (!model_.touched().contains(a.id) && !created.contains(a.id)) {
        return Fail("accounts_updated has untouched " + Describe(a));
      }
    }
    for (const Id128& id : model_.touched()) {
      if (!seen.contains(id)) return Fail("accounts_updated misses " + Str(id));
    }
    return true;
  }

  uint64_t seed_;
  size_t calls_;
  size_t step_ = 0;
  StateMachine sm_;
  Model model_;
  Workload workload_;
  Totals* totals_;
};

size_t SeedCount() {
  const char* text = std::getenv("NETFIN_PROPERTY_SEEDS");
  if (text == nullptr || *text == '\0') return 2000;
  return static_cast<size_t>(std::strtoull(text, nullptr, 10));
}

constexpr size_t kCallsPerSeed = 50;

// What the workload must reach over the default seeds: every account result,
// and these transfer results.
constexpr uint32_t kAccountResultCountChecked = kCreateAccountResultCount;
// Two are left out: overflows_timeout needs a clock near 2^64 (a scenario
// covers it) and exists_with_different_ledger cannot happen (see
// state_machine_test.cc).
std::vector<TR> TransferResultsExpected() {
  std::vector<TR> expected;
  for (uint32_t code = 0; code < kCreateTransferResultCount; ++code) {
    const auto r = static_cast<TR>(code);
    if (r != TR::kOverflowsTimeout && r != TR::kExistsWithDifferentLedger) expected.push_back(r);
  }
  return expected;
}
constexpr int kFailingSeedsReported = 3;
constexpr size_t kSeedsForCoverage = 1000;  // fewer seeds may miss the rarest results  // then stop: the first few say it all

TEST(StateMachineProperty, MatchesTheReferenceModel) {
  Totals totals;
  int failing = 0;
  const size_t seeds = SeedCount();
  for (uint64_t seed = 1; seed <= seeds && failing < kFailingSeedsReported; ++seed) {
    ++totals.seeds;
    if (!Audit(seed, kCallsPerSeed, &totals).Run()) ++failing;
  }
  std::printf("property: %llu seeds, %llu calls, %llu events, %llu expiries checked\n",
              static_cast<unsigned long long>(totals.seeds),
              static_cast<unsigned long long>(totals.calls),
              static_cast<unsigned long long>(totals.events),
              static_cast<unsigned long long>(totals.expiries));
  std::string seen;
  for (const auto& [r, n] : totals.account_results) {
    seen += " " + std::string(ResultName(r)) + "=" + std::to_string(n);
  }
  std::printf("accounts:%s\n", seen.c_str());
  seen.clear();
  for (const auto& [r, n] : totals.transfer_results) {
    seen += " " + std::string(ResultName(r)) + "=" + std::to_string(n);
  }
  std::printf("transfers:%s\n", seen.c_str());

  // The workload must keep reaching the rules that matter; a generator that
  // drifted into producing only validation failures would prove nothing.
  if (seeds < kSeedsForCoverage || failing > 0) return;
  for (uint32_t code = 0; code < kAccountResultCountChecked; ++code) {
    EXPECT_TRUE(totals.account_results.contains(static_cast<AR>(code)))
        << "the workload never produced " << ResultName(static_cast<AR>(code));
  }
  for (TR r : TransferResultsExpected()) {
    EXPECT_TRUE(totals.transfer_results.contains(r))
        << "the workload never produced " << ResultName(r);
  }
}

}  // namespace
}  // namespace netfin::ledger
