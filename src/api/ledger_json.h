#pragma once

// JSON <-> ledger records, strictly: a request body either parses completely
// into records or is refused with one ApiError that names the event's index
// and the field, before anything reaches the ledger. Unknown fields, repeated
// fields, wrong types and out-of-range values are all errors; values the
// ledger judges (an id of 0, an amount of 0, a non-zero timestamp) pass
// through so that the ledger answers them per event, as TigerBeetle does.
//
// Ids and user_data_128 are 128-bit unsigned integers, written as decimal
// strings; on input a JSON integer up to 2^64 - 1 is accepted as well.
// Amounts and balances are JSON integers 0..INT64_MAX; other integers
// (user_data_64, user_data_32, timeout, ledger, code, timestamp) are JSON
// integers within their field's width. Flags are arrays of names.
//
// Writers append to a per-thread reused buffer and return the document.
// Thread-safe: no shared state except that per-thread buffer.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/errors.h"
#include "ledger/state_machine.h"
#include "store/records.h"

namespace netfin::api {

// Parses a body holding a JSON array of 1..kBatchEventsMax account objects.
// Returns false with *error filled in when anything is wrong; *accounts is
// then unspecified.
bool ParseAccounts(std::string_view body, std::vector<store::Account>* accounts, ApiError* error);
// Likewise for transfer objects.
bool ParseTransfers(std::string_view body, std::vector<store::Transfer>* transfers,
                    ApiError* error);

// {"error": {"code": "...", "message": "..."}}
std::string ErrorJson(const ApiError& error);
// The same with a code of another vocabulary (a role's error names).
std::string ErrorJson(std::string_view code, std::string_view message);

// One account or transfer object with every field.
std::string AccountJson(const store::Account& account);
std::string TransferJson(const store::Transfer& transfer);

// The response to a batch: one object per event, in order,
// {"index", "id", "result", "timestamp" (ok only), "amount" (transfers, ok only)}.
// REQUIRES: ids.size() == outcomes.size().
std::string AccountResultsJson(std::span<const core::Id128> ids,
                               std::span<const ledger::AccountOutcome> outcomes);
std::string TransferResultsJson(std::span<const core::Id128> ids,
                                std::span<const ledger::TransferOutcome> outcomes);

// A page of a query: {"data": [...], "next_cursor": "..." | null}.
std::string TransferPageJson(std::span<const store::Transfer> transfers,
                             const std::optional<std::string>& next_cursor);
std::string BalancePageJson(std::span<const store::AccountBalance> balances,
                            const std::optional<std::string>& next_cursor);

// {"status": "ok"}
std::string HealthJson();

}  // namespace netfin::api
