#include "credit/day_end.h"

#include <gtest/gtest.h>

#include "credit/credit_limits.h"
#include "credit/credit_test_support.h"
#include "credit/repayment.h"

namespace netfin::credit {
namespace {

using test_support::D;

Loan TestLoan() { return test_support::ThreeMonthLoan(); }

TEST(DayEndTest, BucketsAndClassesByDaysPastDue) {
  const DayEndPolicy policy;
  struct Case {
    uint32_t dpd;
    Bucket bucket;
    LoanClass loan_class;
  };
  const Case cases[] = {
      {0, Bucket::kM0, LoanClass::kNormal},
      {1, Bucket::kM1, LoanClass::kSpecialMention},
      {30, Bucket::kM1, LoanClass::kSpecialMention},
      {31, Bucket::kM2, LoanClass::kSpecialMention},
      {60, Bucket::kM2, LoanClass::kSpecialMention},
      {61, Bucket::kM3, LoanClass::kSpecialMention},
      {90, Bucket::kM3, LoanClass::kSpecialMention},
      {91, Bucket::kM3Plus, LoanClass::kSubstandard},
      {180, Bucket::kM3Plus, LoanClass::kSubstandard},
      {181, Bucket::kM3Plus, LoanClass::kDoubtful},
      {360, Bucket::kM3Plus, LoanClass::kDoubtful},
      {361, Bucket::kM3Plus, LoanClass::kLoss},
      {100'000, Bucket::kM3Plus, LoanClass::kLoss},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(BucketForDaysPastDue(c.dpd), c.bucket) << c.dpd;
    EXPECT_EQ(ClassForDaysPastDue(c.dpd, policy), c.loan_class) << c.dpd;
  }
  EXPECT_EQ(ProvisionBps(LoanClass::kNormal, policy), 100u);
  EXPECT_EQ(ProvisionBps(LoanClass::kSpecialMention, policy), 200u);
  EXPECT_EQ(ProvisionBps(LoanClass::kSubstandard, policy), 2'500u);
  EXPECT_EQ(ProvisionBps(LoanClass::kDoubtful, policy), 5'000u);
  EXPECT_EQ(ProvisionBps(LoanClass::kLoss, policy), 10'000u);
}

TEST(DayEndTest, FourHundredDaysOfLatenessWalkThroughEveryBucketAndClass) {
  DayEndPolicy policy;
  policy.write_off_dpd = 390;
  Loan loan = TestLoan();
  DayEvents events;
  ASSERT_EQ(RunDay(policy, D("2024-02-10"), &loan, &events), CreditResult::kOk);
  EXPECT_EQ(loan.days_past_due, 0u);               // due today, not late yet
  EXPECT_EQ(loan.provision_target_minor, 1'000u);  // 1% of 100,000
  // Each transition: (days after the first due date, bucket, class, provision).
  struct Step {
    uint32_t dpd;
    Bucket bucket;
    LoanClass loan_class;
    core::AmountMinor provision;
  };
  const Step transitions[] = {
      {1, Bucket::kM1, LoanClass::kSpecialMention, 2'000},
      {31, Bucket::kM2, LoanClass::kSpecialMention, 2'000},
      {61, Bucket::kM3, LoanClass::kSpecialMention, 2'000},
      {91, Bucket::kM3Plus, LoanClass::kSubstandard, 25'000},
      {181, Bucket::kM3Plus, LoanClass::kDoubtful, 50'000},
      {361, Bucket::kM3Plus, LoanClass::kLoss, 100'000},
  };
  size_t next = 0;
  Bucket bucket = Bucket::kM0;
  LoanClass loan_class = LoanClass::kNormal;
  const CivilDate due = D("2024-02-10");
  for (uint32_t dpd = 1; dpd <= 400; ++dpd) {
    const CivilDate date = due.AddDays(static_cast<int32_t>(dpd));
    ASSERT_EQ(RunDay(policy, date, &loan, &events), CreditResult::kOk);
    ASSERT_EQ(events.days_run, 1u);
    if (dpd >= 390) {
      EXPECT_EQ(loan.status, LoanStatus::kWrittenOff) << dpd;
      EXPECT_EQ(loan.provision_target_minor, 0u);
      EXPECT_EQ(events.written_off_principal_minor, dpd == 390 ? 100'000u : 0u) << dpd;
      continue;
    }
    ASSERT_EQ(loan.days_past_due, dpd);
    const bool changes = next < std::size(transitions) && transitions[next].dpd == dpd;
    if (changes) {
      bucket = transitions[next].bucket;
      loan_class = transitions[next].loan_class;
      EXPECT_EQ(loan.provision_target_minor, transitions[next].provision) << dpd;
      EXPECT_EQ(events.provision_after_minor, transitions[next].provision) << dpd;
      ++next;
    }
    EXPECT_EQ(loan.bucket(), bucket) << dpd;
    EXPECT_EQ(loan.loan_class, loan_class) << dpd;
    EXPECT_EQ(events.bucket_after, bucket) << dpd;
    EXPECT_EQ(events.class_after, loan_class) << dpd;
    EXPECT_EQ(
        events.bucket_before != events.bucket_after || events.class_before != events.class_after,
        changes)
        << dpd;
  }
  EXPECT_EQ(next, std::size(transitions));
  EXPECT_EQ(loan.closed_date, due.AddDays(390));
  // A written-off loan accrues nothing more and takes no repayments.
  const core::AmountMinor penalty = loan.penalty_accrued_minor;
  ASSERT_EQ(RunDay(policy, due.AddDays(500), &loan, &events), CreditResult::kOk);
  EXPECT_EQ(loan.penalty_accrued_minor, penalty);
  Allocation applied;
  EXPECT_EQ(ApplyRepayment({due.AddDays(501), 100, RepaymentKind::kRegular}, &loan, &applied),
            CreditResult::kLoanWrittenOff);
}

TEST(DayEndTest, SameDateTwiceChangesNothingAndBackwardsIsRefused) {
  Loan loan = TestLoan();
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-03-20"), &loan, &events), CreditResult::kOk);
  EXPECT_EQ(events.days_run, 71u);  // 01-10 .. 03-20
  const Loan after = loan;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-03-20"), &loan, &events), CreditResult::kOk);
  EXPECT_EQ(events.days_run, 0u);
  EXPECT_TRUE(events.statements.empty());
  EXPECT_EQ(events.interest_accrued_minor, 0u);
  EXPECT_EQ(events.penalty_accrued_minor, 0u);
  EXPECT_EQ(events.provision_before_minor, events.provision_after_minor);
  EXPECT_EQ(loan, after);
  EXPECT_EQ(RunDay(DayEndPolicy{}, D("2024-03-19"), &loan, &events),
            CreditResult::kDateBeforeLastRun);
  EXPECT_EQ(loan, after);
  EXPECT_EQ(
      RunDay(DayEndPolicy{}, D("2024-03-20").AddDays(kRunDayCatchUpDaysMax + 1), &loan, &events),
      CreditResult::kCatchUpTooLong);
  EXPECT_EQ(loan, after);
}

TEST(DayEndTest, CatchingUpEqualsRunningEveryDay) {
  Loan daily = TestLoan();
  Loan at_once = TestLoan();
  DayEvents events;
  core::AmountMinor interest = 0, penalty = 0;
  size_t statements = 0;
  for (CivilDate d = D("2024-01-10"); d <= D("2024-04-30"); d = d.AddDays(1)) {
    ASSERT_EQ(RunDay(DayEndPolicy{}, d, &daily, &events), CreditResult::kOk);
    interest += events.interest_accrued_minor;
    penalty += events.penalty_accrued_minor;
    statements += events.statements.size();
  }
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-04-30"), &at_once, &events), CreditResult::kOk);
  EXPECT_EQ(daily, at_once);
  EXPECT_EQ(events.interest_accrued_minor, interest);
  EXPECT_EQ(events.penalty_accrued_minor, penalty);
  EXPECT_EQ(events.statements.size(), statements);
  EXPECT_EQ(statements, 3u);
  // The interest accrued day by day sums exactly to the schedule's interest.
  EXPECT_EQ(interest, 2'000u);
  EXPECT_EQ(daily.interest_accrued_minor, 2'000u);
}

TEST(DayEndTest, StatementsOnTheirDaysWithWhatIsDue) {
  Loan loan = TestLoan();
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-02"), &loan, &events), CreditResult::kOk);
  EXPECT_TRUE(events.statements.empty());
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-03"), &loan, &events), CreditResult::kOk);
  ASSERT_EQ(events.statements.size(), 1u);
  const StatementEvent& first = events.statements[0];
  EXPECT_EQ(first.instalment_number, 1u);
  EXPECT_EQ(first.statement_date, D("2024-02-03"));
  EXPECT_EQ(first.due_date, D("2024-02-10"));
  EXPECT_EQ(first.principal_minor, 33'333u);
  EXPECT_EQ(first.interest_minor, 1'000u);
  EXPECT_EQ(first.fee_minor, 100u);
  EXPECT_EQ(first.amount_due_minor, 34'433u);
  EXPECT_EQ(loan.statements_issued, 1u);
  // Unpaid, the second statement carries the first and its penalty:
  // 02-11..03-03 is 22 days x 34,333 x 500 ppm = 377.66 -> 377 fen.
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-03-03"), &loan, &events), CreditResult::kOk);
  ASSERT_EQ(events.statements.size(), 1u);
  EXPECT_EQ(events.statements[0].instalment_number, 2u);
  EXPECT_EQ(events.statements[0].amount_due_minor, 34'433u + 34'100u + 377u);
}

TEST(DayEndTest, InterestAccruesDayByDay) {
  Loan loan = TestLoan();
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-01-10"), &loan, &events), CreditResult::kOk);
  // End of the first day: 1 of 31 days of 1,000 = 32.26 -> 32.
  EXPECT_EQ(events.interest_accrued_minor, 32u);
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-01-11"), &loan, &events), CreditResult::kOk);
  EXPECT_EQ(events.interest_accrued_minor, 33u);  // 64.52 -> 65, less 32
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-09"), &loan, &events), CreditResult::kOk);
  EXPECT_EQ(loan.interest_accrued_minor, 1'000u);  // the whole period by its last day
}

TEST(DayEndTest, PenaltyCarriesItsFractionOfAFen) {
  // 33,333 fen overdue at 0.05% a day is 16.6665 fen a day: 16, 17, 16, 17...
  ScheduleTerms t;
  t.principal_minor = 33'333;
  t.terms = 1;
  t.method = ScheduleMethod::kEqualPrincipal;
  t.start_date = D("2024-01-10");
  t.first_due_date = D("2024-02-10");
  Schedule s;
  ASSERT_EQ(BuildSchedule(t, &s), CreditResult::kOk);
  Loan loan = NewLoan(ProductKind::kCashLoan, t, s, 500, 0, t.start_date);
  DayEvents events;
  ASSERT_EQ(RunDay(DayEndPolicy{}, D("2024-02-10"), &loan, &events), CreditResult::kOk);
  const core::AmountMinor expected[] = {16, 17, 16, 17, 17, 16};
  core::AmountMinor total = 0;
  for (size_t k = 0; k < std::size(expected); ++k) {
    ASSERT_EQ(
        RunDay(DayEndPolicy{}, D("2024-02-11").AddDays(static_cast<int32_t>(k)), &loan, &events),
        CreditResult::kOk);
    EXPECT_EQ(events.penalty_accrued_minor, expected[k]) << k;
    total += events.penalty_accrued_minor;
  }
  // 6 days x 16,666,500 = 99,999,000 fen-ppm: 99 fen, 0.999 carried.
  EXPECT_EQ(total, 99u);
  EXPECT_EQ(loan.penalty_carry_fen_ppm, 999'000u);
}

TEST(DayEndTest, PolicyValidation) {
  EXPECT_TRUE(DayEndPolicy{}.Validate().ok());
  DayEndPolicy p;
  p.special_mention_dpd_min = 0;
  EXPECT_FALSE(p.Validate().ok());
  p = DayEndPolicy{};
  p.substandard_dpd_min = p.doubtful_dpd_min;
  EXPECT_FALSE(p.Validate().ok());
  p = DayEndPolicy{};
  p.provision_loss_bps = 10'001;
  EXPECT_FALSE(p.Validate().ok());
  p = DayEndPolicy{};
  p.provision_doubtful_bps = 100;  // below substandard's
  EXPECT_FALSE(p.Validate().ok());
  p = DayEndPolicy{};
  p.write_off_dpd = 300;  // before the loss class
  EXPECT_FALSE(p.Validate().ok());
  p.write_off_dpd = 361;
  EXPECT_TRUE(p.Validate().ok());
  // The 2023 rule's thresholds: substandard over 90, doubtful over 270, loss over 360.
  p = DayEndPolicy{};
  p.doubtful_dpd_min = 271;
  EXPECT_TRUE(p.Validate().ok());
}

TEST(DayEndTest, Names) {
  EXPECT_EQ(BucketName(Bucket::kM0), "M0");
  EXPECT_EQ(BucketName(Bucket::kM3Plus), "M3+");
  EXPECT_EQ(LoanClassName(LoanClass::kSpecialMention), "special_mention");
  EXPECT_EQ(LoanClassName(LoanClass::kLoss), "loss");
  EXPECT_EQ(LoanStatusName(LoanStatus::kWrittenOff), "written_off");
  EXPECT_EQ(LoanStatusName(LoanStatus::kConverted), "converted");
}

}  // namespace
}  // namespace netfin::credit
