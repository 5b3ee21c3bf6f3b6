#include "credit/apr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "credit/credit_limits.h"
#include "credit/credit_test_support.h"

namespace netfin::credit {
namespace {

using test_support::D;

Schedule Build(core::AmountMinor principal, uint32_t n, ScheduleMethod method, uint32_t bps,
               uint32_t fee_bps) {
  const ScheduleTerms t =
      test_support::AnniversaryTerms("2024-01-15", principal, n, method, bps, fee_bps);
  Schedule s;
  EXPECT_EQ(BuildSchedule(t, &s), CreditResult::kOk);
  return s;
}

TEST(AprTest, FlatFeeOfPointSixPercentAMonthIsAbout13Point03Percent) {
  // The example: 10,000.00 CNY in 12 instalments, fee 0.6% of the
  // principal a month. Flows: -1,000,000 at t=0; 89,333 at t=1..11; 89,337 at t=12.
  // The monthly IRR i solves sum(flow_t / (1+i)^t) = 0: i = 1.0862%, so the
  // nominal APR is 12 i = 13.03% and the effective (1+i)^12 - 1 = 13.84%.
  const Schedule s = Build(1'000'000, 12, ScheduleMethod::kFlatFee, 0, 60);
  auto apr = MonthlyApr(s, 1'000'000);
  ASSERT_TRUE(apr.ok()) << apr.status().ToString();
  EXPECT_NEAR(apr->nominal, 0.1303, 0.0001);
  EXPECT_NEAR(apr->effective, 0.1384, 0.0001);
  EXPECT_EQ(apr->periods_per_year, 12u);
  EXPECT_NEAR(static_cast<double>(apr->NominalPpm()), 130'342, 1);
  EXPECT_NEAR(apr->effective, std::pow(1 + apr->periodic_rate, 12) - 1, 1e-12);
}

TEST(AprTest, EqualInstalmentAtTwelvePercentIsTwelvePercent) {
  const Schedule s = Build(1'000'000, 12, ScheduleMethod::kEqualInstalment, 1'200, 0);
  auto apr = MonthlyApr(s, 1'000'000);
  ASSERT_TRUE(apr.ok());
  EXPECT_NEAR(apr->nominal, 0.1200, 0.0001);
  EXPECT_NEAR(apr->effective, 0.126825, 0.00001);  // 1.01^12 - 1
}

TEST(AprTest, EqualPrincipalAndInterestFirstAtTheirRate) {
  // Interest on the balance at 1% a month is an IRR of exactly 1% a month,
  // whatever the principal's timing (up to fen rounding).
  for (const ScheduleMethod m : {ScheduleMethod::kEqualPrincipal, ScheduleMethod::kInterestFirst}) {
    auto apr = MonthlyApr(Build(1'000'000, 24, m, 1'800, 0), 1'000'000);
    ASSERT_TRUE(apr.ok());
    EXPECT_NEAR(apr->nominal, 0.18, 0.0001);
  }
}

TEST(AprTest, InterestFreeIsZero) {
  auto apr = MonthlyApr(Build(90'000, 3, ScheduleMethod::kEqualPrincipal, 0, 0), 90'000);
  ASSERT_TRUE(apr.ok());
  EXPECT_EQ(apr->nominal, 0);
  EXPECT_EQ(apr->NominalPpm(), 0);
}

TEST(AprTest, SolveIrrKnownRoots) {
  const std::vector<CashFlow> ten = {{0, -100}, {1, 110}};
  EXPECT_NEAR(SolveIrr(ten).value(), 0.10, 1e-12);
  const std::vector<CashFlow> two_periods = {{0, -100}, {2, 121}};
  EXPECT_NEAR(SolveIrr(two_periods).value(), 0.10, 1e-12);
  const std::vector<CashFlow> loss = {{0, -100}, {1, 90}};
  EXPECT_NEAR(SolveIrr(loss).value(), -0.10, 1e-12);
  const std::vector<CashFlow> borrower_side = {{0, 100}, {1, -110}};  // signs flipped
  EXPECT_NEAR(SolveIrr(borrower_side).value(), 0.10, 1e-12);
  const std::vector<CashFlow> shifted = {{5, -100}, {6, 110}};  // offsets from the first
  EXPECT_NEAR(SolveIrr(shifted).value(), 0.10, 1e-12);
  const std::vector<CashFlow> huge = {{0, -1}, {1, 1'000'000}};
  EXPECT_NEAR(SolveIrr(huge).value(), 999'999, 1e-3);
  const std::vector<CashFlow> tiny = {{0, -1'000'000}, {1, 1}};
  EXPECT_NEAR(SolveIrr(tiny).value(), -0.999999, 1e-9);
  const std::vector<CashFlow> with_zero = {{0, -100}, {1, 0}, {2, 121}};
  EXPECT_NEAR(SolveIrr(with_zero).value(), 0.10, 1e-12);
}

TEST(AprTest, SolveIrrRefusesFlowsWithoutOneRoot) {
  auto expect_error = [](std::vector<CashFlow> flows, const char* words) {
    auto irr = SolveIrr(flows);
    ASSERT_FALSE(irr.ok());
    EXPECT_NE(irr.status().message().find(words), std::string::npos) << irr.status().message();
  };
  expect_error({}, "cash flows");
  expect_error({{0, -100}}, "cash flows");
  expect_error({{0, 100}, {1, 110}}, "change sign 0 times");
  expect_error({{0, -100}, {1, -110}}, "change sign 0 times");
  expect_error({{0, -100}, {1, 230}, {2, -132}}, "change sign 2 times");  // 10% and 20% both fit
  expect_error({{0, -100}, {0, 110}}, "increase");
  expect_error({{1, -100}, {0, 110}}, "increase");
  expect_error({{0, 0}, {1, 110}}, "first cash flow is zero");
  expect_error({{0, INT64_MIN}, {1, 110}}, "out of range");
  std::vector<CashFlow> too_many(kCashFlowsMax + 1);
  for (uint32_t k = 0; k < too_many.size(); ++k) too_many[k] = {k, k == 0 ? -1 : 1};
  expect_error(too_many, "cash flows");
}

TEST(AprTest, DailyAprOfIrregularFlows) {
  // -10,000 on day 0, +10,100 on day 30: (1 + i)^30 = 1.01.
  const std::vector<DatedCashFlow> flows = {{D("2024-01-01"), -10'000}, {D("2024-01-31"), 10'100}};
  auto apr = DailyApr(flows);
  ASSERT_TRUE(apr.ok());
  const double daily = std::pow(1.01, 1.0 / 30) - 1;
  EXPECT_NEAR(apr->periodic_rate, daily, 1e-14);
  EXPECT_EQ(apr->periods_per_year, 365u);
  EXPECT_NEAR(apr->nominal, daily * 365, 1e-12);
  EXPECT_NEAR(apr->effective, std::pow(1.01, 365.0 / 30) - 1, 1e-10);
  // Same-day flows are netted; out-of-order flows refused.
  const std::vector<DatedCashFlow> netted = {
      {D("2024-01-01"), -10'000}, {D("2024-01-31"), 5'000}, {D("2024-01-31"), 5'100}};
  EXPECT_NEAR(DailyApr(netted)->periodic_rate, daily, 1e-14);
  const std::vector<DatedCashFlow> backwards = {{D("2024-01-31"), -10'000}, {D("2024-01-01"), 1}};
  EXPECT_FALSE(DailyApr(backwards).ok());
  EXPECT_FALSE(DailyApr({}).ok());
}

TEST(AprTest, DailyAprOfAMonthlyScheduleIsCloseToTheMonthlyApr) {
  const Schedule s = Build(1'000'000, 12, ScheduleMethod::kEqualInstalment, 1'200, 0);
  ScheduleFlowBuffer buffer;
  const auto flows = ScheduleFlows(s, D("2024-01-15"), 1'000'000, &buffer);
  ASSERT_EQ(flows.size(), 13u);
  EXPECT_EQ(flows[0].amount_minor, -1'000'000);
  EXPECT_EQ(flows[1].date, D("2024-02-15"));
  auto daily = DailyApr(flows);
  ASSERT_TRUE(daily.ok());
  // Same effective rate up to month lengths: 12.68% either way, within 0.1%.
  EXPECT_NEAR(daily->effective, 0.126825, 0.001);
}

TEST(AprTest, NominalPpmRoundsToNearest) {
  EXPECT_EQ(AnnualRateFromPeriodic(0.01, 12).NominalPpm(), 120'000);
  EXPECT_EQ(AnnualRateFromPeriodic(0.0005, 365).NominalPpm(), 182'500);
  EXPECT_EQ(AnnualRateFromPeriodic(-0.01, 12).NominalPpm(), -120'000);
}

TEST(AprTest, EffectivePpmRoundsToNearest) {
  // 1.01^12 - 1 = 0.1268250301...: 126'825 ppm.
  EXPECT_EQ(AnnualRateFromPeriodic(0.01, 12).EffectivePpm(), 126'825);
  // 0.99^12 - 1 = -0.1136151...: to nearest, not towards zero.
  EXPECT_EQ(AnnualRateFromPeriodic(-0.01, 12).EffectivePpm(), -113'615);
}

}  // namespace
}  // namespace netfin::credit
