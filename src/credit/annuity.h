#pragma once

// The exact equal-instalment (annuity) payment, in integers.
//
// With a monthly rate r = b / 120000 (b the annual rate in basis points), the
// textbook payment is A = P r (1+r)^n / ((1+r)^n - 1). Written over the
// integers, with D = 120000, X = (D+b)^n and Y = D^n:
//
//     A = P b X / (D (X - Y))
//
// X reaches about 2^1020 for n = 60 and b = 10000, so this is evaluated with
// small fixed-size big integers and rounded half to even once, at the end:
// no floating point and no intermediate rounding, so the figure matches a
// hand computation to the fen.

#include <cstdint>

#include "core/money.h"

namespace netfin::credit {

// The monthly payment of an annuity, rounded half to even. A zero rate gives
// P / n (rounded the same way). Returns false if it would exceed kAmountMax.
// REQUIRES: 1 <= terms <= kTermsMax, annual_bps <= kAnnualInterestBpsMax,
// principal <= kPrincipalMinorMax.
[[nodiscard]] bool AnnuityPaymentMinor(core::AmountMinor principal_minor, uint32_t annual_bps,
                                       uint32_t terms, core::AmountMinor* payment_minor);

}  // namespace netfin::credit
