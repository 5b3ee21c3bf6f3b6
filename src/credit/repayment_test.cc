#include "credit/repayment.h"

#include <gtest/gtest.h>

#include "credit/credit_test_support.h"
#include "credit/day_end.h"

namespace netfin::credit {
namespace {

using test_support::D;

Loan TestLoan() { return test_support::ThreeMonthLoan(); }

void RunTo(const char* date, Loan* loan) {
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D(date), loan, &events), CreditResult::kOk);
}

TEST(RepaymentTest, TheLoanIsAsDescribed) {
  const Loan loan = TestLoan();
  ASSERT_EQ(loan.instalments.size(), 3u);
  EXPECT_EQ(loan.instalments[0].statement_date, D("2024-02-03"));
  EXPECT_EQ(loan.instalments[1].statement_date, D("2024-03-03"));
  EXPECT_EQ(loan.instalments[1].scheduled.interest_minor, 667u);
  EXPECT_EQ(loan.instalments[1].scheduled.period_days(), 29u);
  EXPECT_EQ(loan.instalments[2].scheduled.principal_minor, 33'334u);
}

TEST(RepaymentTest, OnlyBilledInstalmentsAreDue) {
  Loan loan = TestLoan();
  RunTo("2024-02-01", &loan);
  EXPECT_EQ(AmountDue(loan, D("2024-02-02")).total_minor(), 0u);
  Allocation applied;
  EXPECT_EQ(ApplyRepayment({D("2024-02-02"), 1, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kExceedsAmountDue);
  RunTo("2024-02-02", &loan);
  const Allocation due = AmountDue(loan, D("2024-02-03"));  // billed on 02-03
  EXPECT_EQ(due, (Allocation{0, 100, 1'000, 33'333}));
  const Loan before = loan;
  EXPECT_EQ(ApplyRepayment({D("2024-02-03"), 34'434, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kExceedsAmountDue);
  EXPECT_EQ(loan, before);  // refused: nothing changed
  // A partial repayment: the fee first, then interest.
  ASSERT_EQ(ApplyRepayment({D("2024-02-03"), 500, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kOk);
  EXPECT_EQ(applied, (Allocation{0, 100, 400, 0}));
  EXPECT_EQ(loan.instalments[0].fee_paid_minor, 100u);
  EXPECT_EQ(loan.instalments[0].interest_paid_minor, 400u);
  ASSERT_EQ(ApplyRepayment({D("2024-02-03"), 33'933, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kOk);
  EXPECT_EQ(applied, (Allocation{0, 0, 600, 33'333}));
  EXPECT_TRUE(loan.instalments[0].settled());
  EXPECT_EQ(loan.status, LoanStatus::kActive);
  EXPECT_EQ(AmountDue(loan, D("2024-02-03")).total_minor(), 0u);
}

TEST(RepaymentTest, PenaltyThenFeesThenInterestThenPrincipalOldestFirst) {
  Loan loan = TestLoan();
  RunTo("2024-03-15", &loan);
  // Penalty, 0.05% a day, on principal and interest unpaid after the due date:
  //   02-11..03-10, 29 days on 34,333:        34,333 x 500 x 29 = 497,828,500 fen-ppm
  //   03-11..03-15,  5 days on 34,333+34,000: 68,333 x 500 x 5  = 170,832,500
  //   668,661,000 fen-ppm: 668 fen accrued, 0.661 fen carried.
  EXPECT_EQ(loan.penalty_accrued_minor, 668u);
  EXPECT_EQ(loan.penalty_carry_fen_ppm, 661'000u);
  const Allocation due = AmountDue(loan, D("2024-03-16"));
  EXPECT_EQ(due, (Allocation{668, 200, 1'667, 66'666}));
  Allocation applied;
  ASSERT_EQ(ApplyRepayment({D("2024-03-16"), 1'000, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kOk);
  // 668 penalty, both fees (200), then 132 of the oldest interest.
  EXPECT_EQ(applied, (Allocation{668, 200, 132, 0}));
  EXPECT_EQ(loan.instalments[0].fee_paid_minor, 100u);
  EXPECT_EQ(loan.instalments[1].fee_paid_minor, 100u);
  EXPECT_EQ(loan.instalments[0].interest_paid_minor, 132u);
  EXPECT_EQ(loan.instalments[1].interest_paid_minor, 0u);
  ASSERT_EQ(ApplyRepayment({D("2024-03-16"), 2'000, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kOk);
  // The rest of the interest (868 + 667), then principal of the oldest.
  EXPECT_EQ(applied, (Allocation{0, 0, 1'535, 465}));
  EXPECT_EQ(loan.instalments[0].principal_paid_minor, 465u);
  ASSERT_EQ(ApplyRepayment({D("2024-03-16"), 66'201, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kOk);
  EXPECT_EQ(applied, (Allocation{0, 0, 0, 66'201}));
  RunTo("2024-03-16", &loan);
  EXPECT_EQ(loan.days_past_due, 0u);            // current again
  EXPECT_EQ(loan.penalty_accrued_minor, 668u);  // nothing overdue on 03-16: no more penalty
}

TEST(RepaymentTest, EarlyPayoffChargesInterestOnlyToTheDay) {
  Loan loan = TestLoan();
  RunTo("2024-02-09", &loan);
  Allocation applied;
  ASSERT_EQ(ApplyRepayment({D("2024-02-10"), 34'433, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kOk);
  RunTo("2024-02-19", &loan);
  // On 02-20, 10 days into instalment 2's 29-day period:
  //   interest 667 x 10 / 29 = 230 (exactly); its fee is not billed yet (03-03): none;
  //   instalment 3: principal only. Quote: 66,667 + 230 = 66,897.
  const Allocation quote = PayoffQuote(loan, D("2024-02-20"));
  EXPECT_EQ(quote, (Allocation{0, 0, 230, 66'667}));
  const Loan before = loan;
  EXPECT_EQ(ApplyRepayment({D("2024-02-20"), 66'896, RepaymentKind::kPayoff}, &loan, &applied),
            CreditResult::kPayoffAmountMismatch);
  EXPECT_EQ(ApplyRepayment({D("2024-02-20"), 66'898, RepaymentKind::kPayoff}, &loan, &applied),
            CreditResult::kPayoffAmountMismatch);
  EXPECT_EQ(loan, before);
  ASSERT_EQ(ApplyRepayment({D("2024-02-20"), 66'897, RepaymentKind::kPayoff}, &loan, &applied),
            CreditResult::kOk);
  EXPECT_EQ(applied, quote);
  EXPECT_EQ(loan.status, LoanStatus::kPaidOff);
  EXPECT_EQ(loan.closed_date, D("2024-02-20"));
  EXPECT_EQ(loan.instalments[1].interest_paid_minor, 230u);
  EXPECT_EQ(loan.instalments[1].interest_waived_minor, 437u);
  EXPECT_EQ(loan.instalments[1].fee_waived_minor, 100u);
  EXPECT_EQ(loan.instalments[2].interest_waived_minor, 333u);
  EXPECT_EQ(OutstandingPrincipalMinor(loan), 0u);
  EXPECT_TRUE(IsSettled(loan));
  // A closed loan takes no more repayments; the day-end only moves on.
  RunTo("2024-02-20", &loan);
  EXPECT_EQ(ApplyRepayment({D("2024-02-21"), 1, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kLoanPaidOff);
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-05-01"), &loan, &events), CreditResult::kOk);
  EXPECT_EQ(events.interest_accrued_minor, 0u);
  EXPECT_EQ(loan.provision_target_minor, 0u);
}

TEST(RepaymentTest, PayoffOnTheDayOfDisbursementIsThePrincipal) {
  Loan loan = TestLoan();
  EXPECT_EQ(PayoffQuote(loan, D("2024-01-10")), (Allocation{0, 0, 0, 100'000}));
  Allocation applied;
  ASSERT_EQ(ApplyRepayment({D("2024-01-10"), 100'000, RepaymentKind::kPayoff}, &loan, &applied),
            CreditResult::kOk);
  EXPECT_EQ(loan.status, LoanStatus::kPaidOff);
}

TEST(RepaymentTest, PayoffWhenOverdueIncludesEverythingDue) {
  Loan loan = TestLoan();
  RunTo("2024-03-15", &loan);
  // Instalment 1 and 2 are due in full (penalty 668, fees 200, interest 1,667),
  // instalment 3 to the day, 6 days of 31: 333 x 6 / 31 = 64.45 -> 64; its fee is unbilled.
  const Allocation quote = PayoffQuote(loan, D("2024-03-16"));
  EXPECT_EQ(quote, (Allocation{668, 200, 1'667 + 64, 100'000}));
  Allocation applied;
  ASSERT_EQ(ApplyRepayment({D("2024-03-16"), quote.total_minor(), RepaymentKind::kPayoff}, &loan,
                           &applied),
            CreditResult::kOk);
  EXPECT_EQ(loan.status, LoanStatus::kPaidOff);
  EXPECT_EQ(loan.penalty_carry_fen_ppm, 0u);  // the sub-fen carry is dropped
}

TEST(RepaymentTest, DatesMustBeTheOpenDay) {
  Loan loan = TestLoan();
  RunTo("2024-02-05", &loan);
  Allocation applied;
  EXPECT_EQ(CheckRepaymentDate(loan, D("2024-02-06")), CreditResult::kOk);
  EXPECT_EQ(ApplyRepayment({D("2024-02-05"), 100, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kDayClosed);
  EXPECT_EQ(ApplyRepayment({D("2024-01-01"), 100, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kDayClosed);
  EXPECT_EQ(ApplyRepayment({D("2024-02-07"), 100, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kDayEndBehind);
  EXPECT_EQ(ApplyRepayment({D("2024-02-06"), 0, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kZeroAmount);
  loan.status = LoanStatus::kWrittenOff;
  EXPECT_EQ(ApplyRepayment({D("2024-02-06"), 100, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kLoanWrittenOff);
  loan.status = LoanStatus::kConverted;
  EXPECT_EQ(ApplyRepayment({D("2024-02-06"), 100, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kLoanPaidOff);
}

TEST(RepaymentTest, InterestToTheDay) {
  Instalment i;
  i.period_start = D("2024-02-10");
  i.due_date = D("2024-03-10");
  i.interest_minor = 667;
  EXPECT_EQ(InterestToDayMinor(i, D("2024-02-01")), 0u);  // before the period
  EXPECT_EQ(InterestToDayMinor(i, D("2024-02-10")), 0u);
  EXPECT_EQ(InterestToDayMinor(i, D("2024-02-11")), 23u);   // 667 / 29 = 23.0
  EXPECT_EQ(InterestToDayMinor(i, D("2024-03-09")), 644u);  // 667 x 28 / 29 = 644.0
  EXPECT_EQ(InterestToDayMinor(i, D("2024-03-10")), 667u);
  EXPECT_EQ(InterestToDayMinor(i, D("2024-12-31")), 667u);
}

}  // namespace
}  // namespace netfin::credit
