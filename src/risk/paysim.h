#pragma once

// PaySim's labelled transaction log (Lopez-Rojas et al., 2016; the sample in
// ../shared/data/fraud) as netfin payment events, so that training replays
// it through the same FeatureEngine that scores live payments.
//
// The mapping (docs/risk.md, "The fraud model"):
//   type      PAYMENT -> payment, TRANSFER -> transfer,
//             CASH_OUT and DEBIT -> withdrawal, CASH_IN -> top_up
//   amount    decimal text -> integer fen, exactly (no floating point)
//   nameOrig  -> customer, nameDest -> payee (each BLAKE2b-128 of the name);
//             a merchant payee (name "M...") is also the event's merchant
//   oldbalanceOrg -> balance_before_minor (fen, exactly)
//   step      -> timestamp: kPaysimEpochNs + step hours. Used ONLY to order
//             the events and to place them in windows; the step leaks the
//             label in the sample, so the model's feature sets leave out
//             every feature that reads it (fraud_model.h).
//   isFraud   -> the label
// Not mapped: newbalanceOrig (PaymentEvent has no "balance after"),
// oldbalanceDest and newbalanceDest (the payee's balances, known to be
// inconsistent in PaySim), isFlaggedFraud (PaySim's own rule, a label).
// Every event succeeded (PaySim logs transactions that happened).
//
// Events come out ordered by step, then by their order in the file.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "risk/payment_event.h"

namespace netfin::risk {

// Step 0 starts at 2016-01-01 00:00 China time (UTC+8): an arbitrary,
// fixed origin (the year of PaySim's paper), so a replay is repeatable.
inline constexpr uint64_t kPaysimEpochNs = 1'451'577'600'000'000'000ull;
// PaySim simulates 743 hourly steps (a month); a step beyond 100 years of
// hours is not PaySim data.
inline constexpr uint32_t kPaysimStepMax = 876'000;
// Rows at most: bounds the replay's memory (PaySim's full log has 6.4 M).
inline constexpr size_t kPaysimRowsMax = 20'000'000;

// A PaySim log as events with labels, in replay order. The three vectors
// have one entry per event.
struct PaysimLog {
  std::vector<PaymentEvent> events = {};
  std::vector<uint8_t> labels = {};  // 1 = isFraud
  std::vector<uint32_t> steps = {};

  size_t size() const { return events.size(); }
  size_t FraudCount() const;
};

// A non-negative decimal amount as integer minor units (1/100), exactly:
// "38398.68" -> 3'839'868, "0.0" -> 0, "12" -> 1'200, "1.50" -> 150,
// "2.500" -> 250. More than two decimals are accepted only when the extra
// ones are zeros. kInvalidArgument for anything else: an empty text, a sign,
// spaces, an exponent, a digit past the cents ("1.005"), or more than
// core::kAmountMax.
core::Result<core::AmountMinor> ParseDecimalMinor(std::string_view text);

// The event kind of a PaySim type; empty for an unknown type.
std::optional<EventKind> PaysimKind(std::string_view type);

// The key of a PaySim account name ("C1231006815", "M1979787155").
Id128 PaysimAccountKey(std::string_view name);

// The timestamp of a step (hour granularity).
uint64_t PaysimStepTimestampNs(uint32_t step);

// Parses a whole PaySim CSV file (with its header; columns found by name,
// any order, extra columns ignored). source_name prefixes error messages,
// which name the line. kInvalidArgument: a missing column, a bad number,
// an unknown type, a label other than 0 or 1, a step out of range, no rows,
// too many rows.
core::Result<PaysimLog> ParsePaysim(std::string text, std::string_view source_name);
// ParsePaysim on a file's contents; kIoError when it cannot be read.
core::Result<PaysimLog> ReadPaysimFile(const std::string& path);

}  // namespace netfin::risk
