// A reference-model auditor for the credit service: random loans (cash to
// wallets, purchases paid to a merchant), purchases on pay-later lines and
// their bills, repayments (partial, in full, early payoffs, refused ones)
// and day-ends over many borrowers, from a fixed seed, with a restart in the
// middle, with the custodian's reserve configured. After every step the
// ledger must balance, no account may break its side, every wallet must hold
// what the model says, the reserve must hold what the wallets and the
// merchant do, the receivable must equal the loans' outstanding balances
// (computed from the loans themselves) and the lines' unbilled purchases,
// and each line must use what is unbilled and its bills' principal unpaid.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

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
  Auditor() : CreditOnScratchLedger(Policy(), Day("2026-01-01"), {{test_support::kLedger, Reserve()}}) {
    OpenAccounts(kMerchant);
    for (uint64_t n = 1; n <= kBorrowers; ++n) {
      Fund(Account(n), 50'000);
      model_.balance[n] = 50'000;
      const CreditReply line = svc().Await([&](CreditReplyFn done) {
        svc().OpenLine(Call(), {Id128{0, n}, "pay_later", 100'000, test_support::kLedger}, std::move(done));
      });
      EXPECT_TRUE(line.ok()) << line.code();
      lines_[n] = line.line_id;
    }
    model_.balance[kMerchant] = 0;
  }

  static CreditPolicy Policy() {
    CreditPolicy p;
    p.day_end.write_off_dpd = 120;
    return p;
  }

  CreditCall Call() { return Operator(); }

  void Step(std::mt19937_64& rng) {
    const uint64_t borrower = 1 + rng() % kBorrowers;
    switch (rng() % 10) {
      case 0: case 1: return OpenLoan(rng, borrower);
      case 2: case 3: case 4: return RepayOne(rng, borrower);
      case 5: return Payoff(rng, borrower);
      case 6: case 7: return LinePurchase(rng, borrower);
      default: return DayEnd(rng);
    }
  }

  void LinePurchase(std::mt19937_64& rng, uint64_t borrower) {
    const AmountMinor amount = 1'000 + rng() % 40'000;
    const CreditReply r = svc().Await([&](CreditReplyFn done) {
      svc().LinePurchase(Call(), {lines_[borrower], amount, Account(kMerchant)}, std::move(done));
    });
    if (r.ok()) {
      model_.balance[kMerchant] += static_cast<int64_t>(amount);
    } else {
      EXPECT_TRUE(r.code() == "over_credit_limit" || r.code() == "line_frozen" || r.code() == "person_cap_exceeded")
          << r.code() << ": " << r.message;
    }
  }

  // The bills the day-ends cut are the borrowers' loans too.
  void FindBills() {
    for (const LoanRecord& r : svc().AllLoanSnapshots()) {
      if (r.line_id.IsZero() || !seen_.insert(r.id).second) continue;
      loans_[r.borrower_id.lo].push_back(r.id);
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
    FindBills();
    // The same date again changes nothing.
    const int64_t receivable = CreditBalance(svc().Books(test_support::kLedger)->receivable);
    EXPECT_EQ(svc().RunDay(Call(), date).body, r.body);
    EXPECT_EQ(CreditBalance(svc().Books(test_support::kLedger)->receivable), receivable);
  }

  void Check() {
    const CreditBooks b = svc().Books(test_support::kLedger).value();
    std::vector<Id128> ids = {Funding(), Reserve(), b.lending_funds, b.receivable, b.interest_income,
                              b.fee_income, b.penalty_income, b.loss_provision, b.provision_expense,
                              b.written_off, b.lender_funding, b.held_payments};
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
    int64_t held = 0;
    for (const auto& [n, balance] : model_.balance) {
      EXPECT_EQ(CreditBalance(Account(n)), balance) << "account " << n;
      held += balance;
    }
    EXPECT_EQ(-CreditBalance(Reserve()), held) << "the reserve is not what the accounts hold";
    AmountMinor outstanding = 0, provision = 0;
    std::map<Id128, AmountMinor> line_principal;
    for (const LoanRecord& r : svc().AllLoanSnapshots()) {
      if (r.loan.status == LoanStatus::kActive) outstanding += BookedBalanceMinor(r);
      else EXPECT_EQ(r.receivable_minor, 0u);
      provision += r.loan.status == LoanStatus::kActive ? r.loan.provision_target_minor : 0;
      if (!r.line_id.IsZero() && r.loan.status == LoanStatus::kActive) {
        line_principal[r.line_id] += OutstandingPrincipalMinor(r.loan);
      }
    }
    for (const LineRecord& l : svc().AllLineSnapshots()) {
      outstanding += l.line.unbilled_minor;
      EXPECT_EQ(l.line.used_minor, l.line.unbilled_minor + line_principal[l.id]);
      EXPECT_LE(l.line.used_minor, l.line.limit_minor);
    }
    EXPECT_EQ(-CreditBalance(b.receivable), static_cast<int64_t>(outstanding));
    EXPECT_EQ(CreditBalance(b.loss_provision), static_cast<int64_t>(provision));
    EXPECT_EQ(CreditBalance(b.lending_funds), 0);
  }

 private:
  Model model_;
  std::map<uint64_t, std::vector<Id128>> loans_;
  std::map<uint64_t, Id128> lines_;
  std::set<Id128> seen_;  // bills already in loans_
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
      const auto lines_before = a.svc().AllLineSnapshots();
      a.Restart();
      const auto after = a.svc().AllLoanSnapshots();
      const auto lines_after = a.svc().AllLineSnapshots();
      ASSERT_EQ(lines_before.size(), lines_after.size());
      for (size_t k = 0; k < lines_before.size(); ++k) {
        EXPECT_EQ(lines_before[k].entries, lines_after[k].entries);
        EXPECT_EQ(lines_before[k].line.used_minor, lines_after[k].line.used_minor);
        EXPECT_EQ(lines_before[k].line.unbilled_minor, lines_after[k].line.unbilled_minor);
        EXPECT_EQ(lines_before[k].line.state, lines_after[k].line.state);
      }
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
  // Lines were used, billed and repaid.
  size_t bills = 0, bills_paid = 0;
  for (const LoanRecord& r : a.svc().AllLoanSnapshots()) {
    if (r.line_id.IsZero()) continue;
    bills += 1;
    bills_paid += r.loan.status == LoanStatus::kPaidOff;
  }
  EXPECT_GT(bills, 10u);
  EXPECT_GT(bills_paid, 0u);
}

}  // namespace
}  // namespace netfin::credit
