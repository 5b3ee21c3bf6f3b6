#include "credit/financing.h"

#include <gtest/gtest.h>

#include "credit/credit_test_support.h"
#include "credit/day_end.h"
#include "credit/offer.h"

namespace netfin::credit {
namespace {

using test_support::D;

Product Merchant() {
  Product p;
  p.name = "merchant";
  p.kind = ProductKind::kMerchantLoan;
  p.method = ScheduleMethod::kEqualPrincipal;
  p.terms = {3};
  p.annual_interest_bps = 1'200;
  p.sales_share_bps = 1'000;
  return p;
}

Product Receivable() {
  Product p;
  p.name = "receivable";
  p.kind = ProductKind::kReceivableFinancing;
  p.method = ScheduleMethod::kInterestFirst;
  p.terms = {3};
  p.annual_interest_bps = 720;  // 0.02% a day on Actual/360
  p.interest_basis = InterestBasis::kDayCount;
  p.day_count = DayCount::kActual360;
  p.advance_share_bps = 8'000;
  return p;
}

Loan Issue(const Product& p, core::AmountMinor amount, const char* start) {
  Offer offer;
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {amount, 3, D(start)}, &offer), CreditResult::kOk);
  return LoanFromOffer(offer);
}

TEST(FinancingTest, SalesSweepTakesItsShareUpToWhatIsDue) {
  const Product p = Merchant();
  Loan loan = Issue(p, 300'000, "2024-01-10");  // 100,000 + 3,000 interest due 02-10, billed 02-03
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-02"), &loan, &events), CreditResult::kOk);
  core::AmountMinor take = 99;
  ASSERT_EQ(SalesRepaymentMinor(p, loan, D("2024-02-02"), 500'000, &take), CreditResult::kOk);
  EXPECT_EQ(take, 0u);  // nothing billed yet
  ASSERT_EQ(SalesRepaymentMinor(p, loan, D("2024-02-03"), 500'000, &take), CreditResult::kOk);
  EXPECT_EQ(take, 50'000u);  // 10% of the day's sales
  ASSERT_EQ(SalesRepaymentMinor(p, loan, D("2024-02-03"), 5'000'000, &take), CreditResult::kOk);
  EXPECT_EQ(take, 103'000u);  // never more than is due
  ASSERT_EQ(SalesRepaymentMinor(p, loan, D("2024-02-03"), 5, &take), CreditResult::kOk);
  EXPECT_EQ(take, 0u);  // 0.5 fen rounds half to even: 0
  ASSERT_EQ(SalesRepaymentMinor(p, loan, D("2024-02-03"), 15, &take), CreditResult::kOk);
  EXPECT_EQ(take, 2u);  // 1.5 -> 2
  EXPECT_EQ(SalesRepaymentMinor(Receivable(), loan, D("2024-02-03"), 5, &take),
            CreditResult::kWrongProductKind);
  // A written-off loan still shows what was due, but sales no longer repay it.
  DayEndPolicy write_off;
  write_off.write_off_dpd = 361;
  ASSERT_EQ(RunDay(write_off, D("2025-03-01"), &loan, &events), CreditResult::kOk);
  ASSERT_EQ(loan.status, LoanStatus::kWrittenOff);
  ASSERT_GT(AmountDue(loan, D("2025-03-02")).total_minor(), 0u);
  ASSERT_EQ(SalesRepaymentMinor(p, loan, D("2025-03-02"), 500'000, &take), CreditResult::kOk);
  EXPECT_EQ(take, 0u);
}

TEST(FinancingTest, ReceivableAdvanceAndTheBuyersPayment) {
  const Product p = Receivable();
  core::AmountMinor advance = 0;
  ASSERT_EQ(ReceivableAdvanceMinor(p, 1'250'000, &advance), CreditResult::kOk);
  EXPECT_EQ(advance, 1'000'000u);  // 80% of 12,500.00 CNY
  EXPECT_EQ(ReceivableAdvanceMinor(p, 0, &advance), CreditResult::kZeroAmount);
  EXPECT_EQ(ReceivableAdvanceMinor(Merchant(), 1, &advance), CreditResult::kWrongProductKind);

  Loan loan = Issue(p, advance, "2024-01-10");
  // Interest first, Actual/360 at 7.2%: 0.02% a day; the first month 31 days = 6,200.
  EXPECT_EQ(loan.instalments[0].scheduled.interest_minor, 6'200u);
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-01-29"), &loan, &events), CreditResult::kOk);
  // The buyer pays the whole receivable on 01-30, 20 days in: 1,000,000 x 0.02% x 20
  // = 4,000 interest (6,200 x 20 / 31 = 4,000): the advance and interest to the lender,
  // the rest to the supplier.
  BuyerPaymentSplit split;
  ASSERT_EQ(SplitBuyerPayment(loan, D("2024-01-30"), 1'250'000, &split), CreditResult::kOk);
  EXPECT_EQ(split.payoff, (Allocation{0, 0, 4'000, 1'000'000}));
  EXPECT_EQ(split.to_loan_minor, 1'004'000u);
  EXPECT_EQ(split.to_supplier_minor, 246'000u);
  EXPECT_EQ(split.held_minor, 0u);
  Allocation applied;
  ASSERT_EQ(ApplyRepayment({D("2024-01-30"), split.to_loan_minor, RepaymentKind::kPayoff}, &loan,
                           &applied),
            CreditResult::kOk);
  EXPECT_EQ(loan.status, LoanStatus::kPaidOff);
}

TEST(FinancingTest, AShortBuyerPaymentIsHeld) {
  Loan loan = Issue(Receivable(), 1'000'000, "2024-01-10");
  BuyerPaymentSplit split;
  ASSERT_EQ(SplitBuyerPayment(loan, D("2024-01-10"), 999'999, &split), CreditResult::kOk);
  EXPECT_EQ(split.held_minor, 999'999u);
  EXPECT_EQ(split.to_loan_minor, 0u);
  EXPECT_EQ(split.to_supplier_minor, 0u);
  EXPECT_EQ(SplitBuyerPayment(loan, D("2024-01-10"), 0, &split), CreditResult::kZeroAmount);
  EXPECT_EQ(SplitBuyerPayment(loan, D("2024-01-11"), 1, &split), CreditResult::kDayEndBehind);
}

}  // namespace
}  // namespace netfin::credit
