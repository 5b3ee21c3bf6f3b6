#pragma once

// Verify: the audit behind `netfin verify`. Reads a whole journal from a
// store and checks, independently of the StateMachine's code paths:
//   - the checksum chain of every batch;
//   - per ledger, total debits equal total credits (posted and pending);
//   - every stored balance equals the sum of the transfers that made it;
//   - no account breaks its flags (debits_must_not_exceed_credits, ...);
//   - every pending transfer is posted, voided or expired at most once, and
//     only while it was still pending (post/void before its expiry, expiry
//     at or after it).

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace netfin::ledger {

struct VerifyReport {
  uint64_t batches = 0;
  uint64_t accounts = 0;
  uint64_t transfers = 0;
  uint64_t pending_transfers = 0;
  uint64_t expiries = 0;
  std::vector<std::string> problems;  // empty: the journal is sound
  bool ok() const { return problems.empty(); }
};

// Fails only when the store cannot be read; findings go to report->problems.
core::Status Verify(store::Store& store, VerifyReport* report);

}  // namespace netfin::ledger
