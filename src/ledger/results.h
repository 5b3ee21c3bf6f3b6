#pragma once

// The result of each event in a batch: one stable, numbered code per rule,
// named as TigerBeetle names them (in snake_case at the edges). A result is
// an expected outcome, not an error: the batch goes on with the next event.
//
// Each event is checked completely before anything changes, and the first
// rule it breaks is the one reported. The order follows TigerBeetle's: field
// validation, then lookups, then `exists` (so a retry of an event that
// succeeded answers `exists` whatever happened since), then pending-transfer
// state, overflow and balance limits. docs/ledger.md lists it.

#include <cstdint>
#include <optional>
#include <string_view>

namespace netfin::ledger {

// DO NOT RENUMBER: these numbers are persisted by clients.
enum class CreateAccountResult : uint32_t {
  kOk = 0,
  kLinkedEventFailed = 1,
  kLinkedEventChainOpen = 2,
  kTimestampMustBeZero = 3,
  kReservedFlag = 4,
  kIdMustNotBeZero = 5,
  kIdMustNotBeIntMax = 6,
  kFlagsAreMutuallyExclusive = 7,
  kDebitsPendingMustBeZero = 8,
  kDebitsPostedMustBeZero = 9,
  kCreditsPendingMustBeZero = 10,
  kCreditsPostedMustBeZero = 11,
  kLedgerMustNotBeZero = 12,
  kCodeMustNotBeZero = 13,
  kExistsWithDifferentFlags = 14,
  kExistsWithDifferentUserData128 = 15,
  kExistsWithDifferentUserData64 = 16,
  kExistsWithDifferentUserData32 = 17,
  kExistsWithDifferentLedger = 18,
  kExistsWithDifferentCode = 19,
  kExists = 20,
};
inline constexpr uint32_t kCreateAccountResultCount = 21;

// DO NOT RENUMBER: these numbers are persisted by clients.
enum class CreateTransferResult : uint32_t {
  kOk = 0,
  kLinkedEventFailed = 1,
  kLinkedEventChainOpen = 2,
  kTimestampMustBeZero = 3,
  kReservedFlag = 4,
  kIdMustNotBeZero = 5,
  kIdMustNotBeIntMax = 6,
  kFlagsAreMutuallyExclusive = 7,
  kDebitAccountIdMustNotBeZero = 8,
  kDebitAccountIdMustNotBeIntMax = 9,
  kCreditAccountIdMustNotBeZero = 10,
  kCreditAccountIdMustNotBeIntMax = 11,
  kAccountsMustBeDifferent = 12,
  kPendingIdMustBeZero = 13,
  kPendingIdMustNotBeZero = 14,
  kPendingIdMustNotBeIntMax = 15,
  kPendingIdMustBeDifferent = 16,
  kTimeoutReservedForPendingTransfer = 17,
  kAmountMustNotBeZero = 18,
  kLedgerMustNotBeZero = 19,
  kCodeMustNotBeZero = 20,
  kDebitAccountNotFound = 21,
  kCreditAccountNotFound = 22,
  kAccountsMustHaveTheSameLedger = 23,
  kTransferMustHaveTheSameLedgerAsAccounts = 24,
  kPendingTransferNotFound = 25,
  kPendingTransferNotPending = 26,
  kPendingTransferHasDifferentDebitAccountId = 27,
  kPendingTransferHasDifferentCreditAccountId = 28,
  kPendingTransferHasDifferentLedger = 29,
  kPendingTransferHasDifferentCode = 30,
  kExceedsPendingTransferAmount = 31,
  kPendingTransferHasDifferentAmount = 32,
  kPendingTransferAlreadyPosted = 33,
  kPendingTransferAlreadyVoided = 34,
  kPendingTransferExpired = 35,
  kExistsWithDifferentFlags = 36,
  kExistsWithDifferentPendingId = 37,
  kExistsWithDifferentTimeout = 38,
  kExistsWithDifferentDebitAccountId = 39,
  kExistsWithDifferentCreditAccountId = 40,
  kExistsWithDifferentAmount = 41,
  kExistsWithDifferentUserData128 = 42,
  kExistsWithDifferentUserData64 = 43,
  kExistsWithDifferentUserData32 = 44,
  kExistsWithDifferentLedger = 45,
  kExistsWithDifferentCode = 46,
  kExists = 47,
  kDebitAccountAlreadyClosed = 48,
  kCreditAccountAlreadyClosed = 49,
  kOverflowsDebitsPending = 50,
  kOverflowsCreditsPending = 51,
  kOverflowsDebitsPosted = 52,
  kOverflowsCreditsPosted = 53,
  kOverflowsDebits = 54,
  kOverflowsCredits = 55,
  kOverflowsTimeout = 56,
  kExceedsCredits = 57,
  kExceedsDebits = 58,
};
inline constexpr uint32_t kCreateTransferResultCount = 59;

std::string_view ResultName(CreateAccountResult result);
std::string_view ResultName(CreateTransferResult result);

// Flag names as the API spells them ("linked", "pending", ...).
std::string_view AccountFlagName(uint16_t single_flag_bit);
std::string_view TransferFlagName(uint16_t single_flag_bit);
// The bit of a named flag; empty for an unknown name.
std::optional<uint16_t> ParseAccountFlag(std::string_view name);
std::optional<uint16_t> ParseTransferFlag(std::string_view name);

}  // namespace netfin::ledger
