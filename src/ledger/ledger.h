#pragma once

// ledger: the double-entry engine. Accounts and transfers with TigerBeetle's
// semantics (two-phase, linked chains, balancing, idempotency by id, flag
// limits), applied by a deterministic StateMachine and made durable in group
// commits by the LedgerService; Verify checks a whole journal.

#include "ledger/ledger_service.h"
#include "ledger/results.h"
#include "ledger/state_machine.h"
#include "ledger/verify.h"
