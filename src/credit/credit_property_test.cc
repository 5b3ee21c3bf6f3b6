// Property tests from a fixed seed: random products, offers, schedules and
// loan lifecycles keep the invariants that every hand-computed test relies on.

#include <gtest/gtest.h>

#include <random>

#include "credit/credit.h"

namespace netfin::credit {
namespace {

using Rng = std::mt19937_64;

uint64_t Uniform(Rng& rng, uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

template <typename T, size_t N>
T Pick(Rng& rng, const T (&values)[N]) {
  return values[Uniform(rng, 0, N - 1)];
}

CivilDate RandomDate(Rng& rng) {
  return CivilDate::FromYmd(2024, 1, 1).AddDays(static_cast<int32_t>(Uniform(rng, 0, 1100)));
}

// Every instalment non-negative, principal parts summing to the principal,
// balances falling to zero, due dates a month apart and after the start.
void ExpectScheduleInvariants(const ScheduleTerms& t, const Schedule& s) {
  ASSERT_EQ(s.instalments.size(), t.terms);
  core::AmountMinor principal = 0, interest = 0, fee = 0;
  core::AmountMinor balance = t.principal_minor;
  CivilDate previous = t.start_date;
  for (const Instalment& i : s.instalments) {
    ASSERT_LE(i.principal_minor,
              balance);  // unsigned: non-negative by type; never past the balance
    balance -= i.principal_minor;
    EXPECT_EQ(i.balance_after_minor, balance);
    EXPECT_GT(i.due_date, previous);
    EXPECT_EQ(i.period_start, previous);
    EXPECT_EQ(i.period_days(), static_cast<uint32_t>(DaysBetween(previous, i.due_date)));
    principal += i.principal_minor;
    interest += i.interest_minor;
    fee += i.fee_minor;
    previous = i.due_date;
  }
  EXPECT_EQ(balance, 0u);
  EXPECT_EQ(principal, t.principal_minor);
  EXPECT_EQ(s.principal_total_minor, principal);
  EXPECT_EQ(s.interest_total_minor, interest);
  EXPECT_EQ(s.fee_total_minor, fee);
  if (t.method == ScheduleMethod::kInterestFirst) {
    for (size_t k = 0; k + 1 < s.instalments.size(); ++k) {
      EXPECT_EQ(s.instalments[k].principal_minor, 0u);
    }
  }
}

Product RandomProduct(Rng& rng, uint32_t index) {
  constexpr ProductKind kKinds[] = {ProductKind::kCashLoan, ProductKind::kInstalment,
                                    ProductKind::kMerchantLoan, ProductKind::kCreditLine};
  constexpr ScheduleMethod kMethods[] = {ScheduleMethod::kEqualInstalment,
                                         ScheduleMethod::kEqualPrincipal,
                                         ScheduleMethod::kInterestFirst, ScheduleMethod::kFlatFee};
  constexpr uint32_t kInstalmentTerms[] = {3, 6, 9, 12, 24};
  Product p;
  p.name = "random_" + std::to_string(index);
  p.kind = Pick(rng, kKinds);
  p.method = Pick(rng, kMethods);
  const bool purchase = p.kind == ProductKind::kInstalment || p.kind == ProductKind::kCreditLine;
  if (purchase && p.method == ScheduleMethod::kInterestFirst) {
    p.method = ScheduleMethod::kEqualPrincipal;
  }
  if (p.method == ScheduleMethod::kFlatFee) {
    p.monthly_fee_bps = static_cast<uint32_t>(Uniform(rng, 1, 200));
  } else {
    p.annual_interest_bps = static_cast<uint32_t>(Uniform(rng, 0, 3'000));
    if (p.method != ScheduleMethod::kInterestFirst && Uniform(rng, 0, 3) == 0) {
      p.monthly_fee_bps = static_cast<uint32_t>(Uniform(rng, 0, 60));
    }
  }
  p.penalty_daily_ppm = static_cast<uint32_t>(Uniform(rng, 0, 800));
  const size_t term_count = Uniform(rng, 1, 3);
  for (size_t k = 0; k < term_count; ++k) {
    const uint32_t t =
        purchase ? Pick(rng, kInstalmentTerms) : static_cast<uint32_t>(Uniform(rng, 1, 36));
    if (!p.OffersTerm(t)) p.terms.push_back(t);
  }
  p.interest_basis = Uniform(rng, 0, 1) ? InterestBasis::kDayCount : InterestBasis::kMonthlyRate;
  p.day_count = Uniform(rng, 0, 1) ? DayCount::kActual360 : DayCount::kActual365;
  if (purchase || Uniform(rng, 0, 1)) {
    p.statement_day = static_cast<uint32_t>(Uniform(rng, 1, 28));
    p.due_day = (p.statement_day + static_cast<uint32_t>(Uniform(rng, 5, 23)) - 1) % 28 + 1;
  }
  if (p.kind == ProductKind::kMerchantLoan) p.sales_share_bps = 1'000;
  p.amount_min_minor = Uniform(rng, 100, 100'000);
  p.amount_max_minor = p.amount_min_minor + Uniform(rng, 0, 100'000'000);
  return p;
}

TEST(CreditPropertyTest, AcceptedProductsOnlyMakeOffersWithinTheCap) {
  Rng rng(20240501);
  const CapPolicy caps;
  const int64_t cap_ppm = int64_t{caps.EffectiveAprCapBps()} * 100;
  uint32_t accepted = 0, refused = 0, offers = 0;
  for (uint32_t n = 0; n < 200; ++n) {
    const Product p = RandomProduct(rng, n);
    if (!ValidateProduct(p, caps).ok()) {
      ++refused;
      continue;
    }
    ++accepted;
    for (int k = 0; k < 20; ++k) {
      const OfferRequest request{Uniform(rng, p.amount_min_minor, p.amount_max_minor),
                                 p.terms[Uniform(rng, 0, p.terms.size() - 1)], RandomDate(rng)};
      Offer offer;
      const CreditResult result = MakeOffer(p, caps, request, &offer);
      ASSERT_EQ(result, CreditResult::kOk) << p.name << " " << CreditResultName(result);
      ++offers;
      EXPECT_FALSE(caps.AprExceedsCap(offer.apr.NominalPpm())) << p.name;
      EXPECT_LE(offer.apr.NominalPpm(), cap_ppm + 50) << p.name;  // 24.00% shown, within the cap
      EXPECT_TRUE(std::isfinite(offer.apr.nominal) && std::isfinite(offer.apr_daily.nominal));
      ExpectScheduleInvariants(offer.terms, offer.schedule);
    }
  }
  // The generator is tuned so that both outcomes happen often.
  RecordProperty("accepted", static_cast<int>(accepted));
  RecordProperty("refused", static_cast<int>(refused));
  EXPECT_GT(accepted, 40u);
  EXPECT_GT(refused, 40u);
  EXPECT_GT(offers, 800u);
}

TEST(CreditPropertyTest, RandomSchedulesAtTheLimitsKeepTheirInvariants) {
  Rng rng(7);
  constexpr ScheduleMethod kMethods[] = {ScheduleMethod::kEqualInstalment,
                                         ScheduleMethod::kEqualPrincipal,
                                         ScheduleMethod::kInterestFirst, ScheduleMethod::kFlatFee};
  for (int n = 0; n < 3'000; ++n) {
    ScheduleTerms t;
    const uint64_t scale = Uniform(rng, 0, 3);
    t.principal_minor = scale == 0   ? Uniform(rng, 1, 100)
                        : scale == 1 ? Uniform(rng, 1, 10'000'000)
                                     : Uniform(rng, 1, kPrincipalMinorMax);
    t.terms = static_cast<uint32_t>(Uniform(rng, 1, kTermsMax));
    t.method = Pick(rng, kMethods);
    t.annual_interest_bps = static_cast<uint32_t>(Uniform(rng, 0, kAnnualInterestBpsMax));
    t.monthly_fee_bps = static_cast<uint32_t>(Uniform(rng, 0, kMonthlyFeeBpsMax));
    t.interest_basis = Uniform(rng, 0, 1) ? InterestBasis::kDayCount : InterestBasis::kMonthlyRate;
    t.day_count = Uniform(rng, 0, 1) ? DayCount::kActual360 : DayCount::kActual365;
    t.start_date = RandomDate(rng);
    t.first_due_date =
        t.start_date.AddDays(static_cast<int32_t>(Uniform(rng, 1, kFirstPeriodDaysMax)));
    Schedule s;
    ASSERT_EQ(BuildSchedule(t, &s), CreditResult::kOk);
    ExpectScheduleInvariants(t, s);
    auto apr = MonthlyApr(s, t.principal_minor);
    ASSERT_TRUE(apr.ok()) << apr.status().ToString();
    EXPECT_TRUE(std::isfinite(apr->nominal));
    EXPECT_GE(apr->nominal, -1e-12);  // never repaid less than lent
  }
}

// Random repayments and day-ends over random loans: what is paid never passes
// what is owed, the allocations add up, the outstanding principal only falls,
// penalty only grows, and a day-end run twice changes nothing.
TEST(CreditPropertyTest, RandomLifecyclesKeepTheLoanConsistent) {
  Rng rng(99);
  const CreditPolicy policy;
  DayEndPolicy day_end;
  day_end.write_off_dpd = 400;
  uint32_t paid_off = 0, written_off = 0;
  for (int n = 0; n < 150; ++n) {
    const Product& p = policy.products[Uniform(rng, 1, 3)];  // instalment, cash, merchant
    Offer offer;
    const OfferRequest request{Uniform(rng, p.amount_min_minor, p.amount_min_minor * 50),
                               p.terms[Uniform(rng, 0, p.terms.size() - 1)], RandomDate(rng)};
    ASSERT_EQ(MakeOffer(p, policy.caps, request, &offer), CreditResult::kOk);
    Loan loan = LoanFromOffer(offer);
    core::AmountMinor paid_total = 0;
    core::AmountMinor outstanding = OutstandingPrincipalMinor(loan);
    core::AmountMinor penalty = 0;
    DayEvents events;
    const uint64_t diligence = Uniform(rng, 0, 10);  // how often this borrower pays
    for (int day = 0; day < 500 && loan.status == LoanStatus::kActive; ++day) {
      const CivilDate today = loan.last_run_date.AddDays(1);
      if (Uniform(rng, 0, 30) < diligence) {
        const core::AmountMinor due = AmountDue(loan, today).total_minor();
        Repayment r{today, 0, RepaymentKind::kRegular};
        if (Uniform(rng, 0, 200) == 0) {
          r.kind = RepaymentKind::kPayoff;
          r.amount_minor = PayoffQuote(loan, today).total_minor();
        } else if (due > 0) {
          r.amount_minor = Uniform(rng, 1, due);
        }
        if (r.amount_minor > 0) {
          Allocation applied;
          ASSERT_EQ(ApplyRepayment(r, &loan, &applied), CreditResult::kOk);
          EXPECT_EQ(applied.total_minor(), r.amount_minor);
          paid_total += applied.total_minor();
        }
      }
      ASSERT_EQ(RunDay(day_end, today, &loan, &events), CreditResult::kOk);
      const Loan after = loan;
      ASSERT_EQ(RunDay(day_end, today, &loan, &events), CreditResult::kOk);
      ASSERT_EQ(loan, after);
      ASSERT_EQ(events.days_run, 0u);
      ASSERT_LE(OutstandingPrincipalMinor(loan), outstanding);
      outstanding = OutstandingPrincipalMinor(loan);
      ASSERT_GE(loan.penalty_accrued_minor, penalty);
      penalty = loan.penalty_accrued_minor;
      ASSERT_LT(loan.penalty_carry_fen_ppm, 1'000'000u);
    }
    core::AmountMinor paid_recorded = loan.penalty_paid_minor;
    for (const LoanInstalment& i : loan.instalments) {
      paid_recorded += i.principal_paid_minor + i.interest_paid_minor + i.fee_paid_minor;
      EXPECT_LE(i.interest_paid_minor + i.interest_waived_minor, i.scheduled.interest_minor);
      EXPECT_LE(i.fee_paid_minor + i.fee_waived_minor, i.scheduled.fee_minor);
    }
    EXPECT_EQ(paid_recorded, paid_total);
    if (loan.status == LoanStatus::kPaidOff) {
      EXPECT_TRUE(IsSettled(loan));
      ++paid_off;
    }
    if (loan.status == LoanStatus::kWrittenOff) ++written_off;
  }
  // Both ends of the lifecycle are reached, many times.
  RecordProperty("paid_off", static_cast<int>(paid_off));
  RecordProperty("written_off", static_cast<int>(written_off));
  EXPECT_GT(paid_off, 20u);
  EXPECT_GT(written_off, 5u);
}

}  // namespace
}  // namespace netfin::credit
