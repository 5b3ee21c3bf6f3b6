#include "cli/risk_screen.h"

#include <algorithm>
#include <cmath>

#include "core/assert.h"

namespace netfin::cli {
namespace {

risk::EventKind KindOf(payments::AttemptKind kind) {
  switch (kind) {
    case payments::AttemptKind::kPayment:
      return risk::EventKind::kPayment;
    case payments::AttemptKind::kTransfer:
      return risk::EventKind::kTransfer;
    case payments::AttemptKind::kWithdrawal:
      return risk::EventKind::kWithdrawal;
    case payments::AttemptKind::kTopUp:
      return risk::EventKind::kTopUp;
  }
  NETFIN_ASSERT(false && "unknown attempt kind");
  return risk::EventKind::kPayment;
}

}  // namespace

risk::PaymentEvent RiskScreen::EventOf(const payments::ScreenAttempt& attempt) {
  risk::PaymentEvent e;
  e.timestamp_ns = attempt.timestamp_ns;
  e.customer = attempt.customer_id;
  e.payee = attempt.payee_id;
  e.merchant = attempt.merchant_id;
  e.device = attempt.client.device_key;
  e.ip = attempt.client.ip_key;
  e.amount_minor = attempt.amount;
  e.balance_before_minor = attempt.balance_before;
  if (attempt.client.has_location) {
    const risk::GeoPoint point{attempt.client.lat_micro_deg, attempt.client.lon_micro_deg};
    if (point.IsValid()) e.location = point;
  }
  e.kind = KindOf(attempt.kind);
  e.outcome = attempt.succeeded ? risk::Outcome::kSucceeded : risk::Outcome::kFailed;
  return e;
}

payments::ScreenAction RiskScreen::ActionOf(risk::Action action) {
  switch (action) {
    case risk::Action::kAllow:
      return payments::ScreenAction::kAllow;
    case risk::Action::kChallenge:
      return payments::ScreenAction::kChallenge;
    case risk::Action::kDeny:
      return payments::ScreenAction::kDeny;
  }
  NETFIN_ASSERT(false && "unknown risk action");
  return payments::ScreenAction::kDeny;
}

uint32_t RiskScreen::ScorePpm(double score) {
  if (std::isnan(score)) return payments::kNoRiskScore;
  return static_cast<uint32_t>(std::lround(std::clamp(score, 0.0, 1.0) * 1e6));
}

payments::ScreenDecision RiskScreen::Screen(const payments::ScreenAttempt& attempt) {
  const risk::Assessment assessment = service_.Assess(EventOf(attempt));
  payments::ScreenDecision decision;
  decision.action = ActionOf(assessment.action());
  decision.score_ppm = ScorePpm(assessment.score);
  // A plain allow carries no reasons (payments/screen.h): an allow rule
  // that fired on every small payment would only grow every record.
  if (assessment.action() != risk::Action::kAllow) decision.reasons = assessment.ReasonsText();
  return decision;
}

void RiskScreen::Observe(const payments::ScreenAttempt& attempt) {
  service_.Observe(EventOf(attempt));
}

api::RiskMetrics RiskMetricsOf(const risk::RiskService* service) {
  if (service == nullptr) return api::RiskMetrics{.enabled = false};
  const risk::RiskStats stats = service->Stats();
  api::RiskMetrics m{.enabled = true,
                     .model_loaded = stats.model_loaded,
                     .allow = stats.allow,
                     .challenge = stats.challenge,
                     .deny = stats.deny,
                     .model_errors = stats.model_errors,
                     .rules_loads = stats.rules_generation,
                     .rules_reload_failures = stats.rules_reload_failures,
                     .latency_sum_ns = stats.latency_sum_ns};
  // Risk's buckets are per interval; Prometheus' are cumulative.
  uint64_t cumulative = 0;
  for (size_t i = 0; i < risk::kDecisionLatencyBoundsUs.size(); ++i) {
    cumulative += stats.latency_buckets[i];
    m.latency_buckets.emplace_back(risk::kDecisionLatencyBoundsUs[i] * 1000, cumulative);
  }
  m.latency_count = cumulative + stats.latency_buckets.back();
  return m;
}

}  // namespace netfin::cli
