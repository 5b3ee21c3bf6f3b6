#pragma once

// The payments role's configuration: currencies, wallet tiers, fees, refund
// fee policy, order expiry, settlement files and webhook retries. Defaults
// follow the PBoC's 2015 rules for online payment accounts (see
// docs/payments.md); `[payments]` in the serve TOML file overrides them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "core/status.h"

namespace netfin::payments {

struct CurrencyConfig {
  std::string code;       // ISO 4217 letters: "CNY"
  uint32_t ledger = 0;    // the ledger that books it: ISO 4217 number, 156
  uint32_t exponent = 2;  // minor units per major unit = 10^exponent
};

// A wallet verification tier and its payment allowance.
enum class TierPeriod : uint8_t {
  kLifetime = 1,  // the total since the wallet opened
  kYear = 2,      // per calendar year (China time)
};

struct TierConfig {
  uint8_t tier = 0;  // 1 (I), 2 (II), 3 (III)
  std::string name;
  TierPeriod period = TierPeriod::kYear;
  core::AmountMinor limit_minor = 0;
};

enum class RefundFeePolicy : uint8_t {
  kReturnProportional = 1,  // the platform returns the refunded share of its fee
  kKeep = 2,                // the platform keeps its fee; the merchant refunds it all
};

struct PaymentsConfig {
  std::vector<CurrencyConfig> currencies = {{"CNY", 156, 2}};
  std::vector<TierConfig> tiers = {
      {1, "I", TierPeriod::kLifetime, 100'000},      // 1,000 CNY since opening
      {2, "II", TierPeriod::kYear, 10'000'000},      // 100,000 CNY a year
      {3, "III", TierPeriod::kYear, 20'000'000},     // 200,000 CNY a year
  };
  uint32_t fee_bps_default = 60;                     // 0.6%
  uint32_t fee_bps_max = 1000;                       // a merchant rate above 10% is a typo
  RefundFeePolicy refund_fee = RefundFeePolicy::kReturnProportional;
  uint64_t payment_expiry_s_default = 15 * 60;
  uint64_t payment_expiry_s_max = 7 * 24 * 3600;
  std::string settlement_dir = "settlements";        // settlement files, per date
  uint64_t idempotency_ttl_s = 24 * 3600;            // how long a key is remembered
  uint64_t webhook_backoff_ms_base = 1000;           // first retry after 1 s, doubling
  uint64_t webhook_backoff_ms_max = 3600 * 1000;     // at most an hour apart
  uint32_t webhook_attempts_max = 20;                // then abandoned (about 8 hours)
  uint32_t webhook_timeout_ms = 5000;
  // A challenged payment: how long the customer has to confirm its
  // one-time code, and how many wrong codes fail it.
  uint64_t confirmation_expiry_s = 5 * 60;
  uint32_t confirmation_attempts_max = 3;

  const CurrencyConfig* FindCurrency(std::string_view code) const;
  const CurrencyConfig* FindLedger(uint32_t ledger) const;
  const TierConfig* FindTier(uint8_t tier) const;
  // Refuses inconsistent settings with a message naming the setting.
  core::Status Validate() const;
};

// Applies the keys of a `[payments]` TOML table (given as its text, parsed
// with toml++) over the defaults. Unknown keys are refused by name.
core::Result<PaymentsConfig> ParsePaymentsConfig(std::string_view toml_text);

}  // namespace netfin::payments
