#include "core/money.h"

#include "core/assert.h"

namespace netfin::core {
namespace {
__extension__ typedef unsigned __int128 U128;

U128 DivideRoundHalfEven128(U128 numerator, U128 denominator) {
  NETFIN_ASSERT(denominator > 0);
  const U128 quotient = numerator / denominator;
  const U128 remainder = numerator % denominator;
  const U128 twice = remainder * 2;  // remainder < denominator < 2^64: no overflow
  if (twice > denominator) return quotient + 1;
  if (twice < denominator) return quotient;
  return (quotient % 2 == 0) ? quotient : quotient + 1;  // a tie: to even
}
}  // namespace

uint64_t DivideRoundHalfEven(uint64_t numerator, uint64_t denominator) {
  NETFIN_ASSERT(denominator > 0);
  return static_cast<uint64_t>(DivideRoundHalfEven128(numerator, denominator));
}

bool MultiplyRateRoundHalfEven(AmountMinor amount, uint64_t rate, uint64_t scale,
                               AmountMinor* result) {
  NETFIN_ASSERT(scale > 0);
  const U128 product = static_cast<U128>(amount) * rate;  // < 2^128: cannot overflow
  const U128 rounded = DivideRoundHalfEven128(product, scale);
  if (rounded > kAmountMax) return false;
  *result = static_cast<AmountMinor>(rounded);
  return true;
}

std::string FormatMinorUnits(AmountMinor amount, uint32_t exponent) {
  NETFIN_ASSERT(exponent <= 18);
  std::string digits = std::to_string(amount);
  if (exponent == 0) return digits;
  if (digits.size() <= exponent) digits.insert(0, exponent + 1 - digits.size(), '0');
  digits.insert(digits.size() - exponent, 1, '.');
  return digits;
}

}  // namespace netfin::core
