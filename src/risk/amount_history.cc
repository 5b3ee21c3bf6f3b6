#include "risk/amount_history.h"

#include <algorithm>
#include <cmath>

#include "core/assert.h"

namespace netfin::risk {

void AmountHistory::Add(uint64_t amount_minor) {
  amounts_[next_] = amount_minor;
  next_ = (next_ + 1) % kAmountsMax;
  if (size_ < kAmountsMax) ++size_;
}

AmountStats AmountHistory::Stats() const {
  NETFIN_ASSERT(size_ > 0 && size_ <= kAmountsMax);
  std::array<uint64_t, kAmountsMax> sorted = amounts_;
  auto* begin = sorted.data();
  auto* middle = begin + size_ / 2;
  std::nth_element(begin, middle, begin + size_);
  double median = static_cast<double>(*middle);
  if (size_ % 2 == 0) {
    // The lower middle is the largest of the lower half.
    const double lower = static_cast<double>(*std::max_element(begin, middle));
    median = (median + lower) / 2;
  }
  double sum = 0;
  for (uint32_t i = 0; i < size_; ++i) sum += static_cast<double>(amounts_[i]);
  const double mean = sum / size_;
  double squares = 0;
  for (uint32_t i = 0; i < size_; ++i) {
    const double d = static_cast<double>(amounts_[i]) - mean;
    squares += d * d;
  }
  return AmountStats{size_, median, mean, std::sqrt(squares / size_)};
}

bool AmountHistory::IsValid() const {
  return size_ <= kAmountsMax && next_ < kAmountsMax && (size_ == kAmountsMax || next_ == size_);
}

}  // namespace netfin::risk
