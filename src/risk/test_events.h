#pragma once

// Helpers for risk's tests: hand-made payment events and fixed instants.

#include <cstdint>

#include "risk/payment_event.h"

namespace netfin::risk::testing {

// 2026-11-24T16:00:00Z: midnight of 2026-11-25 in China (UTC+8), and the
// start of a UTC hour and of a UTC day's second half. Tests start here.
inline constexpr uint64_t kT0 = 1'795'536'000'000'000'000ull;

// Ids for tests: small numbers as 128-bit keys.
inline Id128 Key(uint64_t n) { return Id128::FromU64(n); }

// A succeeded payment of amount_minor from customer to payee at ts_ns, with
// no device, IP, merchant, location or balance.
inline PaymentEvent MakeEvent(uint64_t ts_ns, uint64_t customer, uint64_t payee,
                              uint64_t amount_minor) {
  PaymentEvent e;
  e.timestamp_ns = ts_ns;
  e.customer = customer == 0 ? Id128::Zero() : Key(customer);
  e.payee = payee == 0 ? Id128::Zero() : Key(payee);
  e.amount_minor = amount_minor;
  return e;
}

}  // namespace netfin::risk::testing
