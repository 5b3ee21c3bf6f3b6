// A reference-model auditor for the credit service: random loans (cash to
// wallets, purchases paid to a merchant), repayments (partial, in full,
// early payoffs, refused ones) and day-ends over many borrowers, from a
// fixed seed, with a restart in the middle. After every step the ledger must
// balance, no account may break its side, every wallet must hold what the
// model says, and the receivable must equal the loans' outstanding balances
// computed from the loans themselves.

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "credit/credit_service.h"
#include "credit/credit_service_test_support.h"

namespace netfin::credit {
namespace {

using test_support::CreditOnScratchLedger;
using test_support::Day;

constexpr uint64_t kBorrowers = 24;
constexpr uint64_t kMerchant = kBorrowers + 1;  // the account purchases are paid to
constexpr int kSteps = 400;

struct Model {
  std::map<uint64_t, int64_t> balance;  // account number -> credit balance
};

class Auditor : public CreditOnScratchLedger {
 public:
  Auditor() : CreditOnScratchLedger(Policy()) {
    OpenAccounts(kMerchant);
    for (uint64_t n = 1; n <= kBorrowers; ++n) {
      Fund(Account(n), 50'000);
      model_.balance[n] = 50'000;
    }
    model_.balance[kMerchant] = 0;
  }

  static CreditPolicy Policy() {
    CreditPolicy p;
    p.day_end.write_off_dpd = 120;
    return p;
  }

  CreditCall Call() {
    CreditCall c;
    c.key_id = "op";
    c.idempotency_key = "k" + std::to_string(++keys_);
    c.fingerprint = c.idempotency_key;
    return c;
  }

  void Step(std::mt19937_64& rng) {
    const uint64_t borrower = 1 + rng() % kBorrowers;
    switch (rng() % 8) {
      case 0: case 1: return OpenLoan(rng, borrower);
      case 2: case 3: case 4: return RepayOne(rng, borrower);
      case 5: return Payoff(rng, borrower);
      default: return DayEnd(rng);
    }
  }

  void OpenLoan(std::mt19937_64& rng, uint64_t borrower) {
    const bool purchase = rng() % 2 == 0;
    const AmountMinor amount = purchase ? 10'000 + rng() % 200'000 : 50'000 + rng() % 200'000;
    const uint32_t terms = purchase ? std::vector<uint32_t>{3, 6, 12}[rng() % 3] : std::vector<uint32_t>{3, 6, 12}[rng() % 3];
    const uint64_t dest = purchase ? kMerchant : borrower;
    const CreditReply r = svc().Await([&](CreditReplyFn done) {
      svc().OpenLoan(Call(), {Id128{0, borrower}, purchase ? "instalment" : "cash_loan", amount, terms,
                              purchase ? DisbursementKind::kMerchant : DisbursementKind::kWallet, Account(dest), 0},
                     std::move(done));
    });
    if (r.ok()) {
      model_.balance[dest] += static_cast<int64_t>(amount);
      loans_[borrower].push_back(r.loan_id);
    } else {
      EXPECT_EQ(r.code(), "person_cap_exceeded") << r.message;
    }
  }

  std::optional<LoanRecord> SomeLoan(std::mt19937_64& rng, uint64_t borrower) {
    auto& ids = loans_[borrower];
    if (ids.empty()) return std::nullopt;
    return svc().LoanSnapshot(ids[rng() % ids.size()]);
  }

  void Pay(uint64_t borrower, const LoanRecord& loan, AmountMinor amount, RepaymentKind kind) {
    const CreditReply r = svc().Await([&](CreditReplyFn done) {
      svc().Repay(Call(), {loan.id, Account(borrower), amount, kind}, std::move(done));
    });
    const bool closed = loan.loan.status != LoanStatus::kActive;
    const bool poor = model_.balance[borrower] < static_cast<int64_t>(amount);
    if (closed) {
      EXPECT_TRUE(r.code() == "loan_paid_off" || r.code() == "loan_written_off") << r.code();
    } else if (poor) {
      EXPECT_EQ(r.code(), "insufficient_balance");
    } else {
      ASSERT_TRUE(r.ok()) << r.code() << ": " << r.message;
    }
    if (r.ok()) model_.balance[borrower] -= static_cast<int64_t>(amount);
  }

  void RepayOne(std::mt19937_64& rng, uint64_t borrower) {
    auto loan = SomeLoan(rng, borrower);
    if (!loan) return;
    const AmountMinor due = AmountDue(loan->loan, svc().OpenDate()).total_minor();
    if (loan->loan.status == LoanStatus::kActive && due == 0) return;
    // Mostly all that is due, sometimes part of it, sometimes a closed loan.
    AmountMinor amount = due == 0 ? 100 : (rng() % 3 == 0 ? 1 + rng() % due : due);
    Pay(borrower, *loan, amount, RepaymentKind::kRegular);
  }

  void Payoff(std::mt19937_64& rng, uint64_t borrower) {
    auto loan = SomeLoan(rng, borrower);
    if (!loan || loan->loan.status != LoanStatus::kActive) return;
    Pay(borrower, *loan, PayoffQuote(loan->loan, svc().OpenDate()).total_minor(), RepaymentKind::kPayoff);
  }

  void DayEnd(std::mt19937_64& rng) {
    // Borrowers get paid now and then, so that some loans recover.
    for (uint64_t n = 1; n <= kBorrowers; ++n) {
      if (rng() % 4 == 0) {
        Fund(Account(n), 20'000);
        model_.balance[n] += 20'000;
      }
    }
    const CivilDate date = svc().OpenDate().AddDays(static_cast<int32_t>(rng() % 12));
    const CreditReply r = svc().RunDay(Call(), date);
    ASSERT_TRUE(r.ok()) << r.code() << ": " << r.message;
    // The same date again changes nothing.
    const int64_t receivable = CreditBalance(svc().Books(test_support::kLedger)->receivable);
    EXPECT_EQ(svc().RunDay(Call(), date).body, r.body);
    EXPECT_EQ(CreditBalance(svc().Books(test_support::kLedger)->receivable), receivable);
  }

  void Check() {
    const CreditBooks b = svc().Books(test_support::kLedger).value();
    std::vector<Id128> ids = {Funding(), b.lending_funds, b.receivable, b.interest_income, b.fee_income,
                              b.penalty_income, b.loss_provision, b.provision_expense, b.written_off};
    for (uint64_t n = 1; n <= kMerchant; ++n) ids.push_back(Account(n));
    // Each balance is far below 2^56 here, so ~40 of them sum without overflow.
    uint64_t debits = 0, credits = 0;
    for (const Id128& id : ids) {
      const store::Account a = *ledger().store().LookupAccount(id).value();
      ASSERT_LT(a.debits_posted, 1ull << 56);
      ASSERT_LT(a.credits_posted, 1ull << 56);
      debits += a.debits_posted;
      credits += a.credits_posted;
      if (store::Has(a.flags, store::AccountFlag::kDebitsMustNotExceedCredits)) {
        EXPECT_LE(a.debits_posted, a.credits_posted);
      }
      if (store::Has(a.flags, store::AccountFlag::kCreditsMustNotExceedDebits)) {
        EXPECT_LE(a.credits_posted, a.debits_posted);
      }
    }
    EXPECT_EQ(debits, credits) << "the ledger does not balance";
    for (const auto& [n, balance] : model_.balance) EXPECT_EQ(CreditBalance(Account(n)), balance) << "account " << n;
    AmountMinor outstanding = 0, provision = 0;
    for (const LoanRecord& r : svc().AllLoanSnapshots()) {
      if (r.loan.status == LoanStatus::kActive) outstanding += BookedBalanceMinor(r);
      else EXPECT_EQ(r.receivable_minor, 0u);
      provision += r.loan.status == LoanStatus::kActive ? r.loan.provision_target_minor : 0;
    }
    EXPECT_EQ(-CreditBalance(b.receivable), static_cast<int64_t>(outstanding));
    EXPECT_EQ(CreditBalance(b.loss_provision), static_cast<int64_t>(provision));
    EXPECT_EQ(CreditBalance(b.lending_funds), 0);
  }

 private:
  Model model_;
  std::map<uint64_t, std::vector<Id128>> loans_;
  uint64_t keys_ = 0;
};

TEST(CreditServiceProperty, RandomLoansRepaymentsAndDayEndsKeepTheBooks) {
  Auditor a;
  std::mt19937_64 rng(20261125);
  for (int step = 0; step < kSteps; ++step) {
    a.Step(rng);
    if (HasFatalFailure()) return;
    a.Check();
    if (step == kSteps / 2) {
      const auto before = a.svc().AllLoanSnapshots();
      a.Restart();
      const auto after = a.svc().AllLoanSnapshots();
      ASSERT_EQ(before.size(), after.size());
      for (size_t k = 0; k < before.size(); ++k) {
        EXPECT_EQ(before[k].loan, after[k].loan);
        EXPECT_EQ(before[k].entries, after[k].entries);
      }
      a.Check();
    }
    if (HasFailure()) FAIL() << "at step " << step;
  }
  // The run saw every kind of loan state.
  std::map<LoanStatus, int> statuses;
  for (const LoanRecord& r : a.svc().AllLoanSnapshots()) statuses[r.loan.status] += 1;
  EXPECT_GT(statuses[LoanStatus::kActive] + statuses[LoanStatus::kPaidOff], 0);
  EXPECT_GT(statuses[LoanStatus::kPaidOff], 0);
}

}  // namespace
}  // namespace netfin::credit
