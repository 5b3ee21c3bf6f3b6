#pragma once

// risk: the pure, in-process core of the risk role. Every payment attempt is
// a PaymentEvent; the FeatureEngine turns it into a fixed, named
// FeatureVector from what it has observed (counts and sums per customer,
// device, IP, payee and merchant over 1m / 1h / 24h / 30d, the amount
// against the customer's own history, new payee / device / IP, time of day,
// distance from the usual location, fan-in, failed attempts); the
// RuleEngine runs readable, hot-reloadable rules over those features and a
// model's score and decides allow, challenge or deny, with the rules that
// fired as reasons. No I/O besides reading a rules file; no clock (time is
// the events' timestamps). docs/risk.md documents features and rules.

#include "risk/condition.h"
#include "risk/default_rules.h"
#include "risk/feature_engine.h"
#include "risk/features.h"
#include "risk/fraud_model.h"
#include "risk/payment_event.h"
#include "risk/paysim.h"
#include "risk/risk_service.h"
#include "risk/rule_engine.h"
#include "risk/rule_set.h"
