#pragma once

// The payments role's JSON representations (the API's response bodies, and
// the bodies its Idempotency-Key records keep) and the settlement file.
// Personal data is only ever shown masked; amounts are integer minor units
// with the currency's code beside them; times are ns since the epoch.

#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "payments/model.h"
#include "payments/payments_state.h"
#include "store/records.h"

namespace netfin::payments {

// The reserve against the liabilities of one ledger (model.h shows the
// identity). difference = reserve - liabilities; 0 when reconciled.
struct Reconciliation {
  uint32_t ledger = 0;
  std::string currency;
  core::AmountMinor reserve = 0;
  core::AmountMinor wallets = 0;
  core::AmountMinor merchants = 0;
  core::AmountMinor settlement_payables = 0;
  core::AmountMinor fee_income = 0;
  core::AmountMinor held = 0;  // pending debits on wallets (payments awaiting confirmation)
  WideAmount difference = 0;
  uint64_t wallet_count = 0;
  uint64_t merchant_count = 0;
  uint64_t negative_accounts = 0;  // liabilities below zero (must be none)
  uint64_t other_accounts = 0;     // accounts on the ledger with a code not the role's
  bool balanced() const { return difference == 0 && negative_accounts == 0; }
};

// A liability account's balance: posted credits less posted debits (0 if
// below).
core::AmountMinor CreditBalance(const store::Account& account);
// What it can pay now: its credit balance less pending debits (0 if below).
core::AmountMinor AvailableBalance(const store::Account& account);

// Classifies accounts by AccountCode and sums them per ledger (accounts of
// other ledgers are ignored). The same function serves `netfin verify`
// (every account in the store) and the API (the role's accounts).
Reconciliation Reconcile(const std::vector<store::Account>& accounts, uint32_t ledger,
                         std::string currency);
std::string ReconciliationJson(const std::vector<Reconciliation>& ledgers);

// The customer's phone number, masked ("138****5678"; "" if unreadable).
std::string MaskedPhone(const Customer& c, const core::SecretKey& key);
std::string CustomerJson(const Customer& c, const core::SecretKey& key, const std::string& currency);
std::string WalletJson(const Customer& c, const store::Account& wallet, const TierConfig* tier,
                       core::AmountMinor used, core::AmountMinor left, const std::string& currency);
// webhook_secret is shown only in the creation response.
std::string MerchantJson(const Merchant& m, const core::SecretKey& key, const std::string& currency,
                         const store::Account* account,
                         const std::optional<std::string>& webhook_secret);
// qr: the order's code, empty (null in the JSON) when it cannot be paid.
// full_risk: the operator's view, with the screen's score, reasons and the
// case label; others see only the action (rules are not for payers or
// merchants to study). config gives the confirmation block its attempts.
std::string PaymentJson(const Payment& p, const std::string& currency, const std::string& qr,
                        const PaymentsConfig* config = nullptr, bool full_risk = false);
std::string RefundJson(const Refund& r, const std::string& currency);
std::string MovementJson(const Movement& m, const std::string& currency);
std::string SettlementJson(const Settlement& s, const std::string& currency);
// {"data": [items...], "next_cursor": "..." | null}; items are JSON texts.
std::string ListJson(const std::vector<std::string>& items, const std::optional<Id128>& next);

// The settlement file: a header line, one line per payment and refund, and
// a totals line; amounts in minor units.
std::string SettlementCsv(const Settlement& s, const PaymentsState& state,
                          const std::string& currency);

}  // namespace netfin::payments
