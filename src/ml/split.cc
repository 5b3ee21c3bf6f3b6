#include "ml/split.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

namespace netfin::ml {

uint64_t Prng::Below(uint64_t bound) {
  NETFIN_ASSERT(bound > 0);
  // Draws past the largest multiple of bound are rejected, so every residue
  // is equally likely; fewer than half of the draws are ever rejected.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t draw = Next();
  while (draw >= limit) draw = Next();
  return draw % bound;
}

void Prng::Shuffle(std::span<size_t> items) {
  for (size_t i = items.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(Below(i));
    std::swap(items[i - 1], items[j]);
  }
}

core::Result<SplitIndices> StratifiedSplit(std::span<const uint8_t> labels, double test_fraction,
                                           uint64_t seed) {
  if (labels.empty()) return core::InvalidArgument("no rows to split");
  if (!(test_fraction > 0.0 && test_fraction < 1.0)) {
    return core::InvalidArgument("test_fraction must be in (0, 1)");
  }
  std::vector<size_t> by_class[2];
  for (size_t row = 0; row < labels.size(); ++row) {
    if (labels[row] > 1) return core::InvalidArgument("a label is neither 0 nor 1");
    by_class[labels[row]].push_back(row);
  }
  Prng prng(seed);
  SplitIndices split;
  for (std::vector<size_t>& rows : by_class) {
    prng.Shuffle(rows);
    const auto test_rows =
        static_cast<std::ptrdiff_t>(std::llround(static_cast<double>(rows.size()) * test_fraction));
    NETFIN_ASSERT(test_rows >= 0 && static_cast<size_t>(test_rows) <= rows.size());
    split.test.insert(split.test.end(), rows.begin(), rows.begin() + test_rows);
    split.train.insert(split.train.end(), rows.begin() + test_rows, rows.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.test.begin(), split.test.end());
  NETFIN_ASSERT(split.train.size() + split.test.size() == labels.size());
  return split;
}

}  // namespace netfin::ml
