#pragma once

// RiskScreen: the payments role's PaymentScreen (payments/screen.h) served
// by the risk role's RiskService (risk/risk_service.h). The node owns both
// and wires the screen into the payments service before it replays.
//
// The two roles do not know each other; this adapter is the one place that
// translates between them: an attempt becomes a risk::PaymentEvent (the
// device and address keys, already keyed hashes, are the event's device and
// IP keys; micro-degrees stay micro-degrees), an action becomes a
// ScreenAction, a probability becomes parts per million.
//
// Threading: as PaymentScreen, both calls on the ledger's applier thread.

#include "api/metrics.h"
#include "payments/screen.h"
#include "risk/payment_event.h"
#include "risk/risk_service.h"
#include "risk/rule_set.h"

namespace netfin::cli {

class RiskScreen final : public payments::PaymentScreen {
 public:
  explicit RiskScreen(risk::RiskService& service) : service_(service) {}

  payments::ScreenDecision Screen(const payments::ScreenAttempt& attempt) override;
  void Observe(const payments::ScreenAttempt& attempt) override;

  // The translations (tests).
  static risk::PaymentEvent EventOf(const payments::ScreenAttempt& attempt);
  static payments::ScreenAction ActionOf(risk::Action action);
  // P(fraud) in parts per million; kNoRiskScore for NaN (no model).
  static uint32_t ScorePpm(double score);

 private:
  risk::RiskService& service_;
};

// The risk figures GET /metrics shows (api::RiskMetrics, the api layer's
// own struct) from the service's Stats; risk off (nullptr): only "disabled".
// The node passes this to the server as ApiServices::risk_metrics. Thread-
// safe: Stats may be read from any thread.
api::RiskMetrics RiskMetricsOf(const risk::RiskService* service);

}  // namespace netfin::cli
