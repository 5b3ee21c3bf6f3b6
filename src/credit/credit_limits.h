#pragma once

// Every limit of the credit role, each with the reason for its value. They
// bound the inputs so that the integer arithmetic of schedules, accrual and
// the exact annuity can be proved free of overflow, and so that every loop
// over outside data has an end.

#include <cstdint>

#include "core/money.h"

namespace netfin::credit {

// Rates are integers over these scales: basis points (1 bp = 0.01%) for
// interest, fees, shares and provisions; parts per million for the daily penalty.
inline constexpr uint64_t kBpsScale = 10'000;
inline constexpr uint64_t kPpmScale = 1'000'000;

// Instalments of one loan. Consumer instalments go to 24, cash and merchant
// loans to 36; 60 leaves room and bounds the exact annuity (annuity.cc).
inline constexpr uint32_t kTermsMax = 60;

// Annual interest above 100% is a typo (the legal caps are 24% and 36%); the
// bound also sizes the exact annuity's big integers.
inline constexpr uint32_t kAnnualInterestBpsMax = 10'000;

// A flat fee above 10% of the principal a month is a typo (the cap refuses far less).
inline constexpr uint32_t kMonthlyFeeBpsMax = 1'000;

// A penalty above 1% a day (365% a year) is a typo.
inline constexpr uint32_t kPenaltyDailyPpmMax = 10'000;

// The largest principal of one loan: 10 billion CNY. With the rate bounds
// above, every interest, fee and total of a schedule stays far below
// core::kAmountMax, so schedule arithmetic cannot overflow.
inline constexpr core::AmountMinor kPrincipalMinorMax = 1'000'000'000'000ull;

// The first period of a schedule runs from disbursement to the first due
// date; a statement-day product can make it up to two cycles long.
inline constexpr uint32_t kFirstPeriodDaysMax = 62;

// Statement and due days are 1..28, so that every month has them.
inline constexpr uint32_t kCycleDayMax = 28;

// The due date comes at least this many days after its statement, in every
// month, February included: time for the borrower to read and pay.
inline constexpr uint32_t kGraceDaysMin = 5;

// Loans without a statement day (anniversary due dates) are billed this many
// days before each due date: a week's notice.
inline constexpr uint32_t kAnniversaryStatementLeadDays = 7;

// Products in one configuration, and terms offered by one product.
inline constexpr uint32_t kProductsMax = 256;
inline constexpr uint32_t kTermsPerProductMax = 16;

// RunDay catches a loan up over at most ten years of missed day-ends.
inline constexpr uint32_t kRunDayCatchUpDaysMax = 3660;

// Iterations of the IRR root finder (bracketing, then safeguarded Newton);
// bisection alone needs about 60 for full double precision.
inline constexpr uint32_t kIrrIterationsMax = 200;

// Cash flows of one IRR: a loan has at most kTermsMax + 1 flows; a few more
// for irregular (XIRR) flows built by callers.
inline constexpr uint32_t kCashFlowsMax = 4 * kTermsMax + 16;

// Grade bands (A..E) and reason codes carried by one score.
inline constexpr uint32_t kGradeBandsMax = 5;
inline constexpr uint32_t kReasonCodesMax = 32;

static_assert(kPrincipalMinorMax * (1 + kTermsMax) < core::kAmountMax / kPenaltyDailyPpmMax,
              "a loan's total, times a penalty rate, fits an amount");

}  // namespace netfin::credit
