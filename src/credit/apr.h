#pragma once

// The true annual percentage rate (APR) of a loan by the internal rate of
// return (IRR) of its actual cash flows: the rate i per period at which
//
//     sum over flows of amount_t / (1 + i)^t = 0
//
// with the disbursement negative and every repayment (principal, interest,
// fees, penalty) positive. Two variants:
//   - periodic: t counts repayment periods (months); nominal APR = 12 i and
//     effective = (1 + i)^12 - 1. The PBoC's 2021 APR disclosure rule
//     (announcement [2021] No. 3) uses this form, and the caps apply to it.
//   - daily (XIRR): t counts actual days from the first flow, for irregular
//     flows such as late payments; nominal = 365 i_daily, effective =
//     (1 + i_daily)^365 - 1.
//
// Floating point here and only here: an APR is a reported rate, never an
// amount that is booked, so the root is found in double precision and money
// never passes through a double. Amounts are converted to double at one named
// boundary (ToDouble in apr.cc).
//
// The solver is robust by construction: it accepts only flows whose signs
// change exactly once (a loan, seen from either side), for which Descartes'
// rule of signs gives exactly one root; it brackets the root, then runs Newton
// steps that fall back to bisection whenever they would leave the bracket. It
// never returns NaN or infinity: anything else is a clear error.

#include <array>
#include <cstdint>
#include <span>

#include "core/money.h"
#include "core/status.h"
#include "credit/civil_date.h"
#include "credit/credit_limits.h"
#include "credit/schedule.h"

namespace netfin::credit {

// The daily (XIRR) APR's year: nominal = 365 x the daily rate.
inline constexpr uint32_t kDailyAprDaysPerYear = 365;

// One cash flow: a signed amount in minor units (negative: lent out; positive:
// repaid) at an offset in periods (months or days) from the first flow.
struct CashFlow {
  uint32_t offset = 0;
  int64_t amount_minor = 0;
};

struct DatedCashFlow {
  CivilDate date;
  int64_t amount_minor = 0;
};

struct AnnualRate {
  double periodic_rate = 0;  // IRR per period (a month, or a day)
  uint32_t periods_per_year = 12;
  double nominal = 0;    // periodic_rate x periods_per_year
  double effective = 0;  // (1 + periodic_rate)^periods_per_year - 1

  // The nominal rate in parts per million (13.03% -> 130'300 approx.),
  // rounded to nearest, ties to even. For comparison with integer caps.
  int64_t NominalPpm() const;
  // The effective rate in parts per million, rounded the same way: what
  // offers and loans disclose beside the nominal rate.
  int64_t EffectivePpm() const;
};

// The IRR per period of `flows`. Errors (kInvalidArgument, with the reason):
// fewer than two flows or more than kCashFlowsMax, offsets not increasing,
// signs that do not change exactly once, no convergence.
core::Result<double> SolveIrr(std::span<const CashFlow> flows);

// The periodic (monthly) APR of a schedule disbursed as `disbursed_minor` at
// t = 0 and repaid instalment k at t = k.
core::Result<AnnualRate> MonthlyApr(const Schedule& schedule, core::AmountMinor disbursed_minor);

// The daily (XIRR) APR of dated flows (sorted by date; same-day flows are
// netted). Flows out of date order are an error.
core::Result<AnnualRate> DailyApr(std::span<const DatedCashFlow> flows);

// Room for the dated flows of one schedule: the disbursement and at most
// kTermsMax instalments. Sized up front so that an offer allocates nothing
// for its APR.
using ScheduleFlowBuffer = std::array<DatedCashFlow, kTermsMax + 1>;

// The dated flows of a schedule repaid on time: -disbursed at the start date,
// each instalment's total on its due date. Written into *buffer; the result
// views the flows written. REQUIRES: the schedule has at most kTermsMax
// instalments (BuildSchedule's bound).
std::span<DatedCashFlow> ScheduleFlows(const Schedule& schedule, CivilDate start_date,
                                       core::AmountMinor disbursed_minor,
                                       ScheduleFlowBuffer* buffer);

// The annual rate of a periodic rate (nominal and effective).
AnnualRate AnnualRateFromPeriodic(double periodic_rate, uint32_t periods_per_year);

}  // namespace netfin::credit
