// Scenarios for the ledger's state machine, written as data: each row is one
// event (or a clock move, or a check of the state) and what it must answer.
// Rows marked kSameCall join the previous row's CreateAccounts or
// CreateTransfers call, which is what linked chains need; every other row is
// a call of its own. The suite provokes every result code (the last test
// checks that), tests boundaries (0, 1, max - 1, max), two-phase transfers,
// expiry, balancing, linked chains, idempotency by id and timestamps. Tests
// of what lands in the store::Batch follow the tables.
//
// The contract is docs/ledger.md. Where that page and the code disagree, the
// page wins and the code has the bug.

#include "ledger/state_machine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <source_location>
#include <span>
#include <string>
#include <vector>

#include "core/limits.h"
#include "ledger/results.h"
#include "store/records.h"
#include "store/store.h"

// Readable failure messages (gtest finds PrintTo by argument-dependent lookup).
namespace netfin::core {
[[maybe_unused]] static void PrintTo(const Id128& id, std::ostream* os) { *os << id.ToDecimal(); }
}  // namespace netfin::core

namespace netfin::store {
[[maybe_unused]] static void PrintTo(const Account& a, std::ostream* os) {
  *os << "{id " << a.id.ToDecimal() << " balances " << a.debits_pending << "/" << a.debits_posted
      << "/" << a.credits_pending << "/" << a.credits_posted << " ledger " << a.ledger << " code "
      << a.code << " flags " << a.flags << " ts " << a.timestamp << "}";
}
[[maybe_unused]] static void PrintTo(const Transfer& t, std::ostream* os) {
  *os << "{id " << t.id.ToDecimal() << " " << t.debit_account_id.ToDecimal() << "->"
      << t.credit_account_id.ToDecimal() << " amount " << t.amount << " pending_id "
      << t.pending_id.ToDecimal() << " timeout " << t.timeout << " ledger " << t.ledger
      << " code " << t.code << " flags " << t.flags << " ts " << t.timestamp << "}";
}
[[maybe_unused]] static void PrintTo(const Expiry& e, std::ostream* os) {
  *os << "{pending_id " << e.pending_id.ToDecimal() << " ts " << e.timestamp << "}";
}
[[maybe_unused]] static void PrintTo(const AccountBalance& b, std::ostream* os) {
  *os << "{account " << b.account_id.ToDecimal() << " ts " << b.timestamp << " balances "
      << b.debits_pending << "/" << b.debits_posted << "/" << b.credits_pending << "/"
      << b.credits_posted << "}";
}
}  // namespace netfin::store

namespace netfin::ledger {
[[maybe_unused]] static void PrintTo(CreateAccountResult r, std::ostream* os) { *os << ResultName(r); }
[[maybe_unused]] static void PrintTo(CreateTransferResult r, std::ostream* os) { *os << ResultName(r); }
[[maybe_unused]] static void PrintTo(PendingStatus s, std::ostream* os) {
  *os << "PendingStatus(" << static_cast<int>(s) << ")";
}

namespace {

using AR = CreateAccountResult;
using TR = CreateTransferResult;
using PS = PendingStatus;

constexpr uint64_t kSecond = core::kNanosPerSecond;
constexpr uint64_t kT0 = 1'000 * kSecond;       // every scenario's clock starts here
constexpr uint64_t kT1 = kT0 + 100 * kSecond;   // a round time well after the setup
constexpr AmountMinor kMax = core::kAmountMax;  // the largest balance (INT64_MAX)
constexpr AmountMinor kUpTo = store::kAmountUpToMax;  // "the pending amount" / "as much as possible"
constexpr Id128 kIdMax = Id128::Max();
constexpr Id128 kIdMaxMinus1 = {UINT64_MAX, UINT64_MAX - 1};

constexpr uint16_t kLinked = 1, kPending = 2, kPost = 4, kVoid = 8, kBalancingDebit = 16,
                   kBalancingCredit = 32;
constexpr uint16_t kDebitsLimit = 2, kCreditsLimit = 4, kHistory = 8, kClosed = 16;
static_assert(kDebitsLimit == static_cast<uint16_t>(store::AccountFlag::kDebitsMustNotExceedCredits));
static_assert(kCreditsLimit == static_cast<uint16_t>(store::AccountFlag::kCreditsMustNotExceedDebits));
static_assert(kHistory == static_cast<uint16_t>(store::AccountFlag::kHistory));
static_assert(kClosed == static_cast<uint16_t>(store::AccountFlag::kClosed));
static_assert(kBalancingCredit == static_cast<uint16_t>(store::TransferFlag::kBalancingCredit));

// An id written as a number (most rows) or as an Id128 (the boundaries).
struct Id {
  Id(uint64_t v) : value(Id128::FromU64(v)) {}  // NOLINT: implicit by design
  Id(Id128 v) : value(v) {}                     // NOLINT: implicit by design
  Id128 value;
};

// An account in one line: A(7).History().Ledger(2). Ledger 1 and code 1
// unless told otherwise.
struct A {
  explicit A(Id id) {
    account.id = id.value;
    account.ledger = 1;
    account.code = 1;
  }
  A Flags(uint16_t f) const { return With([&](Account& a) { a.flags = f; }); }
  A Linked() const { return With([](Account& a) { a.flags |= kLinked; }); }
  A DebitsLimited() const { return With([](Account& a) { a.flags |= kDebitsLimit; }); }
  A CreditsLimited() const { return With([](Account& a) { a.flags |= kCreditsLimit; }); }
  A History() const { return With([](Account& a) { a.flags |= kHistory; }); }
  A Closed() const { return With([](Account& a) { a.flags |= kClosed; }); }
  A Ledger(uint32_t v) const { return With([&](Account& a) { a.ledger = v; }); }
  A Code(uint16_t v) const { return With([&](Account& a) { a.code = v; }); }
  A Ud128(Id v) const { return With([&](Account& a) { a.user_data_128 = v.value; }); }
  A Ud64(uint64_t v) const { return With([&](Account& a) { a.user_data_64 = v; }); }
  A Ud32(uint32_t v) const { return With([&](Account& a) { a.user_data_32 = v; }); }
  A Timestamp(uint64_t v) const { return With([&](Account& a) { a.timestamp = v; }); }
  A DebitsPending(AmountMinor v) const { return With([&](Account& a) { a.debits_pending = v; }); }
  A DebitsPosted(AmountMinor v) const { return With([&](Account& a) { a.debits_posted = v; }); }
  A CreditsPending(AmountMinor v) const { return With([&](Account& a) { a.credits_pending = v; }); }
  A CreditsPosted(AmountMinor v) const { return With([&](Account& a) { a.credits_posted = v; }); }

  template <typename F>
  A With(F change) const {
    A copy = *this;
    change(copy.account);
    return copy;
  }
  Account account;
};

// A transfer in one line: T(id, debit, credit, amount).Pending(5). Ledger 1
// and code 1 unless told otherwise.
struct T {
  T(Id id, Id debit, Id credit, AmountMinor amount) {
    transfer.id = id.value;
    transfer.debit_account_id = debit.value;
    transfer.credit_account_id = credit.value;
    transfer.amount = amount;
    transfer.ledger = 1;
    transfer.code = 1;
  }
  T Flags(uint16_t f) const { return With([&](Transfer& t) { t.flags = f; }); }
  T AddFlags(uint16_t f) const { return With([&](Transfer& t) { t.flags |= f; }); }
  T Linked() const { return AddFlags(kLinked); }
  T Pending(uint32_t timeout_s = 0) const {
    return With([&](Transfer& t) {
      t.flags |= kPending;
      t.timeout = timeout_s;
    });
  }
  T BalancingDebit() const { return AddFlags(kBalancingDebit); }
  T BalancingCredit() const { return AddFlags(kBalancingCredit); }
  T Timeout(uint32_t v) const { return With([&](Transfer& t) { t.timeout = v; }); }
  T PendingId(Id v) const { return With([&](Transfer& t) { t.pending_id = v.value; }); }
  T Dr(Id v) const { return With([&](Transfer& t) { t.debit_account_id = v.value; }); }
  T Cr(Id v) const { return With([&](Transfer& t) { t.credit_account_id = v.value; }); }
  T Amount(AmountMinor v) const { return With([&](Transfer& t) { t.amount = v; }); }
  T Ledger(uint32_t v) const { return With([&](Transfer& t) { t.ledger = v; }); }
  T Code(uint16_t v) const { return With([&](Transfer& t) { t.code = v; }); }
  T Ud128(Id v) const { return With([&](Transfer& t) { t.user_data_128 = v.value; }); }
  T Ud64(uint64_t v) const { return With([&](Transfer& t) { t.user_data_64 = v; }); }
  T Ud32(uint32_t v) const { return With([&](Transfer& t) { t.user_data_32 = v; }); }
  T Timestamp(uint64_t v) const { return With([&](Transfer& t) { t.timestamp = v; }); }

  template <typename F>
  T With(F change) const {
    T copy = *this;
    change(copy.transfer);
    return copy;
  }
  Transfer transfer;
};

// A post or void of a pending transfer names only the pending id (and the
// amount, omitted by default); accounts, ledger and code are 0 = "as pending".
T Post(Id id, Id pending_id, AmountMinor amount = kUpTo) {
  return T(id, 0, 0, amount).Ledger(0).Code(0).Flags(kPost).PendingId(pending_id);
}
T Void(Id id, Id pending_id, AmountMinor amount = kUpTo) {
  return T(id, 0, 0, amount).Ledger(0).Code(0).Flags(kVoid).PendingId(pending_id);
}

// Rows that are not events.
struct Now {  // sets the clock for the following calls (it may go back)
  explicit Now(uint64_t v) : now_ns(v) {}
  uint64_t now_ns;
};
struct Expire {  // ExpirePending(now) must expire this many transfers
  explicit Expire(size_t v) : count(v) {}
  size_t count;
};
struct BalancesAre {  // an account's four balances
  BalancesAre(Id account, AmountMinor dr_pending, AmountMinor dr_posted, AmountMinor cr_pending,
              AmountMinor cr_posted)
      : id(account.value), balances{dr_pending, dr_posted, cr_pending, cr_posted} {}
  Id128 id;
  std::array<AmountMinor, 4> balances;
};
struct PendingIs {  // GetPendingStatus(id)
  PendingIs(Id transfer, PS s) : id(transfer.value), status(s) {}
  Id128 id;
  PS status;
};
struct TimestampLast {  // timestamp_last()
  explicit TimestampLast(uint64_t v) : ts(v) {}
  uint64_t ts;
};

enum class StepKind { kAccount, kTransfer, kNow, kExpire, kBalances, kPendingStatus, kTimestampLast };

// One row's event or check. Remembers the line of the table it was written
// on, so that a failure points at its row.
struct Step {
  using Where = std::source_location;
  Step(const A& a, Where w = Where::current()) : kind(StepKind::kAccount), where(w) {
    account = a.account;
  }
  Step(const T& t, Where w = Where::current()) : kind(StepKind::kTransfer), where(w) {
    transfer = t.transfer;
  }
  Step(Now n, Where w = Where::current()) : kind(StepKind::kNow), value(n.now_ns), where(w) {}
  Step(Expire e, Where w = Where::current()) : kind(StepKind::kExpire), value(e.count), where(w) {}
  Step(const BalancesAre& b, Where w = Where::current())
      : kind(StepKind::kBalances), id(b.id), balances(b.balances), where(w) {}
  Step(PendingIs p, Where w = Where::current())
      : kind(StepKind::kPendingStatus), id(p.id), status(p.status), where(w) {}
  Step(TimestampLast t, Where w = Where::current())
      : kind(StepKind::kTimestampLast), value(t.ts), where(w) {}

  StepKind kind;
  Account account;
  Transfer transfer;
  uint64_t value = 0;
  Id128 id;
  std::array<AmountMinor, 4> balances{};
  PS status = PS::kNone;
  Where where;
};

// What an event must answer. An ok transfer may also pin the amount that
// moved; any ok event may pin its timestamp.
struct Expect {
  Expect() = default;
  Expect(AR r) : account(r) {}  // NOLINT: implicit by design
  Expect(TR r) : transfer(r) {}  // NOLINT: implicit by design
  Expect At(uint64_t ts) const {
    Expect copy = *this;
    copy.timestamp = ts;
    return copy;
  }
  std::optional<AR> account;
  std::optional<TR> transfer;
  std::optional<AmountMinor> amount;
  std::optional<uint64_t> timestamp;
};
Expect Ok(AmountMinor amount) {
  Expect e(TR::kOk);
  e.amount = amount;
  return e;
}
Expect OkAt(uint64_t ts) { return Expect(AR::kOk).At(ts); }

enum class Join { kNewCall, kSameCall };
constexpr Join kSameCall = Join::kSameCall;

struct Row {
  Step step;
  Expect expect = {};
  Join join = Join::kNewCall;
};

struct Scenario {
  std::string name;
  std::vector<Row> rows;
};

// How gtest shows a scenario in test names and failures: its name and size.
void PrintTo(const Scenario& scenario, std::ostream* out) {
  *out << scenario.name << " (" << scenario.rows.size() << " rows)";
}

// The results the scenarios provoked, for the coverage test.
struct Coverage {
  std::set<AR> accounts;
  std::set<TR> transfers;
};

// Runs one scenario in a fresh StateMachine, inside one batch, starting at kT0.
class Runner {
 public:
  Runner(const Scenario& scenario, Coverage* coverage)
      : scenario_(scenario), coverage_(coverage) {}

  void Run() {
    sm_.BeginBatch();
    const std::vector<Row>& rows = scenario_.rows;
    for (size_t begin = 0; begin < rows.size();) {
      size_t end = begin + 1;
      while (end < rows.size() && rows[end].join == Join::kSameCall) ++end;
      RunCall(begin, end);
      sm_.AssertInvariants();
      begin = end;
    }
    store::Batch batch;
    sm_.FinishBatch(&batch);
  }

 private:
  void RunCall(size_t begin, size_t end) {
    const std::vector<Row>& rows = scenario_.rows;
    const StepKind kind = rows[begin].step.kind;
    for (size_t i = begin + 1; i < end; ++i) {
      ASSERT_EQ(rows[i].step.kind, kind) << Where(rows[i]) << "one call holds one kind of event";
    }
    switch (kind) {
      case StepKind::kAccount: return RunAccounts(begin, end);
      case StepKind::kTransfer: return RunTransfers(begin, end);
      case StepKind::kNow: now_ns_ = rows[begin].step.value; return;
      case StepKind::kExpire: return RunExpire(rows[begin]);
      case StepKind::kBalances: return CheckBalances(rows[begin]);
      case StepKind::kPendingStatus:
        EXPECT_EQ(sm_.GetPendingStatus(rows[begin].step.id), rows[begin].step.status)
            << Where(rows[begin]);
        return;
      case StepKind::kTimestampLast:
        EXPECT_EQ(sm_.timestamp_last(), rows[begin].step.value) << Where(rows[begin]);
        return;
    }
  }

  void RunAccounts(size_t begin, size_t end) {
    const std::vector<Row>& rows = scenario_.rows;
    std::vector<Account> events;
    for (size_t i = begin; i < end; ++i) events.push_back(rows[i].step.account);
    std::vector<AccountOutcome> outcomes;
    sm_.CreateAccounts(events, now_ns_, &outcomes);
    ASSERT_EQ(outcomes.size(), events.size()) << Where(rows[begin]);
    for (size_t i = 0; i < events.size(); ++i) {
      const Row& row = rows[begin + i];
      const AccountOutcome& got = outcomes[i];
      ASSERT_TRUE(row.expect.account.has_value()) << Where(row) << "an account row needs an AR";
      EXPECT_EQ(got.result, *row.expect.account)
          << Where(row) << "got " << ResultName(got.result) << ", expected "
          << ResultName(*row.expect.account);
      if (got.result == *row.expect.account) coverage_->accounts.insert(got.result);
      CheckTimestamp(row, got.result == AR::kOk, got.timestamp, events.size() - 1 - i);
    }
  }

  void RunTransfers(size_t begin, size_t end) {
    const std::vector<Row>& rows = scenario_.rows;
    std::vector<Transfer> events;
    for (size_t i = begin; i < end; ++i) events.push_back(rows[i].step.transfer);
    std::vector<TransferOutcome> outcomes;
    sm_.CreateTransfers(events, now_ns_, &outcomes);
    ASSERT_EQ(outcomes.size(), events.size()) << Where(rows[begin]);
    for (size_t i = 0; i < events.size(); ++i) {
      const Row& row = rows[begin + i];
      const TransferOutcome& got = outcomes[i];
      ASSERT_TRUE(row.expect.transfer.has_value()) << Where(row) << "a transfer row needs a TR";
      EXPECT_EQ(got.result, *row.expect.transfer)
          << Where(row) << "got " << ResultName(got.result) << ", expected "
          << ResultName(*row.expect.transfer);
      if (got.result == *row.expect.transfer) coverage_->transfers.insert(got.result);
      if (got.result != TR::kOk) {
        EXPECT_EQ(got.amount, 0u) << Where(row) << "a failed event moves nothing";
      }
      if (row.expect.amount.has_value() && got.result == TR::kOk) {
        EXPECT_EQ(got.amount, *row.expect.amount) << Where(row) << "amount moved";
      }
      CheckTimestamp(row, got.result == TR::kOk, got.timestamp, events.size() - 1 - i);
    }
  }

  // Every event of a call consumes one timestamp in order, so the event
  // `from_end` places before the last one has timestamp_last - from_end.
  void CheckTimestamp(const Row& row, bool ok, uint64_t got, size_t from_end) {
    if (!ok) {
      EXPECT_EQ(got, 0u) << Where(row) << "a failed event has no timestamp";
      return;
    }
    EXPECT_EQ(got, sm_.timestamp_last() - from_end) << Where(row) << "one timestamp per event";
    if (row.expect.timestamp.has_value()) {
      EXPECT_EQ(got, *row.expect.timestamp) << Where(row);
    }
  }

  void RunExpire(const Row& row) {
    const uint64_t before = sm_.timestamp_last();
    const size_t expired = sm_.ExpirePending(now_ns_);
    EXPECT_EQ(expired, row.step.value) << Where(row) << "transfers expired";
    if (expired == 0) {
      EXPECT_EQ(sm_.timestamp_last(), before) << Where(row) << "nothing expired, no timestamp used";
    }
  }

  void CheckBalances(const Row& row) {
    const Account* a = sm_.LookupAccount(row.step.id);
    ASSERT_NE(a, nullptr) << Where(row) << "no such account";
    const std::array<AmountMinor, 4> got = {a->debits_pending, a->debits_posted,
                                            a->credits_pending, a->credits_posted};
    EXPECT_EQ(got, row.step.balances)
        << Where(row) << "balances (debits_pending, debits_posted, credits_pending, credits_posted)";
  }

  std::string Where(const Row& row) const {
    return std::string(row.step.where.file_name()) + ":" + std::to_string(row.step.where.line()) +
           " (" + scenario_.name + "): ";
  }

  const Scenario& scenario_;
  Coverage* coverage_;
  StateMachine sm_;
  uint64_t now_ns_ = kT0;
};

// The accounts the transfer scenarios use, created in one call at kT0..kT0+9.
//   1, 2, 9, 10: ledger 1, no flags      3, 4: ledger 2
//   5: closed    6: debits_must_not_exceed_credits
//   7: credits_must_not_exceed_debits    8: history
std::vector<Row> Accounts() {
  return {
      {A(1), AR::kOk},
      {A(2), AR::kOk, kSameCall},
      {A(3).Ledger(2), AR::kOk, kSameCall},
      {A(4).Ledger(2), AR::kOk, kSameCall},
      {A(5).Closed(), AR::kOk, kSameCall},
      {A(6).DebitsLimited(), AR::kOk, kSameCall},
      {A(7).CreditsLimited(), AR::kOk, kSameCall},
      {A(8).History(), AR::kOk, kSameCall},
      {A(9), AR::kOk, kSameCall},
      {A(10), AR::kOk, kSameCall},
  };
}

Scenario WithAccounts(std::string name, std::vector<Row> rows) {
  std::vector<Row> all = Accounts();
  all.insert(all.end(), rows.begin(), rows.end());
  return {std::move(name), std::move(all)};
}

std::vector<Scenario> AccountScenarios() {
  const A base = A(1).History().Ud128(7).Ud64(8).Ud32(9).Ledger(3).Code(4);
  return {
      {"AccountRules",
       {
           {A(1).Timestamp(1), AR::kTimestampMustBeZero},
           {A(1).Flags(0x20), AR::kReservedFlag},
           {A(1).Flags(0x8000), AR::kReservedFlag},
           {A(0), AR::kIdMustNotBeZero},
           {A(kIdMax), AR::kIdMustNotBeIntMax},
           {A(1).Flags(kDebitsLimit | kCreditsLimit), AR::kFlagsAreMutuallyExclusive},
           {A(1).DebitsPending(1), AR::kDebitsPendingMustBeZero},
           {A(1).DebitsPosted(1), AR::kDebitsPostedMustBeZero},
           {A(1).CreditsPending(1), AR::kCreditsPendingMustBeZero},
           {A(1).CreditsPosted(1), AR::kCreditsPostedMustBeZero},
           {A(1).Ledger(0), AR::kLedgerMustNotBeZero},
           {A(1).Code(0), AR::kCodeMustNotBeZero},
           // The smallest and largest valid values.
           {A(1), AR::kOk},
           {A(kIdMaxMinus1), AR::kOk},
           {A(Id128{1, 0}), AR::kOk},  // 2^64: the high half is part of the id
           {A(2).Ledger(UINT32_MAX).Code(UINT16_MAX).Ud128(kIdMax).Ud64(UINT64_MAX).Ud32(
                UINT32_MAX),
            AR::kOk},
           {A(3).Flags(kDebitsLimit | kHistory | kClosed), AR::kOk},
           {A(4).Flags(kCreditsLimit | kHistory | kClosed), AR::kOk},
       }},
      {"AccountCheckOrder",  // two faults in one event: the first rule wins
       {
           {A(0).Timestamp(1).Ledger(0), AR::kTimestampMustBeZero},
           {A(0).Flags(0x40), AR::kReservedFlag},
           {A(0).Flags(kDebitsLimit | kCreditsLimit), AR::kIdMustNotBeZero},
           {A(kIdMax).Ledger(0), AR::kIdMustNotBeIntMax},
           {A(1).Flags(kDebitsLimit | kCreditsLimit).DebitsPending(1),
            AR::kFlagsAreMutuallyExclusive},
           {A(1).DebitsPending(1).DebitsPosted(1), AR::kDebitsPendingMustBeZero},
           {A(1).DebitsPosted(1).CreditsPending(1), AR::kDebitsPostedMustBeZero},
           {A(1).CreditsPending(1).CreditsPosted(1), AR::kCreditsPendingMustBeZero},
           {A(1).CreditsPosted(1).Ledger(0), AR::kCreditsPostedMustBeZero},
           {A(1).Ledger(0).Code(0), AR::kLedgerMustNotBeZero},
           {A(1), AR::kOk},
           {A(1).Code(0), AR::kCodeMustNotBeZero},  // validation before the lookup
           {A(1).Code(2), AR::kExistsWithDifferentCode},
       }},
      {"AccountExists",
       {
           {base, AR::kOk},
           {base, AR::kExists},
           {base.Flags(0), AR::kExistsWithDifferentFlags},
           {base.DebitsLimited(), AR::kExistsWithDifferentFlags},
           {base.Ud128(Id128{1, 7}), AR::kExistsWithDifferentUserData128},
           {base.Ud64(0), AR::kExistsWithDifferentUserData64},
           {base.Ud32(0), AR::kExistsWithDifferentUserData32},
           {base.Ledger(4), AR::kExistsWithDifferentLedger},
           {base.Code(5), AR::kExistsWithDifferentCode},
           // The first difference wins, in this order.
           {base.Flags(0).Ud128(0).Code(5), AR::kExistsWithDifferentFlags},
           {base.Ud128(0).Ud64(0), AR::kExistsWithDifferentUserData128},
           {base.Ud64(0).Ud32(0), AR::kExistsWithDifferentUserData64},
           {base.Ud32(0).Ledger(4), AR::kExistsWithDifferentUserData32},
           {base.Ledger(4).Code(5), AR::kExistsWithDifferentLedger},
           // Within one call, a later event sees an account created earlier.
           {A(2), AR::kOk},
           {A(2), AR::kExists, kSameCall},
           {A(2).Code(2), AR::kExistsWithDifferentCode, kSameCall},
       }},
      {"AccountChains",
       {
           // All ok.
           {A(1).Linked(), AR::kOk},
           {A(2).Linked(), AR::kOk, kSameCall},
           {A(3), AR::kOk, kSameCall},
           // A failure in the middle: the earlier event is undone, the later
           // one is not evaluated, and the next chain is independent.
           {A(4).Linked(), AR::kLinkedEventFailed},
           {A(0).Linked(), AR::kIdMustNotBeZero, kSameCall},
           {A(5), AR::kLinkedEventFailed, kSameCall},
           {A(6), AR::kOk, kSameCall},
           {A(4), AR::kOk},  // 4 and 5 were not created
           {A(5), AR::kOk, kSameCall},
           // A failure at the first event of a chain.
           {A(0).Linked(), AR::kIdMustNotBeZero},
           {A(7), AR::kLinkedEventFailed, kSameCall},
           // The last event of a call is linked: the chain is open.
           {A(8), AR::kOk},
           {A(9).Linked(), AR::kLinkedEventChainOpen, kSameCall},
           {A(9).Linked(), AR::kLinkedEventFailed},
           {A(10).Linked(), AR::kLinkedEventChainOpen, kSameCall},
           {A(11).Linked(), AR::kLinkedEventChainOpen},  // alone
           {A(0).Linked(), AR::kIdMustNotBeZero},        // already broken, and open
           {A(12).Linked(), AR::kLinkedEventChainOpen, kSameCall},
           // A retried chain: the first event exists, so the chain fails.
           {A(1).Linked(), AR::kExists},
           {A(2).Linked(), AR::kLinkedEventFailed, kSameCall},
           {A(3), AR::kLinkedEventFailed, kSameCall},
           // The same id twice in one chain: the second sees the first.
           {A(13).Linked(), AR::kLinkedEventFailed},
           {A(13), AR::kExistsWithDifferentFlags, kSameCall},
           {A(13), AR::kOk},
           {A(9), AR::kOk},
           {A(12), AR::kOk},
       }},
  };
}

std::vector<Scenario> TransferRuleScenarios() {
  return {
      WithAccounts(
          "TransferRules",
          {
              {T(100, 1, 2, 10).Timestamp(1), TR::kTimestampMustBeZero},
              {T(100, 1, 2, 10).Flags(0x40), TR::kReservedFlag},
              {T(100, 1, 2, 10).Flags(0x80), TR::kReservedFlag},
              {T(100, 1, 2, 10).Flags(0x8000), TR::kReservedFlag},
              {T(0, 1, 2, 10), TR::kIdMustNotBeZero},
              {T(kIdMax, 1, 2, 10), TR::kIdMustNotBeIntMax},
              {Post(100, 7).AddFlags(kVoid), TR::kFlagsAreMutuallyExclusive},
              {Post(100, 7).AddFlags(kPending), TR::kFlagsAreMutuallyExclusive},
              {Void(100, 7).AddFlags(kPending), TR::kFlagsAreMutuallyExclusive},
              {Post(100, 7).AddFlags(kBalancingDebit), TR::kFlagsAreMutuallyExclusive},
              {Void(100, 7).AddFlags(kBalancingCredit), TR::kFlagsAreMutuallyExclusive},
              {T(100, 0, 2, 10), TR::kDebitAccountIdMustNotBeZero},
              {T(100, kIdMax, 2, 10), TR::kDebitAccountIdMustNotBeIntMax},
              {T(100, 1, 0, 10), TR::kCreditAccountIdMustNotBeZero},
              {T(100, 1, kIdMax, 10), TR::kCreditAccountIdMustNotBeIntMax},
              {T(100, 1, 1, 10), TR::kAccountsMustBeDifferent},
              {T(100, 1, 2, 10).PendingId(5), TR::kPendingIdMustBeZero},
              {T(100, 1, 2, 10).Timeout(1), TR::kTimeoutReservedForPendingTransfer},
              {T(100, 1, 2, 0), TR::kAmountMustNotBeZero},
              {T(100, 1, 2, 10).Ledger(0), TR::kLedgerMustNotBeZero},
              {T(100, 1, 2, 10).Code(0), TR::kCodeMustNotBeZero},
              {T(100, 99, 2, 10), TR::kDebitAccountNotFound},
              {T(100, 1, 99, 10), TR::kCreditAccountNotFound},
              {T(100, 1, 3, 10), TR::kAccountsMustHaveTheSameLedger},
              {T(100, 3, 4, 10), TR::kTransferMustHaveTheSameLedgerAsAccounts},
              {T(100, 5, 1, 10), TR::kDebitAccountAlreadyClosed},
              {T(100, 1, 5, 10), TR::kCreditAccountAlreadyClosed},
              {BalancesAre(1, 0, 0, 0, 0)},
              // The smallest and largest valid values.
              {T(100, 1, 2, 1), Ok(1)},
              {T(101, 3, 4, 10).Ledger(2), Ok(10)},
              {T(102, 1, 2, 10).Code(UINT16_MAX).Ud128(kIdMax).Ud64(UINT64_MAX).Ud32(UINT32_MAX),
               Ok(10)},
              {T(kIdMaxMinus1, 1, 2, 1), Ok(1)},
              {T(Id128{1, 0}, 1, 2, 1), Ok(1)},
              {T(103, 1, 2, 5).Pending(UINT32_MAX), Ok(5)},  // the longest timeout
              {BalancesAre(1, 5, 13, 0, 0)},
              {BalancesAre(2, 0, 0, 5, 13)},
              {BalancesAre(3, 0, 10, 0, 0)},
              {BalancesAre(4, 0, 0, 0, 10)},
          }),
      WithAccounts(
          "TransferCheckOrder",  // two faults in one event: the first rule wins
          {
              {T(0, 1, 2, 10).Timestamp(1), TR::kTimestampMustBeZero},
              {T(0, 1, 2, 10).Flags(0x40), TR::kReservedFlag},
              {T(0, 0, 0, 0), TR::kIdMustNotBeZero},
              {T(kIdMax, 0, 2, 10), TR::kIdMustNotBeIntMax},
              {Post(100, 0).AddFlags(kVoid), TR::kFlagsAreMutuallyExclusive},
              {T(100, 0, 0, 0).AddFlags(kPost | kBalancingCredit), TR::kFlagsAreMutuallyExclusive},
              {T(100, 0, 0, 0), TR::kDebitAccountIdMustNotBeZero},
              {T(100, 1, 0, 0), TR::kCreditAccountIdMustNotBeZero},
              {T(100, 1, 1, 0), TR::kAccountsMustBeDifferent},
              {T(100, 1, 2, 0).PendingId(5).Timeout(1), TR::kPendingIdMustBeZero},
              {T(100, 1, 2, 0).Timeout(1), TR::kTimeoutReservedForPendingTransfer},
              {T(100, 1, 2, 0).Ledger(0), TR::kAmountMustNotBeZero},
              {T(100, 1, 2, 10).Ledger(0).Code(0), TR::kLedgerMustNotBeZero},
              {T(100, 99, 98, 10).Code(0), TR::kCodeMustNotBeZero},
              {T(100, 99, 98, 10), TR::kDebitAccountNotFound},
              {T(100, 5, 3, 10), TR::kAccountsMustHaveTheSameLedger},
              {T(100, 5, 6, 10).Ledger(2), TR::kTransferMustHaveTheSameLedgerAsAccounts},
              {T(100, 5, 6, 10), TR::kDebitAccountAlreadyClosed},
              {T(100, 6, 5, 10), TR::kCreditAccountAlreadyClosed},  // before exceeds_credits
              {T(100, 6, 7, 10), TR::kExceedsCredits},              // before exceeds_debits
              {T(100, 2, 7, 10), TR::kExceedsDebits},
              // The post/void path checks only what a post or void names.
              {Post(100, 0).Timeout(1), TR::kPendingIdMustNotBeZero},
              {Post(100, 100).Timeout(1), TR::kPendingIdMustBeDifferent},
              {Post(100, 7, 0).Timeout(1), TR::kTimeoutReservedForPendingTransfer},
              {Post(100, 7, 0), TR::kAmountMustNotBeZero},
              {Post(100, 7).Dr(99), TR::kPendingTransferNotFound},
          }),
  };
}

std::vector<Scenario> TwoPhaseScenarios() {
  return {
      WithAccounts(
          "TwoPhaseRules",
          {
              {T(200, 1, 2, 50).Pending(), Ok(50)},
              {T(202, 1, 2, 5), Ok(5)},
              {Post(201, 0), TR::kPendingIdMustNotBeZero},
              {Post(201, kIdMax), TR::kPendingIdMustNotBeIntMax},
              {Post(201, 201), TR::kPendingIdMustBeDifferent},
              {Post(201, 200).Timeout(1), TR::kTimeoutReservedForPendingTransfer},
              {Post(201, 200, 0), TR::kAmountMustNotBeZero},
              {Void(201, 200, 0), TR::kAmountMustNotBeZero},
              {Post(201, 999), TR::kPendingTransferNotFound},
              {Post(201, 202), TR::kPendingTransferNotPending},
              {Post(201, 200).Dr(2), TR::kPendingTransferHasDifferentDebitAccountId},
              {Post(201, 200).Cr(1), TR::kPendingTransferHasDifferentCreditAccountId},
              {Post(201, 200).Ledger(2), TR::kPendingTransferHasDifferentLedger},
              {Post(201, 200).Code(2), TR::kPendingTransferHasDifferentCode},
              {Post(201, 200, 51), TR::kExceedsPendingTransferAmount},
              {Void(201, 200, 49), TR::kPendingTransferHasDifferentAmount},
              {Void(201, 200, 51), TR::kPendingTransferHasDifferentAmount},
              // The first failing check wins.
              {Post(201, 999).Dr(2), TR::kPendingTransferNotFound},
              {Post(201, 200, 51).Dr(2), TR::kPendingTransferHasDifferentDebitAccountId},
              {Post(201, 200, 51).Code(2), TR::kPendingTransferHasDifferentCode},
              {PendingIs(200, PS::kPending)},
              {BalancesAre(1, 50, 5, 0, 0)},
              // Fields equal to the pending transfer's may be given.
              {Post(201, 200, 50).Dr(1).Cr(2).Ledger(1).Code(1), Ok(50)},
              {PendingIs(200, PS::kPosted)},
              {PendingIs(201, PS::kNone)},
              {PendingIs(202, PS::kNone)},
              {PendingIs(999, PS::kNone)},
              {BalancesAre(1, 0, 55, 0, 0)},
              {BalancesAre(2, 0, 0, 0, 55)},
          }),
      WithAccounts("TwoPhaseFullPost",
                   {
                       {T(200, 1, 2, 100).Pending(), Ok(100)},
                       {PendingIs(200, PS::kPending)},
                       {BalancesAre(1, 100, 0, 0, 0)},
                       {BalancesAre(2, 0, 0, 100, 0)},
                       {Post(201, 200), Ok(100)},  // amount omitted: the pending amount
                       {PendingIs(200, PS::kPosted)},
                       {BalancesAre(1, 0, 100, 0, 0)},
                       {BalancesAre(2, 0, 0, 0, 100)},
                       {Post(202, 200), TR::kPendingTransferAlreadyPosted},
                       {Void(202, 200), TR::kPendingTransferAlreadyPosted},
                       {Post(201, 200), TR::kExists},  // a retry of the post
                       {Post(201, 200, 100), TR::kExists},
                       {BalancesAre(1, 0, 100, 0, 0)},
                   }),
      WithAccounts(
          "TwoPhasePartialPost",
          {
              {T(200, 1, 2, 100).Pending(), Ok(100)},
              {Post(201, 200, 60), Ok(60)},
              {BalancesAre(1, 0, 60, 0, 0)},  // the other 40 are released
              {BalancesAre(2, 0, 0, 0, 60)},
              {Post(202, 200, 40), TR::kPendingTransferAlreadyPosted},
              {Post(201, 200, 60), TR::kExists},
              {Post(201, 200), TR::kExists},  // "the pending amount" is not less than 60
              {Post(201, 200, 59), TR::kExistsWithDifferentAmount},
              {Post(201, 200, 101), TR::kExceedsPendingTransferAmount},  // before exists
              {T(203, 1, 2, 100).Pending(), Ok(100)},
              {Post(204, 203, 1), Ok(1)},
              {T(205, 1, 2, 100).Pending(), Ok(100)},
              {Post(206, 205, 99), Ok(99)},
              {BalancesAre(1, 0, 160, 0, 0)},
              {BalancesAre(2, 0, 0, 0, 160)},
          }),
      WithAccounts("TwoPhaseVoid",
                   {
                       {T(200, 1, 2, 100).Pending(), Ok(100)},
                       {Void(201, 200), Ok(100)},
                       {PendingIs(200, PS::kVoided)},
                       {BalancesAre(1, 0, 0, 0, 0)},
                       {BalancesAre(2, 0, 0, 0, 0)},
                       {Post(202, 200), TR::kPendingTransferAlreadyVoided},
                       {Void(202, 200), TR::kPendingTransferAlreadyVoided},
                       {Void(201, 200), TR::kExists},
                       {Void(201, 200, 100), TR::kExists},
                       {Post(201, 200), TR::kExistsWithDifferentFlags},
                       {T(203, 1, 2, 100).Pending(), Ok(100)},
                       {Void(204, 203, 100), Ok(100)},  // the amount may be given
                       {BalancesAre(1, 0, 0, 0, 0)},
                   }),
      WithAccounts(
          "TwoPhaseExists",
          {
              {T(200, 1, 2, 10).Pending(5), Ok(10)},
              {T(200, 1, 2, 10).Pending(6), TR::kExistsWithDifferentTimeout},
              {T(200, 1, 2, 10).Pending(0), TR::kExistsWithDifferentTimeout},
              {T(200, 1, 2, 10).Pending(5), TR::kExists},
              {T(202, 1, 2, 10).Pending(), Ok(10)},
              {Post(201, 200).Ud64(3), Ok(10)},
              {Post(201, 202).Ud64(3), TR::kExistsWithDifferentPendingId},
              {Post(201, 200).Ud64(3), TR::kExists},
              {Post(201, 200, 10).Ud64(3), TR::kExists},
              {Post(201, 200, 9).Ud64(3), TR::kExistsWithDifferentAmount},
              {Post(201, 200), TR::kExistsWithDifferentUserData64},
              {Post(201, 200).Ud64(3).Dr(1).Cr(2).Ledger(1).Code(1), TR::kExists},
              {Void(201, 200).Ud64(3), TR::kExistsWithDifferentFlags},
              {PendingIs(202, PS::kPending)},
          }),
  };
}

std::vector<Scenario> ExpiryScenarios() {
  return {
      WithAccounts("ExpireByExpirePending",
                   {
                       {Now(kT1)},
                       {T(200, 1, 2, 100).Pending(1), Ok(100).At(kT1)},
                       {Now(kT1 + kSecond - 1)},
                       {Expire(0)},
                       {PendingIs(200, PS::kPending)},
                       {Now(kT1 + kSecond)},  // exactly at expires_at
                       {Expire(1)},
                       {TimestampLast(kT1 + kSecond)},  // an expiry takes a timestamp
                       {PendingIs(200, PS::kExpired)},
                       {BalancesAre(1, 0, 0, 0, 0)},
                       {BalancesAre(2, 0, 0, 0, 0)},
                       {Expire(0)},
                       {Post(201, 200), TR::kPendingTransferExpired},
                       {Void(201, 200), TR::kPendingTransferExpired},
                       {T(200, 1, 2, 100).Pending(1), TR::kExists},
                       {T(202, 1, 2, 100).Pending(), Ok(100)},  // no timeout: never expires
                       {Now(kT1 + 1'000'000 * kSecond)},
                       {Expire(0)},
                       {PendingIs(202, PS::kPending)},
                   }),
      WithAccounts(
          "ExpireInsideCreateTransfers",
          {
              {Now(kT1)},
              {T(200, 1, 2, 100).Pending(1), Ok(100)},
              {Now(kT1 + 2 * kSecond)},
              // The call expires 200 first, at kT1 + 2 s, then applies 201.
              {T(201, 1, 2, 1), Ok(1).At(kT1 + 2 * kSecond + 1)},
              {PendingIs(200, PS::kExpired)},
              {BalancesAre(1, 0, 1, 0, 0)},
              // Posting one nanosecond before the expiry works; at it, it does not.
              {Now(kT1 + 10 * kSecond)},
              {T(202, 1, 2, 100).Pending(1), Ok(100).At(kT1 + 10 * kSecond)},
              {Now(kT1 + 11 * kSecond - 1)},
              {Post(203, 202), Ok(100).At(kT1 + 11 * kSecond - 1)},
              {T(204, 1, 2, 100).Pending(1), Ok(100).At(kT1 + 11 * kSecond)},
              {Now(kT1 + 12 * kSecond)},
              {Post(205, 204), TR::kPendingTransferExpired},
              {PendingIs(204, PS::kExpired)},
              // The timestamps may run ahead of the clock (the clock went
              // back): a post whose timestamp is past expires_at fails even
              // though ExpirePending has not expired the transfer yet.
              {Now(kT1 + 20 * kSecond)},
              {T(206, 1, 2, 100).Pending(1), Ok(100).At(kT1 + 20 * kSecond)},
              {Now(kT1 + 25 * kSecond)},
              {A(50), OkAt(kT1 + 25 * kSecond)},  // creating accounts expires nothing
              {PendingIs(206, PS::kPending)},
              {Now(kT1 + 20 * kSecond)},
              {Void(207, 206), TR::kPendingTransferExpired},
              {PendingIs(206, PS::kPending)},
              {BalancesAre(1, 100, 101, 0, 0)},
              {Now(kT1 + 21 * kSecond)},
              {Expire(1)},
              {TimestampLast(kT1 + 25 * kSecond + 2)},
              {PendingIs(206, PS::kExpired)},
              {BalancesAre(1, 0, 101, 0, 0)},
              // By the event's own timestamp: exactly at the expiry instant is
              // too late, one nanosecond before is in time.
              {Now(kT1 + 30 * kSecond)},
              {T(208, 1, 2, 100).Pending(1), Ok(100).At(kT1 + 30 * kSecond)},
              {T(0, 1, 2, 1), TR::kIdMustNotBeZero, kSameCall},
              {T(210, 1, 2, 100).Pending(1), Ok(100).At(kT1 + 30 * kSecond + 2), kSameCall},
              {Now(kT1 + 31 * kSecond - 1)},
              {A(51), OkAt(kT1 + 31 * kSecond - 1)},
              {Now(kT1 + 30 * kSecond)},
              {Post(209, 208), TR::kPendingTransferExpired},  // at kT1 + 31 s: 208's instant
              {Post(211, 210), Ok(100).At(kT1 + 31 * kSecond + 1), kSameCall},  // 210's - 1 ns
              {PendingIs(208, PS::kPending)},
              {PendingIs(210, PS::kPosted)},
              {BalancesAre(1, 100, 201, 0, 0)},
          }),
  };
}

std::vector<Scenario> BalancingScenarios() {
  return {
      WithAccounts(
          "BalancingDebit",
          {
              {T(300, 1, 6, 100), Ok(100)},
              {T(301, 6, 2, 1000).BalancingDebit(), Ok(100)},
              {BalancesAre(6, 0, 100, 0, 100)},
              {T(302, 6, 2, 1000).BalancingDebit(), Ok(0)},  // nothing left: ok, moves 0
              {T(303, 1, 6, 40), Ok(40)},
              {T(304, 6, 2, kUpTo).BalancingDebit(), Ok(40)},  // "as much as possible"
              {T(305, 1, 6, 40), Ok(40)},
              {T(306, 6, 2, 30).BalancingDebit().Pending(), Ok(30)},
              {T(307, 6, 2, 30).BalancingDebit(), Ok(10)},  // the pending 30 count
              {BalancesAre(6, 30, 150, 0, 180)},
              {T(308, 9, 2, 5).BalancingDebit(), Ok(0)},  // no limit flag needed
              {T(309, 6, 2, 0).BalancingDebit(), TR::kAmountMustNotBeZero},
              // A retry with at least the amount that moved is the same transfer.
              {T(301, 6, 2, 1000).BalancingDebit(), TR::kExists},
              {T(301, 6, 2, 100).BalancingDebit(), TR::kExists},
              {T(301, 6, 2, 99).BalancingDebit(), TR::kExistsWithDifferentAmount},
              {T(307, 6, 2, 30).BalancingDebit(), TR::kExists},
              {T(302, 6, 2, 1).BalancingDebit(), TR::kExists},
          }),
      WithAccounts("BalancingCredit",
                   {
                       {T(310, 7, 1, 50), Ok(50)},
                       {T(311, 2, 7, 80).BalancingCredit(), Ok(50)},
                       {T(312, 2, 7, 80).BalancingCredit(), Ok(0)},
                       {BalancesAre(7, 0, 50, 0, 50)},
                       {T(313, 7, 1, 25), Ok(25)},
                       {T(314, 2, 7, kUpTo).BalancingCredit().Pending(), Ok(25)},
                       {BalancesAre(7, 0, 75, 25, 50)},
                       // Both flags: the smaller room wins.
                       {T(315, 1, 6, 70), Ok(70)},  // 6 may be debited 70
                       {T(316, 7, 1, 20), Ok(20)},  // 7 may be credited 20 more
                       {T(317, 6, 7, 100).BalancingDebit().BalancingCredit(), Ok(20)},
                       {BalancesAre(6, 0, 20, 0, 70)},
                       {BalancesAre(7, 0, 95, 25, 70)},
                       {T(318, 6, 2, 100).BalancingDebit(), Ok(50)},
                   }),
  };
}

std::vector<Scenario> LimitScenarios() {
  return {
      WithAccounts("ExceedsCredits",
                   {
                       {T(600, 1, 6, 100), Ok(100)},
                       {T(601, 6, 2, 100), Ok(100)},  // exactly at the limit
                       {T(602, 6, 2, 1), TR::kExceedsCredits},  // one over
                       {T(603, 1, 6, 10), Ok(10)},
                       {T(604, 6, 2, 10).Pending(), Ok(10)},
                       {T(605, 6, 2, 1).Pending(), TR::kExceedsCredits},  // pending counts
                       {T(606, 6, 2, 1), TR::kExceedsCredits},
                       {Void(607, 604), Ok(10)},
                       {T(608, 6, 2, 9), Ok(9)},
                       {T(609, 6, 2, 1), Ok(1)},
                       {T(610, 6, 2, 1), TR::kExceedsCredits},
                       {T(601, 6, 2, 100), TR::kExists},  // a retry is not checked again
                       {BalancesAre(6, 0, 110, 0, 110)},
                   }),
      WithAccounts("ExceedsDebits",
                   {
                       {T(620, 7, 1, 100), Ok(100)},
                       {T(621, 2, 7, 100), Ok(100)},  // exactly at the limit
                       {T(622, 2, 7, 1), TR::kExceedsDebits},
                       {T(623, 2, 7, 1).Pending(), TR::kExceedsDebits},
                       {T(624, 7, 1, 1).Pending(), Ok(1)},  // pending debits give no room
                       {T(625, 2, 7, 1), TR::kExceedsDebits},
                       {Post(626, 624), Ok(1)},
                       {T(627, 2, 7, 1), Ok(1)},
                       {BalancesAre(7, 0, 101, 0, 101)},
                   }),
      WithAccounts(
          "OverflowsPosted",
          {
              {T(400, 9, 10, kMax), Ok(kMax)},
              {BalancesAre(9, 0, kMax, 0, 0)},
              {BalancesAre(10, 0, 0, 0, kMax)},
              {T(401, 9, 1, 1), TR::kOverflowsDebitsPosted},
              {T(402, 1, 10, 1), TR::kOverflowsCreditsPosted},
              {T(403, 9, 10, 1), TR::kOverflowsDebitsPosted},  // debit side first
              {T(404, 6, 10, 1), TR::kOverflowsCreditsPosted},  // before exceeds_credits
              {T(405, 9, 1, 1).Pending(), TR::kOverflowsDebits},  // pending room, no total room
              {T(406, 1, 10, 1).Pending(), TR::kOverflowsCredits},
              {T(407, 10, 9, kMax), Ok(kMax)},  // the other direction has room
              {BalancesAre(9, 0, kMax, 0, kMax)},
              {T(408, 1, 2, kMax - 1), Ok(kMax - 1)},
              {T(409, 1, 2, 1), Ok(1)},  // exactly kMax
              {T(410, 1, 2, 1), TR::kOverflowsDebitsPosted},
              {BalancesAre(1, 0, kMax, 0, 0)},
          }),
      WithAccounts("OverflowsPending",
                   {
                       {T(410, 9, 10, kMax).Pending(), Ok(kMax)},
                       {T(411, 9, 1, 1).Pending(), TR::kOverflowsDebitsPending},
                       {T(412, 1, 10, 1).Pending(), TR::kOverflowsCreditsPending},
                       {T(413, 9, 10, 1).Pending(), TR::kOverflowsDebitsPending},
                       {T(414, 9, 1, 1), TR::kOverflowsDebits},
                       {T(415, 1, 10, 1), TR::kOverflowsCredits},
                       {Post(416, 410, kMax - 1), Ok(kMax - 1)},
                       {T(417, 9, 1, 1), Ok(1)},
                       {T(418, 9, 1, 1), TR::kOverflowsDebitsPosted},
                       {BalancesAre(9, 0, kMax, 0, 0)},
                       {BalancesAre(10, 0, 0, 0, kMax - 1)},
                   }),
      WithAccounts(
          "OverflowsTimeout",
          {
              {Now(UINT64_MAX - 10 * kSecond)},
              // Expires exactly at 2^64 - 1: still representable.
              {T(500, 1, 2, 1).Pending(10), Ok(1).At(UINT64_MAX - 10 * kSecond)},
              {T(501, 1, 2, 1).Pending(10), TR::kOverflowsTimeout},  // one ns later
              {T(502, 1, 2, 1).Pending(9), Ok(1)},
              {T(503, 1, 2, 1).Pending(UINT32_MAX), TR::kOverflowsTimeout},
              {T(504, 1, 2, 1).Pending(), Ok(1)},  // no timeout, nothing to overflow
              {BalancesAre(1, 3, 0, 0, 0)},
          }),
  };
}

std::vector<Scenario> ChainAndIdScenarios() {
  const T base = T(100, 1, 2, 10).Ud128(7).Ud64(8).Ud32(9).Code(3);
  return {
      WithAccounts(
          "TransferExists",
          {
              {base, Ok(10)},
              {base, TR::kExists},
              {base.Pending(), TR::kExistsWithDifferentFlags},
              {base.BalancingDebit(), TR::kExistsWithDifferentFlags},
              {base.Dr(9), TR::kExistsWithDifferentDebitAccountId},
              {base.Cr(10), TR::kExistsWithDifferentCreditAccountId},
              {base.Amount(11), TR::kExistsWithDifferentAmount},
              {base.Amount(9), TR::kExistsWithDifferentAmount},
              {base.Amount(kUpTo), TR::kExists},  // "as much as possible": not less than 10
              {base.Ud128(0), TR::kExistsWithDifferentUserData128},
              {base.Ud64(0), TR::kExistsWithDifferentUserData64},
              {base.Ud32(0), TR::kExistsWithDifferentUserData32},
              {base.Code(4), TR::kExistsWithDifferentCode},
              // The first difference wins, in this order.
              {base.Pending().Dr(9), TR::kExistsWithDifferentFlags},
              {base.Dr(9).Cr(10), TR::kExistsWithDifferentDebitAccountId},
              {base.Cr(10).Amount(11), TR::kExistsWithDifferentCreditAccountId},
              {base.Amount(11).Ud128(0), TR::kExistsWithDifferentAmount},
              {base.Ud128(0).Ud64(0), TR::kExistsWithDifferentUserData128},
              {base.Ud64(0).Ud32(0), TR::kExistsWithDifferentUserData64},
              {base.Ud32(0).Code(4), TR::kExistsWithDifferentUserData32},
              // exists comes after the lookups, before closed and limit checks.
              {base.Dr(99), TR::kDebitAccountNotFound},
              {base.Dr(3), TR::kAccountsMustHaveTheSameLedger},
              {base.Dr(5), TR::kExistsWithDifferentDebitAccountId},
              {base.Dr(6), TR::kExistsWithDifferentDebitAccountId},
              {BalancesAre(1, 0, 10, 0, 0)},
          }),
      WithAccounts(
          "TransferChains",
          {
              // All ok, and a later event may use an earlier one.
              {T(800, 1, 2, 10).Pending().Linked(), Ok(10)},
              {Post(801, 800).Linked(), Ok(10), kSameCall},
              {T(802, 2, 1, 3), Ok(3), kSameCall},
              {BalancesAre(1, 0, 10, 0, 3)},
              // A failure in the middle: the earlier event is undone, the
              // later one is not evaluated, the next chain is independent.
              {T(810, 1, 2, 10).Linked(), TR::kLinkedEventFailed},
              {T(811, 1, 2, 0).Linked(), TR::kAmountMustNotBeZero, kSameCall},
              {T(812, 1, 99, 10), TR::kLinkedEventFailed, kSameCall},
              {T(813, 1, 2, 1), Ok(1), kSameCall},
              {BalancesAre(1, 0, 11, 0, 3)},
              // A failure at the end undoes a pending transfer and its post.
              {T(820, 1, 2, 10).Pending().Linked(), TR::kLinkedEventFailed},
              {Post(821, 820).Linked(), TR::kLinkedEventFailed, kSameCall},
              {T(822, 6, 2, 1), TR::kExceedsCredits, kSameCall},
              {PendingIs(820, PS::kNone)},
              {Post(823, 820), TR::kPendingTransferNotFound},
              {T(810, 1, 2, 10), Ok(10)},  // the ids are free again
              {T(820, 1, 2, 10).Pending(), Ok(10)},
              {BalancesAre(1, 10, 21, 0, 3)},
              // The last event of a call is linked: the chain is open.
              {T(830, 1, 2, 1), Ok(1)},
              {T(831, 1, 2, 1).Linked(), TR::kLinkedEventChainOpen, kSameCall},
              {T(832, 1, 2, 1).Linked(), TR::kLinkedEventFailed},
              {T(833, 1, 2, 1).Linked(), TR::kLinkedEventChainOpen, kSameCall},
              // A retried chain: its first event exists, so the chain fails.
              {T(840, 1, 2, 5).Linked(), Ok(5)},
              {T(841, 2, 1, 5), Ok(5), kSameCall},
              {T(840, 1, 2, 5).Linked(), TR::kExists},
              {T(841, 2, 1, 5), TR::kLinkedEventFailed, kSameCall},
              // The same id twice in one chain: the second sees the first.
              {T(850, 1, 2, 5).Linked(), TR::kLinkedEventFailed},
              {T(850, 1, 2, 5), TR::kExistsWithDifferentFlags, kSameCall},
              {BalancesAre(1, 10, 27, 0, 8)},
              {BalancesAre(2, 0, 8, 10, 27)},
          }),
      WithAccounts(
          "Timestamps",
          {
              {Now(kT0 + 10 * kSecond)},
              {A(20), OkAt(kT0 + 10 * kSecond)},
              {Now(kT0)},  // the clock went back: timestamps still increase
              {A(21), OkAt(kT0 + 10 * kSecond + 1)},
              {A(0), AR::kIdMustNotBeZero},  // a failed event uses a timestamp too
              {A(22), OkAt(kT0 + 10 * kSecond + 3), kSameCall},
              {TimestampLast(kT0 + 10 * kSecond + 3)},
              {T(10, 1, 2, 1).Linked(), TR::kLinkedEventFailed},
              {T(11, 1, 2, 0), TR::kAmountMustNotBeZero, kSameCall},
              {T(12, 1, 2, 1), Ok(1).At(kT0 + 10 * kSecond + 6), kSameCall},
              {Now(kT0 + 20 * kSecond)},
              {T(13, 1, 2, 1), Ok(1).At(kT0 + 20 * kSecond)},
              {T(14, 1, 2, 1), Ok(1).At(kT0 + 20 * kSecond + 1)},  // the same now again
              {Expire(0)},  // nothing to expire: no timestamp used
              {TimestampLast(kT0 + 20 * kSecond + 1)},
          }),
  };
}

std::vector<Scenario> AllScenarios() {
  std::vector<Scenario> all;
  for (auto part : {AccountScenarios(), TransferRuleScenarios(), TwoPhaseScenarios(),
                    ExpiryScenarios(), BalancingScenarios(), LimitScenarios(),
                    ChainAndIdScenarios()}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

class StateMachineScenario : public testing::TestWithParam<Scenario> {};

TEST_P(StateMachineScenario, AnswersEveryRow) {
  Coverage coverage;
  Runner(GetParam(), &coverage).Run();
}

INSTANTIATE_TEST_SUITE_P(Tables, StateMachineScenario, testing::ValuesIn(AllScenarios()),
                         [](const testing::TestParamInfo<Scenario>& info) {
                           return info.param.name;
                         });

// exists_with_different_ledger cannot happen for a transfer: a new transfer's
// ledger must equal its debit account's, and an existing transfer with a
// different debit account answers exists_with_different_debit_account_id
// first; a post or void with a different ledger answers
// pending_transfer_has_different_ledger before the exists check.
const std::set<TR> kUnreachableTransferResults = {TR::kExistsWithDifferentLedger};

TEST(StateMachineResults, EveryResultCodeIsProvoked) {
  Coverage coverage;
  for (const Scenario& scenario : AllScenarios()) Runner(scenario, &coverage).Run();
  for (uint32_t code = 0; code < kCreateAccountResultCount; ++code) {
    const auto r = static_cast<AR>(code);
    EXPECT_TRUE(coverage.accounts.contains(r)) << "no scenario provokes " << ResultName(r);
  }
  for (uint32_t code = 0; code < kCreateTransferResultCount; ++code) {
    const auto r = static_cast<TR>(code);
    if (kUnreachableTransferResults.contains(r)) continue;
    EXPECT_TRUE(coverage.transfers.contains(r)) << "no scenario provokes " << ResultName(r);
  }
}

TEST(StateMachineResults, EveryCodeHasItsOwnName) {
  std::set<std::string_view> names;
  for (uint32_t code = 0; code < kCreateAccountResultCount; ++code) {
    const std::string_view name = ResultName(static_cast<AR>(code));
    EXPECT_FALSE(name.empty()) << code;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(ResultName(AR::kExistsWithDifferentUserData128), "exists_with_different_user_data_128");
  names.clear();
  for (uint32_t code = 0; code < kCreateTransferResultCount; ++code) {
    const std::string_view name = ResultName(static_cast<TR>(code));
    EXPECT_FALSE(name.empty()) << code;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(ResultName(TR::kOk), "ok");
  EXPECT_EQ(ResultName(TR::kLinkedEventChainOpen), "linked_event_chain_open");
  EXPECT_EQ(ResultName(TR::kExceedsCredits), "exceeds_credits");
}

// ---------------------------------------------------------------------------
// What lands in the store::Batch.

std::vector<AccountOutcome> CreateAccounts(StateMachine& sm, uint64_t now_ns,
                                           std::vector<A> accounts) {
  std::vector<Account> events;
  for (const A& a : accounts) events.push_back(a.account);
  std::vector<AccountOutcome> outcomes;
  sm.CreateAccounts(events, now_ns, &outcomes);
  return outcomes;
}

std::vector<TransferOutcome> CreateTransfers(StateMachine& sm, uint64_t now_ns,
                                             std::vector<T> transfers) {
  std::vector<Transfer> events;
  for (const T& t : transfers) events.push_back(t.transfer);
  std::vector<TransferOutcome> outcomes;
  sm.CreateTransfers(events, now_ns, &outcomes);
  return outcomes;
}

std::vector<TR> Results(const std::vector<TransferOutcome>& outcomes) {
  std::vector<TR> results;
  for (const TransferOutcome& o : outcomes) results.push_back(o.result);
  return results;
}

std::vector<AR> Results(const std::vector<AccountOutcome>& outcomes) {
  std::vector<AR> results;
  for (const AccountOutcome& o : outcomes) results.push_back(o.result);
  return results;
}

// A fresh state machine with accounts 1 and 2 (ledger 1) and 3 (history),
// created and committed at kT0 so that later batches start empty.
void SetUp3Accounts(StateMachine& sm) {
  sm.BeginBatch();
  ASSERT_EQ(Results(CreateAccounts(sm, kT0, {A(1), A(2), A(3).History()})),
            (std::vector<AR>{AR::kOk, AR::kOk, AR::kOk}));
  store::Batch batch;
  sm.FinishBatch(&batch);
}

TEST(StateMachineBatch, AccountsCreatedWithZeroBalancesInTimestampOrder) {
  StateMachine sm;
  sm.BeginBatch();
  ASSERT_EQ(Results(CreateAccounts(sm, kT0, {A(2).Ud64(5), A(0), A(1).History()})),
            (std::vector<AR>{AR::kOk, AR::kIdMustNotBeZero, AR::kOk}));
  ASSERT_EQ(Results(CreateAccounts(sm, kT0, {A(3).Ledger(2)})), std::vector<AR>{AR::kOk});
  store::Batch batch;
  sm.FinishBatch(&batch);

  ASSERT_EQ(batch.accounts_created.size(), 3u);
  EXPECT_EQ(batch.accounts_created[0], A(2).Ud64(5).Timestamp(kT0).account);
  EXPECT_EQ(batch.accounts_created[1], A(1).History().Timestamp(kT0 + 2).account);
  EXPECT_EQ(batch.accounts_created[2], A(3).Ledger(2).Timestamp(kT0 + 3).account);
  EXPECT_TRUE(batch.transfers_created.empty());
  EXPECT_TRUE(batch.expiries.empty());
  EXPECT_TRUE(batch.balances.empty());
  for (const Account& a : batch.accounts_updated) EXPECT_EQ(*sm.LookupAccount(a.id), a);
  EXPECT_EQ(sm.account_count(), 3u);
}

TEST(StateMachineBatch, TransfersAsStoredAndEachTouchedAccountOnce) {
  StateMachine sm;
  SetUp3Accounts(sm);
  sm.BeginBatch();
  const uint64_t now = kT1;
  ASSERT_EQ(Results(CreateTransfers(sm, now,
                                    {T(10, 1, 2, 7).Ud64(1), T(11, 1, 2, 5).Pending(),
                                     Post(12, 11, 3).Ud32(4), T(13, 1, 2, 0)})),
            (std::vector<TR>{TR::kOk, TR::kOk, TR::kOk, TR::kAmountMustNotBeZero}));
  ASSERT_EQ(Results(CreateTransfers(sm, now, {T(14, 2, 1, 1)})), std::vector<TR>{TR::kOk});
  store::Batch batch;
  sm.FinishBatch(&batch);

  EXPECT_TRUE(batch.accounts_created.empty());
  ASSERT_EQ(batch.transfers_created.size(), 4u);
  EXPECT_EQ(batch.transfers_created[0], T(10, 1, 2, 7).Ud64(1).Timestamp(kT1).transfer);
  EXPECT_EQ(batch.transfers_created[1], T(11, 1, 2, 5).Pending().Timestamp(kT1 + 1).transfer);
  // A post is stored with the pending transfer's accounts, ledger and code,
  // and with the amount that moved.
  EXPECT_EQ(batch.transfers_created[2],
            Post(12, 11, 3).Ud32(4).Dr(1).Cr(2).Ledger(1).Code(1).Timestamp(kT1 + 2).transfer);
  EXPECT_EQ(batch.transfers_created[3], T(14, 2, 1, 1).Timestamp(kT1 + 4).transfer);
  for (const Transfer& t : batch.transfers_created) EXPECT_EQ(*sm.LookupTransfer(t.id), t);

  // Accounts 1 and 2, once each, in their final state; 3 was not touched.
  std::vector<Account> updated = batch.accounts_updated;
  std::sort(updated.begin(), updated.end(),
            [](const Account& x, const Account& y) { return x.id < y.id; });
  ASSERT_EQ(updated.size(), 2u);
  EXPECT_EQ(updated[0], *sm.LookupAccount(Id128::FromU64(1)));
  EXPECT_EQ(updated[1], *sm.LookupAccount(Id128::FromU64(2)));
  EXPECT_EQ(updated[0].debits_posted, 10u);
  EXPECT_EQ(updated[0].credits_posted, 1u);
  EXPECT_EQ(updated[0].debits_pending, 0u);
  EXPECT_TRUE(batch.expiries.empty());
  EXPECT_TRUE(batch.balances.empty());
}

TEST(StateMachineBatch, FailedChainsLeaveNoTrace) {
  StateMachine sm;
  SetUp3Accounts(sm);
  sm.BeginBatch();
  EXPECT_EQ(Results(CreateTransfers(sm, kT1,
                                    {T(10, 1, 3, 5).Linked(), T(11, 1, 3, 5).Pending().Linked(),
                                     Post(12, 11).Linked(), T(13, 3, 2, 0)})),
            (std::vector<TR>{TR::kLinkedEventFailed, TR::kLinkedEventFailed,
                             TR::kLinkedEventFailed, TR::kAmountMustNotBeZero}));
  EXPECT_EQ(Results(CreateTransfers(sm, kT1, {T(14, 1, 3, 5).Pending(1).Linked()})),
            std::vector<TR>{TR::kLinkedEventChainOpen});
  EXPECT_EQ(Results(CreateAccounts(sm, kT1, {A(4).Linked(), A(5).Linked(), A(0)})),
            (std::vector<AR>{AR::kLinkedEventFailed, AR::kLinkedEventFailed,
                             AR::kIdMustNotBeZero}));
  EXPECT_EQ(sm.ExpirePending(kT1 + 10 * kSecond), 0u);  // 14 never existed
  store::Batch batch;
  sm.FinishBatch(&batch);

  EXPECT_TRUE(batch.Empty());
  EXPECT_TRUE(batch.accounts_created.empty());
  EXPECT_TRUE(batch.transfers_created.empty());
  EXPECT_TRUE(batch.expiries.empty());
  EXPECT_TRUE(batch.accounts_updated.empty());
  EXPECT_TRUE(batch.balances.empty());
  for (uint64_t id : {10, 11, 12, 13, 14}) EXPECT_EQ(sm.LookupTransfer(Id128::FromU64(id)), nullptr);
  for (uint64_t id : {4, 5}) EXPECT_EQ(sm.LookupAccount(Id128::FromU64(id)), nullptr);
  for (uint64_t id : {1, 2, 3}) {
    const Account* a = sm.LookupAccount(Id128::FromU64(id));
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->debits_pending + a->debits_posted + a->credits_pending + a->credits_posted, 0u);
  }
  EXPECT_EQ(sm.transfer_count(), 0u);
  EXPECT_EQ(sm.account_count(), 3u);
  EXPECT_FALSE(sm.NextExpiryNs().has_value());
  sm.AssertInvariants();
}

TEST(StateMachineBatch, HistoryRowsForHistoryAccountsOnly) {
  StateMachine sm;
  SetUp3Accounts(sm);  // 3 has history; 1 and 2 do not
  sm.BeginBatch();
  ASSERT_EQ(Results(CreateAccounts(sm, kT1, {A(4).History()})), std::vector<AR>{AR::kOk});
  // ts kT1 + 1 .. kT1 + 4
  ASSERT_EQ(Results(CreateTransfers(sm, kT1,
                                    {T(10, 4, 3, 10), T(11, 2, 3, 4).Pending(1), Post(12, 11, 3),
                                     T(13, 3, 4, 2).Pending(1)})),
            (std::vector<TR>{TR::kOk, TR::kOk, TR::kOk, TR::kOk}));
  // ts kT1 + 5, + 6: a failed chain writes no rows.
  ASSERT_EQ(Results(CreateTransfers(sm, kT1, {T(14, 4, 3, 1).Linked(), T(15, 4, 3, 0)})),
            (std::vector<TR>{TR::kLinkedEventFailed, TR::kAmountMustNotBeZero}));
  // ts kT1 + 7: ok with amount 0 still touches both accounts.
  const std::vector<TransferOutcome> zero =
      CreateTransfers(sm, kT1, {T(16, 2, 4, 5).BalancingDebit()});
  ASSERT_EQ(Results(zero), std::vector<TR>{TR::kOk});
  EXPECT_EQ(zero[0].amount, 0u);
  // ts kT1 + 1 s: 13 expires (it was created at kT1 + 4).
  ASSERT_EQ(sm.ExpirePending(kT1 + 4 + kSecond), 1u);
  store::Batch batch;
  sm.FinishBatch(&batch);

  const Id128 a3 = Id128::FromU64(3), a4 = Id128::FromU64(4);
  const std::vector<AccountBalance> expected = {
      {a4, kT1 + 1, 0, 10, 0, 0},  {a3, kT1 + 1, 0, 0, 0, 10},           // 10: 4 → 3
      {a3, kT1 + 2, 0, 0, 4, 10},                                         // 11: 2 → 3 pending
      {a3, kT1 + 3, 0, 0, 0, 13},                                         // 12: post 3 of 4
      {a3, kT1 + 4, 2, 0, 0, 13},  {a4, kT1 + 4, 0, 10, 2, 0},           // 13: 3 → 4 pending
      {a4, kT1 + 7, 0, 10, 2, 0},                                         // 16: 2 → 4, amount 0
      {a3, kT1 + 4 + kSecond, 0, 0, 0, 13}, {a4, kT1 + 4 + kSecond, 0, 10, 0, 0},  // expiry of 13
  };
  EXPECT_EQ(batch.balances, expected);
  ASSERT_EQ(batch.expiries.size(), 1u);
  EXPECT_EQ(batch.expiries[0], (Expiry{Id128::FromU64(13), kT1 + 4 + kSecond}));
}

TEST(StateMachineExpiry, InOrderOfExpiryThenId) {
  StateMachine sm;
  SetUp3Accounts(sm);
  sm.BeginBatch();
  const auto pending = [&](uint64_t now, uint64_t id, uint32_t timeout_s) {
    ASSERT_EQ(Results(CreateTransfers(sm, now, {T(id, 1, 2, 1).Pending(timeout_s)})),
              std::vector<TR>{TR::kOk});
  };
  pending(kT1, 209, 3);                   // expires at kT1 + 3 s
  pending(kT1 + kSecond, 205, 2);         // kT1 + 3 s too: a lower id
  pending(kT1 + kSecond, 201, 3);         // created at kT1 + 1 s + 1: kT1 + 4 s + 1
  pending(kT1 + 2 * kSecond - 7, 230, 1); // kT1 + 3 s - 7: the earliest
  EXPECT_EQ(sm.NextExpiryNs(), kT1 + 3 * kSecond - 7);
  EXPECT_EQ(sm.ExpirePending(kT1 + 3 * kSecond - 8), 0u);
  EXPECT_EQ(sm.ExpirePending(kT1 + 3 * kSecond), 3u);
  EXPECT_EQ(sm.NextExpiryNs(), kT1 + 4 * kSecond + 1);
  EXPECT_EQ(sm.ExpirePending(kT1 + 10 * kSecond), 1u);
  EXPECT_FALSE(sm.NextExpiryNs().has_value());
  store::Batch batch;
  sm.FinishBatch(&batch);
  const std::vector<Expiry> expected = {
      {Id128::FromU64(230), kT1 + 3 * kSecond},
      {Id128::FromU64(205), kT1 + 3 * kSecond + 1},
      {Id128::FromU64(209), kT1 + 3 * kSecond + 2},
      {Id128::FromU64(201), kT1 + 10 * kSecond},
  };
  EXPECT_EQ(batch.expiries, expected);
  const Account* a1 = sm.LookupAccount(Id128::FromU64(1));
  EXPECT_EQ(a1->debits_pending, 0u);
  EXPECT_EQ(a1->debits_posted, 0u);
}

TEST(StateMachineExpiry, CreateTransfersExpiresBeforeItsEvents) {
  StateMachine sm;
  SetUp3Accounts(sm);
  sm.BeginBatch();
  ASSERT_EQ(Results(CreateTransfers(sm, kT1, {T(10, 1, 2, 5).Pending(1)})),
            std::vector<TR>{TR::kOk});
  const std::vector<TransferOutcome> outcomes =
      CreateTransfers(sm, kT1 + 5 * kSecond, {T(11, 1, 2, 1), Post(12, 10)});
  EXPECT_EQ(Results(outcomes), (std::vector<TR>{TR::kOk, TR::kPendingTransferExpired}));
  EXPECT_EQ(outcomes[0].timestamp, kT1 + 5 * kSecond + 1);  // the expiry took kT1 + 5 s
  store::Batch batch;
  sm.FinishBatch(&batch);
  ASSERT_EQ(batch.expiries.size(), 1u);
  EXPECT_EQ(batch.expiries[0], (Expiry{Id128::FromU64(10), kT1 + 5 * kSecond}));
  EXPECT_EQ(sm.GetPendingStatus(Id128::FromU64(10)), PS::kExpired);
}

}  // namespace
}  // namespace netfin::ledger
