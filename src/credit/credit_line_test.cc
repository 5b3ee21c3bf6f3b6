#include "credit/credit_line.h"

#include <gtest/gtest.h>

#include "credit/credit_test_support.h"
#include "credit/day_end.h"
#include "credit/repayment.h"

namespace netfin::credit {
namespace {

using test_support::D;

using test_support::PayLater;

// A pay-later line of 20,000.00 CNY with a 10,000.00 CNY purchase, billed on
// 2024-02-01 (due 02-10) into *bill.
CreditLine LineWithBill(Loan* bill) {
  CreditLine line;
  line.limit_minor = 2'000'000;
  EXPECT_EQ(Purchase(1'000'000, &line), CreditResult::kOk);
  EXPECT_EQ(CloseCycle(PayLater(), D("2024-02-01"), &line, bill), CreditResult::kOk);
  return line;
}

TEST(CreditLineTest, PurchasesWithinTheLimit) {
  CreditLine line;
  line.limit_minor = 100'000;
  EXPECT_EQ(Purchase(0, &line), CreditResult::kZeroAmount);
  EXPECT_EQ(Purchase(60'000, &line), CreditResult::kOk);
  EXPECT_EQ(line.available_minor(), 40'000u);
  EXPECT_EQ(Purchase(40'001, &line), CreditResult::kOverCreditLimit);
  EXPECT_EQ(line.used_minor, 60'000u);  // refused: unchanged
  EXPECT_EQ(Purchase(40'000, &line), CreditResult::kOk);
  EXPECT_EQ(line.available_minor(), 0u);
  EXPECT_EQ(Purchase(1, &line), CreditResult::kOverCreditLimit);
  Loan bill;
  ASSERT_EQ(CloseCycle(PayLater(), D("2024-02-01"), &line, &bill), CreditResult::kOk);
  RestoreLimit(50'000, &line);  // half the bill repaid
  EXPECT_EQ(line.available_minor(), 50'000u);
  line.state = LineState::kFrozen;
  EXPECT_EQ(Purchase(1, &line), CreditResult::kLineFrozen);
  line.limit_minor = 10'000;  // lowered below what is used: nothing available
  EXPECT_EQ(line.available_minor(), 0u);
}

TEST(CreditLineTest, ABillPaidInFullByItsDueDayIsInterestFree) {
  CreditLine line;
  line.limit_minor = 500'000;
  ASSERT_EQ(Purchase(30'000, &line), CreditResult::kOk);
  ASSERT_EQ(Purchase(12'345, &line), CreditResult::kOk);
  Loan bill;
  EXPECT_EQ(CloseCycle(PayLater(), D("2024-02-02"), &line, &bill), CreditResult::kNotStatementDay);
  ASSERT_EQ(CloseCycle(PayLater(), D("2024-02-01"), &line, &bill), CreditResult::kOk);
  EXPECT_EQ(line.unbilled_minor, 0u);
  EXPECT_EQ(line.used_minor, 42'345u);  // still used until repaid
  ASSERT_EQ(bill.instalments.size(), 1u);
  EXPECT_EQ(bill.instalments[0].scheduled.due_date, D("2024-02-10"));
  EXPECT_EQ(bill.instalments[0].scheduled.interest_minor, 0u);
  EXPECT_EQ(bill.instalments[0].statement_date, D("2024-02-01"));
  EXPECT_EQ(bill.statements_issued, 1u);
  EXPECT_EQ(bill.last_run_date, D("2024-02-01"));  // closed at that day-end
  EXPECT_EQ(CloseCycle(PayLater(), D("2024-03-01"), &line, &bill), CreditResult::kNothingToBill);
  // The day-end does not bill it again; it is due in full on 02-10.
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-09"), &bill, &events), CreditResult::kOk);
  EXPECT_TRUE(events.statements.empty());
  EXPECT_EQ(AmountDue(bill, D("2024-02-10")).total_minor(), 42'345u);
  Allocation applied;
  ASSERT_EQ(ApplyRepayment({D("2024-02-10"), 42'345, RepaymentKind::kRegular}, &bill, &applied),
            CreditResult::kOk);
  EXPECT_EQ(applied, (Allocation{0, 0, 0, 42'345}));
  EXPECT_EQ(bill.status, LoanStatus::kPaidOff);
  RestoreLimit(applied.principal_minor, &line);
  EXPECT_EQ(line.available_minor(), 500'000u);
}

TEST(CreditLineTest, AnUnpaidBillGoesOverdue) {
  CreditLine line;
  line.limit_minor = 500'000;
  ASSERT_EQ(Purchase(100'000, &line), CreditResult::kOk);
  Loan bill;
  ASSERT_EQ(CloseCycle(PayLater(), D("2024-02-01"), &line, &bill), CreditResult::kOk);
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-12"), &bill, &events), CreditResult::kOk);
  EXPECT_EQ(bill.days_past_due, 2u);
  EXPECT_EQ(bill.bucket(), Bucket::kM1);
  EXPECT_EQ(bill.penalty_accrued_minor, 100u);  // 2 days x 100,000 x 0.05%
}

TEST(CreditLineTest, ConvertingABillIntoInstalments) {
  Loan bill;
  LineWithBill(&bill);
  Offer offer;
  Loan instalments;
  const Loan bill_before = bill;
  EXPECT_EQ(ConvertBill(PayLater(), CapPolicy{}, 5, D("2024-02-02"), &bill, &offer, &instalments),
            CreditResult::kTermNotOffered);
  CapPolicy strict;
  strict.apr_cap_bps = 1'000;
  EXPECT_EQ(ConvertBill(PayLater(), strict, 12, D("2024-02-02"), &bill, &offer, &instalments),
            CreditResult::kAprAboveCap);
  EXPECT_EQ(bill, bill_before);
  EXPECT_EQ(ConvertBill(PayLater(), CapPolicy{}, 12, D("2024-02-03"), &bill, &offer, &instalments),
            CreditResult::kDayEndBehind);
  ASSERT_EQ(ConvertBill(PayLater(), CapPolicy{}, 12, D("2024-02-02"), &bill, &offer, &instalments),
            CreditResult::kOk);
  EXPECT_EQ(bill.status, LoanStatus::kConverted);
  EXPECT_EQ(OutstandingPrincipalMinor(bill), 0u);
  // Starts on the bill's due date; the first instalment is due a month later:
  // the flat fee's APR is the true 13.03%.
  EXPECT_EQ(instalments.terms.start_date, D("2024-02-10"));
  EXPECT_EQ(instalments.instalments[0].scheduled.due_date, D("2024-03-10"));
  EXPECT_EQ(instalments.instalments[0].statement_date, D("2024-03-01"));
  EXPECT_EQ(instalments.instalments[0].scheduled.fee_minor, 6'000u);
  EXPECT_NEAR(offer.apr.nominal, 0.1303, 0.0001);
  EXPECT_EQ(instalments.last_run_date, D("2024-02-01"));
  // Its day-ends run from the conversion day, and nothing accrues before its start.
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-09"), &instalments, &events), CreditResult::kOk);
  EXPECT_EQ(instalments.days_past_due, 0u);
  EXPECT_EQ(events.penalty_accrued_minor, 0u);
  // A converted bill cannot be converted or repaid again.
  EXPECT_EQ(ConvertBill(PayLater(), CapPolicy{}, 12, D("2024-02-02"), &bill, &offer, &instalments),
            CreditResult::kLoanPaidOff);
}

TEST(CreditLineTest, OnlyAnUntouchedBillBeforeItsDueDateConverts) {
  Loan bill;
  CreditLine line = LineWithBill(&bill);
  Offer offer;
  Loan instalments;
  Loan late = bill;
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-10"), &late, &events), CreditResult::kOk);
  EXPECT_EQ(ConvertBill(PayLater(), CapPolicy{}, 3, D("2024-02-11"), &late, &offer, &instalments),
            CreditResult::kBillNotConvertible);
  Allocation applied;
  ASSERT_EQ(ApplyRepayment({D("2024-02-02"), 100, RepaymentKind::kRegular}, &bill, &applied),
            CreditResult::kOk);
  EXPECT_EQ(ConvertBill(PayLater(), CapPolicy{}, 3, D("2024-02-02"), &bill, &offer, &instalments),
            CreditResult::kBillNotConvertible);
  Product cash = PayLater();
  cash.kind = ProductKind::kCashLoan;
  EXPECT_EQ(ConvertBill(cash, CapPolicy{}, 3, D("2024-02-02"), &bill, &offer, &instalments),
            CreditResult::kWrongProductKind);
  EXPECT_EQ(CloseCycle(cash, D("2024-03-01"), &line, &bill), CreditResult::kWrongProductKind);
}

}  // namespace
}  // namespace netfin::credit
