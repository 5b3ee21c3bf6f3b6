#pragma once

// Money is an integer count of minor units (fen for CNY), never negative and
// at most INT64_MAX so that it fits a signed SQL integer column. The currency
// is the ledger's, not the amount's. There is no floating point here.
//
// Every addition and subtraction is checked; an overflow is reported to the
// caller, which turns it into a specific result code. It never wraps.
//
// Rates are integers too (basis points, parts per million), and every
// division that rounds goes through DivideRoundHalfEven: rounding lives in
// this one place.

#include <cstdint>
#include <limits>
#include <string>

namespace netfin::core {

using AmountMinor = uint64_t;

// The largest amount or balance the ledger holds (fits SQL INTEGER).
inline constexpr AmountMinor kAmountMax = static_cast<AmountMinor>(INT64_MAX);

// Adds two amounts. Returns false, leaving *sum untouched, when the result
// would exceed kAmountMax.
[[nodiscard]] inline bool TryAddAmount(AmountMinor a, AmountMinor b, AmountMinor* sum) {
  AmountMinor s;
  if (__builtin_add_overflow(a, b, &s) || s > kAmountMax) return false;
  *sum = s;
  return true;
}

// Subtracts b from a. Returns false, leaving *difference untouched, when b > a
// (an amount is never negative).
[[nodiscard]] inline bool TrySubtractAmount(AmountMinor a, AmountMinor b, AmountMinor* difference) {
  if (b > a) return false;
  *difference = a - b;
  return true;
}

// Multiplies an amount by a rate and divides by the rate's scale, rounding
// half to even ("banker's rounding"), e.g. a fee of 60 basis points on 1,234
// fen is MultiplyRate(1234, 60, 10000) = 7 (7.404 rounds to 7).
// Returns false on overflow of the result past kAmountMax. REQUIRES: scale > 0.
[[nodiscard]] bool MultiplyRateRoundHalfEven(AmountMinor amount, uint64_t rate, uint64_t scale,
                                             AmountMinor* result);

// numerator / denominator rounded half to even. The one rounding rule of
// netfin: ties go to the even neighbour, so rounding errors do not drift in
// one direction over many operations. REQUIRES: denominator > 0.
uint64_t DivideRoundHalfEven(uint64_t numerator, uint64_t denominator);

// An amount in major units for people to read, exactly, from its integer
// minor units: FormatMinorUnits(123456, 2) is "1234.56", (5, 2) is "0.05",
// (7, 0) is "7". Never through a double. REQUIRES: exponent <= 18.
std::string FormatMinorUnits(AmountMinor amount, uint32_t exponent = 2);

}  // namespace netfin::core
