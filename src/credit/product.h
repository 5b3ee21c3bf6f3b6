#pragma once

// Credit products and the legal caps they must keep.
//
// A product is configuration ([[credit.products]], see credit_config.h): what
// kind of credit it is, how it is repaid, what it costs, and how it is billed.
// ValidateProduct refuses an inconsistent product, or one whose true APR in
// its worst case passes the cap, with a message that names the product and
// the rule. The rules are listed in docs/credit.md.
//
// Billing: a product with a statement day and a due day (1..28) bills each
// instalment on the last statement day before its due date and collects on
// its due day every month. A product with neither (both 0) has anniversary
// due dates (the disbursement day each month, clamped to the month's end) and
// bills kAnniversaryStatementLeadDays before each.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "credit/civil_date.h"
#include "credit/schedule.h"

namespace netfin::credit {

// DO NOT RENUMBER: persisted with each loan.
enum class ProductKind : uint8_t {
  kCreditLine = 1,  // pay next month (花呗, 白条): a limit, monthly bills, instalment conversion
  kInstalment = 2,           // a purchase paid in 3/6/9/12/24 instalments
  kCashLoan = 3,             // cash to the wallet, repaid by schedule
  kMerchantLoan = 4,         // to a merchant, repaid by schedule or from a share of daily sales
  kReceivableFinancing = 5,  // an advance on a receivable confirmed by a buyer
};

std::string_view ProductKindName(ProductKind kind);  // "credit_line", ...

struct Product {
  std::string name;
  ProductKind kind = ProductKind::kCashLoan;
  ScheduleMethod method = ScheduleMethod::kEqualInstalment;
  std::vector<uint32_t> terms;  // instalments offered; for a credit line, bill conversions
  uint32_t annual_interest_bps = 0;
  uint32_t monthly_fee_bps = 0;    // flat, of the principal, each month
  uint32_t penalty_daily_ppm = 0;  // on overdue principal and interest, per day
  InterestBasis interest_basis = InterestBasis::kMonthlyRate;
  DayCount day_count = DayCount::kActual365;
  uint32_t statement_day = 0;       // 1..28, or 0 with due_day 0 for anniversary dates
  uint32_t due_day = 0;             // 1..28
  uint32_t interest_free_days = 0;  // credit line: the longest interest-free period (0: derived)
  uint32_t advance_share_bps = 0;   // receivable financing: the share of the receivable advanced
  uint32_t sales_share_bps =
      0;  // merchant loan: the share of daily sales taken to repay (0: by schedule)
  core::AmountMinor amount_min_minor = 10'000;      // 100.00 CNY
  core::AmountMinor amount_max_minor = 20'000'000;  // 200,000.00 CNY

  bool OffersTerm(uint32_t terms_count) const;
};

// The legal limits: configuration, with their sources in docs/credit.md.
struct CapPolicy {
  // The APR cap, fees and penalty interest included: 24% (the 2017 PBoC/CBIRC
  // notice's line and consumer-finance practice).
  uint32_t apr_cap_bps = 2'400;
  // With lpr_multiple > 0 the cap is also at most lpr_multiple x the one-year
  // LPR (the Supreme People's Court's 2020 rule for private lending: 4x).
  uint32_t lpr_one_year_bps = 0;
  uint32_t lpr_multiple = 0;
  // The worst case checked at product load: every instalment paid this many
  // days late, with penalty interest.
  uint32_t late_days_checked = 30;
  // Outstanding credit per person, all products together: 300,000 CNY (the
  // 2020 draft rules for online micro-lending). 0: no cap.
  core::AmountMinor person_outstanding_max_minor = 30'000'000;

  // The cap in force: apr_cap_bps, lowered to lpr_multiple x LPR when set.
  uint32_t EffectiveAprCapBps() const;
  // Whether an APR (in parts per million) is above the cap in force. APRs are
  // disclosed to 0.01%, so the comparison is at that precision: the APR is
  // rounded half to even to basis points first (24.004% is 24.00%, within a
  // 24% cap; 24.02% is not).
  bool AprExceedsCap(int64_t nominal_ppm) const;
  core::Status Validate() const;
};

// The due date of the first instalment of a loan disbursed on `start`:
// start + 1 month for anniversary products; otherwise the first due day whose
// statement date falls after the start (so the first bill comes after the loan).
CivilDate FirstDueDate(const Product& product, CivilDate start);

// The day an instalment due on `due_date` is billed: the last statement day
// before it, or kAnniversaryStatementLeadDays before it (not before
// `period_start`) for anniversary products.
CivilDate StatementDateFor(uint32_t statement_day, CivilDate period_start, CivilDate due_date);

// The longest interest-free period of a credit line: from the day after a
// statement to the due date of the next bill, over every month.
uint32_t InterestFreeDaysMax(uint32_t statement_day, uint32_t due_day);

// The product's terms as a schedule request.
ScheduleTerms ProductScheduleTerms(const Product& product, core::AmountMinor principal_minor,
                                   uint32_t terms, CivilDate start);

// The worst APR a product can charge, with the case that gives it.
enum class WorstCase : uint8_t {
  kOnTime = 1,       // the monthly APR of a schedule repaid on time
  kLate = 2,         // the daily APR with every instalment late_days_checked late
  kPenaltyRate = 3,  // the penalty rate itself, a year long (penalty_daily_ppm x 365)
};
std::string_view WorstCaseName(WorstCase worst_case);

struct WorstCaseApr {
  int64_t nominal_ppm = 0;
  WorstCase worst_case = WorstCase::kOnTime;
  uint32_t terms = 0;
  core::AmountMinor principal_minor = 0;
  CivilDate start_date;
};

// Computes the worst APR over the product's terms, its smallest and largest
// amounts, and start dates over a whole month (so every first-period length
// is seen). REQUIRES: the product passed its consistency rules.
core::Result<WorstCaseApr> ComputeWorstCaseApr(const Product& product, const CapPolicy& caps);

// Consistency rules, then the APR cap. The message names the product and the rule.
core::Status ValidateProduct(const Product& product, const CapPolicy& caps);

// A person's cap: person_outstanding_max_minor, and no more than a third of
// the annual income when that is known (the 2020 draft's other arm).
core::AmountMinor PersonCapMinor(const CapPolicy& caps, core::AmountMinor annual_income_minor);

// kPersonCapExceeded when outstanding + requested would pass the cap.
CreditResult CheckPersonCap(const CapPolicy& caps, core::AmountMinor annual_income_minor,
                            core::AmountMinor outstanding_minor, core::AmountMinor requested_minor);

}  // namespace netfin::credit
