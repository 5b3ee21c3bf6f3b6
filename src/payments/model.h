#pragma once

// The payments role's records and codes: parties (customers, merchants),
// payments (payment orders) with their state machine, refunds, settlements,
// and the ledger accounts and transfer codes the role uses.
//
// How money sits in the ledger (one ledger per currency, 156 for CNY):
//
//   reserve (asset at the custodian bank, debit balance)
//     = Σ customer wallets + Σ merchant accounts + Σ settlement payables
//       + fee income not yet swept        (liabilities, credit balances)
//
// Every movement is a linked chain of transfers, all or nothing:
//   top-up            reserve ─► wallet
//   withdrawal        wallet ─► reserve
//   wallet transfer   wallet ─► wallet
//   payment           wallet ─► merchant, merchant ─► fee income (the fee)
//   refund            merchant ─► wallet, fee income ─► wallet (returned fee)
//   settlement        merchant ─► settlement payable
//   payout            settlement payable ─► reserve (the bank paid the merchant)

#include <cstdint>
#include <string>
#include <string_view>

#include "core/id.h"
#include "core/money.h"

namespace netfin::payments {

using core::AmountMinor;
using core::Id128;

// Signed sums of amounts (a reconciliation's difference, a settlement's net)
// without overflow: two kAmountMax values never overflow 127 bits.
__extension__ typedef __int128 WideAmount;

// Ledger account codes. DO NOT RENUMBER: persisted in the ledger.
enum class AccountCode : uint16_t {
  kReserve = 1001,             // customer reserve at the custodian bank
  kCustomerWallet = 2001,
  kMerchantAccount = 2002,
  kSettlementPayable = 2003,   // settled, owed to the merchant's bank account
  kFeeIncome = 2004,           // the platform's fees, held in the reserve until swept
};

// Ledger transfer codes. DO NOT RENUMBER: persisted in the ledger.
enum class TransferCode : uint16_t {
  kTopUp = 1,
  kWithdrawal = 2,
  kWalletTransfer = 3,
  kPayment = 4,
  kPaymentFee = 5,
  kRefund = 6,
  kRefundFee = 7,
  kSettlement = 8,
  kPayout = 9,
};

// Who a request acts as. DO NOT RENUMBER: persisted with API keys.
enum class PrincipalRole : uint8_t {
  kOperator = 1,  // the platform's operations staff: everything
  kCustomer = 2,  // one customer: their wallet and payments
  kMerchant = 3,  // one merchant: its orders, refunds and settlements
};
std::string_view PrincipalRoleName(PrincipalRole role);
bool ParsePrincipalRole(std::string_view name, PrincipalRole* role);

struct Principal {
  PrincipalRole role = PrincipalRole::kOperator;
  Id128 party_id;      // zero for the operator
  std::string key_id;  // the API key that signed the request
};

// Payment order states. DO NOT RENUMBER: persisted.
//
//   created ──pay──► processing ──► succeeded
//      │                  │    └──► failed
//      │                  └──► requires_confirmation ──► succeeded | failed
//      ├──cancel──► cancelled
//      └──expiry──► expired
enum class PaymentStatus : uint8_t {
  kCreated = 1,
  kProcessing = 2,
  kRequiresConfirmation = 3,  // held as a pending transfer (the risk role)
  kSucceeded = 4,
  kFailed = 5,
  kCancelled = 6,
  kExpired = 7,
};
std::string_view PaymentStatusName(PaymentStatus status);
bool IsFinal(PaymentStatus status);

// The role's stable error codes: one per rule a request can break. The API
// maps each to an HTTP status by an exhaustive switch (api/payments_routes.cc).
// Names are the contract; the order is the documentation's.
enum class PaymentsError {
  kOk,
  kInvalidAmount,          // zero, or above the largest amount
  kUnknownCurrency,        // not a configured currency
  kCurrencyMismatch,       // not the currency of the wallet / order
  kUnknownCustomer,
  kUnknownMerchant,
  kUnknownPayment,
  kUnknownSettlement,
  kUnknownTier,
  kInvalidParty,           // personal data missing or malformed
  kInvalidField,           // another field malformed or too long (description, reason)
  kSameWallet,             // a wallet transfer to itself
  kInsufficientBalance,    // the wallet holds less than the amount
  kTierLimitExceeded,      // the customer's tier allowance is used up
  kPaymentNotPayable,      // not in `created` (already paid, cancelled, ...)
  kPaymentExpired,
  kPaymentNotCancellable,
  kPaymentNotRefundable,   // not succeeded
  kRefundExceedsPayment,   // more than paid less already refunded
  kMerchantBalanceInsufficient,  // the merchant holds less than the refund (already settled)
  kSettlementNotPayable,   // already paid out
  kRiskDenied,             // the risk screen refused the attempt (a wallet transfer)
  kPaymentNotConfirmable,  // not waiting for the customer's confirmation (unknown or finished)
  kConfirmationCodeInvalid,  // the one-time code is wrong (the third wrong code fails the payment)
  kUnknownCase,            // no risk case for this payment (it was allowed)
  kInvalidDate,
  kIdempotencyKeyReused,   // same key, different request
  kIdempotencyKeyInvalid,
  kForbidden,              // the principal may not do this
  kLedgerRefused,          // the ledger refused a transfer (a bug or a race; nothing moved)
  kUnavailable,            // the ledger is stopping, failed or its queue is full: retry
};
std::string_view PaymentsErrorName(PaymentsError error);

// What a risk screen decided for an attempt. DO NOT RENUMBER: persisted.
enum class ScreenAction : uint8_t {
  kNone = 0,       // not screened (no screen configured)
  kAllow = 1,
  kChallenge = 2,  // held until the customer confirms a one-time code
  kDeny = 3,
};
std::string_view ScreenActionName(ScreenAction action);
inline constexpr uint32_t kNoRiskScore = UINT32_MAX;  // no model score

// What an attempt moves money as (the risk features tell them apart).
// DO NOT RENUMBER: persisted.
enum class AttemptKind : uint8_t { kPayment = 1, kTransfer = 2, kWithdrawal = 3, kTopUp = 4 };

// An analyst's verdict on a risk case. DO NOT RENUMBER: persisted.
enum class CaseLabel : uint8_t { kNone = 0, kFraud = 1, kGenuine = 2 };
std::string_view CaseLabelName(CaseLabel label);
bool ParseCaseLabel(std::string_view name, CaseLabel* label);

// Where a request came from, as the customer's app reports it (the signed
// body's "client" object). Device and address are kept only as keyed
// hashes (ClientKeys in payments_service.cc): enough to tell "the same
// device as before" and nothing more.
struct ClientContext {
  Id128 device_key;  // zero: not given
  Id128 ip_key;      // zero: not given
  bool has_location = false;
  int32_t lat_micro_deg = 0;
  int32_t lon_micro_deg = 0;
};

// A customer or a merchant. Personal data is sealed (core/crypto.h) with the
// party id and field name as associated data; it is opened only to be shown
// masked.
struct PersonalData {
  std::string name_sealed;
  std::string phone_sealed;
  std::string id_number_sealed;
  std::string bank_account_sealed;
};
// The associated data of a party's sealed field, "<party id>/<field>"
// ("name", "phone", "id_number", "bank_account"): sealing and opening must
// agree on it, so both use this.
std::string SealedFieldContext(const Id128& owner, std::string_view field);

struct Customer {
  Id128 id;
  Id128 wallet_account_id;
  uint32_t ledger = 0;
  uint8_t tier = 1;
  uint64_t created_at_ns = 0;
  PersonalData personal;
  // Tier allowance use: payments and transfers out of the wallet.
  AmountMinor paid_total = 0;  // since opening
  int32_t paid_year = 0;       // the China-time calendar year of paid_in_year
  AmountMinor paid_in_year = 0;
};

struct Merchant {
  Id128 id;
  Id128 merchant_account_id;
  Id128 payable_account_id;
  uint32_t ledger = 0;
  uint32_t fee_bps = 0;  // basis points of each payment
  uint64_t created_at_ns = 0;
  std::string webhook_url;  // empty: no webhooks
  PersonalData personal;
  AmountMinor carry_minor = 0;  // settled short last time (see Settlement)
};

struct Payment {
  Id128 id;
  Id128 merchant_id;
  Id128 customer_id;  // zero until paid
  uint32_t ledger = 0;
  AmountMinor amount = 0;
  AmountMinor fee = 0;
  AmountMinor refunded = 0;
  AmountMinor fee_refunded = 0;
  std::string description;
  PaymentStatus status = PaymentStatus::kCreated;
  std::string failure_code;
  uint64_t created_at_ns = 0;
  uint64_t expires_at_ns = 0;
  uint64_t paid_at_ns = 0;
  uint64_t updated_at_ns = 0;
  bool settled = false;  // the payment's net is in a settlement
  // Risk: the screen's decision when the payment was paid, and the client
  // it was paid from (fed back to the screen when the payment ends).
  ClientContext client;
  ScreenAction risk_action = ScreenAction::kNone;
  uint32_t risk_score_ppm = kNoRiskScore;
  std::string risk_reasons;  // comma-separated (see payments/screen.h)
  AmountMinor risk_balance_before = 0;  // the wallet's available balance when screened
  CaseLabel label = CaseLabel::kNone;
  // A challenged payment's hold: the pending transfer, the one-time code's
  // keyed hash, wrong codes so far and when the hold lapses.
  Id128 hold_transfer_id;
  std::string confirm_code_hash;
  uint32_t confirm_attempts = 0;
  uint64_t hold_expires_at_ns = 0;
};

struct Refund {
  Id128 id;
  Id128 payment_id;
  Id128 merchant_id;
  Id128 customer_id;
  AmountMinor amount = 0;
  AmountMinor fee_returned = 0;  // part of the amount that came out of fee income
  std::string reason;
  uint64_t created_at_ns = 0;
  bool settled = false;
};

// Money moved into or out of a wallet without a merchant.
enum class MovementKind : uint8_t { kTopUp = 1, kWithdrawal = 2, kWalletTransfer = 3 };  // DO NOT RENUMBER
std::string_view MovementKindName(MovementKind kind);

struct Movement {
  Id128 id;
  MovementKind kind = MovementKind::kTopUp;
  Id128 customer_id;     // the wallet debited (transfer, withdrawal) or credited (top-up)
  Id128 counterparty_id; // the wallet credited by a transfer; zero otherwise
  uint32_t ledger = 0;
  AmountMinor amount = 0;
  uint64_t created_at_ns = 0;
};

enum class SettlementStatus : uint8_t { kPayable = 1, kPaid = 2 };  // DO NOT RENUMBER

// One merchant's settlement for one business day (China time): the net of
// its unsettled payments and refunds up to that day, moved from the merchant
// account to its settlement payable. If the merchant holds less than that
// net (refunds after the day), the shortfall carries to the next settlement.
struct Settlement {
  Id128 id;
  Id128 merchant_id;
  uint32_t ledger = 0;
  int32_t business_date = 0;  // yyyymmdd
  AmountMinor gross = 0;      // payments
  AmountMinor fees = 0;
  AmountMinor refunds = 0;    // merchant's part of refunds
  AmountMinor carry_in = 0;   // shortfall of the previous settlement, added now
  AmountMinor amount = 0;     // moved to the payable
  AmountMinor carry_out = 0;  // shortfall left for the next one
  uint32_t payment_count = 0;
  uint32_t refund_count = 0;
  SettlementStatus status = SettlementStatus::kPayable;
  uint64_t created_at_ns = 0;
  uint64_t paid_at_ns = 0;
};

}  // namespace netfin::payments
