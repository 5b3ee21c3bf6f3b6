#include "payments/model.h"

namespace netfin::payments {

std::string_view PrincipalRoleName(PrincipalRole role) {
  switch (role) {
    case PrincipalRole::kOperator: return "operator";
    case PrincipalRole::kCustomer: return "customer";
    case PrincipalRole::kMerchant: return "merchant";
  }
  return "unknown";
}

bool ParsePrincipalRole(std::string_view name, PrincipalRole* role) {
  for (PrincipalRole r : {PrincipalRole::kOperator, PrincipalRole::kCustomer, PrincipalRole::kMerchant}) {
    if (PrincipalRoleName(r) == name) {
      *role = r;
      return true;
    }
  }
  return false;
}

std::string_view PaymentStatusName(PaymentStatus status) {
  switch (status) {
    case PaymentStatus::kCreated: return "created";
    case PaymentStatus::kProcessing: return "processing";
    case PaymentStatus::kRequiresConfirmation: return "requires_confirmation";
    case PaymentStatus::kSucceeded: return "succeeded";
    case PaymentStatus::kFailed: return "failed";
    case PaymentStatus::kCancelled: return "cancelled";
    case PaymentStatus::kExpired: return "expired";
  }
  return "unknown";
}

std::string_view ScreenActionName(ScreenAction action) {
  switch (action) {
    case ScreenAction::kNone: return "none";
    case ScreenAction::kAllow: return "allow";
    case ScreenAction::kChallenge: return "challenge";
    case ScreenAction::kDeny: return "deny";
  }
  return "unknown";
}

std::string_view CaseLabelName(CaseLabel label) {
  switch (label) {
    case CaseLabel::kNone: return "none";
    case CaseLabel::kFraud: return "fraud";
    case CaseLabel::kGenuine: return "genuine";
  }
  return "unknown";
}

bool ParseCaseLabel(std::string_view name, CaseLabel* label) {
  if (name == "fraud") {
    *label = CaseLabel::kFraud;
  } else if (name == "genuine") {
    *label = CaseLabel::kGenuine;
  } else {
    return false;
  }
  return true;
}

bool IsFinal(PaymentStatus status) {
  return status == PaymentStatus::kSucceeded || status == PaymentStatus::kFailed ||
         status == PaymentStatus::kCancelled || status == PaymentStatus::kExpired;
}

std::string_view MovementKindName(MovementKind kind) {
  switch (kind) {
    case MovementKind::kTopUp: return "top_up";
    case MovementKind::kWithdrawal: return "withdrawal";
    case MovementKind::kWalletTransfer: return "wallet_transfer";
  }
  return "unknown";
}

std::string SealedFieldContext(const Id128& owner, std::string_view field) {
  std::string context = owner.ToDecimal();
  context += '/';
  context += field;
  return context;
}

std::string_view PaymentsErrorName(PaymentsError error) {
  switch (error) {
    case PaymentsError::kOk: return "ok";
    case PaymentsError::kInvalidAmount: return "invalid_amount";
    case PaymentsError::kUnknownCurrency: return "unknown_currency";
    case PaymentsError::kCurrencyMismatch: return "currency_mismatch";
    case PaymentsError::kUnknownCustomer: return "unknown_customer";
    case PaymentsError::kUnknownMerchant: return "unknown_merchant";
    case PaymentsError::kUnknownPayment: return "unknown_payment";
    case PaymentsError::kUnknownSettlement: return "unknown_settlement";
    case PaymentsError::kUnknownTier: return "unknown_tier";
    case PaymentsError::kInvalidParty: return "invalid_party";
    case PaymentsError::kInvalidField: return "invalid_field";
    case PaymentsError::kSameWallet: return "same_wallet";
    case PaymentsError::kInsufficientBalance: return "insufficient_balance";
    case PaymentsError::kTierLimitExceeded: return "tier_limit_exceeded";
    case PaymentsError::kPaymentNotPayable: return "payment_not_payable";
    case PaymentsError::kPaymentExpired: return "payment_expired";
    case PaymentsError::kPaymentNotCancellable: return "payment_not_cancellable";
    case PaymentsError::kPaymentNotRefundable: return "payment_not_refundable";
    case PaymentsError::kRefundExceedsPayment: return "refund_exceeds_payment";
    case PaymentsError::kMerchantBalanceInsufficient: return "merchant_balance_insufficient";
    case PaymentsError::kSettlementNotPayable: return "settlement_not_payable";
    case PaymentsError::kRiskDenied: return "risk_denied";
    case PaymentsError::kPaymentNotConfirmable: return "payment_not_confirmable";
    case PaymentsError::kConfirmationCodeInvalid: return "confirmation_code_invalid";
    case PaymentsError::kUnknownCase: return "unknown_case";
    case PaymentsError::kInvalidDate: return "invalid_date";
    case PaymentsError::kIdempotencyKeyReused: return "idempotency_key_reused";
    case PaymentsError::kIdempotencyKeyInvalid: return "idempotency_key_invalid";
    case PaymentsError::kForbidden: return "forbidden";
    case PaymentsError::kLedgerRefused: return "ledger_refused";
    case PaymentsError::kUnavailable: return "service_unavailable";
  }
  return "unknown";
}

}  // namespace netfin::payments
