#pragma once

// credit: the pure, ledger-independent core of the e-commerce credit role.
// Value types and functions only: no I/O, no clock, no threads, no ledger.
//
//   civil_date.h     CivilDate (days since epoch, YYYY-MM-DD, months with
//                    end-of-month clamping), DayCount (Actual/365, Actual/360)
//   schedule.h       BuildSchedule: equal instalment, equal principal,
//                    interest first, flat fee; whole fen, remainders last
//   apr.h            the true APR by IRR: monthly (x12) and daily (XIRR)
//   product.h        Product, CapPolicy, ValidateProduct (consistency and the
//                    APR cap on the worst case), person caps
//   offer.h          MakeOffer (schedule + APR, refused above the cap), LoanFromOffer
//   loan.h           Loan, its status, bucket and class
//   repayment.h      AmountDue, PayoffQuote, ApplyRepayment (penalty, fees,
//                    interest, principal; early payoff with interest to the day)
//   day_end.h        RunDay: statements, accrual, days past due, buckets,
//                    five-category class, provisions, write-off; idempotent
//   credit_line.h    pay-next-month lines: purchases, bills, conversion
//   financing.h      merchant sales sweep, receivable advances and buyer payments
//   grade.h          CreditScorer interface, grades A-E, limits, monthly review
//   credit_config.h  CreditPolicy and the [credit] TOML section
//   credit_result.h  CreditResult: the numbered outcome of every rule
//
// Money is integer fen (core::AmountMinor) everywhere; rates are integers
// (basis points, parts per million). The only floating point is the APR,
// a reported rate (apr.h). docs/credit.md is the user's guide.

#include "credit/apr.h"
#include "credit/civil_date.h"
#include "credit/credit_config.h"
#include "credit/credit_limits.h"
#include "credit/credit_line.h"
#include "credit/credit_result.h"
#include "credit/day_end.h"
#include "credit/financing.h"
#include "credit/grade.h"
#include "credit/loan.h"
#include "credit/offer.h"
#include "credit/product.h"
#include "credit/repayment.h"
#include "credit/schedule.h"
