#include "ledger/results.h"

#include <array>
#include <utility>

#include "store/records.h"

namespace netfin::ledger {

std::string_view ResultName(CreateAccountResult result) {
  using R = CreateAccountResult;
  switch (result) {
    case R::kOk: return "ok";
    case R::kLinkedEventFailed: return "linked_event_failed";
    case R::kLinkedEventChainOpen: return "linked_event_chain_open";
    case R::kTimestampMustBeZero: return "timestamp_must_be_zero";
    case R::kReservedFlag: return "reserved_flag";
    case R::kIdMustNotBeZero: return "id_must_not_be_zero";
    case R::kIdMustNotBeIntMax: return "id_must_not_be_int_max";
    case R::kFlagsAreMutuallyExclusive: return "flags_are_mutually_exclusive";
    case R::kDebitsPendingMustBeZero: return "debits_pending_must_be_zero";
    case R::kDebitsPostedMustBeZero: return "debits_posted_must_be_zero";
    case R::kCreditsPendingMustBeZero: return "credits_pending_must_be_zero";
    case R::kCreditsPostedMustBeZero: return "credits_posted_must_be_zero";
    case R::kLedgerMustNotBeZero: return "ledger_must_not_be_zero";
    case R::kCodeMustNotBeZero: return "code_must_not_be_zero";
    case R::kExistsWithDifferentFlags: return "exists_with_different_flags";
    case R::kExistsWithDifferentUserData128: return "exists_with_different_user_data_128";
    case R::kExistsWithDifferentUserData64: return "exists_with_different_user_data_64";
    case R::kExistsWithDifferentUserData32: return "exists_with_different_user_data_32";
    case R::kExistsWithDifferentLedger: return "exists_with_different_ledger";
    case R::kExistsWithDifferentCode: return "exists_with_different_code";
    case R::kExists: return "exists";
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

std::string_view ResultName(CreateTransferResult result) {
  using R = CreateTransferResult;
  switch (result) {
    case R::kOk: return "ok";
    case R::kLinkedEventFailed: return "linked_event_failed";
    case R::kLinkedEventChainOpen: return "linked_event_chain_open";
    case R::kTimestampMustBeZero: return "timestamp_must_be_zero";
    case R::kReservedFlag: return "reserved_flag";
    case R::kIdMustNotBeZero: return "id_must_not_be_zero";
    case R::kIdMustNotBeIntMax: return "id_must_not_be_int_max";
    case R::kFlagsAreMutuallyExclusive: return "flags_are_mutually_exclusive";
    case R::kDebitAccountIdMustNotBeZero: return "debit_account_id_must_not_be_zero";
    case R::kDebitAccountIdMustNotBeIntMax: return "debit_account_id_must_not_be_int_max";
    case R::kCreditAccountIdMustNotBeZero: return "credit_account_id_must_not_be_zero";
    case R::kCreditAccountIdMustNotBeIntMax: return "credit_account_id_must_not_be_int_max";
    case R::kAccountsMustBeDifferent: return "accounts_must_be_different";
    case R::kPendingIdMustBeZero: return "pending_id_must_be_zero";
    case R::kPendingIdMustNotBeZero: return "pending_id_must_not_be_zero";
    case R::kPendingIdMustNotBeIntMax: return "pending_id_must_not_be_int_max";
    case R::kPendingIdMustBeDifferent: return "pending_id_must_be_different";
    case R::kTimeoutReservedForPendingTransfer: return "timeout_reserved_for_pending_transfer";
    case R::kAmountMustNotBeZero: return "amount_must_not_be_zero";
    case R::kLedgerMustNotBeZero: return "ledger_must_not_be_zero";
    case R::kCodeMustNotBeZero: return "code_must_not_be_zero";
    case R::kDebitAccountNotFound: return "debit_account_not_found";
    case R::kCreditAccountNotFound: return "credit_account_not_found";
    case R::kAccountsMustHaveTheSameLedger: return "accounts_must_have_the_same_ledger";
    case R::kTransferMustHaveTheSameLedgerAsAccounts:
      return "transfer_must_have_the_same_ledger_as_accounts";
    case R::kPendingTransferNotFound: return "pending_transfer_not_found";
    case R::kPendingTransferNotPending: return "pending_transfer_not_pending";
    case R::kPendingTransferHasDifferentDebitAccountId:
      return "pending_transfer_has_different_debit_account_id";
    case R::kPendingTransferHasDifferentCreditAccountId:
      return "pending_transfer_has_different_credit_account_id";
    case R::kPendingTransferHasDifferentLedger: return "pending_transfer_has_different_ledger";
    case R::kPendingTransferHasDifferentCode: return "pending_transfer_has_different_code";
    case R::kExceedsPendingTransferAmount: return "exceeds_pending_transfer_amount";
    case R::kPendingTransferHasDifferentAmount: return "pending_transfer_has_different_amount";
    case R::kPendingTransferAlreadyPosted: return "pending_transfer_already_posted";
    case R::kPendingTransferAlreadyVoided: return "pending_transfer_already_voided";
    case R::kPendingTransferExpired: return "pending_transfer_expired";
    case R::kExistsWithDifferentFlags: return "exists_with_different_flags";
    case R::kExistsWithDifferentPendingId: return "exists_with_different_pending_id";
    case R::kExistsWithDifferentTimeout: return "exists_with_different_timeout";
    case R::kExistsWithDifferentDebitAccountId: return "exists_with_different_debit_account_id";
    case R::kExistsWithDifferentCreditAccountId: return "exists_with_different_credit_account_id";
    case R::kExistsWithDifferentAmount: return "exists_with_different_amount";
    case R::kExistsWithDifferentUserData128: return "exists_with_different_user_data_128";
    case R::kExistsWithDifferentUserData64: return "exists_with_different_user_data_64";
    case R::kExistsWithDifferentUserData32: return "exists_with_different_user_data_32";
    case R::kExistsWithDifferentLedger: return "exists_with_different_ledger";
    case R::kExistsWithDifferentCode: return "exists_with_different_code";
    case R::kExists: return "exists";
    case R::kDebitAccountAlreadyClosed: return "debit_account_already_closed";
    case R::kCreditAccountAlreadyClosed: return "credit_account_already_closed";
    case R::kOverflowsDebitsPending: return "overflows_debits_pending";
    case R::kOverflowsCreditsPending: return "overflows_credits_pending";
    case R::kOverflowsDebitsPosted: return "overflows_debits_posted";
    case R::kOverflowsCreditsPosted: return "overflows_credits_posted";
    case R::kOverflowsDebits: return "overflows_debits";
    case R::kOverflowsCredits: return "overflows_credits";
    case R::kOverflowsTimeout: return "overflows_timeout";
    case R::kExceedsCredits: return "exceeds_credits";
    case R::kExceedsDebits: return "exceeds_debits";
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

namespace {

using FlagName = std::pair<uint16_t, std::string_view>;
using store::AccountFlag;
using store::TransferFlag;

constexpr std::array<FlagName, 5> kAccountFlagNames = {{
    {static_cast<uint16_t>(AccountFlag::kLinked), "linked"},
    {static_cast<uint16_t>(AccountFlag::kDebitsMustNotExceedCredits), "debits_must_not_exceed_credits"},
    {static_cast<uint16_t>(AccountFlag::kCreditsMustNotExceedDebits), "credits_must_not_exceed_debits"},
    {static_cast<uint16_t>(AccountFlag::kHistory), "history"},
    {static_cast<uint16_t>(AccountFlag::kClosed), "closed"},
}};

constexpr std::array<FlagName, 6> kTransferFlagNames = {{
    {static_cast<uint16_t>(TransferFlag::kLinked), "linked"},
    {static_cast<uint16_t>(TransferFlag::kPending), "pending"},
    {static_cast<uint16_t>(TransferFlag::kPostPendingTransfer), "post_pending_transfer"},
    {static_cast<uint16_t>(TransferFlag::kVoidPendingTransfer), "void_pending_transfer"},
    {static_cast<uint16_t>(TransferFlag::kBalancingDebit), "balancing_debit"},
    {static_cast<uint16_t>(TransferFlag::kBalancingCredit), "balancing_credit"},
}};

template <size_t N>
std::string_view NameOf(const std::array<FlagName, N>& names, uint16_t bit) {
  for (const auto& [value, name] : names) {
    if (value == bit) return name;
  }
  return {};
}

template <size_t N>
std::optional<uint16_t> BitOf(const std::array<FlagName, N>& names, std::string_view name) {
  for (const auto& [value, flag_name] : names) {
    if (flag_name == name) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view AccountFlagName(uint16_t bit) { return NameOf(kAccountFlagNames, bit); }
std::string_view TransferFlagName(uint16_t bit) { return NameOf(kTransferFlagNames, bit); }
std::optional<uint16_t> ParseAccountFlag(std::string_view name) { return BitOf(kAccountFlagNames, name); }
std::optional<uint16_t> ParseTransferFlag(std::string_view name) { return BitOf(kTransferFlagNames, name); }

}  // namespace netfin::ledger
