#pragma once

// payments: the third-party payment role. Customer wallets with PBoC
// verification tiers, merchants with fee rates, payment orders with their
// state machine, refunds, T+1 settlement with a file per merchant, signed
// webhooks from an outbox, and the reconciliation of the customer reserve
// against every wallet, merchant balance and payable. Built on the ledger:
// every operation is one ledger Command (see payments_service.h).

#include "payments/config.h"
#include "payments/events.h"
#include "payments/model.h"
#include "payments/payments_service.h"
#include "payments/payments_state.h"
#include "payments/render.h"
