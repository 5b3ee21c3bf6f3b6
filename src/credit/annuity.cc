#include "credit/annuity.h"

#include <array>

#include "core/assert.h"
#include "credit/credit_limits.h"

namespace netfin::credit {
namespace {

// 12 months x 10000 basis points: r = b / kMonthlyDenominator.
constexpr uint64_t kMonthlyDenominator = 120'000;

// An unsigned integer of up to kLimbs 32-bit limbs, little-endian. Only what
// the annuity needs: multiply, subtract, compare, double. Fixed size, so the
// offer path allocates nothing.
class Big {
 public:
  // (D + b)^n < 2^17 * 60 = 2^1020 bits, times P b < 2^40 * 2^14: 1074 bits.
  static constexpr size_t kLimbs = 40;

  static Big From(uint64_t v) {
    Big big;
    big.limbs_[0] = static_cast<uint32_t>(v);
    big.limbs_[1] = static_cast<uint32_t>(v >> 32);
    big.size_ = 2;
    big.Trim();
    return big;
  }

  static Big Multiply(const Big& a, const Big& b) {
    NETFIN_ASSERT(a.size_ + b.size_ <= kLimbs);
    Big product;
    for (size_t i = 0; i < a.size_; ++i) {
      uint64_t carry = 0;
      for (size_t j = 0; j < b.size_; ++j) {
        const uint64_t t =
            static_cast<uint64_t>(a.limbs_[i]) * b.limbs_[j] + product.limbs_[i + j] + carry;
        product.limbs_[i + j] = static_cast<uint32_t>(t);
        carry = t >> 32;
      }
      product.limbs_[i + b.size_] = static_cast<uint32_t>(carry);
    }
    product.size_ = a.size_ + b.size_;
    product.Trim();
    return product;
  }

  // REQUIRES: a >= b.
  static Big Subtract(const Big& a, const Big& b) {
    NETFIN_ASSERT(Compare(a, b) >= 0);
    Big difference;
    int64_t borrow = 0;
    for (size_t i = 0; i < a.size_; ++i) {
      int64_t t = static_cast<int64_t>(a.limbs_[i]) - borrow -
                  static_cast<int64_t>(i < b.size_ ? b.limbs_[i] : 0);
      borrow = t < 0 ? 1 : 0;
      if (t < 0) t += int64_t{1} << 32;
      difference.limbs_[i] = static_cast<uint32_t>(t);
    }
    NETFIN_ASSERT(borrow == 0);
    difference.size_ = a.size_;
    difference.Trim();
    return difference;
  }

  static int Compare(const Big& a, const Big& b) {
    if (a.size_ != b.size_) return a.size_ < b.size_ ? -1 : 1;
    for (size_t i = a.size_; i-- > 0;) {
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
    }
    return 0;
  }

  bool IsZero() const { return size_ == 0; }

 private:
  void Trim() {
    while (size_ > 0 && limbs_[size_ - 1] == 0) --size_;
  }

  std::array<uint32_t, kLimbs> limbs_{};
  size_t size_ = 0;
};

Big Power(uint64_t base, uint32_t exponent) {
  Big result = Big::From(1);
  const Big factor = Big::From(base);
  for (uint32_t i = 0; i < exponent; ++i) result = Big::Multiply(result, factor);
  return result;
}

// round_half_even(numerator / denominator), when the quotient is below
// 2^quotient_bits (<= 64). Returns false when it is not. This is
// core::DivideRoundHalfEven's rule on integers too wide for its 128 bits
// (ScheduleTest.AnnuityIsExactRationalArithmeticRoundedOnce checks it
// against exact fractions). The quotient is found
// by binary search on its bits (q * denominator <= numerator), which needs
// only multiplication.
bool DivideRoundHalfEvenBig(const Big& numerator, const Big& denominator, int quotient_bits,
                            uint64_t* quotient) {
  NETFIN_ASSERT(!denominator.IsZero());
  NETFIN_ASSERT(quotient_bits >= 1 && quotient_bits <= 64);
  uint64_t q = 0;
  for (int bit = quotient_bits - 1; bit >= 0; --bit) {
    const uint64_t candidate = q | (uint64_t{1} << bit);
    if (Big::Compare(Big::Multiply(Big::From(candidate), denominator), numerator) <= 0) {
      q = candidate;
    }
  }
  const Big remainder = Big::Subtract(numerator, Big::Multiply(Big::From(q), denominator));
  if (Big::Compare(remainder, denominator) >= 0) return false;  // the quotient was too large
  const int half = Big::Compare(Big::Multiply(remainder, Big::From(2)), denominator);
  const bool round_up = half > 0 || (half == 0 && q % 2 == 1);
  if (round_up && q == UINT64_MAX) return false;
  *quotient = round_up ? q + 1 : q;
  NETFIN_ASSERT(Big::Compare(Big::Multiply(Big::From(q), denominator), numerator) <= 0);
  return true;
}

}  // namespace

bool AnnuityPaymentMinor(core::AmountMinor principal_minor, uint32_t annual_bps, uint32_t terms,
                         core::AmountMinor* payment_minor) {
  NETFIN_ASSERT(terms >= 1 && terms <= kTermsMax);
  NETFIN_ASSERT(annual_bps <= kAnnualInterestBpsMax && principal_minor <= kPrincipalMinorMax);
  if (annual_bps == 0) {
    *payment_minor = core::DivideRoundHalfEven(principal_minor, terms);
    return true;
  }
  const Big x = Power(kMonthlyDenominator + annual_bps, terms);
  const Big y = Power(kMonthlyDenominator, terms);
  const Big numerator = Big::Multiply(Big::From(principal_minor * annual_bps), x);
  const Big denominator = Big::Multiply(Big::From(kMonthlyDenominator), Big::Subtract(x, y));
  // A <= P (1 + r) < 2P + 1: the quotient has at most as many bits as 2P + 1,
  // which cuts the binary search from 64 steps to about 40 at the largest P.
  const int quotient_bits = 64 - __builtin_clzll(2 * principal_minor + 1);
  uint64_t payment = 0;
  if (!DivideRoundHalfEvenBig(numerator, denominator, quotient_bits, &payment)) return false;
  if (payment > core::kAmountMax) return false;
  *payment_minor = payment;
  return true;
}

}  // namespace netfin::credit
