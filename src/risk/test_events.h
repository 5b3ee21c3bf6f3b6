#pragma once

// Helpers for risk's tests: hand-made payment events, fixed instants, and a
// small labelled stream for the fraud model's tests.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/money.h"
#include "ml/split.h"
#include "risk/features.h"
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

// A small labelled stream, deterministic for a seed, one event every 30 s:
// customers pay merchants or withdraw; one in twenty is a "takeover" that
// transfers the whole balance to one of five mule wallets (label 1), the
// pattern a tiny model learns.
struct Stream {
  std::vector<PaymentEvent> events;
  std::vector<uint8_t> labels;
};

inline Stream MakeStream(size_t n, uint64_t seed) {
  ml::Prng prng(seed);
  Stream s;
  for (size_t i = 0; i < n; ++i) {
    PaymentEvent e = MakeEvent(kT0 + i * kSecondNs * 30, 1 + prng.Below(300), 0, 0);
    const bool fraud = prng.Below(20) == 0;
    const core::AmountMinor balance = 10'000 + prng.Below(1'000'000);
    e.balance_before_minor = balance;
    if (fraud) {
      e.kind = EventKind::kTransfer;
      e.payee = Key(100'000 + prng.Below(5));
      e.amount_minor = balance;
    } else {
      e.kind = prng.Below(2) == 0 ? EventKind::kPayment : EventKind::kWithdrawal;
      e.payee = e.merchant = Key(50'000 + prng.Below(40));
      e.amount_minor = 100 + prng.Below(balance / 4);
    }
    s.events.push_back(e);
    s.labels.push_back(fraud ? 1 : 0);
  }
  return s;
}

}  // namespace netfin::risk::testing
