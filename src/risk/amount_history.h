#pragma once

// AmountHistory: the amounts of a customer's last kAmountsMax successful
// payments, the bounded sample that "amount against the customer's own
// history" is measured on. The median, mean and standard deviation are
// exact over that sample (a sliding sample, not the whole history): they
// follow a customer whose habits change, and cost 264 bytes.
//
// Thread-compatible.

#include <cstdint>

#include "risk/recent_sets.h"

namespace netfin::risk {

struct AmountStats {
  uint32_t count = 0;  // amounts in the sample
  double median = 0;   // the middle amount; for an even count, the mean of the two
  double mean = 0;
  double stddev = 0;  // population standard deviation
};

class AmountHistory {
 public:
  // 32 payments: about a month of a typical wallet's spending.
  static constexpr uint32_t kAmountsMax = 32;

  void Add(uint64_t amount_minor) { amounts_.Add(amount_minor); }
  // REQUIRES: count() > 0.
  AmountStats Stats() const;
  uint32_t count() const { return amounts_.size(); }
  bool IsValid() const { return amounts_.IsValid(); }

 private:
  Ring<uint64_t, kAmountsMax> amounts_;
};

static_assert(sizeof(AmountHistory) == 264);

}  // namespace netfin::risk
