#include "credit/schedule.h"

#include <gtest/gtest.h>

#include "credit/annuity.h"
#include "credit/credit_limits.h"
#include "credit/credit_test_support.h"

namespace netfin::credit {
namespace {

using test_support::D;

ScheduleTerms Terms(core::AmountMinor principal, uint32_t n, ScheduleMethod method,
                    uint32_t annual_bps, uint32_t fee_bps = 0) {
  return test_support::AnniversaryTerms("2024-03-15", principal, n, method, annual_bps, fee_bps);
}

struct Line {
  core::AmountMinor principal, interest, fee;
};

void ExpectLines(const Schedule& s, std::initializer_list<Line> lines) {
  ASSERT_EQ(s.instalments.size(), lines.size());
  size_t k = 0;
  for (const Line& line : lines) {
    const Instalment& got = s.instalments[k++];
    EXPECT_EQ(got.principal_minor, line.principal) << "instalment " << k;
    EXPECT_EQ(got.interest_minor, line.interest) << "instalment " << k;
    EXPECT_EQ(got.fee_minor, line.fee) << "instalment " << k;
  }
}

TEST(ScheduleTest, EqualInstalmentByHand) {
  // 3,000.00 CNY over 3 months at 12% a year: r = 1% a month.
  //   A = P r (1+r)^3 / ((1+r)^3 - 1) = 3000 x 0.01 x 1.030301 / 0.030301
  //     = 1020.0663344... CNY -> 102,007 fen (half-even, once).
  //   1: interest 300,000 x 1% = 3,000; principal 102,007 - 3,000 = 99,007; balance 200,993
  //   2: interest 2,009.93 -> 2,010;     principal 99,997;                balance 100,996
  //   3: interest 1,009.96 -> 1,010;     principal = the balance 100,996 (the remainder)
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(300'000, 3, ScheduleMethod::kEqualInstalment, 1'200), &s),
            CreditResult::kOk);
  ExpectLines(s, {{99'007, 3'000, 0}, {99'997, 2'010, 0}, {100'996, 1'010, 0}});
  EXPECT_EQ(s.instalments[0].total_minor(), 102'007u);
  EXPECT_EQ(s.instalments[1].total_minor(), 102'007u);
  EXPECT_EQ(s.instalments[2].total_minor(), 102'006u);  // the last absorbs the rounding
  EXPECT_EQ(s.instalments[0].balance_after_minor, 200'993u);
  EXPECT_EQ(s.instalments[2].balance_after_minor, 0u);
  EXPECT_EQ(s.principal_total_minor, 300'000u);
  EXPECT_EQ(s.interest_total_minor, 6'020u);
  EXPECT_EQ(s.total_minor(), 306'020u);
}

TEST(ScheduleTest, EqualInstalmentTwelveMonthsMatchesTheTextbookPayment) {
  // 10,000.00 CNY, 12 months at 12%: the well-known 888.49 CNY a month
  // (10000 x 0.01 x 1.01^12 / (1.01^12 - 1) = 888.4878868).
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(1'000'000, 12, ScheduleMethod::kEqualInstalment, 1'200), &s),
            CreditResult::kOk);
  for (size_t k = 0; k + 1 < s.instalments.size(); ++k) {
    EXPECT_EQ(s.instalments[k].total_minor(), 88'849u) << k;
  }
  EXPECT_EQ(s.instalments[0].interest_minor, 10'000u);
  EXPECT_EQ(s.principal_total_minor, 1'000'000u);
}

TEST(ScheduleTest, AnnuityIsExactRationalArithmeticRoundedOnce) {
  // Expected values from exact fractions (Python's fractions.Fraction):
  // round_half_even(P b X / (D (X - Y))), D = 120000, X = (D+b)^n, Y = D^n.
  struct Case {
    core::AmountMinor principal;
    uint32_t bps, terms;
    core::AmountMinor payment;
  };
  const Case cases[] = {
      {300'000, 1'200, 3, 102'007},
      {1'000'000, 1'200, 12, 88'849},
      {kPrincipalMinorMax, kAnnualInterestBpsMax, kTermsMax, 84'023'052'155},
      {kPrincipalMinorMax, 1, kTermsMax, 16'670'903'125},
      {999'999'999'999, 9'999, 59, 84'072'978'766},
      {123'456'789, 1'825, 36, 4'478'757},
      {10'000, 2'400, 3, 3'468},
      {100, 2'400, 3, 35},
      {1, 10'000, 1, 1},
      {1, 1, 60, 0},
  };
  for (const Case& c : cases) {
    core::AmountMinor payment = 0;
    ASSERT_TRUE(AnnuityPaymentMinor(c.principal, c.bps, c.terms, &payment));
    EXPECT_EQ(payment, c.payment) << c.principal << " " << c.bps << " " << c.terms;
  }
}

TEST(ScheduleTest, EqualPrincipalByHand) {
  // 1,000.00 CNY over 3 months at 12%: principal floor(100,000 / 3) = 33,333,
  // the remainder 1 fen on the last: 33,333 / 33,333 / 33,334.
  //   interest: 100,000 x 1% = 1,000; 66,667 x 1% = 666.67 -> 667; 33,334 x 1% = 333.34 -> 333
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(100'000, 3, ScheduleMethod::kEqualPrincipal, 1'200), &s),
            CreditResult::kOk);
  ExpectLines(s, {{33'333, 1'000, 0}, {33'333, 667, 0}, {33'334, 333, 0}});
}

TEST(ScheduleTest, InterestFirstByHand) {
  // 1,000.00 CNY over 3 months at 12%: 1,000 interest a month on the full
  // principal, the principal with the last.
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(100'000, 3, ScheduleMethod::kInterestFirst, 1'200), &s),
            CreditResult::kOk);
  ExpectLines(s, {{0, 1'000, 0}, {0, 1'000, 0}, {100'000, 1'000, 0}});
}

TEST(ScheduleTest, FlatFeeByHand) {
  // 10,000.00 CNY in 12 instalments, fee 0.6% of the principal a month:
  //   fee 1,000,000 x 60 / 10,000 = 6,000 each month;
  //   principal floor(1,000,000 / 12) = 83,333 x 11, and 1,000,000 - 11 x 83,333 = 83,337 last.
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(1'000'000, 12, ScheduleMethod::kFlatFee, 0, 60), &s),
            CreditResult::kOk);
  for (size_t k = 0; k < 11; ++k) {
    EXPECT_EQ(s.instalments[k].principal_minor, 83'333u);
    EXPECT_EQ(s.instalments[k].fee_minor, 6'000u);
    EXPECT_EQ(s.instalments[k].interest_minor, 0u);
  }
  EXPECT_EQ(s.instalments[11].principal_minor, 83'337u);
  EXPECT_EQ(s.fee_total_minor, 72'000u);
  EXPECT_EQ(s.total_minor(), 1'072'000u);
}

TEST(ScheduleTest, DayCountInterestOverActualDays) {
  // 1,000.00 CNY, equal principal, 3 months from 2024-01-31 at 18.25% Actual/365,
  // which is exactly 0.05% a day. Due 02-29, 03-31, 04-30 (clamped, from one
  // anchor): 29, 31 and 30 days.
  //   1: 100,000 x 0.0005 x 29 = 1,450
  //   2:  66,667 x 0.0005 x 31 = 1,033.3385 -> 1,033
  //   3:  33,334 x 0.0005 x 30 =   500.01   ->   500
  ScheduleTerms t = Terms(100'000, 3, ScheduleMethod::kEqualPrincipal, 1'825);
  t.interest_basis = InterestBasis::kDayCount;
  t.start_date = D("2024-01-31");
  t.first_due_date = D("2024-02-29");
  Schedule s;
  ASSERT_EQ(BuildSchedule(t, &s), CreditResult::kOk);
  ExpectLines(s, {{33'333, 1'450, 0}, {33'333, 1'033, 0}, {33'334, 500, 0}});
  EXPECT_EQ(s.instalments[1].due_date, D("2024-03-31"));
  EXPECT_EQ(s.instalments[2].due_date, D("2024-04-30"));
  EXPECT_EQ(s.instalments[0].period_days(), 29u);
  EXPECT_EQ(s.instalments[1].period_days(), 31u);
  EXPECT_EQ(s.instalments[2].period_days(), 30u);
  EXPECT_EQ(s.instalments[1].period_start, D("2024-02-29"));
  // Actual/360 at 18% is also 0.05% a day: the same figures.
  t.annual_interest_bps = 1'800;
  t.day_count = DayCount::kActual360;
  ASSERT_EQ(BuildSchedule(t, &s), CreditResult::kOk);
  ExpectLines(s, {{33'333, 1'450, 0}, {33'333, 1'033, 0}, {33'334, 500, 0}});
}

TEST(ScheduleTest, InterestRoundsHalfToEven) {
  // 1% a month of 250 fen is 2.5 -> 2 (even); of 350 fen, 3.5 -> 4 (even).
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(250, 1, ScheduleMethod::kInterestFirst, 1'200), &s),
            CreditResult::kOk);
  EXPECT_EQ(s.instalments[0].interest_minor, 2u);
  ASSERT_EQ(BuildSchedule(Terms(350, 1, ScheduleMethod::kInterestFirst, 1'200), &s),
            CreditResult::kOk);
  EXPECT_EQ(s.instalments[0].interest_minor, 4u);
}

TEST(ScheduleTest, TinyPrincipalsStayNonNegative) {
  // 5 fen in 8 equal parts: floor(5/8) = 0 each, all 5 on the last.
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(5, 8, ScheduleMethod::kEqualPrincipal, 1'200), &s),
            CreditResult::kOk);
  EXPECT_EQ(s.instalments[7].principal_minor, 5u);
  // An annuity of 5 fen over 8 months rounds to 1 fen a month: the principal
  // runs out early and never goes negative.
  ASSERT_EQ(BuildSchedule(Terms(5, 8, ScheduleMethod::kEqualInstalment, 0), &s), CreditResult::kOk);
  core::AmountMinor sum = 0;
  for (const Instalment& i : s.instalments) sum += i.principal_minor;
  EXPECT_EQ(sum, 5u);
}

TEST(ScheduleTest, ZeroRateEqualInstalmentIsEqualPrincipal) {
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(120'000, 12, ScheduleMethod::kEqualInstalment, 0), &s),
            CreditResult::kOk);
  for (const Instalment& i : s.instalments) {
    EXPECT_EQ(i.principal_minor, 10'000u);
    EXPECT_EQ(i.interest_minor, 0u);
  }
}

TEST(ScheduleTest, LargestLoanAtTheHighestRateOverTheLongestTerm) {
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(kPrincipalMinorMax, kTermsMax, ScheduleMethod::kEqualInstalment,
                                kAnnualInterestBpsMax, kMonthlyFeeBpsMax),
                          &s),
            CreditResult::kOk);
  EXPECT_EQ(s.principal_total_minor, kPrincipalMinorMax);
  EXPECT_EQ(s.instalments.size(), kTermsMax);
}

TEST(ScheduleTest, RefusesBadTermsAndLeavesTheScheduleAlone) {
  Schedule s;
  ASSERT_EQ(BuildSchedule(Terms(100'000, 3, ScheduleMethod::kEqualPrincipal, 1'200), &s),
            CreditResult::kOk);
  const Schedule before = s;
  auto expect = [&](ScheduleTerms t, CreditResult code) {
    EXPECT_EQ(CheckScheduleTerms(t), code);
    EXPECT_EQ(BuildSchedule(t, &s), code);
    EXPECT_EQ(s.instalments, before.instalments);
  };
  expect(Terms(0, 3, ScheduleMethod::kEqualPrincipal, 1'200), CreditResult::kPrincipalOutOfRange);
  expect(Terms(kPrincipalMinorMax + 1, 3, ScheduleMethod::kEqualPrincipal, 1'200),
         CreditResult::kPrincipalOutOfRange);
  expect(Terms(100, 0, ScheduleMethod::kEqualPrincipal, 1'200), CreditResult::kTermsOutOfRange);
  expect(Terms(100, kTermsMax + 1, ScheduleMethod::kEqualPrincipal, 1'200),
         CreditResult::kTermsOutOfRange);
  expect(Terms(100, 3, ScheduleMethod::kEqualPrincipal, kAnnualInterestBpsMax + 1),
         CreditResult::kRateOutOfRange);
  expect(Terms(100, 3, ScheduleMethod::kFlatFee, 0, kMonthlyFeeBpsMax + 1),
         CreditResult::kRateOutOfRange);
  ScheduleTerms t = Terms(100, 3, ScheduleMethod::kEqualPrincipal, 1'200);
  t.first_due_date = t.start_date;
  expect(t, CreditResult::kDueDateInvalid);
  t.first_due_date = t.start_date.AddDays(static_cast<int32_t>(kFirstPeriodDaysMax) + 1);
  expect(t, CreditResult::kDueDateInvalid);
  t.first_due_date = t.start_date.AddDays(static_cast<int32_t>(kFirstPeriodDaysMax));
  EXPECT_EQ(CheckScheduleTerms(t), CreditResult::kOk);
}

TEST(ScheduleTest, Names) {
  EXPECT_EQ(ScheduleMethodName(ScheduleMethod::kEqualInstalment), "equal_instalment");
  EXPECT_EQ(ScheduleMethodName(ScheduleMethod::kEqualPrincipal), "equal_principal");
  EXPECT_EQ(ScheduleMethodName(ScheduleMethod::kInterestFirst), "interest_first");
  EXPECT_EQ(ScheduleMethodName(ScheduleMethod::kFlatFee), "flat_fee");
  EXPECT_EQ(InterestBasisName(InterestBasis::kMonthlyRate), "monthly_rate");
  EXPECT_EQ(InterestBasisName(InterestBasis::kDayCount), "day_count");
}

}  // namespace
}  // namespace netfin::credit
