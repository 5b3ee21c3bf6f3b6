#pragma once

// PaymentScreen: how the payments role asks for a risk decision without
// depending on the risk role. The node wires an implementation (the risk
// role's service behind a small adapter); without one every attempt is
// allowed, as before.
//
// Both calls run on the ledger's applier thread, in the order attempts are
// decided and end, live and in recovery, so an implementation needs no lock
// of its own for state only these calls touch.

#include <cstdint>
#include <string>

#include "core/id.h"
#include "core/money.h"
#include "payments/model.h"

namespace netfin::payments {

// One attempt to move money out of a wallet, as far as a screen may know it.
struct ScreenAttempt {
  uint64_t timestamp_ns = 0;
  Id128 customer_id;  // the paying wallet's owner
  Id128 payee_id;     // the merchant, or the receiving customer of a transfer
  Id128 merchant_id;  // the merchant of a payment; zero for a transfer
  AttemptKind kind = AttemptKind::kPayment;
  core::AmountMinor amount = 0;
  core::AmountMinor balance_before = 0;  // the wallet's available balance
  ClientContext client;                  // device, address and place, as keys
  bool succeeded = false;                // Observe only: did the money move
};

struct ScreenDecision {
  ScreenAction action = ScreenAction::kAllow;
  uint32_t score_ppm = kNoRiskScore;  // the model's P(fraud) in parts per million
  // Why, for anything but a plain allow: "rule:<name>" for each rule that
  // fired and "feature:<name>" for the model's strongest contributions,
  // comma-separated.
  std::string reasons;
};

class PaymentScreen {
 public:
  virtual ~PaymentScreen() = default;
  // Decides an attempt before any money moves. Never called in recovery.
  virtual ScreenDecision Screen(const ScreenAttempt& attempt) = 0;
  // An attempt ended (succeeded, or failed for any reason, a decline or a
  // denial included): live, and again for every durable attempt during
  // recovery, so that what the screen remembers survives a restart.
  virtual void Observe(const ScreenAttempt& attempt) = 0;
};

}  // namespace netfin::payments
