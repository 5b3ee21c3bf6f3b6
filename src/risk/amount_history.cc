#include "risk/amount_history.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/assert.h"

namespace netfin::risk {

AmountStats AmountHistory::Stats() const {
  const std::span<const uint64_t> amounts = amounts_.values();
  const uint32_t count = amounts_.size();
  NETFIN_ASSERT(count > 0 && count <= kAmountsMax);
  std::array<uint64_t, kAmountsMax> sorted{};
  std::copy(amounts.begin(), amounts.end(), sorted.begin());
  auto* begin = sorted.data();
  auto* middle = begin + count / 2;
  std::nth_element(begin, middle, begin + count);
  double median = static_cast<double>(*middle);
  if (count % 2 == 0) {
    // The lower middle is the largest of the lower half.
    const double lower = static_cast<double>(*std::max_element(begin, middle));
    median = (median + lower) / 2;
  }
  double sum = 0;
  for (const uint64_t amount : amounts) sum += static_cast<double>(amount);
  const double mean = sum / count;
  double squares = 0;
  for (const uint64_t amount : amounts) {
    const double d = static_cast<double>(amount) - mean;
    squares += d * d;
  }
  return AmountStats{count, median, mean, std::sqrt(squares / count)};
}

}  // namespace netfin::risk
