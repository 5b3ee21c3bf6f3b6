#include "credit/product.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/assert.h"
#include "credit/apr.h"
#include "credit/credit_limits.h"

namespace netfin::credit {
namespace {

constexpr uint64_t kPpmPerBps = kPpmScale / kBpsScale;
// Consumer instalments are sold in these terms (花呗/白条 practice).
constexpr uint32_t kInstalmentTerms[] = {3, 6, 9, 12, 24};
// The worst case is searched over start dates covering a whole month of a
// leap year, so every first-period length and February are seen.
constexpr uint32_t kWorstCaseStartDays = 31;
constexpr size_t kProductNameBytesMax = 64;

core::Status Refuse(const Product& product, std::string_view rule) {
  return core::InvalidArgument(fmt::format("credit.products[\"{}\"]: {}", product.name, rule));
}

bool IsInstalmentTerm(uint32_t terms) {
  return std::find(std::begin(kInstalmentTerms), std::end(kInstalmentTerms), terms) !=
         std::end(kInstalmentTerms);
}

// The shortest time from a statement to its due date, over every month length.
uint32_t GraceDaysMin(uint32_t statement_day, uint32_t due_day) {
  if (due_day > statement_day) return due_day - statement_day;
  return due_day + 28 - statement_day;  // a February statement, the shortest month
}

bool NameIsValid(std::string_view name) {
  if (name.empty() || name.size() > kProductNameBytesMax) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

core::Status CheckTerms(const Product& p) {
  if (p.terms.empty()) return Refuse(p, "terms: at least one term (zero terms offered)");
  if (p.terms.size() > kTermsPerProductMax) {
    return Refuse(p, fmt::format("terms: at most {} terms", kTermsPerProductMax));
  }
  std::set<uint32_t> seen;
  for (const uint32_t t : p.terms) {
    if (t == 0 || t > kTermsMax)
      return Refuse(p, fmt::format("terms: {} not in 1..{}", t, kTermsMax));
    if (!seen.insert(t).second) return Refuse(p, fmt::format("terms: {} twice", t));
    const bool instalments =
        p.kind == ProductKind::kInstalment || p.kind == ProductKind::kCreditLine;
    if (instalments && !IsInstalmentTerm(t)) {
      return Refuse(p, fmt::format("terms: {} is not one of 3, 6, 9, 12, 24 for instalments", t));
    }
  }
  return core::Status::Ok();
}

core::Status CheckRates(const Product& p) {
  if (p.annual_interest_bps > kAnnualInterestBpsMax) {
    return Refuse(p, fmt::format("annual_interest_bps: above {}", kAnnualInterestBpsMax));
  }
  if (p.monthly_fee_bps > kMonthlyFeeBpsMax) {
    return Refuse(p, fmt::format("monthly_fee_bps: above {}", kMonthlyFeeBpsMax));
  }
  if (p.penalty_daily_ppm > kPenaltyDailyPpmMax) {
    return Refuse(p, fmt::format("penalty_daily_ppm: above {}", kPenaltyDailyPpmMax));
  }
  return core::Status::Ok();
}

core::Status CheckMethod(const Product& p) {
  if (p.method == ScheduleMethod::kInterestFirst && p.monthly_fee_bps > 0) {
    return Refuse(p,
                  "interest_first with a monthly fee: interest-first loans charge interest only");
  }
  if (p.method == ScheduleMethod::kFlatFee &&
      (p.monthly_fee_bps == 0 || p.annual_interest_bps > 0)) {
    return Refuse(p,
                  "flat_fee needs a monthly_fee_bps and no annual_interest_bps: "
                  "the flat fee is the price");
  }
  const bool purchase = p.kind == ProductKind::kCreditLine || p.kind == ProductKind::kInstalment;
  if (purchase && p.method == ScheduleMethod::kInterestFirst) {
    return Refuse(p, "interest_first for purchase instalments: they repay principal every month");
  }
  if (p.kind == ProductKind::kReceivableFinancing && p.method != ScheduleMethod::kInterestFirst) {
    return Refuse(p, "receivable financing is interest_first: the buyer's payment repays it");
  }
  return core::Status::Ok();
}

core::Status CheckBillingDays(const Product& p) {
  if (p.statement_day > kCycleDayMax || p.due_day > kCycleDayMax) {
    return Refuse(p, fmt::format("statement_day and due_day: 1..{}", kCycleDayMax));
  }
  const bool needs_cycle = p.kind == ProductKind::kCreditLine || p.kind == ProductKind::kInstalment;
  if ((p.statement_day == 0) != (p.due_day == 0)) {
    return Refuse(p, "statement_day and due_day: both set, or both 0 for anniversary due dates");
  }
  if (p.statement_day == 0) {
    if (needs_cycle) return Refuse(p, "statement_day and due_day: required for this kind");
    return core::Status::Ok();
  }
  if (p.due_day == p.statement_day)
    return Refuse(p, "due_day equals statement_day: no time to pay");
  if (GraceDaysMin(p.statement_day, p.due_day) < kGraceDaysMin) {
    return Refuse(p, fmt::format("due_day {} comes {} days after statement_day {} in February: "
                                 "at least {} days to pay",
                                 p.due_day, GraceDaysMin(p.statement_day, p.due_day),
                                 p.statement_day, kGraceDaysMin));
  }
  return core::Status::Ok();
}

core::Status CheckKindFields(const Product& p) {
  if (p.kind == ProductKind::kCreditLine) {
    const uint32_t derived = InterestFreeDaysMax(p.statement_day, p.due_day);
    if (p.interest_free_days != 0 && p.interest_free_days != derived) {
      return Refuse(p, fmt::format("interest_free_days {} but statement day {} and due day {} "
                                   "give at most {}",
                                   p.interest_free_days, p.statement_day, p.due_day, derived));
    }
  } else if (p.interest_free_days != 0) {
    return Refuse(p, "interest_free_days: only credit lines have an interest-free period");
  }
  if (p.kind == ProductKind::kReceivableFinancing) {
    if (p.advance_share_bps == 0 || p.advance_share_bps > kBpsScale) {
      return Refuse(p, "advance_share_bps: 1..10000 (an advance above 100% of the receivable)");
    }
  } else if (p.advance_share_bps != 0) {
    return Refuse(p, "advance_share_bps: only receivable financing advances a share");
  }
  if (p.kind != ProductKind::kMerchantLoan && p.sales_share_bps != 0) {
    return Refuse(p, "sales_share_bps: only merchant loans are repaid from sales");
  }
  if (p.sales_share_bps > kBpsScale) return Refuse(p, "sales_share_bps: above 10000 (100%)");
  return core::Status::Ok();
}

core::Status CheckAmounts(const Product& p) {
  if (p.amount_min_minor == 0 || p.amount_min_minor > p.amount_max_minor ||
      p.amount_max_minor > kPrincipalMinorMax) {
    return Refuse(p, fmt::format("amount_min_minor and amount_max_minor: 1 <= min <= max <= {}",
                                 kPrincipalMinorMax));
  }
  return core::Status::Ok();
}

// The daily APR of a schedule whose every instalment is paid `late_days`
// late with penalty interest for those days.
core::Result<AnnualRate> LateApr(const Schedule& schedule, const ScheduleTerms& terms,
                                 uint32_t penalty_daily_ppm, uint32_t late_days) {
  ScheduleFlowBuffer buffer;
  const std::span<DatedCashFlow> flows =
      ScheduleFlows(schedule, terms.start_date, terms.principal_minor, &buffer);
  for (size_t k = 1; k < flows.size(); ++k) {
    const Instalment& line = schedule.instalments[k - 1];
    core::AmountMinor penalty = 0;
    NETFIN_ASSERT(core::MultiplyRateRoundHalfEven(line.principal_minor + line.interest_minor,
                                                  uint64_t{penalty_daily_ppm} * late_days,
                                                  kPpmScale, &penalty));
    flows[k].date = flows[k].date.AddDays(static_cast<int32_t>(late_days));
    flows[k].amount_minor += static_cast<int64_t>(penalty);
  }
  return DailyApr(flows);
}

// Raises *worst to `candidate` when it is higher.
void Keep(WorstCaseApr* worst, int64_t nominal_ppm, WorstCase worst_case, const ScheduleTerms& t) {
  if (nominal_ppm <= worst->nominal_ppm) return;
  worst->nominal_ppm = nominal_ppm;
  worst->worst_case = worst_case;
  worst->terms = t.terms;
  worst->principal_minor = t.principal_minor;
  worst->start_date = t.start_date;
}

}  // namespace

std::string_view ProductKindName(ProductKind kind) {
  switch (kind) {
    case ProductKind::kCreditLine:
      return "credit_line";
    case ProductKind::kInstalment:
      return "instalment";
    case ProductKind::kCashLoan:
      return "cash_loan";
    case ProductKind::kMerchantLoan:
      return "merchant_loan";
    case ProductKind::kReceivableFinancing:
      return "receivable_financing";
  }
  return "unknown";
}

std::string_view WorstCaseName(WorstCase worst_case) {
  switch (worst_case) {
    case WorstCase::kOnTime:
      return "on_time";
    case WorstCase::kLate:
      return "late";
    case WorstCase::kPenaltyRate:
      return "penalty_rate";
  }
  return "unknown";
}

bool Product::OffersTerm(uint32_t terms_count) const {
  return std::find(terms.begin(), terms.end(), terms_count) != terms.end();
}

uint32_t CapPolicy::EffectiveAprCapBps() const {
  if (lpr_multiple == 0 || lpr_one_year_bps == 0) return apr_cap_bps;
  return std::min<uint32_t>(apr_cap_bps, lpr_multiple * lpr_one_year_bps);
}

bool CapPolicy::AprExceedsCap(int64_t nominal_ppm) const {
  if (nominal_ppm <= 0) return false;
  const uint64_t bps = core::DivideRoundHalfEven(static_cast<uint64_t>(nominal_ppm), kPpmPerBps);
  return bps > EffectiveAprCapBps();
}

core::Status CapPolicy::Validate() const {
  if (apr_cap_bps == 0 || apr_cap_bps > kAnnualInterestBpsMax) {
    return core::InvalidArgument("credit.apr_cap_bps: 1..10000");
  }
  if (lpr_one_year_bps > 10'000 || lpr_multiple > 10) {
    return core::InvalidArgument("credit.lpr_one_year_bps: 0..10000, credit.lpr_multiple: 0..10");
  }
  if (lpr_multiple > 0 && lpr_one_year_bps == 0) {
    return core::InvalidArgument("credit.lpr_multiple: set credit.lpr_one_year_bps too");
  }
  if (late_days_checked > 366) return core::InvalidArgument("credit.late_days_checked: 0..366");
  if (person_outstanding_max_minor > core::kAmountMax) {
    return core::InvalidArgument("credit.person_outstanding_max_minor: out of range");
  }
  return core::Status::Ok();
}

CivilDate StatementDateFor(uint32_t statement_day, CivilDate period_start, CivilDate due_date) {
  NETFIN_ASSERT(period_start < due_date);
  if (statement_day == 0) {
    return std::max(period_start,
                    due_date.AddDays(-static_cast<int32_t>(kAnniversaryStatementLeadDays)));
  }
  NETFIN_ASSERT(statement_day <= kCycleDayMax);
  const YearMonthDay due = due_date.ToYmd();
  const CivilDate same_month = CivilDate::FromYmd(due.year, due.month, statement_day);
  return statement_day < due.day ? same_month : same_month.AddMonths(-1);
}

CivilDate FirstDueDate(const Product& product, CivilDate start) {
  if (product.due_day == 0) return start.AddMonths(1);
  const YearMonthDay s = start.ToYmd();
  const CivilDate first_candidate = CivilDate::FromYmd(s.year, s.month, product.due_day);
  for (int32_t months = 0; months < 3; ++months) {
    const CivilDate due = first_candidate.AddMonths(months);
    if (due <= start) continue;
    if (StatementDateFor(product.statement_day, start, due) > start) return due;
  }
  NETFIN_ASSERT(false);  // the third candidate's statement is always after the start
  return start.AddMonths(1);
}

uint32_t InterestFreeDaysMax(uint32_t statement_day, uint32_t due_day) {
  if (statement_day == 0 || due_day == 0) return 0;
  uint32_t longest = 0;
  const CivilDate first = CivilDate::FromYmd(2023, 1, statement_day);
  for (int32_t m = 0; m < 48; ++m) {  // four years: every month length, a leap February
    const CivilDate statement = first.AddMonths(m);
    const CivilDate next_statement = first.AddMonths(m + 1);
    const YearMonthDay ns = next_statement.ToYmd();
    CivilDate due = CivilDate::FromYmd(ns.year, ns.month, due_day);
    if (due <= next_statement) due = due.AddMonths(1);
    longest = std::max(longest, static_cast<uint32_t>(DaysBetween(statement.AddDays(1), due)));
  }
  return longest;
}

ScheduleTerms ProductScheduleTerms(const Product& product, core::AmountMinor principal_minor,
                                   uint32_t terms, CivilDate start) {
  ScheduleTerms t;
  t.principal_minor = principal_minor;
  t.terms = terms;
  t.method = product.method;
  t.annual_interest_bps = product.annual_interest_bps;
  t.monthly_fee_bps = product.monthly_fee_bps;
  t.interest_basis = product.interest_basis;
  t.day_count = product.day_count;
  t.start_date = start;
  t.first_due_date = FirstDueDate(product, start);
  return t;
}

core::Result<WorstCaseApr> ComputeWorstCaseApr(const Product& product, const CapPolicy& caps) {
  WorstCaseApr worst;
  worst.nominal_ppm = INT64_MIN;
  const core::AmountMinor amounts[] = {product.amount_min_minor, product.amount_max_minor};
  const CivilDate first_start = CivilDate::FromYmd(2024, 1, 1);
  Schedule schedule;
  for (const uint32_t terms : product.terms) {
    for (const core::AmountMinor amount : amounts) {
      for (uint32_t day = 0; day < kWorstCaseStartDays; ++day) {
        const ScheduleTerms t = ProductScheduleTerms(
            product, amount, terms, first_start.AddDays(static_cast<int32_t>(day)));
        NETFIN_ASSERT(BuildSchedule(t, &schedule) == CreditResult::kOk);
        auto on_time = MonthlyApr(schedule, amount);
        if (!on_time.ok()) return on_time.status();
        Keep(&worst, on_time->NominalPpm(), WorstCase::kOnTime, t);
        if (caps.late_days_checked == 0) continue;
        auto late = LateApr(schedule, t, product.penalty_daily_ppm, caps.late_days_checked);
        if (!late.ok()) return late.status();
        Keep(&worst, late->NominalPpm(), WorstCase::kLate, t);
      }
    }
  }
  // Annualised as the daily APR is: nominal = daily rate x its days a year.
  const int64_t penalty_ppm = int64_t{product.penalty_daily_ppm} * kDailyAprDaysPerYear;
  if (penalty_ppm > worst.nominal_ppm) {
    worst = WorstCaseApr{};  // no schedule: the rate alone
    worst.nominal_ppm = penalty_ppm;
    worst.worst_case = WorstCase::kPenaltyRate;
  }
  NETFIN_ASSERT(worst.nominal_ppm != INT64_MIN);
  return worst;
}

core::Status ValidateProduct(const Product& product, const CapPolicy& caps) {
  if (!NameIsValid(product.name)) {
    return Refuse(product, fmt::format("name: 1..{} of a-z 0-9 _ -", kProductNameBytesMax));
  }
  NETFIN_RETURN_IF_ERROR(CheckTerms(product));
  NETFIN_RETURN_IF_ERROR(CheckRates(product));
  NETFIN_RETURN_IF_ERROR(CheckMethod(product));
  NETFIN_RETURN_IF_ERROR(CheckBillingDays(product));
  NETFIN_RETURN_IF_ERROR(CheckKindFields(product));
  NETFIN_RETURN_IF_ERROR(CheckAmounts(product));
  auto worst = ComputeWorstCaseApr(product, caps);
  if (!worst.ok()) return Refuse(product, worst.status().message());
  if (!caps.AprExceedsCap(worst->nominal_ppm)) return core::Status::Ok();
  const std::string where =
      worst->worst_case == WorstCase::kPenaltyRate
          ? fmt::format("penalty_daily_ppm {} for a year", product.penalty_daily_ppm)
          : fmt::format("{} terms, {} minor units from {}", worst->terms, worst->principal_minor,
                        worst->start_date.ToString());
  // Percentages for people to read; the comparison itself was in integers.
  return Refuse(product, fmt::format("worst-case APR {:.2f}% ({}, {}) exceeds the APR cap {:.2f}%",
                                     static_cast<double>(worst->nominal_ppm) / 1e4,
                                     WorstCaseName(worst->worst_case), where,
                                     static_cast<double>(caps.EffectiveAprCapBps()) / 100));
}

core::AmountMinor PersonCapMinor(const CapPolicy& caps, core::AmountMinor annual_income_minor) {
  core::AmountMinor cap = caps.person_outstanding_max_minor;
  if (cap == 0) cap = core::kAmountMax;
  // Cut down, not rounded: a cap is never above a third of the income (as
  // RoundLimitDown in grade.cc never rounds a limit up).
  if (annual_income_minor > 0) cap = std::min(cap, annual_income_minor / 3);
  return cap;
}

CreditResult CheckPersonCap(const CapPolicy& caps, core::AmountMinor annual_income_minor,
                            core::AmountMinor outstanding_minor,
                            core::AmountMinor requested_minor) {
  core::AmountMinor total = 0;
  if (!core::TryAddAmount(outstanding_minor, requested_minor, &total)) {
    return CreditResult::kPersonCapExceeded;
  }
  return total > PersonCapMinor(caps, annual_income_minor) ? CreditResult::kPersonCapExceeded
                                                           : CreditResult::kOk;
}

}  // namespace netfin::credit
